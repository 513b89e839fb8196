"""STORAGE_BACKEND=supabase: the real supabase-py client against the PostgREST/Storage fake (over the real
PostgreSQL with the migration applied). The contract suite covers the StorageBackend seam; these cover
the API on top of it, the requests it sends, the SQL functions' guarantees, and its errors."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from app.errors import Conflict, NotFound, StorageError
from app.factory import create_app
from app.models.schemas import Comic, Job, Panel
from app.storage import registry
from app.storage.data_manager import DataManager
from app.storage.rows import comic_rows
from app.storage.supabase_backend import SupabaseBackend
from config import Settings
from app.infra.retry import RetryPolicy
from tests.conftest import Sleeps, finished_comic
from tests.fakes.supabase import FakeSupabase
from tests.fakes.supabase_project import KEY, URL, supabase_backend

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
async def supabase_app(
    settings: Settings, database: str, fake: FakeSupabase, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FastAPI]:
    monkeypatch.setitem(registry.BACKENDS, "supabase", lambda s: supabase_backend(database, fake))
    application = create_app(settings.model_copy(update={"storage_backend": "supabase"}))
    async with application.router.lifespan_context(application):
        yield application


async def test_the_api_makes_serves_and_deletes_a_comic_on_supabase(
    supabase_app: FastAPI, fake: FakeSupabase, database: str
) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=supabase_app), base_url="http://test") as client:
        job_id, comic = await finished_comic(client, supabase_app)
        comic_id = (await client.get(f"/api/v1/jobs/{job_id}")).json()["comic_id"]
        with psycopg.connect(database) as conn:
            counts = {
                t: conn.execute(f"select count(*) from public.{t} where comic_id = %s", [comic_id]).fetchone()[0]
                for t in ("jobs", "scenes", "characters", "panels", "images")
            }
        assert counts["jobs"] == 1 and counts["scenes"] >= 1 and counts["panels"] >= 1
        assert counts["images"] == 2 * counts["panels"] + counts["characters"]  # each panel: art and lettered
        assert len(fake.objects) == counts["images"]  # every image's bytes are in the bucket

        panel = comic["panels"][0]
        image_id = panel["image_url"].rstrip("/").rsplit("/", 1)[-1]
        served = await client.get(f"/api/v1/images/{image_id}")
        assert served.status_code == 307
        assert served.headers["location"].startswith(f"{URL}/storage/v1/object/public/comic-images/panels/")
        public = fake.handle(httpx.Request("GET", served.headers["location"]))
        assert public.status_code == 200 and public.content.startswith(b"\x89PNG")

        stats = (await client.get("/api/v1/storage/stats")).json()
        assert stats["json_storage"]["total_comics"] == 1 and stats["image_storage"]["total_images"] == len(
            fake.objects
        )

        bundle = (await client.get(f"/api/v1/projects/{comic_id}/export/json")).json()
        assert len(bundle["tables"]["panels"]) == counts["panels"]

        assert (await client.delete(f"/api/v1/projects/{comic_id}")).status_code == 204
        with psycopg.connect(database) as conn:
            left = sum(
                conn.execute(f"select count(*) from public.{t}").fetchone()[0]
                for t in ("comics", "jobs", "scenes", "characters", "panels", "images")
            )
        assert left == 0 and fake.objects == {}


async def test_requests_follow_the_documented_shapes(backend: SupabaseBackend, fake: FakeSupabase) -> None:
    data = DataManager(backend)
    fake.requests.clear()
    comic = await data.create_comic(
        Comic(title="t", topic="safety", panels=[Panel(scene_id="s1", title="p", description="d")])
    )
    assert fake.requests == [("POST", "/rest/v1/rpc/fable_save_comic")]  # scenes, cast and panels: one call

    job = await data.create_job(Job(comic_id=comic.id, topic="safety"))
    fake.requests.clear()
    await data.update_job(job.id, lambda j: j.model_copy(update={"progress": 50}))
    method, path = fake.requests[-1]
    assert method == "PATCH" and f"id=eq.{job.id}" in path and "data-%3E%3E_version=eq.1" in path

    fake.requests.clear()
    image = await data.store_image(PNG, kind="panel", comic_id=comic.id, panel_id=comic.panels[0].panel_id)
    (method, path), *stored_with = fake.requests
    assert method == "GET" and path.startswith("/rest/v1/comics?") and comic.id in path  # its comic is there
    assert stored_with == [
        ("POST", f"/storage/v1/object/comic-images/panels/{image.id}.png"),
        ("POST", "/rest/v1/rpc/fable_put_image"),
    ]
    stored = fake.objects[("comic-images", f"panels/{image.id}.png")]
    assert (stored.data, stored.content_type) == (PNG, "image/png")
    assert (await data.get_image(image.id)).panel_id == comic.panels[0].panel_id


async def test_a_refused_save_changes_nothing(backend: SupabaseBackend, database: str) -> None:
    """fable_save_comic is one transaction: a child row the database refuses undoes the head's update too."""
    comic = await backend.save_comic(Comic(title="before", topic="t"), expected_version=None)
    rows = comic_rows(
        comic.model_copy(
            update={"title": "after", "version": 2, "panels": [Panel(scene_id="s", title="p", description="d")]}
        )
    )
    rows["panels"][0]["status"] = None  # not null: refused
    with psycopg.connect(database) as conn:
        with pytest.raises(psycopg.errors.NotNullViolation):
            conn.execute("select public.fable_save_comic(%s::jsonb, 1)", [json.dumps(rows)])
        conn.rollback()
        with pytest.raises(psycopg.Error) as stale:
            conn.execute("select public.fable_save_comic(%s::jsonb, 7)", [json.dumps(comic_rows(comic))])
        assert stale.value.sqlstate == "PT409"
    assert (await backend.get_comic(comic.id)).title == "before"
    with pytest.raises(Conflict):
        await backend.save_comic(comic.model_copy(update={"title": "late"}), expected_version=7)
    with pytest.raises(NotFound):
        await backend.save_comic(Comic(title="ghost", topic="t"), expected_version=1)


