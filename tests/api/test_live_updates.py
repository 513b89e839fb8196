"""Live updates across API instances (issue 18): two apps on one Supabase project (the fake over the real
PostgreSQL, the migration's triggers applied), each LISTENing through DATABASE_URL. A change written by one
instance reaches the other's SSE and WebSocket clients without waiting for their 15 s re-read: every wait
below is bounded well under it, so a change heard only by the fallback fails the test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from urllib.parse import quote

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from app.api import project_routes
from app.factory import create_app
from app.models.schemas import Comic, Job
from app.storage import registry
from config import Settings
from tests.asgi_streams import Closed, EventStream, Socket, sse, websocket
from tests.conftest import services
from tests.fakes.supabase import FakeSupabase
from tests.fakes.supabase_project import fake_project, supabase_backend
from tests.postgres import DSN, database  # noqa: F401 - the fixture the project runs on

API = "/api/v1"
BOUND = 5.0  # seconds: far below the 15 s re-read, far above a notification's round trip


def database_url(dsn: str) -> str:
    """The postgresql:// URL of a libpq DSN (what DATABASE_URL takes)."""
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    auth = quote(str(info.get("user", "postgres")), safe="")
    if info.get("password"):
        auth += ":" + quote(str(info["password"]), safe="")
    return f"postgresql://{auth}@{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/{info['dbname']}"


@pytest.fixture
def fake(database: str) -> Iterator[FakeSupabase]:
    project = fake_project(database)
    yield project
    project.close()


