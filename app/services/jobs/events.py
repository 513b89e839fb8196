"""Project change events for live clients (WebSocket): every saved comic is announced to its listeners.

In-process and lossy by design: a slow listener keeps only the newest states, since each event carries
the whole state and a newer one supersedes the older. A deleted project's listeners get PROJECT_DELETED
last, so a live client hears that it is gone rather than waiting for a change that never comes.
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

    def publish(self, comic: Comic) -> None:
        for queue in self._listeners.get(comic.id, ()):
            _put_newest(queue, comic)

    def deleted(self, comic_id: str) -> None:
        """Tell the project's listeners it is gone; they hear nothing more about it."""
        for queue in self._listeners.pop(comic_id, set()):
            _put_newest(queue, PROJECT_DELETED)

    def listeners(self, comic_id: str) -> int:
        return len(self._listeners.get(comic_id, ()))


def _put_newest(queue: asyncio.Queue[ProjectChange], change: ProjectChange) -> None:
    if queue.full():
        queue.get_nowait()  # drop the oldest state; the new change supersedes it
    queue.put_nowait(change)
