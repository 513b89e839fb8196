"""Scaled out for real (issue 18): API instances and queue workers as processes on one Supabase project
(the fake's PostgREST over this machine's PostgreSQL), JOB_QUEUE=procrastinate, pictures from the fake
fal.ai taking a moment each. One worker and one API instance are killed with SIGKILL mid-run."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from websockets.sync.client import connect

from tests.cluster import API_KEYS, Cluster, cluster
from tests.postgres import database  # noqa: F401 - the fixture

API = "/api/v1"
LIMIT = 2  # MAX_ACTIVE_JOBS_PER_OWNER
OWNERS = [{"Authorization": f"Bearer {key}"} for key in API_KEYS]

# Every completion written, one row each: a job completed twice (two runs both ending it) shows twice.
AUDIT = """
create table test_completions (job_id uuid not null, at timestamptz not null default clock_timestamp());
create function test_record_completion() returns trigger language plpgsql as $$
begin
  insert into test_completions (job_id) values (new.id);
  return new;
end $$;
create trigger test_record_completion after update on public.jobs for each row
  when (new.status = 'completed' and old.status is distinct from 'completed')
  execute function test_record_completion();
"""


class BusySampler(threading.Thread):
    """The most queued-or-running jobs any owner had, sampled from the database while the test runs."""

    def __init__(self, dsn: str) -> None:
        super().__init__(daemon=True)
        self.dsn, self.most, self.samples = dsn, 0, 0
        self.done = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self.done.wait(0.05):
                rows = conn.execute(
                    "select count(*) from public.jobs where status in ('queued', 'running') group by owner_id"
                ).fetchall()
                self.most = max([self.most, *(n for (n,) in rows)])
                self.samples += 1


def wait_for(check, what: str, timeout: float = 120.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)  # polling a condition with a deadline, not sleeping and hoping


def status(base: str, job_id: str, owner: dict[str, str]) -> dict:
    return httpx.get(f"{base}{API}/jobs/{job_id}", headers=owner, timeout=30).json()


def sse_progress(base: str, job_id: str, owner: dict[str, str], seen: list[dict]) -> threading.Thread:
    def read() -> None:
        url = f"{base}{API}/comics/{job_id}/events"
        with httpx.stream("GET", url, headers=owner, timeout=httpx.Timeout(10, read=60)) as events:
            for line in events.iter_lines():
                if line.startswith("data: "):
                    seen.append(json.loads(line[6:]))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


def ws_updates(base: str, project_id: str, key: str, seen: list[dict]) -> threading.Thread:
    def read() -> None:
        url = base.replace("http://", "ws://") + f"{API}/projects/{project_id}/ws?access_token={key}"
        with connect(url, open_timeout=30) as socket:
            while True:
                message = json.loads(socket.recv(timeout=90))
                seen.append(message)
                panels = message.get("state", {}).get("panels", [])
                if panels and all(p["status"] == "rendered" for p in panels):
                    return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


@pytest.fixture
def running_cluster(database: str, tmp_path: Path) -> Iterator[tuple[Cluster, str]]:
    with cluster(
        database,
        tmp_path,
        instances=3,
        workers=3,
        image_latency=0.3,
        env={"MAX_ACTIVE_JOBS_PER_OWNER": str(LIMIT), "MAX_CONCURRENT_RENDERS": "2"},
    ) as found:
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute(AUDIT)
        yield found, database


def test_comics_survive_killed_processes_across_instances(running_cluster: tuple[Cluster, str]) -> None:
    found, dsn = running_cluster
    apis = found.apis
    sampler = BusySampler(dsn)
    sampler.start()

    # Scenes for two comics per owner, started round-robin across the instances.
    jobs: list[tuple[str, dict[str, str]]] = []
    for n in range(6):
        owner = OWNERS[n % 3]
        answer = httpx.post(
            f"{apis[n % 3]}{API}/comics/scenes/generate",
            json={"topic": f"sharing and caring, part {n}", "num_scenes": 3},
            headers=owner,
            timeout=30,
        )
        assert answer.status_code == 202, answer.text
        jobs.append((answer.json()["job_id"], owner))
    for job_id, owner in jobs:
        wait_for(
            lambda job_id=job_id, owner=owner: status(apis[1], job_id, owner)["status"] == "awaiting_input",
            f"scenes of {job_id}",
        )

    # The same Idempotency-Key sent at once to two instances makes one job.
    keyed: list[httpx.Response] = []
    body = {"topic": "crossing the road safely", "num_scenes": 2}
    headers = {**OWNERS[0], "Idempotency-Key": "same-key-on-two-instances"}
    senders = [
        threading.Thread(
            target=lambda base=base: keyed.append(
                httpx.post(f"{base}{API}/comics/scenes/generate", json=body, headers=headers, timeout=60)
            )
        )
        for base in apis[:2]
    ]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    assert [a.status_code for a in keyed] == [202, 202], [a.text for a in keyed]
    assert keyed[0].json()["job_id"] == keyed[1].json()["job_id"]
    assert sorted(a.headers.get("idempotent-replayed", "false") for a in keyed) == ["false", "true"]

    # Generation: each started on one instance, watched over SSE (and one over the WebSocket) on another.
    progress: dict[str, list[dict]] = {}
    readers = []
    for n, (job_id, owner) in enumerate(jobs):
        answer = httpx.post(f"{apis[n % 3]}{API}/comics/{job_id}/generate", headers=owner, timeout=30)
        assert answer.status_code == 202, answer.text  # two generations an owner: within their limit
        progress[job_id] = []
        readers.append(sse_progress(apis[(n + 1) % 2], job_id, owner, progress[job_id]))
    first_comic = status(apis[0], jobs[0][0], jobs[0][1])["comic_id"]
    ws_seen: list[dict] = []
    readers.append(ws_updates(apis[1], first_comic, API_KEYS[0], ws_seen))

    # Kill a worker with jobs in flight, and the API instance no reader is on.
    with psycopg.connect(dsn, autocommit=True) as conn:
        doing = wait_for(
            lambda: conn.execute("select args->>'job_id' from procrastinate_jobs where status = 'doing'").fetchall(),
            "a job running on a worker",
        )
        in_flight_at_kill = {
            row[0]
            for row in conn.execute("select args->>'job_id' from procrastinate_jobs where status = 'doing'").fetchall()
        } | {row[0] for row in doing}
    found.kill(found.workers[0])
    found.kill(found.api_processes[2])

    for job_id, owner in jobs:
        final = wait_for(
            lambda job_id=job_id, owner=owner: (
                (s := status(apis[0], job_id, owner))["status"] in ("completed", "failed", "cancelled") and s
            ),
            f"generation of {job_id}",
            timeout=240,
        )
        assert final["status"] == "completed", final
    for reader in readers:
        reader.join(timeout=60)
    sampler.done.set()
    sampler.join()

    # Cancel on one instance stops the work on a worker.
    owner = OWNERS[1]
    started = httpx.post(
        f"{apis[0]}{API}/comics/scenes/generate", json={"topic": "brushing teeth", "num_scenes": 12}, headers=owner
    ).json()["job_id"]
    wait_for(lambda: status(apis[0], started, owner)["status"] == "awaiting_input", "scenes to cancel")
    assert httpx.post(f"{apis[0]}{API}/comics/{started}/generate", headers=owner, timeout=30).status_code == 202
    with psycopg.connect(dsn, autocommit=True) as conn:

        def queue_status() -> str | None:
            row = conn.execute(
                "select status::text from procrastinate_jobs where args->>'job_id' = %s order by id desc limit 1",
                (started,),
            ).fetchone()
            return row[0] if row else None

        wait_for(lambda: queue_status() == "doing", "the job running on a worker")
        cancelled = httpx.post(f"{apis[1]}{API}/jobs/{started}/cancel", headers=owner, timeout=30)
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        comic_id = cancelled.json()["comic_id"]

        def rendered() -> int:
            comic = httpx.get(f"{apis[0]}{API}/projects/{comic_id}", headers=owner, timeout=30).json()
            return sum(p["status"] == "rendered" for p in comic["panels"])

        at_cancel = rendered()
        # its run ends (aborted, or stopped at its next write, which finds the job cancelled)
        wait_for(lambda: queue_status() in ("aborted", "succeeded", "failed"), "the worker's run to end", timeout=30)
        after = status(apis[2 if found.api_processes[2].poll() is None else 0], started, owner)
        assert after["status"] == "cancelled", after  # not overwritten by the stopped run
        # at most the pictures already in flight land (MAX_CONCURRENT_RENDERS=2); nothing new is started
        assert rendered() - at_cancel <= 2, "the cancelled run went on"

        completions = dict(
            conn.execute("select job_id::text, count(*) from test_completions group by job_id").fetchall()
        )
        # runs of one queue entry (a wizard job is queued once for its scenes and once for its pictures)
        starts = conn.execute(
            "select j.args->>'job_id', count(*) from procrastinate_events e "
            "join procrastinate_jobs j on j.id = e.job_id where e.type = 'started' group by j.id"
        ).fetchall()
        stuck = conn.execute("select count(*) from public.jobs where status in ('queued', 'running')").fetchone()

    assert all(completions.get(job_id) == 1 for job_id, _ in jobs), completions  # each completion written once
    assert max(completions.values()) == 1
    reruns = {job_id for job_id, count in starts if count > 1}
    assert reruns <= in_flight_at_kill, (reruns, in_flight_at_kill)  # only what the killed worker had
    assert stuck == (0,)
    print(f"reruns {len(reruns)} of {len(in_flight_at_kill)} in flight at the kill; most busy {sampler.most}")
    assert sampler.samples > 10 and sampler.most <= LIMIT, (sampler.most, sampler.samples)
    for job_id, _ in jobs:
        seen = [event["progress"] for event in progress[job_id]]
        assert seen and seen == sorted(seen), seen  # rising progress, read on another instance
        assert progress[job_id][-1]["status"] == "completed"
    assert ws_seen and ws_seen[0]["event"] == "state.snapshot"
    assert all(p["status"] == "rendered" for p in ws_seen[-1]["state"]["panels"])


def test_a_job_admitted_but_never_queued_is_queued_by_a_sweeper(database: str, tmp_path: Path) -> None:
    """A kill between a request's admission and its queueing leaves a queued job with no queue entry: a
    worker's sweeper finds it and queues it, and it runs."""
    with cluster(database, tmp_path, instances=1, workers=0) as found:
        owner = OWNERS[0]
        answer = httpx.post(
            f"{found.apis[0]}{API}/comics/scenes/generate", json={"topic": "kind words", "num_scenes": 2}, headers=owner
        )
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["job_id"]
        with psycopg.connect(database, autocommit=True) as conn:  # no worker yet: its entry still waits
            gone = conn.execute(
                "delete from procrastinate_jobs where args->>'job_id' = %s and status = 'todo'", (job_id,)
            ).rowcount
        assert gone == 1 and status(found.apis[0], job_id, owner)["status"] == "queued"
        found.add_worker()
        done = wait_for(
            lambda: (s := status(found.apis[0], job_id, owner))["status"] not in ("queued", "running") and s,
            "the sweeper",
            timeout=90,
        )
        assert done["status"] == "awaiting_input", done
        assert "no queue entry: queued again" in (tmp_path / "worker0.log").read_text()
