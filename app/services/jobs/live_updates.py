"""Changes written by other API instances, brought to this instance's live clients (SSE and WebSocket).

ChangeFeed (app/storage/change_feed.py) hears every committed change to a job or a comic; LiveUpdates wakes
the listeners it concerns, who re-read the state from storage, as they do after this instance's own writes:

- a job: the runner's change signal for it (an SSE stream waits on it, then reads the job);
- a comic: its state is re-read once and published to ProjectEvents (the WebSocket, and the SSE streams of
  its jobs), only when someone here listens to it and the version is newer than the one they were sent;
  several changes arriving while a re-read is under way are covered by one more re-read after it;
- a deleted comic: its listeners hear PROJECT_DELETED.

After a reconnect every listener is woken: the notifications sent while the connection was down are lost.
The streams' own 15 s re-read stays as the fallback. This instance's own writes come back too: harmless, the
re-read finds the version already published, or the runner's waiter reads the same job again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from app.errors import FableError, NotFound
from app.services.jobs.events import ProjectEvents
from app.services.jobs.runner import JobRunner
from app.storage.data_manager import DataManager

if TYPE_CHECKING:
    from app.storage.change_feed import Change

log = logging.getLogger(__name__)


class LiveUpdates:
    def __init__(self, *, data: DataManager, runner: JobRunner, events: ProjectEvents) -> None:
        self.data, self.runner, self.events = data, runner, events
        self._rereads: dict[str, asyncio.Task[None]] = {}  # comic id -> its re-read under way
        self._again: set[str] = set()  # comics changed again while their re-read was under way

    def on_change(self, change: Change) -> None:
        if change.kind == "job":
            self.runner.notify(change.id)
        elif change.op == "delete":
            self.events.deleted(change.id)
        elif self.events.is_news(change.id, change.version):
            self._reread(change.id)

    def on_reconnect(self) -> None:
        self.runner.notify_all()
        for comic_id in self.events.watched():
            self._reread(comic_id)

    def _reread(self, comic_id: str) -> None:
        if comic_id in self._rereads:
            self._again.add(comic_id)
            return
        task = asyncio.create_task(self._publish_latest(comic_id), name=f"reread-{comic_id}")
        self._rereads[comic_id] = task
        task.add_done_callback(lambda _: self._rereads.pop(comic_id, None))

    async def _publish_latest(self, comic_id: str) -> None:
        while True:
            self._again.discard(comic_id)
            try:
                comic = await self.data.get_comic(comic_id)
            except NotFound:
                self.events.deleted(comic_id)
                return
            except FableError as exc:  # storage is failing: the listeners' own re-read will try again
                log.warning("live updates: could not re-read comic %s: %s", comic_id, exc.message)
                return
            self.events.publish(comic)
            if comic_id not in self._again:
                return

    async def close(self) -> None:
        tasks = list(self._rereads.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
