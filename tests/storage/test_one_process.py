"""JSON storage is for one process (SPEC): a second process on the same DATA_DIR refuses to start and says
why, and a killed holder's lock goes with it, so a restart after kill -9 starts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.errors import StorageError
from app.storage.data_manager import DataManager
from app.storage.json_backend import JsonBackend

ROOT = Path(__file__).resolve().parents[2]
SENTENCE = "JSON storage is for one process"

HOLD = """
import asyncio, sys
from app.storage.data_manager import DataManager
from app.storage.json_backend import JsonBackend

async def main():
    data = DataManager(JsonBackend(sys.argv[1]))
    await data.open()
    print("holding", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


async def test_a_second_backend_on_the_folder_refuses_until_the_first_closes(tmp_path: Path) -> None:
    first = DataManager(JsonBackend(tmp_path))
    await first.open()
    stray = tmp_path / "jobs" / "half-written.json.tmp"  # the holder's write in flight: a refused open keeps it
    stray.write_bytes(b"{")
    second = DataManager(JsonBackend(tmp_path))
    with pytest.raises(StorageError) as refused:
        await second.open()
    assert SENTENCE in refused.value.message and str(tmp_path) in refused.value.message
    assert stray.exists()
    await first.close()
    await second.open()  # the folder is free once its holder closes
    await second.close()


async def test_another_process_is_refused_with_one_line_and_exit_code_2(tmp_path: Path) -> None:
    data = DataManager(JsonBackend(tmp_path))
    await data.open()
    try:
        refused = cli(tmp_path, "stats")
    finally:
        await data.close()
    assert refused.returncode == 2, refused.stderr
    assert SENTENCE in refused.stderr and "Traceback" not in refused.stderr
    assert cli(tmp_path, "stats").returncode == 0


def test_the_lock_of_a_killed_process_goes_with_it(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        assert cli(tmp_path, "stats").returncode == 2
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    finally:
        if holder.poll() is None:
            holder.kill()
    started = cli(tmp_path, "stats")
    assert started.returncode == 0, started.stderr
