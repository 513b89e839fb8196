"""The wizard from topic to finished comic, over HTTP, on the offline providers."""

from __future__ import annotations

import asyncio
import io
import json

import httpx
from fastapi import FastAPI
from PIL import Image

from tests.conftest import finished_comic, scenes_ready, settle

API = "/api/v1"


async def test_health_and_docs(client: httpx.AsyncClient) -> None:
    health = (await client.get(f"{API}/health")).json()
    assert health == {"status": "ok", "storage": "json", "providers": {"text": "offline", "image": "offline"}}
    assert (await client.get("/health")).status_code == 200
    assert "/api/v1/comics/scenes/generate" in (await client.get("/openapi.json")).json()["paths"]


async def test_docs_are_open_and_cors_allows_only_configured_origins(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    preflight = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}
    allowed = await client.options(
        f"{API}/comics/scenes/generate", headers={"origin": "http://localhost:3000", **preflight}
    )
    assert allowed.headers.get("access-control-allow-origin") == "http://localhost:3000"
    other = await client.options(f"{API}/comics/scenes/generate", headers={"origin": "http://evil.test", **preflight})
    assert "access-control-allow-origin" not in other.headers


async def test_generate_scenes_answers_202_with_a_status_url(client: httpx.AsyncClient, app: FastAPI) -> None:
    answer = await client.post(f"{API}/comics/scenes/generate", json={"topic": "teaching kids about safety"})
    assert answer.status_code == 202
    body = answer.json()
    assert body["status"] == "queued"
    assert body["status_url"] == f"{API}/comics/{body['job_id']}/status"
    await settle(app)
    status = (await client.get(body["status_url"])).json()
    assert set(status) == {
        "job_id",
        "comic_id",
        "kind",
        "topic",
        "status",
        "step",
        "progress",
        "error",
        "created_at",
        "updated_at",
    }
    assert (status["status"], status["step"], status["progress"]) == ("awaiting_input", "scenes_ready", 25)


async def test_scenes_have_the_shape_of_spec_and_follow_num_scenes(client: httpx.AsyncClient, app: FastAPI) -> None:
    job_id = await scenes_ready(client, app, num_scenes=4)
    scenes = (await client.get(f"{API}/comics/{job_id}/scenes")).json()
    assert scenes["job_id"] == job_id
    assert len(scenes["scenes"]) == 4
    for scene in scenes["scenes"]:
        assert {"scene_id", "title", "description", "dialogue", "learning_point", "visual_elements"} <= set(scene)
        assert scene["dialogue"] and all({"speaker", "text"} == set(line) for line in scene["dialogue"])
        assert scene["learning_point"] and scene["visual_elements"]


async def test_whole_flow_to_result_with_fetchable_pngs(client: httpx.AsyncClient, app: FastAPI) -> None:
    job_id = await scenes_ready(client, app, num_scenes=5)
    catalog = (await client.get(f"{API}/comics/characters")).json()["characters"]
    chosen = [catalog[3]["id"], catalog[6]["id"]]
    selection = await client.post(f"{API}/comics/{job_id}/characters/select", json={"character_ids": chosen})
    assert selection.status_code == 200
    assert [c["id"] for c in selection.json()["characters"]] == chosen
    names = {c["name"] for c in selection.json()["characters"]}
    speakers = {
        line["speaker"]
        for s in (await client.get(f"{API}/comics/{job_id}/scenes")).json()["scenes"]
        for line in s["dialogue"]
    }
    assert speakers == names  # the lines went to the chosen cast

    assert (await client.post(f"{API}/comics/{job_id}/generate")).status_code == 202
    await settle(app)
    status = (await client.get(f"{API}/jobs/{job_id}")).json()
    assert (status["status"], status["step"], status["progress"]) == ("completed", "done", 100)

    comic = (await client.get(f"{API}/comics/{job_id}/result")).json()
    assert comic["comic_id"] == status["comic_id"]
    assert comic["status"] == "completed"
    assert len(comic["panels"]) == 5
    urls = [p["image_url"] for p in comic["panels"]] + [c["image_url"] for c in comic["characters"]]
    assert len(set(urls)) == 7
    for panel in comic["panels"]:
        assert panel["status"] == "rendered" and set(panel["characters"]) <= names
    for url in urls:
        image = await client.get(url)
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(image.content)).size[0] >= 512


