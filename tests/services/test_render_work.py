"""Render work that never ends or never stops (issue 15): render-all stays within MAX_CONCURRENT_RENDERS and
coalesces its comic writes; whatever stops a render leaves its panel pending or failed, never `rendering`;
deleting a project stops its renders and leaves no image of it behind."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from app.errors import Conflict, NotFound, StorageError
from app.models.schemas import Character, Comic, Panel, Scene
from app.services.comics.comic_writes import ComicWrites
from app.services.providers.protocols import RenderedImage
from app.storage.data_manager import DataManager
from app.storage.json_backend import JsonBackend
from config import Settings
from tests.conftest import services, settle

API = "/api/v1"


async def test_a_cancelled_image_write_still_finishes_before_its_comic_is_deleted(tmp_path: Path) -> None:
    data = DataManager(JsonBackend(tmp_path))
    await data.open()
    comic = await data.create_comic(Comic(title="t", topic="t"))
    started, gate, original = asyncio.Event(), asyncio.Event(), data.backend.put_image
    writes: list[asyncio.Future[Any]] = []

    async def put_that_outlives_its_caller(record: Any, content: bytes | None) -> Any:
        async def write() -> Any:  # like asyncio.to_thread: cancelling the caller leaves the write running
            started.set()
            await gate.wait()
            return await original(record, content)

        writes.append(asyncio.ensure_future(write()))
        return await asyncio.shield(writes[-1])

    data.backend.put_image = put_that_outlives_its_caller
    store = asyncio.create_task(data.store_image(tiny_png(), kind="panel", comic_id=comic.id))
    await started.wait()
    store.cancel()  # a render cancelled by the delete, its image write still under way
    with pytest.raises(asyncio.CancelledError):
        await store
    delete = asyncio.create_task(data.delete_comic(comic.id))
    done, _ = await asyncio.wait({delete}, timeout=0.5)
    assert not done  # the delete waits for the write; it did not run ahead and leave the image behind
    gate.set()
    await delete
    await asyncio.gather(*writes)
    assert await data.backend.list_images(comic_id=comic.id) == []
    assert len(data.backend.images) == 0 and not list((tmp_path / "images").rglob("*.png"))
    await data.close()


def tiny_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "skyblue").save(out, format="PNG")
    return out.getvalue()


class GatedImages:
    """A fake image model: each panel render waits at a gate the test opens; counts what it was asked."""

    name = "gated"

    def __init__(self, *, as_bytes: bool = False, wave: int = 0) -> None:
        self.as_bytes, self.wave = as_bytes, wave
        self.entered = 0
        self.waiting: list[asyncio.Future[None]] = []
        self.arrived = asyncio.Event()
        self.open = False

    def result(self) -> RenderedImage:
        if self.as_bytes:
            return RenderedImage(
                data=tiny_png(), url=None, content_type="image/png", width=64, height=64, model="gated"
            )
        return RenderedImage(
            data=None, url="https://fal.media/files/a.png", content_type="image/png", width=64, height=64, model="gated"
        )

    async def render_character(self, **_: Any) -> RenderedImage:
        return self.result()

    async def render_panel(self, **_: Any) -> RenderedImage:
        self.entered += 1
        self.arrived.set()
        if not self.open:
            gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self.waiting.append(gate)
            if self.wave and len(self.waiting) >= self.wave:  # a wave in flight: let them all finish together
                self.release()
            await gate
        return self.result()

    def release(self, *, for_good: bool = False) -> None:
        self.open = self.open or for_good
        for gate in self.waiting:
            if not gate.done():
                gate.set_result(None)
        self.waiting.clear()

    async def until_waiting(self, count: int) -> None:
        while len(self.waiting) < count:
            self.arrived.clear()
            await self.arrived.wait()

    async def close(self) -> None:
        pass


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        env="test",
        text_provider="offline",
        image_provider="offline",
        api_keys=[],
        supabase_jwt_secret=None,
        max_concurrent_renders=4,
    )


async def a_comic(app: FastAPI, panels: int) -> Comic:
    cast = [Character(id="max", name="Max", description="a boy in a red cap")]
    scene = Scene(
        scene_id="s1",
        title="The crossing",
        description="Max waits at the kerb.",
        dialogue=[],
        learning_point="look both ways",
    )
    comic = Comic(
        title="Safe Streets",
        topic="road safety",
        characters=cast,
        scenes=[scene],
        panels=[
            Panel(scene_id="s1", title=f"Panel {n}", description=f"Max at crossing {n}", characters=["Max"])
            for n in range(panels)
        ],
    )
    return await services(app).data.create_comic(comic)


def count_comic_saves(app: FastAPI, inspect: Callable[[Comic], None] = lambda comic: None) -> list[Comic]:
    backend = services(app).data.backend
    original = backend.save_comic
    saved: list[Comic] = []

    async def save_comic(comic: Comic, *, expected_version: int | None) -> Comic:
        inspect(comic)
        stored = await original(comic, expected_version=expected_version)
        saved.append(stored)
        return stored

    backend.save_comic = save_comic
    return saved


def statuses(comic: Comic) -> list[str]:
    return [p.status for p in comic.panels]


# -- render-all: bounded and coalesced ---------------------------------------------------------------


async def test_render_all_keeps_the_limit_in_flight_and_writes_the_comic_less_than_once_a_panel(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    panels, limit = 60, services(app).settings.max_concurrent_renders
    comic = await a_comic(app, panels)
    services(app).pipeline.images = GatedImages(wave=limit)
    saves = count_comic_saves(app)
    answer = await client.post(f"{API}/projects/{comic.id}/panels/render")
    assert answer.status_code == 202, answer.text
    await settle(app)

    job = (await client.get(f"{API}/jobs/{answer.json()['job_id']}")).json()
    assert (job["status"], job["progress"]) == ("completed", 100)
    assert statuses(await services(app).data.backend.get_comic(comic.id)) == ["rendered"] * panels
    most_rendering = max(statuses(c).count("rendering") for c in saves)
    assert most_rendering <= limit  # never more panels in flight than the limit
    assert len(saves) <= panels + limit  # one write carries a panel's outcome and the next one's claim


async def test_changes_queued_during_a_write_share_the_next_one(tmp_path: Path) -> None:
    data = DataManager(JsonBackend(tmp_path))
    await data.open()
    comic = await data.create_comic(
        Comic(
            title="t",
            topic="t",
            panels=[Panel(panel_id=f"p{n}", scene_id="s", title="t", description="d") for n in range(10)],
        )
    )
    gate, writes = asyncio.Event(), ComicWrites(data)
    original, saved = data.backend.save_comic, []

    async def slow_save(record: Comic, *, expected_version: int | None) -> Comic:
        await gate.wait()
        saved.append(record)
        return await original(record, expected_version=expected_version)

    data.backend.save_comic = slow_save

    def mark(panel_id: str) -> Callable[[Comic], Comic]:
        def change(current: Comic) -> Comic:
            next(p for p in current.panels if p.panel_id == panel_id).status = "rendered"
            return current

        return change

    def refuse(current: Comic) -> Comic:
        raise Conflict("not this one")

    first = writes.submit(comic.id, mark("p0"))
    await asyncio.sleep(0)  # the first write is under way (held at the gate)
    later = [writes.submit(comic.id, mark(f"p{n}")) for n in range(1, 10)] + [writes.submit(comic.id, refuse)]
    gate.set()
    await first
    results = await asyncio.gather(*later, return_exceptions=True)
    assert len(saved) == 2  # the first change, then the nine queued behind it together
    assert all(isinstance(r, Comic) for r in results[:-1]) and isinstance(results[-1], Conflict)
    assert statuses(await data.get_comic(comic.id)) == ["rendered"] * 10
    await data.close()


# -- nothing stays `rendering` ---------------------------------------------------------------------


async def test_cancelling_render_all_puts_the_panels_in_flight_back_to_pending(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    limit = services(app).settings.max_concurrent_renders
    comic = await a_comic(app, 12)
    images = GatedImages()
    services(app).pipeline.images = images
    job_id = (await client.post(f"{API}/projects/{comic.id}/panels/render")).json()["job_id"]
    await images.until_waiting(limit)
    assert (await client.post(f"{API}/jobs/{job_id}/cancel")).status_code == 200
    stored = await services(app).data.backend.get_comic(comic.id)  # what is on disk, not a read-side repair
    assert "rendering" not in statuses(stored)
    assert statuses(stored) == ["pending"] * 12
    assert (await client.get(f"{API}/jobs/{job_id}")).json()["status"] == "cancelled"


@pytest.mark.parametrize("failure", [StorageError("storage failure (disk full)"), Conflict("comic changed meanwhile")])
async def test_a_render_whose_result_cannot_be_saved_ends_failed_and_retryable(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, failure: Exception
) -> None:
    comic = await a_comic(app, 2)
    panel_id = comic.panels[0].panel_id
    services(app).pipeline.images = GatedImages()
    services(app).pipeline.images.open = True

    def refuse_outcomes(record: Comic) -> None:  # the claim is written; the image and the failure are not
        if not any(p.status == "rendering" for p in record.panels):
            raise failure

    count_comic_saves(app, refuse_outcomes)
    answer = await client.post(f"{API}/projects/{comic.id}/panels/{panel_id}/render")
    assert answer.status_code >= 400 and "Traceback" not in answer.text
    assert (await services(app).data.backend.get_comic(comic.id)).panels[0].status == "rendering"  # the write failed
    shown = (await client.get(f"{API}/projects/{comic.id}")).json()["panels"][0]
    assert (shown["status"], shown["retryable"]) == ("failed", True)

    # with storage working again, a render-all redraws it (nothing is stuck)
    services(app).data.backend.save_comic = type(services(app).data.backend).save_comic.__get__(
        services(app).data.backend
    )
    assert (await client.post(f"{API}/projects/{comic.id}/panels/render")).status_code == 202
    await settle(app)
    assert statuses(await services(app).data.backend.get_comic(comic.id)) == ["rendered", "rendered"]


async def test_an_unexpected_error_in_a_render_marks_its_panel_failed_and_retryable(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    comic = await a_comic(app, 3)

    class Broken(GatedImages):
        async def render_panel(self, **kwargs: Any) -> RenderedImage:
            if kwargs["panel"].title == "Panel 1":
                raise RuntimeError("a bug")
            return self.result()

    services(app).pipeline.images = Broken()
    job_id = (await client.post(f"{API}/projects/{comic.id}/panels/render")).json()["job_id"]
    await settle(app)
    stored = await services(app).data.backend.get_comic(comic.id)
    assert statuses(stored) == ["rendered", "failed", "rendered"]  # one failing panel does not stop the others
    assert stored.panels[1].retryable and "a bug" not in (stored.panels[1].error or "")
    assert (await client.get(f"{API}/jobs/{job_id}")).json()["status"] == "completed"


# -- delete stops the renders and leaves nothing ---------------------------------------------------


async def test_deleting_a_project_mid_render_all_leaves_no_image_of_it(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    comic = await a_comic(app, 12)
    images = GatedImages(as_bytes=True)
    services(app).pipeline.images = images
    job_id = (await client.post(f"{API}/projects/{comic.id}/panels/render")).json()["job_id"]
    await images.until_waiting(4)
    images.release()  # the first four finish (their images are kept) while the next four are drawn
    await images.until_waiting(4)
    assert (await client.delete(f"{API}/projects/{comic.id}")).status_code == 204
    images.release(for_good=True)  # anything still running would now record its images
    await settle(app)
    assert await services(app).data.backend.list_images(comic_id=comic.id) == []
    assert not list(settings.images_dir.rglob("*.png"))
    stats = (await client.get(f"{API}/storage/stats")).json()
    assert (stats["image_storage"]["total_images"], stats["json_storage"]["total_comics"]) == (0, 0)
    assert (await client.get(f"{API}/jobs/{job_id}")).status_code == 404


async def test_deleting_a_project_stops_a_single_panel_render_in_flight(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    comic = await a_comic(app, 2)
    images = GatedImages(as_bytes=True)
    services(app).pipeline.images = images
    render = asyncio.create_task(client.post(f"{API}/projects/{comic.id}/panels/{comic.panels[0].panel_id}/render"))
    await images.until_waiting(1)
    assert (await client.delete(f"{API}/projects/{comic.id}")).status_code == 204
    images.release(for_good=True)
    answer = await render
    assert await services(app).data.backend.list_images(comic_id=comic.id) == []
    assert not list(settings.images_dir.rglob("*.png"))
    assert answer.status_code == 404 and "deleted" in answer.json()["detail"]
    assert (await client.get(f"{API}/storage/stats")).json()["image_storage"]["total_images"] == 0


async def test_an_image_write_in_flight_finishes_before_its_comic_is_deleted(tmp_path: Path) -> None:
    data = DataManager(JsonBackend(tmp_path))
    await data.open()
    comic = await data.create_comic(Comic(title="t", topic="t"))
    gate, original = asyncio.Event(), data.backend.put_image

    async def slow_put(record: Any, content: bytes | None) -> Any:
        await gate.wait()
        return await original(record, content)

    data.backend.put_image = slow_put
    store = asyncio.create_task(data.store_image(tiny_png(), kind="panel", comic_id=comic.id))
    await asyncio.sleep(0)
    delete = asyncio.create_task(data.delete_comic(comic.id))
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(store, delete)
    assert await data.backend.list_images(comic_id=comic.id) == []  # the delete waited for it, then took it
    with pytest.raises(NotFound):  # and the comic is gone: no image may name it now
        await data.store_image(tiny_png(), kind="panel", comic_id=comic.id)
    assert len(data.backend.images) == 0 and not list((tmp_path / "images").rglob("*.png"))
    await data.close()
