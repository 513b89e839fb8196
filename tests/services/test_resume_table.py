"""Resuming by job kind (app/services/comics/resume.py) and the wizard's table of steps (wizard_steps.py): an
interrupted job is taken up at the step it was in, from what its typed payload kept, or failed saying why."""

from __future__ import annotations

from typing import Any, get_args

from fastapi import FastAPI

from app.models.api import GenerateScenesRequest
from app.models.schemas import Job, JobKind
from config import Settings
from tests.services.test_resume import restarted
from tests.conftest import services


async def scenes_awaiting_review(app: FastAPI) -> Job:
    job = await services(app).pipeline.start_scenes(GenerateScenesRequest(topic="kindness", num_scenes=3))
    await services(app).runner.wait_idle()
    return await services(app).data.get_job(job.id)


async def interrupt(app: FastAPI, job: Job, *, step: str, data: dict[str, Any]) -> None:
    """Leave the job `running` at `step` with `data` as the previous version stored it, then stop."""
    await services(app).data.update_job(
        job.id, lambda j: Job.model_validate({**j.model_dump(), "status": "running", "step": step, "data": data})
    )
    await services(app).runner.shutdown()


def test_every_kind_of_job_has_a_way_to_resume(app: FastAPI) -> None:
    assert set(services(app).pipeline.resumer.by_kind) == set(get_args(JobKind))


async def test_an_interrupted_refinement_is_redone_from_the_request_its_job_kept(
    settings: Settings, app: FastAPI
) -> None:
    job = await scenes_awaiting_review(app)
    before = await services(app).data.get_comic(job.comic_id)
    ask = {"feedback": "make it funnier", "scene_ids": [before.scenes[1].scene_id]}
    await interrupt(app, job, step="refining_scenes", data={"num_scenes": 3, "refine": ask})

    async with restarted(settings, after=app) as again:
        resumed = await services(again).data.get_job(job.id)
        after = await services(again).data.get_comic(job.comic_id)
    assert (resumed.status, resumed.step) == ("awaiting_input", "scenes_ready")
    assert len(after.scenes[1].dialogue) == len(before.scenes[1].dialogue) + 1  # the joke the feedback asked for
    assert [after.scenes[0], after.scenes[2]] == [before.scenes[0], before.scenes[2]]


async def test_a_refinement_whose_request_was_not_kept_fails_saying_so(settings: Settings, app: FastAPI) -> None:
    job = await scenes_awaiting_review(app)
    await interrupt(app, job, step="refining_scenes", data={"num_scenes": 3})

    async with restarted(settings, after=app) as again:
        failed = await services(again).data.get_job(job.id)
    assert failed.status == "failed" and failed.error is not None
    assert failed.error.code == "resume_failed" and "'refining_scenes'" in failed.error.message


async def test_generation_resumes_at_its_step_and_runs_the_steps_after_it_in_order(
    settings: Settings, app: FastAPI
) -> None:
    job = await scenes_awaiting_review(app)
    await services(app).data.update_comic(job.comic_id, lambda c: c.model_copy(update={"status": "rendering"}))
    await interrupt(app, job, step="generating_panels", data={"num_scenes": 3})

    async with restarted(settings, after=app) as again:
        done = await services(again).data.get_job(job.id)
        comic = await services(again).data.get_comic(job.comic_id)
    assert (done.status, done.step, done.progress) == ("completed", "done", 100)
    assert comic.status == "completed" and comic.panels and all(p.status == "rendered" for p in comic.panels)
    # resumed after rendering_characters: that step is not run again, so no sheet was drawn
    assert comic.characters and all(c.image_id is None for c in comic.characters)
