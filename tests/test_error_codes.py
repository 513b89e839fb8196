"""Each error class says what it is: the code a failed job records and the HTTP status it is answered with.

The handler (app/api/errors.py) and the job runner read `exc.status` and `exc.code`; nothing looks an error up
by its class name, so an error class declared anywhere else answers as the class it extends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.api import errors as handlers
from app.errors import (
    Conflict,
    ContentRefused,
    FableError,
    Forbidden,
    InvalidInput,
    NotFound,
    StorageError,
    TooBusy,
    Unauthorized,
    UpstreamError,
)
from app.models.schemas import Job
from app.services.jobs.runner import JobRunner
from app.storage.data_manager import DataManager
from app.storage.json_backend import JsonBackend


class GoneMeanwhile(NotFound):
    """Declared outside app/errors.py: it answers, and fails a job, as the NotFound it is."""


class RefusedByTheServer(StorageError):
    """Like the Supabase backend's own refusal: a storage error wherever it is declared."""


ERRORS: list[tuple[FableError, str, int]] = [
    (NotFound("no such comic"), "not_found", 404),
    (Conflict("the job is running"), "conflict", 409),
    (InvalidInput("shorten its dialogue"), "invalid_input", 422),
    (
        ContentRefused(category="violence", message="not for children", suggestion="try kindness"),
        "content_refused",
        422,
    ),
    (Unauthorized("no credential"), "unauthorized", 401),
    (Forbidden("this link has expired"), "forbidden", 403),
    (TooBusy("two jobs already run", retry_after=10), "too_busy", 429),
    (StorageError("the disk is full"), "storage_error", 503),
    (
        UpstreamError("fal.ai answered 503", provider="fal.ai", retryable=True, code="provider_unavailable"),
        "provider_unavailable",
        503,
    ),
    (UpstreamError("fal.ai refused the prompt", provider="fal.ai", retryable=False), "upstream_error", 502),
    (GoneMeanwhile("the project was deleted"), "not_found", 404),
    (RefusedByTheServer("Supabase refused to save the job (42501)"), "storage_error", 503),
]
IDS = [f"{type(error).__name__}-{code}" for error, code, _ in ERRORS]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    handlers.install(app)

    @app.get("/raise/{index}")
    async def raise_error(index: int) -> None:
        raise ERRORS[index][0]

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


@pytest.mark.parametrize("index", range(len(ERRORS)), ids=IDS)
async def test_an_error_is_answered_with_its_own_status(http: httpx.AsyncClient, index: int) -> None:
    error, code, status = ERRORS[index]
    assert (error.code, error.status) == (code, status)
    answer = await http.get(f"/raise/{index}")
    assert answer.status_code == status
    detail = answer.json()["detail"]
    if isinstance(error, ContentRefused):
        assert detail == {
            "code": "content_refused",
            "category": "violence",
            "message": "not for children",
            "suggestion": "try kindness",
        }
    else:
        assert detail == error.message


@pytest.mark.parametrize("index", range(len(ERRORS)), ids=IDS)
async def test_a_job_its_work_fails_records_the_errors_code(tmp_path: Path, index: int) -> None:
    error, code, _ = ERRORS[index]
    data = DataManager(JsonBackend(tmp_path))
    await data.open()
    runner = JobRunner(data)
    job = await data.create_job(Job(comic_id="c", topic="t", status="running"))

    async def work() -> None:
        raise error

    runner.start(job.id, work())
    await runner.wait_idle()
    failed = await data.get_job(job.id)
    assert failed.status == "failed" and failed.error is not None
    assert (failed.error.code, failed.error.message) == (code, error.message)
    await data.close()
