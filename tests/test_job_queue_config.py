"""JOB_QUEUE: inprocess by default; procrastinate only with Supabase and DATABASE_URL, checked at start-up
with a sentence, never a traceback or the URL's password."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.errors import StorageError
from app.services.wiring import open_queue_pool
from config import Settings, settings_error_lines
from tests.cluster import database_url
from tests.postgres import database  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[1]


def problems(**values: object) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, **values)  # type: ignore[call-arg]
    return settings_error_lines(refused.value)


def test_the_queue_needs_supabase_and_a_database_url() -> None:
    said = " ".join(problems(job_queue="procrastinate"))
    assert "STORAGE_BACKEND must be supabase when JOB_QUEUE=procrastinate" in said
    assert "DATABASE_URL must be set when JOB_QUEUE=procrastinate" in said
    assert "JOB_QUEUE" in " ".join(problems(job_queue="celery"))
    assert Settings(_env_file=None).job_queue == "inprocess"  # type: ignore[call-arg]


def test_a_worker_without_the_queue_says_what_runs_the_jobs(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path), "JOB_QUEUE": "inprocess"}
    ran = subprocess.run(
        [sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 2
    assert "JOB_QUEUE=procrastinate" in ran.stderr and "python main.py" in ran.stderr and "Traceback" not in ran.stderr


def _queue_settings(url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        storage_backend="supabase",
        supabase_url="https://example.supabase.co",
        supabase_key="k",
        job_queue="procrastinate",
        database_url=url,
    )


async def test_a_database_without_the_queue_schema_is_refused_at_start(database: str) -> None:
    with pytest.raises(StorageError) as refused:
        async with open_queue_pool(_queue_settings(database_url(database))):
            pass
    assert "no job queue yet: apply supabase/migrations" in refused.value.message


async def test_an_unreachable_database_is_refused_without_its_password() -> None:
    with pytest.raises(StorageError) as refused:
        async with open_queue_pool(_queue_settings("postgresql://postgres:s3cret-pw@127.0.0.1:1/postgres")):
            pass
    assert "DATABASE_URL could not be reached" in refused.value.message
    assert "s3cret-pw" not in refused.value.message
