"""Scaled out on the job queue (issue 18): API instances and workers as processes on one Supabase project.

    python bench/scaleout.py [--instances 3] [--workers 3] [--comics 12] [--kill] [--image-latency 0.3] [--json]

Each run makes its own database on the machine's PostgreSQL (FABLE_TEST_POSTGRES, default host=127.0.0.1
port=5432 user=postgres dbname=test), applies the migration, serves the Supabase fake's PostgREST over it
on an HTTPS socket (tests/fakes/server.py; fal.ai's fake there too, each picture taking --image-latency),
and starts `python main.py` instances and `python -m app.cli worker` processes with JOB_QUEUE=procrastinate
(tests/cluster.py). Comics for three owners are made round-robin across the instances (scenes, then
pictures), each generation watched over SSE on another instance. With --kill, one worker and one API
instance are killed with SIGKILL once jobs are running.

It prints: comics, completed, completions per job (the most: must be 1), re-runs (queue entries started
more than once), stuck (jobs still queued or running), the most busy jobs any owner had (sampled; the limit
is MAX_ACTIVE_JOBS_PER_OWNER=2); pick-up latency (a queue entry deferred -> started, from procrastinate's
events) p50/p95; update latency (a worker's write of a job, by the job's updated_at, -> an SSE client on
another instance receiving it) p50/p95; and throughput with 1, 2 and 4 workers (one job each at a time,
each picture taking --scaling-latency, so vendor latency is what scales) with the scaling efficiency, 1 worker being the baseline. Targets:
pick-up p95 < 50 ms, update p95 < 100 ms, 4 workers >= 3.5 x 1. --json prints the same as one object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402

from tests.cluster import API_KEYS, cluster  # noqa: E402
from tests.postgres import fresh_database  # noqa: E402

API = "/api/v1"
LIMIT = 2
OWNERS = [{"Authorization": f"Bearer {key}"} for key in API_KEYS]
AUDIT = """
create table bench_completions (job_id uuid not null);
create function bench_record_completion() returns trigger language plpgsql as $$
begin insert into bench_completions values (new.id); return new; end $$;
create trigger bench_record_completion after update on public.jobs for each row
  when (new.status = 'completed' and old.status is distinct from 'completed')
  execute function bench_record_completion();
"""


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def wait_until(check, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def job_status(base: str, job_id: str, owner: dict[str, str]) -> dict:
    try:
        return httpx.get(f"{base}{API}/jobs/{job_id}", headers=owner, timeout=30).json()
    except httpx.HTTPError:
        return {"status": "unknown"}


def watch(base: str, job_id: str, owner: dict[str, str], lags: list[float]) -> threading.Thread:
    """An SSE client: for each progress event, how long after the job's write it arrived."""

    def read() -> None:
        try:
            with httpx.stream(
                "GET", f"{base}{API}/comics/{job_id}/events", headers=owner, timeout=httpx.Timeout(10, read=120)
            ) as events:
                for line in events.iter_lines():
                    if line.startswith("data: "):
                        event = json.loads(line[6:])
                        written = datetime.fromisoformat(event["updated_at"].replace("Z", "+00:00")).timestamp()
                        lags.append((time.time() - written) * 1000)
        except httpx.HTTPError:
            return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


