"""Where a started job goes to run (JOB_QUEUE).

A start writes the job (admitted against the owner's limit under `owner_lock`), lists it on its comic, then
`submit`s it. Every run is a resume: the work is rebuilt from the job as stored, by its kind and step
(comics/resume.py), so a job run here, on a worker, or again after a crash runs the same way.

- `InProcessQueue` (inprocess, the default): the job runs as a task of this process.
- `ProcrastinateQueue` (procrastinate): the job is deferred to procrastinate's queue in PostgreSQL, with a
  queueing lock per job (never queued twice) and a lock per comic (one running job a comic); workers
  (`python -m app.cli worker`, jobs/worker.py) run it. API instances never run jobs.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any, Protocol

from app.errors import StorageError

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool
from app.infra.locks import KeyedLocks
from app.models.schemas import Job
from app.services.jobs.runner import JobRunner, WorkFor

log = logging.getLogger(__name__)


class JobQueue(Protocol):
    runs_jobs: bool  # whether this process runs what it submits (and so resumes interrupted jobs at start-up)

    def owner_lock(self, owner_id: str | None) -> AbstractAsyncContextManager[None]:
        """Held while an owner's busy jobs are counted and a new one is written, by every process that
        starts jobs: two requests racing for the owner's last slot cannot both get it."""
        ...

    async def submit(self, job: Job) -> None:
        """Hand a written, listed job to whatever runs it."""
        ...

    async def stop(self, job_id: str) -> None:
        """Stop the job's work wherever it runs (its final status is already written)."""
        ...


class InProcessQueue:
    runs_jobs = True

    def __init__(self, runner: JobRunner) -> None:
        self.runner = runner
        self.work_for: WorkFor | None = None  # set once the pieces that know each kind's work are built
        self._locks = KeyedLocks()

    def owner_lock(self, owner_id: str | None) -> AbstractAsyncContextManager[None]:
        return self._locks.hold(owner_id)

    async def submit(self, job: Job) -> None:
        if self.work_for is None:
            raise RuntimeError("the queue was built without the work of each kind of job")
        work = await self.work_for(job)
        if work is not None:
            self.runner.start(job.id, work)

    async def stop(self, job_id: str) -> None:
        await self.runner.stop(job_id)


class ProcrastinateQueue:
    """Jobs go to procrastinate's queue; the SQL functions are in the migration (storage/sql_schema.py)."""

    runs_jobs = False

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self.pool = pool

    @asynccontextmanager
    async def owner_lock(self, owner_id: str | None) -> AsyncIterator[None]:
        # A transaction-scoped advisory lock: released at commit or rollback, and by the server when this
        # process dies, so a killed API instance never leaves an owner locked.
        held = AsyncExitStack()
        try:
            conn = await held.enter_async_context(self.pool.connection())
            await held.enter_async_context(conn.transaction())
            await conn.execute(
                "select pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"fable-owner:{owner_id or ''}",)
            )
        except _database_errors() as exc:
            await _quietly(held)
            raise StorageError(f"the job queue's database could not be reached: {type(exc).__name__}") from None
        except BaseException:
            await _quietly(held)
            raise
        try:
            yield
        finally:
            await _quietly(held)  # a lost connection has released the lock with it

    async def submit(self, job: Job) -> None:
        async with self.pool.connection() as conn:
            try:
                await conn.execute("select public.fable_defer_job(%s, %s)", (job.id, job.comic_id))
            except _database_errors() as exc:
                # The job is written and admitted: a worker's sweeper queues it (see worker.py), so the
                # request still answers with the job; it just starts a little later.
                log.warning(
                    "job %s: could not be queued now (%s); the workers' sweeper will", job.id, type(exc).__name__
                )

    async def stop(self, job_id: str) -> None:
        try:
            async with self.pool.connection() as conn:
                await conn.execute("select public.fable_abort_job(%s)", (job_id,))
        except _database_errors() as exc:
            # Its status is already final: the worker's next write of progress stops the work anyway.
            log.warning("job %s: its run could not be aborted now (%s)", job_id, type(exc).__name__)


async def _quietly(held: AsyncExitStack) -> None:
    try:
        await held.aclose()
    except _database_errors() as exc:
        log.warning("the job queue's owner lock ended with %s (released with its connection)", type(exc).__name__)


@functools.cache
def _database_errors() -> tuple[type[BaseException], ...]:
    """What a lost or refused database connection raises (psycopg is loaded only where a queue is used)."""
    import psycopg
    from psycopg_pool import PoolTimeout

    return (psycopg.Error, PoolTimeout, OSError)
