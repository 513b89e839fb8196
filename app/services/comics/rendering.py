"""Rendering one image onto a comic: a character's reference sheet, or a panel (drawn, kept, lettered).

A render run for a request goes through LiveRenders, so deleting the project stops it (ProjectGone). At
most MAX_CONCURRENT_RENDERS image calls are in flight at once, process-wide (`slots`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from app.errors import Conflict, FableError, InvalidInput, NotFound, UpstreamError
from app.models.schemas import Character, Comic, DialogueLine, ImageKind, ImageRecord, Panel
from app.services.comics.assets import cast_of, shows
from app.services.comics.comic_parts import character_of, panel_of
from app.services.comics.comic_writes import Change, ComicWrites
from app.services.comics.image_history import ImageLink, set_image
from app.services.jobs.runner import JobStopped
from app.services.drawing.lettering import NARRATORS, letter_panel
from app.services.comics.live_renders import LiveRenders
from app.services.providers.protocols import Providers, RenderedImage
from app.storage.data_manager import DataManager
from utils import slugify

log = logging.getLogger(__name__)
_NARRATORS = {slugify(name) for name in NARRATORS}

STOPPED_UNEXPECTEDLY = "an unexpected error stopped this panel's render (it has been logged); render it again"


class Renderer:
    def __init__(
        self,
        *,
        data: DataManager,
        providers: Providers,
        writes: ComicWrites,
        renders: LiveRenders,
        max_concurrent_renders: int,
        image_link: ImageLink,
    ) -> None:
        self.data = data
        self.providers = providers
        self.writes = writes
        self.renders = renders
        self.image_link = image_link
        self.slots = asyncio.Semaphore(max_concurrent_renders)

    # -- character sheets -----------------------------------------------------------------------
    async def render_character(self, comic_id: str, character_id: str) -> Character:
        """Draw one character's sheet for a request; deleting the project stops it (ProjectGone)."""
        return await self.renders.run(comic_id, self.draw_character(comic_id, character_id))

    async def draw_character(self, comic_id: str, character_id: str) -> Character:
        """Draw one character's reference sheet. The earlier sheet stays in its history, and the
        rendered panels that show the character become stale."""
        comic = await self.data.get_comic(comic_id)
        character = character_of(comic, character_id)
        async with self.slots:
            rendered = await self.providers.images.render_character(character=character, style=comic.style)
        record = await self._keep(
            rendered, kind="character", comic_id=comic.id, character_id=character.id, owner_id=comic.owner_id
        )

        def attach(current: Comic) -> Comic:
            member = character_of(current, character_id)
            set_image(member, record, link=self.image_link)
            member.reference_url = record.source_url
            for panel in current.panels:
                if shows(panel, member) and panel.status == "rendered":
                    panel.stale = True
            return current

        comic = await self.data.update_comic(comic.id, attach)
        return character_of(comic, character_id)

    # -- panels -----------------------------------------------------------------------------------
    async def render_panel(self, comic_id: str, panel_id: str) -> Panel:
        """Draw one panel for a request; deleting the project stops it (ProjectGone)."""
        return await self.renders.run(comic_id, self._render_panel(comic_id, panel_id))

    async def _render_panel(self, comic_id: str, panel_id: str) -> Panel:
        """Draw one panel with its cast's references. Whatever stops it is written on the panel and raised:
        a failure as failed (with whether a retry may help), a cancel as the status it had. The panel's
        earlier image stays in its history."""
        panel_of(await self.data.get_comic(comic_id), panel_id)  # 404 before a write
        with self.renders.panel(comic_id, panel_id):
            comic = await self.writes.update(comic_id, claim_panel(panel_id))
            try:
                outcome = await self.draw(comic, panel_id)
            except BaseException as exc:
                await self.write_stop(comic_id, [panel_id], exc)
                raise
            try:
                comic = await self.writes.update(comic_id, outcome)
            except Exception as exc:
                await self.write_stop(comic_id, [panel_id], exc)
                raise
        return panel_of(comic, panel_id)

    async def draw(self, comic: Comic, panel_id: str) -> Change:
        """Draw, keep and letter one claimed panel; the change that attaches its images to the comic."""
        panel = panel_of(comic, panel_id)
        cast = cast_of(panel, comic.characters)
        scene = next((s for s in comic.scenes if s.scene_id == panel.scene_id), None)
        async with self.slots:
            rendered = await self.providers.images.render_panel(panel=panel, scene=scene, cast=cast, style=comic.style)
        art = await self._keep(rendered, kind="panel", comic_id=comic.id, panel_id=panel_id, owner_id=comic.owner_id)
        record = await self._letter(rendered, art, panel=panel, cast=cast)

        def attach(current: Comic) -> Comic:
            target = panel_of(current, panel_id)
            set_image(target, record, link=self.image_link)
            target.art_id, target.art_url = art.id, self.image_link(art.id)
            target.image_path = f"images/{record.local_path}" if record.local_path else None
            target.status, target.error, target.retryable, target.stale = "rendered", None, False, False
            return current

        return attach

    # -- new words on kept art ----------------------------------------------------------------------
    async def reletter(self, comic_id: str, panel_id: str, *, version: int, words: dict[str, Any]) -> Comic:
        """Letter a panel anew from its kept art with new `words` (its dialogue and/or narration): no image
        call. The lettered image it had joins its history; a stale `version` changes nothing (409).
        Deleting the project stops it (ProjectGone)."""
        return await self.renders.run(comic_id, self._reletter(comic_id, panel_id, version=version, words=words))

    async def _reletter(self, comic_id: str, panel_id: str, *, version: int, words: dict[str, Any]) -> Comic:
        comic = await self.data.get_comic(comic_id)
        panel = panel_of(comic, panel_id)
        _same_version(comic, version)
        _not_drawing(panel)
        art, data = await self._kept_art(panel)
        if "dialogue" in words:
            words = {**words, "dialogue": _speakers_known(words["dialogue"], comic, panel)}
        worded = panel.model_copy(update=words)
        record = await self.letter_art(data, art, panel=worded, cast=cast_of(worded, comic.characters))

        def attach(current: Comic) -> Comic:
            _same_version(current, version)
            target = panel_of(current, panel_id)
            for name, value in words.items():
                setattr(target, name, value)
            set_image(target, record, link=self.image_link)
            target.image_path = f"images/{record.local_path}" if record.local_path else None
            target.status, target.error, target.retryable = "rendered", None, False
            return current

        try:
            return await self.data.update_comic(comic_id, attach)
        except (Conflict, NotFound):  # refused before anything was written: the new image is no one's
            with contextlib.suppress(FableError):
                await self.data.delete_image(record.id)
            raise

    async def _kept_art(self, panel: Panel) -> tuple[ImageRecord, bytes]:
        """The panel's unlettered art and its bytes; 409 when it has none kept to letter."""
        if panel.art_id is None or panel.art_id == panel.image_id:
            raise Conflict(
                f"panel '{panel.title}' has no kept art to letter (it was never drawn, or drawn before art was "
                "kept); render it first, then change its words"
            )
        try:
            art = await self.data.get_image(panel.art_id)
            return art, await self.data.read_image_bytes(art.id)
        except NotFound:
            raise Conflict(
                f"panel '{panel.title}' has no stored art to letter any more; render it first, then change its words"
            ) from None

    async def write_stop(self, comic_id: str, panel_ids: list[str], exc: BaseException) -> None:
        """Write why these panels stopped. Shielded from a second cancel; when storage refuses even this, the
        panels are left `rendering` with no live render, which every read shows as failed and retryable."""
        try:
            await self.writes.update(comic_id, stopped_panels(panel_ids, exc))
        except Exception as failure:
            if not isinstance(failure, NotFound):
                log.error(
                    "comic %s: could not record why %d panel(s) stopped: %s",
                    comic_id,
                    len(panel_ids),
                    getattr(failure, "message", failure.__class__.__name__),
                )

    async def _letter(
        self, rendered: RenderedImage, art: ImageRecord, *, panel: Panel, cast: list[Character]
    ) -> ImageRecord:
        """The panel's art lettered (balloons, caption, border) and kept as its own image, which names
        the art it came from. Art only a URL points at is used as it is."""
        if rendered.data is None:
            return art
        return await self.letter_art(rendered.data, art, panel=panel, cast=cast)

    async def letter_art(self, data: bytes, art: ImageRecord, *, panel: Panel, cast: list[Character]) -> ImageRecord:
        """Letter the art's bytes with the panel's words (in a thread: CPU work) and keep the result."""
        try:
            lettered, _ = await asyncio.to_thread(
                letter_panel,
                data,
                narration=panel.narration,
                dialogue=panel.dialogue,
                cast=[c.name for c in cast],
            )
        except ValueError as exc:
            raise InvalidInput(f"the panel could not be lettered: {exc}; shorten its dialogue") from exc
        return await self.data.store_image(
            lettered,
            kind="panel",
            content_type="image/png",
            width=art.width,
            height=art.height,
            model=f"{art.model}+lettering",
            comic_id=art.comic_id,
            panel_id=art.panel_id,
            owner_id=art.owner_id,
            art_id=art.id,
        )

    async def _keep(self, rendered: RenderedImage, *, kind: ImageKind, **links: Any) -> ImageRecord:
        fields = {
            "content_type": rendered.content_type,
            "width": rendered.width,
            "height": rendered.height,
            "model": rendered.model,
            "source_url": rendered.url,
            **links,
        }
        if rendered.data is not None:
            return await self.data.store_image(rendered.data, kind=kind, **fields)
        if rendered.url is None:
            provider = self.providers.images.name
            raise UpstreamError(f"{provider} returned no image", provider=provider, retryable=True)
        return await self.data.reference_image(rendered.url, kind=kind, **fields)


