"""The comic pipeline: topic -> scenes -> cast -> character sheets -> panel plans -> rendered panels.

Every step persists its output before the job moves on, and skips what is already done, so a job
interrupted anywhere resumes from its last finished step.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from app.errors import Conflict, InvalidInput, UpstreamError
from app.models.api import GenerateScenesRequest, RefineScenesRequest
from app.models.schemas import Character, Comic, ImageKind, ImageRecord, Job, JobStep, Panel, Scene
from app.services.catalog import characters_by_ids, default_cast, recast_scenes
from app.services.jobs import JobRunner
from app.services.providers import ImageModel, RenderedImage, TextModel
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


def image_url(record: ImageRecord) -> str:
    return f"/api/v1/images/{record.id}"


def _require_awaiting_scenes(job: Job, action: str) -> None:
    if job.status == "awaiting_input" and job.step == "scenes_ready":
        return
    if job.status == "failed" and job.error:
        raise Conflict(f"cannot {action}: the job failed ({job.error.message})")
    raise Conflict(f"cannot {action} now: the job is {job.status} at step '{job.step}'; "
                   "this needs scenes that are ready and a job awaiting input")


class ComicPipeline:
    def __init__(self, *, data: DataManager, runner: JobRunner, text: TextModel, images: ImageModel,
                 max_concurrent_renders: int) -> None:
        self.data = data
        self.runner = runner
        self.text = text
        self.images = images
        self._render_slots = asyncio.Semaphore(max_concurrent_renders)

    # -- wizard: scenes ---------------------------------------------------------------------------
    async def start_scenes(self, request: GenerateScenesRequest) -> Job:
        await self.text.moderate([request.topic])  # refused before anything is stored or generated
        comic = Comic(title=f"Adventures in {topic_subject(request.topic).title()}", topic=request.topic,
                      age_group=request.age_group, style=request.style or "cartoon")
        job = Job(comic_id=comic.id, topic=request.topic, data={"num_scenes": request.num_scenes})
        comic.job_id = job.id
        await self.data.create_comic(comic)
        job = await self.data.create_job(job)
        self.runner.start(job.id, self._write_scenes(job.id))
        return job

    async def _write_scenes(self, job_id: str) -> None:
        job = await self.runner.advance(job_id, status="running", step="generating_scenes", progress=5)
        comic = await self.data.get_comic(job.comic_id)
        cast = comic.characters or default_cast(comic.topic)
        scenes = await self.text.write_scenes(topic=comic.topic, age_group=comic.age_group,
                                              num_scenes=int(job.data.get("num_scenes", 6)), style=comic.style,
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
            current.data = {**current.data, "refine": {"feedback": request.feedback, "scene_ids": scene_ids}}
            return current

        job = await self.runner.update_with(job_id, claim)
        self.runner.start(job_id, self._refine(job_id))
        return job

    async def _refine(self, job_id: str) -> None:
        job = await self.data.get_job(job_id)
        ask = job.data["refine"]
        comic = await self.data.get_comic(job.comic_id)
        scenes = await self.text.refine_scenes(scenes=comic.scenes, feedback=ask["feedback"],
                                               scene_ids=ask["scene_ids"], age_group=comic.age_group,
                                               cast=comic.characters)
        await self.data.update_comic(comic.id, lambda c: c.model_copy(update={"scenes": scenes}))
        await self.runner.advance(job_id, status="awaiting_input", step="scenes_ready")

    # -- wizard: cast and generation --------------------------------------------------------------
    async def select_characters(self, job_id: str, character_ids: list[str]) -> list[Character]:
        job = await self.data.get_job(job_id)
        _require_awaiting_scenes(job, "select characters")
        cast = characters_by_ids(character_ids)

        def recast(comic: Comic) -> Comic:
            if comic.status != "scenes_ready":
                raise Conflict("characters can only be chosen while the scenes await review")
            comic.scenes = recast_scenes(comic.scenes, comic.characters, cast)
            comic.characters = cast
            return comic

        await self.data.update_comic(job.comic_id, recast)
        await self.runner.update_with(job_id, lambda j: j.model_copy(
            update={"data": {**j.data, "character_ids": character_ids}}))
        return cast

    async def start_generation(self, job_id: str) -> Job:
        def claim(job: Job) -> Job:
            _require_awaiting_scenes(job, "generate the comic")
            job.status, job.step = "running", "rendering_characters"
            return job

        job = await self.runner.update_with(job_id, claim)
        await self.data.update_comic(job.comic_id, lambda c: c.model_copy(update={"status": "rendering"}))
        self.runner.start(job_id, self._generate(job_id))
        return job

    async def _generate(self, job_id: str) -> None:
        job = await self.data.get_job(job_id)
        first = GENERATION_STEPS.index(job.step) if job.step in GENERATION_STEPS else 0
        for step in GENERATION_STEPS[first:]:
            await self.runner.advance(job_id, status="running", step=step, progress=PROGRESS[step][0])
            await getattr(self, f"_step_{step}")(job)
        await self.runner.advance(job_id, status="completed", step="done", progress=100)

    async def _report(self, job_id: str, step: str, done: int, total: int) -> None:
        low, high = PROGRESS[step]
        await self.runner.advance(job_id, progress=low + (high - low) * done // max(1, total))

    async def _step_rendering_characters(self, job: Job) -> None:
        comic = await self.data.get_comic(job.comic_id)
        todo = [c for c in comic.characters if not c.image_id]
        done = len(comic.characters) - len(todo)

        async def render(character: Character) -> None:
            nonlocal done
            async with self._render_slots:
                rendered = await self.images.render_character(character=character, style=comic.style)
            record = await self._keep(rendered, kind="character", comic_id=comic.id, character_id=character.id)

            def attach(current: Comic) -> Comic:
                for member in current.characters:
                    if member.id == character.id:
                        member.image_id, member.image_url = record.id, image_url(record)
                        member.reference_url = record.source_url
                return current

            await self.data.update_comic(comic.id, attach)
            done += 1
            await self._report(job.id, "rendering_characters", done, len(comic.characters))

        async with asyncio.TaskGroup() as group:
            for character in todo:
                group.create_task(render(character))

    async def _step_generating_panels(self, job: Job) -> None:
        comic = await self.data.get_comic(job.comic_id)
        if comic.panels:
            return
        panels = await self.text.plan_panels(scenes=comic.scenes, cast=comic.characters)
        await self.data.update_comic(comic.id, lambda c: c if c.panels else c.model_copy(update={"panels": panels}))

    async def _step_rendering_panels(self, job: Job) -> None:
        comic = await self.data.get_comic(job.comic_id)
        todo = [p for p in comic.panels if p.status != "rendered"]
        done = len(comic.panels) - len(todo)
        scenes = {s.scene_id: s for s in comic.scenes}
        failures: list[str] = []

        async def render(panel: Panel) -> None:
            nonlocal done
            cast = [c for c in comic.characters if c.name in panel.characters]
            try:
                async with self._render_slots:
                    rendered = await self.images.render_panel(panel=panel, scene=scenes.get(panel.scene_id),
                                                              cast=cast, style=comic.style)
                record = await self._keep(rendered, kind="panel", comic_id=comic.id, panel_id=panel.panel_id)
                changes: dict[str, Any] = {"status": "rendered", "error": None, "retryable": False,
                                           "image_id": record.id,
                                           "image_url": image_url(record),
                                           "image_path": f"images/{record.local_path}" if record.local_path else None}
            except (UpstreamError, InvalidInput) as exc:
                failures.append(exc.message)
                changes = {"status": "failed", "error": exc.message,
                           "retryable": isinstance(exc, UpstreamError) and exc.retryable}
            await self.data.update_comic(comic.id, lambda c: _with_panel(c, panel.panel_id, changes))
            done += 1
            await self._report(job.id, "rendering_panels", done, len(comic.panels))

        async with asyncio.TaskGroup() as group:
            for panel in todo:
                group.create_task(render(panel))
        if todo and len(failures) == len(comic.panels):
            raise UpstreamError(f"every panel failed to render; the first error: {failures[0]}",
                                provider=self.images.name, retryable=True, code="render_failed")

    async def _step_assembling(self, job: Job) -> None:
        await self.data.update_comic(job.comic_id, lambda c: c.model_copy(update={"status": "completed"}))

    async def _keep(self, rendered: RenderedImage, *, kind: ImageKind, **links: Any) -> ImageRecord:
        fields = {"content_type": rendered.content_type, "width": rendered.width, "height": rendered.height,
                  "model": rendered.model, "source_url": rendered.url, **links}
        if rendered.data is not None:
            return await self.data.store_image(rendered.data, kind=kind, **fields)
        if rendered.url is None:
            raise UpstreamError(f"{self.images.name} returned no image", provider=self.images.name, retryable=True)
        return await self.data.reference_image(rendered.url, kind=kind, **fields)

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
            work = None
            if job.kind == "wizard" and job.step == "generating_scenes":
                work = self._write_scenes(job.id)
            elif job.kind == "wizard" and job.step == "refining_scenes" and "refine" in job.data:
                work = self._refine(job.id)
            elif job.kind == "wizard" and job.step in GENERATION_STEPS:
                work = self._generate(job.id)
            if work is None:
                await self.runner.fail(job.id, code="resume_failed",
                                       message=f"the service restarted during step '{job.step}', which cannot "
                                               "be resumed; start the comic again")
                continue
            log.info("resuming job %s at step %s", job.id, job.step)
            self.runner.start(job.id, work)
            resumed.append(job.id)
        return resumed


def _with_panel(comic: Comic, panel_id: str, changes: dict[str, Any]) -> Comic:
    comic.panels = [p.model_copy(update=changes) if p.panel_id == panel_id else p for p in comic.panels]
    return comic
