"""The JSON backend on a really full disk (a tiny tmpfs): nothing acknowledged is lost, no journal line is
glued to a torn one, and space freed later is used without a restart."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app.errors import StorageError
from app.models.schemas import Job
from app.storage.data_manager import DataManager
from app.storage.json_backend import JsonBackend
from tests.conftest import killed
from tests.full_disk import fill, tiny_disk  # noqa: F401 - the fixture

LONG_URL = "https://fal.media/files/" + "a" * 180


async def opened(root: Path) -> DataManager:
    data = DataManager(JsonBackend(root))
    await data.open()
    return data


def crash(data: DataManager) -> None:
    """Stop using a backend the way a killed process does: its journal is closed, nothing is folded."""
    killed(data)


def journal_lines(root: Path) -> list[bytes]:
    return (root / "images" / "metadata.journal.jsonl").read_bytes().splitlines(keepends=True)


async def test_images_recorded_until_the_disk_is_full_are_all_there_after_a_crash(tiny_disk: Path) -> None:
    root = tiny_disk / "data"
    data = await opened(root)
    # One record before the disk fills gives the journal a page; later lines fill it until one straddles
    # its end, and the disk has room for part of that line only.
    acknowledged = [(await data.reference_image(f"{LONG_URL}/first.png", kind="panel")).id]
    filler = fill(tiny_disk)
    refused = 0
    while refused < 3:  # the journal's last page takes lines until one no longer fits, then nothing does
        try:
            record = await data.reference_image(f"{LONG_URL}/{len(acknowledged)}.png", kind="panel")
        except StorageError as exc:
            assert "full" in exc.message
            refused += 1
            continue
        acknowledged.append(record.id)
        assert len(acknowledged) < 10_000, "the disk never filled up"
    assert len(acknowledged) > 1, "the journal's last page had no room: nothing was tried on a full disk"
    for line in journal_lines(root):
        assert line.endswith(b"\n"), "a refused record left a torn line behind"
        json.loads(line)

    filler.unlink()  # space again: the next record works, without reopening anything
    later = await data.reference_image(f"{LONG_URL}/later.png", kind="panel")
    acknowledged.append(later.id)
    for line in journal_lines(root):
        json.loads(line)  # the later line did not start glued to a torn one

    crash(data)
    reopened = await opened(root)
    assert {r.id for r in await reopened.backend.list_images()} == set(acknowledged)
    await reopened.close()


async def test_a_torn_tail_is_cut_at_open_even_when_the_snapshot_cannot_be_written(tiny_disk: Path) -> None:
    root = tiny_disk / "data"
    data = await opened(root)
    first = await data.reference_image(f"{LONG_URL}/first.png", kind="panel")
    whole = journal_lines(root)
    index = data.backend.images  # type: ignore[attr-defined]
    os.write(index._fd, b'{"op":"put","image":{"id":"tor')  # a crash in the middle of an append
    crash(data)
    filler = fill(tiny_disk)

    reopened = await opened(root)  # a full disk does not stop the index opening: its journal is the record
    assert journal_lines(root) == whole, "the torn tail was not cut at open"
    filler.unlink()
    second = await reopened.reference_image(f"{LONG_URL}/second.png", kind="panel")
    for line in journal_lines(root):
        json.loads(line)
    crash(reopened)
    again = await opened(root)
    assert {r.id for r in await again.backend.list_images()} == {first.id, second.id}
    await again.close()


async def test_a_record_write_refused_by_a_full_disk_keeps_the_old_version(tiny_disk: Path) -> None:
    root = tiny_disk / "data"
    data = await opened(root)
    job = await data.create_job(Job(comic_id="c", topic="road safety"))
    before = (root / "jobs" / f"{job.id}.json").read_bytes()
    filler = fill(tiny_disk)
    with pytest.raises(StorageError, match="full"):
        await data.update_job(job.id, lambda j: j.model_copy(update={"topic": "x" * 20_000}))
    assert (root / "jobs" / f"{job.id}.json").read_bytes() == before
    assert not [p for p in (root / "jobs").iterdir() if p.name.startswith(".")], "a temp file was left"
    filler.unlink()
    assert (await data.update_job(job.id, lambda j: j.model_copy(update={"topic": "later"}))).topic == "later"
    await data.close()


async def test_an_image_whose_record_is_refused_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = await opened(tmp_path)

    def refuse(record: dict) -> None:
        raise StorageError("the image could not be recorded: storage is full (no space left on the device)")

    monkeypatch.setattr(data.backend.images, "put", refuse)  # type: ignore[attr-defined]
    with pytest.raises(StorageError):
        await data.store_image(b"png bytes", kind="panel")
    assert await data.backend.unreferenced_image_files() == []
    await data.close()


async def test_a_final_job_is_written_even_when_the_active_list_cannot_shrink(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = await opened(tmp_path)
    job = await data.create_job(Job(comic_id="c", topic="road safety", status="running"))
    backend = data.backend
    assert isinstance(backend, JsonBackend)
    real = backend._set_active

    def no_space_to_unlist(job_id: str, active: bool) -> None:
        if not active:
            raise OSError(28, "No space left on device")
        real(job_id, active)

    monkeypatch.setattr(backend, "_set_active", no_space_to_unlist)
    failed = await data.update_job(job.id, lambda j: j.model_copy(update={"status": "failed"}))
    assert failed.status == "failed"
    assert json.loads((tmp_path / "jobs" / f"{job.id}.json").read_bytes())["status"] == "failed"
    assert await data.active_jobs() == []
    monkeypatch.undo()
    await data.close()
