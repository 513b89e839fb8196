"""Dependencies: the clients built once in the lifespan, reached through Annotated types."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from app.api.auth import Authenticator, CallerDep, caller, hide_unless_owned
from app.errors import NotFound
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
                      request: Request,
                      exp: Annotated[str | None, Query(description="a signed image URL's expiry")] = None,
                      sig: Annotated[str | None, Query(description="a signed image URL's signature")] = None) -> str:
    """The owner's credential, or (for `<img src>`, which sends no header) a signed link from an answer."""
    authenticator: Authenticator = request.app.state.auth
    if not authenticator.enabled:
        return image_id
    if authenticator.image_urls is None or "authorization" in request.headers or (exp is None and sig is None):
        principal = caller(request)  # 401 without a valid credential
        request.state.principal = principal
        hide_unless_owned(principal, (await get_storage(request).get_image(image_id)).owner_id, "image", image_id)
        return image_id
    expires = authenticator.image_urls.check_expiry(exp or "")
    try:
        owner_id = (await get_storage(request).get_image(image_id)).owner_id
    except NotFound:  # answered as a bad link, so a link reveals nothing about which ids exist
        owner_id = None
    authenticator.image_urls.verify(image_id=image_id, owner_id=owner_id, expires=expires, signature=sig or "")
    return image_id


JobId = Annotated[str, Depends(owned_job)]
ProjectId = Annotated[str, Depends(owned_project)]
ImageId = Annotated[str, Depends(owned_image)]
