"""The comic builder: a project (a Comic) edited phase by phase, on the same pipeline as the wizard.

story (streamed) -> characters extracted from it -> sheets rendered one by one -> panels planned from
the story and the cast -> panels rendered one by one or all at once (a job).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncGenerator, Callable
from typing import Any

import anyio

from app.errors import Conflict, FableError, InvalidInput, StorageError
from app.models.api import CreateProjectRequest, ReletterPanelRequest, UpdateProjectRequest
from app.models.schemas import Character, Comic, DialogueLine, Job, Panel, Scene
from app.services.comics.assets import resolve
from app.services.safety.checked import CheckedTextModel
from app.services.comics.image_history import ImageHistory
from app.services.jobs.runner import JobQuota, JobRunner
from app.services.comics.listed_jobs import ListedJobs
from app.services.comics.panel_planner import PanelPlanner
from app.services.providers.protocols import Providers, TextModel
from app.services.comics.render_all import RenderAll
from app.services.comics.rendering import Renderer
from app.storage.data_manager import DataManager
from utils import slugify

log = logging.getLogger(__name__)

PARTIAL_SAVE_SECONDS = 2.0  # a streaming story is saved this often, so a crash keeps most of it
_SAID = re.compile(
    r"""([A-Z][\w'-]*(?: [A-Z][\w'-]*)?) (?:said|says|asked|shouted|whispered),? ["“]([^"”]{1,600})["”]"""
)


SCENE_CHARS = 4000  # the most text one scene (one panel's brief) carries; a longer paragraph is split
_SENTENCE = re.compile(r".+?(?:[.!?\u3002\uff01\uff1f]+[\"'\u201d\u2019)]*(?:\s+|$)|$)", re.S)


def _pieces(paragraph: str, limit: int = SCENE_CHARS) -> list[str]:
    """A paragraph in pieces of at most `limit` characters, cut between sentences where it can be."""
    pieces: list[str] = []
    current = ""
    for sentence in (s for s in _SENTENCE.findall(paragraph) if s):
        while len(sentence) > limit:  # a sentence longer than a piece: cut at a space, or anywhere
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            pieces.extend(p for p in (current.strip(), sentence[:cut].strip()) if p)
            sentence, current = sentence[cut:], ""
        if len(current) + len(sentence) > limit:
            pieces.append(current.strip())
            current = ""
        current += sentence
    return [p for p in (*pieces, current.strip()) if p]


