"""Choosing characters: each scene's speakers go to different members of the new cast while there are
enough, and when there are not, the scene is rewritten so that nobody talks to or about themselves."""

from __future__ import annotations

import itertools
import re

import httpx
import pytest
from fastapi import FastAPI

from app.models.schemas import DialogueLine, Scene
from app.services.comics.catalog import catalog, characters_by_ids, default_cast, recast_scenes
from app.services.providers.offline_text import write_scenes
from app.services.comics.recasting import OFFSTAGE
from tests.conftest import scenes_ready, services, settle

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
        for before, after in zip(scene.dialogue, scene.dialogue[1:], strict=False):
            assert before.speaker != after.speaker, (scene.title, before, after)  # nobody answers themselves
        for line in scene.dialogue:
            assert not named(line.text, line.speaker), (scene.title, line)  # nobody names themselves
            # a question and its answer are never one balloon: "Can I go with him? No! Stay here."
            assert not re.search(r"\?\s+\S", line.text.rstrip()), (scene.title, line)
        for text in (scene.title, scene.description, *(line.text for line in scene.dialogue)):
            for run in runs_of_names(text, cast):
                assert len(run) == len(set(run)), (scene.title, text)  # "Max, Bolt and Max"


def count(text: str, name: str) -> int:
    return len(re.findall(rf"(?<![\w'’-]){re.escape(name)}(?![\w-])", text))


def assert_no_one_twice_by_merging(before: Scene, after: Scene) -> None:
    """ "Mira helps Max" must not become "Max helps Max": a sentence of the description names a member
    more often than the original sentence named any one character only by merging two of them."""
    for old, new in zip(
        re.split(r"(?<=[.!?;])\s+", before.description), re.split(r"(?<=[.!?;])\s+", after.description), strict=False
    ):
        most = max([count(old, name) for name in EVERYONE] + [1])
        assert all(count(new, name) <= most for name in EVERYONE), (old, new)


