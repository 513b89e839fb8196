"""Jobs survive a stop: on start-up, interrupted work resumes from its last finished step."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from app.factory import create_app
from app.models.api import GenerateScenesRequest
from app.models.schemas import Job
from app.services.providers.offline_art import OfflineImageModel
from config import Settings
from tests.conftest import killed, services

API = "/api/v1"


class StallingImages(OfflineImageModel):
    """Renders `budget` panels, then hangs, as a process would that is about to be stopped."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.stalled = asyncio.Event()

    async def render_panel(self, **kwargs):  # type: ignore[no-untyped-def]
        if self.budget <= 0:
            self.stalled.set()
            await asyncio.Event().wait()
        self.budget -= 1
        return await super().render_panel(**kwargs)


@asynccontextmanager
async def restarted(settings: Settings, *, after: FastAPI | None = None) -> AsyncIterator[FastAPI]:
    """The service started again on the same DATA_DIR, once its resumed work has settled; `after` is a
    service still running there, which is first left as a killed process leaves it."""
    if after is not None:
        killed(services(after).data)
    again = create_app(settings)
    async with again.router.lifespan_context(again):
        await services(again).runner.wait_idle()
        yield again


async def test_generation_resumes_where_it_stopped(settings: Settings) -> None:
    first = create_app(settings.model_copy(update={"max_concurrent_renders": 1}))  # one at a time: exactly 2 finish
    async with first.router.lifespan_context(first):
        stalling = StallingImages(budget=2)
        services(first).pipeline.images = stalling
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=first), base_url="http://t") as client:
            job_id = (
                await client.post(f"{API}/comics/scenes/generate", json={"topic": "safety", "num_scenes": 5})
            ).json()["job_id"]
            await services(first).runner.wait_idle()
            await client.post(f"{API}/comics/{job_id}/generate")
            await stalling.stalled.wait()
            comic_id = (await client.get(f"{API}/jobs/{job_id}")).json()["comic_id"]
            while True:  # the second panel's write may still be landing: wait for its progress signal
                changed = services(first).runner.change_signal(job_id)
                before = await services(first).data.get_comic(comic_id)
                if sum(p.status == "rendered" for p in before.panels) == 2:
                    break
                await asyncio.wait_for(changed.wait(), 10)
            interrupted = (await client.get(f"{API}/jobs/{job_id}")).json()
    assert (interrupted["status"], interrupted["step"]) == ("running", "rendering_panels")
    kept = {p.panel_id: p.image_id for p in before.panels if p.status == "rendered"}
    assert len(kept) == 2

    async with restarted(settings) as second:
        job = await services(second).data.get_job(job_id)
        comic = await services(second).data.get_comic(comic_id)
    assert (job.status, job.step, job.progress) == ("completed", "done", 100)
    assert all(p.status == "rendered" for p in comic.panels)
    assert {p.panel_id: p.image_id for p in comic.panels if p.panel_id in kept} == kept  # not redrawn
    assert [c.image_id for c in comic.characters] == [c.image_id for c in before.characters]


async def test_scene_writing_resumes_and_awaiting_jobs_stay_waiting(settings: Settings, app: FastAPI) -> None:
    data = services(app).data
    comic_job = await services(app).pipeline.start_scenes(GenerateScenesRequest(topic="kindness"))
    await services(app).runner.wait_idle()
    waiting = await data.get_job(comic_job.id)
    interrupted = await data.create_job(
        Job(
            comic_id=waiting.comic_id,
            topic="kindness",
            status="running",
            step="generating_scenes",
            progress=5,
            data={"num_scenes": 2},
        )
    )
    odd = await data.create_job(Job(comic_id=waiting.comic_id, topic="kindness", status="running", step="scenes_ready"))
    await data.update_comic(
        waiting.comic_id,
        lambda c: c.model_copy(  # as every start does: the comic lists them
            update={"job_ids": [*c.job_ids, interrupted.id, odd.id]}
        ),
    )
    await services(app).runner.shutdown()

    async with restarted(settings, after=app) as again:
        resumed = await services(again).data.get_job(interrupted.id)
        still = await services(again).data.get_job(waiting.id)
        failed = await services(again).data.get_job(odd.id)
    assert (resumed.status, resumed.step) == ("awaiting_input", "scenes_ready")
    assert still.model_dump() == waiting.model_dump()
    assert failed.status == "failed" and failed.error is not None
    assert failed.error.code == "resume_failed" and "scenes_ready" in failed.error.message


async def test_a_crashing_step_fails_the_job_with_a_clear_error(settings: Settings, app: FastAPI) -> None:
    class Broken(OfflineImageModel):
        async def render_character(self, **kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("secret internal detail")

    services(app).pipeline.images = Broken()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        job_id = (await client.post(f"{API}/comics/scenes/generate", json={"topic": "safety"})).json()["job_id"]
        await services(app).runner.wait_idle()
        await client.post(f"{API}/comics/{job_id}/generate")
        await services(app).runner.wait_idle()
        status = (await client.get(f"{API}/jobs/{job_id}")).json()
    assert status["status"] == "failed"
    assert status["error"]["code"] == "internal_error"
    assert "secret" not in status["error"]["message"] and "Traceback" not in status["error"]["message"]


async def test_builder_work_interrupted_by_a_stop_resumes_or_ends_clearly(settings: Settings, app: FastAPI) -> None:
    """A render-all job picks up where it stopped; a story cut off mid-stream ends in `error` with
    its partial text, never `streaming` forever."""
    from app.models.api import CreateProjectRequest

    builder, data = services(app).builder, services(app).data
    project = await builder.create(CreateProjectRequest(prompt="crossing the road safely"))
    lines = await builder.start_story(project.id, None)
    story = "".join([json.loads(line).get("story", "") async for line in lines])
    await builder.extract_characters(project.id)
    comic, _ = await builder.plan_panels(project.id)
    render = await data.create_job(
        Job(comic_id=comic.id, kind="render_panels", topic="t", status="running", step="rendering_panels", progress=10)
    )
    writing = await data.create_job(
        Job(comic_id=comic.id, kind="story", topic="t", status="running", step="writing_story")
    )
    await data.update_comic(
        comic.id,
        lambda c: c.model_copy(
            update={"job_ids": [*c.job_ids, render.id, writing.id], "story_status": "streaming", "story": story[:40]}
        ),
    )
    await services(app).runner.shutdown()

    async with restarted(settings, after=app) as again:
        resumed = await services(again).data.get_job(render.id)
        cut = await services(again).data.get_job(writing.id)
        after = await services(again).data.get_comic(comic.id)
    assert (resumed.status, resumed.progress) == ("completed", 100)
    assert all(p.status == "rendered" for p in after.panels)
    assert cut.status == "failed" and cut.error is not None and cut.error.code == "resume_failed"
    assert (after.story_status, after.story) == ("error", story[:40]) and "partial text is kept" in after.story_error
