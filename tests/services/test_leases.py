"""A job's lease: of two runs of one job (a worker that was paused, and the one that took over), only the
last to take the lease writes; the other's progress and its end are refused, and its work stops."""

from __future__ import annotations

import asyncio
from pathlib import Path

from app.models.schemas import Comic, Job
from app.services.jobs.runner import JobRunner
from app.storage.data_manager import DataManager
from app.storage.json_backend import JsonBackend


async def test_a_run_that_lost_its_lease_stops_without_writing(tmp_path: Path) -> None:
    data = DataManager(JsonBackend(tmp_path))
    await data.open()
    try:
        comic = await data.create_comic(Comic(title="t", topic="sharing"))
        job = await data.create_job(Job(comic_id=comic.id, topic="sharing", status="running", step="rendering_panels"))
        paused, resumed = JobRunner(data), JobRunner(data)  # two workers' runners
        woke, pausing, reached = asyncio.Event(), asyncio.Event(), []

        async def slow_work(current: Job):  # type: ignore[no-untyped-def]
            async def work() -> None:
                await paused.advance(current.id, progress=10)
                pausing.set()
                await woke.wait()  # paused here while another worker takes the job over
                reached.append("after the pause")
                await paused.advance(current.id, progress=50)  # refused: the lease moved on
                reached.append("wrote after losing the lease")
                await paused.complete(current.id)

            return work()

        async def finishing_work(current: Job):  # type: ignore[no-untyped-def]
            async def work() -> None:
                await resumed.advance(current.id, progress=30)
                await resumed.complete(current.id)

            return work()

        first = asyncio.create_task(paused.run(job.id, slow_work))
        await pausing.wait()  # the first run's first write, then it pauses
        await resumed.run(job.id, finishing_work)  # takes the next lease and finishes the job
        done = await data.get_job(job.id)
        assert (done.status, done.progress, done.lease) == ("completed", 100, 2)
        woke.set()
        await first
        assert reached == ["after the pause"]  # its next write stopped it
        after = await data.get_job(job.id)
        assert after.model_dump() == done.model_dump()  # nothing the stale run did landed
        assert await resumed.take_lease(job.id) is None  # a final job has nothing left to run
    finally:
        await data.close()
