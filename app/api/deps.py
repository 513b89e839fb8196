"""Dependencies: the clients built once in the lifespan, reached through Annotated types."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

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

JobId = Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="a job id")]
ImageId = Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="an image id")]
