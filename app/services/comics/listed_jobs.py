"""Jobs listed by their comic. A job is written first, then the comic that lists it in job_ids; a job its
comic does not list was never started (the request that made it answered an error), and resuming fails it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from app.errors import FableError, NotFound
from app.models.schemas import Comic, Job
from app.services.jobs.runner import JobRunner
from app.storage.data_manager import DataManager

NOT_STARTED = "the request that made this job was refused before the job started; nothing was done"


class ListedJobs:
    def __init__(self, *, data: DataManager, runner: JobRunner) -> None:
        self.data = data
        self.runner = runner

    async def create(self, job: Job, *, listed_by: Callable[[Job], Awaitable[Comic]]) -> tuple[Job, Comic]:
        """Write a new job, then (`listed_by`) the comic that lists it in job_ids. When that second write is
        refused (a conflict, a full disk), the job is taken back, so a request that answered an error leaves
        nothing queued to hold a slot or to run after a restart; resume also fails any job its comic does
        not list, for a take-back that storage refused too."""
        job = await self.data.create_job(job)
        try:
            return job, await listed_by(job)
        except BaseException:
            await asyncio.shield(self._take_back(job.id))
            raise

    async def _take_back(self, job_id: str) -> None:
        try:
            await self.data.delete_job(job_id)
        except FableError:  # ended instead: a held failure frees the owner's slot at once
            await self.runner.fail(job_id, code="not_started", message=NOT_STARTED)

    async def is_listed(self, job: Job) -> bool:
        """Whether the job's comic lists it: one it does not list was never started (see create)."""
        try:
            return job.id in (await self.data.get_comic(job.comic_id)).job_ids
        except NotFound:
            return False
