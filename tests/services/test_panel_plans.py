"""Every plan, from any writer, is made whole where plans are consumed: every approved scene drawn, in
scene order, within MAX_PANELS; a long story is planned with its paragraphs merged, none of its text lost."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import respx
from fastapi import FastAPI
from pydantic import ValidationError

from app.models.schemas import Character, Scene
from app.services.comics.catalog import characters_by_ids
from app.services.providers.offline_text import OfflineTextModel, plan_panels, write_scenes
from app.services.providers.protocols import PanelPlan, normalize_plan, scene_panel
from config import Settings, settings_error_lines
from tests.conftest import scenes_ready, services, settle
from tests.fakes.openai import FakeOpenAI
from tests.vendors.test_openai import BASE, http, openai_app, openai_settings  # noqa: F401 - fixtures

API = "/api/v1"
CAST = characters_by_ids(["max", "sunny-fox", "captain-mira"])


def scenes(count: int = 6) -> list[Scene]:
    return write_scenes(topic="teaching kids about safety", age_group="5-12", num_scenes=count, cast=CAST)


def test_a_skipped_scene_gets_a_panel_from_the_scene_and_shuffled_plans_are_put_in_order() -> None:
    written = scenes()
    planned = plan_panels(written, CAST)
    shuffled = [planned[4], planned[0], planned[5], planned[2], planned[3]]  # scene 2 left out, order lost
    made = normalize_plan(PanelPlan(shuffled, dropped=["Ghost"]), scenes=written, cast=CAST)
    assert [p.scene_id for p in made.panels] == [s.scene_id for s in written]
    drawn = made.panels[1]
    assert (drawn.title, drawn.description, drawn.narration) == (
        written[1].title,
        written[1].description,
        written[1].description,
    )
    assert drawn.dialogue == written[1].dialogue and drawn.characters
    assert made.panels[0] is shuffled[1] and made.dropped == ["Ghost"]


def test_a_scene_s_own_panels_keep_their_order_and_the_plan_is_capped() -> None:
    written = scenes(3)
    many = [scene_panel(written[i % 3], CAST).model_copy(update={"title": f"p{i}"}) for i in range(300)]
    made = normalize_plan(PanelPlan(many, dropped=[]), scenes=written, cast=CAST, max_panels=10)
    assert len(made.panels) == 10
    assert [p.scene_id for p in made.panels] == sorted((p.scene_id for p in made.panels), key=lambda i: int(i[6:]))
    assert {p.scene_id for p in made.panels} == {s.scene_id for s in written}
    for scene in written:
        mine = [int(p.title[1:]) for p in made.panels if p.scene_id == scene.scene_id]
        assert mine == sorted(mine)
    ghosts = [scene_panel(Scene(scene_id="nowhere", title="x", description="x", learning_point=""), CAST)]
    assert [p.scene_id for p in normalize_plan(PanelPlan(ghosts, []), scenes=written, cast=CAST).panels] == [
        s.scene_id for s in written
    ]


class SkippingWriter(OfflineTextModel):
    """The offline writer, but its plan leaves out the second scene and comes back reversed."""

    def __init__(self) -> None:
        self.plans = 0

    async def plan_panels(self, *, scenes: list[Scene], cast: list[Character]) -> PanelPlan:
        self.plans += 1
        plan = await super().plan_panels(scenes=scenes, cast=cast)
        return PanelPlan([p for p in reversed(plan.panels) if p.scene_id != scenes[1].scene_id], plan.dropped)


async def test_the_wizard_draws_every_approved_scene_in_order(client: httpx.AsyncClient, app: FastAPI) -> None:
    writer = SkippingWriter()
    services(app).pipeline.text = writer
    job_id = await scenes_ready(client, app, num_scenes=6)
    approved = (await client.get(f"{API}/comics/{job_id}/scenes")).json()["scenes"]
    assert (await client.post(f"{API}/comics/{job_id}/generate")).status_code == 202
    await settle(app)
    comic = (await client.get(f"{API}/comics/{job_id}/result")).json()
    assert [p["scene_id"] for p in comic["panels"]] == [s["scene_id"] for s in approved]
    assert all(p["status"] == "rendered" and p["image_url"] for p in comic["panels"])
    assert comic["panels"][1]["dialogue"] == approved[1]["dialogue"]
    assert writer.plans == 1  # the missing scene cost no second call


class PlanSkippingOpenAI(FakeOpenAI):
    def _PanelsDraft(self, system: str, user: str) -> dict[str, Any]:
        panels = super()._PanelsDraft(system, user)["panels"]
        return {"panels": [p for p in reversed(panels) if p["scene_number"] != 2]}


@respx.mock
async def test_an_openai_plan_that_skips_a_scene_is_made_whole(http: httpx.AsyncClient, openai_app: FastAPI) -> None:
    fake = PlanSkippingOpenAI()
    respx.route(host="openai.test").mock(side_effect=fake.handle)
    job_id = (await http.post(f"{API}/comics/scenes/generate", json={"topic": "road safety", "num_scenes": 4})).json()[
        "job_id"
    ]
    await settle(openai_app)
    approved = (await http.get(f"{API}/comics/{job_id}/scenes")).json()["scenes"]
    assert (await http.post(f"{API}/comics/{job_id}/generate")).status_code == 202
    await settle(openai_app)
    comic = (await http.get(f"{API}/comics/{job_id}/result")).json()
    assert [p["scene_id"] for p in comic["panels"]] == [s["scene_id"] for s in approved]
    assert comic["panels"][1]["description"] == approved[1]["description"]
    plans = [
        b
        for path, b in fake.requests
        if path.endswith("/chat/completions") and b["response_format"]["json_schema"]["name"] == "PanelsDraft"
    ]
    assert len(plans) == 1


def long_story(paragraphs: int = 1177) -> str:
    said = [
        'Max said, "Look both ways, Sunny!"',
        'Sunny said, "I will, Max."',
        "They walk to the park.",
        "The light turns green and everyone crosses together.",
    ]
    return "\n\n".join(f"Part {n}. {said[n % len(said)]}" for n in range(paragraphs))[:20000]


async def plan_story(client: httpx.AsyncClient, story: str) -> dict:
    project = (await client.post(f"{API}/projects", json={"prompt": "crossing the road safely"})).json()
    patched = await client.patch(
        f"{API}/projects/{project['id']}", json={"version": project["version"], "story": story}
    )
    assert patched.status_code == 200, patched.text
    assert (await client.post(f"{API}/projects/{project['id']}/characters/extract")).status_code == 200
    answer = await client.post(f"{API}/projects/{project['id']}/panels/generate")
    assert answer.status_code == 200, answer.text
    return (await client.get(f"{API}/projects/{project['id']}")).json()


def words(text: str) -> list[str]:
    return re.findall(r"\S+", text)


async def test_a_20000_character_story_plans_at_most_max_panels_covering_all_its_text(
    client: httpx.AsyncClient,
) -> None:
    story = long_story()
    assert len(story) == 20000 and story.count("\n\n") > 400
    state = await plan_story(client, story)
    assert 40 <= len(state["panels"]) <= 48
    assert words(" ".join(s["description"] for s in state["scenes"])) == words(story)
    assert [p["scene_id"] for p in state["panels"]] == [s["scene_id"] for s in state["scenes"]]
    assert sum(len(p["dialogue"]) for p in state["panels"]) == story.count(" said, ")


async def test_max_panels_is_configurable(tmp_path: Any) -> None:
    from app.factory import create_app

    small = Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        env="test",
        text_provider="offline",
        image_provider="offline",
        api_keys=[],
        supabase_jwt_secret=None,
        max_panels=12,
    )
    application = create_app(small)
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://test") as client,
    ):
        story = long_story(30)
        state = await plan_story(client, story)
        assert len(state["panels"]) == 12
        assert words(" ".join(s["description"] for s in state["scenes"])) == words(story)
        one_paragraph = 'Max said, "Stop at the curb and look both ways." ' * 400  # 20,000 characters, no break
        state = await plan_story(client, one_paragraph)
    assert 5 <= len(state["panels"]) <= 12 and all(len(s["description"]) <= 4000 for s in state["scenes"])
    assert words(" ".join(s["description"] for s in state["scenes"])) == words(one_paragraph)


def test_max_panels_never_leaves_room_for_fewer_panels_than_the_wizard_writes_scenes() -> None:
    """MAX_PANELS=5 with 12 approved scenes drew scenes 1-5 and dropped the rest without a word."""
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, max_panels=11)
    assert settings_error_lines(refused.value) == ["MAX_PANELS must be at least 12; for example MAX_PANELS=48"]
    assert Settings(_env_file=None, max_panels=12).max_panels == 12
