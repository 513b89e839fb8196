"""The finished comic as files: PDF (one page per comic page), CBZ (pages and ComicInfo.xml) and PNG
(the first page), made from the lettered panels in reading order; and JSON, the comic's rows of the
Supabase tables (the export bundle)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from typing import Literal

from app.errors import Conflict, NotFound
from app.models.schemas import Comic
from app.services.drawing import pages
from app.storage.data_manager import DataManager
from utils import slugify, topic_subject

PageFormat = Literal["pdf", "cbz", "png"]
ExportFormat = Literal["pdf", "cbz", "png", "json"]  # the route's path parameter: a 422 names every one
MEDIA_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "cbz": "application/vnd.comicbook+zip",
    "png": "image/png",
    "json": "application/json",
}
LAYOUT_VERSION = 1  # part of every ETag: a change to the page layout must not be served from caches


@dataclass(frozen=True)
class ComicFile:
    data: bytes
    media_type: str
    filename: str
    etag: str


@dataclass(frozen=True)
class Book:
    """A comic's pages, ready to be written in any format."""

    comic: Comic
    pages: list  # PIL images, in reading order

    def write(self, fmt: PageFormat) -> bytes:
        comic = self.comic
        if fmt == "png":
            return pages.png_bytes(self.pages[0])
        if fmt == "pdf":
            return pages.pdf_bytes(self.pages, title=comic.title, subject=summary(comic), created=comic.created_at)
        info = pages.ComicInfo(
            title=comic.title,
            summary=summary(comic),
            characters=[c.name for c in comic.characters],
            age_rating=pages.age_rating(comic.age_group),
            created=comic.created_at,
        )
        return pages.cbz_bytes(self.pages, info=info)


def summary(comic: Comic) -> str:
    lessons = list(dict.fromkeys(s.learning_point for s in comic.scenes if s.learning_point))
    text = f"A comic about {topic_subject(comic.topic)} for ages {comic.age_group}."
    if lessons:
        text += " What it teaches: " + " ".join(lessons)
    return text


def _not_drawn(comic: Comic) -> str | None:
    """Why the comic cannot be printed yet, or None when every panel has a lettered image."""
    if not comic.panels:
        return "this comic has no panels yet: plan and render them first"
    missing = [p for p in comic.panels if p.status != "rendered" or not p.image_id]
    if missing:
        return (
            f"{len(missing)} of {len(comic.panels)} panels are not drawn yet "
            f"(first: '{missing[0].title}', {missing[0].status}); render them first"
        )
    return None


def etag(comic: Comic, fmt: str) -> str:
    return '"' + hashlib.sha256(f"{comic.id}:{comic.version}:{fmt}:{LAYOUT_VERSION}".encode()).hexdigest()[:32] + '"'


class ComicExporter:
    """Builds the files on demand from the stored lettered panels. Page composition is CPU work done in
    a thread, at most `max_concurrent` at a time, so exports cannot starve the API."""

    def __init__(self, data: DataManager, *, max_concurrent: int = 2) -> None:
        self.data = data
        self._slots = asyncio.Semaphore(max_concurrent)

    async def current_etag(self, comic_id: str, fmt: ExportFormat) -> str | None:
        """The ETag the export would have, known before making it. None when there is no file to make yet
        (a panel not drawn), and for `json`, whose rows (its jobs too) can change while the comic's version
        does not: its ETag is a digest of the bytes."""
        comic = await self.data.get_comic(comic_id)
        return None if fmt == "json" or _not_drawn(comic) else etag(comic, fmt)

    async def book(self, comic: Comic) -> Book:
        """The comic's pages; 409 unless every panel has a lettered image."""
        if problem := _not_drawn(comic):
            raise Conflict(problem)
        panels = []
        for panel in comic.panels:
            try:
                panels.append(await self.data.read_image_bytes(panel.image_id))  # type: ignore[arg-type]
            except NotFound as exc:
                raise Conflict(f"panel '{panel.title}' has no stored image to print; render it again") from exc
        subtitle = f"A Fable Tales comic for ages {comic.age_group.replace('-', '–')}"
        async with self._slots:
            composed = await asyncio.to_thread(pages.compose_pages, title=comic.title, subtitle=subtitle, panels=panels)
        return Book(comic=comic, pages=composed)

    async def export(self, comic_id: str, fmt: ExportFormat) -> ComicFile:
        comic = await self.data.get_comic(comic_id)
        name = slugify(comic.title) or "comic"
        if fmt == "json":  # the rows as they are now, finished or not
            data = json.dumps(await self.data.export_comic_data(comic_id), ensure_ascii=False).encode("utf-8")
            tag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
            return ComicFile(data=data, media_type=MEDIA_TYPES[fmt], filename=f"{name}.json", etag=tag)
        book = await self.book(comic)
        async with self._slots:
            data = await asyncio.to_thread(book.write, fmt)
        suffix = "-page-1.png" if fmt == "png" else f".{fmt}"
        return ComicFile(data=data, media_type=MEDIA_TYPES[fmt], filename=f"{name}{suffix}", etag=etag(comic, fmt))