def run(instances: int, workers: int, comics: int, kill: bool, image_latency: float, env: dict[str, str]) -> dict:
    with fresh_database("fable_bench") as dsn, tempfile.TemporaryDirectory() as tmp:
        settings = {"MAX_ACTIVE_JOBS_PER_OWNER": str(LIMIT), **env}
        with cluster(
            dsn, Path(tmp), instances=instances, workers=workers, image_latency=image_latency, env=settings
        ) as found:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(AUDIT)
            apis = found.apis
            busiest, stop = [0], threading.Event()

            def sample() -> None:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    while not stop.wait(0.05):
                        rows = conn.execute(
                            "select count(*) from public.jobs where status in ('queued', 'running') group by owner_id"
                        ).fetchall()
                        busiest[0] = max([busiest[0], *(n for (n,) in rows)])

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            jobs = []
            for n in range(comics):
                owner = OWNERS[n % len(OWNERS)]
                while True:  # an owner at their limit is told 429: wait for a slot, as a client would
                    answer = httpx.post(
                        f"{apis[n % instances]}{API}/comics/scenes/generate",
                        json={"topic": f"sharing and caring {n}", "num_scenes": 3},
                        headers=owner,
                        timeout=30,
                    )
                    if answer.status_code != 429:
                        break
                    time.sleep(0.2)
                jobs.append((answer.json()["job_id"], owner))
            for job_id, owner in jobs:
                wait_until(
                    lambda job_id=job_id, owner=owner: job_status(apis[0], job_id, owner)["status"] == "awaiting_input",
                    300,
                )
            lags: list[float] = []
            readers = []
            started = time.monotonic()
            for n, (job_id, owner) in enumerate(jobs):
                while (
                    httpx.post(
                        f"{apis[n % instances]}{API}/comics/{job_id}/generate", headers=owner, timeout=30
                    ).status_code
                    == 429
                ):
                    time.sleep(0.2)
                readers.append(watch(apis[(n + 1) % instances], job_id, owner, lags))
            if kill:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    wait_until(
                        lambda: conn.execute("select 1 from procrastinate_jobs where status = 'doing'").fetchone(), 60
                    )
                found.kill(found.workers[0])
                if instances > 1:
                    found.kill(found.api_processes[-1])
            alive = apis[0]
            finals = {}
            for job_id, owner in jobs:
                wait_until(
                    lambda job_id=job_id, owner=owner: (
                        job_status(alive, job_id, owner)["status"] in ("completed", "failed", "cancelled")
                    ),
                    600,
                )
                finals[job_id] = job_status(alive, job_id, owner)["status"]
            elapsed = time.monotonic() - started
            stop.set()
            sampler.join()
            for reader in readers:
                reader.join(timeout=5)
            with psycopg.connect(dsn, autocommit=True) as conn:
                completions = [
                    n for (n,) in conn.execute("select count(*) from bench_completions group by job_id").fetchall()
                ]
                reruns = conn.execute(
                    "select count(*) from (select e.job_id from procrastinate_events e where e.type = 'started' "
                    "group by e.job_id having count(*) > 1) r"
                ).fetchone()[0]
                stuck = conn.execute(
                    "select count(*) from public.jobs where status in ('queued', 'running')"
                ).fetchone()[0]
                pickups = [
                    ms
                    for (ms,) in conn.execute(
                        "select extract(epoch from (min(s.at) - min(d.at))) * 1000 from procrastinate_events d "
                        "join procrastinate_events s on s.job_id = d.job_id and s.type = 'started' "
                        "where d.type = 'deferred' group by d.job_id"
                    ).fetchall()
                ]
    return {
        "comics": comics,
        "completed": sum(status == "completed" for status in finals.values()),
        "max_completions_per_job": max(completions, default=0),
        "reruns": reruns,
        "stuck": stuck,
        "max_busy_per_owner": busiest[0],
        "pickup_ms": [float(ms) for ms in pickups],
        "update_ms": lags,
        "jobs_per_s": comics / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--comics", type=int, default=12)
    parser.add_argument("--kill", action="store_true", help="SIGKILL one worker and one API instance mid-run")
    parser.add_argument("--image-latency", type=float, default=0.3, help="seconds each fake picture takes")
    parser.add_argument("--scaling-comics", type=int, default=8, help="comics in each 1/2/4-worker run (0: skip)")
    parser.add_argument(
        "--scaling-latency", type=float, default=1.0, help="seconds each picture takes in the 1/2/4-worker runs"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()

    main_run = run(args.instances, args.workers, args.comics, args.kill, args.image_latency, {})
    throughput = {}
    for count in (1, 2, 4) if args.scaling_comics else ():
        # one job a worker at a time, one picture at a time: the vendor's latency is what more workers hide
        scaled = run(
            1,
            count,
            args.scaling_comics,
            False,
            args.scaling_latency,
            {"WORKER_CONCURRENCY": "1", "MAX_CONCURRENT_RENDERS": "1", "MAX_ACTIVE_JOBS_PER_OWNER": "10"},
        )
        throughput[count] = scaled["jobs_per_s"]
    figures = {
        "comics": main_run["comics"],
        "completed": main_run["completed"],
        "max_completions_per_job": main_run["max_completions_per_job"],
        "reruns": main_run["reruns"],
        "stuck": main_run["stuck"],
        "max_busy_per_owner": main_run["max_busy_per_owner"],
        "pickup_ms_p50": percentile(main_run["pickup_ms"], 50),
        "pickup_ms_p95": percentile(main_run["pickup_ms"], 95),
        "update_ms_p50": percentile(main_run["update_ms"], 50),
        "update_ms_p95": percentile(main_run["update_ms"], 95),
        "jobs_per_s": {str(k): round(v, 3) for k, v in throughput.items()},
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"{args.instances} API instances, {args.workers} workers, {args.comics} comics"
        + (", one worker and one instance killed mid-run" if args.kill else "")
    )
    for name in ("comics", "completed", "max_completions_per_job", "reruns", "stuck", "max_busy_per_owner"):
        print(f"  {name:<26}{figures[name]}")
    for name, target in (("pickup", 50), ("update", 100)):
        p50, p95 = figures[f"{name}_ms_p50"], figures[f"{name}_ms_p95"]
        print(
            f"  {name} latency              p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 < {target} ms)"
            if p50 is not None and p95 is not None
            else f"  {name} latency              no samples"
        )
    if throughput:
        base = throughput[1]
        for count, rate in throughput.items():
            print(
                f"  {count} worker(s): {rate:.3f} comics/s = {rate / base:.2f} x 1 worker "
                f"(efficiency {rate / base / count:.0%})"
            )
        print("  target: 4 workers >= 3.5 x 1")


if __name__ == "__main__":
    main()
