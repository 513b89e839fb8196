"""The job runner's own promises: progress never goes down, a final job stays final, failures land."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.errors import Conflict, UpstreamError
from app.models.schemas import Job
from app.services.jobs.runner import JobRunner, JobStopped
from app.storage.data_manager import DataManager
from app.storage.json_backend import JsonBackend


@pytest.fixture
async def runner(tmp_path: Path) -> AsyncIterator[JobRunner]:
    data = DataManager(JsonBackend(tmp_path))
    await data.open()
    yield JobRunner(data)
    await data.close()


async def a_job(runner: JobRunner) -> Job:
    return await runner.data.create_job(Job(comic_id="c", topic="t", status="running"))


async def test_progress_never_goes_down(runner: JobRunner) -> None:
    job = await a_job(runner)
    await runner.advance(job.id, progress=50)
    lowered = await runner.advance(job.id, progress=30, step="rendering_panels")
    assert (lowered.progress, lowered.step) == (50, "rendering_panels")


async def test_a_cancelled_job_is_never_changed_by_its_work(runner: JobRunner) -> None:
    job = await a_job(runner)
    await runner.cancel(job.id)
    with pytest.raises(JobStopped):
        await runner.advance(job.id, status="completed", progress=100)
    assert (await runner.data.get_job(job.id)).status == "cancelled"
    with pytest.raises(Conflict):
        await runner.cancel(job.id)


async def test_work_failures_end_on_the_job(runner: JobRunner) -> None:
    job = await a_job(runner)

    async def outage() -> None:
        raise UpstreamError(
            "fal.ai is unavailable (503); retried 5 times", provider="fal", retryable=True, code="provider_unavailable"
        )

    runner.start(job.id, outage())
    await runner.wait_idle()
    failed = await runner.data.get_job(job.id)
    assert failed.status == "failed"
    assert failed.error is not None and failed.error.code == "provider_unavailable"
    assert "fal.ai" in failed.error.message


async def test_change_signal_fires_on_the_next_change_only(runner: JobRunner) -> None:
    job = await a_job(runner)
    signal = runner.change_signal(job.id)
    assert not signal.is_set()
    await runner.advance(job.id, progress=10)
    assert signal.is_set()
    assert not runner.change_signal(job.id).is_set()  # a new waiter waits for the next change


async def test_shutdown_leaves_running_jobs_for_resume(runner: JobRunner) -> None:
    job = await a_job(runner)
    runner.start(job.id, asyncio.Event().wait())
    assert runner.is_running(job.id)
    await runner.shutdown()
    assert (await runner.data.get_job(job.id)).status == "running"
    assert [j.id for j in await runner.data.active_jobs()] == [job.id]
