"""Real processes for end-to-end tests: a free port, start and wait until ready, stop for sure."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running(
    args: list[str], *, env: dict[str, str], ready: str, verify: str | bool = True, log: Path, timeout: float = 30.0
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `python args...` from the repository root and wait until GET `ready` answers (any status).
    The process's output goes to `log`, shown when it dies early."""
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{args[0]} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                httpx.get(ready, verify=verify, timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{args[0]} was not ready in {timeout} s:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.05)  # waiting for a process to bind its port; readiness is checked, not assumed
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
