"""The OpenAI writer: structured outputs (json_schema, strict) into the domain's Scenes and Panels."""

from __future__ import annotations

import re

from collections.abc import AsyncIterator

import logging

from app.errors import UpstreamError
from app.models.drafts import CharacterDraft, CharactersDraft, PanelsDraft, SceneDraft, ScenesDraft
from app.models.schemas import Character, DialogueLine, Panel, Scene
from app.services.safety.checks import check_locally
from app.services.providers.protocols import PanelPlan
from app.services.safety import default_moderator
from app.services.safety.checked import WRITER_NOTE
from app.services.safety.moderator import Moderator
from external_services import OpenAIClient
from master_prompts import extraction_messages, panels_messages, refine_messages, scenes_messages, story_messages
from utils import new_id, slugify

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
log = logging.getLogger(__name__)

# OpenAI's `flagged` is set for adults; a children's comic refuses far lower scores. Each of its
# categories -> ours and the score from which it refuses. (It has none for alcohol, gambling, challenges
# or grooming: those are the local moderator's alone.)
OPENAI_THRESHOLDS: dict[str, tuple[str, float]] = {
    "sexual": ("sexual", 0.10),
    "sexual/minors": ("sexual", 0.01),
    "self-harm": ("self_harm", 0.15),
    "self-harm/intent": ("self_harm", 0.10),
    "self-harm/instructions": ("self_harm", 0.05),
    "hate": ("hate", 0.20),
    "hate/threatening": ("hate", 0.10),
    "harassment": ("hate", 0.40),
    "harassment/threatening": ("violence", 0.20),
    "violence": ("violence", 0.60),
    "violence/graphic": ("violence", 0.20),
    "illicit": ("drugs", 0.40),
    "illicit/violent": ("weapons", 0.20),
}
_BY_SEVERITY = sorted(OPENAI_THRESHOLDS, key=lambda name: OPENAI_THRESHOLDS[name][1])


def refused_category(flagged: bool, scores: dict[str, float]) -> str | None:
    """Ours for the strictest of OpenAI's categories over its threshold (or flagged at all), else None."""
    over = [name for name in _BY_SEVERITY if scores.get(name, 0.0) >= OPENAI_THRESHOLDS[name][1]]
    if over:
        return OPENAI_THRESHOLDS[over[0]][0]
    if flagged:
        top = max(scores, key=lambda name: scores[name], default="violence")
        return OPENAI_THRESHOLDS.get(top, ("violence", 0.0))[0]
    return None


def _noted(system: str) -> str:
    """The system prompt, with the note a refused draft leaves for its second attempt."""
    note = WRITER_NOTE.get()
    return f"{system}\n\n{note}" if note else system


def character_from_draft(draft: CharacterDraft, *, age_group: str) -> Character:
    return Character(
        id=new_id(),
        name=draft.name.strip()[:80],
        description=draft.brief[:500],
        character_type=draft.character_type,
        age_group=age_group,
        brief=draft.brief[:500],
        era=draft.era[:120],
        visual_form=draft.visual_form[:500],
        visual_tags=[m[:80] for m in draft.distinctive_markers[:8]],
        color_palette=[c for c in draft.color_palette if HEX_COLOUR.match(c)][:6],
        distinctive_markers=[m[:80] for m in draft.distinctive_markers[:8]],
        demeanor=draft.demeanor[:200],
        role=draft.role,
    )


def _scene(draft: SceneDraft, number: int, cast_names: set[str]) -> Scene:
    lines = [
        DialogueLine(speaker=line.speaker, text=line.text[:600])
        for line in draft.dialogue
        if not cast_names or line.speaker in cast_names
    ]
    return Scene(
        scene_id=f"scene-{number}",
        title=draft.title,
        description=draft.description,
        dialogue=lines,
        learning_point=draft.learning_point,
        visual_elements=draft.visual_elements,
        setting=draft.setting,
    )


