"""The changes other processes write, heard from PostgreSQL: one LISTEN connection per API instance.

The migration's triggers (app/storage/sql_schema.py: live_updates_sql) announce every committed change to a
job or a comic row on CHANGES_CHANNEL with a small payload. ChangeFeed holds one connection (psycopg 3,
async, autocommit) that LISTENs there and hands each change, parsed, to `on_change`. When the connection is
lost it reconnects with backoff, and once it is back calls `on_reconnect`: anything may have changed while
nobody listened. A quiet connection is checked every `heartbeat` seconds, so a half-open one (a network that
dropped it without a word) is found too. The URL is never logged: it carries the password.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Literal

import psycopg

from app.errors import StorageError
from app.storage.sql_schema import CHANGES_CHANNEL

log = logging.getLogger(__name__)
APPLICATION_NAME = "fable-live-updates"  # how the connection shows in pg_stat_activity


@dataclass(frozen=True)
class Change:
    """One committed change: which record, of which comic, what happened to it, and its version after."""

    kind: Literal["job", "comic"]
    id: str
    comic_id: str | None
    op: Literal["insert", "update", "delete"]
    version: int | None = None


def parse_change(payload: str) -> Change | None:
    """A notification's payload as a Change, or None when it is not one of ours."""
    try:
        body = json.loads(payload)
        kind, op, record_id = body["kind"], body["op"], body["id"]
    except (ValueError, TypeError, KeyError):
        return None
    if kind not in ("job", "comic") or op not in ("insert", "update", "delete") or not isinstance(record_id, str):
        return None
    version = body.get("version")
    comic_id = body.get("comic_id")
    return Change(
        kind=kind,
        id=record_id,
        comic_id=comic_id if isinstance(comic_id, str) else None,
        op=op,
        version=version if isinstance(version, int) else None,
    )


def where(url: str) -> str:
    """The database a URL points at, for messages: host, port and name, never the user or the password."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "the database"
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class ChangeFeed:
    def __init__(
        self,
        url: str,
        *,
        on_change: Callable[[Change], None],
        on_reconnect: Callable[[], None],
        backoff: tuple[float, float] = (0.1, 5.0),
        heartbeat: float = 30.0,
        connect_timeout: float = 5.0,
    ) -> None:
        self._url = url
        self._on_change, self._on_reconnect = on_change, on_reconnect
        self._backoff, self._heartbeat, self._connect_timeout = backoff, heartbeat, connect_timeout
        self._conn: psycopg.AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self.connections = 0  # how many times a LISTEN connection was made (1 at start, +1 a reconnect)
        self.where = where(url)

    @property
    def backend_pid(self) -> int | None:
        """The server process of the LISTEN connection, while it is up."""
        conn = self._conn
        return conn.info.backend_pid if conn is not None and not conn.closed else None

    async def open(self) -> None:
        """Connect and LISTEN now, so a wrong DATABASE_URL stops start-up with a sentence; then keep listening."""
        try:
            self._conn = await self._listen()
        except (psycopg.Error, OSError) as exc:
            raise StorageError(
                f"the database at DATABASE_URL ({self.where}) cannot be reached for live updates: "
                f"{_first_line(exc)}; check DATABASE_URL (the direct or session-mode connection of the project)"
            ) from None
        self._task = asyncio.create_task(self._run(), name="change-feed")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._drop()

    async def _listen(self) -> psycopg.AsyncConnection:
        conn = await psycopg.AsyncConnection.connect(
            self._url,
            autocommit=True,
            connect_timeout=max(1, round(self._connect_timeout)),
            application_name=APPLICATION_NAME,
        )
        try:
            await conn.execute(f"listen {CHANGES_CHANNEL}")
        except BaseException:
            await conn.close()
            raise
        self.connections += 1
        return conn

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with suppress(psycopg.Error, OSError):
                await conn.close()

    async def _run(self) -> None:
        while True:
            if self._conn is None:
                self._conn = await self._reconnect()
                log.info("live updates: listening again on %s; waking every listener", self.where)
                try:
                    self._on_reconnect()
                except Exception:  # as for a change: a listener's bug must not end live updates
                    log.exception("live updates: waking the listeners after a reconnect failed")
            try:
                await self._receive(self._conn)
            except (psycopg.Error, OSError, TimeoutError) as exc:
                log.warning("live updates: lost the connection to %s (%s); reconnecting", self.where, _first_line(exc))
                await self._drop()

    async def _receive(self, conn: psycopg.AsyncConnection) -> None:
        """Hand on notifications until the connection fails; a quiet one is checked every heartbeat."""
        while True:
            async for notify in conn.notifies(timeout=self._heartbeat):
                change = parse_change(notify.payload)
                if change is None:
                    log.warning("live updates: ignored a notification that is not a change record")
                    continue
                try:
                    self._on_change(change)
                except Exception:  # one listener's bug must not end live updates for the whole instance
                    log.exception("live updates: a listener failed on %s %s", change.kind, change.id)
            await asyncio.wait_for(conn.execute("select 1"), timeout=self._connect_timeout)

    async def _reconnect(self) -> psycopg.AsyncConnection:
        delay, cap = self._backoff
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._listen()
            except (psycopg.Error, OSError) as exc:
                (log.warning if attempt == 1 else log.debug)(
                    "live updates: cannot reach %s yet (%s); retrying with backoff up to %.0f s",
                    self.where,
                    _first_line(exc),
                    cap,
                )
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(cap, delay * 2)
