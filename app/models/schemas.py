"""Domain records. Each persisted one carries its Supabase table as `__table__` metadata, so the SQL
migration and the export bundle are generated from these classes rather than written twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from utils import new_id, utcnow


@dataclass(frozen=True)
class TableSpec:
    """A Supabase (PostgreSQL) table: column name -> SQL type, its key and its foreign keys."""

    name: str
    columns: dict[str, str]
    primary_key: tuple[str, ...] = ("id",)
    foreign_keys: dict[str, str] = field(default_factory=dict)  # column -> "table.column"


JobStatus = Literal["queued", "running", "awaiting_input", "completed", "failed", "cancelled"]
JobStep = Literal[
    "generating_scenes",
    "scenes_ready",
    "refining_scenes",
    "rendering_characters",
    "generating_panels",
    "rendering_panels",
    "assembling",
    "done",
    "writing_story",
]
FINAL_JOB_STATUSES: frozenset[str] = frozenset({"completed", "failed", "cancelled"})
CharacterType = Literal["humanoid", "creature", "concept", "object"]
StoryStatus = Literal["idle", "streaming", "completed", "error"]
CharacterRole = Literal["protagonist", "antagonist", "supporting", "minor"]
PanelStatus = Literal["pending", "rendering", "rendered", "failed"]
ImageKind = Literal["panel", "character", "temp"]


class Record(BaseModel):
    model_config = ConfigDict(extra="ignore")
    __table__: ClassVar[TableSpec]


class DialogueLine(BaseModel):
    speaker: str = Field(min_length=1, max_length=80)
    text: str = Field(min_length=1, max_length=600)


class Scene(Record):
    scene_id: str
    title: str
    description: str
    dialogue: list[DialogueLine] = []
    learning_point: str
    visual_elements: list[str] = []
    setting: str = "park"
    revision: int = 0

    __table__ = TableSpec(
        name="scenes",
        columns={
            "id": "uuid",
            "comic_id": "uuid",
            "position": "integer",
            "scene_id": "text",
            "title": "text",
            "description": "text",
            "dialogue": "jsonb",
            "learning_point": "text",
            "visual_elements": "text[]",
            "data": "jsonb",
            "created_at": "timestamptz",
        },
        foreign_keys={"comic_id": "comics.id"},
    )


class Character(Record):
    id: str
    name: str
    description: str
    character_type: CharacterType = "humanoid"
    visual_tags: list[str] = []
    age_group: str = "5-12"
    color_palette: list[str] = []
    brief: str | None = None
    era: str | None = None
    visual_form: str | None = None
    distinctive_markers: list[str] = []
    demeanor: str | None = None
    role: CharacterRole | None = None
    image_url: str | None = None
    image_id: str | None = None
    reference_url: str | None = None  # where a remote image model can fetch the reference sheet
    image_history: list[str] = []  # earlier reference images (ids), oldest first; any can be restored

    __table__ = TableSpec(
        name="characters",
        columns={
            "id": "uuid",
            "comic_id": "uuid",
            "position": "integer",
            "character_id": "text",
            "name": "text",
            "description": "text",
            "character_type": "text",
            "visual_tags": "text[]",
            "age_group": "text",
            "data": "jsonb",
            "created_at": "timestamptz",
        },
        foreign_keys={"comic_id": "comics.id"},
    )


class Panel(Record):
    panel_id: str = Field(default_factory=new_id)
    scene_id: str
    title: str
    description: str
    characters: list[str] = []
    dialogue: list[DialogueLine] = []
    narration: str | None = None  # the caption's words, in the narrator's voice
    image_url: str | None = None  # the lettered panel: the art with its balloons and caption
    image_path: str | None = None
    image_id: str | None = None
    art_url: str | None = None  # the same art without lettering, kept for re-lettering and reuse
    art_id: str | None = None
    status: PanelStatus = "pending"
    error: str | None = None
    retryable: bool = False  # for a failed panel: whether rendering it again may succeed
    stale: bool = False  # a character it shows has a new reference image since it was rendered
    image_history: list[str] = []  # earlier images (ids), oldest first; any can be restored

    __table__ = TableSpec(
        name="panels",
        columns={
            "id": "uuid",
            "comic_id": "uuid",
            "position": "integer",
            "panel_id": "text",
            "scene_id": "text",
            "title": "text",
            "description": "text",
            "characters": "text[]",
            "dialogue": "jsonb",
            "image_url": "text",
            "image_path": "text",
            "status": "text",
            "data": "jsonb",
            "created_at": "timestamptz",
        },
        foreign_keys={"comic_id": "comics.id"},
    )


ComicStatus = Literal["draft", "scenes_ready", "rendering", "completed", "failed"]


class WrittenScene(BaseModel):
    """A scene as its writer wrote it (or last refined it) and the cast, by name, it was written for."""

    scene: Scene
    cast: list[str] = []


class VersionedRecord(Record):
    """A top-level record: written compare-and-swap on `version`, stamped when created and changed."""

    id: str = Field(default_factory=new_id)
    owner_id: str | None = None  # who may see it (see app/api/auth.py); None while the API is open
    version: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Comic(VersionedRecord):
    title: str
    topic: str
    age_group: str = "5-12"
    style: str = "cartoon"
    status: ComicStatus = "draft"
    job_ids: list[str] = []  # every job that worked on it, oldest first (the wizard's, each story, each render-all)
    prompt: str | None = None
    story: str = ""
    story_status: StoryStatus = "idle"
    story_error: str | None = None
    scenes: list[Scene] = []
    # The scenes before any choice of characters: every choice recasts these, never an earlier recast.
    # Empty until the first choice (and in files from before it), when `scenes` are still as written.
    written_scenes: list[WrittenScene] = []
    characters: list[Character] = []
    panels: list[Panel] = []

    @model_validator(mode="before")
    @classmethod
    def _fold_job_id(cls, stored: Any) -> Any:
        """Comics stored before `job_ids` listed every job kept one in `job_id` (the wizard's, also in job_ids,
        or a story's, only there): read, it joins `job_ids`; the next save writes the comic without it."""
        if isinstance(stored, dict) and "job_id" in stored:
            stored = dict(stored)
            job_id = stored.pop("job_id")
            job_ids = list(stored.get("job_ids") or [])
            if job_id and job_id not in job_ids:
                job_ids.append(job_id)
            stored["job_ids"] = job_ids
        return stored

    __table__ = TableSpec(
        name="comics",
        columns={
            "id": "uuid",
            "owner_id": "text",
            "topic": "text",
            "title": "text",
            "age_group": "text",
            "style": "text",
            "status": "text",
            "data": "jsonb",
            "created_at": "timestamptz",
            "updated_at": "timestamptz",
        },
    )


class JobError(BaseModel):
    code: str
    message: str


class JobUsage(BaseModel):
    """What a job spent on vendors, over every run of it (a resumed job keeps its earlier runs')."""

    tokens: int = 0
    text_calls: int = 0
    image_calls: int = 0

    def plus(self, *, tokens: int = 0, text_calls: int = 0, image_calls: int = 0) -> JobUsage:
        return JobUsage(
            tokens=self.tokens + tokens,
            text_calls=self.text_calls + text_calls,
            image_calls=self.image_calls + image_calls,
        )


class JobPayload(BaseModel):
    """What a job carries besides its status (stored as `data`): its kind's own inputs, and what it spent.

    Stored as before this was typed: a key is written once it has a value, and keys this version does not
    know (from an older or a newer one) are left out when read."""

    model_config = ConfigDict(extra="ignore")

    usage: JobUsage | None = None

    def with_spent(self, *, tokens: int = 0, text_calls: int = 0, image_calls: int = 0) -> Self:
        """A copy with this run's spending added to the total."""
        total = (self.usage or JobUsage()).plus(tokens=tokens, text_calls=text_calls, image_calls=image_calls)
        return self.model_copy(update={"usage": total})

    @model_serializer(mode="wrap")
    def _only_what_is_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return {key: value for key, value in handler(self).items() if value is not None}


class SceneRefinement(BaseModel):
    """A refine request, kept on its job until the rewrite is done, so a restart can redo it."""

    feedback: str
    scene_ids: list[str]


class WizardPayload(JobPayload):
    num_scenes: int = 6
    refine: SceneRefinement | None = None  # the refinement under way, while the step is refining_scenes
    character_ids: list[str] | None = None  # the reader's last choice of characters


class RenderPanelsPayload(JobPayload):
    """A render-all renders whatever its comic's panels need: it carries nothing of its own."""


class StoryPayload(JobPayload):
    """A story's prompt and text live on its comic: its job carries nothing of its own."""


JobKind = Literal["wizard", "render_panels", "story"]
PAYLOADS: dict[str, type[JobPayload]] = {
    "wizard": WizardPayload,
    "render_panels": RenderPanelsPayload,
    "story": StoryPayload,
}
P = TypeVar("P", bound=JobPayload)


class Job(VersionedRecord):
    comic_id: str
    kind: JobKind = "wizard"
    topic: str
    status: JobStatus = "queued"
    step: JobStep = "generating_scenes"
    progress: int = Field(default=0, ge=0, le=100)
    error: JobError | None = None
    data: WizardPayload | RenderPanelsPayload | StoryPayload = Field(default_factory=WizardPayload)
    # Which run of the job's work owns it: each run takes the next lease before it starts, and every write
    # of its progress or its end checks it, so a run that was paused while another took over stops instead
    # of overwriting that one (app/services/jobs/runner.py).
    lease: int = 0

    @model_validator(mode="before")
    @classmethod
    def _payload_of_its_kind(cls, given: Any) -> Any:
        """`data` is read (from a dict, a stored file or row) as the payload of the job's kind."""
        if not isinstance(given, dict):
            return given
        payload_type = PAYLOADS.get(given.get("kind") or "wizard")
        payload = given.get("data")
        if payload_type is None or isinstance(payload, payload_type):
            return given
        if isinstance(payload, BaseModel):
            payload = payload.model_dump()
        return {**given, "data": payload_type.model_validate(payload or {})}

    def payload(self, kind: type[P]) -> P:
        """The job's payload as the kind its caller works on; a job of another kind is a bug, not input."""
        if not isinstance(self.data, kind):
            raise TypeError(f"job {self.id} is a {self.kind} job, not one carrying {kind.__name__}")
        return self.data

    __table__ = TableSpec(
        name="jobs",
        columns={
            "id": "uuid",
            "owner_id": "text",
            "comic_id": "uuid",
            "kind": "text",
            "topic": "text",
            "status": "text",
            "step": "text",
            "progress": "integer",
            "data": "jsonb",
            "error": "jsonb",
            "created_at": "timestamptz",
            "updated_at": "timestamptz",
        },
        foreign_keys={"comic_id": "comics.id"},
    )

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_JOB_STATUSES


class ImageRecord(Record):
    id: str = Field(default_factory=new_id)
    owner_id: str | None = None
    kind: ImageKind
    comic_id: str | None = None
    panel_id: str | None = None
    character_id: str | None = None
    url: str | None = None  # external URL, when the bytes live elsewhere
    local_path: str | None = None  # relative to DATA_DIR/images, when the bytes are ours
    content_type: str = "image/png"
    size_bytes: int = 0
    width: int | None = None
    height: int | None = None
    source_url: str | None = None
    model: str | None = None
    art_id: str | None = None  # for a lettered panel: the unlettered image it was lettered from
    created_at: datetime = Field(default_factory=utcnow)

    __table__ = TableSpec(
        name="images",
        columns={
            "id": "uuid",
            "owner_id": "text",
            "comic_id": "uuid",
            "panel_id": "uuid",
            "character_id": "text",
            "kind": "text",
            "url": "text",
            "local_path": "text",
            "content_type": "text",
            "size_bytes": "bigint",
            "width": "integer",
            "height": "integer",
            "source_url": "text",
            "model": "text",
            "data": "jsonb",
            "created_at": "timestamptz",
        },
        foreign_keys={"panel_id": "panels.id", "comic_id": "comics.id"},
    )


# In foreign-key order: a table comes after every table it points at.
TABLE_MODELS: tuple[type[Record], ...] = (Comic, Job, Scene, Character, Panel, ImageRecord)


class StoredAnswer(Record):
    """The first answer to a POST sent with an Idempotency-Key, replayed to every repeat of it."""

    key: str  # a digest of the owner and their Idempotency-Key
    owner_id: str | None = None
    fingerprint: str  # a digest of the method, path, query and body: a repeat must match it
    status_code: int
    headers: dict[str, str] = {}
    body: str
    created_at: datetime = Field(default_factory=utcnow)
    # A row is first the claim of the request running for the key ('pending': no answer yet), then its
    # answer ('done'). `claim` is that request's token (compare-and-swap on it: a refresh, a take-over),
    # `claimed_at` when its holder last said it is alive: a claim not refreshed for a while is stale.
    state: Literal["pending", "done"] = "done"
    claim: str | None = None
    claimed_at: datetime | None = None

    __table__ = TableSpec(
        name="idempotency_keys",
        columns={
            "key": "text",
            "owner_id": "text",
            "fingerprint": "text",
            "status_code": "integer",
            "headers": "jsonb",
            "body": "text",
            "created_at": "timestamptz",
            "state": "text",
            "claim": "text",
            "claimed_at": "timestamptz",
        },
        primary_key=("key",),
    )


# The service's own bookkeeping: in the migration, not in the export bundle.
SERVICE_MODELS: tuple[type[Record], ...] = (StoredAnswer,)


class StorageStats(BaseModel):
    total_jobs: int = 0
    total_comics: int = 0
    json_bytes: int = 0
    total_images: int = 0
    panel_image_bytes: int = 0
    image_bytes: int = 0


class CleanupReport(BaseModel):
    dry_run: bool
    temp_images: list[str] = []
    orphan_images: list[str] = []
    bytes_freed: int = 0
    expired_idempotency_keys: int = 0
