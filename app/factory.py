"""create_app(): the FastAPI application, its services built once in the lifespan by build_services()."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.api import comic_routes, errors, job_routes, project_routes, system_routes, view_routes
from app.api.auth import Authenticator, require_caller
from app.api.head import HeadAsGet
from app.api.idempotency import Idempotency
from app.api.limits import BodyLimit
from app.api.redaction import install_log_redaction
from app.api.urls import API_PREFIX, image_url
from app.models.api import ERROR_RESPONSES
from app.services.wiring import build_services
from config import Settings, get_settings

log = logging.getLogger(__name__)
# Response headers a browser's script may read across origins (beyond the CORS-safelisted ones): a
# download's name and its ETag, where a 201 points, how long to wait after a 429 or 503, and whether a
# POST's answer is the replay of an earlier one with the same Idempotency-Key.
EXPOSED_HEADERS = ["Content-Disposition", "ETag", "Location", "Retry-After", "Idempotent-Replayed"]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    async with build_services(settings, image_link=image_url, live_clients=True) as services:
        app.state.services = services  # read by the dependencies in app/api/deps.py, nowhere else
        resumed = await services.pipeline.resume_unfinished()
        log.info(
            "ready: storage=%s text=%s images=%s, %d job(s) resumed",
            settings.storage_backend,
            services.text.name,
            services.images.name,
            len(resumed),
        )
        yield


def create_app(settings: Settings | None = None) -> FastAPI:
    app = FastAPI(
        title="Fable Tales comic backend",
        version="2.0.0",
        lifespan=lifespan,
        description="Turns a topic into a finished, lettered children's comic.",
    )
    app.state.settings = settings or get_settings()
    # before the server logs its first request (its dictConfig leaves this in place); the configured secrets too
    install_log_redaction(app.state.settings.secret_values())
    app.state.auth = Authenticator(app.state.settings)
    app.add_middleware(Idempotency)  # inside the body limit: it reads whole bodies
    app.add_middleware(BodyLimit)  # inside CORS, so a browser can read the 413
    app.add_middleware(
        CORSMiddleware,
        allow_origins=app.state.settings.cors_origins,
        allow_credentials=app.state.settings.cors_credentials,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=EXPOSED_HEADERS,
    )
    app.add_middleware(HeadAsGet)  # outermost: every layer (CORS too) answers a HEAD as the GET it stands for
    errors.install(app)
    for router in (comic_routes.router, project_routes.router, job_routes.router, system_routes.router):
        app.include_router(router, prefix=API_PREFIX, dependencies=[Depends(require_caller)], responses=ERROR_RESPONSES)
    app.include_router(project_routes.ws_router, prefix=API_PREFIX)
    app.include_router(system_routes.open_router, prefix=API_PREFIX)
    app.add_api_route("/health", system_routes.health, methods=["GET"], include_in_schema=False)
    app.include_router(view_routes.router)
    return app
