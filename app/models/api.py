"""Request and response bodies of the REST API. Every string and list has a stated bound."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    computed_field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.models.schemas import Character, Comic, Job, JobError, JobStatus, JobStep, Panel, Scene
from utils import AGE_GROUP_MAX_LENGTH, AGE_GROUP_PATTERN, AGE_GROUP_RULE, ID_PATTERN, normal_age_group


def _has_words(text: str) -> str:
    if sum(ch.isalnum() for ch in text) < 2:
        raise ValueError("must contain words, not only spaces, marks or invisible characters")
    return text


Topic = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300), AfterValidator(_has_words)
]
Style = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9 _-]+$")
]
Feedback = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=1000), AfterValidator(_has_words)
]
RecordIdStr = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=ID_PATTERN)]
AGE_GROUP_ERROR = "age_group"  # the error type of a wrong one: its message is the rule, a fixed sentence


def _age_group(value: str) -> str:
    try:
        return normal_age_group(value)
    except ValueError:
        raise PydanticCustomError(AGE_GROUP_ERROR, AGE_GROUP_RULE) from None


# Written as people write it (5-12, 5–12, 5 TO 12, ages 5-12 years, ５－１２...), kept as 5-12. A wrong one is told
# the rule in words (pydantic's own pattern check would quote a regular expression); the schema states the
# same pattern.
AgeGroup = Annotated[
    str,
    AfterValidator(_age_group),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": AGE_GROUP_MAX_LENGTH,
            "pattern": AGE_GROUP_PATTERN,
            "description": f"the readers' ages: {AGE_GROUP_RULE} (also 5–12, 5 to 12, ages 5-12, 5-12 years; "
            "kept as 5-12)",
        }
    ),
]


# Control characters (other than tab and newline) and unpaired surrogates: nothing a person types, and
# PostgreSQL text cannot hold NUL, so they are refused at the door rather than deep in storage.
# Bidirectional overrides and isolates go too: they make text read differently from what it is.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in _strings(item)]
    return []


class Body(BaseModel):
    """Request bodies refuse fields they do not know, so a typo is a 422, not a silent default."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _printable(self) -> Body:
        for name in type(self).model_fields:
            if any(_UNPRINTABLE.search(text) for text in _strings(getattr(self, name))):
                raise ValueError(
                    f"{name} contains a control character, a text-direction override or an unpaired surrogate"
                )
        return self


class GenerateScenesRequest(Body):
    topic: Topic = Field(description="What the comic teaches, e.g. 'teaching kids about safety'")
    age_group: AgeGroup = "5-12"
    num_scenes: int = Field(default=6, ge=1, le=12)
    style: Style | None = Field(default=None, description="art style, e.g. 'cartoon', 'pastel', 'watercolor'")


class RefineScenesRequest(Body):
    feedback: Feedback
    scene_ids: list[RecordIdStr] | None = Field(
        default=None, max_length=12, description="the scenes to rewrite; all when omitted"
    )


class SelectCharactersRequest(Body):
    character_ids: list[RecordIdStr] = Field(min_length=1, max_length=6)

    @field_validator("character_ids")
    @classmethod
    def _unique(cls, ids: list[str]) -> list[str]:
        if len(set(ids)) != len(ids):
            raise ValueError("character_ids must not repeat an id")
        return ids


class ErrorBody(BaseModel):
    """Every error this API answers on purpose (validation errors keep FastAPI's own list shape)."""

    detail: str
    provider: str | None = Field(default=None, description="the vendor, when one failed (502/503)")
    retryable: bool | None = Field(default=None, description="whether trying again later may help")


class RefusalDetail(BaseModel):
    """Why a topic or text was refused for a children's comic (issue 16): never the words that matched."""

    code: str = Field(description="always 'content_refused'")
    category: str = Field(description="what it was refused as, e.g. 'weapons', 'self_harm'")
    message: str = Field(description="a kind sentence a child can read (self-harm adds the support line)")
    suggestion: str = Field(description="a safe reframing a teacher can use instead")


class ValidationItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class UnprocessableBody(BaseModel):
    """A 422: FastAPI's list of what is invalid, a content refusal, or a sentence (a reused Idempotency-Key)."""

    detail: list[ValidationItem] | RefusalDetail | str


def _error(description: str) -> dict:
    return {"model": ErrorBody, "description": description}


