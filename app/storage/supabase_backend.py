"""The Supabase backend: records in the six tables through PostgREST, image bytes in a Storage bucket.

It talks through the official supabase-py async client with the service-role key (which bypasses row
level security; the API does its own owner checks). A comic and its scenes, characters and panels are
written by one Postgres function (`fable_save_comic`, in the migration) in one transaction, compare-and-
swap on the comic's version, and read back in one snapshot (`fable_get_comics`). Jobs and images are
plain rows; a job update is a PATCH filtered on its stored version, so it is compare-and-swap too.

PostgREST and Storage errors become NotFound / Conflict / StorageError. Reads retry on any transport
failure; writes retry only when the request cannot have reached the server (connect errors), so a
retried write never applies twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import httpx
from postgrest import ReturnMethod
from postgrest.exceptions import APIError
from storage3.utils import StorageException
from supabase import AsyncClient, AsyncClientOptions, acreate_client

from app.errors import Conflict, NotFound, StorageError, UpstreamError
from app.models.schemas import Comic, ImageRecord, Job, StorageStats, StoredAnswer
from app.storage.base import ImageContent
from app.storage.json_backend import IMAGE_EXTENSIONS, IMAGE_KIND_DIRS
from app.storage.rows import child_id, comic_from_rows, comic_rows, image_from_row, image_row, job_from_row, job_row
from app.infra.retry import Failure, RetryPolicy, with_retries
from utils import is_valid_id, utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")

ACTIVE_STATUSES = ("queued", "running", "awaiting_input")
CLAIM_ATTEMPTS = 5  # a key claimed, released and claimed again between our insert and our read, this often
PAGE = 1000  # PostgREST's usual max-rows; lists are read in pages of this size
# PostgREST's "no such function / table" (from its schema cache, or from PostgreSQL itself)
SCHEMA_MISSING = ("PGRST202", "PGRST205", "42P01", "42883")
NO_SCHEMA = (
    "the Supabase project has no Fable schema yet: apply supabase/migrations/*.sql "
    "(or the output of `python -m app.cli schema`) first"
)
CONFLICTS = {"23505": "it already exists", "23503": "a row it points at is not there"}
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def rows_of(data: Any) -> list[dict[str, Any]]:
    """PostgREST's answer as the rows it is: the client types it as any JSON."""
    return cast(list[dict[str, Any]], data or [])


