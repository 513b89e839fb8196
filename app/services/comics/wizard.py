"""The wizard's requests: one job drives one comic from a topic to finished panels, with the reader's
review between writing the scenes and generating the comic. The job's work is in wizard_steps.py."""

from __future__ import annotations

import asyncio
import logging

from app.errors import Conflict, FableError, InvalidInput
from app.models.api import GenerateScenesRequest, RefineScenesRequest
from app.models.schemas import Character, Comic, Job, Scene, SceneRefinement, WizardPayload, WrittenScene
from app.services.comics.catalog import characters_by_ids
from app.services.jobs.queue import JobQueue
from app.services.jobs.runner import JobQuota, JobRunner
from app.services.providers.protocols import Providers
from app.services.comics.recasting import recast_written
from app.services.comics.topics import comic_title
from app.services.comics.wizard_steps import WizardSteps
from app.storage.data_manager import DataManager

log = logging.getLogger(__name__)


def _require_awaiting_scenes(job: Job, action: str) -> None:
    if job.status == "awaiting_input" and job.step == "scenes_ready":
        return
    if job.status == "failed" and job.error:
        raise Conflict(f"cannot {action}: the job failed ({job.error.message})")
    raise Conflict(
        f"cannot {action} now: the job is {job.status} at step '{job.step}'; "
        "this needs scenes that are ready and a job awaiting input"
    )


class Wizard:
    def __init__(
        self,
        *,
        data: DataManager,
        runner: JobRunner,
        quota: JobQuota,
        queue: JobQueue,
        providers: Providers,
        steps: WizardSteps,
    ) -> None:
        self.data = data
        self.runner = runner
        self.quota = quota
        self.queue = queue
        self.providers = providers
        self.steps = steps

    # -- scenes -------------------------------------------------------------------------------------
    async def start_scenes(self, request: GenerateScenesRequest, *, owner_id: str | None = None) -> Job:
        await self.providers.text.moderate([request.topic])  # refused before anything is stored or generated
        comic = Comic(
            title=comic_title(request.topic),
            topic=request.topic,
            age_group=request.age_group,
            style=request.style or "cartoon",
            owner_id=owner_id,
        )
        job = Job(
            comic_id=comic.id, topic=request.topic, data=WizardPayload(num_scenes=request.num_scenes), owner_id=owner_id
        )
        comic.job_ids = [job.id]
        async with self.quota.admit(owner_id):
            await self.data.create_comic(comic)  # first: a job names its comic (a foreign key on Supabase)
            try:
                job = await self.data.create_job(job)
            except BaseException:
                await asyncio.shield(self._take_back_comic(comic.id))
                raise
            await self.queue.submit(job)
        return job

    async def _take_back_comic(self, comic_id: str) -> None:
        """A wizard comic whose job was refused: nothing of the request is left (a comic that stays, listing a
        job that does not exist, is harmless: it is an empty project its owner can delete)."""
        try:
            await self.data.delete_comic(comic_id)
        except FableError as exc:
            log.warning("comic %s: its job was refused and the comic could not be removed: %s", comic_id, exc.message)

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
        unknown = [n for n, i in enumerate(scene_ids) if i not in known]
        if unknown:
            raise InvalidInput.at_positions(
                "scene_ids", unknown, problem="not a scene of this comic", hint=f"its scenes are {', '.join(known)}"
            )
        await self.providers.text.moderate([request.feedback])

        def claim(current: Job) -> Job:
            _require_awaiting_scenes(current, "refine scenes")
            current.status, current.step = "running", "refining_scenes"
            current.data = current.payload(WizardPayload).model_copy(
                update={"refine": SceneRefinement(feedback=request.feedback, scene_ids=scene_ids)}
            )
            return current

        async with self.quota.admit(job.owner_id):
            job = await self.runner.update_with(job_id, claim)
            await self.queue.submit(job)
        return job

    # -- cast and generation ------------------------------------------------------------------------
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
        await self.runner.update_with(
            job_id,
            lambda j: j.model_copy(
                update={"data": j.payload(WizardPayload).model_copy(update={"character_ids": character_ids})}
            ),
        )
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
            await self.queue.submit(job)
        return job

    # -- reading results ----------------------------------------------------------------------------
    async def get_result(self, job_id: str) -> Comic:
        job = await self.data.get_job(job_id)
        if job.status != "completed":
            reason = f": {job.error.message}" if job.error else ""
            raise Conflict(f"the comic is not finished (job is {job.status} at step '{job.step}'){reason}")
        return await self.data.get_comic(job.comic_id)
