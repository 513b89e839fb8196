"""Idempotency-Key across API instances (issue 18): two apps on one Supabase project (the fake over the
local PostgreSQL) share the key's claim, so the same key sent at once to both makes one job, an error
answer frees the key for a retry, and a claim whose holder died is taken over once it is stale."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from app.api.idempotency import digests
from app.factory import create_app
from app.models.schemas import Comic, Job
from app.storage import registry
from app.storage.data_manager import CLAIM_STALE_AFTER, DataManager
from config import Settings
from tests.conftest import services, settle
from tests.fakes.supabase import FakeSupabase
from tests.fakes.supabase_project import KEY, URL, fake_project, supabase_backend
from tests.postgres import database  # noqa: F401 - the fixture the project runs on
from utils import utcnow

API = "/api/v1"
PATH = f"{API}/comics/scenes/generate"
BODY = json.dumps({"topic": "teaching kids about safety", "num_scenes": 2}).encode()
JSON = {"content-type": "application/json"}

Instance = tuple[FastAPI, httpx.AsyncClient]


@pytest.fixture
def project(database: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeSupabase]:
    fake = fake_project(database)
    # every instance gets its own SupabaseBackend (its own client), all on this one project
    monkeypatch.setitem(registry.BACKENDS, "supabase", lambda settings: supabase_backend(database, fake))
    yield fake
    fake.close()


@pytest.fixture
async def instances(
    project: FakeSupabase, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[list[Instance]]:
    marker = request.node.get_closest_marker("settings")
    async with AsyncExitStack() as stack:
        started = []
        for n in range(2):
            settings = Settings(
                _env_file=None,
                data_dir=tmp_path / f"instance-{n}",
                env="test",
                text_provider="offline",
                image_provider="offline",
                api_keys=[],
                supabase_jwt_secret=None,
                storage_backend="supabase",
                supabase_url=URL,
                supabase_key=KEY,
                **(marker.kwargs if marker else {}),
            )
            app = create_app(settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
            )
            started.append((app, client))
        yield started
        for app, _ in started:
            await settle(app)


def count(database: str, sql: str) -> int:
    with psycopg.connect(database) as conn:
        return conn.execute(sql).fetchone()[0]


def data(instance: Instance) -> DataManager:
    return services(instance[0]).data


async def test_the_same_key_sent_at_once_to_two_instances_makes_one_job(
    instances: list[Instance], database: str
) -> None:
    waited = asyncio.Event()
    looks: list[float] = []

    async def look_again(delay: float) -> None:  # the loser, on whichever instance, polls the claimed key
        looks.append(delay)
        waited.set()
        await asyncio.sleep(0)

    for instance in instances:
        manager = data(instance)
        manager.sleep = look_again
        store = manager.store_answer

        async def store_once_the_other_waits(
            *args: Any, store: Callable[..., Awaitable[bool]] = store, **kw: Any
        ) -> bool:
            await waited.wait()  # the winner has made its job; its answer lands only once the loser waits for it
            return await store(*args, **kw)

        manager.store_answer = store_once_the_other_waits  # type: ignore[method-assign]

    key = {"Idempotency-Key": "one-click-two-instances", **JSON}
    answers = await asyncio.gather(*(client.post(PATH, content=BODY, headers=key) for _, client in instances))
    for app, _ in instances:
        await settle(app)
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].content == answers[1].content and answers[0].headers["location"] == answers[1].headers["location"]
    assert sorted(a.headers.get("idempotent-replayed", "") for a in answers) == ["", "true"]
    assert looks  # the two really overlapped: one waited on the other's claim
    assert count(database, "select count(*) from public.jobs") == 1
    assert count(database, "select count(*) from public.idempotency_keys where state = 'done'") == 1


@pytest.mark.settings(max_active_jobs_per_owner=1)
async def test_an_error_answer_lets_go_of_the_key_so_a_retry_on_another_instance_runs(
    instances: list[Instance], database: str
) -> None:
    first, second = instances
    comic = await data(first).create_comic(Comic(title="busy", topic="safety"))
    blocker = await data(first).create_job(Job(comic_id=comic.id, topic="safety", status="running"))
    key = {"Idempotency-Key": "after-a-429", **JSON}
    refused = await first[1].post(PATH, content=BODY, headers=key)
    assert refused.status_code == 429
    assert count(database, "select count(*) from public.idempotency_keys") == 0  # the claim went with the error
    await data(first).update_job(blocker.id, lambda job: job.model_copy(update={"status": "completed"}))
    accepted = await second[1].post(PATH, content=BODY, headers=key)
    assert accepted.status_code == 202 and "idempotent-replayed" not in accepted.headers
    again = await first[1].post(PATH, content=BODY, headers=key)
    assert again.content == accepted.content and again.headers["idempotent-replayed"] == "true"
    assert count(database, "select count(*) from public.jobs") == 2  # the blocker and the one the retry made


async def test_a_claim_whose_holder_died_is_taken_over_once_it_is_stale(
    instances: list[Instance], database: str
) -> None:
    dead, alive = instances
    scope_key, fingerprint = digests(None, b"holder-died", "POST", PATH, b"", BODY)
    now = utcnow()
    data(dead).clock = lambda: now
    held = await data(dead).claim_answer(scope_key, owner_id=None, fingerprint=fingerprint)
    assert held.state == "pending"  # and its holder dies here: nothing refreshes, stores or releases it

    clock: list[datetime] = [now]
    looks: list[float] = []

    async def time_passes(delay: float) -> None:
        looks.append(delay)
        clock[0] += timedelta(seconds=10)

    data(alive).clock = lambda: clock[0]
    data(alive).sleep = time_passes
    taken = await alive[1].post(PATH, content=BODY, headers={"Idempotency-Key": "holder-died", **JSON})
    assert taken.status_code == 202 and "idempotent-replayed" not in taken.headers
    # it waited while the claim could still be alive, and took it over once not refreshed for CLAIM_STALE_AFTER
    assert clock[0] - now > CLAIM_STALE_AFTER and clock[0] - now - timedelta(seconds=10) <= CLAIM_STALE_AFTER
    assert count(database, "select count(*) from public.jobs") == 1
    stored = await data(alive).get_answer(scope_key)
    assert stored is not None and stored.claim != held.claim and stored.body == taken.text
