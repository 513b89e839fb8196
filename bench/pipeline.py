"""Wall time of a wizard run on the fal.ai path against its critical path, with vendor latency injected.

    python bench/pipeline.py [--panels 12] [--text-latency 0.3] [--image-latency 1.0] [--renders 10]

The real pipeline, the real fal-client SDK and our FalClient run against the HTTP-layer fake of fal's
queue (tests/fakes/fal.py, via respx): each picture completes `image-latency` seconds after it is
submitted, and every text call (moderation, scenes, panel plan) takes `text-latency`. The same run
also renders with MAX_CONCURRENT_RENDERS=1, the one-by-one baseline.

Critical path = the calls that must follow one another:
    scenes phase: moderate the topic, write the scenes         2 x text
    render phase: character sheets (all at once) alongside the panel plan, then panels (all at once)
                  = max(ceil(cast/limit) x image, text) + ceil(panels/limit) x image
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import respx
from pydantic import SecretStr

from app.factory import create_app
from app.models.schemas import Character, Scene
from app.services.providers.protocols import PanelPlan
from app.services.providers.offline_text import OfflineTextModel
from config import Settings
from tests.fakes.fal import FakeFal


class SlowText(OfflineTextModel):
    """The offline writer, with each call taking as long as a vendor's would."""

    def __init__(self, latency: float) -> None:
        self.latency = latency

    async def moderate(self, texts: list[str]) -> None:
        await asyncio.sleep(self.latency)
        await super().moderate(texts)

    async def write_scenes(self, **kwargs: object) -> list[Scene]:
        await asyncio.sleep(self.latency)
        return await super().write_scenes(**kwargs)

    async def plan_panels(self, *, scenes: list[Scene], cast: list[Character]) -> PanelPlan:
        await asyncio.sleep(self.latency)
        return await super().plan_panels(scenes=scenes, cast=cast)


async def run(panels: int, text_latency: float, image_latency: float, renders: int) -> dict[str, float]:
    fake = FakeFal(latency=image_latency)
    with tempfile.TemporaryDirectory() as tmp, respx.mock(assert_all_called=False) as router:
        router.route(host="queue.fal.run").mock(side_effect=fake.handle)
        router.route(host="v3.fal.media").mock(side_effect=fake.handle)
        settings = Settings(
            _env_file=None,
            data_dir=Path(tmp),
            env="test",
            text_provider="offline",
            image_provider="fal",
            fal_key=SecretStr("bench:key"),
            max_concurrent_renders=renders,
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            app.state.services.pipeline.text = SlowText(text_latency)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as http:
                started = time.perf_counter()
                answer = await http.post(
                    "/api/v1/comics/scenes/generate", json={"topic": "teaching kids about safety", "num_scenes": panels}
                )
                job_id = answer.json()["job_id"]
                await app.state.services.runner.wait_idle()
                scenes_done = time.perf_counter()
                await http.post(f"/api/v1/comics/{job_id}/generate")
                await app.state.services.runner.wait_idle()
                finished = time.perf_counter()
                comic = (await http.get(f"/api/v1/comics/{job_id}/result")).json()
            await app.state.services.pipeline.images.close()
    rendered = sum(p["status"] == "rendered" for p in comic["panels"])
    cast = len(comic["characters"])
    if rendered != len(comic["panels"]) or len(comic["panels"]) != panels:
        raise SystemExit(f"the run did not render every panel ({rendered}/{len(comic['panels'])})")
    # the sheets and the panel plan run side by side; the panels follow both
    render_path = (
        max(math.ceil(cast / renders) * image_latency, text_latency) + math.ceil(panels / renders) * image_latency
    )
    return {
        "render_wall": finished - scenes_done,
        "render_path": render_path,
        "total_wall": finished - started,
        "total_path": render_path + 2 * text_latency,
        "cast": cast,
        "images": len(fake.billed),
        "most_in_flight": fake.most_in_flight(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--panels", type=int, default=12)
    parser.add_argument("--text-latency", type=float, default=0.3)
    parser.add_argument("--image-latency", type=float, default=1.0)
    parser.add_argument("--renders", type=int, default=10, help="MAX_CONCURRENT_RENDERS")
    args = parser.parse_args()

    concurrent = asyncio.run(run(args.panels, args.text_latency, args.image_latency, args.renders))
    one_by_one = asyncio.run(run(args.panels, args.text_latency, args.image_latency, 1))
    print(
        f"wizard, {args.panels} panels, {concurrent['cast']} characters, {concurrent['images']} image calls; "
        f"text latency {args.text_latency} s, image latency {args.image_latency} s, "
        f"MAX_CONCURRENT_RENDERS={args.renders}"
    )
    print(
        f"render phase: {concurrent['render_wall']:.2f} s wall, critical path {concurrent['render_path']:.2f} s, "
        f"ratio {concurrent['render_wall'] / concurrent['render_path']:.2f}x "
        f"(at most {concurrent['most_in_flight']} image calls in flight)"
    )
    print(
        f"whole run:    {concurrent['total_wall']:.2f} s wall, critical path {concurrent['total_path']:.2f} s, "
        f"ratio {concurrent['total_wall'] / concurrent['total_path']:.2f}x"
    )
    print(
        f"baseline (MAX_CONCURRENT_RENDERS=1, one by one): whole run {one_by_one['total_wall']:.2f} s, "
        f"render phase {one_by_one['render_wall']:.2f} s (at most {one_by_one['most_in_flight']} in flight); "
        f"concurrent is {one_by_one['total_wall'] / concurrent['total_wall']:.1f}x faster"
    )


if __name__ == "__main__":
    main()