# What any route under /api/v1 may answer besides its own success and 422.
ERROR_RESPONSES: dict[int | str, dict] = {
    400: _error("a malformed Idempotency-Key"),
    401: _error("no valid credential (when API_KEYS or SUPABASE_JWT_SECRET is set)"),
    404: _error("no such record, or not yours"),
    409: _error("the record is not in a state that allows this now"),
    413: _error("the request body is over 1 MB"),
    422: {
        "model": UnprocessableBody,
        "description": "invalid input, or content refused for a children's comic "
        "(detail: {code: content_refused, category, message, suggestion})",
    },
    429: _error("too many of your jobs are running; see Retry-After"),
    502: _error("a vendor refused the request"),
    503: _error("storage or a vendor is unavailable; see Retry-After"),
}


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
    def of(cls, job: Job) -> JobStatusDocument:
        return cls(
            job_id=job.id,
            comic_id=job.comic_id,
            kind=job.kind,
            topic=job.topic,
            status=job.status,
            step=job.step,
            progress=job.progress,
            error=job.error,
            created_at=job.created_at,
            updated_at=job.updated_at,
        )


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


# -- builder ------------------------------------------------------------------------------------------
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Prompt = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]
StoryText = Annotated[str, StringConstraints(max_length=20000)]


class CreateProjectRequest(Body):
    title: Title | None = None
    prompt: Prompt | None = Field(default=None, description="what the story should be about")
    age_group: AgeGroup = "5-12"
    style: Style | None = None


class UpdateProjectRequest(Body):
    version: int = Field(ge=1, description="the version you read; a stale one answers 409 and changes nothing")
    title: Title | None = None
    prompt: Prompt | None = None
    age_group: AgeGroup | None = None
    style: Style | None = None
    story: StoryText | None = Field(default=None, description="the story, edited by hand")

    @field_validator("title", "style", "age_group", "prompt", "story")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be left out, but not set to null")
        return value


SpeakerName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
LineText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600)]
MAX_PANEL_LINES = 12  # the most dialogue lines one panel is lettered with


class DialogueLineIn(Body):
    speaker: SpeakerName = Field(description="a cast member's name, or Narrator for a caption line")
    text: LineText


class ReletterPanelRequest(Body):
    """New words for a panel, lettered onto its kept art (no new drawing). Leave out what stays."""

    version: int = Field(ge=1, description="the project version you read; a stale one answers 409 and changes nothing")
    dialogue: list[DialogueLineIn] | None = Field(
        default=None, max_length=MAX_PANEL_LINES, description="the panel's lines in reading order; [] for none"
    )
    narration: Annotated[str, StringConstraints(strip_whitespace=True, max_length=600)] | None = Field(
        default=None, description="the caption's words; empty to have no caption"
    )

    @field_validator("dialogue")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be left out, but not set to null (send [] for no dialogue)")
        return value

    @model_validator(mode="after")
    def _some_words(self) -> ReletterPanelRequest:
        if not {"dialogue", "narration"} & self.model_fields_set:
            raise ValueError("give dialogue, narration or both: the words to letter the panel with")
        return self


class StoryRequest(Body):
    prompt: Prompt | None = Field(
        default=None, description="what the story should be about; the project's prompt when left out"
    )


class RestoreImageRequest(Body):
    image_id: RecordIdStr = Field(description="an id from the panel's or character's image_history")


class ProjectSummary(BaseModel):
    id: str
    title: str
    topic: str
    age_group: str
    style: str
    status: str
    story_status: str
    characters: int
    panels: int
    panels_rendered: int
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, comic: Comic) -> ProjectSummary:
        return cls(
            id=comic.id,
            title=comic.title,
            topic=comic.topic,
            age_group=comic.age_group,
            style=comic.style,
            status=comic.status,
            story_status=comic.story_status,
            characters=len(comic.characters),
            panels=len(comic.panels),
            panels_rendered=sum(p.status == "rendered" for p in comic.panels),
            version=comic.version,
            created_at=comic.created_at,
            updated_at=comic.updated_at,
        )


class ProjectList(BaseModel):
    projects: list[ProjectSummary]
    limit: int
    offset: int


class ExtractedCharacters(BaseModel):
    project_id: str
    characters: list[Character]


class PanelPlanResponse(BaseModel):
    project_id: str
    panels: list[Panel]
    dropped_characters: list[str] = Field(
        description="names the planner used that are not in the cast; removed from the panels"
    )
