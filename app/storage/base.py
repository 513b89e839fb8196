"""The StorageBackend seam: a small set of async primitives over pydantic records.

Every backend translates its own failures into app.errors (NotFound, Conflict, StorageError).
Writes are compare-and-swap on `version`: `expected_version=None` creates (the id must be new),
an int replaces only if the stored version still equals it, and the stored copy gets version + 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from app.models.schemas import Comic, ImageRecord, Job, StorageStats, StoredAnswer


@dataclass(frozen=True)
class ImageContent:
    """Where an image's bytes are: a local file to send, or an external URL to redirect to."""

    record: ImageRecord
    path: Path | None = None
    url: str | None = None


@runtime_checkable
class StorageBackend(Protocol):
    name: str

    async def open(self) -> None: ...
    async def close(self) -> None: ...

    async def save_job(self, job: Job, *, expected_version: int | None) -> Job: ...
    async def get_job(self, job_id: str) -> Job: ...
    async def list_jobs(self, *, limit: int, offset: int = 0) -> list[Job]: ...
    async def active_jobs(self) -> list[Job]: ...
    async def delete_job(self, job_id: str) -> None: ...

    async def save_comic(self, comic: Comic, *, expected_version: int | None) -> Comic: ...
    async def get_comic(self, comic_id: str) -> Comic: ...
    async def list_comics(self, *, limit: int, offset: int = 0, owner_id: str | None = None) -> list[Comic]:
        """Newest first; only `owner_id`'s when it is given."""

    async def delete_comic(self, comic_id: str) -> None: ...
    async def comic_exists(self, comic_id: str) -> bool:
        """Cheaper than reading it: checked before an image naming the comic is recorded."""

    async def put_image(self, record: ImageRecord, data: bytes | None) -> ImageRecord: ...
    async def get_image(self, image_id: str) -> ImageRecord: ...
    async def image_content(self, image_id: str) -> ImageContent: ...
    async def read_image_bytes(self, image_id: str) -> bytes: ...
    async def delete_image(self, image_id: str) -> None: ...
    async def list_images(
        self, *, created_before: datetime | None = None, comic_id: str | None = None
    ) -> list[ImageRecord]:
        """Every image, or those older than `created_before` and/or made for `comic_id`."""

    async def unreferenced_image_files(self) -> list[str]: ...
    async def delete_unreferenced_file(self, relative: str) -> int: ...

    async def get_answer(self, key: str) -> StoredAnswer | None:
        """The row that holds the key: an answer ('done') or a request's claim on it ('pending')."""

    async def put_answer(self, answer: StoredAnswer) -> None:
        """Store the row, replacing whatever holds the key."""

    async def claim_answer(self, claim: StoredAnswer) -> StoredAnswer | None:
        """Store `claim` (a 'pending' row) only if no row holds its key (an insert, on conflict nothing):
        None when it was stored, so the caller holds the key; otherwise the row that holds it. Of several
        callers racing for one key, exactly one gets None."""

    async def replace_answer(self, row: StoredAnswer, *, expected: StoredAnswer) -> bool:
        """Put `row` in place of the key's row only if that is still `expected` (the same state and claim
        token): compare-and-swap, for storing a claim's answer, refreshing a claim, taking over a stale one.
        False (nothing written) when the row changed or is gone."""

    async def release_claim(self, claim: StoredAnswer) -> None:
        """Remove the key's row if it is still this pending claim (the request ended with no answer to keep)."""

    async def delete_answers(self, *, created_before: datetime, dry_run: bool = False) -> int:
        """Remove (or with dry_run, count) the stored answers older than the cut-off."""

    async def stats(self) -> StorageStats: ...