async def test_storage_stats_count_the_comic(client: httpx.AsyncClient, app: FastAPI) -> None:
    await finished_comic(client, app, num_scenes=3)
    stats = (await client.get(f"{API}/storage/stats")).json()
    assert stats["json_storage"]["total_jobs"] == 1
    assert stats["json_storage"]["total_comics"] == 1
    assert stats["image_storage"]["total_images"] == 3 * 2 + 3  # three panels (art and lettered), three sheets
    assert 0 < stats["image_storage"]["panels_size_mb"] < stats["image_storage"]["total_size_mb"]
    assert stats["total_storage_mb"] >= stats["image_storage"]["total_size_mb"]


async def test_refine_rewrites_only_the_named_scenes(client: httpx.AsyncClient, app: FastAPI) -> None:
    job_id = await scenes_ready(client, app, num_scenes=4)
    before = (await client.get(f"{API}/comics/{job_id}/scenes")).json()["scenes"]
    answer = await client.post(
        f"{API}/comics/{job_id}/scenes/refine",
        json={"feedback": "Add a friendly dog and make it funnier", "scene_ids": ["scene-2"]},
    )
    assert answer.status_code == 202
    await settle(app)
    status = (await client.get(f"{API}/comics/{job_id}/status")).json()
    assert (status["status"], status["step"]) == ("awaiting_input", "scenes_ready")
    after = (await client.get(f"{API}/comics/{job_id}/scenes")).json()["scenes"]
    assert "friendly dog" in after[1]["visual_elements"]
    assert "dog" in after[1]["description"]
    assert len(after[1]["dialogue"]) == len(before[1]["dialogue"]) + 1
    assert [after[i] for i in (0, 2, 3)] == [before[i] for i in (0, 2, 3)]


async def test_events_stream_progress_until_final(client: httpx.AsyncClient, app: FastAPI) -> None:
    job_id = await scenes_ready(client, app, num_scenes=3)
    listening = asyncio.create_task(client.get(f"{API}/comics/{job_id}/events"))
    await asyncio.sleep(0)  # let the stream send its first event before the job moves on
    assert (await client.post(f"{API}/comics/{job_id}/generate")).status_code == 202
    await settle(app)
    answer = await asyncio.wait_for(listening, timeout=30)
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = [block for block in answer.text.split("\n\n") if block.startswith("event: progress")]
    documents = [json.loads(block.split("data: ", 1)[1]) for block in events]
    progress = [d["progress"] for d in documents]
    assert progress == sorted(progress)
    assert documents[-1]["status"] == "completed" and documents[-1]["progress"] == 100
    assert len({d["step"] for d in documents}) >= 4  # it saw the steps go by, not just the end


async def test_events_of_a_finished_job_end_at_once(client: httpx.AsyncClient, app: FastAPI) -> None:
    job_id, _ = await finished_comic(client, app, num_scenes=1)
    answer = await client.get(f"{API}/comics/{job_id}/events")
    assert answer.text.count("event: progress") == 1
    assert '"status":"completed"' in answer.text


async def test_cancel_stops_a_job_and_is_final(client: httpx.AsyncClient, app: FastAPI) -> None:
    job_id = await scenes_ready(client, app)
    cancelled = await client.post(f"{API}/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = await client.post(f"{API}/jobs/{job_id}/cancel")
    assert again.status_code == 409
    assert (await client.post(f"{API}/comics/{job_id}/generate")).status_code == 409


async def test_cancel_during_rendering_leaves_it_cancelled(client: httpx.AsyncClient, app: FastAPI) -> None:
    job_id = await scenes_ready(client, app, num_scenes=12)
    assert (await client.post(f"{API}/comics/{job_id}/generate")).status_code == 202
    cancelled = await client.post(f"{API}/jobs/{job_id}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    await settle(app)
    status = (await client.get(f"{API}/jobs/{job_id}")).json()
    assert status["status"] == "cancelled"
    assert (await client.get(f"{API}/comics/{job_id}/result")).status_code == 409
