"""Records written by earlier versions still load, in the shape the code reads today (migrated on read).

The literals below are what the previous version wrote (a wizard comic made by `python -m app.cli make`,
trimmed to one scene, character and panel), not what today's models would write.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.models.schemas import Comic, Job, JobUsage, RenderPanelsPayload, SceneRefinement, StoryPayload, WizardPayload
from app.storage.data_manager import DataManager
from app.storage.json_backend import JsonBackend
from app.storage.rows import comic_from_rows, comic_rows, job_from_row, job_row

WIZARD_JOB = "01a20772-ec0a-700d-93cd-a9739ef55249"
STORY_JOB = "01a20772-ec0a-700d-93cd-a9739ef5524a"
RENDER_JOB = "01a20772-ec0a-700d-93cd-a9739ef5524b"
COMIC_ID = "01a20772-ec0a-700c-a8db-367b4635e1b8"


def old_comic(**changes: Any) -> dict[str, Any]:
    """A comic as the previous version stored it: its wizard job in both `job_id` and `job_ids`."""
    comic = {
        "id": COMIC_ID,
        "owner_id": None,
        "version": 13,
        "created_at": "2026-11-23T08:08:21.770302Z",
        "updated_at": "2026-11-23T08:08:22.489051Z",
        "title": "Adventures in Road Safety",
        "topic": "road safety",
        "age_group": "5-12",
        "style": "cartoon",
        "status": "completed",
        "job_id": WIZARD_JOB,
        "job_ids": [WIZARD_JOB],
        "prompt": None,
        "story": "",
        "story_status": "idle",
        "story_error": None,
        "scenes": [
            {
                "scene_id": "scene-1",
                "title": "A Day About Road Safety",
                "description": "Max and Bolt meet on the street. Today is all about road safety.",
                "dialogue": [{"speaker": "Max", "text": "Today we learn about road safety!"}],
                "learning_point": "Learning about road safety helps us every day.",
                "visual_elements": ["friends waving", "sunny sky"],
                "setting": "street",
                "revision": 0,
            }
        ],
        "written_scenes": [],
        "characters": [
            {
                "id": "max",
                "name": "Max",
                "description": "An energetic boy with a red cap.",
                "character_type": "humanoid",
                "visual_tags": ["boy", "red cap"],
                "age_group": "3-12",
                "color_palette": ["#E53935"],
                "brief": None,
                "era": None,
                "visual_form": None,
                "distinctive_markers": [],
                "demeanor": "energetic and eager",
                "role": "protagonist",
                "image_url": "/api/v1/images/01a20772-ec3b-722a-853d-205e6a1f80d8",
                "image_id": "01a20772-ec3b-722a-853d-205e6a1f80d8",
                "reference_url": None,
                "image_history": [],
            }
        ],
        "panels": [
            {
                "panel_id": "01a20772-ec18-7277-86e3-857cdce207b5",
                "scene_id": "scene-1",
                "title": "A Day About Road Safety",
                "description": "Max and Bolt meet on the street.",
                "characters": ["Max"],
                "dialogue": [{"speaker": "Max", "text": "Today we learn about road safety!"}],
                "narration": "Max and Bolt meet on the street.",
                "image_url": "/api/v1/images/01a20772-ee21-7343-8783-db2ad3508998",
                "image_path": "images/panels/01a20772-ee21-7343-8783-db2ad3508998.png",
                "image_id": "01a20772-ee21-7343-8783-db2ad3508998",
                "art_url": "/api/v1/images/01a20772-ec88-70a6-8cb8-0ea97d818c7c",
                "art_id": "01a20772-ec88-70a6-8cb8-0ea97d818c7c",
                "status": "rendered",
                "error": None,
                "retryable": False,
                "stale": False,
                "image_history": [],
            }
        ],
    }
    return {**comic, **changes}


def old_job(job_id: str, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": job_id,
        "owner_id": None,
        "version": 18,
        "created_at": "2026-11-23T08:08:21.770360Z",
        "updated_at": "2026-11-23T08:08:22.490089Z",
        "comic_id": COMIC_ID,
        "kind": kind,
        "topic": "road safety",
        "status": "completed",
        "step": "done",
        "progress": 100,
        "error": None,
        "data": data,
    }


async def opened_with(root: Path, comic: dict[str, Any], jobs: list[dict[str, Any]]) -> DataManager:
    """A DATA_DIR holding these records as the previous version wrote them, opened by today's code."""
    (root / "comics").mkdir(parents=True)
    (root / "jobs").mkdir()
    (root / "comics" / f"{comic['id']}.json").write_text(json.dumps(comic))
    for job in jobs:
        (root / "jobs" / f"{job['id']}.json").write_text(json.dumps(job))
    data = DataManager(JsonBackend(root))
    await data.open()
    return data


