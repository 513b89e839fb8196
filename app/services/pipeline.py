"""The comic pipeline: topic -> scenes -> cast -> character sheets -> panel plans -> rendered panels.

Every step persists its output before the job moves on, and skips what is already done, so a job
interrupted anywhere resumes from its last finished step.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from app.errors import Conflict, FableError, InvalidInput, NotFound
from app.models.api import GenerateScenesRequest, RefineScenesRequest
from app.models.schemas import (
    Character,
    Comic,
    Job,
    JobStep,
    Panel,
    Scene,
    SceneRefinement,
    WizardPayload,
    WrittenScene,
)
from app.services.catalog import characters_by_ids, default_cast
from app.services.comic_writes import ComicWrites
from app.services.image_history import ImageHistory, ImageLink
from app.services.jobs import JobQuota, JobRunner
from app.services.listed_jobs import NOT_STARTED, ListedJobs
from app.services.live_renders import LiveRenders
from app.services.panel_planner import PanelPlanner
from app.services.providers import DEFAULT_MAX_PANELS, ImageModel, PanelPlan, Providers, TextModel
from app.services.recasting import recast_written
from app.services.render_all import RenderAll
from app.services.rendering import Renderer
from app.storage.data_manager import DataManager
from utils import topic_subject

log = logging.getLogger(__name__)

# Each step's share of the job's 0-100 progress: (where it starts, where it ends).
PROGRESS: dict[str, tuple[int, int]] = {
    "generating_scenes": (0, 25), "scenes_ready": (25, 25), "refining_scenes": (25, 25),
    "rendering_characters": (25, 45), "generating_panels": (45, 55), "rendering_panels": (55, 95),
    "assembling": (95, 99), "done": (100, 100),
}
GENERATION_STEPS: tuple[JobStep, ...] = ("rendering_characters", "generating_panels", "rendering_panels", "assembling")


def _require_awaiting_scenes(job: Job, action: str) -> None:
    if job.status == "awaiting_input" and job.step == "scenes_ready":
        return
    if job.status == "failed" and job.error:
        raise Conflict(f"cannot {action}: the job failed ({job.error.message})")
    raise Conflict(f"cannot {action} now: the job is {job.status} at step '{job.step}'; "
                   "this needs scenes that are ready and a job awaiting input")


class ComicPipeline:
    def __init__(self, *, data: DataManager, runner: JobRunner, text: TextModel, images: ImageModel,
                 max_concurrent_renders: int, image_link: ImageLink, max_active_jobs_per_owner: int | None = None,
                 max_panels: int = DEFAULT_MAX_PANELS) -> None:
        self.data = data
        self.runner = runner
        self.providers = Providers(text=text, images=images)
        self.quota = JobQuota(data, max_active_jobs_per_owner)
        self.jobs = ListedJobs(data=data, runner=runner)
        self.planner = PanelPlanner(providers=self.providers, max_panels=max_panels)
        self.renders = LiveRenders()
        data.render_is_live = self.renders.is_live  # a panel `rendering` with no live render is read as failed
        self.renderer = Renderer(data=data, providers=self.providers, writes=ComicWrites(data), renders=self.renders,
                                 max_concurrent_renders=max_concurrent_renders, image_link=image_link)
        self.render_all = RenderAll(data=data, runner=runner, quota=self.quota, jobs=self.jobs, renderer=self.renderer,
                                    max_concurrent_renders=max_concurrent_renders)
        self.history = ImageHistory(data=data, image_link=image_link)

    # -- the models in use: replacing one here replaces it for every piece ---------------------------
    @property
    def text(self) -> TextModel:
        return self.providers.text

    @text.setter
    def text(self, model: TextModel) -> None:
        self.providers.text = model

    @property
    def images(self) -> ImageModel:
        return self.providers.images

    @images.setter
    def images(self, model: ImageModel) -> None:
        self.providers.images = model

    @property
    def _render_slots(self) -> asyncio.Semaphore:
        """The image calls allowed in flight (Renderer.slots); tests narrow them here."""
        return self.renderer.slots

    @_render_slots.setter
    def _render_slots(self, slots: asyncio.Semaphore) -> None:
        self.renderer.slots = slots

    @property
    def max_panels(self) -> int:
        return self.planner.max_panels

    # -- wizard: scenes ---------------------------------------------------------------------------
    async def start_scenes(self, request: GenerateScenesRequest, *, owner_id: str | None = None) -> Job:
        await self.text.moderate([request.topic])  # refused before anything is stored or generated
        comic = Comic(title=f"Adventures in {topic_subject(request.topic).title()}", topic=request.topic,
                      age_group=request.age_group, style=request.style or "cartoon", owner_id=owner_id)
        job = Job(comic_id=comic.id, topic=request.topic, data=WizardPayload(num_scenes=request.num_scenes),
                  owner_id=owner_id)
        comic.job_ids = [job.id]
        async with self.quota.admit(owner_id):
            await self.data.create_comic(comic)  # first: a job names its comic (a foreign key on Supabase)
            try:
                job = await self.data.create_job(job)
            except BaseException:
                await asyncio.shield(self._take_back_comic(comic.id))
                raise
            self.runner.start(job.id, self._write_scenes(job.id))
        return job

    async def create_listed_job(self, job: Job, *, listed_by: Callable[[Job], Awaitable[Comic]]) -> tuple[Job, Comic]:
        return await self.jobs.create(job, listed_by=listed_by)

    async def _take_back_comic(self, comic_id: str) -> None:
        """A wizard comic whose job was refused: nothing of the request is left (a comic that stays, listing a
        job that does not exist, is harmless: it is an empty project its owner can delete)."""
        try:
            await self.data.delete_comic(comic_id)
        except FableError as exc:
            log.warning("comic %s: its job was refused and the comic could not be removed: %s", comic_id, exc.message)

    async def _write_scenes(self, job_id: str) -> None:
        job = await self.runner.advance(job_id, status="running", step="generating_scenes", progress=5)
        comic = await self.data.get_comic(job.comic_id)
        cast = comic.characters or default_cast(comic.topic)
        scenes = await self.text.write_scenes(topic=comic.topic, age_group=comic.age_group,
                                              num_scenes=job.payload(WizardPayload).num_scenes, style=comic.style,
                                              cast=cast)
        await self.data.update_comic(comic.id, lambda c: c.model_copy(
            update={"scenes": scenes, "characters": cast, "status": "scenes_ready"}))
        await self.runner.advance(job_id, status="awaiting_input", step="scenes_ready", progress=25)

    async def get_scenes(self, job_id: str) -> list[Scene]:
        job = await self.data.get_job(job_id)
        comic = await self.data.get_comic(job.comic_id)
        if job.step in ("generating_scenes", "refining_scenes") or not comic.scenes:
            if job.status == "failed" and job.error:
                raise Conflict(f"the scenes were not written: {job.error.message}")
            raise Conflict(f"the scenes are not ready yet (job is {job.status} at step '{job.step}')")
        return comic.scenes

    async def refine_scenes(self, job_id: str, request: RefineScenesRequest) -> Job:
        job = await self.data.get_job(job_id)
        _require_awaiting_scenes(job, "refine scenes")
        comic = await self.data.get_comic(job.comic_id)
        known = [s.scene_id for s in comic.scenes]
        scene_ids = request.scene_ids or known
        unknown = [i for i in scene_ids if i not in known]
        if unknown:
            raise InvalidInput(f"unknown scene_ids: {', '.join(unknown)}; this comic has {', '.join(known)}")
        await self.text.moderate([request.feedback])

        def claim(current: Job) -> Job:
            _require_awaiting_scenes(current, "refine scenes")
            current.status, current.step = "running", "refining_scenes"
            current.data = current.payload(WizardPayload).model_copy(
                update={"refine": SceneRefinement(feedback=request.feedback, scene_ids=scene_ids)})
            return current

        async with self.quota.admit(job.owner_id):
            job = await self.runner.update_with(job_id, claim)
            self.runner.start(job_id, self._refine(job_id))
        return job

    async def _refine(self, job_id: str) -> None:
        job = await self.data.get_job(job_id)
        ask = job.payload(WizardPayload).refine
        if ask is None:
            raise Conflict(f"job {job_id} has no refinement to make")
        comic = await self.data.get_comic(job.comic_id)
        scenes = await self.text.refine_scenes(scenes=comic.scenes, feedback=ask.feedback,
                                               scene_ids=ask.scene_ids, age_group=comic.age_group,
                                               cast=comic.characters)
        refined = {s.scene_id: s for s in scenes if s.scene_id in ask.scene_ids}

        def keep(current: Comic) -> Comic:
            # A refined scene was rewritten from what the reader saw, for the cast chosen then: that is now
            # how it is written, and a later choice of characters recasts it from there.
            names = [c.name for c in current.characters]
            written = [WrittenScene(scene=refined[w.scene.scene_id], cast=names) if w.scene.scene_id in refined else w
                       for w in current.written_scenes]
            return current.model_copy(update={"scenes": scenes, "written_scenes": written})

        await self.data.update_comic(comic.id, keep)
        await self.runner.advance(job_id, status="awaiting_input", step="scenes_ready")

    # -- wizard: cast and generation --------------------------------------------------------------
    async def select_characters(self, job_id: str, character_ids: list[str]) -> list[Character]:
        job = await self.data.get_job(job_id)
        _require_awaiting_scenes(job, "select characters")
        cast = characters_by_ids(character_ids)

        def recast(comic: Comic) -> Comic:
            if comic.status != "scenes_ready":
                raise Conflict("characters can only be chosen while the scenes await review")
            if not comic.written_scenes:  # the first choice: the scenes are still as written
                names = [c.name for c in comic.characters]
                comic.written_scenes = [WrittenScene(scene=s, cast=names) for s in comic.scenes]
            comic.scenes = recast_written(comic.written_scenes, cast)  # never from an earlier recast
            comic.characters = cast
            return comic

        await self.data.update_comic(job.comic_id, recast)
        await self.runner.update_with(job_id, lambda j: j.model_copy(
            update={"data": j.payload(WizardPayload).model_copy(update={"character_ids": character_ids})}))
        return cast

    async def start_generation(self, job_id: str) -> Job:
        def claim(job: Job) -> Job:
            _require_awaiting_scenes(job, "generate the comic")
            job.status, job.step = "running", "rendering_characters"
            return job

        owner_id = (await self.data.get_job(job_id)).owner_id
        async with self.quota.admit(owner_id):
            job = await self.runner.update_with(job_id, claim)
            await self.data.update_comic(job.comic_id, lambda c: c.model_copy(update={"status": "rendering"}))
            self.runner.start(job_id, self._generate(job_id))
        return job

    async def _generate(self, job_id: str) -> None:
        job = await self.data.get_job(job_id)
        first = GENERATION_STEPS.index(job.step) if job.step in GENERATION_STEPS else 0
        for step in GENERATION_STEPS[first:]:
            await self.runner.advance(job_id, status="running", step=step, progress=PROGRESS[step][0])
            if step == "rendering_characters":
                # The panel plan needs the cast, not its sheets: it is written while the sheets are drawn
                # (generating_panels then finds it done). Both skip what is already there on a resume.
                async with asyncio.TaskGroup() as group:
                    group.create_task(self._step_rendering_characters(job))
                    group.create_task(self._step_generating_panels(job))
            else:
                await getattr(self, f"_step_{step}")(job)
        await self.runner.advance(job_id, status="completed", step="done", progress=100)

    async def _step_rendering_characters(self, job: Job) -> None:
        comic = await self.data.get_comic(job.comic_id)
        todo = [c for c in comic.characters if not c.image_id]
        done = len(comic.characters) - len(todo)

        async def render(character: Character) -> None:
            nonlocal done
            await self.renderer.draw_character(comic.id, character.id)
            done += 1
            await self.runner.report(job.id, span=PROGRESS["rendering_characters"], done=done,
                                     total=len(comic.characters))

        async with asyncio.TaskGroup() as group:
            for character in todo:
                group.create_task(render(character))

    async def plan_panels(self, *, scenes: list[Scene], cast: list[Character]) -> PanelPlan:
        return await self.planner.plan(scenes=scenes, cast=cast)

    async def _step_generating_panels(self, job: Job) -> None:
        comic = await self.data.get_comic(job.comic_id)
        if comic.panels:
            return
        plan = await self.plan_panels(scenes=comic.scenes, cast=comic.characters)
        if plan.dropped:
            log.info("job %s: the planner named %d character(s) outside the cast; dropped", job.id, len(plan.dropped))
        await self.data.update_comic(comic.id, lambda c: c if c.panels else c.model_copy(update={"panels": plan.panels}))

    async def _step_rendering_panels(self, job: Job) -> None:
        await self.render_all.render_panels(job.id, job.comic_id, span=PROGRESS["rendering_panels"])

    # -- rendering, shared by the wizard and the builder ----------------------------------------
    async def render_character(self, comic_id: str, character_id: str) -> Character:
        return await self.renderer.render_character(comic_id, character_id)

    async def render_panel(self, comic_id: str, panel_id: str) -> Panel:
        return await self.renderer.render_panel(comic_id, panel_id)

    async def start_render_all(self, comic_id: str) -> Job:
        return await self.render_all.start(comic_id)

    async def restore_image(self, comic_id: str, *, panel_id: str | None = None, character_id: str | None = None,
                            image_id: str) -> Comic:
        return await self.history.restore(comic_id, panel_id=panel_id, character_id=character_id, image_id=image_id)

    async def _step_assembling(self, job: Job) -> None:
        await self.data.update_comic(job.comic_id, lambda c: c.model_copy(update={"status": "completed"}))

    # -- reading results --------------------------------------------------------------------------
    async def get_result(self, job_id: str) -> Comic:
        job = await self.data.get_job(job_id)
        if job.status != "completed":
            reason = f": {job.error.message}" if job.error else ""
            raise Conflict(f"the comic is not finished (job is {job.status} at step '{job.step}'){reason}")
        return await self.data.get_comic(job.comic_id)

    # -- start-up -----------------------------------------------------------------------------------
    async def resume_unfinished(self) -> list[str]:
        """Restart the work of jobs a stop interrupted, from their last finished step."""
        resumed = []
        for job in await self.data.active_jobs():
            if job.status == "awaiting_input":
                continue
            if not await self.jobs.is_listed(job):
                await self.runner.fail(job.id, code="not_started", message=NOT_STARTED)
                continue
            work = None
            if job.kind == "wizard" and job.step == "generating_scenes":
                work = self._write_scenes(job.id)
            elif job.kind == "wizard" and job.step == "refining_scenes" and job.payload(WizardPayload).refine:
                work = self._refine(job.id)
            elif job.kind == "wizard" and job.step in GENERATION_STEPS:
                work = self._generate(job.id)
            elif job.kind == "render_panels" and job.step == "rendering_panels":
                work = self.render_all.work(job.id)
            if work is None and job.kind == "story":
                message = "the service restarted while the story was being written; the partial text is kept"
                await self.runner.fail(job.id, code="resume_failed", message=message)
                try:
                    await self.data.update_comic(job.comic_id, lambda c: c.model_copy(update={
                        "story_status": "error", "story_error": message}) if c.story_status == "streaming" else None)
                except NotFound:
                    pass
                continue
            if work is None:
                await self.runner.fail(job.id, code="resume_failed",
                                       message=f"the service restarted during step '{job.step}', which cannot "
                                               "be resumed; start the comic again")
                continue
            log.info("resuming job %s at step %s", job.id, job.step)
            self.runner.start(job.id, work)
            resumed.append(job.id)
        return resumed
