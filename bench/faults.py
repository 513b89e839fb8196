"""Many wizard jobs through the real vendor SDKs while a share of vendor calls fail.

    python bench/faults.py [--jobs 40] [--rate 0.3] [--scenes 3] [--seed 7] [--delay-scale 0.1]

The real pipeline, the openai SDK and fal-client run against the HTTP-layer fakes of OpenAI and fal.ai
(tests/fakes, via respx), with tests/fakes/faults.py failing `rate` of all vendor requests: 429s, 500s,
503s, read timeouts and garbage 200 bodies. Every job is driven from topic to result through the API.
It prints how many jobs completed, how many failed (grouped by their reason), and how many stayed
running, which must be 0; and the faults injected, by kind. Retry delays are scaled by --delay-scale
so the run takes seconds, not minutes; the number of retries is the production one.
With --rate 0 the same run is the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import respx
from pydantic import SecretStr

from app.factory import create_app
from app.services.providers.fal_images import FalImageModel
from app.services.providers.openai_text import OpenAITextModel
from app.services.providers.registry import close_providers
from config import Settings
from external_services import FalClient, OpenAIClient, RetryPolicy
from tests.fakes.fal import FakeFal
from tests.fakes.faults import FaultInjector
from tests.fakes.openai import FakeOpenAI

OPENAI = "https://api.openai.test/v1"


@dataclass
class Report:
    jobs: int
    statuses: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    failed_panels: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    vendor_requests: int = 0
    pictures_paid: int = 0  # fal submissions accepted: each one is billed
    refused: Counter[int] = field(default_factory=Counter)  # starts the API refused, by status (503 = vendor down)

    @property
    def stuck(self) -> int:
        return self.statuses["queued"] + self.statuses["running"]


async def _drive(http: httpx.AsyncClient, app: Any, topic: str, scenes: int) -> str:
    answer = await http.post("/api/v1/comics/scenes/generate", json={"topic": topic, "num_scenes": scenes})
    if answer.status_code != 202:
        return f"refused:{answer.status_code}"
    job_id = answer.json()["job_id"]
    await app.state.services.runner.wait_idle()
    started = await http.post(f"/api/v1/comics/{job_id}/generate")
    if started.status_code >= 500:
        return f"refused:{started.status_code}"
    await app.state.services.runner.wait_idle()
    return job_id


async def run(
    jobs: int, rate: float, scenes: int = 3, seed: int = 7, delay_scale: float = 0.1, sleep: Any = None
) -> Report:
    faults = FaultInjector(rate=rate, seed=seed)
    report = Report(jobs=jobs)
    text, fal = FakeOpenAI(), FakeFal()

    async def scaled_sleep(delay: float) -> None:
        await asyncio.sleep(delay * delay_scale)

    policy = RetryPolicy(sleep=sleep or scaled_sleep, deadline=600)
    with tempfile.TemporaryDirectory() as tmp, respx.mock(assert_all_called=False) as router:
        router.route(host="api.openai.test").mock(side_effect=faults.wrap(text.handle))
        router.route(host="queue.fal.run").mock(side_effect=faults.wrap(fal.handle))
        router.route(host="v3.fal.media").mock(side_effect=faults.wrap(fal.handle))
        settings = Settings(
            _env_file=None,
            data_dir=Path(tmp),
            env="test",
            text_provider="openai",
            openai_api_key=SecretStr("sk-bench"),
            openai_base_url=OPENAI,
            image_provider="fal",
            fal_key=SecretStr("bench:key"),
            max_active_jobs_per_owner=10_000,
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            pipeline = app.state.services.pipeline
            await close_providers(pipeline.text, pipeline.images)  # the ones built from config, replaced below
            pipeline.text = OpenAITextModel(OpenAIClient(settings, policy=policy))
            pipeline.images = FalImageModel(
                FalClient(settings, policy=policy, poll_interval=0.001), settings.fal_image_model
            )
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
                ids = await asyncio.gather(*(_drive(http, app, f"safety lesson {n}", scenes) for n in range(jobs)))
                for job_id in ids:
                    if job_id.startswith("refused:"):
                        report.refused[int(job_id.split(":")[1])] += 1
                        continue
                    job = (await http.get(f"/api/v1/jobs/{job_id}")).json()
                    report.statuses[job["status"]] += 1
                    if job["status"] == "failed":
                        report.reasons[job["error"]["message"] if job["error"] else "(no reason given)"] += 1
                    elif job["status"] == "completed":
                        comic = (await http.get(f"/api/v1/comics/{job_id}/result")).json()
                        report.failed_panels += sum(p["status"] == "failed" for p in comic["panels"])
            await close_providers(pipeline.text, pipeline.images)
    report.faults = faults.injected
    report.vendor_requests = faults.passed + faults.total
    report.pictures_paid = len(fal.billed)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--rate", type=float, default=0.3, help="share of vendor requests that fail")
    parser.add_argument("--scenes", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--delay-scale", type=float, default=0.1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # retries log a warning each; the summary is what counts

    for label, rate in (("with faults", args.rate), ("baseline, no faults", 0.0)):
        report = asyncio.run(run(args.jobs, rate, args.scenes, args.seed, args.delay_scale))
        faults = ", ".join(f"{kind}: {n}" for kind, n in sorted(report.faults.items())) or "none"
        print(
            f"{label}: {report.jobs} jobs, {report.vendor_requests} vendor requests, "
            f"{sum(report.faults.values())} faults injected ({faults}); {report.pictures_paid} pictures paid for"
        )
        print(f"  completed: {report.statuses['completed']} (with {report.failed_panels} failed panels among them)")
        print(f"  failed:    {report.statuses['failed']}")
        for reason, count in report.reasons.most_common():
            print(f"    {count} x {reason}")
        print(f"  stayed running: {report.stuck}")
        for status, count in sorted(report.refused.items()):
            meaning = (
                "the vendor stayed down through every retry; the client is told to retry later"
                if status == 503
                else "a bug"
                if status >= 500
                else "refused"
            )
            print(f"  not started: {count} answered {status} ({meaning})")
        if report.stuck or report.refused[500]:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
