"""Bad input gets a clear 4xx that says what is wrong, and changes nothing on disk."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.services.providers.offline_text import OfflineTextModel
from config import Settings
from tests.conftest import finished_comic, scenes_ready, services, settle, tree_digest

API = "/api/v1"
UNKNOWN = "01a1f000-0000-7000-8000-000000000000"


class GatedText(OfflineTextModel):
    """The offline writer, held at a gate so a test can act while a step is in progress."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()

    async def write_scenes(self, **kwargs):  # type: ignore[no-untyped-def]
        self.entered.set()
        await self.gate.wait()
        return await super().write_scenes(**kwargs)

    async def refine_scenes(self, **kwargs):  # type: ignore[no-untyped-def]
        await self.gate.wait()
        return await super().refine_scenes(**kwargs)


@pytest.fixture
async def gated(app: FastAPI) -> AsyncIterator[GatedText]:
    text = GatedText()
    services(app).pipeline.text = text
    yield text
    text.gate.set()


async def assert_refused(
    client: httpx.AsyncClient, settings: Settings, path: str, body: object, *, status: int, mentions: str
) -> None:
    """A bad request gets `status` with a detail naming what is wrong, and changes nothing on disk."""
    before = tree_digest(settings.data_dir)
    answer = await client.post(API + path, json=body)
    assert answer.status_code == status, answer.text
    assert mentions in detail_of(answer)
    assert tree_digest(settings.data_dir) == before


def detail_of(answer: httpx.Response) -> str:
    body = answer.json()
    assert set(body) >= {"detail"}
    return str(body["detail"])


@pytest.mark.parametrize(
    "body, mentions",
    [
        ({"topic": ""}, "topic"),
        ({"topic": "   "}, "topic"),
        ({"topic": "x" * 10_240}, "topic"),
        ({}, "topic"),
        ({"topic": 42}, "topic"),
        ({"topic": "safety", "age_group": "12-5"}, "youngest"),
        ({"topic": "safety", "age_group": "abc"}, "age_group"),
        ({"topic": "safety", "age_group": "0-99"}, "age"),
        ({"topic": "safety", "num_scenes": 0}, "num_scenes"),
        ({"topic": "safety", "num_scenes": 99}, "num_scenes"),
        ({"topic": "safety", "num_scenes": "six"}, "num_scenes"),
        ({"topic": "safety", "style": "<script>"}, "style"),
        (
            {"topic": "safety", "colour": "red"},
            "a field this body does not take (it takes: topic, age_group, num_scenes",
        ),
        ({"topic": "a gory murder story"}, "content_refused"),
    ],
)
async def test_bad_scene_requests_are_422_and_change_nothing(
    client: httpx.AsyncClient, settings: Settings, body: dict, mentions: str
) -> None:
    await assert_refused(client, settings, "/comics/scenes/generate", body, status=422, mentions=mentions)


async def test_a_refused_topic_is_422_content_refused_with_its_shape(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    before = tree_digest(settings.data_dir)
    answer = await client.post(API + "/comics/scenes/generate", json={"topic": "a gory murder story"})
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert set(detail) == {"code", "category", "message", "suggestion"} and detail["code"] == "content_refused"
    assert detail["category"] == "violence" and "murder" not in detail["message"] + detail["suggestion"]
    assert tree_digest(settings.data_dir) == before


async def test_a_body_that_is_not_json_is_422(client: httpx.AsyncClient, settings: Settings) -> None:
    before = tree_digest(settings.data_dir)
    answer = await client.post(
        f"{API}/comics/scenes/generate", content=b"topic=safety", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422
    assert tree_digest(settings.data_dir) == before


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/comics/{id}/scenes"),
        ("POST", "/comics/{id}/generate"),
        ("GET", "/comics/{id}/status"),
        ("GET", "/comics/{id}/events"),
        ("GET", "/comics/{id}/result"),
        ("GET", "/jobs/{id}"),
        ("POST", "/jobs/{id}/cancel"),
        ("GET", "/images/{id}"),
    ],
)
async def test_unknown_ids_are_404(client: httpx.AsyncClient, method: str, path: str) -> None:
    answer = await client.request(method, API + path.format(id=UNKNOWN))
    assert answer.status_code == 404
    assert UNKNOWN in detail_of(answer)


