"""A queue worker (JOB_QUEUE=procrastinate): `python -m app.cli worker` runs the jobs API instances queue.

Each queue entry names a job; running it is a resume (JobRunner.run: take the job's lease, build its work
from its kind and step, run it to its end). A sweeper loop runs beside the worker in every worker process:

- procrastinate's stalled entries (their worker stopped heartbeating: killed, partitioned) are put back
  in the queue, and stalled workers are pruned, so a paused one that wakes finds it was replaced;
- job rows still queued or running with no live queue entry (a kill between admission and queueing, a
  worker shut down mid-job, an entry a woken worker marked finished while another ran it) are queued
  again; the job's lease keeps two runs from both writing;
- a story (streamed by the API instance that started it) left running by an instance that died is ended,
  its partial text kept.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from procrastinate import App, PsycopgConnector
from psycopg_pool import AsyncConnectionPool

from app.errors import FableError
from app.services.jobs.queue import ProcrastinateQueue
from app.services.jobs.runner import JobRunner, WorkFor
from app.storage.data_manager import DataManager
from app.storage.sql_schema import QUEUE, RUN_JOB_TASK
from utils import utcnow

log = logging.getLogger(__name__)


QUEUED_GRACE = timedelta(seconds=10)  # an admitted job is queued by its request within this
STORY_STALE = timedelta(minutes=10)  # a story streams for a minute or two; one running this long has no stream


class QueueWorker:
    def __init__(
        self,
        *,
        dsn: str,
        data: DataManager,
        runner: JobRunner,
        work_for: WorkFor,
        concurrency: int,
        heartbeat_seconds: float = 5.0,
        stalled_after_seconds: float = 20.0,
        sweep_seconds: float = 5.0,
    ) -> None:
        self.data = data
        self.runner = runner
        self.work_for = work_for
        self.concurrency = concurrency
        self.heartbeat_seconds = heartbeat_seconds
        self.stalled_after_seconds = stalled_after_seconds
        self.sweep_seconds = sweep_seconds
        self.dsn = dsn
        self.app = App(connector=PsycopgConnector(conninfo=dsn, min_size=1, max_size=4))
        self.app.task(name=RUN_JOB_TASK, queue=QUEUE)(self._run_job)

    async def _run_job(self, job_id: str) -> None:
        await self.runner.run(job_id, self.work_for)

    async def run(self) -> None:
        """Run queued jobs until cancelled; on cancel, jobs in flight get a few seconds to end, then stop
        (their rows stay running, and a sweeper queues them again)."""
        async with (
            AsyncConnectionPool(self.dsn, min_size=1, max_size=2, open=False) as pool,
            self.app.open_async(),
        ):
            sweeper = asyncio.create_task(self._sweep_forever(ProcrastinateQueue(pool)), name="queue-sweeper")
            try:
                await self.app.run_worker_async(
                    queues=[QUEUE],
                    concurrency=self.concurrency,
                    wait=True,
                    install_signal_handlers=False,
                    listen_notify=True,
                    update_heartbeat_interval=self.heartbeat_seconds,
                    stalled_worker_timeout=self.stalled_after_seconds,
                    shutdown_graceful_timeout=5.0,
                    delete_jobs="never",
                )
            finally:
                sweeper.cancel()
                await asyncio.gather(sweeper, return_exceptions=True)

    async def _sweep_forever(self, queue: ProcrastinateQueue) -> None:
        while True:
            try:
                await self.sweep(queue)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one failed sweep (the database away a moment) is not the last
                log.warning("queue sweep failed: %s: %s", type(exc).__name__, getattr(exc, "message", exc))
            await asyncio.sleep(self.sweep_seconds)

    async def sweep(self, queue: ProcrastinateQueue) -> dict[str, int]:
        """One pass; what it did, by kind."""
        manager = self.app.job_manager
        done = {"requeued_stalled": 0, "requeued_rows": 0, "stories_ended": 0}
        for stalled in await manager.get_stalled_jobs(seconds_since_heartbeat=self.stalled_after_seconds):
            if stalled.id is None:
                continue
            try:
                await manager.retry_job_by_id_async(stalled.id, retry_at=utcnow())
                done["requeued_stalled"] += 1
            except Exception as exc:  # another worker's sweeper took it first
                log.info("stalled queue entry %s not put back: %s", stalled.id, type(exc).__name__)
        await manager.prune_stalled_workers(seconds_since_heartbeat=self.stalled_after_seconds)

        now = utcnow()
        unfinished = [j for j in await self.data.active_jobs() if j.status in ("queued", "running")]
        stories = [j for j in unfinished if j.kind == "story" and now - j.created_at > STORY_STALE]
        for story in stories:
            try:
                await self.work_for(story)  # a story cannot go on without its stream: it is ended, text kept
                done["stories_ended"] += 1
            except FableError as exc:
                log.warning("story job %s could not be ended: %s", story.id, exc.message)
        quiet = [j for j in unfinished if j.kind != "story" and now - j.updated_at > QUEUED_GRACE]
        if quiet:
            async with queue.pool.connection() as conn:
                cursor = await conn.execute("select public.fable_queued_job_ids(%s)", ([job.id for job in quiet],))
                live = {row[0] for row in await cursor.fetchall()}
            for job in quiet:
                if job.id not in live:
                    log.info("job %s is %s with no queue entry: queued again", job.id, job.status)
                    await queue.submit(job)
                    done["requeued_rows"] += 1
        return done
