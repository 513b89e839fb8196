"""The service on a really full disk (a 2 MB tmpfs as DATA_DIR): work that cannot write its end still ends,
frees its owner's slot and is written once space returns, without a restart; the real server answers 503
with Retry-After, never 500, and works again when space is freed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.errors import UpstreamError
from app.models.schemas import Job
from config import Settings
from tests.full_disk import fill, tiny_disk  # noqa: F401 - the fixture
from tests.processes import free_port, running
from tests.conftest import services


@pytest.fixture
def settings(tiny_disk: Path) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tiny_disk / "data",
        env="test",
        text_provider="offline",
        image_provider="offline",
        api_keys=[],
        supabase_jwt_secret=None,
        max_active_jobs_per_owner=1,
    )


def stored(settings: Settings, kind: str, record_id: str) -> dict:
    return json.loads((settings.data_dir / kind / f"{record_id}.json").read_bytes())


async def storage_is_back(app: FastAPI) -> None:
    services(app).data.pending.first_delay = services(app).data.pending.max_delay = 0.01  # retry quickly from here
    await asyncio.wait_for(services(app).data.pending.wait_settled(), timeout=30)  # a guard, not a wait


async def test_a_job_failing_on_a_full_disk_frees_its_slot_and_ends_failed_on_disk(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, tiny_disk: Path
) -> None:
    data, runner = services(app).data, services(app).runner
    job = await data.create_job(Job(comic_id="c", topic="road safety", status="running", owner_id=None))
    filler: list[Path] = []

    async def work() -> None:
        filler.append(fill(tiny_disk))  # the disk fills while the job runs
        raise UpstreamError("the artist is unavailable", provider="fal", retryable=True)

    runner.start(job.id, work())
    await runner.wait_idle()
    assert stored(settings, "jobs", job.id)["status"] == "running"  # the failure could not be written
    status = (await client.get(f"/api/v1/jobs/{job.id}")).json()
    assert status["status"] == "failed", status
    assert await services(app).pipeline.quota.busy(None) == 0  # MAX_ACTIVE_JOBS_PER_OWNER=1: the slot is free
    answer = await client.post("/api/v1/comics/scenes/generate", json={"topic": "road safety"})
    assert answer.status_code == 503 and answer.headers["retry-after"], answer.text  # full, not 429

    filler[0].unlink()
    await storage_is_back(app)
    assert stored(settings, "jobs", job.id)["status"] == "failed"
    assert (await client.post("/api/v1/comics/scenes/generate", json={"topic": "road safety"})).status_code == 202


async def test_a_story_whose_end_cannot_be_written_ends_error_and_does_not_block_its_project(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, tiny_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = (await client.post("/api/v1/projects", json={"prompt": "a dog learns to cross the road"})).json()
    text = services(app).pipeline.text
    real = text.stream_story
    filler: list[Path] = []

    async def then_the_disk_fills(**kwargs: object) -> AsyncIterator[str]:
        async for piece in real(**kwargs):
            yield piece
        filler.append(fill(tiny_disk))  # every word arrived; the story's end is what cannot be written

    monkeypatch.setattr(text, "stream_story", then_the_disk_fills)
    answer = await client.post(f"/api/v1/projects/{project['id']}/story", json={})
    assert answer.status_code == 200
    last = json.loads(answer.text.strip().splitlines()[-1])
    assert last["type"] == "error" and "full" in last["message"], last
    assert stored(settings, "comics", project["id"])["story_status"] == "streaming"  # not written yet
    shown = (await client.get(f"/api/v1/projects/{project['id']}")).json()
    assert shown["story_status"] == "error" and shown["story"], shown  # the text is kept
    again = await client.post(f"/api/v1/projects/{project['id']}/story", json={})
    assert again.status_code == 503, again.text  # the disk is full: not 409 (streaming) nor 429 (slot held)

    filler[0].unlink()
    await storage_is_back(app)
    assert stored(settings, "comics", project["id"])["story_status"] == "error"
    story_job = stored(settings, "comics", project["id"])["job_ids"][0]
    assert stored(settings, "jobs", story_job)["status"] == "failed"
    monkeypatch.setattr(text, "stream_story", real)
    written = await client.post(f"/api/v1/projects/{project['id']}/story", json={})
    assert json.loads(written.text.strip().splitlines()[-1])["type"] == "done", written.text


def test_the_real_server_on_a_full_disk_answers_503_stops_starts_and_recovers(tiny_disk: Path, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "ENV": "development",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "DATA_DIR": str(tiny_disk / "data"),
        "TEXT_PROVIDER": "offline",
        "IMAGE_PROVIDER": "offline",
        "OPENAI_API_KEY": "",
        "FAL_KEY": "",
        "STORAGE_BACKEND": "json",
        "API_KEYS": "",
        "MAX_ACTIVE_JOBS_PER_OWNER": "1",
    }
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    with (
        running(["main.py"], env=env, ready=f"{base}/health", log=logs[0]),
        httpx.Client(base_url=f"{base}/api/v1", timeout=30) as api,
    ):
        project = api.post("/projects", json={"prompt": "a dog learns to cross the road"}).json()
        assert json.loads(api.post(f"/projects/{project['id']}/story", json={}).text.splitlines()[-1])["type"] == "done"
        cast = api.post(f"/projects/{project['id']}/characters/extract").json()["characters"]
        sheet = api.post(f"/projects/{project['id']}/characters/{cast[0]['id']}/render").json()
        assert sheet["image_id"], sheet  # an image in the index's journal, not yet in its snapshot
        project = api.get(f"/projects/{project['id']}").json()
        filler = fill(tiny_disk)
        writes = [
            api.post("/projects", json={"prompt": "a cat learns to swim"}),
            api.patch(f"/projects/{project['id']}", json={"version": project["version"], "title": "Dogs"}),
            api.post(f"/projects/{project['id']}/story", json={}),
            api.post(f"/projects/{project['id']}/characters/{cast[0]['id']}/render"),
            api.post("/comics/scenes/generate", json={"topic": "road safety"}),
            api.post("/projects", json={"prompt": "a cat learns to swim"}, headers={"Idempotency-Key": "k-1"}),
        ]
        for answer in writes:
            assert answer.status_code == 503, (answer.request.url, answer.status_code, answer.text)
            assert int(answer.headers["retry-after"]) > 0
        reads = [
            api.get(f"/projects/{project['id']}"),
            api.get("/projects"),
            api.get("/storage/stats"),
            api.get(f"/images/{sheet['image_id']}"),
            httpx.get(f"{base}/health", timeout=30),
        ]
        assert [r.status_code for r in reads] == [200] * 5, [r.text[:200] for r in reads]
    # Stopped on the full disk, and started again on it: the image index cannot fold its journal, and
    # neither stop nor start may fail for that.
    with (
        running(["main.py"], env=env, ready=f"{base}/health", log=logs[1]),
        httpx.Client(base_url=f"{base}/api/v1", timeout=30) as api,
    ):
        assert api.get(f"/images/{sheet['image_id']}").status_code == 200
        assert api.post("/projects", json={"prompt": "a cat learns to swim"}).status_code == 503
        filler.unlink()  # space again, without a restart
        assert api.post("/projects", json={"prompt": "a cat learns to swim"}).status_code == 201
        story = api.post(f"/projects/{project['id']}/story", json={})
        assert json.loads(story.text.strip().splitlines()[-1])["type"] == "done", story.text
        assert api.post("/comics/scenes/generate", json={"topic": "road safety"}).status_code == 202
    for log in logs:
        output = log.read_text()
        assert "Traceback" not in output and " 500 " not in output, output[-3000:]