@pytest.mark.parametrize("bad", ["..", "..%2F..%2Fetc%2Fpasswd", "%2E%2E", "a%00b", "x" * 65, "%2Fetc%2Fpasswd"])
@pytest.mark.parametrize("path", ["/comics/{id}/status", "/comics/{id}/result", "/jobs/{id}", "/images/{id}"])
async def test_path_traversal_ids_never_reach_the_disk(
    client: httpx.AsyncClient, settings: Settings, bad: str, path: str
) -> None:
    before = tree_digest(settings.data_dir)
    answer = await client.get(API + path.format(id=bad))
    assert answer.status_code in (404, 422)
    assert "detail" in answer.json()
    assert tree_digest(settings.data_dir) == before


async def test_refine_body_posted_to_the_wrong_job_is_404_with_body_checked_first(client: httpx.AsyncClient) -> None:
    answer = await client.post(f"{API}/comics/{UNKNOWN}/scenes/refine", json={"feedback": "shorter please"})
    assert answer.status_code == 404
    answer = await client.post(f"{API}/comics/{UNKNOWN}/scenes/refine", json={"feedback": ""})
    assert answer.status_code == 422


async def test_result_before_completion_is_409(client: httpx.AsyncClient, app: FastAPI) -> None:
    job_id = await scenes_ready(client, app)
    answer = await client.get(f"{API}/comics/{job_id}/result")
    assert answer.status_code == 409
    assert "not finished" in detail_of(answer)


async def test_calls_while_scenes_are_being_written_are_409(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, gated: GatedText
) -> None:
    answer = await client.post(f"{API}/comics/scenes/generate", json={"topic": "road safety"})
    job_id = answer.json()["job_id"]
    await gated.entered.wait()
    before = tree_digest(settings.data_dir)
    for method, path, body in [
        ("GET", "scenes", None),
        ("POST", "generate", None),
        ("POST", "scenes/refine", {"feedback": "shorter"}),
        ("POST", "characters/select", {"character_ids": ["max"]}),
    ]:
        answer = await client.request(method, f"{API}/comics/{job_id}/{path}", json=body)
        assert answer.status_code == 409, (path, answer.text)
        assert "generating_scenes" in detail_of(answer) or "not ready" in detail_of(answer)
    assert tree_digest(settings.data_dir) == before
    gated.gate.set()
    await settle(app)
    assert (await client.get(f"{API}/comics/{job_id}/scenes")).status_code == 200


async def test_refine_or_generate_while_refining_is_409(
    client: httpx.AsyncClient, app: FastAPI, gated: GatedText
) -> None:
    gated.gate.set()
    job_id = await scenes_ready(client, app)
    gated.gate.clear()
    assert (await client.post(f"{API}/comics/{job_id}/scenes/refine", json={"feedback": "shorter"})).status_code == 202
    second = await client.post(f"{API}/comics/{job_id}/scenes/refine", json={"feedback": "longer"})
    assert second.status_code == 409 and "refining_scenes" in detail_of(second)
    assert (await client.post(f"{API}/comics/{job_id}/generate")).status_code == 409
    gated.gate.set()
    await settle(app)
    assert (await client.post(f"{API}/comics/{job_id}/generate")).status_code == 202


async def test_generate_twice_is_409(client: httpx.AsyncClient, app: FastAPI) -> None:
    job_id = await scenes_ready(client, app, num_scenes=2)
    assert (await client.post(f"{API}/comics/{job_id}/generate")).status_code == 202
    assert (await client.post(f"{API}/comics/{job_id}/generate")).status_code == 409
    await settle(app)
    assert (await client.post(f"{API}/comics/{job_id}/generate")).status_code == 409


