"""Which renders are alive in this process, per comic: so a delete can stop them, and a panel left
`rendering` on disk by a render that is gone (a failed write, a crash) is known to be stale.

One process serves a DATA_DIR or a Supabase project (job resume at start-up assumes it too), so what
this process knows is the whole truth.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

from app.errors import NotFound

T = TypeVar("T")


class ProjectGone(NotFound):
    """The project was deleted (or is being deleted) while this render ran."""


class LiveRenders:
    def __init__(self) -> None:
        self._panels: Counter[tuple[str, str]] = Counter()
        self._tasks: dict[str, set[asyncio.Task[Any]]] = {}
        self._closing: set[str] = set()

    # -- panels ---------------------------------------------------------------------------------
    def hold(self, comic_id: str, panel_id: str) -> None:
        """Held from before a panel is marked `rendering` until its outcome is written (or could not be)."""
        self._panels[(comic_id, panel_id)] += 1

    def release(self, comic_id: str, panel_id: str) -> None:
        key = (comic_id, panel_id)
        self._panels[key] -= 1
        if self._panels[key] <= 0:
            del self._panels[key]

    @contextmanager
    def panel(self, comic_id: str, panel_id: str) -> Iterator[None]:
        self.hold(comic_id, panel_id)
        try:
            yield
        finally:
            self.release(comic_id, panel_id)

    def is_live(self, comic_id: str, panel_id: str) -> bool:
        return (comic_id, panel_id) in self._panels

    # -- renders run for a request ----------------------------------------------------------------
    def refuse_if_closing(self, comic_id: str) -> None:
        if comic_id in self._closing:
            raise ProjectGone(f"project '{comic_id}' is being deleted")

    async def run(self, comic_id: str, work: Coroutine[Any, Any, T]) -> T:
        """Run one render as its own task, known under its comic, so deleting the comic can stop it."""
        try:
            self.refuse_if_closing(comic_id)
        except ProjectGone:
            work.close()
            raise
        task = asyncio.create_task(work)
        self._tasks.setdefault(comic_id, set()).add(task)
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and current is not None and not current.cancelling():
                raise ProjectGone(f"project '{comic_id}' was deleted while this was being drawn") from None
            raise
        finally:
            tasks = self._tasks.get(comic_id, set())
            tasks.discard(task)
            if not tasks:
                self._tasks.pop(comic_id, None)

    @asynccontextmanager
    async def closed(self, comic_id: str) -> AsyncIterator[None]:
        """While held, no new render starts for the comic; the ones running are cancelled and awaited."""
        self._closing.add(comic_id)
        try:
            running = list(self._tasks.get(comic_id, ()))
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            yield
        finally:
            self._closing.discard(comic_id)