@asynccontextmanager
async def instance(settings: Settings, database: str | None) -> AsyncIterator[FastAPI]:
    """An API instance on the Supabase project, LISTENing on `database` (None: without DATABASE_URL)."""
    url = SecretStr(database_url(database)) if database else None
    app = create_app(settings.model_copy(update={"storage_backend": "supabase", "database_url": url}))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def two_instances(
    settings: Settings, database: str, fake: FakeSupabase, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    monkeypatch.setitem(registry.BACKENDS, "supabase", lambda s: supabase_backend(database, fake))
    async with instance(settings, database) as a, instance(settings, database) as b:
        yield a, b


async def running_job(app: FastAPI) -> Job:
    data = services(app).data
    comic = await data.create_comic(Comic(title="Crossing the road", topic="road safety"))
    return await data.create_job(
        Job(comic_id=comic.id, topic="road safety", status="running", step="rendering_panels", progress=10)
    )


async def next_event(stream: EventStream) -> tuple[str, dict]:
    event = await asyncio.wait_for(stream.next(), BOUND)
    assert event is not None, "the stream ended"
    return event


async def next_message(socket: Socket) -> dict:
    return await asyncio.wait_for(socket.receive_json(), BOUND)


async def test_an_sse_client_on_one_instance_sees_progress_written_by_a_job_on_another(
    two_instances: tuple[FastAPI, FastAPI],
) -> None:
    a, b = two_instances
    job = await running_job(a)
    runner_a = services(a).runner
    go_on = asyncio.Event()

    async def work() -> None:  # a job's work on instance A
        await runner_a.advance(job.id, step="rendering_panels", progress=40)
        await go_on.wait()
        await runner_a.complete(job.id)

    async with sse(b, f"{API}/comics/{job.id}/events") as stream:
        name, first = await next_event(stream)
        assert name == "progress" and (first["status"], first["progress"]) == ("running", 10)

        runner_a.start(job.id, work())
        name, moved = await next_event(stream)
        assert name == "progress" and (moved["status"], moved["progress"]) == ("running", 40)

        go_on.set()
        name, final = await next_event(stream)
        assert (final["status"], final["progress"]) == ("completed", 100)
        assert await asyncio.wait_for(stream.next(), BOUND) is None  # the stream ends at the final state


async def test_a_websocket_client_on_one_instance_hears_a_patch_and_a_delete_made_on_another(
    two_instances: tuple[FastAPI, FastAPI],
) -> None:
    a, b = two_instances
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://a") as client_a:
        created = await client_a.post(f"{API}/projects", json={"title": "Crossing the road"})
        assert created.status_code == 201
        project_id = created.json()["id"]
        async with websocket(b, f"{API}/projects/{project_id}/ws") as socket:
            snapshot = await next_message(socket)
            assert snapshot["event"] == "state.snapshot" and snapshot["state"]["title"] == "Crossing the road"

            patched = await client_a.patch(
                f"{API}/projects/{project_id}", json={"version": snapshot["version"], "title": "Look both ways"}
            )
            assert patched.status_code == 200
            update = await next_message(socket)
            assert update["event"] == "state.updated" and update["state"]["title"] == "Look both ways"
            assert update["version"] == patched.json()["version"] > snapshot["version"]

            assert (await client_a.delete(f"{API}/projects/{project_id}")).status_code == 204
            assert await next_message(socket) == {"event": "state.deleted", "project_id": project_id}
            with pytest.raises(Closed) as closed:
                await next_message(socket)
            assert closed.value.code == 4404


async def test_a_dropped_listen_connection_is_made_again_and_wakes_every_listener(
    two_instances: tuple[FastAPI, FastAPI], database: str
) -> None:
    a, b = two_instances
    feed = services(b).changes
    assert feed is not None and feed.connections == 1
    dropped = feed.backend_pid
    assert dropped is not None
    job = await running_job(a)
    comic_id = job.comic_id
    name = psycopg.conninfo.conninfo_to_dict(database)["dbname"]

    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://a") as client_a,
        websocket(b, f"{API}/projects/{comic_id}/ws") as socket,
        sse(b, f"{API}/comics/{job.id}/events") as stream,
    ):
        snapshot = await next_message(socket)
        assert (await next_event(stream))[1]["progress"] == 10

        with psycopg.connect(DSN, autocommit=True) as admin:
            # B's LISTEN connection is cut, and cannot be made again until the changes below are written,
            # so their notifications never reach B: only the wake after its reconnect can tell its clients
            admin.execute(f'alter database "{name}" with allow_connections false')
            try:
                ended = admin.execute("select pg_terminate_backend(%s, 5000)", [dropped]).fetchone()
                assert ended == (True,)
                patched = await client_a.patch(
                    f"{API}/projects/{comic_id}", json={"version": snapshot["version"], "title": "Look both ways"}
                )
                assert patched.status_code == 200
                await services(a).runner.advance(job.id, progress=60)
            finally:
                admin.execute(f'alter database "{name}" with allow_connections true')

        update = await next_message(socket)
        assert update["event"] == "state.updated" and update["state"]["title"] == "Look both ways"
        name_, progress = await next_event(stream)
        assert name_ == "progress" and progress["progress"] == 60
        assert feed.connections == 2 and feed.backend_pid not in (None, dropped)


async def test_without_database_url_a_websocket_hears_another_instance_at_its_periodic_re_read(
    settings: Settings, database: str, fake: FakeSupabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(registry.BACKENDS, "supabase", lambda s: supabase_backend(database, fake))
    monkeypatch.setattr(project_routes, "REREAD_SECONDS", 0.05)  # the fallback's 15 s, shortened
    async with (
        instance(settings, None) as a,
        instance(settings, None) as b,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://a") as client_a,
    ):
        assert services(b).changes is None
        project_id = (await client_a.post(f"{API}/projects", json={"title": "Crossing the road"})).json()["id"]
        async with websocket(b, f"{API}/projects/{project_id}/ws") as socket:
            snapshot = await next_message(socket)
            patched = await client_a.patch(
                f"{API}/projects/{project_id}", json={"version": snapshot["version"], "title": "Look both ways"}
            )
            update = await next_message(socket)  # one update for the change, not one per re-read
            assert update["event"] == "state.updated" and update["version"] == patched.json()["version"]
            assert (await client_a.delete(f"{API}/projects/{project_id}")).status_code == 204
            assert await next_message(socket) == {"event": "state.deleted", "project_id": project_id}
