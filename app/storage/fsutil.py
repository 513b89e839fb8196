"""Crash-safe file primitives: a file is always its old or its new version, never half of one."""

from __future__ import annotations

import errno
import os
import uuid
from pathlib import Path

TEMP_SUFFIX = ".tmp"
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def describe(exc: OSError) -> str:
    """What went wrong, for a log line or an answer: never a path."""
    if exc.errno in FULL_ERRNOS:
        return "storage is full (no space left on the device)"
    return f"storage failure ({exc.__class__.__name__}{f', {errno.errorcode.get(exc.errno, exc.errno)}' if exc.errno else ''})"


def write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is written: a full disk can take part of a write and say so only in the
    count it returns, so a short count is written again until the kernel raises (ENOSPC)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:  # no progress and no error: treat as full rather than loop for ever
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temp file beside `path`, fsync it, rename it over `path`, fsync the directory."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}{TEMP_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def remove_stale_temp_files(directory: Path) -> int:
    """Temp files left by a crash mid-write are never the acknowledged version: drop them."""
    removed = 0
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX):
                os.unlink(entry.path)
                removed += 1
    return removed
