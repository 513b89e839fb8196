"""Start-up: the work of jobs a stop interrupted is taken up again from their last finished step, or the
job is failed saying why it cannot be, so none is left `running` forever.

One table, by job kind, says how each kind is taken up again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import suppress
from typing import Any, get_args

from app.errors import NotFound
from app.models.schemas import Job, JobKind
from app.services.jobs.runner import JobRunner
from app.services.comics.listed_jobs import NOT_STARTED, ListedJobs
from app.storage.data_manager import DataManager

log = logging.getLogger(__name__)

# Given an interrupted job of its kind: the work that takes it up from its step (CannotResume when that
# step cannot be).
Resume = Callable[[Job], Awaitable[Coroutine[Any, Any, None]]]
STORY_CUT = "the service restarted while the story was being written; the partial text is kept"


class CannotResume(Exception):
    """The job's step cannot be taken up again; the job is failed with `message`."""

    def __init__(self, job: Job, message: str | None = None) -> None:
        self.message = message or (
            f"the service restarted during step '{job.step}', which cannot be resumed; start the comic again"
        )
        super().__init__(self.message)


class Resumer:
    def __init__(
        self, *, data: DataManager, runner: JobRunner, jobs: ListedJobs, wizard: Resume, render_all: Resume
    ) -> None:
        self.data = data
        self.runner = runner
        self.jobs = jobs
        self.by_kind: dict[JobKind, Resume] = {"wizard": wizard, "render_panels": render_all, "story": self._end_story}
        missing = set(get_args(JobKind)) - set(self.by_kind)
        if missing:  # a new kind of job says how it resumes before the service starts
            raise ValueError(f"no way to resume jobs of kind {', '.join(sorted(missing))}")

    async def resume_unfinished(self) -> list[str]:
        """Restart the work of jobs a stop interrupted, from their last finished step; the ids restarted."""
        resumed = []
        for job in await self.data.active_jobs():
            if job.status == "awaiting_input":
                continue
            work = await self.work_for(job)
            if work is None:
                continue
            log.info("resuming job %s at step %s", job.id, job.step)
            self.runner.start(job.id, work)
            resumed.append(job.id)
        return resumed

    async def work_for(self, job: Job) -> Coroutine[Any, Any, None] | None:
        """The work that runs `job` from its step (a start, a resume and a queue worker's run all use it);
        None when it cannot run, and then the job is failed saying why: one its comic does not list was
        never started, and a step that cannot be taken up again ends it."""
        if not await self.jobs.is_listed(job):
            await self.runner.fail(job.id, code="not_started", message=NOT_STARTED)
            return None
        try:
            return await self.by_kind[job.kind](job)
        except CannotResume as cut:
            await self.runner.fail(job.id, code="resume_failed", message=cut.message)
            return None

    async def _end_story(self, job: Job) -> Coroutine[Any, Any, None]:
        """A story streams to the client that asked for it, so it cannot go on without that client: its
        partial text is kept and the story ends in error."""
        with suppress(NotFound):
            await self.data.update_comic(
                job.comic_id,
                lambda c: (
                    c.model_copy(update={"story_status": "error", "story_error": STORY_CUT})
                    if c.story_status == "streaming"
                    else None
                ),
            )
        raise CannotResume(job, STORY_CUT)
