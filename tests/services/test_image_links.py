"""Image URLs are built from ids by the API layer (app/api/urls.py) and handed to the services: a comic
keeps the URL it is given beside each image id, and nothing below the API spells a route."""

from __future__ import annotations

from pathlib import Path

from app.api.signing import ImageUrlSigner
from app.api.urls import API_PREFIX, image_url
from app.models.schemas import Comic, Panel
from app.services.jobs.runner import JobRunner
from app.services.providers.offline_art import OfflineImageModel
from app.services.providers.offline_text import OfflineTextModel
from app.services.comics.pipeline import ComicPipeline
from app.storage.data_manager import DataManager
from app.storage.json_backend import JsonBackend


def test_image_urls_follow_the_api_prefix_and_are_signed_as_such() -> None:
    url = image_url("01a20772-ee21-7343-8783-db2ad3508998")
    assert url == f"{API_PREFIX}/images/01a20772-ee21-7343-8783-db2ad3508998" and API_PREFIX == "/api/v1"
    signed = ImageUrlSigner(b"k" * 32).sign(url, "ann")
    assert signed is not None and signed.startswith(f"{url}?exp=") and "&sig=" in signed
    assert (
        ImageUrlSigner(b"k" * 32).sign("https://v3.fal.media/files/a.png", "ann") == "https://v3.fal.media/files/a.png"
    )


async def test_a_rendered_panel_keeps_the_urls_the_api_layer_names_its_images_by(tmp_path: Path) -> None:
    data = DataManager(JsonBackend(tmp_path))
    await data.open()
    runner = JobRunner(data)
    pipeline = ComicPipeline(
        data=data,
        runner=runner,
        text=OfflineTextModel(),
        images=OfflineImageModel(),
        max_concurrent_renders=2,
        image_link=lambda image_id: f"/elsewhere/v9/pictures/{image_id}",
    )
    panel = Panel(panel_id="p1", scene_id="s1", title="Stop", description="Max stops at the curb.")
    comic = await data.create_comic(Comic(title="Curb", topic="road safety", panels=[panel]))
    job = await pipeline.start_render_all(comic.id)
    await runner.wait_idle()
    assert (await data.get_job(job.id)).status == "completed"
    drawn = (await data.get_comic(comic.id)).panels[0]
    assert drawn.image_id and drawn.art_id and drawn.image_id != drawn.art_id
    assert drawn.image_url == f"/elsewhere/v9/pictures/{drawn.image_id}"
    assert drawn.art_url == f"/elsewhere/v9/pictures/{drawn.art_id}"
    await data.close()
