"""A request that answers an error starts nothing: the job it wrote before its comic's write was refused is
taken back, so it neither holds the owner's slot nor runs after a restart (on a full disk a refused
render-all used to stay `queued`, take a slot, and be resumed and paid for later)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.api.urls import image_url
from app.errors import StorageError
from app.models.schemas import Comic, Job, Panel
from app.services.jobs.runner import JobRunner
from app.services.providers.offline_art import OfflineImageModel
from app.services.providers.offline_text import OfflineTextModel
from app.services.comics.pipeline import ComicPipeline
from app.storage.data_manager import DataManager
from app.storage.json_backend import JsonBackend


class RefusingBackend(JsonBackend):
    """The JSON backend whose comic writes (and, when asked, job deletes) are refused on demand."""

    refuse_comics = False
    refuse_jobs = False
    refuse_deletes = False

    async def save_job(self, job: Job, *, expected_version: int | None) -> Job:
        if self.refuse_jobs:
            raise StorageError("storage is full (no space left on the device)")
        return await super().save_job(job, expected_version=expected_version)

    async def save_comic(self, comic: Comic, *, expected_version: int | None) -> Comic:
        if self.refuse_comics:
            raise StorageError("storage is full (no space left on the device)")
        return await super().save_comic(comic, expected_version=expected_version)

    async def delete_job(self, job_id: str) -> None:
        if self.refuse_deletes:
            raise StorageError("storage is full (no space left on the device)")
        await super().delete_job(job_id)


async def pipeline_on(backend: RefusingBackend) -> ComicPipeline:
    data = DataManager(backend)
    await data.open()
    return ComicPipeline(
        data=data,
        runner=JobRunner(data),
        text=OfflineTextModel(),
        images=OfflineImageModel(),
        max_concurrent_renders=2,
        max_active_jobs_per_owner=1,
        image_link=image_url,
    )


async def planned_comic(pipeline: ComicPipeline) -> Comic:
    panel = Panel(panel_id="p1", scene_id="s1", title="Stop", description="Max stops at the curb.")
    return await pipeline.data.create_comic(Comic(title="Curb", topic="road safety", owner_id="ann", panels=[panel]))


@pytest.mark.parametrize("delete_refused", [False, True], ids=["taken-back", "ended"])
async def test_a_refused_render_all_leaves_no_job_that_holds_a_slot_or_runs_later(
    tmp_path: Path, delete_refused: bool
) -> None:
    backend = RefusingBackend(tmp_path)
    pipeline = await pipeline_on(backend)
    comic = await planned_comic(pipeline)
    backend.refuse_comics, backend.refuse_deletes = True, delete_refused
    with pytest.raises(StorageError):
        await pipeline.start_render_all(comic.id)
    assert await pipeline.quota.busy("ann") == 0  # the owner's only slot is free
    left = await pipeline.data.list_jobs()
    assert [(j.status, j.error and j.error.code) for j in left] == (
        [("failed", "not_started")] if delete_refused else []
    )
    await pipeline.data.close()

    # After a restart nothing the refused request wrote is run.
    backend = RefusingBackend(tmp_path)
    restarted = await pipeline_on(backend)
    assert await restarted.resume_unfinished() == []
    assert all(j.status == "failed" for j in await restarted.data.list_jobs())
    await restarted.data.close()


async def test_resume_fails_a_job_its_comic_does_not_list_instead_of_running_it(tmp_path: Path) -> None:
    backend = RefusingBackend(tmp_path)
    pipeline = await pipeline_on(backend)
    comic = await planned_comic(pipeline)
    stray = await pipeline.data.create_job(
        Job(comic_id=comic.id, kind="render_panels", topic=comic.topic, step="rendering_panels", owner_id="ann")
    )
    listed = await pipeline.data.create_job(
        Job(comic_id=comic.id, kind="render_panels", topic=comic.topic, step="rendering_panels", owner_id="ann")
    )
    await pipeline.data.update_comic(comic.id, lambda c: c.model_copy(update={"job_ids": [listed.id]}))
    assert await pipeline.resume_unfinished() == [listed.id]
    await pipeline.runner.wait_idle()
    jobs = {j.id: j for j in await pipeline.data.list_jobs()}
    assert (jobs[stray.id].status, jobs[stray.id].error.code) == ("failed", "not_started")
    assert jobs[listed.id].status == "completed"
    await pipeline.data.close()


@pytest.mark.parametrize("refused", ["comic", "job"])
async def test_a_wizard_start_refused_by_storage_leaves_neither_comic_nor_job(tmp_path: Path, refused: str) -> None:
    from app.models.api import GenerateScenesRequest

    backend = RefusingBackend(tmp_path)
    pipeline = await pipeline_on(backend)
    backend.refuse_comics, backend.refuse_jobs = refused == "comic", refused == "job"
    with pytest.raises(StorageError):
        await pipeline.start_scenes(GenerateScenesRequest(topic="crossing the road safely"), owner_id="ann")
    assert await pipeline.data.list_jobs() == [] and await pipeline.data.list_comics() == []
    await pipeline.data.close()
