"""Dependencies: the services built once in the lifespan, reached through Annotated types."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.requests import HTTPConnection

from app.api.auth import Authenticator, CurrentOwner, caller, get_authenticator
from app.services.comics.builder import ProjectBuilder
from app.services.jobs.events import ProjectEvents
from app.services.exports.exporter import ComicExporter
from app.services.jobs.runner import JobRunner
from app.services.comics.library import Library
from app.services.comics.pipeline import ComicPipeline
from app.services.wiring import Services
from app.storage.data_manager import DataManager
from config import Settings
from utils import ID_PATTERN


def get_settings_dep(connection: HTTPConnection) -> Settings:
    return connection.app.state.settings


def get_services(connection: HTTPConnection) -> Services:
    """The services build_services() wired in the lifespan (app/factory.py); every dependency below is one
    of them, so a test swaps any one with `app.dependency_overrides[get_<piece>]`."""
    return connection.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_storage(services: ServicesDep) -> DataManager:
    return services.data


def get_pipeline(services: ServicesDep) -> ComicPipeline:
    return services.pipeline


def get_runner(services: ServicesDep) -> JobRunner:
    return services.runner


def get_builder(services: ServicesDep) -> ProjectBuilder:
    return services.builder


def get_exporter(services: ServicesDep) -> ComicExporter:
    return services.exporter


def get_events(services: ServicesDep) -> ProjectEvents:
    return services.events


def get_library(services: ServicesDep) -> Library:
    return services.library


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StorageDep = Annotated[DataManager, Depends(get_storage)]
PipelineDep = Annotated[ComicPipeline, Depends(get_pipeline)]
RunnerDep = Annotated[JobRunner, Depends(get_runner)]
BuilderDep = Annotated[ProjectBuilder, Depends(get_builder)]
ExporterDep = Annotated[ComicExporter, Depends(get_exporter)]
EventsDep = Annotated[ProjectEvents, Depends(get_events)]
LibraryDep = Annotated[Library, Depends(get_library)]
AuthenticatorDep = Annotated[Authenticator, Depends(get_authenticator)]

# Each id in a path is checked against the caller before the route runs: another owner's record
# answers 404 exactly as a missing one. With the API open there is nothing to check.


async def owned_job(
    job_id: Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="a job id")],
    library: LibraryDep,
    who: CurrentOwner,
) -> str:
    if who.owner_id is not None:
        await library.job(job_id, owner_id=who.owner_id)
    return job_id


async def owned_project(
    project_id: Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="a project (comic) id")],
    library: LibraryDep,
    who: CurrentOwner,
) -> str:
    if who.owner_id is not None:
        await library.comic(project_id, owner_id=who.owner_id)
    return project_id


async def owned_image(
    image_id: Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="an image id")],
    request: Request,
    library: LibraryDep,
    authenticator: AuthenticatorDep,
    exp: Annotated[str | None, Query(description="a signed image URL's expiry")] = None,
    sig: Annotated[str | None, Query(description="a signed image URL's signature")] = None,
) -> str:
    """The owner's credential, or (for `<img src>`, which sends no header) a signed link from an answer."""
    if not authenticator.enabled:
        return image_id
    if authenticator.image_urls is None or "authorization" in request.headers or (exp is None and sig is None):
        principal = caller(request)  # 401 without a valid credential
        request.state.principal = principal
        await library.image(image_id, owner_id=principal.owner_id)
        return image_id
    expires = authenticator.image_urls.check_expiry(exp or "")
    owner_id = await library.image_owner(image_id)
    authenticator.image_urls.verify(image_id=image_id, owner_id=owner_id, expires=expires, signature=sig or "")
    return image_id


JobId = Annotated[str, Depends(owned_job)]
ProjectId = Annotated[str, Depends(owned_project)]
ImageId = Annotated[str, Depends(owned_image)]
