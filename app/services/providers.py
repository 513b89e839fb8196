"""The provider seams: TextModel writes words, ImageModel draws pictures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from app.models.schemas import Character, Panel, Scene


@dataclass(frozen=True)
class RenderedImage:
    """An image a provider made: its bytes, or (for a remote provider) where to fetch them."""

    data: bytes | None
    url: str | None
    content_type: str
    width: int
    height: int
    model: str


@dataclass(frozen=True)
class PanelPlan:
    """Planned panels, and the character names the planner used that are not in the cast (dropped)."""

    panels: list[Panel]
    dropped: list[str]


class TextModel(Protocol):
    name: str

    async def moderate(self, texts: list[str]) -> None:
        """Raise InvalidInput when any text is unfit for a children's comic."""

    async def write_scenes(
        self, *, topic: str, age_group: str, num_scenes: int, style: str, cast: list[Character]
    ) -> list[Scene]: ...

    async def refine_scenes(
        self, *, scenes: list[Scene], feedback: str, scene_ids: list[str], age_group: str, cast: list[Character]
    ) -> list[Scene]: ...

    async def plan_panels(self, *, scenes: list[Scene], cast: list[Character]) -> PanelPlan: ...

    def stream_story(self, *, topic: str, age_group: str, cast: list[Character]) -> AsyncIterator[str]:
        """The hero's-journey story, piece by piece as it is written."""

    async def extract_characters(self, *, story: str, age_group: str) -> list[Character]:
        """The story's characters as rich profiles; names outside the story are never invented."""


class ImageModel(Protocol):
    name: str

    async def render_character(self, *, character: Character, style: str) -> RenderedImage: ...

    async def render_panel(
        self, *, panel: Panel, scene: Scene | None, cast: list[Character], style: str
    ) -> RenderedImage: ...
