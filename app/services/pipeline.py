"""The comic pipeline: topic -> scenes -> cast -> character sheets -> panel plans -> rendered panels.

Every step persists its output before the job moves on, and skips what is already done, so a job
interrupted anywhere resumes from its last finished step.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from collections.abc import Awaitable, Callable
from typing import Any

from app.errors import Conflict, FableError, InvalidInput, NotFound, UpstreamError
from app.models.api import GenerateScenesRequest, RefineScenesRequest
from app.models.schemas import (Character, Comic, ImageKind, ImageRecord, Job, JobStep, Panel, Scene, SceneRefinement,
                                WizardPayload, WrittenScene)
from app.services.assets import cast_of, shows
from app.services.catalog import characters_by_ids, default_cast
from app.services.comic_writes import Change, ComicWrites
from app.services.jobs import JobQuota, JobRunner, JobStopped, first_leaf
from app.services.lettering import letter_panel
from app.services.live_renders import LiveRenders
from app.services.providers import DEFAULT_MAX_PANELS, ImageModel, PanelPlan, RenderedImage, TextModel, normalize_plan
from app.services.recasting import recast_written
from app.storage.data_manager import DataManager
from utils import topic_subject

log = logging.getLogger(__name__)

# Each step's share of the job's 0-100 progress: (where it starts, where it ends).
PROGRESS: dict[str, tuple[int, int]] = {
    "generating_scenes": (0, 25), "scenes_ready": (25, 25), "refining_scenes": (25, 25),
    "rendering_characters": (25, 45), "generating_panels": (45, 55), "rendering_panels": (55, 95),
    "assembling": (95, 99), "done": (100, 100),
}
NOT_STARTED = "the request that made this job was refused before the job started; nothing was done"
GENERATION_STEPS: tuple[JobStep, ...] = ("rendering_characters", "generating_panels", "rendering_panels", "assembling")


# An image id -> the URL answers name that image by. The API layer owns its routes and their prefix
# (app/api/urls.py) and hands this in; the URL is kept on the record beside the id, for the export
# bundle's image_url column and for readers of the records as stored.
ImageLink = Callable[[str], str]


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
        self.image_link = image_link
        self.max_panels = max_panels
        self.runner = runner
        self.quota = JobQuota(data, max_active_jobs_per_owner)
        self.text = text
        self.images = images
        self.max_concurrent_renders = max_concurrent_renders
        self._render_slots = asyncio.Semaphore(max_concurrent_renders)
        self.writes = ComicWrites(data)
        self.renders = LiveRenders()
        data.render_is_live = self.renders.is_live  # a panel `rendering` with no live render is read as failed

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

    async def _take_back_comic(self, comic_id: str) -> None:
        """A wizard comic whose job was refused: nothing of the request is left (a comic that stays, listing a
        job that does not exist, is harmless: it is an empty project its owner can delete)."""
        try:
            await self.data.delete_comic(comic_id)
        except FableError as exc:
            log.warning("comic %s: its job was refused and the comic could not be removed: %s", comic_id, exc.message)

    async def _take_back(self, job_id: str) -> None:
        try:
            await self.data.delete_job(job_id)
        except FableError:  # ended instead: a held failure frees the owner's slot at once
            await self.runner.fail(job_id, code="not_started", message=NOT_STARTED)

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

    async def _report(self, job_id: str, span: tuple[int, int], done: int, total: int) -> None:
        low, high = span
        await self.runner.advance(job_id, progress=low + (high - low) * done // max(1, total))

    async def _step_rendering_characters(self, job: Job) -> None:
        comic = await self.data.get_comic(job.comic_id)
        todo = [c for c in comic.characters if not c.image_id]
        done = len(comic.characters) - len(todo)

        async def render(character: Character) -> None:
            nonlocal done
            await self._render_character(comic.id, character.id)
            done += 1
            await self._report(job.id, PROGRESS["rendering_characters"], done, len(comic.characters))

        async with asyncio.TaskGroup() as group:
            for character in todo:
                group.create_task(render(character))

    async def plan_panels(self, *, scenes: list[Scene], cast: list[Character]) -> PanelPlan:
        """The writer's panel plan, made whole: every scene drawn, in order, within MAX_PANELS. Every plan,
        the wizard's and the builder's, from any writer, comes through here."""
        plan = await self.text.plan_panels(scenes=scenes, cast=cast)
        return normalize_plan(plan, scenes=scenes, cast=cast, max_panels=self.max_panels)

    async def _step_generating_panels(self, job: Job) -> None:
        comic = await self.data.get_comic(job.comic_id)
        if comic.panels:
            return
        plan = await self.plan_panels(scenes=comic.scenes, cast=comic.characters)
        if plan.dropped:
            log.info("job %s: the planner named %d character(s) outside the cast; dropped", job.id, len(plan.dropped))
        await self.data.update_comic(comic.id, lambda c: c if c.panels else c.model_copy(update={"panels": plan.panels}))

    async def _step_rendering_panels(self, job: Job) -> None:
        await self.render_panels(job.id, job.comic_id, span=PROGRESS["rendering_panels"])

    # -- rendering, shared by the wizard and the builder ----------------------------------------
    async def render_character(self, comic_id: str, character_id: str) -> Character:
        """Draw one character's sheet for a request; deleting the project stops it (ProjectGone)."""
        return await self.renders.run(comic_id, self._render_character(comic_id, character_id))

    async def _render_character(self, comic_id: str, character_id: str) -> Character:
        """Draw one character's reference sheet. The earlier sheet stays in its history, and the
        rendered panels that show the character become stale."""
        comic = await self.data.get_comic(comic_id)
        character = _find(comic.characters, "id", character_id, "character")
        async with self._render_slots:
            rendered = await self.images.render_character(character=character, style=comic.style)
        record = await self._keep(rendered, kind="character", comic_id=comic.id, character_id=character.id,
                                  owner_id=comic.owner_id)

        def attach(current: Comic) -> Comic:
            member = _find(current.characters, "id", character_id, "character")
            _set_image(member, record, link=self.image_link)
            member.reference_url = record.source_url
            for panel in current.panels:
                if shows(panel, member) and panel.status == "rendered":
                    panel.stale = True
            return current

        comic = await self.data.update_comic(comic.id, attach)
        return _find(comic.characters, "id", character_id, "character")

    async def render_panel(self, comic_id: str, panel_id: str) -> Panel:
        """Draw one panel for a request; deleting the project stops it (ProjectGone)."""
        return await self.renders.run(comic_id, self._render_panel(comic_id, panel_id))

    async def _render_panel(self, comic_id: str, panel_id: str) -> Panel:
        """Draw one panel with its cast's references. Whatever stops it is written on the panel and raised:
        a failure as failed (with whether a retry may help), a cancel as the status it had. The panel's
        earlier image stays in its history."""
        _find((await self.data.get_comic(comic_id)).panels, "panel_id", panel_id, "panel")  # 404 before a write
        with self.renders.panel(comic_id, panel_id):
            comic = await self.writes.update(comic_id, _claim(panel_id))
            try:
                outcome = await self._draw(comic, panel_id)
            except BaseException as exc:
                await self._write_stop(comic_id, [panel_id], exc)
                raise
            try:
                comic = await self.writes.update(comic_id, outcome)
            except Exception as exc:
                await self._write_stop(comic_id, [panel_id], exc)
                raise
        return _find(comic.panels, "panel_id", panel_id, "panel")

    async def _draw(self, comic: Comic, panel_id: str) -> Change:
        """Draw, keep and letter one claimed panel; the change that attaches its images to the comic."""
        panel = _find(comic.panels, "panel_id", panel_id, "panel")
        cast = cast_of(panel, comic.characters)
        scene = next((s for s in comic.scenes if s.scene_id == panel.scene_id), None)
        async with self._render_slots:
            rendered = await self.images.render_panel(panel=panel, scene=scene, cast=cast, style=comic.style)
        art = await self._keep(rendered, kind="panel", comic_id=comic.id, panel_id=panel_id, owner_id=comic.owner_id)
        record = await self._letter(rendered, art, panel=panel, cast=cast)

        def attach(current: Comic) -> Comic:
            target = _find(current.panels, "panel_id", panel_id, "panel")
            _set_image(target, record, link=self.image_link)
            target.art_id, target.art_url = art.id, self.image_link(art.id)
            target.image_path = f"images/{record.local_path}" if record.local_path else None
            target.status, target.error, target.retryable, target.stale = "rendered", None, False, False
            return current

        return attach

    async def _write_stop(self, comic_id: str, panel_ids: list[str], exc: BaseException) -> None:
        """Write why these panels stopped. Shielded from a second cancel; when storage refuses even this, the
        panels are left `rendering` with no live render, which every read shows as failed and retryable."""
        try:
            await self.writes.update(comic_id, _stopped(panel_ids, exc))
        except Exception as failure:  # noqa: BLE001 - the read-side fallback covers it; the cause is logged
            if not isinstance(failure, NotFound):
                log.error("comic %s: could not record why %d panel(s) stopped: %s", comic_id, len(panel_ids),
                          getattr(failure, "message", failure.__class__.__name__))

    async def _letter(self, rendered: RenderedImage, art: ImageRecord, *, panel: Panel,
                      cast: list[Character]) -> ImageRecord:
        """The panel's art lettered (balloons, caption, border) and kept as its own image, which names
        the art it came from. Art only a URL points at is used as it is."""
        if rendered.data is None:
            return art
        try:
            lettered, _ = await asyncio.to_thread(letter_panel, rendered.data, narration=panel.narration,
                                                  dialogue=panel.dialogue, cast=[c.name for c in cast])
        except ValueError as exc:
            raise InvalidInput(f"the panel could not be lettered: {exc}; shorten its dialogue") from exc
        return await self.data.store_image(lettered, kind="panel", content_type="image/png", width=art.width,
                                           height=art.height, model=f"{art.model}+lettering", comic_id=art.comic_id,
                                           panel_id=art.panel_id, owner_id=art.owner_id, art_id=art.id)

    async def render_panels(self, job_id: str, comic_id: str, *, span: tuple[int, int]) -> None:
        """Render every panel not rendered yet, or stale: MAX_CONCURRENT_RENDERS workers, so at most that many
        panels are in flight, and a panel's outcome shares its comic write with the next panel's claim (and
        with whatever else is queued), so the writes stay fewer than the panels. One failing panel does not
        stop the others; only when every one fails does the job fail. A cancel puts the panels in flight back."""
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
            return panel_id, self.writes.submit(comic_id, _claim(panel_id))

        async def finish(panel_id: str, outcome: Change) -> None:
            try:
                await self.writes.update(comic_id, outcome)
            except Exception as exc:
                run.failures.append(getattr(exc, "message", "the panel could not be saved"))
                await self._write_stop(comic_id, [panel_id], exc)
                if isinstance(exc, NotFound) and not await self.data.comic_exists(comic_id):
                    raise
            finally:
                run.in_flight.discard(panel_id)
                self.renders.release(comic_id, panel_id)
            run.done += 1
            await self._report(job_id, span, run.done, run.total)

        async def worker() -> None:
            claimed = claim_next()
            while claimed is not None:
                panel_id, claim = claimed
                try:
                    outcome = await self._draw(await asyncio.shield(claim), panel_id)
                except Exception as exc:  # noqa: BLE001 - written on the panel; the others go on
                    if isinstance(exc, NotFound) and not await self.data.comic_exists(comic_id):
                        raise
                    if not isinstance(exc, (UpstreamError, InvalidInput)):
                        log.warning("comic %s: panel %s stopped: %s", comic_id, panel_id,
                                    getattr(exc, "message", exc.__class__.__name__))
                    run.failures.append(getattr(exc, "message", "the panel could not be drawn"))
                    outcome = _stopped([panel_id], exc)
                claimed = claim_next()  # queued beside this outcome, so one write carries both
                await finish(panel_id, outcome)

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(self.max_concurrent_renders, len(todo))):
                    group.create_task(worker())
        except BaseException as exc:
            stopped = list(run.in_flight)
            if stopped:
                await asyncio.shield(self._write_stop(comic_id, stopped, first_leaf(exc)))
            for panel_id in stopped:
                self.renders.release(comic_id, panel_id)
            raise
        if run.attempted and len(run.failures) >= run.attempted:
            raise UpstreamError(f"every panel failed to render; the first error: {run.failures[0]}",
                                provider=self.images.name, retryable=True, code="render_failed")

    async def start_render_all(self, comic_id: str) -> Job:
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
            job, _ = await self.create_listed_job(
                Job(comic_id=comic.id, kind="render_panels", topic=comic.topic, step="rendering_panels",
                    owner_id=comic.owner_id),
                listed_by=lambda job: self.data.update_comic(comic.id, lambda c: c.model_copy(
                    update={"job_ids": [*c.job_ids, job.id]})))
            self.runner.start(job.id, self._render_all(job.id))
        return job

    async def _render_all(self, job_id: str) -> None:
        job = await self.runner.advance(job_id, status="running", step="rendering_panels")
        await self.render_panels(job_id, job.comic_id, span=(0, 99))
        await self.runner.advance(job_id, status="completed", step="done", progress=100)

    async def restore_image(self, comic_id: str, *, panel_id: str | None = None, character_id: str | None = None,
                            image_id: str) -> Comic:
        """Bring back an earlier image of a panel or a character; the current one joins the history."""
        record = await self.data.get_image(image_id)

        def restore(current: Comic) -> Comic:
            target: Panel | Character = (_find(current.panels, "panel_id", panel_id, "panel") if panel_id
                                         else _find(current.characters, "id", character_id, "character"))
            if image_id not in target.image_history:
                raise InvalidInput(f"image '{image_id}' is not an earlier image of this "
                                   f"{'panel' if panel_id else 'character'}; see its image_history")
            _set_image(target, record, link=self.image_link)
            if isinstance(target, Panel):
                target.art_id = record.art_id or record.id
                target.art_url = self.image_link(target.art_id)
                target.image_path = f"images/{record.local_path}" if record.local_path else None
                target.status, target.error, target.stale = "rendered", None, False
            else:
                target.reference_url = record.source_url
                for panel in current.panels:
                    if shows(panel, target) and panel.status == "rendered":
                        panel.stale = True
            return current

        return await self.data.update_comic(comic_id, restore)

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
            if not await self._listed(job):
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
                work = self._render_all(job.id)
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


    async def _listed(self, job: Job) -> bool:
        """Whether the job's comic lists it: one it does not list was never started (see create_listed_job)."""
        try:
            return job.id in (await self.data.get_comic(job.comic_id)).job_ids
        except NotFound:
            return False


