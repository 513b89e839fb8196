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


class CharacterDraft(Strict):
    name: str
    brief: str
    character_type: Literal["humanoid", "creature", "concept", "object"]
    era: str
    visual_form: str
    color_palette: list[str]
    distinctive_markers: list[str]
    demeanor: str
    role: Literal["protagonist", "antagonist", "supporting", "minor"]


class CharactersDraft(Strict):
    characters: list[CharacterDraft]


class PanelDraft(Strict):
    scene_number: int
    title: str
    background: str
    narration: str
    characters: list[str]
    dialogue: list[LineDraft]


class PanelsDraft(Strict):
    panels: list[PanelDraft]
