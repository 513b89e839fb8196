"""Rendering every panel a comic still needs: the builder's "render all" job, and the wizard's panel step.

MAX_CONCURRENT_RENDERS workers claim panels one at a time, so at most that many are in flight, and a
panel's outcome shares its comic write with the next panel's claim (and whatever else is queued), so the
writes stay fewer than the panels.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from app.errors import Conflict, InvalidInput, NotFound, UpstreamError
from app.models.schemas import Comic, Job
from app.services.comics.comic_writes import Change, ComicWrites
from app.services.jobs.queue import JobQueue
from app.services.jobs.runner import JobQuota, JobRunner, first_leaf
from app.services.comics.listed_jobs import ListedJobs
from app.services.comics.live_renders import LiveRenders
from app.services.comics.rendering import Renderer, claim_panel, stopped_panels
from app.services.comics.resume import CannotResume
from app.storage.data_manager import DataManager

log = logging.getLogger(__name__)


@dataclass
class _RenderRun:
    """One render-all's counts: panels in all, done (rendered or given up), attempted, and in flight."""

    total: int
    done: int
    attempted: int
    failures: list[str] = field(default_factory=list)
    in_flight: set[str] = field(default_factory=set)


class RenderAll:
    def __init__(
        self,
        *,
        data: DataManager,
        runner: JobRunner,
        quota: JobQuota,
        queue: JobQueue,
        jobs: ListedJobs,
        renderer: Renderer,
        max_concurrent_renders: int,
    ) -> None:
        self.data = data
        self.runner = runner
        self.quota = quota
        self.queue = queue
        self.jobs = jobs
        self.renderer = renderer
        self.max_concurrent_renders = max_concurrent_renders

    @property
    def renders(self) -> LiveRenders:
        return self.renderer.renders

    @property
    def writes(self) -> ComicWrites:
        return self.renderer.writes

    async def start(self, comic_id: str) -> Job:
        """A job that renders every panel still missing or stale (the builder's "render all")."""
        self.renders.refuse_if_closing(comic_id)
        comic = await self.data.get_comic(comic_id)
        if not comic.panels:
            raise Conflict("this project has no panels yet: plan them first (POST .../panels/generate)")
        for job_id in reversed(comic.job_ids):
            earlier = await self.data.get_job(job_id)
            if earlier.kind == "render_panels" and not earlier.is_final:
                raise Conflict(f"panels are already being rendered by job {earlier.id} ({earlier.progress}%)")
        async with self.quota.admit(comic.owner_id):
            job, _ = await self.jobs.create(
                Job(
                    comic_id=comic.id,
                    kind="render_panels",
                    topic=comic.topic,
                    step="rendering_panels",
                    owner_id=comic.owner_id,
                ),
                listed_by=lambda job: self.data.update_comic(
                    comic.id, lambda c: c.model_copy(update={"job_ids": [*c.job_ids, job.id]})
                ),
            )
            await self.queue.submit(job)
        return job

    async def _work(self, job_id: str) -> None:
        job = await self.runner.advance(job_id, status="running", step="rendering_panels")
        await self.render_panels(job_id, job.comic_id, span=(0, 99))
        await self.runner.advance(job_id, status="completed", step="done", progress=100)

    async def resume(self, job: Job) -> Coroutine[Any, Any, None]:
        """The work that takes an interrupted render-all up again (it skips the panels already rendered)."""
        if job.step != "rendering_panels":
            raise CannotResume(job)
        return self._work(job.id)

    async def render_panels(self, job_id: str, comic_id: str, *, span: tuple[int, int]) -> None:
        """Render every panel not rendered yet, or stale, reporting progress through `span` of the job's.
        One failing panel does not stop the others; only when every one fails does the job fail. A cancel
        puts the panels in flight back."""
        comic = await self.data.get_comic(comic_id)
        todo = deque(p.panel_id for p in comic.panels if p.status != "rendered" or p.stale)
        run = _RenderRun(total=len(comic.panels), done=len(comic.panels) - len(todo), attempted=len(todo))
        del comic  # the workers read each panel from the comic its claim returns

        def claim_next() -> tuple[str, asyncio.Future[Comic]] | None:
            if not todo:
                return None
            panel_id = todo.popleft()
            self.renders.hold(comic_id, panel_id)
            run.in_flight.add(panel_id)
            return panel_id, self.writes.submit(comic_id, claim_panel(panel_id))

        async def finish(panel_id: str, outcome: Change) -> None:
            try:
                await self.writes.update(comic_id, outcome)
            except Exception as exc:
                run.failures.append(getattr(exc, "message", "the panel could not be saved"))
                await self.renderer.write_stop(comic_id, [panel_id], exc)
                if isinstance(exc, NotFound) and not await self.data.comic_exists(comic_id):
                    raise
            finally:
                run.in_flight.discard(panel_id)
                self.renders.release(comic_id, panel_id)
            run.done += 1
            await self.runner.report(job_id, span=span, done=run.done, total=run.total)

        async def worker() -> None:
            claimed = claim_next()
            while claimed is not None:
                panel_id, claim = claimed
                try:
                    outcome = await self.renderer.draw(await asyncio.shield(claim), panel_id)
                except Exception as exc:
                    if isinstance(exc, NotFound) and not await self.data.comic_exists(comic_id):
                        raise
                    if not isinstance(exc, (UpstreamError, InvalidInput)):
                        log.warning(
                            "comic %s: panel %s stopped: %s",
                            comic_id,
                            panel_id,
                            getattr(exc, "message", exc.__class__.__name__),
                        )
                    run.failures.append(getattr(exc, "message", "the panel could not be drawn"))
                    outcome = stopped_panels([panel_id], exc)
                claimed = claim_next()  # queued beside this outcome, so one write carries both
                await finish(panel_id, outcome)

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(self.max_concurrent_renders, len(todo))):
                    group.create_task(worker())
        except BaseException as exc:
            stopped = list(run.in_flight)
            if stopped:
                await asyncio.shield(self.renderer.write_stop(comic_id, stopped, first_leaf(exc)))
            for panel_id in stopped:
                self.renders.release(comic_id, panel_id)
            raise
        if run.attempted and len(run.failures) >= run.attempted:
            provider = self.renderer.providers.images.name
            raise UpstreamError(
                f"every panel failed to render; the first error: {run.failures[0]}",
                provider=provider,
                retryable=True,
                code="render_failed",
            )