def _find(items: list[Any], key: str, wanted: str | None, what: str) -> Any:
    for item in items:
        if getattr(item, key) == wanted:
            return item
    raise NotFound(f"{what} '{str(wanted)[:80]}' not found in this project")


def _set_image(target: Panel | Character, record: ImageRecord, *, link: ImageLink) -> None:
    """Make `record` the target's image; the one it replaces goes to the end of its history."""
    history = [i for i in target.image_history if i != record.id]
    if target.image_id and target.image_id != record.id:
        history.append(target.image_id)
    target.image_history = history
    target.image_id, target.image_url = record.id, link(record.id)


def _with_panel(comic: Comic, panel_id: str, changes: dict[str, Any]) -> Comic:
    comic.panels = [p.model_copy(update=changes) if p.panel_id == panel_id else p for p in comic.panels]
    return comic


@dataclass
class _RenderRun:
    """One render-all's counts: panels in all, done (rendered or given up), attempted, and in flight."""

    total: int
    done: int
    attempted: int
    failures: list[str] = field(default_factory=list)
    in_flight: set[str] = field(default_factory=set)


def _claim(panel_id: str) -> Change:
    def claim(comic: Comic) -> Comic:
        _find(comic.panels, "panel_id", panel_id, "panel").status = "rendering"
        return comic
    return claim


STOPPED_UNEXPECTEDLY = "an unexpected error stopped this panel's render (it has been logged); render it again"


def _stopped(panel_ids: list[str], exc: BaseException) -> Change:
    """What a stop leaves on panels still `rendering`: a cancel gives back the status they had (pending, or
    rendered when they have an image); a failure is failed, retryable unless the panel itself is at fault."""
    cancelled = isinstance(exc, (asyncio.CancelledError, JobStopped)) or not isinstance(exc, Exception)
    if isinstance(exc, (UpstreamError, InvalidInput)):
        failure = {"error": exc.message, "retryable": isinstance(exc, UpstreamError) and exc.retryable}
    else:
        message = exc.message if isinstance(exc, FableError) else STOPPED_UNEXPECTEDLY
        failure = {"error": message, "retryable": True}

    def stop(comic: Comic) -> Comic | None:
        changed = False
        for panel in comic.panels:
            if panel.panel_id in panel_ids and panel.status == "rendering":
                if cancelled:
                    panel.status = "rendered" if panel.image_id else "pending"
                else:
                    panel.status, panel.error, panel.retryable = "failed", failure["error"], failure["retryable"]
                changed = True
        return comic if changed else None
    return stop