def _same_version(comic: Comic, version: int) -> None:
    if comic.version != version:
        raise Conflict(
            f"the project changed since version {version} (it is at version {comic.version}); "
            "fetch it and apply your change again"
        )


def _not_drawing(panel: Panel) -> None:
    if panel.status == "rendering":
        raise Conflict(f"panel '{panel.title}' is being drawn; wait for it to finish, then change its words")


def _speakers_known(lines: list[DialogueLine], comic: Comic, panel: Panel) -> list[DialogueLine]:
    """The lines with each speaker named as the comic names them: a cast member (matched as names are
    matched everywhere, by slug), a narrator, or someone who already speaks in this panel or its scene.
    Anyone else is a 422 naming the lines' positions."""
    scene = next((s for s in comic.scenes if s.scene_id == panel.scene_id), None)
    known = {_who(c.name): c.name for c in comic.characters}
    for line in [*(scene.dialogue if scene else []), *panel.dialogue]:
        known.setdefault(_who(line.speaker), line.speaker)
    unknown = [n for n, line in enumerate(lines) if _who(line.speaker) not in known.keys() | _NARRATORS]
    if unknown:
        names = ", ".join(sorted({c.name for c in comic.characters})) or "none yet"
        raise InvalidInput.at_positions(
            "dialogue",
            unknown,
            problem="spoken by someone who is not in this comic",
            hint=f"a speaker is a cast member ({names}), someone already speaking in this panel, or Narrator",
        )
    return [DialogueLine(speaker=known.get(_who(line.speaker), line.speaker), text=line.text) for line in lines]


