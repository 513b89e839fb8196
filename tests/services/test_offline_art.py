"""The offline artist draws real, distinct, deterministic PNGs."""

from __future__ import annotations

import io

from PIL import Image

from app.models.schemas import Panel, Scene
from app.services.comics.catalog import characters_by_ids
from app.services.providers.offline_art import PANEL_SIZE, draw_character_sheet, draw_panel, hex_to_rgb

CAST = characters_by_ids(["captain-mira", "bolt"])
SCENE = Scene(
    scene_id="scene-1",
    title="Stop, Look and Listen",
    description="On the street, a ball rolls.",
    learning_point="We stop, look and listen.",
    setting="street",
)


def panel(characters: list[str]) -> Panel:
    return Panel(
        panel_id="p1", scene_id="scene-1", title=SCENE.title, description=SCENE.description, characters=characters
    )


def colours(png: bytes) -> set[tuple[int, int, int]]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return {rgb for _, rgb in image.getcolors(maxcolors=1 << 20)}


def test_panel_is_a_png_of_the_panel_size_and_deterministic() -> None:
    first = draw_panel(panel=panel(["Captain Mira", "Bolt"]), scene=SCENE, cast=CAST, style="cartoon")
    assert first.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(first)).size == PANEL_SIZE
    assert draw_panel(panel=panel(["Captain Mira", "Bolt"]), scene=SCENE, cast=CAST, style="cartoon") == first


def test_characters_appear_in_their_own_colours() -> None:
    empty = colours(draw_panel(panel=panel([]), scene=SCENE, cast=CAST, style="cartoon"))
    with_mira = colours(draw_panel(panel=panel(["Captain Mira"]), scene=SCENE, cast=CAST, style="cartoon"))
    mira_coat = hex_to_rgb(CAST[0].color_palette[0])
    bolt_body = hex_to_rgb(CAST[1].color_palette[0])
    assert mira_coat in with_mira and mira_coat not in empty
    assert bolt_body not in with_mira


def test_settings_differ() -> None:
    street = draw_panel(panel=panel([]), scene=SCENE, cast=CAST, style="cartoon")
    kitchen = draw_panel(
        panel=panel([]), scene=SCENE.model_copy(update={"setting": "kitchen"}), cast=CAST, style="cartoon"
    )
    assert street != kitchen


def test_character_sheet_shows_the_character() -> None:
    sheet = draw_character_sheet(character=CAST[1], style="cartoon")
    assert hex_to_rgb(CAST[1].color_palette[0]) in colours(sheet)
    assert draw_character_sheet(character=CAST[1], style="cartoon") == sheet
