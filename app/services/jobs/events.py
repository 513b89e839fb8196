"""Project change events for live clients (WebSocket): every saved comic is announced to its listeners.

In-process and lossy by design: a slow listener keeps only the newest states, since each event carries
the whole state and a newer one supersedes the older. A deleted project's listeners get PROJECT_DELETED
last, so a live client hears that it is gone rather than waiting for a change that never comes.

A state reaches its listeners once: a version no newer than the last one published for the project is
dropped. Changes written by other instances arrive re-read from storage (app/services/jobs/live_updates.py),
this instance's own writes both directly and re-read, and a re-read may be older than a write published
meanwhile; none of these is sent twice or out of order.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from app.models.schemas import Comic

QUEUE_SIZE = 32


class ProjectDeleted:
    """What a listener receives, last, when its project is deleted."""

    def __repr__(self) -> str:
        return "PROJECT_DELETED"


PROJECT_DELETED = ProjectDeleted()
ProjectChange = Comic | ProjectDeleted


class ProjectEvents:
    def __init__(self) -> None:
        self._listeners: dict[str, set[asyncio.Queue[ProjectChange]]] = defaultdict(set)
        self._published: dict[str, int] = {}  # project id -> the last version its listeners were sent

    @contextmanager
    def listen(self, comic_id: str) -> Iterator[asyncio.Queue[ProjectChange]]:
        queue: asyncio.Queue[ProjectChange] = asyncio.Queue(QUEUE_SIZE)
        self._listeners[comic_id].add(queue)
        try:
            yield queue
        finally:
            self._listeners[comic_id].discard(queue)
            if not self._listeners[comic_id]:
                del self._listeners[comic_id]
                self._published.pop(comic_id, None)

    def publish(self, comic: Comic) -> None:
        queues = self._listeners.get(comic.id)
        if not queues or comic.version <= self._published.get(comic.id, 0):
            return
        self._published[comic.id] = comic.version
        for queue in queues:
            _put_newest(queue, comic)

    def is_news(self, comic_id: str, version: int | None) -> bool:
        """Whether a change to this project at `version` (None: unknown) may be one its listeners have not
        been sent: False when nobody here listens, or that version was published already."""
        if comic_id not in self._listeners:
            return False
        return version is None or version > self._published.get(comic_id, 0)

    def watched(self) -> list[str]:
        """The projects someone listens to here."""
        return list(self._listeners)

    def deleted(self, comic_id: str) -> None:
        """Tell the project's listeners it is gone; they hear nothing more about it."""
        self._published.pop(comic_id, None)
        for queue in self._listeners.pop(comic_id, set()):
            _put_newest(queue, PROJECT_DELETED)

    def listeners(self, comic_id: str) -> int:
        return len(self._listeners.get(comic_id, ()))


def _put_newest(queue: asyncio.Queue[ProjectChange], change: ProjectChange) -> None:
    if queue.full():
        queue.get_nowait()  # drop the oldest state; the new change supersedes it
    queue.put_nowait(change)
