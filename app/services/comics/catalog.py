"""The built-in character catalog (app/data/characters.json) and casting helpers."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from app.errors import InvalidInput
from app.models.schemas import Character, Scene
from app.services.comics import recasting
from utils import stable_seed

CATALOG_FILE = Path(__file__).resolve().parents[2] / "data" / "characters.json"


@lru_cache(maxsize=1)
def _load() -> tuple[Character, ...]:
    return tuple(Character.model_validate(c) for c in json.loads(CATALOG_FILE.read_text("utf-8")))


def catalog() -> list[Character]:
    return [c.model_copy() for c in _load()]


def unknown_ids(ids: list[str]) -> list[str]:
    """The ids that name no catalog character, in the order given."""
    known = {c.id for c in _load()}
    return [i for i in ids if i not in known]


def characters_by_ids(ids: list[str]) -> list[Character]:
    """The catalog characters with these ids, in the order asked; unknown ids are refused together."""
    known = {c.id: c for c in _load()}
    if unknown := [n for n, i in enumerate(ids) if i not in known]:
        raise InvalidInput.at_positions(
            "character_ids", unknown, problem="not in the catalog", hint="GET /api/v1/comics/characters lists them"
        )
    return [known[i].model_copy() for i in ids]


def default_cast(topic: str, size: int = 3) -> list[Character]:
    """A cast picked from the catalog by the topic, the same every time: one lead, then helpers."""
    everyone = list(_load())
    leads = [c for c in everyone if c.role == "protagonist"]
    lead = leads[stable_seed("lead", topic.lower()) % len(leads)]
    others = [c for c in everyone if c.id != lead.id]
    start = stable_seed("helpers", topic.lower()) % len(others)
    helpers = (others[start:] + others[:start])[: size - 1]
    return [c.model_copy() for c in [lead, *helpers]]


def recast_scenes(scenes: list[Scene], old: list[Character], new: list[Character]) -> list[Scene]:
    """Give the old cast's parts and mentions to the new cast, scene by scene, so that nobody talks to or
    about themselves (see app/services/comics/recasting.py)."""
    return recasting.recast_scenes(scenes, old, new)
