"""Request body limit: anything over MAX_BODY_BYTES answers 413 before a route sees it.

A pure ASGI middleware, so it also catches bodies without a Content-Length (chunked): it reads up to
the limit and refuses the rest, then hands the route the body it read. Every body this API accepts is
small JSON, so holding up to 1 MB costs nothing; WebSockets and bodiless requests pass straight through.
"""

from __future__ import annotations

import json
from typing import Any

MAX_BODY_BYTES = 1024 * 1024

Scope = dict[str, Any]


class BodyLimit:
    def __init__(self, app: Any, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body, replayed = b"".join(chunks), False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as the server would say it

        await self.app(scope, replay, send)

    async def _refuse(self, send: Any) -> None:
        await send_json(
            send,
            413,
            {"detail": f"the request body is larger than {self.max_bytes // 1024} KB"},
            headers={"Connection": "close"},
        )


async def send_json(send: Any, status: int, payload: dict[str, Any], *, headers: dict[str, str] | None = None) -> None:
    """A whole JSON answer straight from a middleware, in FastAPI's error shape."""
    body = json.dumps(payload).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
