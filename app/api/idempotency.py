"""Idempotency-Key on POST: a repeat of a request gets the first answer, and starts nothing new.

Every POST under /api/v1 may carry `Idempotency-Key: <1-255 visible ASCII characters>`. Keys belong to
the caller (two owners may use the same key). The first successful (2xx) JSON answer is stored before it
is sent, so once a client has seen it, every repeat within ANSWER_TTL (24 h) replays it byte for byte,
with `Idempotent-Replayed: true`, even after a restart. A repeat that arrives while the first is still
running waits for it. Reusing a key for a different request (method, path, query or body) is a 422.
Error answers are not stored, so a request refused for a reason that passes (429, 503) can be retried
with the same key. Streams (the NDJSON story) pass through unstored.

Across API instances (Supabase) the key's row is the lock: a request first claims it (an insert that one
of any number of racing requests wins, DataManager.claim_answer), runs while refreshing its claim, and
stores its answer in the claim's place; a repeat on another instance finds the claim and polls until the
answer is there. Any other ending lets go of the claim before the client sees it end, so a retry runs. A
claim not refreshed for CLAIM_STALE_AFTER (its instance died) is taken over. Repeats on one instance also
queue on an in-process lock, so they wait without polling storage.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from typing import Any

from starlette.requests import HTTPConnection

from app.api.auth import caller
from app.api.limits import Scope, send_json
from app.errors import FableError, Unauthorized
from app.models.schemas import StoredAnswer
from app.infra.locks import KeyedLocks
from app.storage.data_manager import DataManager

log = logging.getLogger(__name__)

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255
STORED_HEADERS = ("content-type", "location")


def _valid(key: bytes) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and all(0x21 <= b <= 0x7E for b in key)


def digests(owner: str | None, key: bytes, method: str, path: str, query: bytes, body: bytes) -> tuple[str, str]:
    """What a keyed request is stored under (its owner's key) and its fingerprint (what a repeat must match)."""
    scope_key = hashlib.sha256(f"{owner}\0".encode() + key).hexdigest()
    fingerprint = hashlib.sha256(b"\0".join([method.encode(), path.encode(), query, body])).hexdigest()
    return scope_key, fingerprint


class Idempotency:
    def __init__(self, app: Any) -> None:
        self.app = app
        self._locks = KeyedLocks()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        key = dict(scope["headers"]).get(HEADER) if scope["type"] == "http" and scope["method"] == "POST" else None
        if key is None:
            await self.app(scope, receive, send)
            return
        if not _valid(key):
            await send_json(
                send, 400, {"detail": f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} visible ASCII characters"}
            )
            return
        try:
            owner = caller(HTTPConnection(scope)).owner_id
        except Unauthorized:
            await self.app(scope, receive, send)  # the route answers 401 itself
            return
        message = await receive()  # BodyLimit, outside, hands over the whole body in one message
        body = message.get("body", b"")
        scope_key, fingerprint = digests(
            owner, key, scope["method"], scope["path"], scope.get("query_string", b""), body
        )
        data: DataManager = scope["app"].state.services.data

        async with self._locks.hold(scope_key):  # a repeat on this instance waits here, without polling storage
            try:
                held = await data.claim_answer(scope_key, owner_id=owner, fingerprint=fingerprint)
            except FableError as exc:
                log.error("idempotency: could not claim the key: %s", exc.message)
                await send_json(
                    send,
                    503,
                    {"detail": "could not check the Idempotency-Key; try again"},
                    headers={"Retry-After": "5"},
                )
                return
            if held.state == "done":
                if held.fingerprint != fingerprint:
                    await send_json(
                        send,
                        422,
                        {
                            "detail": "this Idempotency-Key was already used for a different "
                            "request; use a new key for a new request"
                        },
                    )
                    return
                await self._replay(held, send)
                return
            await self._first(scope, message, receive, send, data, held)

    async def _first(
        self, scope: Scope, message: dict[str, Any], receive: Any, send: Any, data: DataManager, claim: StoredAnswer
    ) -> None:
        """Run the request holding the claim; hold back a 2xx JSON answer until it is stored in the claim's
        place, and let go of the claim before the last part of any other answer goes out."""
        delivered = False

        async def replay_body() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return message
            return await receive()

        start: dict[str, Any] | None = None
        chunks: list[bytes] = []
        passing = False
        settled = False  # the claim became the answer, or was let go
        answer: dict[str, Any] = {}

        async def release() -> None:
            nonlocal settled
            if settled:
                return
            settled = True
            try:
                await data.release_claim(claim)
            except FableError as exc:  # it goes stale instead, and the next request with the key takes it over
                log.error("idempotency: could not release a claim: %s", exc.message)

        async def capture(event: dict[str, Any]) -> None:
            nonlocal start, passing, settled
            if event["type"] == "http.response.start":
                headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in event.get("headers", [])}
                keep = 200 <= event["status"] < 300 and headers.get("content-type", "").startswith("application/json")
                if not keep:
                    passing = True
                    await send(event)
                    return
                start = event
                answer["status_code"] = event["status"]
                answer["headers"] = {k: v for k, v in headers.items() if k in STORED_HEADERS}
                return
            if passing:
                if not event.get("more_body"):
                    await release()  # before the client can see the end: its retry finds the key free
                await send(event)
                return
            chunks.append(event.get("body", b""))
            if event.get("more_body"):
                return
            await stop_refreshing()
            try:
                if not await data.store_answer(claim, body=b"".join(chunks).decode("utf-8"), **answer):
                    log.warning("idempotency: the key was taken over meanwhile; its answer is the other request's")
                settled = True
            except FableError as exc:  # the work is done: answer anyway, and say the key could not be kept
                log.error("idempotency: could not store the answer: %s", exc.message)
                await release()
            assert start is not None
            await send(start)
            await send({"type": "http.response.body", "body": b"".join(chunks)})

        refreshing = asyncio.create_task(data.keep_claim(claim))

        async def stop_refreshing() -> None:
            refreshing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refreshing

        try:
            await self.app(scope, replay_body, capture)
        finally:
            await stop_refreshing()
            await release()

    @staticmethod
    async def _replay(stored: StoredAnswer, send: Any) -> None:
        body = stored.body.encode("utf-8")
        headers = [(k.encode(), v.encode()) for k, v in stored.headers.items()]
        headers += [(b"content-length", str(len(body)).encode()), (b"idempotent-replayed", b"true")]
        await send({"type": "http.response.start", "status": stored.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": body})
