"""Against a real Supabase project with the migration applied: skipped unless SUPABASE_URL and
SUPABASE_KEY (the service-role key) are set in the environment. It writes one comic, its job and an
image, reads them back through the backend, and removes them again."""

from __future__ import annotations

import os

import pytest

from app.errors import NotFound
from app.models.schemas import Comic, Job, Panel
from app.storage.data_manager import DataManager
from app.storage.supabase_backend import SupabaseBackend

URL, KEY = os.environ.get("SUPABASE_URL"), os.environ.get("SUPABASE_KEY")
pytestmark = pytest.mark.skipif(not (URL and KEY), reason="live Supabase: set SUPABASE_URL and SUPABASE_KEY to run")
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


async def test_a_round_trip_through_a_real_project() -> None:
    assert URL and KEY
    data = DataManager(SupabaseBackend(URL, KEY, os.environ.get("SUPABASE_BUCKET", "comic-images")))
    await data.open()
    comic = await data.create_comic(
        Comic(title="live test", topic="safety", panels=[Panel(scene_id="s1", title="p", description="d")])
    )
    try:
        job = await data.create_job(Job(comic_id=comic.id, topic="safety"))
        await data.update_job(job.id, lambda j: j.model_copy(update={"progress": 50}))
        image = await data.store_image(PNG, kind="panel", comic_id=comic.id, panel_id=comic.panels[0].panel_id)
        assert await data.read_image_bytes(image.id) == PNG
        assert (await data.get_job(job.id)).progress == 50
        assert (await data.get_comic(comic.id)).panels[0].title == "p"
    finally:
        await data.delete_comic(comic.id)
    try:
        with pytest.raises(NotFound):
            await data.get_comic(comic.id)
    finally:
        await data.close()
