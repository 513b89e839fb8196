"""Choosing characters: each scene's speakers go to different members of the new cast while there are
enough, and when there are not, the scene is rewritten so that nobody talks to or about themselves."""

from __future__ import annotations

import itertools
import re

import httpx
import pytest
from fastapi import FastAPI

from app.models.schemas import DialogueLine, Scene
from app.services.catalog import catalog, characters_by_ids, default_cast, recast_scenes
from app.services.offline_text import write_scenes
from tests.conftest import scenes_ready, settle

API = "/api/v1"
EVERYONE = [c.name for c in catalog()]


def named(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w'’-]){re.escape(name)}(?![\w-])", text) is not None


def runs_of_names(text: str, names: list[str]) -> list[list[str]]:
    one = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    name = rf"(?<![\w'’-])(?:{one})(?![\w-])"
    run = re.compile(rf"{name}(?:(?:\s*,\s*|(?:\s*,)?\s+(?:and|&)\s+){name})+")
    return [re.findall(name, m.group(0)) for m in run.finditer(text)]


def assert_nobody_talks_to_themselves(scenes: list[Scene], cast: list[str]) -> None:
    for scene in scenes:
        for before, after in zip(scene.dialogue, scene.dialogue[1:]):
            assert before.speaker != after.speaker or len(before.text) + len(after.text) >= 600, \
                (scene.title, before, after)  # one speaker's lines in a row are one balloon
        for line in scene.dialogue:
            assert not named(line.text, line.speaker), (scene.title, line)  # nobody names themselves
        for text in (scene.title, scene.description, *(line.text for line in scene.dialogue)):
            for run in runs_of_names(text, cast):
                assert len(run) == len(set(run)), (scene.title, text)  # "Max, Bolt and Max"


def count(text: str, name: str) -> int:
    return len(re.findall(rf"(?<![\w'’-]){re.escape(name)}(?![\w-])", text))


def assert_no_one_twice_by_merging(before: Scene, after: Scene) -> None:
    """"Mira helps Max" must not become "Max helps Max": a sentence of the description names a member
    more often than the original sentence named any one character only by merging two of them."""
    for old, new in zip(re.split(r"(?<=[.!?;])\s+", before.description), re.split(r"(?<=[.!?;])\s+", after.description)):
        most = max([count(old, name) for name in EVERYONE] + [1])
        assert all(count(new, name) <= most for name in EVERYONE), (old, new)


async def test_the_readme_selection_gives_each_speaker_a_different_member(client: httpx.AsyncClient,
                                                                        app: FastAPI) -> None:
    job_id = await scenes_ready(client, app, num_scenes=6)
    written = [Scene.model_validate(s) for s in (await client.get(f"{API}/comics/{job_id}/scenes")).json()["scenes"]]
    assert {line.speaker for s in written for line in s.dialogue} == {"Max", "Sunny", "Captain Mira"}
    answer = await client.post(f"{API}/comics/{job_id}/characters/select", json={"character_ids": ["max", "bolt"]})
    assert answer.status_code == 200, answer.text
    recast = [Scene.model_validate(s) for s in (await client.get(f"{API}/comics/{job_id}/scenes")).json()["scenes"]]
    assert_nobody_talks_to_themselves(recast, ["Max", "Bolt"])
    for before, after in zip(written, recast):
        speakers = list(dict.fromkeys(line.speaker for line in before.dialogue))
        assert len({line.speaker for line in after.dialogue}) == min(len(speakers), 2), (before.title, after)
        assert len(after.dialogue) == len(before.dialogue)  # two speakers kept apart: no line merged away
        assert not any(named(after.description, n) for n in ("Sunny", "Captain Mira"))
        assert_no_one_twice_by_merging(before, after)
    assert "Max and Bolt meet" in recast[0].description
    assert (await client.post(f"{API}/comics/{job_id}/generate")).status_code == 202
    await settle(app)
    comic = (await client.get(f"{API}/comics/{job_id}/result")).json()
    assert [p["scene_id"] for p in comic["panels"]] == [s.scene_id for s in recast]
    for panel in comic["panels"]:
        lines = [DialogueLine.model_validate(line) for line in panel["dialogue"]]
        assert all(not named(line.text, line.speaker) for line in lines)
        assert all(a.speaker != b.speaker for a, b in zip(lines, lines[1:]))


TOPICS = ["teaching kids about safety", "sharing and kindness", "healthy eating", "recycling", "volcanoes"]


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_any_smaller_or_larger_cast_never_talks_to_itself(size: int) -> None:
    ids = [c.id for c in catalog()]
    for n, (topic, age) in enumerate(itertools.product(TOPICS, ["4-6", "10-12"])):
        old = default_cast(topic)
        new = characters_by_ids([ids[(n * 5 + k * 7) % len(ids)] for k in range(size)])
        if len({c.id for c in new}) < size:
            continue
        written = write_scenes(topic=topic, age_group=age, num_scenes=12, cast=old)
        recast = recast_scenes(written, old, new)
        new_names = [c.name for c in new]
        assert {line.speaker for s in recast for line in s.dialogue} <= set(new_names)
        assert_nobody_talks_to_themselves(recast, sorted(set(EVERYONE)))
        for before, after in zip(written, recast):
            assert_no_one_twice_by_merging(before, after)
            speakers = {line.speaker for line in before.dialogue}
            assert len({line.speaker for line in after.dialogue}) == min(len(speakers), size)
            spoken = " ".join(line.text for line in after.dialogue)
            for line in before.dialogue:  # nothing said is lost, only joined
                assert line.text.split()[-1].strip(".!?") in spoken


def scene(description: str, *lines: tuple[str, str], title: str = "A Day Out") -> Scene:
    return Scene(scene_id="scene-1", title=title, description=description, learning_point="",
                 dialogue=[DialogueLine(speaker=s, text=t) for s, t in lines])


FREE_TEXT = scene(
    "Max, Sunny and Captain Mira fly a kite. Sunny trips and Captain Mira helps Sunny up.",
    ("Sunny", "Captain Mira, look at my kite!"), ("Captain Mira", "Wow, Sunny! Is that Max's string?"),
    ("Max", "Yes! Thanks, Sunny and Mira."), ("Sunny", "Mira, Max, let's fly!"),
    title="Max Helps Sunny and Captain Mira")


@pytest.mark.parametrize("ids", [["max", "bolt"], ["bolt"], ["zara", "spark"], ["max", "sunny-fox", "bolt"]])
def test_free_text_scenes_from_any_writer_are_rewritten(ids: list[str]) -> None:
    old = characters_by_ids(["max", "sunny-fox", "captain-mira"])
    [recast] = recast_scenes([FREE_TEXT], old, characters_by_ids(ids))
    names = [c.name for c in characters_by_ids(ids)]
    assert_nobody_talks_to_themselves([recast], sorted(set(EVERYONE)))
    assert_no_one_twice_by_merging(FREE_TEXT, recast)
    assert len({line.speaker for line in recast.dialogue}) == min(3, len(ids))
    assert not any(named(t, n) for t in (recast.description, *(l.text for l in recast.dialogue))
                   for n in ("Sunny", "Captain Mira", "Mira") if n not in names)


def test_calls_and_mentions_of_a_merged_character() -> None:
    old = characters_by_ids(["max", "sunny-fox"])
    [recast] = recast_scenes([scene("Max waves at Sunny.", ("Max", "Sunny, look! Is that Sunny's kite?"),
                                    ("Sunny", "Yes, Max! Thanks, Max."))], old, characters_by_ids(["bolt"]))
    assert recast.description == "Bolt waves at a friend."
    assert recast.dialogue == [DialogueLine(speaker="Bolt", text="Look! Is that my friend's kite? Yes! Thanks.")]
