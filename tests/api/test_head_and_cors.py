"""A front end's view of the HTTP surface: HEAD answers on every GET route as GET does, without a body;
a browser script may read a download's name and ETag across origins."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import finished_comic, scenes_ready, services

ORIGIN = {"Origin": "http://localhost:3000"}  # the default CORS_ORIGINS


# GET routes left out of the OpenAPI document on purpose: the document itself and the viewer's files.
UNDOCUMENTED = ["/openapi.json", "/docs", "/health", "/view/assets/viewer.js", "/view/assets/viewer.css"]


async def get_urls(app: FastAPI, client: httpx.AsyncClient) -> list[str]:
    """Every GET operation of the OpenAPI document, its path filled with real ids of a finished comic (and
    every value of an enumerated parameter), and the undocumented GET routes."""
    job_id, result = await finished_comic(client, app, num_scenes=2)
    comic = await services(app).data.get_comic(result["comic_id"])
    values = {
        "job_id": [job_id],
        "project_id": [comic.id],
        "comic_id": [comic.id],
        "image_id": [comic.panels[0].image_id],
        "panel_id": [comic.panels[0].panel_id],
        "character_id": [comic.characters[0].id],
    }
    urls = list(UNDOCUMENTED)
    for path, operations in app.openapi()["paths"].items():
        if "get" not in operations:
            continue
        for parameter in operations["get"].get("parameters", []):
            if parameter["in"] == "path" and "enum" in parameter["schema"]:
                values[parameter["name"]] = parameter["schema"]["enum"]
        urls += expand(path, values)
    return urls


def expand(path: str, values: dict[str, list[str]]) -> list[str]:
    match = re.search(r"\{(\w+)\}", path)
    if match is None:
        return [path]
    return [
        url
        for value in values[match.group(1)]
        for url in expand(path[: match.start()] + value + path[match.end() :], values)
    ]


async def test_head_answers_every_get_route_with_its_status_and_headers_and_no_body(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    urls = await get_urls(app, client)
    assert any("/export/json" in url for url in urls) and any(url.startswith("/view/") for url in urls)
    assert "/openapi.json" in urls and "/api/v1/comics/characters" in urls
    for url in urls:
        got = await client.get(url, headers=ORIGIN)
        head = await client.head(url, headers=ORIGIN)
        assert got.status_code < 400, (url, got.status_code)
        assert head.status_code == got.status_code, url
        assert head.headers.multi_items() == got.headers.multi_items(), url
        assert head.content == b"", url


async def test_head_on_a_stream_that_would_not_end_answers_at_once(client: httpx.AsyncClient, app: FastAPI) -> None:
    job_id = await scenes_ready(client, app)  # awaiting review: its event stream stays open
    # The timeout only turns a hang into a failure; the answer comes once the headers are sent.
    head = await asyncio.wait_for(client.head(f"/api/v1/comics/{job_id}/events"), timeout=30)
    assert head.status_code == 200 and head.headers["content-type"].startswith("text/event-stream")
    assert head.content == b""


async def test_head_refused_where_get_is_refused_and_allow_names_head(client: httpx.AsyncClient, app: FastAPI) -> None:
    missing = await client.head("/api/v1/projects/no-such-project")
    assert missing.status_code == 404 and missing.content == b""
    post_only = await client.head("/api/v1/comics/scenes/generate")
    assert post_only.status_code == 405 and post_only.headers["allow"] == "POST"
    wrong = await client.put("/api/v1/projects/whatever")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "DELETE, GET, HEAD, PATCH"


@pytest.mark.parametrize("fmt", ["pdf", "json"])
async def test_a_browser_script_may_read_the_download_name_and_etag(
    client: httpx.AsyncClient, app: FastAPI, fmt: str
) -> None:
    _, comic = await finished_comic(client, app, num_scenes=1)
    answer = await client.get(f"/api/v1/projects/{comic['comic_id']}/export/{fmt}", headers=ORIGIN)
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == ORIGIN["Origin"]
    exposed = {h.strip().lower() for h in answer.headers["access-control-expose-headers"].split(",")}
    assert {"content-disposition", "etag"} <= exposed
    assert answer.headers["content-disposition"] and answer.headers["etag"]


async def test_a_browser_script_may_read_that_an_answer_was_replayed(client: httpx.AsyncClient) -> None:
    key = {**ORIGIN, "Idempotency-Key": "cors-replay-1"}
    first = await client.post("/api/v1/projects", json={"title": "Once"}, headers=key)
    again = await client.post("/api/v1/projects", json={"title": "Once"}, headers=key)
    assert first.status_code == again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    exposed = {h.strip().lower() for h in again.headers["access-control-expose-headers"].split(",")}
    assert {"idempotent-replayed", "content-disposition", "etag", "location", "retry-after"} <= exposed
