"""The provider seams: TextModel writes words, ImageModel draws pictures."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Protocol

from app.models.schemas import Character, Panel, Scene

log = logging.getLogger(__name__)
DEFAULT_MAX_PANELS = 48


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


def scene_panel(scene: Scene, cast: list[Character]) -> Panel:
    """A panel built from the scene itself (its description, dialogue and narration), for a scene a
    plan left out: what the scene says is drawn without asking a writer again."""
    names = [c.name for c in cast]
    speakers = list(dict.fromkeys(line.speaker for line in scene.dialogue if line.speaker in names))
    return Panel(
        scene_id=scene.scene_id,
        title=scene.title,
        description=scene.description,
        narration=scene.description[:400] or None,
        characters=speakers or names[:1],
        dialogue=[line.model_copy() for line in scene.dialogue],
    )


def _budgets(counts: list[int], max_panels: int) -> list[int]:
    """How many panels each scene keeps: all of them when they fit, else the scenes with the most give
    one up at a time (the later first on a tie), never below one."""
    budgets = list(counts)
    while sum(budgets) > max_panels and max(budgets) > 1:
        largest = max(budgets)
        budgets[len(budgets) - 1 - budgets[::-1].index(largest)] -= 1
    return budgets


def normalize_plan(
    plan: PanelPlan, *, scenes: list[Scene], cast: list[Character], max_panels: int = DEFAULT_MAX_PANELS
) -> PanelPlan:
    """Any writer's plan made whole: every scene has a panel (built from the scene when the plan skipped
    it), panels follow the scenes' order (a scene's own panels keep theirs), panels of unknown scenes go,
    and there are at most `max_panels`."""
    by_scene: dict[str, list[Panel]] = {scene.scene_id: [] for scene in scenes}
    stray = 0
    for panel in plan.panels:
        if panel.scene_id in by_scene:
            by_scene[panel.scene_id].append(panel)
        else:
            stray += 1
    missing = [scene for scene in scenes if not by_scene[scene.scene_id]]
    for scene in missing:
        by_scene[scene.scene_id].append(scene_panel(scene, cast))
    groups = [by_scene[scene.scene_id] for scene in scenes]
    budgets = _budgets([len(group) for group in groups], max_panels)
    panels = [panel for group, budget in zip(groups, budgets, strict=False) for panel in group[:budget]][:max_panels]
    if missing or stray or len(panels) < len(plan.panels) - stray:
        log.warning(
            "a panel plan was made whole: %d scene(s) drawn from the scene, %d panel(s) of unknown "
            "scenes left out, %d panel(s) in all (at most %d)",
            len(missing),
            stray,
            len(panels),
            max_panels,
        )
    return replace(plan, panels=panels)


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


@dataclass
class Providers:
    """The text and image models in use: chosen from config at start-up and shared by every piece that
    writes or draws, so replacing one here (as the tests and benches do) replaces it everywhere."""

    text: TextModel
    images: ImageModel
