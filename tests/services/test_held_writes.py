"""A job's end that storage refuses for now is held: reads and the quota see it at once, and it is written in
the background once storage takes writes again, without a restart. Storage here fails on demand; the same
on a really full disk is in tests/test_full_disk_service.py."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from app.errors import StorageError, UpstreamError
from app.models.schemas import Comic, Job
from app.services.jobs.runner import JobQuota, JobRunner
from app.storage.data_manager import DataManager
from app.storage.json_backend import JsonBackend


class BrokenWrites(JsonBackend):
    """The JSON backend with its record writes refused while `broken` (reads still work)."""

    broken = False

    async def save_job(self, job: Job, *, expected_version: int | None) -> Job:
        if self.broken:
            raise StorageError("storage is full (no space left on the device)")
        return await super().save_job(job, expected_version=expected_version)

    async def save_comic(self, comic: Comic, *, expected_version: int | None) -> Comic:
        if self.broken:
            raise StorageError("storage is full (no space left on the device)")
        return await super().save_comic(comic, expected_version=expected_version)


def on_disk(root: Path, job_id: str) -> dict:
    return json.loads((root / "jobs" / f"{job_id}.json").read_bytes())


async def test_a_failure_storage_refuses_frees_the_slot_and_is_written_once_storage_is_back(tmp_path: Path) -> None:
    backend = BrokenWrites(tmp_path)
    data = DataManager(backend)
    await data.open()
    runner, quota = JobRunner(data), JobQuota(data, limit=1)
    job = await data.create_job(Job(comic_id="c", topic="road safety", status="running", owner_id="ann"))
    watched = runner.change_signal(job.id)

    async def work() -> None:
        backend.broken = True  # the disk fills while the job runs: its failure cannot be written
        raise UpstreamError("the artist is unavailable", provider="fal", retryable=True)

    runner.start(job.id, work())
    await runner.wait_idle()
    assert on_disk(tmp_path, job.id)["status"] == "running"  # the write really was refused
    shown = await data.get_job(job.id)
    assert (shown.status, shown.error and shown.error.code) == ("failed", "upstream_error")
    assert watched.is_set(), "watchers (SSE, WebSocket) were not told the job ended"
    assert await quota.busy("ann") == 0
    async with quota.admit("ann"):  # the owner's only slot is free again
        pass
    assert [j.id for j in await data.list_jobs()] == [job.id] and (await data.list_jobs())[0].status == "failed"

    data.pending.first_delay = data.pending.max_delay = 0.01  # retry quickly from here on
    backend.broken = False
    await asyncio.wait_for(data.pending.wait_settled(), timeout=30)  # a guard against hanging, not a wait
    stored = on_disk(tmp_path, job.id)
    assert (stored["status"], stored["error"]["code"]) == ("failed", "upstream_error")
    assert await data.active_jobs() == []
    await data.close()


async def test_a_later_write_of_the_record_carries_its_held_change(tmp_path: Path) -> None:
    backend = BrokenWrites(tmp_path)
    data = DataManager(backend)
    await data.open()
    runner = JobRunner(data)
    job = await data.create_job(Job(comic_id="c", topic="road safety", status="running"))
    backend.broken = True
    await runner.fail(job.id, code="storage_error", message="storage is full")
    backend.broken = False
    # Some other write of the job (its usage, say) lands first: the failure goes with it, once.
    await data.update_job(job.id, lambda j: j.model_copy(update={"data": {"usage": {"text_calls": 1}}}))
    stored = on_disk(tmp_path, job.id)
    assert (stored["status"], stored["data"]) == ("failed", {"usage": {"text_calls": 1}})
    assert len(data.pending) == 0
    await data.close()


async def test_held_changes_stop_being_retried_at_shutdown(tmp_path: Path) -> None:
    backend = BrokenWrites(tmp_path)
    data = DataManager(backend)
    await data.open()
    job = await data.create_job(Job(comic_id="c", topic="road safety", status="running"))
    backend.broken = True
    await JobRunner(data).fail(job.id, code="storage_error", message="storage is full")
    assert len(data.pending) == 1
    await data.close()  # does not hang on a write that cannot land; resume ends the job at the next start
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("pending-")]
    assert on_disk(tmp_path, job.id)["status"] == "running"
