"""Writes that storage refused for now (a full disk), held in memory until they land.

A job's failure or a story's end must not wait for a restart: while its write cannot be made, the change
is laid over every read of that record (so status routes, streams and the per-owner quota already see
it), and it is retried in the background with backoff until it is written, the record is gone, or the
service stops (then the next start-up's resume ends the record instead). Any other write of the same
record carries the held changes with it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Literal, TypeVar
from collections.abc import Callable

from app.errors import FableError, NotFound
from app.models.schemas import Record

log = logging.getLogger(__name__)

Kind = Literal["job", "comic"]
R = TypeVar("R", bound=Record)
Mutation = Callable[[R], "R | None"]
Key = tuple[str, str]


class PendingWrites:
    def __init__(
        self,
        land: Callable[[Kind, str], Awaitable[None]],
        *,
        first_delay: float = 0.5,
        max_delay: float = 30.0,
        attempt_timeout: float = 30.0,
    ) -> None:
        self._land = land  # writes the record with its held changes folded in (DataManager._update)
        self.first_delay, self.max_delay, self.attempt_timeout = first_delay, max_delay, attempt_timeout
        self._held: dict[Key, list[Mutation]] = {}
        self._retries: dict[Key, asyncio.Task[None]] = {}
        self._settled = asyncio.Event()
        self._settled.set()

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, kind: Kind, record_id: str, mutate: Mutation) -> None:
        """Keep `mutate` over reads of the record and retry writing it until it lands."""
        key = (kind, record_id)
        self._held.setdefault(key, []).append(mutate)
        self._settled.clear()
        if key not in self._retries:
            self._retries[key] = asyncio.create_task(self._retry(kind, record_id), name=f"pending-{kind}-{record_id}")

    def overlay(self, kind: Kind, record_id: str, record: R) -> tuple[R, list[Mutation]]:
        """The record as it will be once its held changes land, and those changes (to settle after a write)."""
        held = self._held.get((kind, record_id))
        if not held:
            return record, []
        current = record.model_copy(deep=True)
        for mutate in held:
            try:
                changed = mutate(current)
            except FableError:
                changed = None  # the change refuses this state (the record moved on): nothing to lay over
            if changed is not None:
                current = changed
        return current, list(held)

    def settle(self, kind: Kind, record_id: str, landed: list[Mutation]) -> None:
        """`landed` is written: stop holding it (changes held since the read stay held)."""
        if not landed:
            return
        key = (kind, record_id)
        rest = [m for m in self._held.get(key, []) if not any(m is done for done in landed)]
        if rest:
            self._held[key] = rest
        else:
            self._drop(key)

    def _drop(self, key: Key) -> None:
        self._held.pop(key, None)
        task = self._retries.pop(key, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        if not self._held:
            self._settled.set()

    async def _retry(self, kind: Kind, record_id: str) -> None:
        key, delay = (kind, record_id), self.first_delay
        try:
            while key in self._held:
                await asyncio.sleep(delay)
                try:
                    await asyncio.wait_for(self._land(kind, record_id), timeout=self.attempt_timeout)
                except NotFound:
                    log.info("%s %s is gone; its held change is dropped", kind, record_id)
                    self._drop(key)
                except (FableError, TimeoutError) as exc:
                    log.warning(
                        "%s %s: held change still not written (%s); next try in %.1f s",
                        kind,
                        record_id,
                        getattr(exc, "message", "timed out"),
                        min(delay * 2, self.max_delay),
                    )
                    delay = min(delay * 2, self.max_delay)
                else:
                    log.info("%s %s: held change written", kind, record_id)
        finally:
            if self._retries.get(key) is asyncio.current_task():
                del self._retries[key]

    async def wait_settled(self) -> None:
        """Until nothing is held (every held change is written or dropped)."""
        await self._settled.wait()

    async def stop(self) -> None:
        """Stop retrying (at shutdown); what is still held is ended by the next start-up's resume."""
        tasks = list(self._retries.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._held:
            log.warning(
                "%d held change(s) not written before shutdown; resume ends them at the next start", len(self._held)
            )