@pytest.mark.parametrize(
    "body, status, mentions",
    [
        ({"character_ids": ["no-such-character"]}, 422, "character_ids[0] is not in the catalog"),
        ({"character_ids": []}, 422, "character_ids"),
        ({"character_ids": ["max", "max"]}, 422, "repeat"),
        ({"character_ids": ["../x"]}, 422, "character_ids"),
        ({"character_ids": ["max"] * 7}, 422, "character_ids"),
    ],
)
async def test_bad_selections_are_refused_and_change_nothing(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, body: dict, status: int, mentions: str
) -> None:
    job_id = await scenes_ready(client, app)
    await assert_refused(
        client, settings, f"/comics/{job_id}/characters/select", body, status=status, mentions=mentions
    )


@pytest.mark.parametrize(
    "body, mentions",
    [
        ({"feedback": "shorter", "scene_ids": ["scene-99"]}, "scene_ids[0] is not a scene of this comic"),
        ({"feedback": ""}, "feedback"),
        ({"feedback": "x" * 5000}, "feedback"),
        ({"feedback": "shorter", "extra": 1}, "extra"),
    ],
)
async def test_bad_refinements_are_422_and_change_nothing(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, body: dict, mentions: str
) -> None:
    job_id = await scenes_ready(client, app)
    await assert_refused(client, settings, f"/comics/{job_id}/scenes/refine", body, status=422, mentions=mentions)


