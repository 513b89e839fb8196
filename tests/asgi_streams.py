"""Live streams against an ASGI app, read as they come: an SSE response event by event, a WebSocket message by
message. httpx's ASGITransport and starlette's TestClient hand over a response only once it has ended, and a
test of live updates must see each event while the stream is still open (and bound how long it waits)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from starlette.types import ASGIApp, Message


def _scope(kind: str, target: str) -> dict[str, Any]:
    path, _, query = target.partition("?")
    return {
        "type": kind,
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http" if kind == "http" else "ws",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"test")],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
        "subprotocols": [],
    }


class EventStream:
    """The events of one SSE response: `next()` waits for the next `(event, data)`; comments are skipped;
    None once the response has ended."""

    def __init__(self) -> None:
        self.status: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._buffer = b""
        self._ended = False

    async def next(self) -> tuple[str, Any] | None:
        while True:
            block, separator, rest = self._buffer.partition(b"\n\n")
            if separator:
                self._buffer = rest
                fields = dict(line.split(": ", 1) for line in block.decode().splitlines() if not line.startswith(":"))
                if "data" in fields:
                    return fields.get("event", "message"), json.loads(fields["data"])
                continue
            if self._ended:
                return None
            chunk = await self._chunks.get()
            if chunk is None:
                self._ended = True
            else:
                self._buffer += chunk


@asynccontextmanager
async def sse(app: ASGIApp, target: str) -> AsyncIterator[EventStream]:
    """GET `target` on `app` and read its events while it streams; the client leaves on exit."""
    stream = EventStream()
    left = asyncio.Event()
    asked = False

    async def receive() -> Message:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            stream.status.set_result(message["status"])
        elif message["type"] == "http.response.body":
            if message.get("body"):
                stream._chunks.put_nowait(message["body"])
            if not message.get("more_body"):
                stream._chunks.put_nowait(None)

    serving = asyncio.create_task(app(_scope("http", target), receive, send))
    try:
        yield stream
    finally:
        left.set()
        serving.cancel()
        with suppress(asyncio.CancelledError):
            await serving


class Closed(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(f"the socket was closed with {code}")
        self.code = code


class Socket:
    def __init__(self) -> None:
        self.from_app: asyncio.Queue[Message] = asyncio.Queue()
        self.to_app: asyncio.Queue[Message] = asyncio.Queue()

    async def receive_json(self) -> Any:
        """The app's next text message, parsed; Closed when it closes the socket instead."""
        while True:
            message = await self.from_app.get()
            if message["type"] == "websocket.send":
                return json.loads(message["text"])
            if message["type"] == "websocket.close":
                raise Closed(message.get("code", 1000))


@asynccontextmanager
async def websocket(app: ASGIApp, target: str) -> AsyncIterator[Socket]:
    """Connect to the WebSocket route at `target`; the client hangs up on exit."""
    socket = Socket()
    socket.to_app.put_nowait({"type": "websocket.connect"})
    serving = asyncio.create_task(app(_scope("websocket", target), socket.to_app.get, socket.from_app.put))
    try:
        yield socket
    finally:
        socket.to_app.put_nowait({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(serving, 5)  # the route ends when its client leaves
