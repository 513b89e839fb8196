"""Cross-instance update latency: a job's progress written on instance A, seen by an SSE client on instance B.

    python bench/live_updates.py [--jobs 3] [--writes 99]

Two API instances (create_app, each with its own services and its own LISTEN connection through DATABASE_URL)
on one Supabase project: the HTTP-layer fake (tests/fakes/supabase.py) over a fresh database of the machine's
PostgreSQL (FABLE_TEST_POSTGRES, default host=127.0.0.1 port=5432 user=postgres dbname=test) with the
migration and its triggers. For each write (`runner.advance` on A: one PATCH of the job row) it times, from
the moment the write starts, when B's LISTEN connection hears it, and when an SSE client on B and one on A
receive the new progress. The same-instance SSE client on A is the baseline: the path that existed before
(an in-process signal, then a re-read). Target (issue 18): cross-instance p95 under 100 ms.

Both instances share one process and event loop, and the fake answers PostgREST synchronously on it, so
every storage round trip of one instance holds up the other: the figures are an upper bound of what two
processes would see.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from app.factory import create_app  # noqa: E402
from app.models.schemas import Comic, Job  # noqa: E402
from app.storage import registry  # noqa: E402
from app.storage.change_feed import Change  # noqa: E402
from config import Settings  # noqa: E402
from tests.asgi_streams import EventStream, sse  # noqa: E402
from tests.fakes.supabase_project import fake_project, supabase_backend  # noqa: E402
from tests.postgres import SUPABASE_BOOTSTRAP  # noqa: E402

DSN = os.environ.get("FABLE_TEST_POSTGRES", "host=127.0.0.1 port=5432 user=postgres dbname=test")


def url_of(dsn: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    password = f":{info['password']}" if info.get("password") else ""
    return f"postgresql://{info.get('user', 'postgres')}{password}@{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/{info['dbname']}"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def arrivals(stream: EventStream, seen: dict[int, float], wanted: asyncio.Queue[int]) -> None:
    """Record when each progress value first arrives on this stream."""
    while (event := await stream.next()) is not None:
        progress = event[1].get("progress")
        if isinstance(progress, int) and progress not in seen:
            seen[progress] = time.perf_counter()
            wanted.put_nowait(progress)


async def measure(dsn: str, jobs: int, writes: int, data_dir: Path) -> dict[str, list[float]]:
    fake = fake_project(dsn)
    registry.BACKENDS["supabase"] = lambda settings: supabase_backend(dsn, fake)
    settings = Settings(
        _env_file=None,
        env="test",
        data_dir=data_dir,
        text_provider="offline",
        image_provider="offline",
        moderation="rules-only",
        storage_backend="supabase",
        supabase_url="https://project.supabase.co",
        supabase_key="service-role-key-for-tests",
        database_url=SecretStr(url_of(dsn)),
    )
    a, b = create_app(settings), create_app(settings)
    timings: dict[str, list[float]] = {
        "notification on B": [],
        "SSE on B (cross-instance)": [],
        "SSE on A (baseline)": [],
    }
    try:
        async with a.router.lifespan_context(a), b.router.lifespan_context(b):
            feed_b = b.state.services.changes
            heard: dict[tuple[str, int], float] = {}
            on_change = feed_b._on_change

            def timed(change: Change) -> None:
                if change.kind == "job" and change.version is not None:
                    heard.setdefault((change.id, change.version), time.perf_counter())
                on_change(change)

            feed_b._on_change = timed
            data, runner = a.state.services.data, a.state.services.runner
            for _ in range(jobs):
                comic = await data.create_comic(Comic(title="Crossing the road", topic="road safety"))
                job = await data.create_job(
                    Job(comic_id=comic.id, topic="road safety", status="running", step="rendering_panels")
                )
                seen_a: dict[int, float] = {}
                seen_b: dict[int, float] = {}
                got_a: asyncio.Queue[int] = asyncio.Queue()
                got_b: asyncio.Queue[int] = asyncio.Queue()
                path = f"/api/v1/comics/{job.id}/events"
                async with sse(a, path) as on_a, sse(b, path) as on_b:
                    readers = [
                        asyncio.create_task(arrivals(on_a, seen_a, got_a)),
                        asyncio.create_task(arrivals(on_b, seen_b, got_b)),
                    ]
                    for queue in (got_a, got_b):  # both clients hold the first state (progress 0)
                        await asyncio.wait_for(queue.get(), 30)
                    for progress in range(1, writes + 1):
                        started = time.perf_counter()
                        written = await runner.advance(job.id, progress=progress)
                        for queue in (got_a, got_b):
                            while await asyncio.wait_for(queue.get(), 30) != progress:
                                pass
                        timings["SSE on A (baseline)"].append(seen_a[progress] - started)
                        timings["SSE on B (cross-instance)"].append(seen_b[progress] - started)
                        if (job.id, written.version) in heard:
                            timings["notification on B"].append(heard[(job.id, written.version)] - started)
                    for reader in readers:
                        reader.cancel()
                    await asyncio.gather(*readers, return_exceptions=True)
    finally:
        fake.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--writes", type=int, default=99, help="progress writes per job (at most 99)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    name = f"fable_bench_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(DSN, autocommit=True, connect_timeout=3)
    admin.execute(f'create database "{name}"')
    try:
        dsn = psycopg.conninfo.make_conninfo(DSN, dbname=name)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(SUPABASE_BOOTSTRAP)
        with tempfile.TemporaryDirectory() as tmp:
            timings = asyncio.run(measure(dsn, args.jobs, min(99, args.writes), Path(tmp) / "data"))
    finally:
        admin.execute(f'drop database if exists "{name}" with (force)')
        admin.close()
    samples = len(timings["SSE on A (baseline)"])
    print(f"{samples} progress writes ({args.jobs} jobs), two API instances in one process, write start -> seen")
    for label, values in timings.items():
        ms = [v * 1000 for v in values]
        print(
            f"{label}: p50 {statistics.median(ms):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms, "
            f"max {max(ms):.1f} ms ({len(ms)} samples)"
        )
    cross = percentile([v * 1000 for v in timings["SSE on B (cross-instance)"]], 0.95)
    print(f"cross-instance p95 {cross:.1f} ms (target < 100 ms)")


if __name__ == "__main__":
    main()
