"""The builder's /projects routes: each phase, the story stream's failure paths, render-all, staleness."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI

from app.models.schemas import Character
from app.services.comics.assets import resolve
from app.services.providers.offline_art import OfflineImageModel
from config import Settings
from tests.api.test_bad_input import detail_of
from tests.conftest import BrokenWriter, services, settle, tree_digest

API = "/api/v1"


async def new_project(client: httpx.AsyncClient, **body: Any) -> dict:
    answer = await client.post(f"{API}/projects", json={"prompt": "crossing the road safely", **body})
    assert answer.status_code == 201, answer.text
    assert answer.headers["location"] == f"{API}/projects/{answer.json()['id']}"
    return answer.json()


async def read_story(client: httpx.AsyncClient, project_id: str, **body: Any) -> list[dict]:
    async with client.stream("POST", f"{API}/projects/{project_id}/story", json=body or None) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/x-ndjson")
        return [json.loads(line) async for line in answer.aiter_lines() if line]


async def cast_and_panels(client: httpx.AsyncClient, app: FastAPI) -> tuple[str, dict]:
    """A project with a story, a rendered cast and planned panels."""
    project_id = (await new_project(client))["id"]
    await read_story(client, project_id)
    cast = (await client.post(f"{API}/projects/{project_id}/characters/extract")).json()["characters"]
    for member in cast:
        assert (await client.post(f"{API}/projects/{project_id}/characters/{member['id']}/render")).status_code == 200
    assert (await client.post(f"{API}/projects/{project_id}/panels/generate")).status_code == 200
    return project_id, (await client.get(f"{API}/projects/{project_id}")).json()


async def render_all(client: httpx.AsyncClient, app: FastAPI, project_id: str) -> dict:
    answer = await client.post(f"{API}/projects/{project_id}/panels/render")
    assert answer.status_code == 202, answer.text
    await settle(app)
    job = (await client.get(f"{API}/jobs/{answer.json()['job_id']}")).json()
    assert (job["kind"], job["status"], job["progress"]) == ("render_panels", "completed", 100)
    return (await client.get(f"{API}/projects/{project_id}")).json()


# -- projects --------------------------------------------------------------------------------------


async def test_projects_list_newest_first_in_pages(client: httpx.AsyncClient) -> None:
    made = [(await new_project(client, title=f"Comic {n}"))["id"] for n in range(3)]
    first = (await client.get(f"{API}/projects", params={"limit": 2})).json()
    second = (await client.get(f"{API}/projects", params={"limit": 2, "offset": 2})).json()
    assert [p["id"] for p in first["projects"]] == [made[2], made[1]]
    assert [p["id"] for p in second["projects"]] == [made[0]]
    assert first["projects"][0]["title"] == "Comic 2" and first["projects"][0]["story_status"] == "idle"
    assert (await client.get(f"{API}/projects", params={"limit": 0})).status_code == 422


async def test_patch_needs_the_current_version(client: httpx.AsyncClient, settings: Settings) -> None:
    project = await new_project(client)
    path = f"{API}/projects/{project['id']}"
    changed = await client.patch(
        path, json={"version": project["version"], "title": "Safe Streets", "age_group": "6-9"}
    )
    assert changed.status_code == 200
    assert (changed.json()["title"], changed.json()["age_group"]) == ("Safe Streets", "6-9")
    assert changed.json()["version"] == project["version"] + 1
    before = tree_digest(settings.data_dir)
    stale = await client.patch(path, json={"version": project["version"], "title": "Lost update"})
    assert stale.status_code == 409 and "version" in detail_of(stale)
    for body in (
        {"version": changed.json()["version"], "colour": "red"},
        {"version": "two", "title": "x"},
        {"title": "no version"},
        {"version": changed.json()["version"], "title": None},
        {"version": changed.json()["version"], "age_group": "12-5"},
        [1, 2],
    ):
        assert (await client.patch(path, json=body)).status_code == 422, body
    assert tree_digest(settings.data_dir) == before
    assert (await client.get(path)).json()["title"] == "Safe Streets"


async def test_delete_takes_the_jobs_and_image_files_along(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    project_id, _state = await cast_and_panels(client, app)
    done = await render_all(client, app, project_id)
    images = settings.images_dir
    files = [p for p in images.rglob("*.png")]
    assert len(files) == len(done["characters"]) + 2 * len(done["panels"])  # each panel: its art and the lettered one
    assert (await client.delete(f"{API}/projects/{project_id}")).status_code == 204
    assert (await client.get(f"{API}/projects/{project_id}")).status_code == 404
    assert not list(images.rglob("*.png"))
    for job_id in done["job_ids"]:
        assert (await client.get(f"{API}/jobs/{job_id}")).status_code == 404
    assert (await client.delete(f"{API}/projects/{project_id}")).status_code == 404


# -- story -----------------------------------------------------------------------------------------


async def test_the_story_streams_deltas_then_done_and_is_kept(client: httpx.AsyncClient, app: FastAPI) -> None:
    project_id = (await new_project(client))["id"]
    lines = await read_story(client, project_id)
    deltas = [line["text"] for line in lines[:-1]]
    assert len(deltas) > 50 and all(line["type"] == "delta" for line in lines[:-1])
    assert lines[-1]["type"] == "done" and lines[-1]["story"] == "".join(deltas).strip()
    state = (await client.get(f"{API}/projects/{project_id}")).json()
    assert (state["story_status"], state["story"], state["story_error"]) == ("completed", lines[-1]["story"], None)
    job = (await client.get(f"{API}/jobs/{state['job_ids'][-1]}")).json()
    assert (job["kind"], job["status"]) == ("story", "completed")


async def test_a_vendor_failure_mid_stream_ends_in_error_with_the_partial_text(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    services(app).pipeline.text = BrokenWriter(fail=True)
    project_id = (await new_project(client))["id"]
    lines = await read_story(client, project_id)
    assert [line["type"] for line in lines] == ["delta", "delta", "delta", "error"]
    assert lines[-1]["message"] == "OpenAI is failing (500), retried 5 times over 60 s"
    state = (await client.get(f"{API}/projects/{project_id}")).json()
    assert (state["story_status"], state["story"]) == ("error", "Once upon a ")
    assert "OpenAI is failing" in state["story_error"]


@pytest.mark.parametrize("how", ["closed", "cancelled"])
async def test_a_client_that_hangs_up_leaves_error_not_streaming(
    client: httpx.AsyncClient, app: FastAPI, how: str
) -> None:
    writer = BrokenWriter(fail=False)
    services(app).pipeline.text = writer
    project_id = (await new_project(client))["id"]
    lines = await services(app).builder.start_story(project_id, None)  # what the route hands to the response
    assert json.loads(await anext(lines)) == {"type": "delta", "text": "Once "}
    busy = await client.post(f"{API}/projects/{project_id}/story")
    assert busy.status_code == 409 and "already being written" in detail_of(busy)
    if how == "closed":  # the response stops iterating the stream
        await lines.aclose()
    else:  # as Starlette does when the client leaves: the task group sending the body is cancelled

        async def send_body() -> None:
            async for _ in lines:
                pass

        async with anyio.create_task_group() as group:
            group.start_soon(send_body)
            await writer.started.wait()
            group.cancel_scope.cancel()
    state = (await client.get(f"{API}/projects/{project_id}")).json()
    assert state["story_status"] == "error" and "disconnected" in state["story_error"]
    assert state["story"] == ("Once " if how == "closed" else "Once upon a ")
    job = (await client.get(f"{API}/jobs/{state['job_ids'][-1]}")).json()
    assert job["status"] == "failed"
    writer.fail = True  # the next story may start again
    assert [line["type"] for line in await read_story(client, project_id)][-1] == "error"


async def test_a_story_needs_a_prompt_and_a_fit_one(client: httpx.AsyncClient, settings: Settings) -> None:
    project_id = (await client.post(f"{API}/projects", json={"title": "Blank"})).json()["id"]
    before = tree_digest(settings.data_dir)
    for body, mentions in (
        (None, "give a prompt"),
        ({"prompt": "a gory murder mystery"}, "content_refused"),
        ({"prompt": "x" * 3000}, "at most 2000"),
        ({"prompt": "ok story", "extra": 1}, "extra"),
    ):
        answer = await client.post(f"{API}/projects/{project_id}/story", json=body)
        assert answer.status_code == 422 and mentions in detail_of(answer), (body, answer.text)
    assert tree_digest(settings.data_dir) == before


# -- characters and panels ---------------------------------------------------------------------------


async def test_each_phase_refuses_to_run_before_its_inputs_exist(client: httpx.AsyncClient, settings: Settings) -> None:
    project_id = (await new_project(client))["id"]
    before = tree_digest(settings.data_dir)
    for path, mentions in (
        ("characters/extract", "no finished story"),
        ("panels/generate", "finished story"),
        ("panels/render", "no panels yet"),
    ):
        answer = await client.post(f"{API}/projects/{project_id}/{path}")
        assert answer.status_code == 409 and mentions in detail_of(answer), (path, answer.text)
    await read_story(client, project_id)
    answer = await client.post(f"{API}/projects/{project_id}/panels/generate")
    assert answer.status_code == 409 and "no cast yet" in detail_of(answer)
    assert tree_digest(settings.data_dir) != before  # the story did land


async def test_unknown_ids_are_404_and_malformed_ones_422(client: httpx.AsyncClient, app: FastAPI) -> None:
    project_id, _state = await cast_and_panels(client, app)
    ghost = "01a1f000-0000-7000-8000-000000000000"
    for method, path in (
        ("GET", f"/projects/{ghost}"),
        ("PATCH", f"/projects/{ghost}"),
        ("POST", f"/projects/{ghost}/story"),
        ("POST", f"/projects/{ghost}/characters/extract"),
        ("POST", f"/projects/{project_id}/characters/{ghost}/render"),
        ("POST", f"/projects/{project_id}/panels/{ghost}/render"),
        ("POST", f"/projects/{ghost}/panels/render"),
    ):
        body = {"version": 1} if method == "PATCH" else None
        answer = await client.request(method, API + path, json=body)
        assert answer.status_code == 404, (path, answer.text)
    assert (await client.get(f"{API}/projects/..%2F..%2Fetc")).status_code in (404, 422)
    assert (await client.post(f"{API}/projects/{project_id}/panels/a%20b/render")).status_code == 422


async def test_extraction_keeps_rendered_sheets_of_characters_it_finds_again(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    project_id, state = await cast_and_panels(client, app)
    again = (await client.post(f"{API}/projects/{project_id}/characters/extract")).json()["characters"]
    assert [(c["id"], c["image_id"]) for c in again] == [(c["id"], c["image_id"]) for c in state["characters"]]
    assert all(c["image_id"] and c["brief"] and c["role"] for c in again)


async def test_planned_panels_use_only_the_cast(client: httpx.AsyncClient, app: FastAPI) -> None:
    _project_id, state = await cast_and_panels(client, app)
    names = {c["name"] for c in state["characters"]}
    assert state["panels"] and all(set(p["characters"]) <= names and p["characters"] for p in state["panels"])
    assert all(p["status"] == "pending" for p in state["panels"])


async def test_render_one_panel_touches_no_other_and_keeps_its_earlier_image(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    project_id, _ = await cast_and_panels(client, app)
    state = await render_all(client, app, project_id)
    target, others = state["panels"][1], [p for i, p in enumerate(state["panels"]) if i != 1]
    redrawn = (await client.post(f"{API}/projects/{project_id}/panels/{target['panel_id']}/render")).json()
    assert redrawn["image_id"] != target["image_id"] and redrawn["image_history"] == [target["image_id"]]
    after = (await client.get(f"{API}/projects/{project_id}")).json()
    assert [p for i, p in enumerate(after["panels"]) if i != 1] == others
    restored = await client.post(
        f"{API}/projects/{project_id}/panels/{target['panel_id']}/restore", json={"image_id": target["image_id"]}
    )
    panel = restored.json()["panels"][1]
    assert (panel["image_id"], panel["image_history"]) == (target["image_id"], [redrawn["image_id"]])
    refused = await client.post(
        f"{API}/projects/{project_id}/panels/{target['panel_id']}/restore", json={"image_id": others[0]["image_id"]}
    )
    assert refused.status_code == 422 and "not an earlier image" in detail_of(refused)


async def test_a_new_sheet_makes_only_its_panels_stale_and_render_all_redoes_only_those(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    project_id, _ = await cast_and_panels(client, app)
    state = await render_all(client, app, project_id)
    member = state["characters"][0]
    showing = {p["panel_id"] for p in state["panels"] if member["name"] in p["characters"]}
    assert 0 < len(showing) < len(state["panels"])
    await client.post(f"{API}/projects/{project_id}/characters/{member['id']}/render")
    marked = (await client.get(f"{API}/projects/{project_id}")).json()
    assert {p["panel_id"] for p in marked["panels"] if p["stale"]} == showing
    after = await render_all(client, app, project_id)
    before_images = {p["panel_id"]: p["image_id"] for p in state["panels"]}
    redone = {p["panel_id"] for p in after["panels"] if p["image_id"] != before_images[p["panel_id"]]}
    assert redone == showing and not any(p["stale"] for p in after["panels"])
    # restoring the old sheet makes the same panels stale again
    restored = (
        await client.post(
            f"{API}/projects/{project_id}/characters/{member['id']}/restore", json={"image_id": member["image_id"]}
        )
    ).json()
    assert {p["panel_id"] for p in restored["panels"] if p["stale"]} == showing


class CountingImages(OfflineImageModel):
    """Counts panel renders in flight; each waits until `target` are in flight at once (or gives up)."""

    def __init__(self, target: int) -> None:
        self.target, self.in_flight, self.most = target, 0, 0
        self.enough = asyncio.Event()

    async def render_panel(self, **kwargs: Any):  # type: ignore[no-untyped-def]
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        if self.in_flight >= self.target:
            self.enough.set()
        try:
            await asyncio.wait_for(self.enough.wait(), 10)
            return await super().render_panel(**kwargs)
        finally:
            self.in_flight -= 1


@pytest.mark.parametrize(
    "limit", [pytest.param(n, marks=pytest.mark.settings(max_concurrent_renders=n)) for n in (2, 10)]
)
async def test_render_all_runs_panels_at_once_within_the_limit(
    client: httpx.AsyncClient, app: FastAPI, limit: int
) -> None:
    project_id, state = await cast_and_panels(client, app)
    panels = len(state["panels"])
    counting = CountingImages(target=min(limit, panels))
    services(app).pipeline.images = counting
    answer = await client.post(f"{API}/projects/{project_id}/panels/render")
    again = await client.post(f"{API}/projects/{project_id}/panels/render")
    assert again.status_code == 409 and "already being rendered" in detail_of(again)
    await settle(app)
    done = (await client.get(f"{API}/projects/{project_id}")).json()
    assert all(p["status"] == "rendered" for p in done["panels"])
    assert counting.most == min(limit, panels)  # all at once, never more than the limit
    job = (await client.get(f"{API}/comics/{answer.json()['job_id']}/status")).json()
    assert job["status"] == "completed"


def test_names_resolve_by_slug() -> None:
    cast = [
        Character(id="captain-mira", name="Captain Mira", description="d"),
        Character(id="max", name="Max", description="d"),
    ]
    found, missing = resolve(["Captain  Mira", "captain-mira", "MAX!", "Nobody"], cast)
    assert [c.id for c in found] == ["captain-mira", "max"] and missing == ["Nobody"]


async def test_the_wizard_event_stream_follows_a_render_all_job(client: httpx.AsyncClient, app: FastAPI) -> None:
    project_id, state = await cast_and_panels(client, app)
    job_id = (await client.post(f"{API}/projects/{project_id}/panels/render")).json()["job_id"]
    answer = await client.get(f"{API}/comics/{job_id}/events")  # ends when the job is final
    events = [json.loads(line[len("data: ") :]) for line in answer.text.splitlines() if line.startswith("data: ")]
    progress = [e["progress"] for e in events]
    assert events[-1]["status"] == "completed" and events[-1]["kind"] == "render_panels"
    assert progress == sorted(progress) and progress[-1] == 100 and len(events) >= len(state["panels"])
