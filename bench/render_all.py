"""Render-all's time, peak memory and comic writes at 12, 24 and 48 panels, against the old strategy.

    python bench/render_all.py [--sizes 12 24 48] [--latency 0.05] [--renders 10]

Each size runs in its own child process (so its peak RSS is its own): the real ComicPipeline on the JSON
backend renders every panel of a comic through a fake image model that takes `latency` seconds and
returns a small PNG (lettered like any other). "bounded" is the service's render-all: MAX_CONCURRENT_RENDERS
workers, coalesced comic writes. The baseline, in the same run, is the strategy it replaced: one task per
panel, two whole-comic writes per panel. A 1-panel run of each is the fixed cost (interpreter, imports)
taken off before the per-panel figures, so linear growth shows as a flat per-panel column.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image

from app.api.urls import image_url
from app.models.schemas import Character, Comic, DialogueLine, Panel, Scene
from app.services.providers.offline_text import OfflineTextModel
from app.services.comics.pipeline import ComicPipeline
from app.services.providers.protocols import RenderedImage
from app.services.wiring import build_services
from config import Settings


DIALOGUE = [
    DialogueLine(speaker="Max", text="Which way do we look first?"),
    DialogueLine(speaker="Sunny", text="Left, then right, then left again!"),
]


class FakeImages:
    """Answers after `latency` seconds with a small PNG, as a vendor would (bytes, not a URL)."""

    name = "fake"

    def __init__(self, latency: float) -> None:
        self.latency = latency
        out = io.BytesIO()
        Image.new("RGB", (512, 512), "skyblue").save(out, format="PNG")
        self.png = out.getvalue()

    async def render_character(self, **_: Any) -> RenderedImage:
        return RenderedImage(data=self.png, url=None, content_type="image/png", width=512, height=512, model="fake")

    async def render_panel(self, **_: Any) -> RenderedImage:
        await asyncio.sleep(self.latency)
        return await self.render_character()

    async def close(self) -> None:
        pass


async def unbounded(pipeline: ComicPipeline, job_id: str, comic_id: str, *, span: tuple[int, int]) -> None:
    """The strategy render-all replaced: a task per panel, each reading the comic and writing it twice."""
    comic = await pipeline.data.get_comic(comic_id)
    done = 0

    async def render(panel_id: str) -> None:
        nonlocal done
        with pipeline.renders.panel(comic_id, panel_id):
            current = await pipeline.data.get_comic(comic_id)

            def claim(c: Comic) -> Comic:
                next(p for p in c.panels if p.panel_id == panel_id).status = "rendering"
                return c

            await pipeline.data.update_comic(comic_id, claim)
            await pipeline.data.update_comic(comic_id, await pipeline.renderer.draw(current, panel_id))
        done += 1
        await pipeline.runner.report(job_id, span=span, done=done, total=len(comic.panels))

    async with asyncio.TaskGroup() as group:
        for panel in comic.panels:
            group.create_task(render(panel.panel_id))


async def child(panels: int, latency: float, renders: int, strategy: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp), storage_backend="json", max_concurrent_renders=renders)
        async with build_services(
            settings, image_link=image_url, text=OfflineTextModel(), images=FakeImages(latency)
        ) as services:
            data, runner, pipeline = services.data, services.runner, services.pipeline
            writes = 0
            save = data.backend.save_comic

            async def counted(comic: Comic, *, expected_version: int | None) -> Comic:
                nonlocal writes
                writes += 1
                return await save(comic, expected_version=expected_version)

            data.backend.save_comic = counted  # type: ignore[method-assign]
            if strategy == "unbounded":

                async def render_panels(job_id: str, comic_id: str, *, span: tuple[int, int]) -> None:
                    await unbounded(pipeline, job_id, comic_id, span=span)

                pipeline.render_all.render_panels = render_panels  # type: ignore[method-assign]
            comic = await data.create_comic(story_comic(panels))
            writes = 0
            started = time.perf_counter()
            job = await pipeline.start_render_all(comic.id)
            await runner.wait_idle()
            seconds = time.perf_counter() - started
            final = await data.get_comic(comic.id)
            status = (await data.get_job(job.id)).status
    if status != "completed" or any(p.status != "rendered" for p in final.panels):
        raise SystemExit(f"{strategy} at {panels} panels did not render every panel (job {status})")
    return {"seconds": seconds, "writes": writes, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def story_comic(panels: int) -> Comic:
    cast = [
        Character(id="max", name="Max", description="a boy in a red cap"),
        Character(id="sunny", name="Sunny", description="a girl with a yellow scarf"),
    ]
    scenes = [
        Scene(
            scene_id=f"s{n}",
            title=f"Scene {n}",
            description="Max and Sunny wait at the crossing. " * 8,
            dialogue=[],
            learning_point="look both ways",
        )
        for n in range(panels)
    ]
    return Comic(
        title="Safe Streets",
        topic="road safety",
        characters=cast,
        scenes=scenes,
        panels=[
            Panel(
                scene_id=f"s{n}",
                title=f"Panel {n}",
                description="Max and Sunny at the kerb, cars passing. " * 6,
                characters=["Max", "Sunny"],
                dialogue=DIALOGUE,
                narration="At the crossing, they stopped.",
            )
            for n in range(panels)
        ],
    )


def measure(panels: int, args: argparse.Namespace, strategy: str) -> dict[str, float]:
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            str(panels),
            "--strategy",
            strategy,
            "--latency",
            str(args.latency),
            "--renders",
            str(args.renders),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    return json.loads(done.stdout.splitlines()[-1])


def report(name: str, sizes: list[int], args: argparse.Namespace, strategy: str) -> None:
    base = measure(1, args, strategy)
    print(f"{name}:")
    print("  panels   seconds   s/panel   peak RSS MB   +MB/panel   comic writes   writes/panel")
    rows = []
    for panels in sizes:
        got = measure(panels, args, strategy)
        extra = max(0.0, got["rss_mb"] - base["rss_mb"]) / max(1, panels - 1)
        rows.append((panels, got["seconds"] / panels, extra))
        print(
            f"  {panels:6d}   {got['seconds']:7.2f}   {got['seconds'] / panels:7.3f}   {got['rss_mb']:11.1f}"
            f"   {extra:9.2f}   {got['writes']:12.0f}   {got['writes'] / panels:12.2f}"
        )
    (small, t_small, m_small), (large, t_large, m_large) = rows[0], rows[-1]
    print(
        f"  per-panel ratio, {large} vs {small} panels: time {t_large / t_small:.2f}x, "
        f"memory {m_large / m_small if m_small else float('nan'):.2f}x (1.00x = linear)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[12, 24, 48])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the fake image model takes")
    parser.add_argument("--renders", type=int, default=10, help="MAX_CONCURRENT_RENDERS")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--strategy", default="bounded", choices=["bounded", "unbounded"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(asyncio.run(child(args.child, args.latency, args.renders, args.strategy))))
        return
    print(
        f"render-all on the JSON backend, fake image model ({args.latency} s a picture), "
        f"MAX_CONCURRENT_RENDERS={args.renders}; each size in its own process"
    )
    report("bounded + coalesced (the service)", args.sizes, args, "bounded")
    report("baseline, one task per panel and two comic writes each (the old strategy)", args.sizes, args, "unbounded")


if __name__ == "__main__":
    main()
