"""Run the service: `python main.py` serves on HOST:PORT (default http://localhost:8000, docs at /docs)."""

import contextlib
import logging
import socket
import sys
from contextlib import AsyncExitStack

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from app.errors import FableError
from app.factory import create_app
from app.storage.registry import ConfigurationError
from config import get_settings, settings_error_lines


class Service(uvicorn.Server):
    """uvicorn's server, which enters the app's lifespan itself before it starts listening. Where uvicorn
    would print a traceback and exit with 3 when start-up cannot work (DATA_DIR is a file, Supabase cannot be
    reached, the moderation model does not load), `refusal` holds its one sentence. The lifespan is left
    inside the same signal handling, so a SIGTERM still stops the jobs and closes storage before the
    process ends on it."""

    def __init__(self, app: FastAPI, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.app = app
        self.app_lifespan = AsyncExitStack()
        self.refusal: str | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        # Signals are caught from the start, as uvicorn does (a SIGTERM during start-up stops the service once
        # it has started), and until the lifespan is left: uvicorn's own capture, inside, hands them on to
        # this one when it ends, and this one raises them again once storage is closed.
        with self.capture_signals():
            try:
                await self.app_lifespan.enter_async_context(self.app.router.lifespan_context(self.app))
            except (FableError, ConfigurationError) as exc:
                self.refusal = str(exc)
                return
            try:
                if not self.should_exit:
                    await super().serve(sockets)
            finally:
                await self.app_lifespan.aclose()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = get_settings()
    except ValidationError as exc:  # one line per variable, no traceback; 2 = a usage error, as for the CLI
        print("\n".join(f"configuration error: {line}" for line in settings_error_lines(exc)), file=sys.stderr)
        return 2
    app = create_app(settings)
    server = Service(app, uvicorn.Config(app, host=settings.host, port=settings.port, lifespan="off"))
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C: uvicorn has shut down already
        server.run()
    if server.refusal is not None:
        print(f"error: the service cannot start: {server.refusal}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