async def test_transient_failures_are_retried_and_writes_only_when_unsent(
    backend: SupabaseBackend, fake: FakeSupabase, sleeps: Sleeps
) -> None:
    comic = await backend.save_comic(Comic(title="t", topic="t"), expected_version=None)
    fake.fail_next(2, 503)
    assert (await backend.get_comic(comic.id)).id == comic.id
    assert len(sleeps.delays) == 2
    fake.fail_next(1, 500)
    with pytest.raises(StorageError, match=r"Supabase is failing \(500\)"):
        await backend.save_comic(comic.model_copy(update={"title": "x"}), expected_version=1)
    assert (await backend.get_comic(comic.id)).title == "t"  # the refused write is not retried blindly


async def test_a_wrong_key_fails_with_a_sentence_and_no_secret(
    database: str, fake: FakeSupabase, caplog: pytest.LogCaptureFixture
) -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake.handle))
    wrong = SupabaseBackend(URL, "not-the-key", "comic-images", http_client=http)
    with caplog.at_level(logging.DEBUG), pytest.raises(StorageError) as failure:
        await wrong.open()
    assert "rejected the key (401): check SUPABASE_KEY" in failure.value.message
    assert "not-the-key" not in caplog.text and KEY not in caplog.text


async def test_an_unreachable_project_is_a_storage_error(sleeps: Sleeps) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    store = SupabaseBackend(URL, KEY, "comic-images", http_client=http, policy=RetryPolicy(attempts=4, sleep=sleeps))
    with pytest.raises(StorageError, match="unreachable"):
        await store.open()
    assert len(sleeps.delays) == 3  # four attempts, then a sentence


def test_supabase_needs_its_url_and_key(settings: Settings) -> None:
    with pytest.raises(registry.ConfigurationError, match="Supabase needs SUPABASE_URL and SUPABASE_KEY"):
        registry.build_backend(settings.model_copy(update={"storage_backend": "supabase"}))
    configured = settings.model_copy(
        update={"storage_backend": "supabase", "supabase_url": URL, "supabase_key": SecretStr(KEY)}
    )
    assert registry.build_backend(configured).name == "supabase"


async def test_a_project_without_the_schema_says_to_apply_the_migration(database: str) -> None:
    bare = FakeSupabase(database, key=KEY, base=URL)  # the database has no migration applied
    try:
        store = SupabaseBackend(
            URL, KEY, "comic-images", http_client=httpx.AsyncClient(transport=httpx.MockTransport(bare.handle))
        )
        with pytest.raises(StorageError, match=r"no Fable schema yet: apply supabase/migrations"):
            await store.open()
    finally:
        bare.close()
