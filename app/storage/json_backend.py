"""The JSON-files backend: data/jobs/{id}.json, data/comics/{id}.json, data/images/...

Blocking file work runs in threads. Each record write is compare-and-swap on its version under a
striped lock, so concurrent updates never lose one; stats come from counters kept as records change.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import threading
import uuid
from collections import OrderedDict
from datetime import datetime
from pathlib import Path
from typing import TypeVar
from collections.abc import Callable

from filelock import FileLock, Timeout
from pydantic import ValidationError

from app.errors import Conflict, NotFound, StorageError
from app.models.schemas import Comic, ImageRecord, Job, StorageStats, StoredAnswer, VersionedRecord
from app.storage.base import ImageContent
from app.storage.fsutil import TEMP_SUFFIX, atomic_write, describe, remove_stale_temp_files
from app.storage.image_index import ImageIndex
from utils import is_valid_id, utcnow

log = logging.getLogger(__name__)

R = TypeVar("R", bound=VersionedRecord)
T = TypeVar("T")

IMAGE_KIND_DIRS = {"panel": "panels", "character": "characters", "temp": "temp"}
IMAGE_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}
_LOCK_STRIPES = 64
JOB_CACHE_SIZE = 4096  # jobs held as their file's bytes: polling a job's status touches no disk


PROCESS_LOCK = ".process.lock"  # in DATA_DIR: held by the one process that uses it


class JsonBackend:
    name = "json"

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir).resolve()
        self.images_dir = self.root / "images"
        self._dirs = {"job": self.root / "jobs", "comic": self.root / "comics"}
        self._active_path = self.root / "state" / "active_jobs.json"
        self._answers_dir = self.root / "idempotency"  # {digest}.json: first answers to keyed POSTs
        self._claims: dict[str, StoredAnswer] = {}  # digest -> the pending claim of the request running for it
        self._claims_lock = asyncio.Lock()
        self._stripes = [threading.Lock() for _ in range(_LOCK_STRIPES)]
        self._meta_lock = threading.Lock()
        self._counts = {"job": 0, "comic": 0}
        self._json_bytes = 0
        self._active: set[str] = set()
        self._owner_of: dict[str, str | None] = {}  # comic id -> owner, learnt as comics are read and written
        # The bytes of recently read or written jobs. This process is the only writer of DATA_DIR (the
        # per-record locks already assume it), so a cached job is always the one on disk.
        self._job_bytes: OrderedDict[str, bytes] = OrderedDict()
        self._job_bytes_lock = threading.Lock()
        self.images = ImageIndex(self.images_dir)
        # One process a DATA_DIR: the caches and per-record locks above assume it.
        self._process_lock = FileLock(self.root / PROCESS_LOCK, timeout=0, thread_local=False, fallback_to_soft=False)

    # -- life cycle ---------------------------------------------------------------------------
    async def open(self) -> None:
        await asyncio.to_thread(self._check_root)
        await asyncio.to_thread(self._take_the_folder)
        try:
            await self._run(self._open_sync)
        except BaseException:
            self._process_lock.release(force=True)
            raise

    def _take_the_folder(self) -> None:
        """The exclusive lock on DATA_DIR, held until close (the OS drops it if the process dies): a second
        process on the same folder would lose updates, so it refuses to start and says why."""
        try:
            self._process_lock.acquire()
        except Timeout:
            raise StorageError(
                f"DATA_DIR {self.root} is in use by another process: JSON storage is for one process. Stop that "
                "process, give this one its own DATA_DIR, or run several on STORAGE_BACKEND=supabase"
            ) from None
        except OSError as exc:  # a filesystem without locks (some network mounts): run, but say so
            log.warning(
                "DATA_DIR %s cannot be locked (%s): make sure only one process uses it", self.root, describe(exc)
            )

    def _check_root(self) -> None:
        """DATA_DIR is a directory (made if missing) that takes a new file; otherwise one sentence that names
        the variable, for the operator starting the service (open runs only at start-up, never for a request)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / f".write-check.{uuid.uuid4().hex}{TEMP_SUFFIX}"
            os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            probe.unlink()
        except OSError as exc:
            if exc.errno in (errno.ENOTDIR, errno.EEXIST):
                why = "is not a directory"
            elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                why = f"cannot be written ({exc.strerror or 'permission denied'})"
            elif exc.errno == errno.ENOENT:
                why = "cannot be made (a directory above it cannot hold it)"
            else:
                why = f"cannot be used ({describe(exc)})"
            raise StorageError(
                f"DATA_DIR must be a directory this service can write to; {self.root} {why}; for example DATA_DIR=data"
            ) from None

    async def close(self) -> None:
        try:
            await self._run(self.images.close)
        finally:
            self._process_lock.release(force=True)

    def _open_sync(self) -> None:
        for directory in (
            *self._dirs.values(),
            self._active_path.parent,
            self._answers_dir,
            *(self.images_dir / d for d in IMAGE_KIND_DIRS.values()),
        ):
            directory.mkdir(parents=True, exist_ok=True)
            remove_stale_temp_files(directory)
        self.images_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_temp_files(self.images_dir)
        for kind, directory in self._dirs.items():
            with os.scandir(directory) as entries:
                for entry in entries:
                    if entry.name.endswith(".json") and not entry.name.startswith("."):
                        self._counts[kind] += 1
                        self._json_bytes += entry.stat().st_size
        if self._active_path.exists():
            self._active = set(json.loads(self._active_path.read_bytes()))
        self.images.open()

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        try:
            return await asyncio.to_thread(fn, *args)
        except (OSError, ValueError) as exc:
            if isinstance(exc, ValidationError):
                raise StorageError("a stored record no longer matches its schema") from exc
            what = describe(exc) if isinstance(exc, OSError) else f"storage failure ({exc.__class__.__name__})"
            log.error("json storage failure: %s", what)
            raise StorageError(what) from exc

    # -- generic records ----------------------------------------------------------------------
    def _path(self, kind: str, record_id: str) -> Path:
        if not is_valid_id(record_id):
            raise NotFound(f"{kind} '{record_id[:80]}' not found")
        return self._dirs[kind] / f"{record_id}.json"

    def _lock_for(self, record_id: str) -> threading.Lock:
        return self._stripes[hash(record_id) % _LOCK_STRIPES]

    def _remember_job(self, job_id: str, raw: bytes | None) -> None:
        with self._job_bytes_lock:
            if raw is None:
                self._job_bytes.pop(job_id, None)
                return
            self._job_bytes[job_id] = raw
            self._job_bytes.move_to_end(job_id)
            if len(self._job_bytes) > JOB_CACHE_SIZE:
                self._job_bytes.popitem(last=False)

    def _load(self, kind: str, record_id: str, model: type[R]) -> R:
        path = self._path(kind, record_id)
        # A job is read under its record lock, the one its writes hold, so the bytes remembered are never
        # older than a write that finished meanwhile.
        with self._lock_for(record_id) if kind == "job" else contextlib.nullcontext():
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                raise NotFound(f"{kind} '{record_id}' not found") from None
            if kind == "job":
                self._remember_job(record_id, raw)
        record = model.model_validate_json(raw)
        if kind == "comic":
            self._owner_of[record_id] = getattr(record, "owner_id", None)
        return record

    def _save(
        self, kind: str, record: R, expected_version: int | None, before_write: Callable[[], None] | None = None
    ) -> R:
        record_id: str = record.id
        path = self._path(kind, record_id)
        with self._lock_for(record_id):
            try:
                current = path.read_bytes()
            except FileNotFoundError:
                current = None
            if expected_version is None and current is not None:
                raise Conflict(f"{kind} '{record_id}' already exists")
            if expected_version is not None:
                if current is None:
                    raise NotFound(f"{kind} '{record_id}' not found")
                stored_version = json.loads(current).get("version", 0)
                if stored_version != expected_version:
                    raise Conflict(
                        f"{kind} '{record_id}' changed meanwhile (version {stored_version}, "
                        f"expected {expected_version})"
                    )
            stored = record.model_copy(update={"version": (expected_version or 0) + 1, "updated_at": utcnow()})
            body = stored.model_dump_json().encode()
            if before_write:
                before_write()
            atomic_write(path, body)
            if kind == "job":
                self._remember_job(record_id, body)
            if kind == "comic":
                self._owner_of[record_id] = getattr(stored, "owner_id", None)
            with self._meta_lock:
                self._json_bytes += len(body) - (len(current) if current is not None else 0)
                if current is None:
                    self._counts[kind] += 1
            return stored

    def _delete(self, kind: str, record_id: str) -> None:
        path = self._path(kind, record_id)
        with self._lock_for(record_id):
            try:
                size = path.stat().st_size
                path.unlink()
            except FileNotFoundError:
                raise NotFound(f"{kind} '{record_id}' not found") from None
            finally:
                if kind == "job":
                    self._remember_job(record_id, None)
            with self._meta_lock:
                self._json_bytes -= size
                self._counts[kind] -= 1

    def _page(self, kind: str, model: type[R], limit: int, offset: int, owner_id: str | None = None) -> list[R]:
        # Ids are UUIDv7, so name order is creation order: newest first without reading every file.
        names = sorted(
            (n[:-5] for n in os.listdir(self._dirs[kind]) if n.endswith(".json") and not n.startswith(".")),
            reverse=True,
        )
        if owner_id is None:
            names = names[offset : offset + limit]
        page: list[R] = []
        skipped = 0
        for record_id in names:
            if len(page) == limit:
                break
            if owner_id is not None and self._owner_of.get(record_id, owner_id) != owner_id:
                continue  # known to be someone else's: not read again
            try:
                record = self._load(kind, record_id, model)
            except NotFound:
                continue  # deleted while we listed
            if owner_id is not None:
                if getattr(record, "owner_id", None) != owner_id:
                    continue
                if skipped < offset:
                    skipped += 1
                    continue
            page.append(record)
        return page

    # -- jobs -----------------------------------------------------------------------------------
    def _set_active(self, job_id: str, active: bool) -> None:
        with self._meta_lock:
            if (job_id in self._active) == active:
                return
            updated = self._active | {job_id} if active else self._active - {job_id}
            atomic_write(self._active_path, json.dumps(sorted(updated)).encode())
            self._active = updated

    def _save_job(self, job: Job, expected_version: int | None) -> Job:
        # A job is listed as active before it can be running on disk, and unlisted only after it is
        # final on disk, so after a crash the list is a superset of the unfinished jobs.
        before = None if job.is_final else (lambda: self._set_active(job.id, True))
        stored = self._save("job", job, expected_version, before)
        if stored.is_final:
            self._unlist_quietly(job.id)
        return stored

    def _unlist_quietly(self, job_id: str) -> None:
        """The job is final on disk, so the write succeeded: a list that cannot shrink now (a full disk)
        is still a superset of the unfinished jobs, and is pruned at a later read."""
        try:
            self._set_active(job_id, False)
        except OSError as exc:
            log.warning("job %s: still listed as active (%s)", job_id, describe(exc))

    async def save_job(self, job: Job, *, expected_version: int | None) -> Job:
        return await self._run(self._save_job, job, expected_version)

    async def get_job(self, job_id: str) -> Job:
        raw = self._job_bytes.get(job_id)
        if raw is not None:  # no thread, no disk: a small parse on the loop
            return Job.model_validate_json(raw)
        return await self._run(self._load, "job", job_id, Job)

    async def list_jobs(self, *, limit: int, offset: int = 0) -> list[Job]:
        return await self._run(self._page, "job", Job, limit, offset)

    def _active_jobs(self) -> list[Job]:
        jobs = []
        for job_id in sorted(self._active):
            try:
                job = self._load("job", job_id, Job)
            except NotFound:
                self._unlist_quietly(job_id)
                continue
            if job.is_final:
                self._unlist_quietly(job_id)
            else:
                jobs.append(job)
        return jobs

    async def active_jobs(self) -> list[Job]:
        return await self._run(self._active_jobs)

    def _delete_job(self, job_id: str) -> None:
        self._delete("job", job_id)
        self._set_active(job_id, False)

    async def delete_job(self, job_id: str) -> None:
        await self._run(self._delete_job, job_id)

    # -- comics ---------------------------------------------------------------------------------
    async def save_comic(self, comic: Comic, *, expected_version: int | None) -> Comic:
        return await self._run(self._save, "comic", comic, expected_version)

    async def get_comic(self, comic_id: str) -> Comic:
        return await self._run(self._load, "comic", comic_id, Comic)

    async def list_comics(self, *, limit: int, offset: int = 0, owner_id: str | None = None) -> list[Comic]:
        return await self._run(self._page, "comic", Comic, limit, offset, owner_id)

    async def delete_comic(self, comic_id: str) -> None:
        await self._run(self._delete, "comic", comic_id)

    async def comic_exists(self, comic_id: str) -> bool:
        return is_valid_id(comic_id) and await self._run(self._path("comic", comic_id).exists)

    # -- images ---------------------------------------------------------------------------------
    def _put_image(self, record: ImageRecord, data: bytes | None) -> ImageRecord:
        if not is_valid_id(record.id):
            raise NotFound(f"image '{record.id[:80]}' not found")
        if data is not None:
            ext = IMAGE_EXTENSIONS.get(record.content_type)
            if ext is None:
                raise StorageError(f"unsupported image type {record.content_type}")
            relative = f"{IMAGE_KIND_DIRS[record.kind]}/{record.id}{ext}"
            atomic_write(self.images_dir / relative, data)
            record = record.model_copy(update={"local_path": relative, "size_bytes": len(data)})
        try:
            self.images.put(record.model_dump(mode="json"))
        except StorageError:
            if record.local_path:  # not acknowledged, so its file is nobody's: free the space it took
                (self.images_dir / record.local_path).unlink(missing_ok=True)
            raise
        return record

    async def put_image(self, record: ImageRecord, data: bytes | None) -> ImageRecord:
        return await self._run(self._put_image, record, data)

    def _get_image(self, image_id: str) -> ImageRecord:
        found = self.images.get(image_id) if is_valid_id(image_id) else None
        if found is None:
            raise NotFound(f"image '{image_id[:80]}' not found")
        return ImageRecord.model_validate(found)

    async def get_image(self, image_id: str) -> ImageRecord:
        return self._get_image(image_id)

    def _local_file(self, record: ImageRecord) -> Path | None:
        if not record.local_path:
            return None
        path = (self.images_dir / record.local_path).resolve()
        if not path.is_relative_to(self.images_dir):
            raise StorageError("image record points outside the image store")
        return path

    async def image_content(self, image_id: str) -> ImageContent:
        record = self._get_image(image_id)
        path = self._local_file(record)
        if path is None:
            return ImageContent(record=record, url=record.url)
        return ImageContent(record=record, path=path)

    async def read_image_bytes(self, image_id: str) -> bytes:
        path = self._local_file(self._get_image(image_id))
        if path is None:
            raise NotFound(f"image '{image_id}' has no local bytes")
        return await self._run(path.read_bytes)

    def _delete_image(self, image_id: str) -> None:
        record = self._get_image(image_id)
        self.images.delete(image_id)
        path = self._local_file(record)
        if path is not None:
            path.unlink(missing_ok=True)

    async def delete_image(self, image_id: str) -> None:
        await self._run(self._delete_image, image_id)

    def _list_images(self, created_before: datetime | None, comic_id: str | None) -> list[ImageRecord]:
        found = self.images.records() if comic_id is None else self.images.records_of_comic(comic_id)
        records = [ImageRecord.model_validate(r) for r in found]
        if created_before is not None:
            records = [r for r in records if r.created_at < created_before]
        return records

    async def list_images(
        self, *, created_before: datetime | None = None, comic_id: str | None = None
    ) -> list[ImageRecord]:
        # Parsing every record is O(images): keep it off the event loop. One comic's are looked up.
        return await self._run(self._list_images, created_before, comic_id)

    def _unreferenced_files(self) -> list[str]:
        found = []
        for sub in IMAGE_KIND_DIRS.values():
            for name in os.listdir(self.images_dir / sub):
                stem = name.rsplit(".", 1)[0]
                if not name.startswith(".") and stem not in self.images:
                    found.append(f"{sub}/{name}")
        return sorted(found)

    async def unreferenced_image_files(self) -> list[str]:
        return await self._run(self._unreferenced_files)

    def _delete_unreferenced(self, relative: str) -> int:
        sub, _, name = relative.partition("/")
        if sub not in IMAGE_KIND_DIRS.values() or "/" in name or name.startswith("."):
            raise NotFound(f"image file '{relative[:80]}' not found")
        path = self.images_dir / sub / name
        if name.rsplit(".", 1)[0] in self.images:
            raise Conflict(f"image file '{relative}' is referenced")
        size = path.stat().st_size
        path.unlink()
        return size

    async def delete_unreferenced_file(self, relative: str) -> int:
        return await self._run(self._delete_unreferenced, relative)

    # -- idempotency ----------------------------------------------------------------------------
    def _answer_path(self, key: str) -> Path:
        if not (len(key) == 64 and all(c in "0123456789abcdef" for c in key)):
            raise NotFound("idempotency key digest expected")
        return self._answers_dir / f"{key}.json"

    def _get_answer(self, key: str) -> StoredAnswer | None:
        try:
            return StoredAnswer.model_validate_json(self._answer_path(key).read_bytes())
        except FileNotFoundError:
            return None

    # Claims ('pending' rows) are held in memory: this process is the only one on DATA_DIR (the lock in
    # open), and a claim dies with the request, or the process, that holds it. Answers are files.
    async def get_answer(self, key: str) -> StoredAnswer | None:
        self._answer_path(key)
        return self._claims.get(key) or await self._run(self._get_answer, key)

    async def put_answer(self, answer: StoredAnswer) -> None:
        async with self._claims_lock:
            await self._put_row(answer)

    async def _put_row(self, row: StoredAnswer) -> None:
        if row.state == "pending":
            self._answer_path(row.key)
            self._claims[row.key] = row
            return
        await self._run(atomic_write, self._answer_path(row.key), row.model_dump_json().encode())
        self._claims.pop(row.key, None)

    async def claim_answer(self, claim: StoredAnswer) -> StoredAnswer | None:
        async with self._claims_lock:
            found = await self.get_answer(claim.key)
            if found is None:
                await self._put_row(claim)
            return found

    async def replace_answer(self, row: StoredAnswer, *, expected: StoredAnswer) -> bool:
        async with self._claims_lock:
            found = await self.get_answer(expected.key)
            if found is None or (found.state, found.claim) != (expected.state, expected.claim):
                return False
            await self._put_row(row)
            return True

    async def release_claim(self, claim: StoredAnswer) -> None:
        held = self._claims.get(claim.key)
        if held is not None and held.claim == claim.claim:
            del self._claims[claim.key]

    def _delete_answers(self, created_before: datetime, dry_run: bool) -> int:
        removed = 0
        for path in self._answers_dir.glob("*.json"):
            try:
                answer = StoredAnswer.model_validate_json(path.read_bytes())
            except FileNotFoundError:
                continue
            if answer.created_at < created_before:
                removed += 1
                if not dry_run:
                    path.unlink(missing_ok=True)
        return removed

    async def delete_answers(self, *, created_before: datetime, dry_run: bool = False) -> int:
        return await self._run(self._delete_answers, created_before, dry_run)

    # -- stats ----------------------------------------------------------------------------------
    async def stats(self) -> StorageStats:
        with self._meta_lock:
            return StorageStats(
                total_jobs=self._counts["job"],
                total_comics=self._counts["comic"],
                json_bytes=self._json_bytes,
                total_images=len(self.images),
                panel_image_bytes=self.images.bytes_of("panel"),
                image_bytes=self.images.bytes_of(),
            )
