"""The comic services wired together, and the one entry point the wizard's routes and the CLI use.

Each piece does one job in a module of its own: the wizard's requests (wizard.py) and its job's steps
(wizard_steps.py), the panel plan (panel_planner.py), rendering a sheet or a panel (rendering.py), rendering
every panel (render_all.py), an image's history (image_history.py), jobs their comic lists (listed_jobs.py)
and resuming after a restart (resume.py). ProjectBuilder is handed the pieces it needs.
"""

from __future__ import annotations

from app.models.api import GenerateScenesRequest, RefineScenesRequest
from app.models.schemas import Character, Comic, Job, Scene
from app.services.comics.comic_writes import ComicWrites
from app.services.comics.image_history import ImageHistory, ImageLink
from app.services.jobs.queue import InProcessQueue, JobQueue
from app.services.jobs.runner import JobQuota, JobRunner
from app.services.comics.listed_jobs import ListedJobs
from app.services.comics.live_renders import LiveRenders
from app.services.comics.panel_planner import PanelPlanner
from app.services.providers.protocols import DEFAULT_MAX_PANELS, ImageModel, Providers, TextModel
from app.services.comics.render_all import RenderAll
from app.services.comics.rendering import Renderer
from app.services.comics.resume import Resumer
from app.services.comics.wizard import Wizard
from app.services.comics.wizard_steps import WizardSteps
from app.storage.data_manager import DataManager


class ComicPipeline:
    def __init__(
        self,
        *,
        data: DataManager,
        runner: JobRunner,
        text: TextModel,
        images: ImageModel,
        max_concurrent_renders: int,
        image_link: ImageLink,
        max_active_jobs_per_owner: int | None = None,
        max_panels: int = DEFAULT_MAX_PANELS,
        queue: JobQueue | None = None,
    ) -> None:
        self.data = data
        self.runner = runner
        self.queue = queue or InProcessQueue(runner)
        self.providers = Providers(text=text, images=images)
        self.quota = JobQuota(data, max_active_jobs_per_owner, owner_lock=self.queue.owner_lock)
        self.jobs = ListedJobs(data=data, runner=runner)
        self.planner = PanelPlanner(providers=self.providers, max_panels=max_panels)
        self.renders = LiveRenders()
        data.render_is_live = self.renders.is_live  # a panel `rendering` with no live render is read as failed
        self.renderer = Renderer(
            data=data,
            providers=self.providers,
            writes=ComicWrites(data),
            renders=self.renders,
            max_concurrent_renders=max_concurrent_renders,
            image_link=image_link,
        )
        self.render_all = RenderAll(
            data=data,
            runner=runner,
            quota=self.quota,
            queue=self.queue,
            jobs=self.jobs,
            renderer=self.renderer,
            max_concurrent_renders=max_concurrent_renders,
        )
        self.history = ImageHistory(data=data, image_link=image_link)
        self.steps = WizardSteps(
            data=data,
            runner=runner,
            providers=self.providers,
            planner=self.planner,
            renderer=self.renderer,
            render_all=self.render_all,
        )
        self.wizard = Wizard(
            data=data, runner=runner, quota=self.quota, queue=self.queue, providers=self.providers, steps=self.steps
        )
        self.resumer = Resumer(
            data=data, runner=runner, jobs=self.jobs, wizard=self.steps.resume, render_all=self.render_all.resume
        )
        if isinstance(self.queue, InProcessQueue):
            self.queue.work_for = self.resumer.work_for  # every run is a resume: the work by kind and step

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

    # -- the wizard ---------------------------------------------------------------------------------
    async def start_scenes(self, request: GenerateScenesRequest, *, owner_id: str | None = None) -> Job:
        return await self.wizard.start_scenes(request, owner_id=owner_id)

    async def get_scenes(self, job_id: str) -> list[Scene]:
        return await self.wizard.get_scenes(job_id)

    async def refine_scenes(self, job_id: str, request: RefineScenesRequest) -> Job:
        return await self.wizard.refine_scenes(job_id, request)

    async def select_characters(self, job_id: str, character_ids: list[str]) -> list[Character]:
        return await self.wizard.select_characters(job_id, character_ids)

    async def start_generation(self, job_id: str) -> Job:
        return await self.wizard.start_generation(job_id)

    async def get_result(self, job_id: str) -> Comic:
        return await self.wizard.get_result(job_id)

    # -- rendering every panel (the builder's "render all") -------------------------------------------
    async def start_render_all(self, comic_id: str) -> Job:
        return await self.render_all.start(comic_id)

    # -- start-up -----------------------------------------------------------------------------------
    async def resume_unfinished(self) -> list[str]:
        """Take up interrupted jobs, when this process runs jobs (with a job queue, its workers do)."""
        if not self.queue.runs_jobs:
            return []
        return await self.resumer.resume_unfinished()
