"""What the language model must answer, as strict structured-output schemas (every field required)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Setting = Literal["street", "park", "playground", "kitchen", "beach", "home", "school", "garden", "forest"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LineDraft(Strict):
    speaker: str
    text: str


class SceneDraft(Strict):
    title: str
    description: str
    setting: Setting
    dialogue: list[LineDraft]
    learning_point: str
    visual_elements: list[str]


class ScenesDraft(Strict):
    scenes: list[SceneDraft]


class PanelDraft(Strict):
    scene_number: int
    title: str
    background: str
    characters: list[str]
    dialogue: list[LineDraft]


class PanelsDraft(Strict):
    panels: list[PanelDraft]