def _grouped(parts: list[str], count: int) -> list[list[str]]:
    """Consecutive parts in at most `count` groups of about equal length (by characters)."""
    if len(parts) <= count:
        return [[part] for part in parts]
    total = sum(len(part) for part in parts) or 1
    groups: dict[int, list[str]] = {}
    done = 0
    for part in parts:
        # A part joins the group its middle falls in, so groups stay in order and about even.
        index = min(count - 1, (done + len(part) // 2) * count // total)
        groups.setdefault(index, []).append(part)
        done += len(part)
    return list(groups.values())


def story_scenes(story: str, cast: list[Character], *, max_scenes: int | None = None) -> list[Scene]:
    """The story's paragraphs as scenes for the panel planner, with the cast's quoted lines as dialogue.
    A story with more paragraphs than `max_scenes` (MAX_PANELS) has neighbouring ones merged to fit; none
    of its text is left out."""
    parts = [piece for p in story.split("\n\n") if p.strip() for piece in _pieces(" ".join(p.split()))]
    groups = _grouped(parts, max_scenes) if max_scenes else [[part] for part in parts]
    scenes = []
    for number, group in enumerate(groups, start=1):
        paragraph = "\n\n".join(group)
        lines = []
        for speaker, text in _SAID.findall(paragraph):
            members, _ = resolve([speaker], cast)
            if members:
                lines.append(DialogueLine(speaker=members[0].name, text=text))
        title = " ".join(paragraph.split()[:6]).rstrip(".,;:!?")
        scenes.append(
            Scene(
                scene_id=f"part-{number}", title=title[:120], description=paragraph, dialogue=lines, learning_point=""
            )
        )
    return scenes


def _story_end(story: str, error: str | None, *, only_streaming: bool = False) -> Callable[[Comic], Comic | None]:
    def end(comic: Comic) -> Comic | None:
        if only_streaming and comic.story_status != "streaming":
            return None  # a held end that something else has ended meanwhile
        return comic.model_copy(
            update={"story": story, "story_status": "error" if error else "completed", "story_error": error}
        )

    return end


def ndjson(**fields: Any) -> str:
    return json.dumps(fields, ensure_ascii=False) + "\n"


class ProjectBuilder:
    def __init__(
        self,
        *,
        data: DataManager,
        runner: JobRunner,
        quota: JobQuota,
        jobs: ListedJobs,
        providers: Providers,
        planner: PanelPlanner,
        renderer: Renderer,
        render_all: RenderAll,
        history: ImageHistory,
    ) -> None:
        self.data = data
        self.runner = runner
        self.quota = quota
        self.jobs = jobs
        self.providers = providers
        self.planner = planner
        self.renderer = renderer
        self.render_all = render_all
        self.history = history
        self._claim = asyncio.Lock()

    @property
    def text(self) -> TextModel:
        return self.providers.text

    # -- projects ---------------------------------------------------------------------------------
    async def create(self, body: CreateProjectRequest, *, owner_id: str | None = None) -> Comic:
        if body.prompt:
            await self.text.moderate([body.prompt])
        title = body.title or (body.prompt[:60].rstrip() if body.prompt else "Untitled comic")
        comic = Comic(
            title=title,
            topic=body.prompt or title,
            prompt=body.prompt,
            age_group=body.age_group,
            style=body.style or "cartoon",
            owner_id=owner_id,
        )
        return await self.data.create_comic(comic)

    async def update(self, comic_id: str, body: UpdateProjectRequest) -> Comic:
        changes = body.model_dump(exclude_unset=True, exclude={"version"})
        texts = [v for k, v in changes.items() if k in ("title", "prompt", "story") and v]
        if texts:
            await self.text.moderate(texts)

        def apply(comic: Comic) -> Comic:
            if comic.version != body.version:
                raise Conflict(
                    f"the project changed since version {body.version} (it is at version "
                    f"{comic.version}); fetch it and apply your change again"
                )
            if "story" in changes:
                if comic.story_status == "streaming":
                    raise Conflict("the story is being written; wait for it to finish before editing it")
                comic.story_status, comic.story_error = ("completed" if changes["story"] else "idle"), None
            for name, value in changes.items():
                setattr(comic, name, value)
            return comic

        return await self.data.update_comic(comic_id, apply)

    async def delete(self, comic_id: str) -> None:
        """Stop the project's work (its jobs, and renders run for requests), then remove it with its images."""
        async with self.renderer.renders.closed(comic_id):  # no render starts for it from here on
            comic = await self.data.get_comic(comic_id)
            for job_id in comic.job_ids:
                if self.runner.is_running(job_id) or self.runner.stop_elsewhere is not None:
                    try:
                        await self.runner.cancel(job_id)
                    except FableError:  # final already, or its status cannot be written: stop its work anyway
                        await self.runner.stop(job_id)
            await self.data.delete_comic(comic_id)

    # -- story ------------------------------------------------------------------------------------
    async def start_story(self, comic_id: str, prompt: str | None) -> AsyncGenerator[str, None]:
        """Claim the story (409 while one is streaming), then hand back its NDJSON stream. Whatever ends
        the stream (done, a vendor failure, the client hanging up) leaves a final status, never streaming."""
        comic = await self.data.get_comic(comic_id)
        prompt = prompt or comic.prompt
        if not prompt:
            raise InvalidInput("give a prompt: this project has none to write a story from")
        await self.text.moderate([prompt])
        job = Job(
            comic_id=comic.id,
            kind="story",
            topic=prompt[:300],
            status="running",
            step="writing_story",
            owner_id=comic.owner_id,
        )

        def claim(current: Comic) -> Comic:
            if current.story_status == "streaming":
                raise Conflict("a story is already being written for this project; wait for it to finish")
            current.story_status, current.story, current.story_error = "streaming", "", None
            current.prompt = prompt
            current.job_ids = [*current.job_ids, job.id]
            return current

        async with self.quota.admit(comic.owner_id):
            job, comic = await self.jobs.create(job, listed_by=lambda _: self.data.update_comic(comic_id, claim))
        return self._stream_story(comic, job.id, prompt)

    async def _stream_story(self, comic: Comic, job_id: str, prompt: str) -> AsyncGenerator[str, None]:
        parts: list[str] = []
        last_save = time.monotonic()
        try:
            async for piece in self.text.stream_story(topic=prompt, age_group=comic.age_group, cast=comic.characters):
                parts.append(piece)
                yield ndjson(type="delta", text=piece)
                if time.monotonic() - last_save > PARTIAL_SAVE_SECONDS:
                    last_save = time.monotonic()
                    await self.data.update_comic(comic.id, lambda c: c.model_copy(update={"story": "".join(parts)}))
            story = "".join(parts).strip()
            if not story:
                raise InvalidInput("the writer returned an empty story")
            if isinstance(self.text, CheckedTextModel):
                await self.text.moderate_written([story])
            else:
                await self.text.moderate([story])
        except FableError as exc:
            await self._end_story(comic.id, job_id, "".join(parts), error=exc.message)
            yield ndjson(type="error", message=exc.message)
            return
        except Exception:
            log.exception("story for project %s failed", comic.id)
            await self._end_story(comic.id, job_id, "".join(parts), error="the story could not be finished")
            yield ndjson(type="error", message="the story could not be finished; try again")
            return
        except BaseException:  # the client hung up (the stream is cancelled) or the service is stopping
            with anyio.CancelScope(shield=True):
                await self._end_story(
                    comic.id,
                    job_id,
                    "".join(parts),
                    error="the stream stopped before the story was finished (the client "
                    "disconnected); the partial text is kept",
                )
            raise
        ended = await self._end_story(comic.id, job_id, story, error=None)
        yield ndjson(type="done", story=story) if ended is None else ndjson(type="error", message=ended)

    async def _end_story(self, comic_id: str, job_id: str, story: str, *, error: str | None) -> str | None:
        """Write the story's end and its job's; returns the error the stream ends with (None: done). When
        storage refuses the end now (a full disk), it becomes an error held over reads and retried in the
        background, so the project is not left `streaming` (409 to every new story) until a restart."""
        try:
            await self.data.update_comic(comic_id, _story_end(story, error))
        except StorageError as exc:
            error = error or f"the story could not be saved ({exc.message}); the text is kept, try again later"
            await self.data.update_eventually("comic", comic_id, _story_end(story, error, only_streaming=True))
        if error:
            await self.runner.fail(job_id, code="story_failed", message=error)
        else:
            await self.runner.complete(job_id)
        return error

    # -- characters and panels ----------------------------------------------------------------------
    async def extract_characters(self, comic_id: str) -> list[Character]:
        """The story's characters as profiles. Ones already in the cast (by slug) keep their images."""
        comic = await self.data.get_comic(comic_id)
        if comic.story_status != "completed" or not comic.story.strip():
            raise Conflict(f"there is no finished story to read characters from (story is {comic.story_status})")
        found = await self.text.extract_characters(story=comic.story, age_group=comic.age_group)

        def merge(current: Comic) -> Comic:
            existing = {slugify(c.name): c for c in current.characters}
            current.characters = [existing.get(slugify(c.name), c) for c in found]
            return current

        comic = await self.data.update_comic(comic_id, merge)
        return comic.characters

    async def plan_panels(self, comic_id: str) -> tuple[Comic, list[str]]:
        comic = await self.data.get_comic(comic_id)
        if comic.story_status != "completed" or not comic.story.strip():
            raise Conflict(f"panels are planned from a finished story (story is {comic.story_status})")
        if not comic.characters:
            raise Conflict("there is no cast yet: extract the characters first")
        scenes = story_scenes(comic.story, comic.characters, max_scenes=self.planner.max_panels)
        plan = await self.planner.plan(scenes=scenes, cast=comic.characters)
        comic = await self.data.update_comic(
            comic_id, lambda c: c.model_copy(update={"scenes": scenes, "panels": plan.panels})
        )
        return comic, plan.dropped

    async def render_character(self, comic_id: str, character_id: str) -> Character:
        return await self.renderer.render_character(comic_id, character_id)

    async def render_panel(self, comic_id: str, panel_id: str) -> Panel:
        return await self.renderer.render_panel(comic_id, panel_id)

    async def reletter_panel(self, comic_id: str, panel_id: str, body: ReletterPanelRequest) -> Comic:
        """New words on a panel, lettered onto its kept art: moderated before anything is stored, no image
        call; the lettered image it had joins its history."""
        words: dict[str, Any] = {}
        if "dialogue" in body.model_fields_set and body.dialogue is not None:
            words["dialogue"] = [DialogueLine(speaker=line.speaker, text=line.text) for line in body.dialogue]
        if "narration" in body.model_fields_set:
            words["narration"] = body.narration or None
        texts = [*(w for line in words.get("dialogue", []) for w in (line.speaker, line.text))]
        texts += [words["narration"]] if words.get("narration") else []
        if texts:
            await self.text.moderate(texts)
        return await self.renderer.reletter(comic_id, panel_id, version=body.version, words=words)

    async def restore_image(
        self, comic_id: str, image_id: str, *, panel_id: str | None = None, character_id: str | None = None
    ) -> Comic:
        return await self.history.restore(comic_id, panel_id=panel_id, character_id=character_id, image_id=image_id)

    async def start_render_all(self, comic_id: str) -> Job:
        async with self._claim:  # one check-then-start at a time, so two requests cannot both start a job
            return await self.render_all.start(comic_id)
