"""The job runner: background asyncio work with persisted status, progress and change signals.

Every status change is written before it is announced. Progress never goes down. A job that is final
(completed, failed, cancelled) is never changed by its work again, so a cancel always wins.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Any
from collections.abc import Callable

from app.errors import Conflict, FableError, NotFound, TooBusy
from app.models.schemas import Job, JobError, JobStep
from app.infra.locks import KeyedLocks
from app.infra.usage import Usage, current_usage
from app.storage.data_manager import DataManager

log = logging.getLogger(__name__)

# The work that runs a job from its step, or None when the job cannot be run (it was failed saying why).
WorkFor = Callable[[Job], Awaitable[Coroutine[Any, Any, None] | None]]


class JobStopped(Conflict):
    """The job is already final; its work must stop."""


def first_leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


class JobRunner:
    def __init__(self, data: DataManager) -> None:
        self.data = data
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._signals: dict[str, asyncio.Event] = {}
        self._leases: dict[str, int] = {}  # job id -> the lease this process's run of it holds
        # With a job queue, jobs run on workers: a cancel also aborts the run there (jobs/queue.py).
        self.stop_elsewhere: Callable[[str], Awaitable[None]] | None = None

    # -- leases ---------------------------------------------------------------------------------
    async def take_lease(self, job_id: str) -> Job | None:
        """Take the job for a run of its work: the next lease, written compare-and-swap, so of two runs
        (a worker that was paused, and the one that took over) only the last to take it may write. None
        when the job is already final: there is nothing to run."""

        def mutate(job: Job) -> Job | None:
            if job.is_final:
                return None
            job.lease += 1
            return job

        job = await self.data.update_job(job_id, mutate)
        if job.is_final:
            return None
        self._leases[job_id] = job.lease
        return job

    def _lost_lease(self, job: Job) -> bool:
        held = self._leases.get(job.id)
        return held is not None and job.lease != held

    def _check_lease(self, job: Job) -> None:
        if self._lost_lease(job):
            raise JobStopped(f"job {job.id} was taken over by another run (lease {job.lease})")

    # -- state changes --------------------------------------------------------------------------
    async def update_with(self, job_id: str, mutate: Callable[[Job], Job | None]) -> Job:
        job = await self.data.update_job(job_id, mutate)
        self.notify(job_id)
        return job

    async def advance(self, job_id: str, **changes: Any) -> Job:
        """Apply the work's progress to a job that is still live; progress only ever goes up."""

        def mutate(job: Job) -> Job:
            if job.is_final:
                raise JobStopped(f"job {job_id} is already {job.status}")
            self._check_lease(job)
            floor = job.progress
            for name, value in changes.items():
                setattr(job, name, value)
            job.progress = max(floor, job.progress)
            return job

        return await self.update_with(job_id, mutate)

    async def report(self, job_id: str, *, span: tuple[int, int], done: int, total: int) -> None:
        """Progress `done` of `total` through a step that owns `span` (from, to) of the job's 0-100."""
        low, high = span
        await self.advance(job_id, progress=low + (high - low) * done // max(1, total))

    async def fail(self, job_id: str, *, code: str, message: str) -> None:
        """End a live job as failed. When storage refuses the write now (a full disk), the failure is held:
        reads and the quota see the job failed at once, and the write is retried until it lands."""

        def mutate(job: Job) -> Job | None:
            if job.is_final or self._lost_lease(job):
                return None
            job.status, job.error = "failed", JobError(code=code, message=message)
            return job

        await self.data.update_eventually("job", job_id, mutate)
        self.notify(job_id)

    async def complete(self, job_id: str, *, step: JobStep = "done") -> None:
        """End a live job as completed; held and retried like a failure when storage refuses it now."""

        def mutate(job: Job) -> Job | None:
            if job.is_final or self._lost_lease(job):
                return None
            job.status, job.step, job.progress = "completed", step, 100
            return job

        await self.data.update_eventually("job", job_id, mutate)
        self.notify(job_id)

    async def cancel(self, job_id: str) -> Job:
        def mutate(job: Job) -> Job:
            if job.is_final:
                raise Conflict(f"job {job_id} is already {job.status} and cannot be cancelled")
            job.status = "cancelled"
            return job

        job = await self.update_with(job_id, mutate)
        await self.stop(job_id)
        return job

    async def stop(self, job_id: str) -> None:
        """Cancel the job's work, if it runs, and wait until it has ended (its status is not touched)."""
        task = self._tasks.get(job_id)
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        if self.stop_elsewhere is not None:
            await self.stop_elsewhere(job_id)

    # -- running work ---------------------------------------------------------------------------
    def start(self, job_id: str, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(self._guard(job_id, work), name=f"job-{job_id}")
        self._tasks[job_id] = task

        def finished(done: asyncio.Task[None]) -> None:
            if self._tasks.get(job_id) is done:
                del self._tasks[job_id]
            work.close()  # a task cancelled before it ran never started its work: release it

        task.add_done_callback(finished)

    async def run(self, job_id: str, work_for: WorkFor) -> None:
        """Run one job's work in the calling task (a queue worker's), to its end: take the job's lease, build
        the work from the job as leased (`work_for` dispatches on its kind and step, so every run is a
        resume), and run it as `start` would. A job already final, or deleted, has nothing to run."""
        try:
            job = await self.take_lease(job_id)
        except NotFound:
            return
        if job is None:
            return
        task = asyncio.current_task()
        if task is not None:
            self._tasks[job_id] = task
        try:
            work = await work_for(job)
            if work is not None:
                await self._guard(job_id, work)
        finally:
            if self._tasks.get(job_id) is task:
                del self._tasks[job_id]
            if self._leases.get(job_id) == job.lease:
                del self._leases[job_id]

    def is_running(self, job_id: str) -> bool:
        return job_id in self._tasks

    async def _guard(self, job_id: str, work: Coroutine[Any, Any, None]) -> None:
        usage = Usage()
        current_usage.set(usage)  # this task's own context: vendor calls made by the work count here
        try:
            await work
            await self._add_usage(job_id, usage)
        except asyncio.CancelledError:
            raise  # a cancel has already written its status; a shutdown leaves the job to resume
        except BaseException as raised:
            exc = first_leaf(raised)
            if isinstance(exc, JobStopped):
                return
            await self._add_usage(job_id, usage)
            if isinstance(exc, FableError):
                log.warning("job %s failed: %s", job_id, exc.message)
                await self._fail_quietly(job_id, code=exc.code, message=exc.message)
            elif isinstance(exc, Exception):
                log.error("job %s crashed", job_id, exc_info=exc)
                await self._fail_quietly(
                    job_id,
                    code="internal_error",
                    message="An unexpected error stopped this job. It has been logged; "
                    "try again, and report it if it keeps happening.",
                )
            else:
                raise

    async def _add_usage(self, job_id: str, usage: Usage) -> None:
        """Add what this run spent to the job's running total (a resumed job keeps its earlier runs)."""
        spent = usage.as_dict()
        if not any(spent.values()):
            return

        def mutate(job: Job) -> Job:
            job.data = job.data.with_spent(**spent)
            return job

        try:
            await self.data.update_job(job_id, mutate)
        except FableError as exc:
            log.error("job %s: could not record its usage: %s", job_id, exc.message)

    async def _fail_quietly(self, job_id: str, *, code: str, message: str) -> None:
        """Record the failure; a storage error holds it for a background retry (see fail), anything else
        (the job was deleted meanwhile) is logged."""
        try:
            await self.fail(job_id, code=code, message=message)
        except FableError as exc:
            log.error("job %s: could not record its failure: %s", job_id, exc.message)

    async def shutdown(self) -> None:
        """Stop all work; the jobs stay `running` on disk and resume at the next start-up."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def wait_idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    # -- change signals (SSE, WebSocket) --------------------------------------------------------
    def change_signal(self, job_id: str) -> asyncio.Event:
        """An event set at the next change of this job. Take it before reading the job."""
        return self._signals.setdefault(job_id, asyncio.Event())

    def notify(self, job_id: str) -> None:
        signal = self._signals.pop(job_id, None)
        if signal is not None:
            signal.set()

    def notify_all(self) -> None:
        """Wake every waiter (anything may have changed: live updates were cut off for a while)."""
        signals, self._signals = self._signals, {}
        for signal in signals.values():
            signal.set()


BUSY_STATUSES = frozenset({"queued", "running"})  # awaiting_input waits on the user and holds nothing


class JobQuota:
    """At most `limit` queued or running jobs per owner (MAX_ACTIVE_JOBS_PER_OWNER).

    The count comes from storage, so it covers every kind of job (a streaming story too) and jobs
    resumed after a restart; a job whose failure is held for a retry is already failed there
    (DataManager.active_jobs), so it frees its slot at once. Counting and starting happen under the
    owner's lock, so two requests racing for the last slot cannot both get it.
    """

    RETRY_AFTER_SECONDS = 10

    def __init__(
        self,
        data: DataManager,
        limit: int | None,
        *,
        owner_lock: Callable[[str | None], AbstractAsyncContextManager[None]] | None = None,
    ) -> None:
        self.data = data
        self.limit = limit
        # in-process by default; the job queue's owner lock holds across every process that starts jobs
        self._owner_lock = owner_lock or KeyedLocks().hold

    async def busy(self, owner_id: str | None) -> int:
        return sum(
            1 for job in await self.data.active_jobs() if job.status in BUSY_STATUSES and job.owner_id == owner_id
        )

    @asynccontextmanager
    async def admit(self, owner_id: str | None) -> AsyncIterator[None]:
        """Enter to start one job for `owner_id`: TooBusy when they already run `limit`."""
        if self.limit is None:
            yield
            return
        async with self._owner_lock(owner_id):
            running = await self.busy(owner_id)
            if running >= self.limit:
                raise TooBusy(
                    f"{running} of your jobs are already running, the most allowed at once "
                    f"(MAX_ACTIVE_JOBS_PER_OWNER={self.limit}); try again when one finishes",
                    retry_after=self.RETRY_AFTER_SECONDS,
                )
            yield
