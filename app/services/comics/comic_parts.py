"""A comic's parts found by id: a panel, a character. One that is not there is NotFound, said by name."""

from __future__ import annotations

from app.errors import NotFound
from app.models.schemas import Character, Comic, Panel


def panel_of(comic: Comic, panel_id: str | None) -> Panel:
    for panel in comic.panels:
        if panel.panel_id == panel_id:
            return panel
    raise _missing("panel", panel_id)


def character_of(comic: Comic, character_id: str | None) -> Character:
    for character in comic.characters:
        if character.id == character_id:
            return character
    raise _missing("character", character_id)


def _missing(what: str, wanted: str | None) -> NotFound:
    return NotFound(f"{what} '{str(wanted)[:80]}' not found in this project")
