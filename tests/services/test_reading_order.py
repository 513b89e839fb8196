"""Balloons in reading order: read left to right and top to bottom, the caption comes first and the
balloons follow in the order their lines are spoken, on every panel, whatever the text and size."""

from __future__ import annotations

import io
import itertools

import pytest
from PIL import Image

from app.models.schemas import DialogueLine, Panel, Scene
from app.services.comics.catalog import characters_by_ids
from app.services.drawing.lettering import Box, plan_lettering
from app.services.providers.offline_art import draw_panel
from app.services.providers.offline_text import plan_panels, write_scenes

CAST = characters_by_ids(["max", "sunny-fox", "captain-mira"])
SIZES = [(960, 720), (1440, 1080), (768, 1024), (640, 480), (1200, 600)]


def read_after(later: Box, earlier: Box) -> bool:
    """Comic reading order: `later` starts below `earlier`'s bottom, or the two are level (their heights
    overlap) and `later` lies wholly to the right of `earlier`."""
    if later[1] >= earlier[3]:
        return True
    level = later[1] < earlier[3] and earlier[1] < later[3]
    return level and later[0] >= earlier[2]


def panels() -> list[Panel]:
    """Every panel the offline writer plans for a few topics and ages: two to four lines, short and long."""
    found = []
    for topic, age in itertools.product(["teaching kids about safety", "healthy eating", "kindness"], ["4-6", "10-12"]):
        found += plan_panels(write_scenes(topic=topic, age_group=age, num_scenes=6, cast=CAST), CAST)
    return found


PANELS = panels()
LONG = "Remember to hold a grown-up's hand, stop at the curb, look left, look right and listen before you cross. "
EXTRA = [
    [
        ("Max", "Is it safe now?"),
        ("Sunny", "Not yet!"),
        ("Max", "Now?"),
        ("Sunny", "Yes, the light is green."),
        ("Captain Mira", "Off we go!"),
        ("Max", "Hooray!"),
    ],
    [("Sunny", LONG), ("Max", "OK!"), ("Sunny", LONG)],
    [("Max", "你好！我们过马路之前要先停下来。"), ("Sunny", "مرحبا! هيا بنا"), ("Captain Mira", "¡Vamos, amigos!")],
]


def art_for(panel: Panel, size: tuple[int, int]) -> Image.Image:
    scene = Scene(scene_id=panel.scene_id, title=panel.title, description=panel.description, learning_point="")
    members = [c for c in CAST if c.name in panel.characters]
    with Image.open(io.BytesIO(draw_panel(panel=panel, scene=scene, cast=members, style="cartoon"))) as img:
        return img.convert("RGB").resize(size)


def check(
    size: tuple[int, int], narration: str | None, dialogue: list[DialogueLine], cast: list[str], art: Image.Image | None
) -> None:
    lettering = plan_lettering(size=size, narration=narration, dialogue=dialogue, cast=cast, art=art)
    speech = [b for b in lettering.balloons if b.kind == "speech"]
    assert [squash(b.text) for b in speech] == [squash(line.text) for line in dialogue]
    for i, earlier in enumerate(lettering.balloons):  # the caption, when there is one, is first
        for later in lettering.balloons[i + 1 :]:
            assert read_after(later.box, earlier.box), (size, earlier.text, earlier.box, later.text, later.box)


def squash(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_planned_panel_reads_in_speaking_order(size: tuple[int, int]) -> None:
    for n, panel in enumerate(PANELS):
        narration = panel.narration if n % 2 == 0 else None
        art = art_for(panel, size) if n % 3 == 0 else None
        check(size, narration, panel.dialogue, panel.characters, art)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("case", range(len(EXTRA)))
def test_many_and_long_and_mixed_script_lines_read_in_order(case: int, size: tuple[int, int]) -> None:
    dialogue = [DialogueLine(speaker=s, text=t) for s, t in EXTRA[case]]
    check(size, "Later that day, at the crossing.", dialogue, ["Max", "Sunny", "Captain Mira"], None)
    check(size, None, dialogue, ["Sunny"], None)


def test_the_answer_is_never_left_of_the_question_it_answers() -> None:
    """The reported case: 'We buckle up on every trip.' sat left of the question it answers."""
    [panel] = [p for p in PANELS if any(line.text == "We buckle up on every trip." for line in p.dialogue)][:1]
    for size in SIZES:
        check(size, panel.narration, panel.dialogue, panel.characters, art_for(panel, size))
