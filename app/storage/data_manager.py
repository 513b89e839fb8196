"""DataManager: the one facade the services use for persistence, whatever the backend."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any, TypeVar
from collections.abc import Awaitable, Callable

from app.errors import Conflict, FableError, NotFound, StorageError
from app.models.schemas import CleanupReport, Comic, ImageKind, ImageRecord, Job, StoredAnswer, VersionedRecord
from app.storage import export
from app.storage.base import ImageContent, StorageBackend
from app.storage.pending import Kind, PendingWrites
from utils import utcnow
import contextlib

log = logging.getLogger(__name__)
R = TypeVar("R", bound=VersionedRecord)
Mutation = Callable[[R], "R | None"]

_MAX_ATTEMPTS = 100
ANSWER_TTL = timedelta(hours=24)  # how long a keyed POST's first answer is replayed
# A keyed request's claim is refreshed every CLAIM_REFRESH while it runs; one not refreshed for
# CLAIM_STALE_AFTER belongs to a holder that died (three missed refreshes), and is taken over. Instances
# compare claimed_at with their own clocks, so they must agree to within a few seconds (NTP does).
CLAIM_REFRESH = timedelta(seconds=10)
CLAIM_STALE_AFTER = timedelta(seconds=30)
CLAIM_POLL_FIRST, CLAIM_POLL_MAX = 0.05, 1.0  # seconds between looks while another request holds the key
_MB = 1024 * 1024
RENDER_DIED = {
    "status": "failed",
    "retryable": True,
    "error": "the render stopped before it finished (the service restarted or storage failed); render it again",
}


class DataManager:
    def __init__(self, backend: StorageBackend) -> None:
        self.backend = backend
        self.on_comic_saved: list[Callable[[Comic], None]] = []  # told of every comic written, after the write
        self.on_comic_deleted: list[Callable[[str], None]] = []  # told of every comic deleted, after the delete
        self.pending = PendingWrites(self._land)  # writes refused for now, laid over reads until they land
        # Whether a render of (comic id, panel id) is alive in this process; the pipeline sets it. A panel
        # `rendering` without one (its render died: a write storage refused, a restart) reads as failed.
        self.render_is_live: Callable[[str, str], bool] = lambda comic_id, panel_id: False
        self.renders_elsewhere_for: timedelta | None = None  # set when renders run in other processes too
        self._image_writes: dict[str, set[asyncio.Future[ImageRecord]]] = {}  # comic id -> its writes under way
        self._deleting: set[str] = set()
        self.clock: Callable[[], datetime] = utcnow  # idempotency claims and answers age by it (tests set it)
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # between looks at a claimed key

    def _saved(self, comic: Comic) -> Comic:
        for listener in self.on_comic_saved:
            listener(comic)
        return comic

    async def open(self) -> None:
        await self.backend.open()

    async def close(self) -> None:
        await self.pending.stop()
        await self.backend.close()

    async def _update(
        self, kind: Kind, record_id: str, load: Callable[[str], Any], save: Callable[..., Any], mutate: Mutation[R]
    ) -> R:
        """Read, apply `mutate` to a copy, write if the version is unchanged; retry on a race.

        `mutate` returns the new record, or None for "nothing to change"; it may raise to refuse. It sees
        the record with its held changes (see update_eventually), and a write carries them along.
        """
        for _ in range(_MAX_ATTEMPTS):
            stored: R = await load(record_id)
            current, held = self.pending.overlay(kind, record_id, stored)
            updated = mutate(current.model_copy(deep=True))
            if updated is None:
                return current
            if held and updated == stored:  # the held changes were already on disk: nothing to write
                self.pending.settle(kind, record_id, held)
                return stored
            try:
                saved = await save(updated, expected_version=stored.version)
            except Conflict:
                await asyncio.sleep(0)
                continue
            self.pending.settle(kind, record_id, held)
            return saved
        raise Conflict("the record is changing too often to update; try again")

    async def update_eventually(self, kind: Kind, record_id: str, mutate: Mutation[R]) -> bool:
        """Write `mutate` now (True), or when storage refuses it (a full disk), hold it: every read shows it
        at once, and it is retried in the background until it is written (False). For the changes that end
        work (a job's failure, a story's end), which must not wait for a restart."""
        update = self.update_job if kind == "job" else self.update_comic
        try:
            await update(record_id, mutate)  # type: ignore[arg-type]
            return True
        except StorageError as exc:
            log.error(
                "%s %s: change not written (%s); held and retried in the background", kind, record_id, exc.message
            )
            self.pending.hold(kind, record_id, mutate)
            return False

    async def _land(self, kind: Kind, record_id: str) -> None:
        """Write a record's held changes (the retry of update_eventually)."""
        await (self.update_job if kind == "job" else self.update_comic)(record_id, lambda record: record)

    def _shown(self, kind: Kind, record: R) -> R:
        return self.pending.overlay(kind, record.id, record)[0]

    # -- jobs -----------------------------------------------------------------------------------
    async def create_job(self, job: Job) -> Job:
        return await self.backend.save_job(job, expected_version=None)

    async def get_job(self, job_id: str) -> Job:
        return self._shown("job", await self.backend.get_job(job_id))

    async def update_job(self, job_id: str, mutate: Mutation[Job]) -> Job:
        return await self._update("job", job_id, self.backend.get_job, self.backend.save_job, mutate)

    async def list_jobs(self, *, limit: int = 50, offset: int = 0) -> list[Job]:
        return [self._shown("job", job) for job in await self.backend.list_jobs(limit=limit, offset=offset)]

    async def delete_job(self, job_id: str) -> None:
        await self.backend.delete_job(job_id)

    async def active_jobs(self) -> list[Job]:
        """Unfinished jobs; one whose end is held (not yet written) is already finished."""
        shown = (self._shown("job", job) for job in await self.backend.active_jobs())
        return [job for job in shown if not job.is_final]

    # -- comics ---------------------------------------------------------------------------------
    async def create_comic(self, comic: Comic) -> Comic:
        return self._saved(await self.backend.save_comic(comic, expected_version=None))

    async def get_comic(self, comic_id: str) -> Comic:
        return self._shown("comic", await self._load_comic(comic_id))

    async def _load_comic(self, comic_id: str) -> Comic:
        return self._settle_renders(await self.backend.get_comic(comic_id))

    def _settle_renders(self, comic: Comic) -> Comic:
        """Panels left `rendering` by a render that is gone are failed and retryable (written at the next save).

        With a job queue, renders also run in other processes (workers, other API instances), which this one
        cannot see: there a `rendering` panel is taken for live until its comic has been quiet for
        `renders_elsewhere_for` (longer than any render takes), and only then read as failed."""
        if self.renders_elsewhere_for is not None and utcnow() - comic.updated_at < self.renders_elsewhere_for:
            return comic
        dead = {
            p.panel_id
            for p in comic.panels
            if p.status == "rendering" and not self.render_is_live(comic.id, p.panel_id)
        }
        if not dead:
            return comic
        panels = [p.model_copy(update=RENDER_DIED) if p.panel_id in dead else p for p in comic.panels]
        return comic.model_copy(update={"panels": panels})

    async def update_comic(self, comic_id: str, mutate: Mutation[Comic]) -> Comic:
        async def save(comic: Comic, *, expected_version: int | None) -> Comic:
            return self._saved(await self.backend.save_comic(comic, expected_version=expected_version))

        return await self._update("comic", comic_id, self._load_comic, save, mutate)

    async def list_comics(self, *, limit: int = 50, offset: int = 0, owner_id: str | None = None) -> list[Comic]:
        """Newest first; only `owner_id`'s comics when it is given."""
        comics = await self.backend.list_comics(limit=limit, offset=offset, owner_id=owner_id)
        return [self._shown("comic", self._settle_renders(comic)) for comic in comics]

    async def delete_comic(self, comic_id: str) -> None:
        """The comic, its jobs and its images go together. Image writes for the comic in flight finish
        first and new ones are refused meanwhile; after it, the comic's absence refuses them (store_image)."""
        self._deleting.add(comic_id)
        try:
            if writes := self._image_writes.get(comic_id):
                await asyncio.wait(set(writes))
            comic = await self.backend.get_comic(comic_id)
            for image in await self.backend.list_images(comic_id=comic.id):
                await self.backend.delete_image(image.id)
            for job_id in comic.job_ids:
                with contextlib.suppress(NotFound):
                    await self.backend.delete_job(job_id)
            await self.backend.delete_comic(comic.id)
        finally:
            self._deleting.discard(comic_id)
        for listener in self.on_comic_deleted:
            listener(comic_id)

    async def comic_exists(self, comic_id: str) -> bool:
        return await self.backend.comic_exists(comic_id)

    # -- export ---------------------------------------------------------------------------------
    async def export_comic_data(self, comic_id: str) -> dict[str, Any]:
        """One comic, its jobs and its images, as the export bundle (see app/storage/export.py)."""
        comic = await self.backend.get_comic(comic_id)
        jobs = []
        for job_id in comic.job_ids:
            try:
                jobs.append(await self.backend.get_job(job_id))
            except NotFound:
                continue
        images = await self.backend.list_images(comic_id=comic.id)
        return export.bundle([comic], jobs, images)

    async def export_all_data(self, *, page: int = 500) -> dict[str, Any]:
        """Every comic, job and image, as one export bundle."""
        comics = await self._all(self.backend.list_comics, page)
        jobs = await self._all(self.backend.list_jobs, page)
        return export.bundle(comics, jobs, await self.backend.list_images())

    @staticmethod
    async def _all(list_page: Callable[..., Any], page: int) -> list[Any]:
        found: list[Any] = []
        while True:
            batch = await list_page(limit=page, offset=len(found))
            found.extend(batch)
            if len(batch) < page:
                return found

    # -- images ---------------------------------------------------------------------------------
    async def store_image(self, data: bytes, *, kind: ImageKind, **fields: Any) -> ImageRecord:
        """Keep an image; one that names a comic is refused (NotFound) unless the comic is there."""
        return await self._put_image(ImageRecord(kind=kind, **fields), data)

    async def reference_image(self, url: str, *, kind: ImageKind, **fields: Any) -> ImageRecord:
        return await self._put_image(ImageRecord(kind=kind, url=url, **fields), None)

    async def _put_image(self, record: ImageRecord, data: bytes | None) -> ImageRecord:
        """Record an image whose comic exists and is not being deleted: delete_comic waits for every write
        under way, so no image is recorded for a comic that is gone (one process serves the storage).

        The write is its own task, known until it ends: a cancelled caller does not stop a backend's write
        (the JSON backend's thread carries on), so the delete must wait for the write, not for the caller."""
        comic_id = record.comic_id
        if comic_id is None:
            return await self.backend.put_image(record, data)
        if comic_id in self._deleting:
            raise NotFound(f"comic '{comic_id}' not found (it is being deleted)")
        write = asyncio.ensure_future(self._put_if_comic_exists(record, data))
        self._image_writes.setdefault(comic_id, set()).add(write)
        write.add_done_callback(lambda done: self._image_written(comic_id, done))
        return await asyncio.shield(write)

    async def _put_if_comic_exists(self, record: ImageRecord, data: bytes | None) -> ImageRecord:
        if not await self.backend.comic_exists(record.comic_id or ""):
            raise NotFound(f"comic '{record.comic_id}' not found")
        return await self.backend.put_image(record, data)

    def _image_written(self, comic_id: str, write: asyncio.Future[ImageRecord]) -> None:
        writes = self._image_writes.get(comic_id, set())
        writes.discard(write)
        if not writes:
            self._image_writes.pop(comic_id, None)
        if not write.cancelled():
            write.exception()  # read here: a cancelled caller never reads it ("exception was never retrieved")

    async def get_image(self, image_id: str) -> ImageRecord:
        return await self.backend.get_image(image_id)

    async def image_content(self, image_id: str) -> ImageContent:
        return await self.backend.image_content(image_id)

    async def read_image_bytes(self, image_id: str) -> bytes:
        return await self.backend.read_image_bytes(image_id)

    async def delete_image(self, image_id: str) -> None:
        await self.backend.delete_image(image_id)

    # -- idempotency ----------------------------------------------------------------------------
    async def get_answer(self, key: str) -> StoredAnswer | None:
        """The stored first answer for this key, unless it is older than ANSWER_TTL (a claim is no answer)."""
        answer = await self.backend.get_answer(key)
        if answer is None or answer.state != "done" or answer.created_at < self.clock() - ANSWER_TTL:
            return None
        return answer

    async def put_answer(self, answer: StoredAnswer) -> None:
        await self.backend.put_answer(answer)

    async def claim_answer(self, key: str, *, owner_id: str | None, fingerprint: str) -> StoredAnswer:
        """Hold the key, or get its answer: this request's claim (state 'pending') when it is to run, else
        the stored answer to replay (whose fingerprint the caller compares with the request's).

        The claim is an insert that only one of any number of racing requests, on any instance, wins.
        While another request holds a live claim, wait (polling storage with backoff) for its answer, or
        for it to let go (an error answer keeps nothing) and claim again. A claim its holder has not
        refreshed for CLAIM_STALE_AFTER (the holder died) is taken over, as is an answer past ANSWER_TTL;
        a take-over is compare-and-swap, so of several takers one wins and the others wait for it."""
        token = uuid.uuid4().hex

        def mine() -> StoredAnswer:
            now = self.clock()
            return StoredAnswer(
                key=key,
                owner_id=owner_id,
                fingerprint=fingerprint,
                status_code=0,
                body="",
                state="pending",
                claim=token,
                claimed_at=now,
                created_at=now,
            )

        claim = mine()
        found = await self.backend.claim_answer(claim)
        delay = CLAIM_POLL_FIRST
        while found is not None:
            now = self.clock()
            if found.state == "done" and found.created_at >= now - ANSWER_TTL:
                return found
            if found.state == "done" or (found.claimed_at or found.created_at) < now - CLAIM_STALE_AFTER:
                claim = mine()
                if await self.backend.replace_answer(claim, expected=found):
                    if found.state == "pending":
                        log.warning("idempotency: took over a claim its holder stopped refreshing (it died)")
                    return claim
            else:
                await self.sleep(delay)
                delay = min(delay * 2, CLAIM_POLL_MAX)
            found = await self.backend.get_answer(key)
            if found is None:  # released: the request before us kept no answer
                claim = mine()
                found = await self.backend.claim_answer(claim)
        return claim

    async def refresh_claim(self, claim: StoredAnswer) -> bool:
        """Say the claim's holder is alive (a new claimed_at); False when the claim is no longer its own."""
        return await self.backend.replace_answer(claim.model_copy(update={"claimed_at": self.clock()}), expected=claim)

    async def keep_claim(self, claim: StoredAnswer) -> None:
        """Refresh the claim every CLAIM_REFRESH while the request runs (a task the caller cancels)."""
        while True:
            await asyncio.sleep(CLAIM_REFRESH.total_seconds())
            try:
                if not await self.refresh_claim(claim):
                    log.warning("idempotency: a claim was taken over while its request still ran")
                    return
            except FableError as exc:
                log.warning("idempotency: could not refresh a claim: %s", exc.message)

    async def store_answer(self, claim: StoredAnswer, *, status_code: int, headers: dict[str, str], body: str) -> bool:
        """The claim becomes the key's answer (replayed for ANSWER_TTL); False when the claim was lost."""
        answer = claim.model_copy(
            update={
                "state": "done",
                "status_code": status_code,
                "headers": headers,
                "body": body,
                "created_at": self.clock(),
            }
        )
        return await self.backend.replace_answer(answer, expected=claim)

    async def release_claim(self, claim: StoredAnswer) -> None:
        """Let go of the key without an answer: the next request with it runs."""
        await self.backend.release_claim(claim)

    # -- maintenance ----------------------------------------------------------------------------
    async def stats(self) -> dict[str, Any]:
        s = await self.backend.stats()
        return {
            "json_storage": {
                "total_jobs": s.total_jobs,
                "total_comics": s.total_comics,
                "total_size_mb": round(s.json_bytes / _MB, 3),
            },
            "image_storage": {
                "total_images": s.total_images,
                "panels_size_mb": round(s.panel_image_bytes / _MB, 3),
                "total_size_mb": round(s.image_bytes / _MB, 3),
            },
            "total_storage_mb": round((s.json_bytes + s.image_bytes) / _MB, 3),
        }

    async def cleanup(self, *, older_than: timedelta, dry_run: bool) -> CleanupReport:
        """Temp images older than the cut-off, images whose comic is gone, files no record names."""
        cutoff = utcnow() - older_than
        report = CleanupReport(dry_run=dry_run)
        comic_exists: dict[str, bool] = {}
        doomed: list[ImageRecord] = []
        for image in await self.backend.list_images():
            if image.kind == "temp" and image.created_at < cutoff:
                report.temp_images.append(image.id)
                doomed.append(image)
            elif image.comic_id is not None:
                if image.comic_id not in comic_exists:
                    comic_exists[image.comic_id] = await self._comic_exists(image.comic_id)
                if not comic_exists[image.comic_id]:
                    report.orphan_images.append(image.id)
                    doomed.append(image)
        report.bytes_freed = sum(image.size_bytes for image in doomed)
        report.expired_idempotency_keys = await self.backend.delete_answers(
            created_before=utcnow() - ANSWER_TTL, dry_run=dry_run
        )
        unreferenced = await self.backend.unreferenced_image_files()
        report.orphan_images.extend(unreferenced)
        if not dry_run:
            for image in doomed:
                await self.backend.delete_image(image.id)
            for relative in unreferenced:
                report.bytes_freed += await self.backend.delete_unreferenced_file(relative)
        return report

    async def _comic_exists(self, comic_id: str) -> bool:
        try:
            await self.backend.get_comic(comic_id)
        except NotFound:
            return False
        return True
