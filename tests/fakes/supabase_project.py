"""A Supabase project for tests: the migration applied to a fresh database, the HTTP fake over it, and
a SupabaseBackend whose real supabase-py client talks to that fake through an injected transport."""

from __future__ import annotations

from pathlib import Path

import httpx
import psycopg

from app.storage.supabase_backend import SupabaseBackend
from app.infra.retry import RetryPolicy
from tests.conftest import Sleeps
from tests.fakes.supabase import FakeSupabase

ROOT = Path(__file__).resolve().parents[2]
KEY = "service-role-key-for-tests"
URL = "https://project.supabase.co"


def apply_migrations(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for migration in sorted((ROOT / "supabase" / "migrations").glob("*.sql")):
            conn.execute(migration.read_text("utf-8"))


def fake_project(dsn: str) -> FakeSupabase:
    apply_migrations(dsn)
    return FakeSupabase(dsn, key=KEY, base=URL)


def supabase_backend(dsn: str, fake: FakeSupabase | None = None, sleeps: Sleeps | None = None) -> SupabaseBackend:
    fake = fake or fake_project(dsn)
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake.handle))
    backend = SupabaseBackend(URL, KEY, "comic-images", http_client=http, policy=RetryPolicy(sleep=sleeps or Sleeps()))
    backend.fake = fake  # type: ignore[attr-defined] - for tests that look at the requests
    return backend
