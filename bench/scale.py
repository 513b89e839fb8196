"""Start-up time, /storage/stats latency and resident memory of the real server with a lot of data,
against the same server on an empty DATA_DIR (the baseline), in one run.

    python bench/scale.py [--jobs 100000] [--images 100000] [--requests 300]

The data is written the way the JSON backend keeps it: one file per job under data/jobs/, and the
image index's snapshot (data/images/metadata.json) holding every image record. Then `python main.py`
is started on it, timed until /health answers; /storage/stats and /health are each fetched `requests`
times over one keep-alive connection; and the process's resident memory (VmRSS) is read.
Targets (2 cores): stats under 5 ms, start-up under 10 s, memory under 150 MB with 100,000 jobs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from app.models.schemas import ImageRecord, Job  # noqa: E402
from app.storage.image_index import SNAPSHOT_HEAD, SNAPSHOT_TAIL  # noqa: E402
from tests.processes import free_port  # noqa: E402
from utils import new_id  # noqa: E402


def seed(data_dir: Path, jobs: int, images: int) -> None:
    (data_dir / "jobs").mkdir(parents=True)
    template = Job(
        comic_id=new_id(),
        topic="teaching kids about safety",
        status="completed",
        step="done",
        progress=100,
        version=9,
        data={"num_scenes": 6, "usage": {"image_calls": 9}},
    )
    body = template.model_dump(mode="json")
    for _ in range(jobs):
        job_id = new_id()
        (data_dir / "jobs" / f"{job_id}.json").write_text(json.dumps({**body, "id": job_id}))
    (data_dir / "images").mkdir(parents=True)
    image = ImageRecord(
        kind="panel",
        comic_id=new_id(),
        panel_id=new_id(),
        local_path="panels/x.png",
        size_bytes=150_000,
        width=1024,
        height=768,
        model="offline",
    ).model_dump(mode="json")
    lines = []
    for _ in range(images):
        image_id = new_id()
        record = {
            k: v for k, v in {**image, "id": image_id, "local_path": f"panels/{image_id}.png"}.items() if v is not None
        }
        lines.append(json.dumps(image_id) + ":" + json.dumps(record, separators=(",", ":")))
    # the layout the service itself writes: one record per line
    body = "\n" + ",\n".join(lines) + "\n" if lines else "\n"
    (data_dir / "images" / "metadata.json").write_bytes(SNAPSHOT_HEAD + body.encode() + SNAPSHOT_TAIL + b"\n")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def latencies_ms(client: httpx.Client, path: str, count: int) -> list[float]:
    client.get(path)  # warm
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        answer = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return timings


def measure(data_dir: Path, requests: int) -> dict[str, float]:
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "ENV": "development",
        "TEXT_PROVIDER": "offline",
        "IMAGE_PROVIDER": "offline",
        "STORAGE_BACKEND": "json",
    }
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "main.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            while True:
                if server.poll() is not None:
                    raise SystemExit(f"main.py exited with {server.returncode}")
                try:
                    client.get("/health")
                    break
                except httpx.TransportError:
                    time.sleep(0.02)  # polling for readiness; the start-up time is what is measured
            startup = time.perf_counter() - started
            stats = latencies_ms(client, "/api/v1/storage/stats", requests)
            health = latencies_ms(client, "/health", requests)
            counted = client.get("/api/v1/storage/stats").json()
        memory = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)
    return {
        "startup": startup,
        "stats_median": statistics.median(stats),
        "stats_p95": statistics.quantiles(stats, n=20)[-1],
        "health_median": statistics.median(health),
        "rss": memory,
        "jobs": counted["json_storage"]["total_jobs"],
        "images": counted["image_storage"]["total_images"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        full, empty = Path(tmp) / "full", Path(tmp) / "empty"
        began = time.perf_counter()
        seed(full, args.jobs, args.images)
        print(f"seeded {args.jobs} jobs and {args.images} images in {time.perf_counter() - began:.1f} s")
        loaded = measure(full, args.requests)
        baseline = measure(empty, args.requests)
    if (loaded["jobs"], loaded["images"]) != (args.jobs, args.images):
        raise SystemExit(f"the server counted {loaded['jobs']} jobs and {loaded['images']} images")
    print(
        f"start-up: {loaded['startup']:.2f} s with the data (baseline, empty: {baseline['startup']:.2f} s; "
        f"target < 10 s)"
    )
    print(
        f"/storage/stats: median {loaded['stats_median']:.2f} ms, p95 {loaded['stats_p95']:.2f} ms "
        f"(baseline, empty: {baseline['stats_median']:.2f} ms; /health on the same server "
        f"{loaded['health_median']:.2f} ms; target < 5 ms)"
    )
    print(
        f"resident memory: {loaded['rss']:.0f} MB with the data (baseline, empty: {baseline['rss']:.0f} MB; "
        f"target < 150 MB)"
    )


if __name__ == "__main__":
    main()
