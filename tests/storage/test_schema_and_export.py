"""The Supabase schema (generated from the models) and the export bundle, against the real PostgreSQL:
the migration applies to an empty database, every bundle loads with all constraints holding, and the
row level security policies let an owner see only their own comics."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from app.models.schemas import SERVICE_MODELS, TABLE_MODELS
from app.storage.export import insert_statements
from app.storage.sql_schema import render_schema
from config import Settings
from tests.conftest import finished_comic, services
from tests.postgres import database  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted((ROOT / "supabase" / "migrations").glob("*.sql"))
TABLES = [m.__table__.name for m in TABLE_MODELS]


def test_the_checked_in_migration_is_what_the_models_generate() -> None:
    assert len(MIGRATIONS) == 1, "one migration holds the whole schema"
    assert MIGRATIONS[0].read_text("utf-8") == render_schema("comic-images"), (
        "supabase/migrations is stale: run `python -m app.cli schema > supabase/migrations/<file>.sql`"
    )
    printed = subprocess.run(
        [sys.executable, "-m", "app.cli", "schema"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "SUPABASE_BUCKET": "comic-images"},
        timeout=60,
    )
    assert printed.returncode == 0 and printed.stdout == MIGRATIONS[0].read_text("utf-8")


def test_the_migration_applies_twice_to_an_empty_database(database: str) -> None:
    sql = MIGRATIONS[0].read_text("utf-8")
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(sql)
        conn.execute(sql)  # idempotent: a second run changes nothing and fails on nothing
        secured = dict(
            conn.execute(
                "select relname, relrowsecurity from pg_class where relnamespace = "
                "'public'::regnamespace and relkind = 'r'"
            ).fetchall()
        )
        cascades = conn.execute(
            "select conrelid::regclass::text, confrelid::regclass::text, confdeltype "
            "from pg_constraint where contype = 'f' order by 1, 2"
        ).fetchall()
        types = dict(
            conn.execute(
                "select table_name || '.' || column_name, data_type from "
                "information_schema.columns where table_schema = 'public'"
            ).fetchall()
        )
        defaults = conn.execute(
            "select column_default from information_schema.columns where table_schema = 'public' and column_name = 'id' "
            "and table_name not like 'procrastinate%'"
        ).fetchall()
        bucket = conn.execute("select public from storage.buckets where id = 'comic-images'").fetchone()
        policies = {row[0] for row in conn.execute("select tablename from pg_policies where schemaname = 'public'")}
    every = TABLES + [m.__table__.name for m in SERVICE_MODELS]  # the service's idempotency_keys too
    # the job queue's tables (procrastinate's schema) are secured too, with no policy: users never reach them
    queue = ["procrastinate_events", "procrastinate_jobs", "procrastinate_periodic_defers", "procrastinate_workers"]
    assert secured == {table: True for table in every + queue}
    assert policies == set(every)
    cascades = [(child, parent, kind) for child, parent, kind in cascades if not child.startswith("procrastinate")]
    assert {(child, parent) for child, parent, _ in cascades} == {
        ("jobs", "comics"),
        ("scenes", "comics"),
        ("characters", "comics"),
        ("panels", "comics"),
        ("images", "comics"),
        ("images", "panels"),
    }
    assert {kind for _, _, kind in cascades} == {"c"}  # on delete cascade, every one
    assert (types["scenes.dialogue"], types["scenes.visual_elements"], types["comics.created_at"]) == (
        "jsonb",
        "ARRAY",
        "timestamp with time zone",
    )
    assert all(default == "gen_random_uuid()" for (default,) in defaults) and len(defaults) == len(TABLES)
    assert bucket == (True,)


def test_the_migration_gives_a_project_made_before_claims_its_claim_columns(database: str) -> None:
    """Re-applying the migration is how a project is upgraded: idempotency_keys made without the claim
    columns gets them, its stored answers stay answers ('done'), and the state takes nothing else."""
    sql = MIGRATIONS[0].read_text("utf-8")
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(sql)
        conn.execute("alter table public.idempotency_keys drop column state, drop column claim, drop column claimed_at")
        conn.execute(
            "insert into public.idempotency_keys (key, fingerprint, status_code, body) values ('k', 'f', 202, '{}')"
        )
        conn.execute(sql)
        assert conn.execute("select state, claim, claimed_at from public.idempotency_keys").fetchall() == [
            ("done", None, None)
        ]
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("update public.idempotency_keys set state = 'maybe'")
        with pytest.raises(psycopg.errors.NotNullViolation):
            conn.execute("update public.idempotency_keys set state = null")


async def test_every_export_bundle_loads_with_its_constraints_holding(
    database: str, client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    _, first = await finished_comic(client, app, num_scenes=3)
    await finished_comic(client, app, num_scenes=2, topic="being kind to friends")
    project = (await client.post("/api/v1/projects", json={"prompt": "brushing teeth"})).json()
    async with client.stream("POST", f"/api/v1/projects/{project['id']}/story") as story:
        await story.aread()
    await client.post(f"/api/v1/projects/{project['id']}/characters/extract")
    await client.post(f"/api/v1/projects/{project['id']}/panels/generate")
    panel = (await client.get(f"/api/v1/projects/{project['id']}")).json()["panels"][0]
    await client.post(f"/api/v1/projects/{project['id']}/panels/{panel['panel_id']}/render")
    await client.post(f"/api/v1/projects/{project['id']}/panels/generate")  # re-planned: that image's panel is gone

    whole = await services(app).data.export_all_data()
    one = (await client.get(f"/api/v1/projects/{first['comic_id']}/export/json")).json()
    assert whole["format"] == "fable-export" and whole["version"] == 1 and list(whole["schema"]) == TABLES
    assert len(whole["tables"]["comics"]) == 3 and len(one["tables"]["comics"]) == 1
    orphan = [r for r in whole["tables"]["images"] if r["kind"] == "panel" and r["panel_id"] is None]
    assert len(orphan) == 2  # its art and lettered image: the link to the re-planned panel is left empty, both kept

    for bundle in (whole, one):
        with psycopg.connect(database) as conn:
            conn.execute(MIGRATIONS[0].read_text("utf-8"))
            for sql, rows in insert_statements(bundle):
                conn.execute(sql, (rows,))
            counts = {t: conn.execute(f"select count(*) from public.{t}").fetchone()[0] for t in TABLES}
            assert counts == {t: len(bundle["tables"][t]) for t in TABLES}
            loaded = conn.execute(
                "select visual_elements, dialogue from public.scenes order by position limit 1"
            ).fetchone()
            assert isinstance(loaded[0], list) and isinstance(loaded[1], list)
            comic_id = bundle["tables"]["comics"][0]["id"]
            conn.execute("delete from public.comics where id = %s", (comic_id,))
            left = conn.execute("select count(*) from public.panels where comic_id = %s", (comic_id,)).fetchone()
            assert left == (0,)  # its rows went with it
            conn.rollback()


def test_an_owner_sees_only_their_own_comics_through_row_level_security(database: str) -> None:
    alice, bob = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
    with psycopg.connect(database) as conn:
        conn.execute(MIGRATIONS[0].read_text("utf-8"))
        for owner in (alice, bob):
            conn.execute(
                "insert into public.comics (owner_id, title, status) values (%s, %s, 'draft')",
                (owner, f"comic of {owner[:1]}"),
            )
        conn.execute("set role authenticated")
        conn.execute("select set_config('request.jwt.claim.sub', %s, true)", (alice,))
        seen = conn.execute("select title from public.comics").fetchall()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("insert into public.comics (owner_id, title, status) values (%s, 'forged', 'draft')", (bob,))
    assert seen == [("comic of 1",)]
