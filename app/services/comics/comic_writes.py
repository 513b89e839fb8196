"""Coalesced comic writes: changes queued for one comic while its last write is in flight go out together.

Render-all finishes many panels close together; each used to rewrite the whole comic, so its cost grew
with panels x comic size. Here each comic has at most one write in flight, and everything queued for it
meanwhile is applied in the next one: one `DataManager.update_comic` (compare-and-swap, retried on a
race, re-applying every queued change) carrying all of them. Changes queued without a pause between them
(`submit` twice, then await) always share a write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from app.models.schemas import Comic
from app.storage.data_manager import DataManager

# Applied to the comic in place (or returning a new one); None means "nothing to change". A change that
# refuses raises before it changes anything: the others in its write still apply.
Change = Callable[[Comic], "Comic | None"]


class ComicWrites:
    def __init__(self, data: DataManager) -> None:
        self.data = data
        self._queued: dict[str, list[tuple[Change, asyncio.Future[Comic]]]] = {}
        self._writers: dict[str, asyncio.Task[None]] = {}

    def submit(self, comic_id: str, change: Change) -> asyncio.Future[Comic]:
        """Queue a change; the future gives the comic as saved with it (or the change's own error)."""
        future: asyncio.Future[Comic] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieved)
        self._queued.setdefault(comic_id, []).append((change, future))
        if comic_id not in self._writers:
            self._writers[comic_id] = asyncio.create_task(self._drain(comic_id), name=f"comic-writes-{comic_id}")
        return future

    async def update(self, comic_id: str, change: Change) -> Comic:
        """Queue a change and wait for its write. A cancelled caller does not withdraw it: the write lands."""
        return await asyncio.shield(self.submit(comic_id, change))

    async def _drain(self, comic_id: str) -> None:
        try:
            while batch := self._queued.pop(comic_id, None):
                await self._write(comic_id, batch)
        finally:
            del self._writers[comic_id]
            for _, future in self._queued.pop(comic_id, []):  # only when the loop itself is torn down
                future.cancel()

    async def _write(self, comic_id: str, batch: list[tuple[Change, asyncio.Future[Comic]]]) -> None:
        refused: dict[int, Exception] = {}

        def apply_all(comic: Comic) -> Comic | None:
            refused.clear()  # a compare-and-swap retry applies every change again to the fresh copy
            changed = False
            for index, (change, _) in enumerate(batch):
                try:
                    result = change(comic)
                except Exception as exc:
                    refused[index] = exc
                    continue
                if result is not None:
                    comic, changed = result, True
            return comic if changed else None

        try:
            saved = await self.data.update_comic(comic_id, apply_all)
        except BaseException as exc:  # every caller in the batch gets the write's failure
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc) if isinstance(exc, Exception) else future.cancel()
            if not isinstance(exc, Exception):
                raise
            return
        for index, (_, future) in enumerate(batch):
            if future.done():
                continue
            if index in refused:
                future.set_exception(refused[index])
            else:
                future.set_result(saved)


def _retrieved(future: asyncio.Future[Comic]) -> None:
    """A caller that stopped waiting (cancelled) leaves its failure unread: mark it read, not "never retrieved"."""
    if not future.cancelled():
        future.exception()
