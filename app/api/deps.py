"""Dependencies: the clients built once in the lifespan, reached through Annotated types."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from app.api.auth import CallerDep, hide_unless_owned
from app.services.jobs import JobRunner
from app.services.pipeline import ComicPipeline
from app.storage.data_manager import DataManager
from config import Settings
from utils import ID_PATTERN


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_storage(request: Request) -> DataManager:
    return request.app.state.data


def get_pipeline(request: Request) -> ComicPipeline:
    return request.app.state.pipeline


def get_runner(request: Request) -> JobRunner:
    return request.app.state.runner


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StorageDep = Annotated[DataManager, Depends(get_storage)]
PipelineDep = Annotated[ComicPipeline, Depends(get_pipeline)]
RunnerDep = Annotated[JobRunner, Depends(get_runner)]

# Each id in a path is checked against the caller before the route runs: another owner's record
# answers 404 exactly as a missing one. With the API open there is nothing to check.

async def owned_job(job_id: Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="a job id")],
                    request: Request, caller: CallerDep) -> str:
    if caller.owner_id is not None:
        hide_unless_owned(caller, (await get_storage(request).get_job(job_id)).owner_id, "job", job_id)
    return job_id


async def owned_project(project_id: Annotated[str, Path(pattern=ID_PATTERN, max_length=64,
                                                        description="a project (comic) id")],
                        request: Request, caller: CallerDep) -> str:
    if caller.owner_id is not None:
        hide_unless_owned(caller, (await get_storage(request).get_comic(project_id)).owner_id, "comic", project_id)
    return project_id


async def owned_image(image_id: Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="an image id")],
                      request: Request, caller: CallerDep) -> str:
    if caller.owner_id is not None:
        hide_unless_owned(caller, (await get_storage(request).get_image(image_id)).owner_id, "image", image_id)
    return image_id


JobId = Annotated[str, Depends(owned_job)]
ProjectId = Annotated[str, Depends(owned_project)]
ImageId = Annotated[str, Depends(owned_image)]
