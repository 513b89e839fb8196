"""A scaled-out service as real processes, for tests and bench/scaleout.py: a Supabase project (the fake's
PostgREST over a real PostgreSQL database, on an HTTPS socket), API instances (`python main.py`) and queue
workers (`python -m app.cli worker`), all on JOB_QUEUE=procrastinate."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from tests.fakes.supabase_project import KEY, apply_migrations
from tests.processes import ROOT, free_port, running

API_KEYS = ["owner-key-one", "owner-key-two", "owner-key-three"]


@dataclass
class Cluster:
    apis: list[str] = field(default_factory=list)  # base URLs
    api_processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: Path = Path(".")
    env: dict[str, str] = field(default_factory=dict)

    def add_worker(self) -> subprocess.Popen[bytes]:
        process = _start_worker(self.env, self.logs / f"worker{len(self.workers)}.log")
        self.workers.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)


def _start_worker(env: dict[str, str], log: Path, timeout: float = 60.0) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker", "--heartbeat-seconds", "1", "--stalled-after-seconds", "4"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + timeout
    while b"worker ready" not in log.read_bytes():
        if process.poll() is not None:
            raise RuntimeError(f"a worker exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"a worker was not ready in {timeout} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)  # waiting for the process to say it is ready; readiness is checked, not assumed
    return process


def database_url(dsn: str) -> str:
    """The test database's conninfo as the URL DATABASE_URL takes."""
    parts = conninfo_to_dict(dsn)
    user = parts.get("user", "postgres")
    return f"postgresql://{user}@{parts.get('host', '127.0.0.1')}:{parts.get('port', 5432)}/{parts['dbname']}"


@contextmanager
def cluster(
    database: str,
    tmp: Path,
    *,
    instances: int,
    workers: int,
    env: dict[str, str] | None = None,
    image_latency: float = 0.0,
) -> Iterator[Cluster]:
    apply_migrations(database)
    port = free_port()
    certs = tmp / "certs"
    base = {
        **os.environ,
        "STORAGE_BACKEND": "supabase",
        "SUPABASE_URL": f"https://127.0.0.1:{port}",
        "SUPABASE_KEY": KEY,
        "SSL_CERT_FILE": str(certs / "ca.pem"),
        "DATABASE_URL": database_url(database),
        "JOB_QUEUE": "procrastinate",
        "API_KEYS": ",".join(API_KEYS),
        "TEXT_PROVIDER": "offline",
        "IMAGE_PROVIDER": "offline",
        "OPENAI_API_KEY": "",
        "FAL_KEY": "",
        "ENV": "development",
        "DATA_DIR": str(tmp / "unused-data"),
        **(
            {  # pictures from the fake fal.ai, each taking `image_latency`: jobs long enough to kill mid-run
                "IMAGE_PROVIDER": "fal",
                "FAL_KEY": "cluster:key",
                "FAL_RUN_HOST": f"127.0.0.1:{port}",
                "FAL_QUEUE_RUN_HOST": f"127.0.0.1:{port}",
                "ALLOWED_IMAGE_HOSTS": f"127.0.0.1:{port}",
            }
            if image_latency
            else {}
        ),
        **(env or {}),
    }
    server = ["-m", "tests.fakes.server", "--port", str(port), "--cert-dir", str(certs)]
    server += ["--supabase-dsn", database, "--supabase-key", KEY, "--image-latency", str(image_latency)]
    found = Cluster(logs=tmp, env=base)
    with ExitStack() as stack:
        stack.enter_context(
            running(server, env={}, ready=f"https://127.0.0.1:{port}/_calls", verify=False, log=tmp / "fake.log")
        )
        for n in range(instances):
            api_port = free_port()
            process = stack.enter_context(
                running(
                    ["main.py"],
                    env={**base, "PORT": str(api_port), "HOST": "127.0.0.1"},
                    ready=f"http://127.0.0.1:{api_port}/api/v1/health",
                    log=tmp / f"api{n}.log",
                    timeout=60,
                )
            )
            found.apis.append(f"http://127.0.0.1:{api_port}")
            found.api_processes.append(process)
        try:
            for _ in range(workers):
                found.add_worker()
            yield found
        finally:
            for process in found.workers:
                if process.poll() is None:
                    process.terminate()
            for process in found.workers:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