class OpenAITextModel:
    name = "openai"
    moderator: Moderator | None = None

    def __init__(self, client: OpenAIClient, moderator: Moderator | None = None) -> None:
        self.client = client
        self.moderator = moderator  # None: the process's shared local moderator

    async def moderate(self, texts: list[str]) -> None:
        """The local moderator first (free, offline), then OpenAI's scores; either refusing refuses. When
        OpenAI cannot be reached, the local verdict stands; a key it rejects is still an error."""
        await check_locally(texts, self.moderator)
        try:
            results = await self.client.moderation_scores(texts)
        except UpstreamError as exc:
            if not exc.retryable:
                raise
            log.warning("OpenAI moderation unavailable (%s); the local check's verdict stands", exc.message)
            return
        for flagged, scores in results:
            category = refused_category(flagged, scores)
            if category is not None:
                raise (self.moderator or default_moderator()).refusal(category, source="openai")

    async def write_scenes(
        self, *, topic: str, age_group: str, num_scenes: int, style: str, cast: list[Character]
    ) -> list[Scene]:
        system, user = scenes_messages(topic=topic, age_group=age_group, num_scenes=num_scenes, style=style, cast=cast)
        draft = await self.client.structured(system=_noted(system), user=user, schema=ScenesDraft)
        if len(draft.scenes) < num_scenes:
            raise UpstreamError(
                f"OpenAI wrote {len(draft.scenes)} scenes where {num_scenes} were asked for",
                provider="OpenAI",
                retryable=True,
                code="provider_bad_output",
            )
        names = {c.name for c in cast}
        scenes = [_scene(d, i, names) for i, d in enumerate(draft.scenes[:num_scenes], start=1)]
        await self.moderate(
            [text for s in scenes for text in (s.title, s.description, *(line.text for line in s.dialogue))]
        )
        return scenes

    async def refine_scenes(
        self, *, scenes: list[Scene], feedback: str, scene_ids: list[str], age_group: str, cast: list[Character]
    ) -> list[Scene]:
        system, user = refine_messages(
            scenes=scenes, feedback=feedback, scene_ids=scene_ids, age_group=age_group, cast=cast
        )
        draft = await self.client.structured(system=_noted(system), user=user, schema=ScenesDraft)
        if len(draft.scenes) != len(scenes):
            raise UpstreamError(
                f"OpenAI returned {len(draft.scenes)} scenes for a comic of {len(scenes)}",
                provider="OpenAI",
                retryable=True,
                code="provider_bad_output",
            )
        names = {c.name for c in cast}
        refined = []
        for number, (old, new) in enumerate(zip(scenes, draft.scenes, strict=False), start=1):
            if old.scene_id in scene_ids:  # the others stay exactly as they were, whatever came back
                rewritten = _scene(new, number, names)
                refined.append(rewritten.model_copy(update={"scene_id": old.scene_id, "revision": old.revision + 1}))
            else:
                refined.append(old)
        changed = [s for s in refined if s.scene_id in scene_ids]
        await self.moderate(
            [text for s in changed for text in (s.title, s.description, *(line.text for line in s.dialogue))]
        )
        return refined

    async def plan_panels(self, *, scenes: list[Scene], cast: list[Character]) -> PanelPlan:
        age_group = cast[0].age_group if cast else "5-12"
        system, user = panels_messages(scenes=scenes, cast=cast, age_group=age_group)
        draft = await self.client.structured(system=_noted(system), user=user, schema=PanelsDraft)
        names = {c.name for c in cast}
        panels = []
        dropped = sorted(
            {
                n
                for plan in draft.panels
                for n in (*plan.characters, *(line.speaker for line in plan.dialogue))
                if n not in names
            }
        )
        for plan in draft.panels:
            if not 1 <= plan.scene_number <= len(scenes):
                continue
            panels.append(
                Panel(
                    scene_id=scenes[plan.scene_number - 1].scene_id,
                    title=plan.title,
                    description=plan.background,
                    narration=plan.narration.strip()[:400] or None,
                    characters=[n for n in dict.fromkeys(plan.characters) if n in names],
                    dialogue=[
                        DialogueLine(speaker=line.speaker, text=line.text[:600])
                        for line in plan.dialogue
                        if line.speaker in names
                    ],
                )
            )
        if not panels:
            raise UpstreamError(
                "OpenAI planned no usable panels", provider="OpenAI", retryable=True, code="provider_bad_output"
            )
        return PanelPlan(panels, dropped)

    async def stream_story(self, *, topic: str, age_group: str, cast: list[Character]) -> AsyncIterator[str]:
        system, user = story_messages(topic=topic, age_group=age_group, cast=cast)
        async for piece in self.client.stream(system=system, user=user):
            yield piece

    async def extract_characters(self, *, story: str, age_group: str) -> list[Character]:
        system, user = extraction_messages(story=story, age_group=age_group)
        draft = await self.client.structured(system=_noted(system), user=user, schema=CharactersDraft)
        found: dict[str, Character] = {}
        folded_story = f"-{slugify(story)}-"
        for item in draft.characters:
            slug = slugify(item.name)
            if slug and slug not in found and f"-{slug}-" in folded_story:  # only who the story really names
                found[slug] = character_from_draft(item, age_group=age_group)
        if not found:
            raise UpstreamError(
                "OpenAI found no characters named in the story",
                provider="OpenAI",
                retryable=True,
                code="provider_bad_output",
            )
        return list(found.values())

    async def close(self) -> None:
        await self.client.close()
