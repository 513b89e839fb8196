"""Rows per second of the export bundle: built and written to a file, then loaded into PostgreSQL.

    python bench/export.py [--comics 10000] [--baseline-comics 500]

Comics are made in memory with the shape the wizard gives (6 scenes, 3 characters, 6 panels, a job,
9 images), so the figure is the export and the load, not the pipeline. The load uses the migration in
supabase/migrations on a fresh database of the machine's PostgreSQL (FABLE_TEST_POSTGRES, default
host=127.0.0.1 user=postgres dbname=test) and one set-based insert per table; the baseline, in the same
run, inserts the first --baseline-comics comics' rows one statement per row.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from app.models.schemas import Character, Comic, DialogueLine, ImageRecord, Job, Panel, Scene
from app.storage.export import bundle, insert_statements
from app.storage.sql_schema import render_schema
from utils import new_id

DSN = os.environ.get("FABLE_TEST_POSTGRES", "host=127.0.0.1 port=5432 user=postgres dbname=test")


def make(count: int) -> tuple[list[Comic], list[Job], list[ImageRecord]]:
    comics, jobs, images = [], [], []
    for n in range(count):
        cast = [
            Character(
                id=f"hero-{k}",
                name=f"Hero {k}",
                description="a brave kid",
                visual_tags=["cap", "boots"],
                image_id=new_id(),
            )
            for k in range(3)
        ]
        scenes = [
            Scene(
                scene_id=f"scene-{k}",
                title=f"Scene {k}",
                description="They learn to cross the road.",
                dialogue=[DialogueLine(speaker="Hero 0", text="Stop, look and listen!")],
                learning_point="Stop at the kerb.",
                visual_elements=["road", "car"],
            )
            for k in range(6)
        ]
        panels = [
            Panel(
                scene_id=f"scene-{k}",
                title=f"Panel {k}",
                description="A street",
                characters=["Hero 0"],
                dialogue=scenes[k].dialogue,
                status="rendered",
                image_id=new_id(),
            )
            for k in range(6)
        ]
        comic = Comic(title=f"Comic {n}", topic="road safety", scenes=scenes, characters=cast, panels=panels)
        job = Job(comic_id=comic.id, topic="road safety", status="completed", step="done", progress=100)
        comic.job_ids = [job.id]
        comics.append(comic)
        jobs.append(job)
        images += [
            ImageRecord(
                id=c.image_id,
                kind="character",
                comic_id=comic.id,
                character_id=c.id,
                local_path=f"characters/{c.image_id}.png",
                size_bytes=40_000,
            )
            for c in cast
        ]
        images += [
            ImageRecord(
                id=p.image_id,
                kind="panel",
                comic_id=comic.id,
                panel_id=p.panel_id,
                local_path=f"panels/{p.image_id}.png",
                size_bytes=90_000,
            )
            for p in panels
        ]
    return comics, jobs, images


def fresh_database(admin: psycopg.Connection) -> str:
    name = f"fable_bench_{uuid.uuid4().hex[:10]}"
    admin.execute(f'create database "{name}"')
    dsn = psycopg.conninfo.make_conninfo(DSN, dbname=name)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "create schema if not exists auth; create or replace function auth.uid() returns uuid "
            "language sql stable as $$ select null::uuid $$; create schema if not exists storage; "
            "create table if not exists storage.buckets (id text primary key, name text, public boolean);"
            "do $$ begin if not exists (select from pg_roles where rolname = 'authenticated') then "
            "create role authenticated nologin; end if; end $$;"
        )
        conn.execute(render_schema())
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comics", type=int, default=10_000)
    parser.add_argument("--baseline-comics", type=int, default=500)
    args = parser.parse_args()

    comics, jobs, images = make(args.comics)
    started = time.perf_counter()
    data = bundle(comics, jobs, images)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out:
        json.dump(data, out)
    exported = time.perf_counter() - started
    rows = sum(len(r) for r in data["tables"].values())
    size_mb = os.path.getsize(out.name) / 1e6
    os.unlink(out.name)

    small = bundle(
        comics[: args.baseline_comics],
        jobs[: args.baseline_comics],
        [i for i in images if i.comic_id in {c.id for c in comics[: args.baseline_comics]}],
    )
    small_rows = sum(len(r) for r in small["tables"].values())
    with psycopg.connect(DSN, autocommit=True) as admin:
        names = [fresh_database(admin), fresh_database(admin)]
        try:
            with psycopg.connect(psycopg.conninfo.make_conninfo(DSN, dbname=names[0])) as conn:
                started = time.perf_counter()
                for sql, payload in insert_statements(data):
                    conn.execute(sql, (payload,))
                conn.commit()
                loaded = time.perf_counter() - started
            with psycopg.connect(psycopg.conninfo.make_conninfo(DSN, dbname=names[1])) as conn:
                started = time.perf_counter()
                for table, table_rows in small["tables"].items():
                    for row in table_rows:
                        columns = list(row)
                        values = [
                            json.dumps(v)
                            if isinstance(v, dict) or (isinstance(v, list) and v and isinstance(v[0], dict))
                            else v
                            for v in row.values()
                        ]
                        conn.execute(
                            f"insert into public.{table} ({', '.join(columns)}) values "
                            f"({', '.join(['%s'] * len(columns))})",
                            values,
                        )
                conn.commit()
                one_by_one = time.perf_counter() - started
        finally:
            for name in names:
                admin.execute(f'drop database if exists "{name}" with (force)')

    print(f"bundle: {args.comics} comics, {rows} rows, {size_mb:.1f} MB of JSON")
    print(f"export (rows built and written): {rows / exported:,.0f} rows/s ({exported:.2f} s)")
    print(f"load, one insert per table:      {rows / loaded:,.0f} rows/s ({loaded:.2f} s)")
    print(
        f"baseline, one insert per row ({args.baseline_comics} comics, {small_rows} rows): "
        f"{small_rows / one_by_one:,.0f} rows/s; set-based is {(rows / loaded) / (small_rows / one_by_one):.1f}x"
    )


if __name__ == "__main__":
    main()
