"""The built-in character catalog (app/data/characters.json) and casting helpers."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from app.errors import InvalidInput
from app.models.schemas import Character, Scene
from utils import stable_seed

CATALOG_FILE = Path(__file__).resolve().parent.parent / "data" / "characters.json"


@lru_cache(maxsize=1)
def _load() -> tuple[Character, ...]:
    return tuple(Character.model_validate(c) for c in json.loads(CATALOG_FILE.read_text("utf-8")))


def catalog() -> list[Character]:
    return [c.model_copy() for c in _load()]


def characters_by_ids(ids: list[str]) -> list[Character]:
    """The catalog characters with these ids, in the order asked; unknown ids are refused together."""
    known = {c.id: c for c in _load()}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InvalidInput(f"unknown character ids: {', '.join(unknown[:10])}; see GET /api/v1/comics/characters")
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
    """Give each old cast member's lines and mentions to the new cast member in the same position."""
    if not new:
        return scenes
    mapping = {o.name: new[i % len(new)].name for i, o in enumerate(old)}
    pattern = re.compile("|".join(re.escape(n) for n in sorted(mapping, key=len, reverse=True))) if mapping else None

    def swap(text: str) -> str:
        return pattern.sub(lambda m: mapping[m.group(0)], text) if pattern else text

    recast = []
    for scene in scenes:
        updated = scene.model_copy(deep=True)
        updated.description = swap(updated.description)
        for line in updated.dialogue:
            line.speaker = mapping.get(line.speaker, line.speaker)
            line.text = swap(line.text)
        recast.append(updated)
    return recast
