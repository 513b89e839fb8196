"""The image metadata index: metadata.json (a snapshot) plus metadata.journal.jsonl (appends).

Recording an image appends one line and fsyncs it, so its cost does not grow with the number of
images; metadata.json is rewritten (atomically) only when the index is opened or closed. Records
are held as their JSON text, which is several times smaller in memory than parsed objects.

An image is acknowledged only once its whole line is written and fsynced. A failed append (a full disk
takes part of a line) is cut back to the journal's last whole line, so the next line never starts glued
to a torn one; a torn tail left by a crash is cut when the index opens.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any
from collections.abc import Iterator

from app.errors import StorageError
from app.storage.fsutil import atomic_write, describe, write_all

log = logging.getLogger(__name__)

SNAPSHOT_NAME = "metadata.json"
JOURNAL_NAME = "metadata.journal.jsonl"
# The snapshot is one JSON document laid out one record per line, between these two lines.
SNAPSHOT_HEAD = b'{"format":"fable-images","version":1,"images":{'
SNAPSHOT_TAIL = b"}}"
ENTRY_START = b'{"op":'  # every journal line starts so; inside a JSON string a quote is escaped, so never there


class ImageIndex:
    def __init__(self, images_dir: Path) -> None:
        self._snapshot = images_dir / SNAPSHOT_NAME
        self._journal_path = images_dir / JOURNAL_NAME
        self._records: dict[str, str] = {}
        self._by_comic: dict[str, set[str]] = {}  # comic id -> its image ids
        self._bytes_by_kind: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._fd: int | None = None  # the journal, opened for appending
        self._journal_size = 0  # the end of its last whole line: where the next append must start

    # -- life cycle ---------------------------------------------------------------------------
    def open(self) -> None:
        if self._snapshot.exists():
            self._load_snapshot()
        replayed = self._replay_journal()
        if replayed or not self._snapshot.exists():
            self._try_snapshot()
        self._fd = os.open(self._journal_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def close(self) -> None:
        with self._lock:
            if self._fd is None:
                return
            os.close(self._fd)
            self._fd = None
            self._try_snapshot()

    def _try_snapshot(self) -> None:
        """Fold the journal into the snapshot; on a full disk the journal, still whole, stays the record."""
        try:
            self._write_snapshot()
        except OSError as exc:
            log.warning("image index: snapshot not written (%s); the journal keeps every record", describe(exc))

    def _replay_journal(self) -> int:
        self._journal_size = 0
        if not self._journal_path.exists():
            return 0
        count = whole = 0
        with open(self._journal_path, "rb") as journal:
            for raw in journal:
                if not raw.endswith(b"\n"):
                    break  # a torn tail: a crash mid-append, never acknowledged; cut below
                whole += len(raw)
                entry = self._parse_line(raw)
                if entry is None:
                    continue
                if entry["op"] == "put":
                    self._apply_put(entry["image"]["id"], entry["image"])
                else:
                    self._apply_delete(entry["id"])
                count += 1
        self._journal_size = whole
        if whole < self._journal_path.stat().st_size:
            log.warning("image journal: cut a torn last line")
            with contextlib.suppress(OSError):  # if this fails, the first append cuts it (see _append)
                os.truncate(self._journal_path, whole)
        return count

    @staticmethod
    def _parse_line(raw: bytes) -> dict[str, Any] | None:
        try:
            return json.loads(raw)
        except ValueError:
            pass
        # A journal written before appends were checked may hold a torn line with a whole one glued to its
        # end: the whole one was acknowledged, so it is read from where it starts.
        start = raw.rfind(ENTRY_START)
        if start > 0:
            try:
                return json.loads(raw[start:])
            except ValueError:
                pass
        log.warning("image journal: skipped a torn line")
        return None

    def _load_snapshot(self) -> None:
        """One record per line (as written below) is read line by line, so opening a large index never
        holds the whole parsed file at once; any other layout of the same JSON is parsed whole."""
        with open(self._snapshot, "rb") as snapshot:
            if snapshot.readline().rstrip(b"\n") == SNAPSHOT_HEAD:
                for line in snapshot:
                    line = line.rstrip(b"\n").rstrip(b",")
                    if line == SNAPSHOT_TAIL:
                        return
                    if not line:
                        continue
                    ((image_id, record),) = json.loads(b"{" + line + b"}").items()
                    self._apply_put(image_id, record)
                raise ValueError("the image index snapshot ends early")
        for image_id, record in json.loads(self._snapshot.read_bytes()).get("images", {}).items():
            self._apply_put(image_id, record)

    def _write_snapshot(self) -> None:
        lines = (f"{json.dumps(image_id)}:{text}".encode() for image_id, text in self._records.items())
        body = b",\n".join(lines)
        atomic_write(self._snapshot, SNAPSHOT_HEAD + b"\n" + (body + b"\n" if body else b"") + SNAPSHOT_TAIL + b"\n")
        # The snapshot now holds everything the journal said; an empty journal starts over.
        with open(self._journal_path, "wb") as journal:
            os.fsync(journal.fileno())
        self._journal_size = 0

    # -- reads and writes ---------------------------------------------------------------------
    def _apply_put(self, image_id: str, record: dict[str, Any]) -> None:
        self._apply_delete(image_id)
        # Held as compact JSON text without its empty fields: several times smaller than parsed objects.
        self._records[image_id] = json.dumps({k: v for k, v in record.items() if v is not None}, separators=(",", ":"))
        self._bytes_by_kind[record.get("kind", "temp")] += int(record.get("size_bytes") or 0)
        if record.get("comic_id"):
            self._by_comic.setdefault(record["comic_id"], set()).add(image_id)

    def _apply_delete(self, image_id: str) -> None:
        old = self._records.pop(image_id, None)
        if old is not None:
            record = json.loads(old)
            self._bytes_by_kind[record.get("kind", "temp")] -= int(record.get("size_bytes") or 0)
            siblings = self._by_comic.get(record.get("comic_id") or "")
            if siblings is not None:
                siblings.discard(image_id)
                if not siblings:
                    del self._by_comic[record["comic_id"]]

    def _append(self, entry: dict[str, Any]) -> None:
        """Write one whole line and fsync it, or leave the journal as it was and raise StorageError."""
        if self._fd is None:
            raise RuntimeError("image index is not open")
        line = json.dumps(entry, separators=(",", ":")).encode() + b"\n"
        try:
            if os.fstat(self._fd).st_size != self._journal_size:
                self._cut_back()  # an earlier failed append could not be cut: it must be before this one
            write_all(self._fd, line)
            os.fsync(self._fd)
        except OSError as exc:
            with contextlib.suppress(OSError):  # if this fails too, the next append cuts first
                self._cut_back()
            log.error("image index: a record was not written (%s)", describe(exc))
            raise StorageError(f"the image could not be recorded: {describe(exc)}") from exc
        self._journal_size += len(line)

    def _cut_back(self) -> None:
        assert self._fd is not None
        os.ftruncate(self._fd, self._journal_size)
        os.fsync(self._fd)

    def put(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._append({"op": "put", "image": record})
            self._apply_put(record["id"], record)

    def delete(self, image_id: str) -> bool:
        with self._lock:
            if image_id not in self._records:
                return False
            self._append({"op": "del", "id": image_id})
            self._apply_delete(image_id)
            return True

    def get(self, image_id: str) -> dict[str, Any] | None:
        text = self._records.get(image_id)
        return None if text is None else json.loads(text)

    def __contains__(self, image_id: str) -> bool:
        return image_id in self._records

    def __len__(self) -> int:
        return len(self._records)

    def records(self) -> Iterator[dict[str, Any]]:
        for text in list(self._records.values()):
            yield json.loads(text)

    def records_of_comic(self, comic_id: str) -> Iterator[dict[str, Any]]:
        for image_id in sorted(self._by_comic.get(comic_id, ())):
            text = self._records.get(image_id)
            if text is not None:
                yield json.loads(text)

    def bytes_of(self, kind: str | None = None) -> int:
        return sum(self._bytes_by_kind.values()) if kind is None else self._bytes_by_kind[kind]