class Refused(StorageError):
    """The server refused the request (4xx). `detail` is its own words, for the operator, not for API clients."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


def is_uuid(value: str | None) -> bool:
    if not value or not is_valid_id(value):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _known(kind: str, record_id: str) -> None:
    """Ids here are uuids; anything else cannot name a row (and must not reach a query)."""
    if not is_uuid(record_id):
        raise NotFound(f"{kind} '{record_id[:80]}' not found")


def object_path(record: ImageRecord) -> str:
    ext = IMAGE_EXTENSIONS.get(record.content_type)
    if ext is None:
        raise StorageError(f"unsupported image type {record.content_type}")
    return f"{IMAGE_KIND_DIRS[record.kind]}/{record.id}{ext}"


def _status(exc: Exception) -> int | None:
    if isinstance(exc, APIError):
        code = str(exc.code or "")
        if code.startswith("PGRST30") or (not code and "api key" in str(exc.message or "").lower()):
            return 401  # PostgREST's JWT errors; the gateway's "Invalid API key" carries no code
        if code.startswith("PT") and code[2:].isdigit():
            return int(code[2:])
        return int(code) if len(code) == 3 and code.isdigit() else None  # a bare HTTP status, no PostgREST body
    if isinstance(exc, StorageException):
        try:
            return int(getattr(exc, "status", None) or 0) or None
        except (TypeError, ValueError):
            return None
    return None


def classify_supabase(*, write: bool) -> Callable[[Exception], Failure | None]:
    def classify(exc: Exception) -> Failure | None:
        if isinstance(exc, _NOT_SENT):
            return Failure("is unreachable (connection failed): check SUPABASE_URL", True, "storage_unreachable")
        if isinstance(exc, httpx.TransportError):
            return Failure(f"did not answer ({exc.__class__.__name__})", not write, "storage_unreachable")
        status = _status(exc)
        if status in (401, 403):
            return Failure(
                f"rejected the key ({status}): check SUPABASE_KEY (the service-role key)", False, "storage_auth_failed"
            )
        if status is not None and (status >= 500 or status == 429):
            return Failure(f"is failing ({status})", not write or status == 503, "storage_unavailable")
        return None

    return classify


class SupabaseBackend:
    name = "supabase"

    def __init__(
        self,
        url: str,
        key: str,
        bucket: str,
        *,
        http_client: httpx.AsyncClient | None = None,
        policy: RetryPolicy | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.url, self._key, self.bucket = url.rstrip("/"), key, bucket
        self._http = http_client
        self._own_http = http_client is None
        self._policy = policy or RetryPolicy(attempts=4, base_delay=0.25, max_delay=4.0, deadline=20.0)
        self._timeout = timeout
        self._client: AsyncClient | None = None

    # -- life cycle ---------------------------------------------------------------------------
    async def open(self) -> None:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False)
        options = AsyncClientOptions(
            httpx_client=self._http, postgrest_client_retry=False, auto_refresh_token=False, persist_session=False
        )
        self._client = await acreate_client(self.url, self._key, options)
        # only at start-up: the caller says why it stops, once, so the failure is not logged here too
        await self.call(
            lambda: self.db.rpc("fable_stats", {}, get=True).execute(),
            what=f"connect to {self.origin} (SUPABASE_URL)",
            logged=False,
        )

    @property
    def origin(self) -> str:
        """SUPABASE_URL as it may be shown: scheme, host and port, nothing that could carry a secret."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"

    async def close(self) -> None:
        if self._own_http and self._http is not None:
            await self._http.aclose()
            self._http = None

    @property
    def db(self) -> AsyncClient:
        if self._client is None:
            raise StorageError("the Supabase backend is not open")
        return self._client

    async def call(self, call: Callable[[], Awaitable[T]], *, what: str, write: bool = False, logged: bool = True) -> T:
        """One PostgREST/Storage call with the retry policy; errors in the project's own terms (and logged,
        unless the caller reports them itself)."""
        error = log.error if logged else log.debug
        try:
            return await with_retries(
                call, provider="Supabase", classify=classify_supabase(write=write), policy=self._policy
            )
        except (APIError, StorageException) as exc:
            status = _status(exc)
            message = getattr(exc, "message", None) or "refused"
            if isinstance(exc, APIError) and exc.code in SCHEMA_MISSING:
                error("supabase %s: the schema is missing (%s)", what, exc.code)
                raise StorageError(NO_SCHEMA) from None
            if status == 404 or (isinstance(exc, APIError) and exc.code == "PGRST116"):
                raise NotFound(f"{what}: not found") from None
            if isinstance(exc, APIError) and exc.code in CONFLICTS:
                raise Conflict(f"{what}: {CONFLICTS[exc.code]}") from None
            if status == 409:  # our functions' PT409: their message is written for people
                raise Conflict(f"{what}: {message}") from None
            code = getattr(exc, "code", None) or status
            error("supabase %s refused (%s)", what, code)
            raise Refused(f"Supabase refused to {what} ({code})", f"{message} ({code})") from None
        except UpstreamError as exc:
            error("supabase %s failed: %s", what, exc.message)
            raise StorageError(f"could not {what}: {exc.message}") from None

    # -- jobs -----------------------------------------------------------------------------------
    async def save_job(self, job: Job, *, expected_version: int | None) -> Job:
        _known("job", job.id)
        _known("comic", job.comic_id)
        stored = job.model_copy(update={"version": (expected_version or 0) + 1, "updated_at": utcnow()})
        row = job_row(stored)
        if expected_version is None:
            try:
                await self.call(
                    lambda: self.db.table("jobs").insert(row, returning=ReturnMethod.minimal).execute(),
                    what=f"create job {job.id}",
                    write=True,
                )
            except Conflict:
                if await self._exists("jobs", job.id):
                    raise Conflict(f"job '{job.id}' already exists") from None
                raise NotFound(f"comic '{job.comic_id}' not found") from None
            return stored
        updated = await self.call(
            lambda: (
                self.db.table("jobs")
                .update(row)
                .eq("id", job.id)
                .eq("data->>_version", str(expected_version))
                .execute()
            ),
            what=f"save job {job.id}",
            write=True,
        )
        if not updated.data:
            current = await self.get_job(job.id)  # NotFound when it is gone
            raise Conflict(f"job '{job.id}' changed meanwhile (version {current.version}, expected {expected_version})")
        return stored

    async def _exists(self, table: str, record_id: str) -> bool:
        found = await self.call(
            lambda: self.db.table(table).select("id").eq("id", record_id).execute(), what=f"read {table}"
        )
        return bool(found.data)

    async def _row(self, table: str, kind: str, record_id: str) -> dict[str, Any]:
        _known(kind, record_id)
        found = await self.call(
            lambda: self.db.table(table).select("*").eq("id", record_id).execute(), what=f"read {kind} {record_id}"
        )
        if not found.data:
            raise NotFound(f"{kind} '{record_id}' not found")
        return rows_of(found.data)[0]

    async def _delete_row(self, table: str, kind: str, record_id: str) -> None:
        _known(kind, record_id)
        gone = await self.call(
            lambda: self.db.table(table).delete().eq("id", record_id).execute(),
            what=f"delete {kind} {record_id}",
            write=True,
        )
        if not gone.data:
            raise NotFound(f"{kind} '{record_id}' not found")

    async def get_job(self, job_id: str) -> Job:
        return self._parse(job_from_row, await self._row("jobs", "job", job_id))

    async def list_jobs(self, *, limit: int, offset: int = 0) -> list[Job]:
        found = await self.call(
            lambda: (
                self.db.table("jobs").select("*").order("id", desc=True).range(offset, offset + limit - 1).execute()
            ),
            what="list jobs",
        )
        return [self._parse(job_from_row, row) for row in found.data]

    async def active_jobs(self) -> list[Job]:
        found = await self.call(
            lambda: self.db.table("jobs").select("*").in_("status", ACTIVE_STATUSES).order("id").execute(),
            what="list active jobs",
        )
        return [self._parse(job_from_row, row) for row in found.data]

    async def delete_job(self, job_id: str) -> None:
        await self._delete_row("jobs", "job", job_id)

    # -- comics ---------------------------------------------------------------------------------
    async def save_comic(self, comic: Comic, *, expected_version: int | None) -> Comic:
        _known("comic", comic.id)
        stored = comic.model_copy(update={"version": (expected_version or 0) + 1, "updated_at": utcnow()})
        rows = comic_rows(stored)
        await self.call(
            lambda: self.db.rpc("fable_save_comic", {"p_rows": rows, "p_expected_version": expected_version}).execute(),
            what=f"save comic {comic.id}",
            write=True,
        )
        return stored

    async def _comics(self, **params: Any) -> list[Comic]:
        found = await self.call(lambda: self.db.rpc("fable_get_comics", params).execute(), what="read comics")
        return [
            self._parse(lambda b: comic_from_rows(b["comics"][0], b["scenes"], b["characters"], b["panels"]), body)
            for body in rows_of(found.data)
        ]

    async def get_comic(self, comic_id: str) -> Comic:
        _known("comic", comic_id)
        found = await self._comics(p_ids=[comic_id], p_limit=1, p_offset=0, p_owner=None)
        if not found:
            raise NotFound(f"comic '{comic_id}' not found")
        return found[0]

    async def list_comics(self, *, limit: int, offset: int = 0, owner_id: str | None = None) -> list[Comic]:
        return await self._comics(p_ids=None, p_limit=limit, p_offset=offset, p_owner=owner_id)

    async def delete_comic(self, comic_id: str) -> None:
        await self._delete_row("comics", "comic", comic_id)

    async def comic_exists(self, comic_id: str) -> bool:
        return is_uuid(comic_id) and await self._exists("comics", comic_id)

    # -- images ---------------------------------------------------------------------------------
    def public_url(self, path: str) -> str:
        return f"{self.url}/storage/v1/object/public/{self.bucket}/{path}"

    async def put_image(self, record: ImageRecord, data: bytes | None) -> ImageRecord:
        _known("image", record.id)
        if data is not None:
            path = object_path(record)
            bucket = self.db.storage.from_(self.bucket)
            await self.call(
                lambda: bucket.upload(path, data, {"content-type": record.content_type, "upsert": "true"}),
                what=f"upload image {record.id}",
                write=True,
            )
            record = record.model_copy(
                update={"local_path": path, "url": self.public_url(path), "size_bytes": len(data)}
            )
        comic_link = record.comic_id if is_uuid(record.comic_id) else None
        panel_link = child_id(comic_link, "panel", record.panel_id) if comic_link and record.panel_id else None
        row = image_row(record, comic_link=comic_link, panel_link=panel_link)
        await self.call(
            lambda: self.db.rpc("fable_put_image", {"p_row": row}).execute(), what=f"save image {record.id}", write=True
        )
        return record

    async def get_image(self, image_id: str) -> ImageRecord:
        return self._parse(image_from_row, await self._row("images", "image", image_id))

    async def image_content(self, image_id: str) -> ImageContent:
        record = await self.get_image(image_id)
        if record.local_path:
            return ImageContent(record=record, url=self.public_url(record.local_path))
        return ImageContent(record=record, url=record.url)

    async def read_image_bytes(self, image_id: str) -> bytes:
        record = await self.get_image(image_id)
        if not record.local_path:
            raise NotFound(f"image '{image_id}' has no stored bytes")
        path = record.local_path
        return await self.call(
            lambda: self.db.storage.from_(self.bucket).download(path), what=f"download image {image_id}"
        )

    async def delete_image(self, image_id: str) -> None:
        record = await self.get_image(image_id)
        await self.call(
            lambda: self.db.table("images").delete().eq("id", image_id).execute(),
            what=f"delete image {image_id}",
            write=True,
        )
        if record.local_path:
            path = record.local_path
            await self.call(
                lambda: self.db.storage.from_(self.bucket).remove([path]),
                what=f"delete image file {image_id}",
                write=True,
            )

    async def list_images(
        self, *, created_before: datetime | None = None, comic_id: str | None = None
    ) -> list[ImageRecord]:
        rows: list[dict[str, Any]] = []
        while True:

            def page(start: int = len(rows)) -> Awaitable[Any]:
                query = self.db.table("images").select("*")
                if created_before is not None:
                    query = query.lt("created_at", created_before.isoformat())
                if comic_id is not None:  # the record's own comic, kept even when the comic row is gone
                    query = query.eq("data->>comic_id", comic_id)
                return query.order("id").range(start, start + PAGE - 1).execute()

            batch = (await self.call(page, what="list images")).data
            rows.extend(batch)
            if len(batch) < PAGE:
                return [self._parse(image_from_row, row) for row in rows]

    async def _bucket_files(self) -> dict[str, int]:
        """Every object in the image folders of the bucket: path -> size in bytes."""
        bucket = self.db.storage.from_(self.bucket)
        files: dict[str, int] = {}
        for folder in IMAGE_KIND_DIRS.values():
            offset = 0
            while True:

                def page(start: int = offset, prefix: str = folder) -> Awaitable[Any]:
                    return bucket.list(
                        prefix, {"limit": PAGE, "offset": start, "sortBy": {"column": "name", "order": "asc"}}
                    )

                batch = await self.call(page, what="list image files")
                for item in batch:
                    if item.get("id") is not None:  # folders have no id
                        files[f"{folder}/{item['name']}"] = int((item.get("metadata") or {}).get("size") or 0)
                offset += len(batch)
                if len(batch) < PAGE:
                    break
        return files

    async def unreferenced_image_files(self) -> list[str]:
        referenced = {image.local_path for image in await self.list_images() if image.local_path}
        return sorted(path for path in await self._bucket_files() if path not in referenced)

    async def delete_unreferenced_file(self, relative: str) -> int:
        folder, _, name = relative.partition("/")
        if folder not in IMAGE_KIND_DIRS.values() or not name or "/" in name or name.startswith("."):
            raise NotFound(f"image file '{relative[:80]}' not found")
        found = await self.call(
            lambda: self.db.table("images").select("id").eq("local_path", relative).execute(), what="read images"
        )
        if found.data:
            raise Conflict(f"image file '{relative}' is referenced")
        bucket = self.db.storage.from_(self.bucket)
        listed = await self.call(lambda: bucket.list(folder, {"search": name, "limit": PAGE}), what="list image files")
        match = next((item for item in listed if item.get("name") == name and item.get("id") is not None), None)
        if match is None:
            raise NotFound(f"image file '{relative}' not found")
        await self.call(lambda: bucket.remove([relative]), what="delete an image file", write=True)
        return int((match.get("metadata") or {}).get("size") or 0)

    # -- idempotency ----------------------------------------------------------------------------
    async def get_answer(self, key: str) -> StoredAnswer | None:
        found = await self.call(
            lambda: self.db.table("idempotency_keys").select("*").eq("key", key).execute(),
            what="read an idempotency key",
        )
        return self._parse(StoredAnswer.model_validate, found.data[0]) if found.data else None

    async def put_answer(self, answer: StoredAnswer) -> None:
        row = answer.model_dump(mode="json")
        await self.call(
            lambda: self.db.table("idempotency_keys").upsert(row, on_conflict="key").execute(),
            what="store an idempotency key",
            write=True,
        )

    async def claim_answer(self, claim: StoredAnswer) -> StoredAnswer | None:
        row = claim.model_dump(mode="json")
        for _ in range(CLAIM_ATTEMPTS):
            inserted = await self.call(
                lambda: (
                    self.db.table("idempotency_keys")
                    .upsert(row, on_conflict="key", ignore_duplicates=True)  # insert ... on conflict (key) do nothing
                    .execute()
                ),
                what="claim an idempotency key",
                write=True,
            )
            if inserted.data:
                return None
            found = await self.get_answer(claim.key)
            if found is not None:
                return found
            # the holder let go between the insert and the read: try again
        raise StorageError("an idempotency key kept changing while it was claimed; try again")

    async def replace_answer(self, row: StoredAnswer, *, expected: StoredAnswer) -> bool:
        body = row.model_dump(mode="json")

        def swap() -> Awaitable[Any]:
            query = self.db.table("idempotency_keys").update(body).eq("key", expected.key).eq("state", expected.state)
            query = query.is_("claim", "null") if expected.claim is None else query.eq("claim", expected.claim)
            return query.execute()

        swapped = await self.call(swap, what="store an idempotency key", write=True)
        return bool(swapped.data)

    async def release_claim(self, claim: StoredAnswer) -> None:
        if claim.claim is None:
            return
        token = claim.claim
        await self.call(
            lambda: (
                self.db.table("idempotency_keys")
                .delete()
                .eq("key", claim.key)
                .eq("state", "pending")
                .eq("claim", token)
                .execute()
            ),
            what="release an idempotency key",
            write=True,
        )

    async def delete_answers(self, *, created_before: datetime, dry_run: bool = False) -> int:
        cutoff = created_before.isoformat()
        if dry_run:
            found = await self.call(
                lambda: self.db.table("idempotency_keys").select("key").lt("created_at", cutoff).execute(),
                what="count idempotency keys",
            )
        else:
            found = await self.call(
                lambda: self.db.table("idempotency_keys").delete().lt("created_at", cutoff).execute(),
                what="delete idempotency keys",
                write=True,
            )
        return len(found.data or [])

    # -- stats ----------------------------------------------------------------------------------
    async def stats(self) -> StorageStats:
        found = await self.call(lambda: self.db.rpc("fable_stats", {}, get=True).execute(), what="read stats")
        return StorageStats.model_validate(found.data)

    @staticmethod
    def _parse(build: Callable[[Any], T], raw: Any) -> T:
        try:
            return build(raw)
        except (KeyError, TypeError, ValueError) as exc:
            log.error("supabase returned a row that does not match the schema: %s", exc.__class__.__name__)
            raise StorageError("a stored record no longer matches its schema") from None
