"""The wizard job's work: write the scenes, rewrite them on feedback, then generate the comic step by step
(character sheets and the panel plan, the panels, assembling).

Every step persists its output before the job moves on, and skips what is already done, so a job
interrupted anywhere resumes from its last finished step.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from app.errors import Conflict
from app.models.schemas import Character, Comic, Job, JobStep, WizardPayload, WrittenScene
from app.services.comics.catalog import default_cast
from app.services.jobs.runner import JobRunner
from app.services.comics.panel_planner import PanelPlanner
from app.services.providers.protocols import Providers
from app.services.comics.render_all import RenderAll
from app.services.comics.rendering import Renderer
from app.services.comics.resume import CannotResume
from app.storage.data_manager import DataManager

log = logging.getLogger(__name__)

# Each step's share of the job's 0-100 progress: (where it starts, where it ends).
PROGRESS: dict[str, tuple[int, int]] = {
    "generating_scenes": (0, 25),
    "scenes_ready": (25, 25),
    "refining_scenes": (25, 25),
    "rendering_characters": (25, 45),
    "generating_panels": (45, 55),
    "rendering_panels": (55, 95),
    "assembling": (95, 99),
    "done": (100, 100),
}
Step = Callable[[Job], Awaitable[None]]


class WizardSteps:
    def __init__(
        self,
        *,
        data: DataManager,
        runner: JobRunner,
        providers: Providers,
        planner: PanelPlanner,
        renderer: Renderer,
        render_all: RenderAll,
    ) -> None:
        self.data = data
        self.runner = runner
        self.providers = providers
        self.planner = planner
        self.renderer = renderer
        self.render_all = render_all
        # Generating the comic, in order; a resumed job starts again at the step it was in.
        self.generation: dict[JobStep, Step] = {
            "rendering_characters": self._draw_cast_and_plan,
            "generating_panels": self._plan_panels,
            "rendering_panels": self._render_panels,
            "assembling": self._assemble,
        }

    async def resume(self, job: Job) -> Coroutine[Any, Any, None]:
        """The work that takes an interrupted wizard job up again from its step."""
        if job.step == "generating_scenes":
            return self.write_scenes(job.id)
        if job.step == "refining_scenes" and job.payload(WizardPayload).refine is not None:
            return self.refine(job.id)
        if job.step in self.generation:
            return self.generate(job.id)
        raise CannotResume(job)

    # -- scenes -------------------------------------------------------------------------------------
    async def write_scenes(self, job_id: str) -> None:
        job = await self.runner.advance(job_id, status="running", step="generating_scenes", progress=5)
        comic = await self.data.get_comic(job.comic_id)
        cast = comic.characters or default_cast(comic.topic)
        scenes = await self.providers.text.write_scenes(
            topic=comic.topic,
            age_group=comic.age_group,
            num_scenes=job.payload(WizardPayload).num_scenes,
            style=comic.style,
            cast=cast,
        )
        await self.data.update_comic(
            comic.id, lambda c: c.model_copy(update={"scenes": scenes, "characters": cast, "status": "scenes_ready"})
        )
        await self.runner.advance(job_id, status="awaiting_input", step="scenes_ready", progress=25)

    async def refine(self, job_id: str) -> None:
        job = await self.data.get_job(job_id)
        ask = job.payload(WizardPayload).refine
        if ask is None:
            raise Conflict(f"job {job_id} has no refinement to make")
        comic = await self.data.get_comic(job.comic_id)
        scenes = await self.providers.text.refine_scenes(
            scenes=comic.scenes,
            feedback=ask.feedback,
            scene_ids=ask.scene_ids,
            age_group=comic.age_group,
            cast=comic.characters,
        )
        refined = {s.scene_id: s for s in scenes if s.scene_id in ask.scene_ids}

        def keep(current: Comic) -> Comic:
            # A refined scene was rewritten from what the reader saw, for the cast chosen then: that is now
            # how it is written, and a later choice of characters recasts it from there.
            names = [c.name for c in current.characters]
            written = [
                WrittenScene(scene=refined[w.scene.scene_id], cast=names) if w.scene.scene_id in refined else w
                for w in current.written_scenes
            ]
            return current.model_copy(update={"scenes": scenes, "written_scenes": written})

        await self.data.update_comic(comic.id, keep)
        await self.runner.advance(job_id, status="awaiting_input", step="scenes_ready")

    # -- generating the comic ---------------------------------------------------------------------
    async def generate(self, job_id: str) -> None:
        job = await self.data.get_job(job_id)
        steps = list(self.generation.items())
        first = next((n for n, (step, _) in enumerate(steps) if step == job.step), 0)
        for step, run in steps[first:]:
            await self.runner.advance(job_id, status="running", step=step, progress=PROGRESS[step][0])
            await run(job)
        await self.runner.advance(job_id, status="completed", step="done", progress=100)

    async def _draw_cast_and_plan(self, job: Job) -> None:
        # The panel plan needs the cast, not its sheets: it is written while the sheets are drawn
        # (generating_panels then finds it done). Both skip what is already there on a resume.
        async with asyncio.TaskGroup() as group:
            group.create_task(self._draw_cast(job))
            group.create_task(self._plan_panels(job))

    async def _draw_cast(self, job: Job) -> None:
        comic = await self.data.get_comic(job.comic_id)
        todo = [c for c in comic.characters if not c.image_id]
        done = len(comic.characters) - len(todo)

        async def draw(character: Character) -> None:
            nonlocal done
            await self.renderer.draw_character(comic.id, character.id)
            done += 1
            await self.runner.report(
                job.id, span=PROGRESS["rendering_characters"], done=done, total=len(comic.characters)
            )

        async with asyncio.TaskGroup() as group:
            for character in todo:
                group.create_task(draw(character))

    async def _plan_panels(self, job: Job) -> None:
        comic = await self.data.get_comic(job.comic_id)
        if comic.panels:
            return
        plan = await self.planner.plan(scenes=comic.scenes, cast=comic.characters)
        if plan.dropped:
            log.info("job %s: the planner named %d character(s) outside the cast; dropped", job.id, len(plan.dropped))
        await self.data.update_comic(
            comic.id, lambda c: c if c.panels else c.model_copy(update={"panels": plan.panels})
        )

    async def _render_panels(self, job: Job) -> None:
        await self.render_all.render_panels(job.id, job.comic_id, span=PROGRESS["rendering_panels"])

    async def _assemble(self, job: Job) -> None:
        await self.data.update_comic(job.comic_id, lambda c: c.model_copy(update={"status": "completed"}))
