"""kill -9 in the middle of work: the real server as a subprocess, jobs accepted while it writes, SIGKILL,
a restart on the same DATA_DIR. Two owners (API keys) send at once. Every file still parses, every
acknowledged job is there for its owner, and none is left running: each resumes and finishes, or fails
with a reason."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import httpx

from tests.processes import free_port, running

FINAL_OR_WAITING = {"awaiting_input", "completed", "failed", "cancelled"}
KEYS = ("crash-owner-a", "crash-owner-b")


def test_sigkill_mid_write_loses_nothing_acknowledged(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "ENV": "development",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "DATA_DIR": str(tmp_path / "data"),
        "TEXT_PROVIDER": "offline",
        "IMAGE_PROVIDER": "offline",
        "OPENAI_API_KEY": "",
        "FAL_KEY": "",
        "STORAGE_BACKEND": "json",
        "API_KEYS": ",".join(KEYS),
        "MAX_ACTIVE_JOBS_PER_OWNER": "100",
    }
    accepted: dict[str, str] = {}  # job id -> its owner's key
    started_comics: list[str] = []
    enough = threading.Event()

    def fire(key: str) -> None:
        """Keep starting scene jobs, and whole comics on the ones that are ready, until told to stop."""
        with httpx.Client(base_url=f"{base}/api/v1", timeout=5, headers={"Authorization": f"Bearer {key}"}) as api:
            mine: list[str] = []
            while not enough.is_set() or len(accepted) < 200:
                try:
                    answer = api.post("/comics/scenes/generate", json={"topic": "road safety", "num_scenes": 3})
                    if answer.status_code == 202:
                        mine.append(answer.json()["job_id"])
                        accepted[mine[-1]] = key
                    for job_id in mine[-3:]:
                        if job_id not in started_comics and api.post(f"/comics/{job_id}/generate").status_code == 202:
                            started_comics.append(job_id)
                except httpx.TransportError:
                    return  # the server is gone: whatever was not answered was not acknowledged
                if len(accepted) >= 12:
                    enough.set()

    with running(["main.py"], env=env, ready=f"{base}/health", log=tmp_path / "first.log") as server:
        workers = [threading.Thread(target=fire, args=(key,)) for key in KEYS]
        for worker in workers:
            worker.start()
        assert enough.wait(timeout=60), "the server accepted too few jobs to test anything"
        os.kill(server.pid, signal.SIGKILL)  # while the workers are still sending and jobs are rendering
        server.wait(timeout=10)
        for worker in workers:
            worker.join(timeout=30)
    assert started_comics, "no comic was rendering when the server was killed"

    unfinished = []
    for path in (tmp_path / "data").rglob("*.json"):
        record = json.loads(path.read_bytes())  # every file is whole: the old or the new version, never half
        if path.parent.name == "jobs" and record["status"] in ("queued", "running"):
            unfinished.append(record["id"])
    assert unfinished, "every job had finished before the kill: nothing was interrupted"

    with (
        running(["main.py"], env=env, ready=f"{base}/health", log=tmp_path / "second.log"),
        httpx.Client(base_url=f"{base}/api/v1", timeout=5) as api,
    ):
        deadline = time.monotonic() + 120
        pending = set(accepted)
        while pending and time.monotonic() < deadline:
            for job_id in sorted(pending):
                answer = api.get(f"/jobs/{job_id}", headers={"Authorization": f"Bearer {accepted[job_id]}"})
                assert answer.status_code == 200, f"acknowledged job {job_id} is gone: {answer.text}"
                job = answer.json()
                if job["status"] in FINAL_OR_WAITING:
                    assert job["status"] != "failed" or job["error"]["message"], job
                    pending.discard(job_id)
            time.sleep(0.05)  # polling the jobs' state until every one has settled; the deadline bounds it
        assert not pending, f"still queued or running after the restart: {sorted(pending)}"
        for job_id in started_comics:
            owner = {"Authorization": f"Bearer {accepted[job_id]}"}
            assert api.get(f"/jobs/{job_id}", headers=owner).json()["status"] in ("completed", "failed")
