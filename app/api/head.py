"""HEAD on every route that answers GET.

FastAPI's routes answer only the methods they declare, so a GET route refuses HEAD with 405. Rather than
declaring HEAD on each route (which would double the OpenAPI document), this middleware, outermost, runs
a HEAD request as the GET it stands for and forwards that answer's status and headers (Content-Length,
ETag, Content-Disposition, CORS) with no body. The server still sees HEAD, so it writes no body either.
A streamed answer (Server-Sent Events) is told the client has gone once its headers are sent, so it
stops instead of running on unseen.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DISCONNECT: Message = {"type": "http.disconnect"}


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        answered = asyncio.Event()

        async def receive_until_answered() -> Message:
            if answered.is_set():
                return DISCONNECT
            message, waiting = asyncio.ensure_future(receive()), asyncio.ensure_future(answered.wait())
            done, pending = await asyncio.wait({message, waiting}, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            return message.result() if message in done else DISCONNECT

        async def send_headers_only(message: Message) -> None:
            if answered.is_set():
                return  # the GET's body (or the rest of its stream): not sent for HEAD
            if message["type"] == "http.response.start":
                await send(message)
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                answered.set()
            else:
                await send(message)

        await self.app({**scope, "method": "GET"}, receive_until_answered, send_headers_only)
