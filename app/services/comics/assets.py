"""The asset manager: character names, however written, resolved to the cast and their reference images.

"Captain  Mira", "captain mira" and "captain-mira" are one character: names compare by their slug.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.models.schemas import Character, Panel
from utils import slugify


def resolve(names: Iterable[str], cast: list[Character]) -> tuple[list[Character], list[str]]:
    """The cast members these names mean (each once, in the order named), and the names that match nobody."""
    by_slug = {slugify(c.name): c for c in cast}
    found: dict[str, Character] = {}
    missing: list[str] = []
    for name in names:
        member = by_slug.get(slugify(name))
        if member is None:
            missing.append(name)
        else:
            found.setdefault(member.id, member)
    return list(found.values()), missing


def cast_of(panel: Panel, cast: list[Character]) -> list[Character]:
    return resolve(panel.characters, cast)[0]


def shows(panel: Panel, character: Character) -> bool:
    return slugify(character.name) in {slugify(n) for n in panel.characters}


def reference_images(names: Iterable[str], cast: list[Character]) -> dict[str, str | None]:
    """Each resolved character's name and the URL of its reference image (None before one is drawn)."""
    return {c.name: c.image_url for c in resolve(names, cast)[0]}
