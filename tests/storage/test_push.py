"""push-supabase: local JSON data into a Supabase project (the PostgREST/Storage fake over the real
PostgreSQL): everything arrives, a second run sends nothing, an interrupted run finishes when run again,
and a row the server refuses is reported while the rest go on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from app.storage.data_manager import DataManager
from app.storage.push import SupabasePush
from app.storage.supabase_backend import SupabaseBackend
from tests.conftest import finished_comic, services
from tests.fakes.supabase import FakeSupabase
from tests.fakes.supabase_project import KEY, URL
from tests.processes import free_port, running

ROOT = Path(__file__).resolve().parents[2]
TABLES = ["comics", "jobs", "scenes", "characters", "panels", "images"]


async def three_comics(client: httpx.AsyncClient, app: FastAPI) -> DataManager:
    for topic in ("teaching kids about safety", "sharing with friends", "brushing your teeth"):
        await finished_comic(client, app, topic=topic, num_scenes=3)
    return services(app).data


def counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {t: conn.execute(f"select count(*) from public.{t}").fetchone()[0] for t in TABLES}


def writes(fake: FakeSupabase) -> list[tuple[str, str]]:
    """Requests that can change something (fable_get_comics is a read, but rpc with arguments is a POST)."""
    return [
        (m, p)
        for m, p in fake.requests
        if m in ("POST", "PATCH", "DELETE", "PUT") and p != "/rest/v1/rpc/fable_get_comics"
    ]


async def test_everything_arrives_and_a_second_run_sends_nothing(
    client: httpx.AsyncClient, app: FastAPI, backend: SupabaseBackend, fake: FakeSupabase, database: str
) -> None:
    local = await three_comics(client, app)
    bundle = await local.export_all_data()
    local_files = {img.local_path: await local.read_image_bytes(img.id) for img in await local.backend.list_images()}

    dry = await SupabasePush(local, backend, batch_size=7, dry_run=True).run()
    assert dry.sent == {t: len(bundle["tables"][t]) for t in TABLES} and dry.files_sent == len(local_files)
    assert writes(fake) == [] and counts(database) == dict.fromkeys(TABLES, 0)  # a dry run writes nothing

    first = await SupabasePush(local, backend, batch_size=7).run()
    assert first.sent == {t: len(bundle["tables"][t]) for t in TABLES} and first.refused == []
    assert counts(database) == {t: len(bundle["tables"][t]) for t in TABLES}
    assert {path: obj.data for (_, path), obj in fake.objects.items()} == local_files
    pushed = (await backend.list_images())[0]
    assert pushed.url == f"{URL}/storage/v1/object/public/comic-images/{pushed.local_path}"
    assert await backend.read_image_bytes(pushed.id) == local_files[pushed.local_path]
    comic = (await local.list_comics(limit=1))[0]
    assert (await backend.get_comic(comic.id)).model_dump() == comic.model_dump()  # the backend reads it back whole

    fake.requests.clear()
    second = await SupabasePush(local, backend, batch_size=7).run()
    assert sum(second.sent.values()) == 0 and second.files_sent == 0
    assert second.unchanged == first.sent
    assert writes(fake) == []  # only the read-backs


async def test_an_interrupted_push_finishes_when_run_again(
    client: httpx.AsyncClient, app: FastAPI, backend: SupabaseBackend, database: str
) -> None:
    local = await three_comics(client, app)
    bundle = await local.export_all_data()
    batches = 0

    def stop_after_four(table: str, done: int, total: int) -> None:
        nonlocal batches
        batches += done > 0
        if batches == 4:
            raise KeyboardInterrupt  # Ctrl-C half-way through

    with pytest.raises(KeyboardInterrupt):
        await SupabasePush(local, backend, batch_size=4, progress=stop_after_four).run()
    partial = counts(database)
    assert 0 < sum(partial.values()) < sum(len(rows) for rows in bundle["tables"].values())

    again = await SupabasePush(local, backend, batch_size=4).run()
    assert counts(database) == {t: len(bundle["tables"][t]) for t in TABLES}
    assert sum(again.unchanged.values()) == sum(partial.values())  # what had arrived was not sent twice


async def test_a_refused_row_is_reported_and_the_rest_go_on(
    client: httpx.AsyncClient, app: FastAPI, backend: SupabaseBackend, database: str
) -> None:
    local = await three_comics(client, app)
    bundle = await local.export_all_data()
    doomed = bundle["tables"]["panels"][1]
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(
            "alter table public.panels add constraint not_this_one check (id <> %s::uuid)".replace(
                "%s", f"'{doomed['id']}'"
            )
        )
    report = await SupabasePush(local, backend, batch_size=50).run()
    panel_images = [r["id"] for r in bundle["tables"]["images"] if r["panel_id"] == doomed["id"]]
    assert len(panel_images) == 2  # its art and its lettered image
    assert sorted((r.table, r.row_id) for r in report.refused) == sorted(
        [("panels", doomed["id"]), *(("images", image_id) for image_id in panel_images)]
    )
    assert "not_this_one" in report.refused[0].reason
    assert all(r.reason == f"its panels row {doomed['id']} was refused" for r in report.refused[1:])
    expected = {t: len(bundle["tables"][t]) for t in TABLES}
    expected["panels"] -= 1
    expected["images"] -= 2
    assert counts(database) == expected  # everything else arrived


def test_the_cli_pushes_to_a_project_over_https(tmp_path: Path, database: str) -> None:
    """As a user runs it: make a comic, push-supabase --dry-run, push, push again, against a socket."""
    from tests.fakes.supabase_project import apply_migrations

    apply_migrations(database)
    port = free_port()
    certs = tmp_path / "certs"
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "SUPABASE_URL": f"https://127.0.0.1:{port}",
        "SUPABASE_KEY": KEY,
        "SSL_CERT_FILE": str(certs / "ca.pem"),
        "TEXT_PROVIDER": "offline",
        "IMAGE_PROVIDER": "offline",
        "OPENAI_API_KEY": "",
        "FAL_KEY": "",
        "ENV": "development",
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    assert cli("make", "teaching kids about safety", "--num-scenes", "3").returncode == 0
    server = [
        "-m",
        "tests.fakes.server",
        "--port",
        str(port),
        "--cert-dir",
        str(certs),
        "--supabase-dsn",
        database,
        "--supabase-key",
        KEY,
    ]
    with running(server, env={}, ready=f"https://127.0.0.1:{port}/_calls", verify=False, log=tmp_path / "fake.log"):
        dry = cli("push-supabase", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert "dry run: nothing was sent" in dry.stdout and "comics            1 would send" in dry.stdout
        assert counts(database)["comics"] == 0
        sent = cli("push-supabase", "--batch-size", "5")
        assert sent.returncode == 0, sent.stderr
        assert "comics            1 sent" in sent.stdout
        assert "comics      [##############################] 1/1" in sent.stderr  # the progress, one line a table
        again = cli("push-supabase")
        assert again.returncode == 0 and all(" 0 sent" in line for line in again.stdout.splitlines()[1:7])
    assert counts(database)["comics"] == 1 and counts(database)["images"] > 0
    assert KEY not in dry.stdout + dry.stderr + sent.stdout + sent.stderr
