"""push-supabase: every local record and image file, into the configured Supabase project, in one go.

Rows come from the export bundle (so they are exactly what the schema holds), table by table in
foreign-key order, in batches. For each batch the rows already on the server are read back and
compared column by column; only new or changed rows are upserted, so a second run sends nothing and
a run stopped half-way finishes the job when started again. An image's file is uploaded to the bucket
before its row is written, and its URL is the bucket's public URL. When the server refuses a batch,
its rows are sent one by one and each refused row is reported by table and id; the rest go on.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from postgrest import ReturnMethod

from app.errors import Conflict, FableError, NotFound
from app.models.schemas import TABLE_MODELS, TableSpec
from app.storage.data_manager import DataManager
from app.storage.supabase_backend import Refused, SupabaseBackend, rows_of

# What one row can cause; anything else (the project unreachable, failing) stops the push: run it again.
REFUSALS = (Refused, Conflict, NotFound)
LOOKUP = 200  # ids per read-back request: keeps the query string well under common URL limits
SPECS: dict[str, TableSpec] = {m.__table__.name: m.__table__ for m in TABLE_MODELS}


@dataclass
class Refusal:
    table: str
    row_id: str
    reason: str


@dataclass
class PushReport:
    dry_run: bool
    sent: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    files_sent: int = 0
    file_bytes: int = 0
    refused: list[Refusal] = field(default_factory=list)

    def lines(self) -> list[str]:
        verb = "would send" if self.dry_run else "sent"
        out = [
            f"{table:<11} {self.sent.get(table, 0):>7} {verb}, {self.unchanged.get(table, 0):>7} already there"
            for table in SPECS
        ]
        out.append(f"{'files':<11} {self.files_sent:>7} {verb} ({self.file_bytes / 1024 / 1024:.1f} MB)")
        for refusal in self.refused:
            out.append(f"refused: {refusal.table} {refusal.row_id}: {refusal.reason}")
        return out


def reason(exc: FableError) -> str:
    return exc.detail if isinstance(exc, Refused) else exc.message


def _normal(sql_type: str, value: Any) -> Any:
    if value is None:
        return None
    if sql_type == "timestamptz":
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if sql_type == "uuid":
        return str(value).lower()
    if sql_type in ("integer", "bigint"):
        return int(value)
    return value


def same_row(spec: TableSpec, local: dict[str, Any], remote: dict[str, Any]) -> bool:
    return all(_normal(t, local.get(name)) == _normal(t, remote.get(name)) for name, t in spec.columns.items())


class Progress:
    """One line per table on a terminal (redrawn as batches go), a line per finished table otherwise."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.tty = stream.isatty()

    def __call__(self, table: str, done: int, total: int) -> None:
        if not self.tty and done < total:
            return
        filled = int(30 * done / total) if total else 30
        end = "\n" if done >= total else ""
        self.stream.write(f"\r{table:<11} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}{end}")
        self.stream.flush()


class SupabasePush:
    def __init__(
        self,
        local: DataManager,
        remote: SupabaseBackend,
        *,
        batch_size: int = 200,
        dry_run: bool = False,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch size must be at least 1")
        self.local, self.remote = local, remote
        self.batch_size, self.dry_run = batch_size, dry_run
        self.progress = progress or (lambda table, done, total: None)

    async def run(self) -> PushReport:
        bundle = await self.local.export_all_data()
        tables: dict[str, list[dict[str, Any]]] = bundle["tables"]
        for row in tables["images"]:
            if row["local_path"]:
                row["url"] = self.remote.public_url(row["local_path"])
        report = PushReport(dry_run=self.dry_run)
        for table, spec in SPECS.items():  # foreign-key order
            rows = tables.get(table, [])
            done = 0
            self.progress(table, 0, len(rows))
            for start in range(0, len(rows), self.batch_size):
                batch = rows[start : start + self.batch_size]
                changed = await self._changed(spec, batch)
                report.unchanged[table] = report.unchanged.get(table, 0) + len(batch) - len(changed)
                if self.dry_run and table == "images":
                    files = [row for row in changed if row["local_path"]]
                    report.files_sent += len(files)
                    report.file_bytes += sum(row["size_bytes"] or 0 for row in files)
                if changed and not self.dry_run:
                    changed = await self._send(spec, self._without_refused_parents(spec, changed, report), report)
                report.sent[table] = report.sent.get(table, 0) + len(changed)
                done += len(batch)
                self.progress(table, done, len(rows))
        return report

    @staticmethod
    def _without_refused_parents(
        spec: TableSpec, rows: list[dict[str, Any]], report: PushReport
    ) -> list[dict[str, Any]]:
        """A row whose parent row was refused cannot land either: say so, rather than send it to be refused."""
        refused = {(r.table, r.row_id) for r in report.refused}
        kept = []
        for row in rows:
            parent = next(
                (
                    (target.split(".")[0], row[column])
                    for column, target in spec.foreign_keys.items()
                    if (target.split(".")[0], row[column]) in refused
                ),
                None,
            )
            if parent:
                report.refused.append(Refusal(spec.name, row["id"], f"its {parent[0]} row {parent[1]} was refused"))
            else:
                kept.append(row)
        return kept

    async def _changed(self, spec: TableSpec, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        remote: dict[str, dict[str, Any]] = {}
        for start in range(0, len(batch), LOOKUP):
            ids = [row["id"] for row in batch[start : start + LOOKUP]]

            def read(ids: list[str] = ids) -> Any:
                return self.remote.db.table(spec.name).select("*").in_("id", ids).execute()

            found = await self.remote.call(read, what=f"read {spec.name}")
            remote.update({str(row["id"]).lower(): row for row in rows_of(found.data)})
        return [
            row for row in batch if (there := remote.get(row["id"].lower())) is None or not same_row(spec, row, there)
        ]

    async def _send(self, spec: TableSpec, rows: list[dict[str, Any]], report: PushReport) -> list[dict[str, Any]]:
        """Upsert `rows` (uploading image files first); the ones the server took."""
        if spec.name == "images":
            rows = [row for row in rows if await self._upload(row, report)]
        try:
            await self._upsert(spec, rows)
            return rows
        except REFUSALS:
            pass
        sent = []
        for row in rows:  # find the refused ones; the rest go on
            try:
                await self._upsert(spec, [row])
                sent.append(row)
            except REFUSALS as exc:
                report.refused.append(Refusal(spec.name, row["id"], reason(exc)))
        return sent

    async def _upsert(self, spec: TableSpec, rows: list[dict[str, Any]]) -> None:
        await self.remote.call(
            lambda: (
                self.remote.db.table(spec.name).upsert(rows, on_conflict="id", returning=ReturnMethod.minimal).execute()
            ),
            what=f"write {spec.name}",
            write=True,
        )

    async def _upload(self, row: dict[str, Any], report: PushReport) -> bool:
        if not row["local_path"]:
            return True
        try:
            data = await self.local.read_image_bytes(row["id"])
        except NotFound:
            report.refused.append(Refusal("images", row["id"], "its file is missing from DATA_DIR/images"))
            return False
        path = row["local_path"]
        bucket = self.remote.db.storage.from_(self.remote.bucket)
        try:
            await self.remote.call(
                lambda: bucket.upload(path, data, {"content-type": row["content_type"], "upsert": "true"}),
                what=f"upload image {row['id']}",
                write=True,
            )
        except REFUSALS as exc:
            report.refused.append(Refusal("images", row["id"], reason(exc)))
            return False
        report.files_sent += 1
        report.file_bytes += len(data)
        return True
