"""A real full disk for tests: a tiny tmpfs mounted under tmp_path, filled to its last byte on demand.

Mounting needs root (CAP_SYS_ADMIN); where the machine refuses, the tests that need it skip and say why.
Use it as a fixture: `from tests.full_disk import tiny_disk  # noqa: F401`.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

DISK_SIZE = "2m"


def mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        pytest.skip("full-disk test: there is no `mount` command on this machine")
    if done.returncode != 0:
        pytest.skip(
            f"full-disk test: mounting a {size} tmpfs was refused (needs root or CAP_SYS_ADMIN): "
            f"{done.stderr.strip()[:200]}"
        )


def unmount(where: Path) -> None:
    if subprocess.run(["umount", str(where)], capture_output=True, check=False).returncode != 0:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)  # files still open


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs of its own, unmounted after the test."""
    disk = tmp_path / "disk"
    mount_tmpfs(disk, DISK_SIZE)
    try:
        yield disk
    finally:
        unmount(disk)


def fill(disk: Path) -> Path:
    """Write a file until the device refuses another byte (ENOSPC); remove it to free the space again."""
    filler = disk / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    chunk = 1 << 16
    try:
        while chunk:
            try:
                os.write(fd, b"\0" * chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                chunk //= 2
    finally:
        os.close(fd)
    return filler
