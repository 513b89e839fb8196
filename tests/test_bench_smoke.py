"""The benchmarks keep working: each runs on a tiny size (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.postgres import database  # noqa: F401 - the fixture: skips (or fails under .ci/run) without a server

ROOT = Path(__file__).resolve().parent.parent


def test_image_index_bench_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "image_index.py"), "--existing", "200", "--samples", "5"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "baseline" in done.stdout and "200 recorded" in done.stdout and "ratio (median)" in done.stdout


def test_pipeline_bench_runs() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "pipeline.py"),
            "--panels",
            "2",
            "--text-latency",
            "0.01",
            "--image-latency",
            "0.02",
            "--renders",
            "4",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "render phase:" in done.stdout and "critical path" in done.stdout and "baseline" in done.stdout
    assert "at most 1 in flight" in done.stdout  # the baseline really ran one by one


def test_export_bench_runs(database: str) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "export.py"), "--comics", "20", "--baseline-comics", "5"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "20 comics, 520 rows" in done.stdout and "rows/s" in done.stdout and "baseline" in done.stdout


def test_faults_bench_runs() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "faults.py"),
            "--jobs",
            "3",
            "--rate",
            "0.2",
            "--scenes",
            "1",
            "--delay-scale",
            "0.01",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "with faults: 3 jobs" in done.stdout and "stayed running: 0" in done.stdout
    assert "baseline, no faults" in done.stdout


def run_bench(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_scale_bench_runs() -> None:
    out = run_bench("bench/scale.py", "--jobs", "50", "--images", "40", "--requests", "5")
    assert "seeded 50 jobs and 40 images" in out
    assert "start-up:" in out and "/storage/stats: median" in out and "resident memory:" in out and "baseline" in out


def test_polling_bench_runs() -> None:
    out = run_bench("bench/polling.py", "--connections", "4", "--seconds", "0.3")
    assert "GET /health (baseline):" in out and "x of health" in out


def test_render_all_bench_runs() -> None:
    out = run_bench("bench/render_all.py", "--sizes", "2", "4", "--latency", "0.01", "--renders", "2")
    assert "bounded + coalesced" in out and "baseline" in out and "per-panel ratio, 4 vs 2 panels" in out


def test_make_bench_runs() -> None:
    out = run_bench("bench/make.py", "--panels", "2", "--runs", "1")
    assert "2 panels (offline)" in out and "baseline" in out


def test_scaleout_bench_prints_its_figures_as_json(database: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "scaleout.py"),
            *("--instances", "1", "--workers", "1", "--comics", "1", "--scaling-comics", "0", "--json"),
            *("--image-latency", "0.01"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    keys = {"comics", "completed", "max_completions_per_job", "reruns", "stuck", "max_busy_per_owner"}
    keys |= {"pickup_ms_p50", "pickup_ms_p95", "update_ms_p50", "update_ms_p95", "jobs_per_s"}
    assert keys <= set(figures)
    assert (figures["comics"], figures["completed"], figures["max_completions_per_job"], figures["stuck"]) == (
        1,
        1,
        1,
        0,
    )
