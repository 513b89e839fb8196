"""The image metadata index: metadata.json (a snapshot) plus metadata.journal.jsonl (appends).

Recording an image appends one line and fsyncs it, so its cost does not grow with the number of
images; metadata.json is rewritten (atomically) only when the index is opened or closed. Records
are held as their JSON text, which is several times smaller in memory than parsed objects.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

from app.storage.fsutil import atomic_write

log = logging.getLogger(__name__)

SNAPSHOT_NAME = "metadata.json"
JOURNAL_NAME = "metadata.journal.jsonl"
# The snapshot is one JSON document laid out one record per line, between these two lines.
SNAPSHOT_HEAD = b'{"format":"fable-images","version":1,"images":{'
SNAPSHOT_TAIL = b"}}"


class ImageIndex:
    def __init__(self, images_dir: Path) -> None:
        self._snapshot = images_dir / SNAPSHOT_NAME
        self._journal_path = images_dir / JOURNAL_NAME
        self._records: dict[str, str] = {}
        self._by_comic: dict[str, set[str]] = {}  # comic id -> its image ids
        self._bytes_by_kind: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._journal: Any = None

    # -- life cycle ---------------------------------------------------------------------------
    def open(self) -> None:
        if self._snapshot.exists():
            self._load_snapshot()
        replayed = self._replay_journal()
        if replayed or not self._snapshot.exists():
            self._write_snapshot()
        self._journal = open(self._journal_path, "ab", buffering=0)  # noqa: SIM115 - held open

    def close(self) -> None:
        with self._lock:
            if self._journal is None:
                return
            self._journal.close()
            self._journal = None
            self._write_snapshot()

    def _replay_journal(self) -> int:
        if not self._journal_path.exists():
            return 0
        count = 0
        with open(self._journal_path, "rb") as journal:
            for raw in journal:
                try:
                    entry = json.loads(raw)
                except ValueError:
                    # Only a crash mid-append leaves a torn line, and that write was never acknowledged.
                    log.warning("image journal: skipped a torn line")
                    continue
                if entry["op"] == "put":
                    self._apply_put(entry["image"]["id"], entry["image"])
                else:
                    self._apply_delete(entry["id"])
                count += 1
        return count

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
        if self._journal is None:
            raise RuntimeError("image index is not open")
        self._journal.write(json.dumps(entry, separators=(",", ":")).encode() + b"\n")
        os.fsync(self._journal.fileno())

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
