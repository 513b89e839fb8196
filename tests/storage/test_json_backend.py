"""What only the JSON-files backend promises: files on disk, atomic writes, the image journal."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app.errors import NotFound, StorageError
from app.models.schemas import Comic, Job, JobUsage
from app.storage import fsutil
from app.storage.data_manager import DataManager
from app.storage.json_backend import JsonBackend
from tests.conftest import killed, tree_digest


async def opened(root: Path) -> DataManager:
    manager = DataManager(JsonBackend(root))
    await manager.open()
    return manager


async def test_layout_of_spec(tmp_path: Path) -> None:
    data = await opened(tmp_path)
    job = await data.create_job(Job(comic_id="c", topic="t"))
    comic = await data.create_comic(Comic(title="t", topic="t"))
    image = await data.store_image(b"png", kind="panel")
    await data.close()
    assert json.loads((tmp_path / "jobs" / f"{job.id}.json").read_text())["id"] == job.id
    assert json.loads((tmp_path / "comics" / f"{comic.id}.json").read_text())["id"] == comic.id
    assert (tmp_path / "images" / "panels" / f"{image.id}.png").read_bytes() == b"png"
    assert {"panels", "characters", "temp"} <= {p.name for p in (tmp_path / "images").iterdir()}
    assert image.id in json.loads((tmp_path / "images" / "metadata.json").read_text())["images"]


async def test_a_failed_write_leaves_the_old_version_and_no_debris(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = await opened(tmp_path)
    job = await data.create_job(Job(comic_id="c", topic="t", progress=10))
    before = tree_digest(tmp_path / "jobs")

    def crash(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fsutil.os, "replace", crash)
    with pytest.raises(StorageError):
        await data.update_job(job.id, lambda j: j.model_copy(update={"progress": 90}))
    monkeypatch.undo()
    assert tree_digest(tmp_path / "jobs") == before  # same files, same bytes: no temp file left either
    assert (await data.get_job(job.id)).progress == 10
    assert (await data.stats())["json_storage"]["total_jobs"] == 1


async def test_temp_files_left_by_a_crash_are_removed_at_start_up(tmp_path: Path) -> None:
    data = await opened(tmp_path)
    job = await data.create_job(Job(comic_id="c", topic="t"))
    await data.close()
    debris = tmp_path / "jobs" / f".{job.id}.json.deadbeef.tmp"
    debris.write_bytes(b'{"half": ')
    data = await opened(tmp_path)
    assert not debris.exists()
    assert (await data.stats())["json_storage"]["total_jobs"] == 1


async def test_stats_counters_are_rebuilt_at_start_up_and_match_the_files(tmp_path: Path) -> None:
    data = await opened(tmp_path)
    for n in range(7):
        job = await data.create_job(Job(comic_id="c", topic="t" * (n + 1)))
    await data.update_job(job.id, lambda j: j.model_copy(update={"data": {"notes": "x" * 5000}}))
    await data.store_image(b"z" * 3000, kind="panel")
    live = await data.stats()
    await data.close()
    reopened = await opened(tmp_path)
    assert await reopened.stats() == live
    on_disk = sum(p.stat().st_size for p in (tmp_path / "jobs").glob("*.json"))
    assert live["json_storage"]["total_size_mb"] == round(on_disk / 1024 / 1024, 3)
    assert live["json_storage"]["total_jobs"] == 7


async def test_stats_do_not_walk_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = await opened(tmp_path)
    await data.create_job(Job(comic_id="c", topic="t"))

    def no_walking(*args: object, **kwargs: object) -> None:
        raise AssertionError("stats walked the directory")

    monkeypatch.setattr(os, "scandir", no_walking)
    monkeypatch.setattr(os, "listdir", no_walking)
    assert (await data.stats())["json_storage"]["total_jobs"] == 1


async def test_image_journal_replays_and_survives_a_torn_line(tmp_path: Path) -> None:
    data = await opened(tmp_path)
    first = await data.store_image(b"a", kind="panel")
    second = await data.store_image(b"b", kind="character")
    await data.delete_image(first.id)
    # Simulate a crash: the journal holds the writes, the snapshot does not, and the last append is torn.
    backend = data.backend
    assert isinstance(backend, JsonBackend)
    assert backend.images._fd is not None
    os.write(backend.images._fd, b'{"op":"put","image":{"id":"tor')
    killed(data)
    reopened = await opened(tmp_path)
    assert [r.id for r in await reopened.backend.list_images()] == [second.id]
    snapshot = json.loads((tmp_path / "images" / "metadata.json").read_text())
    assert list(snapshot["images"]) == [second.id]
    assert (tmp_path / "images" / "metadata.journal.jsonl").read_bytes() == b""


async def test_recording_an_image_does_not_rewrite_the_index(tmp_path: Path) -> None:
    data = await opened(tmp_path)
    for _ in range(50):
        await data.reference_image("https://fal.media/x.png", kind="panel")
    snapshot = tmp_path / "images" / "metadata.json"
    before = snapshot.stat().st_mtime_ns, snapshot.read_bytes()
    await data.reference_image("https://fal.media/y.png", kind="panel")
    assert (snapshot.stat().st_mtime_ns, snapshot.read_bytes()) == before
    json.loads(snapshot.read_text())  # still valid JSON
    lines = (tmp_path / "images" / "metadata.journal.jsonl").read_bytes().splitlines()
    assert len(lines) == 51


async def test_an_image_record_cannot_point_outside_the_store(tmp_path: Path) -> None:
    data = await opened(tmp_path)
    image = await data.store_image(b"a", kind="panel")
    await data.backend.put_image(
        (await data.get_image(image.id)).model_copy(update={"local_path": "../../../etc/passwd"}), None
    )
    with pytest.raises(StorageError):
        await data.image_content(image.id)


async def test_the_index_snapshot_is_one_json_document_one_record_per_line(tmp_path: Path) -> None:
    data = DataManager(JsonBackend(tmp_path))
    await data.open()
    kept = [await data.store_image(b"\x89PNG\r\n\x1a\n" + bytes([n]) * 50, kind="panel") for n in range(3)]
    await data.close()
    snapshot = tmp_path / "images" / "metadata.json"
    lines = snapshot.read_bytes().splitlines()
    assert len(lines) == 2 + 3  # the head, a line per record, the tail: read back a line at a time
    document = json.loads(snapshot.read_bytes())  # and still one valid JSON document
    assert set(document["images"]) == {i.id for i in kept}
    assert "url" not in document["images"][kept[0].id]  # empty fields are not kept

    # an index written in one line (an older layout) opens too
    snapshot.write_text(json.dumps(document))
    data = DataManager(JsonBackend(tmp_path))
    await data.open()
    assert [await data.get_image(i.id) for i in kept] == kept
    assert (await data.stats())["image_storage"]["total_images"] == 3
    await data.close()


async def test_polling_a_job_reads_no_file_and_never_sees_an_old_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = DataManager(JsonBackend(tmp_path))
    await data.open()
    comic = await data.create_comic(Comic(title="t", topic="t"))
    job = await data.create_job(Job(comic_id=comic.id, topic="t"))
    await data.update_job(job.id, lambda j: j.model_copy(update={"progress": 40}))

    def no_disk(self: Path) -> bytes:
        raise AssertionError(f"read {self.name} from disk")

    with monkeypatch.context() as patched:
        patched.setattr(Path, "read_bytes", no_disk)
        for _ in range(3):
            polled = await data.get_job(job.id)
            assert (polled.progress, polled.version) == (40, 2)
        polled.data.usage = JobUsage(tokens=1)  # a caller changing its copy changes nothing stored
    assert (await data.get_job(job.id)).data.usage is None
    await data.delete_job(job.id)
    with pytest.raises(NotFound):
        await data.get_job(job.id)
    # a fresh backend (a restart) reads the file once, then serves it from memory too
    await data.close()
    data = DataManager(JsonBackend(tmp_path))
    await data.open()
    with pytest.raises(NotFound):
        await data.get_job(job.id)
    await data.close()
