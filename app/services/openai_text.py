"""The OpenAI writer: structured outputs (json_schema, strict) into the domain's Scenes and Panels."""

from __future__ import annotations

from app.errors import UpstreamError
from app.models.drafts import PanelsDraft, SceneDraft, ScenesDraft
from app.models.schemas import Character, DialogueLine, Panel, Scene
from app.services.moderation import refuse
from external_services import OpenAIClient
from master_prompts import panels_messages, refine_messages, scenes_messages


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

    async def plan_panels(self, *, scenes: list[Scene], cast: list[Character]) -> list[Panel]:
        age_group = cast[0].age_group if cast else "5-12"
        system, user = panels_messages(scenes=scenes, cast=cast, age_group=age_group)
        draft = await self.client.structured(system=system, user=user, schema=PanelsDraft)
        names = {c.name for c in cast}
        panels = []
        for plan in draft.panels:
            if not 1 <= plan.scene_number <= len(scenes):
                continue
            panels.append(Panel(scene_id=scenes[plan.scene_number - 1].scene_id, title=plan.title,
                                description=plan.background,
                                characters=[n for n in dict.fromkeys(plan.characters) if n in names],
                                dialogue=[DialogueLine(speaker=l.speaker, text=l.text[:600])
                                          for l in plan.dialogue if l.speaker in names]))
        if not panels:
            raise UpstreamError("OpenAI planned no usable panels", provider="OpenAI", retryable=True,
                                code="provider_bad_output")
        return panels

    async def close(self) -> None:
        await self.client.close()