async def test_ids_it_does_not_know_are_named_by_position_never_repeated(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """A 422 never repeats the caller's values, not even an id: it says which position is wrong and where
    the right ones are listed."""
    job_id = await scenes_ready(client, app, num_scenes=2)
    chosen = await client.post(
        f"{API}/comics/{job_id}/characters/select", json={"character_ids": ["max", "MAX", "bolt", "Zed-77"]}
    )
    assert chosen.status_code == 422, chosen.text
    assert detail_of(chosen) == (
        "character_ids[1] and character_ids[3] are not in the catalog; GET /api/v1/comics/characters lists them"
    )
    refined = await client.post(
        f"{API}/comics/{job_id}/scenes/refine", json={"feedback": "shorter please", "scene_ids": ["scene-99"]}
    )
    assert refined.status_code == 422 and "scene_ids[0] is not a scene of this comic" in detail_of(refined)
    _, comic = await finished_comic(client, app, num_scenes=2)
    panel = (await client.get(f"{API}/projects/{comic['comic_id']}")).json()["panels"][0]
    restored = await client.post(
        f"{API}/projects/{comic['comic_id']}/panels/{panel['panel_id']}/restore", json={"image_id": "img-zz-42"}
    )
    assert restored.status_code in (404, 422), restored.text
    for answer in (chosen, refined, restored):
        assert not {"MAX", "Zed-77", "scene-99", "img-zz-42"} & set(re.findall(r"[\w-]+", answer.text)), answer.text


async def test_errors_carry_no_stack_trace(client: httpx.AsyncClient, tmp_path: Path) -> None:
    answer = await client.post(f"{API}/comics/scenes/generate", json={"topic": "safety", "age_group": "12-5"})
    assert "Traceback" not in answer.text and str(tmp_path) not in answer.text


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_body_over_one_megabyte_is_413_and_changes_nothing(
    client: httpx.AsyncClient, settings: Settings, chunked: bool
) -> None:
    body = json.dumps({"topic": "safety", "padding": "x" * (1024 * 1024)}).encode()
    before = tree_digest(settings.data_dir)

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    answer = await client.post(
        f"{API}/comics/scenes/generate",
        content=pieces() if chunked else body,
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 413 and "larger than 1024 KB" in detail_of(answer)
    assert tree_digest(settings.data_dir) == before


async def test_a_body_under_the_limit_reaches_validation(client: httpx.AsyncClient, settings: Settings) -> None:
    await assert_refused(
        client, settings, "/comics/scenes/generate", {"topic": "x" * (900 * 1024)}, status=422, mentions="topic"
    )


async def test_every_string_and_list_in_a_request_body_has_a_bound_in_the_openapi_schema(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    unbounded: list[str] = []
    seen: set[str] = set()

    def walk(schema: dict, where: str) -> None:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                walk(schemas[name], name)
            return
        for sub in schema.get("anyOf", []) + schema.get("allOf", []):
            walk(sub, where)
        if schema.get("type") == "string" and not ({"maxLength", "enum", "const"} & set(schema)):
            unbounded.append(where)
        if schema.get("type") == "array":
            if "maxItems" not in schema:
                unbounded.append(where)
            walk(schema.get("items", {}), f"{where}[]")
        for name, prop in schema.get("properties", {}).items():
            walk(prop, f"{where}.{name}")

    bodies = [
        op["requestBody"]["content"]["application/json"]["schema"]
        for ops in spec["paths"].values()
        for op in ops.values()
        if "requestBody" in op
    ]
    for body in bodies:
        walk(body, "body")
    assert len(seen) >= 5 and unbounded == []


@pytest.mark.parametrize(
    "raw, mentions",
    [
        (b'{"topic": "safety \\ud800 first"}', "unicode"),  # an unpaired surrogate
        (b'{"topic": "safety \\u0000 first"}', "control character"),  # PostgreSQL text cannot hold NUL
        ('{"topic": "safety \u202efirst"}'.encode(), "text-direction override"),
        ('{"topic": "\u200b\u200b\u200b\u200b"}'.encode(), "must contain words"),  # nothing visible
        ('{"topic": "safety", "style": "cartoon\u2066"}'.encode(), "style"),
        (b'{"topic": "\xff\xfe safety"}', "parsing the body"),  # not UTF-8 at all
        (b'{"topic": "safety", "topic": 7}', "topic"),  # a duplicate key: the last one wins, and is checked
    ],
)
async def test_unicode_edge_cases_are_refused_and_change_nothing(
    client: httpx.AsyncClient, settings: Settings, raw: bytes, mentions: str
) -> None:
    before = tree_digest(settings.data_dir)
    answer = await client.post(
        f"{API}/comics/scenes/generate", content=raw, headers={"content-type": "application/json"}
    )
    assert answer.status_code in (400, 422) and mentions in answer.text, answer.text
    assert "ud800" not in answer.text and "first" not in answer.text  # the input is never echoed back
    assert tree_digest(settings.data_dir) == before


async def test_real_world_unicode_is_kept_exactly(client: httpx.AsyncClient, app: FastAPI) -> None:
    topic = "crossing roads 🚦 with 👩‍👧 safely — e\u0301te\u0301, 安全, أمان"
    answer = await client.post(f"{API}/comics/scenes/generate", json={"topic": topic, "num_scenes": 1})
    assert answer.status_code == 202, answer.text
    await services(app).runner.wait_idle()
    status = (await client.get(answer.json()["status_url"])).json()
    assert status["topic"] == topic and status["status"] == "awaiting_input"


async def test_a_flood_of_unknown_keys_gets_a_small_422_that_repeats_none_of_them(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    body: dict[str, object] = {f"<script>alert({n})</script>": n for n in range(25_000)}
    body["topic"] = "safety"
    before = tree_digest(settings.data_dir)
    answer = await client.post(f"{API}/comics/scenes/generate", json=body)
    assert answer.status_code == 422
    assert len(answer.content) < 16 * 1024 and "script" not in answer.text.lower()
    detail = answer.json()["detail"]
    assert 1 <= len(detail) <= 20
    assert detail[0]["type"] == "extra_forbidden" and detail[0]["loc"] == ["body", "(unknown field)"]
    assert "25,000 fields this body does not take" in detail[0]["msg"]
    assert tree_digest(settings.data_dir) == before


async def test_a_422_names_schema_fields_but_not_the_callers_keys_or_values(client: httpx.AsyncClient) -> None:
    answer = await client.patch(
        f"{API}/projects/{UNKNOWN}",
        json={"version": 1, "title": ["hostile-title-value"], "age_group": "hostile-age", "hostile-key": "x"},
    )
    assert answer.status_code == 422
    assert "hostile" not in answer.text
    locs = {tuple(e["loc"]) for e in answer.json()["detail"]}
    assert {("body", "title"), ("body", "age_group"), ("body", "(unknown field)")} <= locs
