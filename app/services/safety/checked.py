"""Writers and artists whose output is moderated: every scene, line, panel plan and character profile a
writer produces, and the text of every picture before it is asked for.

Unsafe generated text is written again once, with a note to the writer (WRITER_NOTE, which the OpenAI
writer adds to its instructions); unsafe again, the call fails with ContentRefused, so the job fails
with code `content_refused`. Wrapped where the providers are built, so the pipeline does not change.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from typing import TypeVar

from app.errors import ContentRefused
from app.models.schemas import Character, Panel, Scene
from app.services.providers.protocols import ImageModel, PanelPlan, RenderedImage, TextModel
from app.services.safety.moderator import Moderator

log = logging.getLogger(__name__)
T = TypeVar("T")

WRITER_NOTE: ContextVar[str | None] = ContextVar("writer_note", default=None)
NOTE = (
    "Your last draft was refused by the children's-content check. Write it again for readers aged 5-12: "
    "nothing violent, frightening, sexual, hateful or dangerous to copy; keep the lesson gentle and safe."
)


# One text per scene, panel or character, its parts joined: the classifier reads a line of dialogue in
# its scene ("Can I run and get my ball?" alone reads like a dare; in a park scene it is not).
def _joined(parts: list[str]) -> str:
    return ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip())


def scene_texts(scenes: list[Scene]) -> list[str]:
    return [
        _joined([s.title, s.description, s.learning_point, *s.visual_elements, *(line.text for line in s.dialogue)])
        for s in scenes
    ]


def panel_texts(panels: list[Panel]) -> list[str]:
    return [_joined([p.title, p.description, p.narration or "", *(line.text for line in p.dialogue)]) for p in panels]


def character_texts(characters: list[Character]) -> list[str]:
    return [
        _joined(
            [
                c.name,
                c.description,
                c.brief or "",
                c.visual_form or "",
                c.demeanor or "",
                *c.visual_tags,
                *c.distinctive_markers,
            ]
        )
        for c in characters
    ]


def writes_from_templates(provider: object) -> bool:
    """The offline writer: its text is our own curated templates around a topic the moderator has already
    passed, and so are the pictures' texts made from it. The rules still read all of it; the
    classifier, trained on topics, is not asked about our own sentences (it read 'Officer Kim climbs into
    the car and forgets the seat belt' as grooming, and a deterministic writer cannot write it otherwise)."""
    return getattr(provider, "name", None) == "offline"


class CheckedTextModel:
    """A TextModel whose every output passes the moderator, or is written once more, or is refused."""

    def __init__(self, inner: TextModel, moderator: Moderator) -> None:
        self.inner = inner
        self.moderator = moderator
        self.name = inner.name
        self.classify = not writes_from_templates(inner)

    async def moderate(self, texts: list[str]) -> None:
        await self.inner.moderate(texts)

    async def moderate_written(self, texts: list[str]) -> None:
        """A finished story this writer wrote: the offline writer's is our own templates around a prompt
        already passed, so the rules alone read it, as they read its scenes (writes_from_templates); any
        other writer's is checked in full, as a topic is."""
        if self.classify:
            await self.inner.moderate(texts)
        else:
            await asyncio.to_thread(self.moderator.check, texts, generated=True, classify=False)

    async def _checked(self, write: Callable[[], Awaitable[T]], texts_of: Callable[[T], list[str]]) -> T:
        for attempt in (1, 2):
            token = WRITER_NOTE.set(NOTE) if attempt == 2 else None
            try:
                result = await write()
                await asyncio.to_thread(self.moderator.check, texts_of(result), generated=True, classify=self.classify)
                return result
            except ContentRefused as refused:
                if attempt == 2:
                    raise
                log.info("generated text refused (category=%s); writing it again with a note", refused.category)
            finally:
                if token is not None:
                    WRITER_NOTE.reset(token)
        raise AssertionError("unreachable")

    async def write_scenes(
        self, *, topic: str, age_group: str, num_scenes: int, style: str, cast: list[Character]
    ) -> list[Scene]:
        return await self._checked(
            lambda: self.inner.write_scenes(
                topic=topic, age_group=age_group, num_scenes=num_scenes, style=style, cast=cast
            ),
            scene_texts,
        )

    async def refine_scenes(
        self, *, scenes: list[Scene], feedback: str, scene_ids: list[str], age_group: str, cast: list[Character]
    ) -> list[Scene]:
        return await self._checked(
            lambda: self.inner.refine_scenes(
                scenes=scenes, feedback=feedback, scene_ids=scene_ids, age_group=age_group, cast=cast
            ),
            lambda refined: scene_texts([s for s in refined if s.scene_id in scene_ids]),
        )

    async def plan_panels(self, *, scenes: list[Scene], cast: list[Character]) -> PanelPlan:
        return await self._checked(
            lambda: self.inner.plan_panels(scenes=scenes, cast=cast), lambda plan: panel_texts(plan.panels)
        )

    def stream_story(self, *, topic: str, age_group: str, cast: list[Character]) -> AsyncIterator[str]:
        # Streamed as written; the whole story is moderated when it ends (the builder refuses it then).
        return self.inner.stream_story(topic=topic, age_group=age_group, cast=cast)

    async def extract_characters(self, *, story: str, age_group: str) -> list[Character]:
        return await self._checked(
            lambda: self.inner.extract_characters(story=story, age_group=age_group), character_texts
        )

    async def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            await close()


class CheckedImageModel:
    """An ImageModel that is never asked for a picture whose text the moderator refuses."""

    def __init__(self, inner: ImageModel, moderator: Moderator, *, prompts_from_templates: bool) -> None:
        self.inner = inner
        self.moderator = moderator
        self.name = inner.name
        # A picture's text is the writer's: classified unless the offline writer wrote it from our templates.
        self.classify = not prompts_from_templates

    async def render_character(self, *, character: Character, style: str) -> RenderedImage:
        await asyncio.to_thread(
            self.moderator.check, character_texts([character]), generated=True, classify=self.classify
        )
        return await self.inner.render_character(character=character, style=style)

    async def render_panel(
        self, *, panel: Panel, scene: Scene | None, cast: list[Character], style: str
    ) -> RenderedImage:
        texts = panel_texts([panel]) + (scene_texts([scene]) if scene else []) + character_texts(cast)
        await asyncio.to_thread(self.moderator.check, texts, generated=True, classify=self.classify)
        return await self.inner.render_panel(panel=panel, scene=scene, cast=cast, style=style)

    def __getattr__(self, name: str) -> object:  # anything else the artist offers (edit models, close)
        return getattr(self.inner, name)

    async def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            await close()
