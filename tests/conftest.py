"""Shared fixtures: a fresh DATA_DIR per test, the real app with its lifespan, an ASGI client."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.errors import UpstreamError
from app.factory import create_app
from app.services.providers.offline_text import OfflineTextModel
from app.services.wiring import Services
from app.storage.data_manager import DataManager
from app.storage.json_backend import JsonBackend
from config import Settings


@pytest.fixture
def settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Offline, open, on a fresh DATA_DIR; `@pytest.mark.settings(name=value)` changes any of them, so a
    test configures the app it gets (a render limit, a job quota) instead of patching its services."""
    marker = request.node.get_closest_marker("settings")
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "env": "test",
        "text_provider": "offline",
        "image_provider": "offline",
        "api_keys": [],
        "supabase_jwt_secret": None,
    }
    return Settings(_env_file=None, **{**values, **(marker.kwargs if marker else {})})


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        yield http


class BrokenWriter(OfflineTextModel):
    """Writes a few pieces, then either fails like a vendor or waits until told to go on."""

    def __init__(self, *, fail: bool) -> None:
        self.fail = fail
        self.started = asyncio.Event()
        self.resume = asyncio.Event()

    async def stream_story(self, **kwargs: Any) -> AsyncIterator[str]:
        for piece in ("Once ", "upon ", "a "):
            yield piece
        self.started.set()
        if self.fail:
            raise UpstreamError(
                "OpenAI is failing (500), retried 5 times over 60 s",
                provider="OpenAI",
                retryable=True,
                code="provider_unavailable",
            )
        await self.resume.wait()
        yield "time."


class Sleeps:
    """A retry policy's sleep that records each wait instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under root with a hash of its bytes: equal digests mean nothing changed on disk."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def services(app: FastAPI) -> Services:
    """The services build_services() wired for this app (its lifespan must be running): what a test
    inspects, or whose model it swaps for a fake (pipeline.text / pipeline.images replace it for every
    piece). A route's whole service is swapped with `app.dependency_overrides` (app/api/deps.py)."""
    return app.state.services


def killed(data: DataManager) -> None:
    """Leave storage the way a killed process does: the image journal's file is closed with nothing folded,
    and the OS drops the process's lock on DATA_DIR, so the next process (a test's restart) may open it."""
    backend = data.backend
    if isinstance(backend, JsonBackend):
        if backend.images._fd is not None:
            os.close(backend.images._fd)
            backend.images._fd = None
        backend._process_lock.release(force=True)


async def settle(app: FastAPI) -> None:
    """Wait until the job runner has no work in flight (no sleeps, no polling)."""
    await services(app).runner.wait_idle()


async def scenes_ready(client: httpx.AsyncClient, app: FastAPI, **body: object) -> str:
    answer = await client.post(
        "/api/v1/comics/scenes/generate", json={"topic": "teaching kids about safety", "age_group": "5-12", **body}
    )
    assert answer.status_code == 202, answer.text
    await settle(app)
    return answer.json()["job_id"]


async def finished_comic(client: httpx.AsyncClient, app: FastAPI, **body: object) -> tuple[str, dict]:
    job_id = await scenes_ready(client, app, **body)
    assert (await client.post(f"/api/v1/comics/{job_id}/generate")).status_code == 202
    await settle(app)
    result = await client.get(f"/api/v1/comics/{job_id}/result")
    assert result.status_code == 200, result.text
    return job_id, result.json()
