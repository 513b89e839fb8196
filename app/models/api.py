"""Request and response bodies of the REST API. Every string and list has a stated bound."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field, field_validator

from app.models.schemas import Character, Comic, Job, JobError, JobStatus, JobStep, Scene
from utils import ID_PATTERN, parse_age_group

Topic = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)]
Style = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40,
                                         pattern=r"^[A-Za-z0-9 _-]+$")]
Feedback = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=1000)]
RecordIdStr = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=ID_PATTERN)]


class Body(BaseModel):
    """Request bodies refuse fields they do not know, so a typo is a 422, not a silent default."""

    model_config = ConfigDict(extra="forbid")


class GenerateScenesRequest(Body):
    topic: Topic = Field(description="What the comic teaches, e.g. 'teaching kids about safety'")
    age_group: str = Field(default="5-12", max_length=7, description="youngest-oldest reader, e.g. '5-12'")
    num_scenes: int = Field(default=6, ge=1, le=12)
    style: Style | None = Field(default=None, description="art style, e.g. 'cartoon', 'pastel', 'watercolor'")

    @field_validator("age_group")
    @classmethod
    def _age_group(cls, value: str) -> str:
        low, high = parse_age_group(value)
        return f"{low}-{high}"


class RefineScenesRequest(Body):
    feedback: Feedback
    scene_ids: list[RecordIdStr] | None = Field(default=None, max_length=12,
                                                description="the scenes to rewrite; all when omitted")


class SelectCharactersRequest(Body):
    character_ids: list[RecordIdStr] = Field(min_length=1, max_length=6)

    @field_validator("character_ids")
    @classmethod
    def _unique(cls, ids: list[str]) -> list[str]:
        if len(set(ids)) != len(ids):
            raise ValueError("character_ids must not repeat an id")
        return ids


class JobAccepted(BaseModel):
    job_id: str
    status: JobStatus
    status_url: str


class JobStatusDocument(BaseModel):
    job_id: str
    comic_id: str
    kind: str
    topic: str
    status: JobStatus
    step: JobStep
    progress: int
    error: JobError | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, job: Job) -> "JobStatusDocument":
        return cls(job_id=job.id, comic_id=job.comic_id, kind=job.kind, topic=job.topic, status=job.status,
                   step=job.step, progress=job.progress, error=job.error, created_at=job.created_at,
                   updated_at=job.updated_at)


class ScenesResponse(BaseModel):
    job_id: str
    scenes: list[Scene]


class CharacterCatalog(BaseModel):
    characters: list[Character]


class CharacterSelection(BaseModel):
    job_id: str
    characters: list[Character]


class ComicResult(Comic):
    @computed_field  # type: ignore[prop-decorator]
    @property
    def comic_id(self) -> str:
        return self.id


class JsonStorageStats(BaseModel):
    total_jobs: int
    total_comics: int
    total_size_mb: float


class ImageStorageStats(BaseModel):
    total_images: int
    panels_size_mb: float
    total_size_mb: float


class StorageStatsResponse(BaseModel):
    json_storage: JsonStorageStats
    image_storage: ImageStorageStats
    total_storage_mb: float


class Health(BaseModel):
    status: str
    storage: str
    providers: dict[str, str]
