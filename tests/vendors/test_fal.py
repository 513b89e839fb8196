"""The real fal-client SDK against an HTTP-layer fake of fal's queue and CDN (tests/fakes/fal.py):
the documented request shapes, the model choice, downloads that are refused, and failure isolation."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx
from fastapi import FastAPI
from PIL import Image
from pydantic import SecretStr

from app.errors import UpstreamError
from app.factory import create_app
from app.models.schemas import Character, Panel
from app.services.providers.fal_images import FalImageModel
from config import Settings
from external_services import FalClient, ImageFetcher, RetryPolicy, host_allowed
from tests.conftest import Sleeps, finished_comic, services
from tests.fakes.fal import FakeFal, Outcome, png

KEY = "fal-test-key-id:fal-test-secret-5678"
API = "/api/v1"


@pytest.fixture
def fal_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"image_provider": "fal", "fal_key": SecretStr(KEY), "max_image_bytes": 4096})


@pytest.fixture
def fake() -> FakeFal:
    return FakeFal()


@pytest.fixture
def vendor(fake: FakeFal) -> respx.MockRouter:
    with respx.mock(assert_all_called=False) as router:
        router.route(host="queue.fal.run").mock(side_effect=fake.handle)
        router.route(host="v3.fal.media").mock(side_effect=fake.handle)
        yield router


def model(settings: Settings, sleeps: Sleeps, **policy: Any) -> FalImageModel:
    client = FalClient(settings, policy=RetryPolicy(sleep=sleeps, **policy), poll_interval=0.001)
    return FalImageModel(client, settings.fal_image_model)


def noise_png(width: int, height: int) -> bytes:
    """A PNG that cannot compress below its pixel count (a plain one would slip under any cap)."""
    import io
    import random

    from PIL import Image

    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), random.Random(7).randbytes(width * height * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def hero(name: str = "Max", reference_url: str | None = None) -> Character:
    return Character(
        id=f"char-{name.lower()}",
        name=name,
        description=f"{name}, a brave kid",
        visual_tags=["red cap"],
        color_palette=["red"],
        reference_url=reference_url,
    )


async def test_a_character_sheet_goes_through_submit_status_and_result(
    fal_settings: Settings, sleeps: Sleeps, fake: FakeFal, vendor: respx.MockRouter
) -> None:
    artist = model(fal_settings, sleeps)
    image = await artist.render_character(character=hero(), style="cartoon")
    await artist.close()

    [submission] = fake.submissions
    assert submission.endpoint == "fal-ai/nano-banana"
    assert submission.headers["authorization"] == f"Key {KEY}"
    assert set(submission.arguments) == {"prompt", "num_images", "output_format", "aspect_ratio"}
    assert submission.arguments["num_images"] == 1 and submission.arguments["aspect_ratio"] == "3:2"
    assert "turnaround sheet of Max" in submission.arguments["prompt"]
    methods = [(m, url.split("?")[0]) for m, url in fake.calls]
    assert methods == [
        ("POST", "https://queue.fal.run/fal-ai/nano-banana"),
        ("GET", "https://queue.fal.run/fal-ai/nano-banana/requests/req-1/status"),  # IN_QUEUE
        ("GET", "https://queue.fal.run/fal-ai/nano-banana/requests/req-1/status"),  # COMPLETED
        ("GET", "https://queue.fal.run/fal-ai/nano-banana/requests/req-1/status"),  # the SDK's get() checks once more
        ("GET", "https://queue.fal.run/fal-ai/nano-banana/requests/req-1"),
        ("GET", "https://v3.fal.media/files/req-1.png"),
    ]
    assert image.data == png(64, 48, 1) and (image.width, image.height) == (64, 48)
    assert (image.url, image.model, image.content_type) == (
        "https://v3.fal.media/files/req-1.png",
        "fal-ai/nano-banana",
        "image/png",
    )


async def test_the_queue_host_comes_from_settings(fal_settings: Settings, sleeps: Sleeps) -> None:
    """FAL_QUEUE_RUN_HOST (a setting, not an environment variable read by fal-client at import) is where
    pictures are submitted; the next client built with the default goes back to queue.fal.run."""
    fake = FakeFal(queue="https://queue.example.test:9443")
    with respx.mock(assert_all_called=False) as router:
        router.route(host="queue.example.test").mock(side_effect=fake.handle)
        router.route(host="v3.fal.media").mock(side_effect=fake.handle)
        artist = model(fal_settings.model_copy(update={"fal_queue_run_host": "queue.example.test:9443"}), sleeps)
        await artist.render_character(character=hero(), style="cartoon")
        await artist.close()
    assert fake.calls[0] == ("POST", "https://queue.example.test:9443/fal-ai/nano-banana")
    assert FalClient(fal_settings).fal.client.QUEUE_URL_FORMAT == "https://queue.fal.run/"


async def test_a_panel_with_cast_references_uses_the_edit_model(
    fal_settings: Settings, sleeps: Sleeps, fake: FakeFal, vendor: respx.MockRouter
) -> None:
    artist = model(fal_settings, sleeps)
    panel = Panel(scene_id="scene-1", title="Crossing", description="A busy street", characters=["Max", "Zoe"])
    cast = [
        hero("Max", "https://v3.fal.media/files/max.png"),
        hero("Zoe", "https://v3.fal.media/files/zoe.png"),
        hero("Ann", "/api/v1/images/local-only"),
    ]
    await artist.render_panel(panel=panel, scene=None, cast=cast, style="cartoon")
    await artist.render_panel(panel=panel, scene=None, cast=[hero("Ann", "/api/v1/images/x")], style="cartoon")
    await artist.close()

    edit, plain = fake.submissions
    assert edit.endpoint == "fal-ai/nano-banana/edit"
    assert edit.arguments["image_urls"] == ["https://v3.fal.media/files/max.png", "https://v3.fal.media/files/zoe.png"]
    assert "Do not draw any text" in edit.arguments["prompt"] and edit.arguments["aspect_ratio"] == "4:3"
    assert plain.endpoint == "fal-ai/nano-banana" and "image_urls" not in plain.arguments  # nothing fal can fetch
    # the edit model's queue URLs name the app without its sub-path, and the SDK follows the ones fal gave
    assert ("GET", "https://queue.fal.run/fal-ai/nano-banana/requests/req-1") in fake.calls


async def test_seedream_is_chosen_by_config_for_both_kinds(
    fal_settings: Settings, sleeps: Sleeps, fake: FakeFal, vendor: respx.MockRouter
) -> None:
    artist = model(fal_settings.model_copy(update={"fal_image_model": "seedream-v4"}), sleeps)
    panel = Panel(scene_id="scene-1", title="Park", description="A park", characters=["Max"])
    await artist.render_character(character=hero(), style="cartoon")
    await artist.render_panel(
        panel=panel, scene=None, cast=[hero("Max", "https://v3.fal.media/files/m.png")], style="cartoon"
    )
    await artist.close()
    sheet, edit = fake.submissions
    assert sheet.endpoint == "fal-ai/bytedance/seedream/v4/text-to-image"
    assert sheet.arguments["image_size"] == {"width": 1536, "height": 1024} and "image_urls" not in sheet.arguments
    assert edit.endpoint == "fal-ai/bytedance/seedream/v4/edit"
    assert edit.arguments["image_urls"] == ["https://v3.fal.media/files/m.png"]
    assert edit.arguments["num_images"] == 1 and edit.arguments["enable_safety_checker"] is True


async def test_429_then_a_failing_result_are_retried_to_success(
    fal_settings: Settings, sleeps: Sleeps, fake: FakeFal, vendor: respx.MockRouter
) -> None:
    script = iter([Outcome(submit_status=429), Outcome(result_status=503), None])
    fake.plan = lambda endpoint, arguments: next(script)
    artist = model(fal_settings, sleeps)
    image = await artist.render_character(character=hero(), style="cartoon")
    await artist.close()
    assert len(fake.submissions) == 3
    assert len(sleeps.delays) == 1  # the 429 was retried by fal-client itself; the 503 by our policy
    assert image.url == "https://v3.fal.media/files/req-3.png"


@pytest.mark.parametrize(
    ("outcome", "message", "code"),
    [
        (Outcome(submit_status=401), "fal.ai rejected the key (401): check FAL_KEY", "provider_auth_failed"),
        (
            Outcome(result_status=422, error_type="content_policy_violation"),
            "fal.ai refused the picture under its content policy",
            "content_refused",
        ),
        (
            Outcome(submit_status=404),
            "fal.ai does not know this model (404): check FAL_IMAGE_MODEL",
            "provider_rejected",
        ),
    ],
)
async def test_refusals_fail_at_once_without_the_vendor_body(
    fal_settings: Settings,
    sleeps: Sleeps,
    fake: FakeFal,
    vendor: respx.MockRouter,
    outcome: Outcome,
    message: str,
    code: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.plan = lambda endpoint, arguments: outcome
    artist = model(fal_settings, sleeps)
    with pytest.raises(UpstreamError) as raised:
        await artist.render_character(character=hero(), style="cartoon")
    await artist.close()
    assert (raised.value.message, raised.value.code, raised.value.retryable) == (message, code, False)
    assert len(fake.submissions) == 1 and sleeps.delays == []
    assert "xyzzy" not in caplog.text and KEY not in caplog.text


async def test_a_call_that_never_finishes_times_out_and_is_cancelled(
    fal_settings: Settings, sleeps: Sleeps, fake: FakeFal, vendor: respx.MockRouter
) -> None:
    fake.plan = lambda endpoint, arguments: Outcome(never_completes=True)
    artist = model(fal_settings.model_copy(update={"image_timeout_seconds": 0.3}), sleeps, attempts=2)
    with pytest.raises(UpstreamError) as raised:
        await artist.render_character(character=hero(), style="cartoon")
    await artist.close()
    assert raised.value.message.startswith("fal.ai timed out, retried 1 times")
    assert raised.value.retryable and len(fake.submissions) == 2
    assert all(s.cancelled for s in fake.submissions)  # nobody pays for pictures no one waits for


def cdn(router: respx.MockRouter, host: str, response: httpx.Response) -> respx.Route:
    return router.route(host=host).mock(return_value=response)


@pytest.mark.parametrize(
    ("url", "response", "reason"),
    [
        ("https://evil.example/x.png", None, "evil.example, which is not in ALLOWED_IMAGE_HOSTS"),
        ("http://v3.fal.media/x.png", None, "v3.fal.media, which is not in ALLOWED_IMAGE_HOSTS"),
        (
            "https://v3.fal.media/big.png",
            httpx.Response(200, content=noise_png(64, 64), headers={"content-type": "image/png"}),
            "over the 4096-byte limit",
        ),
        (
            "https://v3.fal.media/page.png",
            httpx.Response(200, text="<html>", headers={"content-type": "text/html"}),
            "of type 'text/html'",
        ),
        (
            "https://v3.fal.media/moved.png",
            httpx.Response(302, headers={"location": "https://evil.example/x.png"}),
            "redirects elsewhere",
        ),
        (
            "https://v3.fal.media/fake.png",
            httpx.Response(200, content=b"GIF89a" + b"\0" * 50, headers={"content-type": "image/png"}),
            "not a readable image",
        ),
    ],
)
async def test_a_download_that_is_not_a_safe_image_is_refused(
    fal_settings: Settings, url: str, response: httpx.Response | None, reason: str
) -> None:
    with respx.mock(assert_all_called=False) as router:
        evil = router.route(host="evil.example").mock(
            return_value=httpx.Response(200, content=png(8, 8, 1), headers={"content-type": "image/png"})
        )
        if response is not None:
            router.get(url).mock(return_value=response)
        fetcher = ImageFetcher(fal_settings.allowed_image_hosts, max_bytes=fal_settings.max_image_bytes)
        with pytest.raises(Exception) as raised:
            await fetcher.fetch(url)
        await fetcher.close()
    assert reason in str(raised.value)
    assert evil.call_count == 0


async def test_an_oversized_stream_without_a_length_is_cut_off(fal_settings: Settings) -> None:
    sent: list[int] = []

    async def chunks():
        for _ in range(100):
            sent.append(1)
            yield b"\x89PNG" + b"\0" * 1020

    with respx.mock() as router:
        router.get("https://v3.fal.media/endless.png").mock(
            return_value=httpx.Response(200, content=chunks(), headers={"content-type": "image/png"})
        )
        fetcher = ImageFetcher(["*.fal.media"], max_bytes=4096)
        with pytest.raises(Exception, match="over the 4096-byte limit"):
            await fetcher.fetch("https://v3.fal.media/endless.png")
        await fetcher.close()
    assert len(sent) < 10  # it stopped reading at the cap, not at the end


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://fal.media/a.png", True),
        ("https://v3.fal.media/a.png", True),
        ("https://V3.FAL.MEDIA/a.png", True),
        ("https://fal.media.evil.com/a.png", False),
        ("https://evilfal.media/a.png", False),
        ("https://user@v3.fal.media/a.png", False),
        ("ftp://fal.media/a.png", False),
        ("http://v3.fal.media/a", False),
        ("http://127.0.0.1:9000/a.png", True),
        ("http://127.0.0.1:9001/a.png", False),
        ("https://127.0.0.1/a.png", False),
    ],
)
def test_host_patterns(url: str, allowed: bool) -> None:
    assert host_allowed(url, ["fal.media", "*.fal.media", "127.0.0.1:9000"]) is allowed


# -- the wizard on fal.ai --------------------------------------------------------------------------


@pytest.fixture
async def fal_app(fal_settings: Settings, sleeps: Sleeps) -> AsyncIterator[FastAPI]:
    application = create_app(fal_settings)
    async with application.router.lifespan_context(application):
        assert services(application).pipeline.images.name == "fal.ai"  # chosen by config, not injected
        services(application).pipeline.images = model(fal_settings, sleeps)
        yield application
        await services(application).pipeline.images.close()


@pytest.fixture
async def http(fal_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fal_app), base_url="http://t") as client:
        yield client


async def test_the_wizard_renders_on_fal_and_keeps_every_image_with_its_source(
    http: httpx.AsyncClient, fal_app: FastAPI, fake: FakeFal, vendor: respx.MockRouter
) -> None:
    job_id, comic = await finished_comic(http, fal_app, num_scenes=3)
    cast, panels = comic["characters"], comic["panels"]
    assert all(p["status"] == "rendered" for p in panels) and len(panels) == 3
    sheets = [s for s in fake.submissions if "image_urls" not in s.arguments]
    edits = [s for s in fake.submissions if s.endpoint == "fal-ai/nano-banana/edit"]
    assert len(sheets) == len(cast) and len(edits) == len([p for p in panels if p["characters"]])
    references = {c["name"]: c["reference_url"] for c in cast}
    for submission in edits:  # every edit call carries the sheets of cast members fal rendered
        assert set(submission.arguments["image_urls"]) <= set(references.values())
    data = services(fal_app).data
    for panel in panels:
        lettered = await data.get_image(panel["image_id"])
        assert lettered.art_id == panel["art_id"] and lettered.source_url is None
        assert Image.open(io.BytesIO(await data.read_image_bytes(lettered.id))).size == (640, 480)  # enlarged to letter
        record = await data.get_image(panel["art_id"])
        assert record.source_url.startswith("https://v3.fal.media/files/") and record.model.startswith("fal-ai/")
        assert (record.width, record.height, record.content_type) == (64, 48, "image/png")
        assert record.size_bytes == len(await data.read_image_bytes(record.id)) > 0
        number = int(record.source_url.removeprefix("https://v3.fal.media/files/req-").removesuffix(".png"))
        assert (await http.get(panel["art_url"])).content == png(64, 48, number)  # the bytes fal made
    job = await data.get_job(job_id)
    assert job.data.model_dump()["usage"]["image_calls"] == len(fake.submissions) == len(cast) + len(panels)


async def test_one_failing_panel_leaves_the_others_rendered(
    http: httpx.AsyncClient, fal_app: FastAPI, fake: FakeFal, vendor: respx.MockRouter
) -> None:
    panels_seen: list[str] = []

    def plan(endpoint: str, arguments: dict[str, Any]) -> Outcome | None:
        if "panel" not in arguments["prompt"]:
            return None
        panels_seen.append(arguments["prompt"])
        if len(panels_seen) == 2:
            return Outcome(result_status=422, error_type="content_policy_violation")
        return None

    fake.plan = plan
    job_id, comic = await finished_comic(http, fal_app, num_scenes=4)
    statuses = [p["status"] for p in comic["panels"]]
    assert sorted(statuses) == ["failed", "rendered", "rendered", "rendered"]
    failed = next(p for p in comic["panels"] if p["status"] == "failed")
    assert failed["error"] == "fal.ai refused the picture under its content policy"
    assert failed["retryable"] is False and failed["image_url"] is None
    status = (await http.get(f"{API}/jobs/{job_id}")).json()
    assert (status["status"], status["progress"], status["error"]) == ("completed", 100, None)


async def test_a_bad_key_fails_the_job_with_a_sentence_and_no_secret(
    http: httpx.AsyncClient, fal_app: FastAPI, fake: FakeFal, vendor: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    fake.plan = lambda endpoint, arguments: Outcome(submit_status=401)
    job_id = (await http.post(f"{API}/comics/scenes/generate", json={"topic": "safety", "num_scenes": 2})).json()[
        "job_id"
    ]
    await services(fal_app).runner.wait_idle()
    assert (await http.post(f"{API}/comics/{job_id}/generate")).status_code == 202
    await services(fal_app).runner.wait_idle()
    status = (await http.get(f"{API}/jobs/{job_id}")).json()
    assert status["status"] == "failed"
    assert status["error"] == {
        "code": "provider_auth_failed",
        "message": "fal.ai rejected the key (401): check FAL_KEY",
    }
    assert KEY not in json.dumps(status) and KEY not in caplog.text and "xyzzy" not in caplog.text
