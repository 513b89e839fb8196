"""The OpenAI writer: structured outputs (json_schema, strict) into the domain's Scenes and Panels."""

from __future__ import annotations

import re

from collections.abc import AsyncIterator

from app.errors import UpstreamError
from app.models.drafts import CharacterDraft, CharactersDraft, PanelsDraft, SceneDraft, ScenesDraft
from app.models.schemas import Character, DialogueLine, Panel, Scene
from app.services.moderation import refuse
from app.services.providers import PanelPlan
from external_services import OpenAIClient
from master_prompts import extraction_messages, panels_messages, refine_messages, scenes_messages, story_messages
from utils import new_id, slugify

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def character_from_draft(draft: CharacterDraft, *, age_group: str) -> Character:
    return Character(id=new_id(), name=draft.name.strip()[:80], description=draft.brief[:500],
                     character_type=draft.character_type, age_group=age_group, brief=draft.brief[:500],
                     era=draft.era[:120], visual_form=draft.visual_form[:500],
                     visual_tags=[m[:80] for m in draft.distinctive_markers[:8]],
                     color_palette=[c for c in draft.color_palette if HEX_COLOUR.match(c)][:6],
                     distinctive_markers=[m[:80] for m in draft.distinctive_markers[:8]],
                     demeanor=draft.demeanor[:200], role=draft.role)


def _scene(draft: SceneDraft, number: int, cast_names: set[str]) -> Scene:
    lines = [DialogueLine(speaker=line.speaker, text=line.text[:600]) for line in draft.dialogue
             if not cast_names or line.speaker in cast_names]
    return Scene(scene_id=f"scene-{number}", title=draft.title, description=draft.description, dialogue=lines,
                 learning_point=draft.learning_point, visual_elements=draft.visual_elements, setting=draft.setting)


class OpenAITextModel:
    name = "openai"

    def __init__(self, client: OpenAIClient) -> None:
        self.client = client

    async def moderate(self, texts: list[str]) -> None:
        flagged = await self.client.flagged(texts)
        if flagged:
            raise refuse(flagged)

    async def write_scenes(self, *, topic: str, age_group: str, num_scenes: int, style: str,
                           cast: list[Character]) -> list[Scene]:
        system, user = scenes_messages(topic=topic, age_group=age_group, num_scenes=num_scenes, style=style, cast=cast)
        draft = await self.client.structured(system=system, user=user, schema=ScenesDraft)
        if len(draft.scenes) < num_scenes:
            raise UpstreamError(f"OpenAI wrote {len(draft.scenes)} scenes where {num_scenes} were asked for",
                                provider="OpenAI", retryable=True, code="provider_bad_output")
        names = {c.name for c in cast}
        scenes = [_scene(d, i, names) for i, d in enumerate(draft.scenes[:num_scenes], start=1)]
        await self.moderate([text for s in scenes for text in (s.title, s.description,
                                                                 *(line.text for line in s.dialogue))])
        return scenes

    async def refine_scenes(self, *, scenes: list[Scene], feedback: str, scene_ids: list[str], age_group: str,
                            cast: list[Character]) -> list[Scene]:
        system, user = refine_messages(scenes=scenes, feedback=feedback, scene_ids=scene_ids, age_group=age_group,
                                       cast=cast)
        draft = await self.client.structured(system=system, user=user, schema=ScenesDraft)
        if len(draft.scenes) != len(scenes):
            raise UpstreamError(f"OpenAI returned {len(draft.scenes)} scenes for a comic of {len(scenes)}",
                                provider="OpenAI", retryable=True, code="provider_bad_output")
        names = {c.name for c in cast}
        refined = []
        for number, (old, new) in enumerate(zip(scenes, draft.scenes), start=1):
            if old.scene_id in scene_ids:  # the others stay exactly as they were, whatever came back
                rewritten = _scene(new, number, names)
                refined.append(rewritten.model_copy(update={"scene_id": old.scene_id, "revision": old.revision + 1}))
            else:
                refined.append(old)
        changed = [s for s in refined if s.scene_id in scene_ids]
        await self.moderate([text for s in changed for text in (s.title, s.description,
                                                                  *(line.text for line in s.dialogue))])
        return refined

    async def plan_panels(self, *, scenes: list[Scene], cast: list[Character]) -> PanelPlan:
        age_group = cast[0].age_group if cast else "5-12"
        system, user = panels_messages(scenes=scenes, cast=cast, age_group=age_group)
        draft = await self.client.structured(system=system, user=user, schema=PanelsDraft)
        names = {c.name for c in cast}
        panels = []
        dropped = sorted({n for plan in draft.panels for n in (*plan.characters, *(l.speaker for l in plan.dialogue))
                          if n not in names})
        for plan in draft.panels:
            if not 1 <= plan.scene_number <= len(scenes):
                continue
            panels.append(Panel(scene_id=scenes[plan.scene_number - 1].scene_id, title=plan.title,
                                description=plan.background, narration=plan.narration.strip()[:400] or None,
                                characters=[n for n in dict.fromkeys(plan.characters) if n in names],
                                dialogue=[DialogueLine(speaker=l.speaker, text=l.text[:600])
                                          for l in plan.dialogue if l.speaker in names]))
        if not panels:
            raise UpstreamError("OpenAI planned no usable panels", provider="OpenAI", retryable=True,
                                code="provider_bad_output")
        return PanelPlan(panels, dropped)

    async def stream_story(self, *, topic: str, age_group: str, cast: list[Character]) -> AsyncIterator[str]:
        system, user = story_messages(topic=topic, age_group=age_group, cast=cast)
        async for piece in self.client.stream(system=system, user=user):
            yield piece

    async def extract_characters(self, *, story: str, age_group: str) -> list[Character]:
        system, user = extraction_messages(story=story, age_group=age_group)
        draft = await self.client.structured(system=system, user=user, schema=CharactersDraft)
        found: dict[str, Character] = {}
        folded_story = f"-{slugify(story)}-"
        for item in draft.characters:
            slug = slugify(item.name)
            if slug and slug not in found and f"-{slug}-" in folded_story:  # only who the story really names
                found[slug] = character_from_draft(item, age_group=age_group)
        if not found:
            raise UpstreamError("OpenAI found no characters named in the story", provider="OpenAI",
                                retryable=True, code="provider_bad_output")
        return list(found.values())

    async def close(self) -> None:
        await self.client.close()