async def test_the_readme_selection_gives_each_speaker_a_different_member(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    job_id = await scenes_ready(client, app, num_scenes=6)
    written = [Scene.model_validate(s) for s in (await client.get(f"{API}/comics/{job_id}/scenes")).json()["scenes"]]
    assert {line.speaker for s in written for line in s.dialogue} == {"Max", "Sunny", "Captain Mira"}
    answer = await client.post(f"{API}/comics/{job_id}/characters/select", json={"character_ids": ["max", "bolt"]})
    assert answer.status_code == 200, answer.text
    recast = [Scene.model_validate(s) for s in (await client.get(f"{API}/comics/{job_id}/scenes")).json()["scenes"]]
    assert_nobody_talks_to_themselves(recast, ["Max", "Bolt"])
    for before, after in zip(written, recast, strict=False):
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
        assert all(a.speaker != b.speaker for a, b in itertools.pairwise(lines))


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
        assert {line.speaker for s in recast for line in s.dialogue} <= {*new_names, *OFFSTAGE}
        assert_nobody_talks_to_themselves(recast, sorted(set(EVERYONE)))
        for before, after in zip(written, recast, strict=False):
            assert_no_one_twice_by_merging(before, after)
            speakers = {line.speaker for line in before.dialogue}
            members = {line.speaker for line in after.dialogue} & set(new_names)
            assert len(members) == min(len(speakers), size)  # the rest speak off the picture
            assert len(after.dialogue) == len(before.dialogue)  # no line joined to another
            spoken = " ".join(line.text for line in after.dialogue)
            for line in before.dialogue:  # nothing said is lost, only joined
                assert line.text.split()[-1].strip(".!?") in spoken


def scene(description: str, *lines: tuple[str, str], title: str = "A Day Out") -> Scene:
    return Scene(
        scene_id="scene-1",
        title=title,
        description=description,
        learning_point="",
        dialogue=[DialogueLine(speaker=s, text=t) for s, t in lines],
    )


FREE_TEXT = scene(
    "Max, Sunny and Captain Mira fly a kite. Sunny trips and Captain Mira helps Sunny up.",
    ("Sunny", "Captain Mira, look at my kite!"),
    ("Captain Mira", "Wow, Sunny! Is that Max's string?"),
    ("Max", "Yes! Thanks, Sunny and Mira."),
    ("Sunny", "Mira, Max, let's fly!"),
    title="Max Helps Sunny and Captain Mira",
)


@pytest.mark.parametrize("ids", [["max", "bolt"], ["bolt"], ["zara", "spark"], ["max", "sunny-fox", "bolt"]])
def test_free_text_scenes_from_any_writer_are_rewritten(ids: list[str]) -> None:
    old = characters_by_ids(["max", "sunny-fox", "captain-mira"])
    [recast] = recast_scenes([FREE_TEXT], old, characters_by_ids(ids))
    names = [c.name for c in characters_by_ids(ids)]
    assert_nobody_talks_to_themselves([recast], sorted(set(EVERYONE)))
    assert_no_one_twice_by_merging(FREE_TEXT, recast)
    assert len({line.speaker for line in recast.dialogue} & set(names)) == min(3, len(ids))
    assert {line.speaker for line in recast.dialogue} <= {*names, *OFFSTAGE}
    assert not any(
        named(t, n)
        for t in (recast.description, *(line.text for line in recast.dialogue))
        for n in ("Sunny", "Captain Mira", "Mira")
        if n not in names
    )


def test_calls_and_mentions_of_a_merged_character() -> None:
    old = characters_by_ids(["max", "sunny-fox"])
    [recast] = recast_scenes(
        [
            scene(
                "Max waves at Sunny.",
                ("Max", "Sunny, look! Is that Sunny's kite?"),
                ("Sunny", "Yes, Max! Thanks, Max."),
            )
        ],
        old,
        characters_by_ids(["bolt"]),
    )
    assert recast.description == "Bolt waves at a friend."
    assert recast.dialogue == [
        DialogueLine(speaker="Bolt", text="Look! Is that my friend's kite?"),
        DialogueLine(speaker="A friend", text="Yes, Bolt! Thanks, Bolt."),
    ]


async def scenes_of(client: httpx.AsyncClient, job_id: str) -> list[Scene]:
    answer = await client.get(f"{API}/comics/{job_id}/scenes")
    assert answer.status_code == 200, answer.text
    return [Scene.model_validate(s) for s in answer.json()["scenes"]]


async def select(client: httpx.AsyncClient, job_id: str, ids: list[str]) -> list[Scene]:
    answer = await client.post(f"{API}/comics/{job_id}/characters/select", json={"character_ids": ids})
    assert answer.status_code == 200, answer.text
    return await scenes_of(client, job_id)


@pytest.mark.parametrize("member", ["max", "sunny-fox"])
async def test_a_cast_of_one_never_answers_itself(client: httpx.AsyncClient, app: FastAPI, member: str) -> None:
    """The QA run's cast of one: "Max: He seems nice. Can I go with him? No! Stay here ..." was one balloon.
    The other parts are spoken off the picture, and descriptions name the one member only."""
    [name] = [c.name for c in characters_by_ids([member])]
    others = [n for n in EVERYONE if n != name]
    for topic in ("teaching kids about safety", "healthy eating", "volcanoes"):
        job_id = await scenes_ready(client, app, topic=topic, num_scenes=12)
        written = await scenes_of(client, job_id)
        recast = await select(client, job_id, [member])
        assert_nobody_talks_to_themselves(recast, sorted(set(EVERYONE)))
        for before, after in zip(written, recast, strict=False):
            assert len(after.dialogue) == len(before.dialogue), after  # no line joined to another
            assert {line.speaker for line in after.dialogue} <= {name, *OFFSTAGE}
            assert not any(named(after.description, n) for n in others), after.description
            assert "and friends" not in after.description, after.description
            assert not any(named(line.text, n) for line in after.dialogue for n in others if n not in name)
        assert not re.search(rf"{re.escape(name)} (?:meet|play|learn|are)\b", " ".join(s.description for s in recast))


async def test_the_off_picture_voices_are_lettered_but_not_drawn(client: httpx.AsyncClient, app: FastAPI) -> None:
    job_id = await scenes_ready(client, app, num_scenes=6)
    recast = await select(client, job_id, ["max"])
    assert (await client.post(f"{API}/comics/{job_id}/generate")).status_code == 202
    await settle(app)
    comic = (await client.get(f"{API}/comics/{job_id}/result")).json()
    assert [p["scene_id"] for p in comic["panels"]] == [s.scene_id for s in recast]
    assert any(line["speaker"] in OFFSTAGE for p in comic["panels"] for line in p["dialogue"])
    assert all(p["characters"] == ["Max"] for p in comic["panels"])  # a voice off the picture is not drawn
    assert all(p["status"] == "rendered" for p in comic["panels"])


@pytest.mark.parametrize(
    "first, final",
    [(["max"], ["max", "bolt"]), (["bolt", "zara"], ["max", "sunny-fox", "captain-mira"]), (["max", "bolt"], ["max"])],
)
async def test_choosing_again_recasts_the_scenes_as_written(
    client: httpx.AsyncClient, app: FastAPI, first: list[str], final: list[str]
) -> None:
    direct = await scenes_ready(client, app, num_scenes=12)
    expected = await select(client, direct, final)
    again = await scenes_ready(client, app, num_scenes=12)
    await select(client, again, first)
    assert await select(client, again, final) == expected
    stored = await services(app).data.get_comic((await services(app).data.get_job(again)).comic_id)
    assert [w.scene for w in stored.written_scenes] == await scenes_of(
        client, await scenes_ready(client, app, num_scenes=12)
    )


async def test_a_refined_scene_is_written_for_the_cast_it_was_refined_with(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """A refine rewrites what the reader saw (the scenes recast for the current cast), so the refined scene
    is now written for that cast; the others are still recast from the writer's originals."""
    direct = await scenes_ready(client, app, num_scenes=6)
    expected = await select(client, direct, ["max", "bolt"])
    job_id = await scenes_ready(client, app, num_scenes=6)
    shown = await select(client, job_id, ["max"])
    answer = await client.post(
        f"{API}/comics/{job_id}/scenes/refine", json={"feedback": "add a red kite", "scene_ids": [shown[1].scene_id]}
    )
    assert answer.status_code == 202, answer.text
    await settle(app)
    refined = (await scenes_of(client, job_id))[1]
    assert "red kite" in refined.description and refined.dialogue == shown[1].dialogue
    final = await select(client, job_id, ["max", "bolt"])
    assert final[0] == expected[0] and final[2:] == expected[2:]
    assert final[1] == refined  # written for Max and the voices off the picture: Bolt has no part in it


def test_a_list_that_became_one_name_agrees_with_it() -> None:
    """ "Max, Sunny and Captain Mira meet" for a cast of Max alone said "Max and friends meet"."""
    old = characters_by_ids(["max", "sunny-fox", "captain-mira"])
    written = scene(
        "Max, Sunny and Captain Mira meet at the park. Then Max and Sunny both fly a kite. "
        "Captain Mira helps Max and Sunny up.",
        ("Max", "Hi!"),
        ("Sunny", "Hello!"),
    )
    [recast] = recast_scenes([written], old, characters_by_ids(["max"]))
    assert recast.description == "Max is at the park. Then Max flies a kite. A friend helps Max up."
    assert recast.dialogue == [DialogueLine(speaker="Max", text="Hi!"), DialogueLine(speaker="A friend", text="Hello!")]
