"""Cost of recording one image with 0 and with N images already recorded (same run, same disk).

    python bench/image_index.py [--existing 100000] [--samples 200]

Prints the median and p95 of recording one image into an empty index (the baseline) and into one
that already holds N records, and their ratio. The target: within 2x.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.models.schemas import Comic, ImageRecord
from app.storage.data_manager import DataManager
from app.storage.json_backend import JsonBackend


def seed_snapshot(root: Path, count: int) -> None:
    """Write a snapshot of `count` records directly: how the index looks after a long life."""
    images = root / "images"
    images.mkdir(parents=True)
    template = ImageRecord(kind="panel", comic_id="c", url="https://fal.media/x.png").model_dump(mode="json")
    records = {f"seed-{n}": {**template, "id": f"seed-{n}"} for n in range(count)}
    (images / "metadata.json").write_text(json.dumps({"format": "fable-images", "version": 1, "images": records}))


async def per_record_seconds(root: Path, samples: int) -> list[float]:
    data = DataManager(JsonBackend(root))
    await data.open()
    comic = await data.create_comic(Comic(title="t", topic="t"))  # an image naming a comic needs the comic
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        await data.reference_image("https://fal.media/y.png", kind="panel", comic_id=comic.id)
        timings.append(time.perf_counter() - started)
    await data.close()
    return timings


def summary(timings: list[float]) -> str:
    ordered = sorted(timings)
    return f"median {statistics.median(ordered) * 1e3:.3f} ms, p95 {ordered[int(len(ordered) * 0.95)] * 1e3:.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--existing", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as empty_dir, tempfile.TemporaryDirectory() as full_dir:
        seed_snapshot(Path(full_dir), args.existing)
        baseline = asyncio.run(per_record_seconds(Path(empty_dir), args.samples))
        loaded = asyncio.run(per_record_seconds(Path(full_dir), args.samples))
    ratio = statistics.median(loaded) / statistics.median(baseline)
    print(f"record one image, empty index (baseline):  {summary(baseline)}")
    print(f"record one image, {args.existing:,} recorded:     {summary(loaded)}")
    print(f"ratio (median): {ratio:.2f}x   target <= 2.0x   {'OK' if ratio <= 2.0 else 'MISSED'}")


if __name__ == "__main__":
    main()
