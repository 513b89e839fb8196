"""Fixtures for the Supabase tests: a project (the fake over a fresh database with the migration) and
an open SupabaseBackend on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from app.storage.supabase_backend import SupabaseBackend
from tests.conftest import Sleeps
from tests.fakes.supabase import FakeSupabase
from tests.fakes.supabase_project import fake_project, supabase_backend
from tests.postgres import database  # noqa: F401 - the fixture the project runs on


@pytest.fixture
def fake(database: str) -> Iterator[FakeSupabase]:
    project = fake_project(database)
    yield project
    project.close()


@pytest.fixture
async def backend(database: str, fake: FakeSupabase, sleeps: Sleeps) -> AsyncIterator[SupabaseBackend]:
    store = supabase_backend(database, fake, sleeps)
    await store.open()
    yield store
    await store.close()
