"""bench/live_updates.py keeps working: a tiny run (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.postgres import database  # noqa: F401 - the fixture: skips (or fails under .ci/run) without a server

ROOT = Path(__file__).resolve().parent.parent


def test_live_updates_bench_runs(database: str) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "live_updates.py"), "--jobs", "1", "--writes", "5"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "5 progress writes (1 jobs)" in done.stdout
    assert "SSE on B (cross-instance): p50" in done.stdout and "SSE on A (baseline): p50" in done.stdout
    assert "(5 samples)" in done.stdout  # every write was heard on B, not only seen through its re-read
