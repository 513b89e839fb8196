"""The panel plan: the writer's plan for a comic's scenes, made whole."""

from __future__ import annotations

from app.models.schemas import Character, Scene
from app.services.providers.protocols import PanelPlan, Providers, normalize_plan


class PanelPlanner:
    def __init__(self, *, providers: Providers, max_panels: int) -> None:
        self.providers = providers
        self.max_panels = max_panels

    async def plan(self, *, scenes: list[Scene], cast: list[Character]) -> PanelPlan:
        """The writer's panel plan, made whole: every scene drawn, in order, within MAX_PANELS. Every plan,
        the wizard's and the builder's, from any writer, comes through here."""
        plan = await self.providers.text.plan_panels(scenes=scenes, cast=cast)
        return normalize_plan(plan, scenes=scenes, cast=cast, max_panels=self.max_panels)