async def test_an_old_wizard_comic_loads_with_its_job_id_among_job_ids(tmp_path: Path) -> None:
    data = await opened_with(tmp_path, old_comic(), [old_job(WIZARD_JOB, "wizard", {"num_scenes": 6})])
    comic = await data.get_comic(COMIC_ID)
    assert comic.job_ids == [WIZARD_JOB]  # listed once: it was in both
    assert "job_id" not in comic.model_dump()
    # what it showed before is still there: its images by id and by URL
    assert comic.panels[0].image_url == "/api/v1/images/01a20772-ee21-7343-8783-db2ad3508998"
    assert comic.characters[0].image_id == "01a20772-ec3b-722a-853d-205e6a1f80d8"

    await data.update_comic(COMIC_ID, lambda c: c.model_copy(update={"title": "Road Safety"}))
    stored = json.loads((tmp_path / "comics" / f"{COMIC_ID}.json").read_text())
    assert "job_id" not in stored and stored["job_ids"] == [WIZARD_JOB]
    await data.close()


async def test_an_old_story_job_kept_only_in_job_id_joins_job_ids_and_goes_with_its_comic(tmp_path: Path) -> None:
    comic = old_comic(job_id=STORY_JOB, job_ids=[RENDER_JOB], story="Once upon a time.", story_status="completed")
    jobs = [old_job(STORY_JOB, "story", {}), old_job(RENDER_JOB, "render_panels", {})]
    data = await opened_with(tmp_path, comic, jobs)
    assert (await data.get_comic(COMIC_ID)).job_ids == [RENDER_JOB, STORY_JOB]
    bundle = await data.export_comic_data(COMIC_ID)
    assert {row["id"] for row in bundle["tables"]["jobs"]} == {RENDER_JOB, STORY_JOB}
    await data.delete_comic(COMIC_ID)
    assert list((tmp_path / "jobs").glob("*.json")) == []  # the story's job went with its comic
    await data.close()


def test_an_old_supabase_comic_row_loads_with_its_job_id_among_job_ids() -> None:
    rows = comic_rows(Comic.model_validate(old_comic(job_id=None, job_ids=[RENDER_JOB])))
    head = rows["comics"][0]
    head["data"] = {**head["data"], "job_id": STORY_JOB}  # the previous version kept it in `data`
    comic = comic_from_rows(head, rows["scenes"], rows["characters"], rows["panels"])
    assert comic.job_ids == [RENDER_JOB, STORY_JOB]
    assert "job_id" not in comic_rows(comic)["comics"][0]["data"]


OLD_PAYLOADS = {  # a job's `data` as the previous version wrote it, by kind
    "wizard": {
        "num_scenes": 4,
        "character_ids": ["max", "luna"],
        "refine": {"feedback": "make it funnier", "scene_ids": ["scene-2"]},
        "usage": {"tokens": 42, "text_calls": 3, "image_calls": 9},
    },
    "render_panels": {"usage": {"tokens": 0, "text_calls": 0, "image_calls": 12}},
    "story": {},
}


async def test_old_jobs_load_with_a_typed_payload_and_are_written_back_as_they_were(tmp_path: Path) -> None:
    ids = {"wizard": WIZARD_JOB, "render_panels": RENDER_JOB, "story": STORY_JOB}
    data = await opened_with(
        tmp_path,
        old_comic(job_ids=list(ids.values())),
        [old_job(ids[kind], kind, payload) for kind, payload in OLD_PAYLOADS.items()],
    )
    wizard = (await data.get_job(WIZARD_JOB)).payload(WizardPayload)
    assert wizard.num_scenes == 4 and wizard.character_ids == ["max", "luna"]
    assert wizard.refine == SceneRefinement(feedback="make it funnier", scene_ids=["scene-2"])
    assert wizard.usage == JobUsage(tokens=42, text_calls=3, image_calls=9)
    assert (await data.get_job(RENDER_JOB)).payload(RenderPanelsPayload).usage == JobUsage(image_calls=12)
    assert (await data.get_job(STORY_JOB)).payload(StoryPayload).usage is None

    for kind, job_id in ids.items():  # a write that changes something else leaves `data` as it was
        await data.update_job(job_id, lambda j: j.model_copy(update={"progress": 100, "topic": "road safety!"}))
        stored = json.loads((tmp_path / "jobs" / f"{job_id}.json").read_text())
        assert stored["data"] == OLD_PAYLOADS[kind] and stored["topic"] == "road safety!"
    await data.close()


def test_an_old_supabase_job_row_round_trips_its_payload() -> None:
    row = {**old_job(WIZARD_JOB, "wizard", {**OLD_PAYLOADS["wizard"], "_version": 18}), "version": None}
    job = job_from_row(row)
    assert job.version == 18 and job.payload(WizardPayload).refine is not None
    assert job_row(job)["data"] == {**OLD_PAYLOADS["wizard"], "_version": 18}


def test_a_payload_is_read_as_its_jobs_kind() -> None:
    job = Job(comic_id=COMIC_ID, kind="render_panels", topic="t", data={"num_scenes": 3, "from_the_future": True})
    assert isinstance(job.data, RenderPanelsPayload) and job.data.model_dump() == {}  # not a wizard's: dropped
    with pytest.raises(TypeError):
        job.payload(WizardPayload)
    spent = job.data.with_spent(tokens=5, image_calls=2).with_spent(image_calls=1)
    assert spent.usage == JobUsage(tokens=5, text_calls=0, image_calls=3) and job.data.usage is None
