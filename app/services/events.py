"""Project change events for live clients (WebSocket): every saved comic is announced to its listeners.

In-process and lossy by design: a slow listener keeps only the newest states, since each event carries
the whole state and a newer one supersedes the older.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from app.models.schemas import Comic

QUEUE_SIZE = 32


class ProjectEvents:
    def __init__(self) -> None:
        self._listeners: dict[str, set[asyncio.Queue[Comic]]] = defaultdict(set)

    @contextmanager
    def listen(self, comic_id: str) -> Iterator[asyncio.Queue[Comic]]:
        queue: asyncio.Queue[Comic] = asyncio.Queue(QUEUE_SIZE)
        self._listeners[comic_id].add(queue)
        try:
            yield queue
        finally:
            self._listeners[comic_id].discard(queue)
            if not self._listeners[comic_id]:
                del self._listeners[comic_id]

    def publish(self, comic: Comic) -> None:
        for queue in self._listeners.get(comic.id, ()):
            if queue.full():
                queue.get_nowait()  # drop the oldest state; the new one supersedes it
            queue.put_nowait(comic)

    def listeners(self, comic_id: str) -> int:
        return len(self._listeners.get(comic_id, ()))