def _who(name: str) -> str:
    """A speaker's name as names are matched (by slug; a name with no latin letters, as written)."""
    return slugify(name) or " ".join(name.casefold().split())


def claim_panel(panel_id: str) -> Change:
    """The change that marks a panel `rendering` (NotFound when the comic no longer has it)."""

    def claim(comic: Comic) -> Comic:
        panel_of(comic, panel_id).status = "rendering"
        return comic

    return claim


def stopped_panels(panel_ids: list[str], exc: BaseException) -> Change:
    """What a stop leaves on panels still `rendering`: a cancel gives back the status they had (pending, or
    rendered when they have an image); a failure is failed, retryable unless the panel itself is at fault."""
    cancelled = isinstance(exc, (asyncio.CancelledError, JobStopped)) or not isinstance(exc, Exception)
    if isinstance(exc, (UpstreamError, InvalidInput)):
        error, retryable = exc.message, isinstance(exc, UpstreamError) and exc.retryable
    else:
        error, retryable = (exc.message if isinstance(exc, FableError) else STOPPED_UNEXPECTEDLY), True

    def stop(comic: Comic) -> Comic | None:
        changed = False
        for panel in comic.panels:
            if panel.panel_id in panel_ids and panel.status == "rendering":
                if cancelled:
                    panel.status = "rendered" if panel.image_id else "pending"
                else:
                    panel.status, panel.error, panel.retryable = "failed", error, retryable
                changed = True
        return comic if changed else None

    return stop
