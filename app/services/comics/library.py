"""The reading side: what an owner may see of comics, jobs and images.

Every read the API answers goes through here, not straight to storage. `owner_id` is whose records the
caller may see; None means the API is open and everything is everyone's. Another owner's record is
reported exactly as a missing one, so an id reveals nothing about who has it.
"""

from __future__ import annotations

from typing import Any

from app.errors import NotFound
from app.models.schemas import Comic, ImageRecord, Job
from app.storage.data_manager import DataManager
from app.storage.base import ImageContent


class Library:
    def __init__(self, data: DataManager) -> None:
        self._data = data

    async def comics(self, *, owner_id: str | None, limit: int = 50, offset: int = 0) -> list[Comic]:
        """The owner's comics, newest first (every comic when the API is open)."""
        return await self._data.list_comics(limit=limit, offset=offset, owner_id=owner_id)

    async def comic(self, comic_id: str, *, owner_id: str | None) -> Comic:
        comic = await self._data.get_comic(comic_id)
        _hide_unless_owned(comic.owner_id, owner_id, "comic", comic_id)
        return comic

    async def job(self, job_id: str, *, owner_id: str | None) -> Job:
        job = await self._data.get_job(job_id)
        _hide_unless_owned(job.owner_id, owner_id, "job", job_id)
        return job

    async def image(self, image_id: str, *, owner_id: str | None) -> ImageRecord:
        image = await self._data.get_image(image_id)
        _hide_unless_owned(image.owner_id, owner_id, "image", image_id)
        return image

    async def image_owner(self, image_id: str) -> str | None:
        """Whose image this is, or None when there is no such image (a signed link is then checked
        against no owner, and so answers as a bad link: it reveals nothing about which ids exist)."""
        try:
            return (await self._data.get_image(image_id)).owner_id
        except NotFound:
            return None

    async def image_content(self, image_id: str) -> ImageContent:
        """Where the image's bytes are: a local file, or the external URL it lives at."""
        return await self._data.image_content(image_id)

    async def stats(self) -> dict[str, Any]:
        """Counts and sizes of the stored records and images."""
        return await self._data.stats()


def _hide_unless_owned(record_owner: str | None, owner_id: str | None, kind: str, record_id: str) -> None:
    if owner_id is not None and record_owner != owner_id:
        raise NotFound(f"{kind} '{record_id}' not found")
