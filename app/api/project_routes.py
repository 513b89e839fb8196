"""The builder: a project (a comic) edited phase by phase, with live updates over a WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
from asyncio import FIRST_COMPLETED
import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, WebSocket, WebSocketDisconnect, status
from fastapi.responses import StreamingResponse

from app.api.auth import CurrentOwner, caller, signed_for
from app.api.comic_routes import accepted
from app.api.deps import AuthenticatorDep, BuilderDep, EventsDep, ExporterDep, LibraryDep, ProjectId
from app.api.signing import signed_urls
from app.api.urls import project_url
from app.errors import FableError, NotFound, Unauthorized
from app.models.api import (
    CreateProjectRequest,
    ExtractedCharacters,
    JobAccepted,
    PanelPlanResponse,
    ProjectList,
    ProjectSummary,
    ReletterPanelRequest,
    RestoreImageRequest,
    StoryRequest,
    UpdateProjectRequest,
)
from app.models.schemas import Character, Comic, Panel
from app.services.comics.library import Library
from app.services.jobs.events import PROJECT_DELETED, ProjectChange, ProjectDeleted
from app.services.exports.exporter import MEDIA_TYPES, ExportFormat
from utils import ID_PATTERN

router = APIRouter(prefix="/projects", tags=["builder"])
ws_router = APIRouter(prefix="/projects", tags=["builder"])  # authenticates itself (browsers send no headers)
# A live socket re-reads its project when no change was announced for this long: the fallback for changes
# written where this instance does not hear them (another instance without DATABASE_URL, a lost connection).
REREAD_SECONDS = 15.0

PanelId = Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="a panel id")]
CharacterId = Annotated[str, Path(pattern=ID_PATTERN, max_length=64, description="a character id")]


@router.get("", response_model=ProjectList)
async def list_projects(
    library: LibraryDep,
    who: CurrentOwner,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ProjectList:
    """Your projects, newest first."""
    comics = await library.comics(owner_id=who.owner_id, limit=limit, offset=offset)
    return ProjectList(projects=[ProjectSummary.of(c) for c in comics], limit=limit, offset=offset)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Comic)
async def create_project(
    body: CreateProjectRequest, request: Request, builder: BuilderDep, response: Response, who: CurrentOwner
) -> Comic:
    comic = await builder.create(body, owner_id=who.owner_id)
    response.headers["Location"] = project_url(comic.id)
    return signed_for(request, comic)


@router.get("/{project_id}", response_model=Comic)
async def get_project(project_id: ProjectId, request: Request, library: LibraryDep, who: CurrentOwner) -> Comic:
    """The whole state: story, characters, panels (with auth on, image URLs signed for `<img src>`)."""
    return signed_for(request, await library.comic(project_id, owner_id=who.owner_id))


@router.patch("/{project_id}", response_model=Comic)
async def update_project(
    project_id: ProjectId, body: UpdateProjectRequest, request: Request, builder: BuilderDep
) -> Comic:
    """Change some fields; `version` must be the one you read (409 otherwise, and nothing changes)."""
    return signed_for(request, await builder.update(project_id, body))


@router.delete("/{project_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_project(project_id: ProjectId, builder: BuilderDep) -> Response:
    """The project, its jobs and its image files."""
    await builder.delete(project_id)  # live clients (WebSocket, SSE) hear of it (ProjectEvents.deleted)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{project_id}/story",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"application/x-ndjson": {}},
            "description": 'NDJSON: {"type":"delta","text"} lines, then {"type":"done","story"} '
            'or {"type":"error","message"}',
        }
    },
)
async def write_story(
    project_id: ProjectId, builder: BuilderDep, body: StoryRequest | None = None
) -> StreamingResponse:
    """Write the story, streamed as it is written (409 while one is already streaming)."""
    lines = await builder.start_story(project_id, body.prompt if body else None)
    return StreamingResponse(
        _until_the_project_goes(lines),
        media_type="application/x-ndjson",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post("/{project_id}/characters/extract", response_model=ExtractedCharacters)
async def extract_characters(project_id: ProjectId, request: Request, builder: BuilderDep) -> ExtractedCharacters:
    """Read the characters out of the finished story into rich profiles (the project's cast)."""
    return signed_for(
        request, ExtractedCharacters(project_id=project_id, characters=await builder.extract_characters(project_id))
    )


@router.post("/{project_id}/characters/{character_id}/render", response_model=Character)
async def render_character(
    project_id: ProjectId, character_id: CharacterId, request: Request, builder: BuilderDep
) -> Character:
    """Draw the character's reference sheet; panels that show the character become stale."""
    return signed_for(request, await builder.render_character(project_id, character_id))


@router.post("/{project_id}/characters/{character_id}/restore", response_model=Comic)
async def restore_character_image(
    project_id: ProjectId, character_id: CharacterId, body: RestoreImageRequest, request: Request, builder: BuilderDep
) -> Comic:
    """Make an earlier sheet the character's reference again."""
    return signed_for(request, await builder.restore_image(project_id, body.image_id, character_id=character_id))


@router.post("/{project_id}/panels/generate", response_model=PanelPlanResponse)
async def plan_panels(project_id: ProjectId, request: Request, builder: BuilderDep) -> PanelPlanResponse:
    """Plan the panels from the story and the cast; names outside the cast are dropped and listed."""
    comic, dropped = await builder.plan_panels(project_id)
    return signed_for(
        request, PanelPlanResponse(project_id=project_id, panels=comic.panels, dropped_characters=dropped)
    )


@router.post("/{project_id}/panels/render", status_code=status.HTTP_202_ACCEPTED, response_model=JobAccepted)
async def render_all_panels(project_id: ProjectId, builder: BuilderDep, response: Response) -> JobAccepted:
    """A job rendering every panel that is missing, failed or stale, all at once within the render limit."""
    return accepted(await builder.start_render_all(project_id), response)


@router.post("/{project_id}/panels/{panel_id}/render", response_model=Panel)
async def render_panel(project_id: ProjectId, panel_id: PanelId, request: Request, builder: BuilderDep) -> Panel:
    """Draw (or redraw) one panel; the others are not touched, and its earlier image is kept."""
    return signed_for(request, await builder.render_panel(project_id, panel_id))


@router.patch("/{project_id}/panels/{panel_id}", response_model=Comic)
async def reletter_panel(
    project_id: ProjectId, panel_id: PanelId, body: ReletterPanelRequest, request: Request, builder: BuilderDep
) -> Comic:
    """New `dialogue` and/or `narration` for a drawn panel, lettered onto its kept art (no new drawing);
    its lettered image before joins its history. `version` must be the one you read (409 otherwise, and
    nothing changes); a panel with no kept art answers 409 (render it first)."""
    return signed_for(request, await builder.reletter_panel(project_id, panel_id, body))


@router.post("/{project_id}/panels/{panel_id}/restore", response_model=Comic)
async def restore_panel_image(
    project_id: ProjectId, panel_id: PanelId, body: RestoreImageRequest, request: Request, builder: BuilderDep
) -> Comic:
    """Make an earlier image the panel's image again."""
    return signed_for(request, await builder.restore_image(project_id, body.image_id, panel_id=panel_id))


async def _until_the_project_goes(lines: AsyncGenerator[str, None]) -> AsyncIterator[str]:
    """The story's lines; a project deleted while its story is written ends them with an error line (the
    story cannot be kept), not a dropped connection."""
    async with contextlib.aclosing(lines):
        try:
            async for line in lines:
                yield line
        except NotFound:
            yield (
                json.dumps(
                    {
                        "type": "error",
                        "code": "not_found",
                        "message": "the project was deleted while its story was being written",
                    }
                )
                + "\n"
            )


def _unchanged(tag: str | None, request: Request) -> bool:
    """If-None-Match as RFC 9110 (13.1.2) reads it, over every line of it: `*` matches any current
    representation (there is one when its tag is known), and entity tags compare weakly (W/ is ignored)."""
    if tag is None:
        return False
    sent = {part.strip() for line in request.headers.getlist("if-none-match") for part in line.split(",")}
    return "*" in sent or tag.removeprefix("W/") in {part.removeprefix("W/") for part in sent}


@router.get(
    "/{project_id}/export/{fmt}",
    response_class=Response,
    responses={
        200: {
            "description": "the file, with a Content-Disposition filename and an ETag",
            "content": {
                **{
                    media: {"schema": {"type": "string", "format": "binary"}}
                    for fmt, media in MEDIA_TYPES.items()
                    if fmt != "json"
                },
                MEDIA_TYPES["json"]: {"schema": {"type": "object"}},
            },
        },
        304: {"description": "unchanged since the ETag sent in If-None-Match"},
    },
)
async def export_comic(project_id: ProjectId, fmt: ExportFormat, request: Request, exporter: ExporterDep) -> Response:
    """The comic as a file: `pdf` (a page per comic page), `cbz` (with ComicInfo.xml) or `png` (the first
    page), 409 until every panel is drawn; or `json`, its rows of the Supabase tables (the export bundle)."""
    tag = await exporter.current_etag(project_id, fmt)
    if _unchanged(tag, request):  # before any page is composed
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": tag or ""})
    made = await exporter.export(project_id, fmt)
    if _unchanged(made.etag, request):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": made.etag})
    return Response(
        made.data,
        media_type=made.media_type,
        headers={
            "ETag": made.etag,
            "Cache-Control": "private, no-cache",
            "Content-Disposition": f'attachment; filename="{made.filename}"',
        },
    )


@ws_router.websocket("/{project_id}/ws")
async def project_updates(
    websocket: WebSocket, project_id: str, library: LibraryDep, events: EventsDep, authenticator: AuthenticatorDep
) -> None:
    """`{"event":"state.snapshot"}` on connect, then `{"event":"state.updated"}` after every change, and
    `{"event":"state.deleted"}` then close 4404 when the project is deleted. Text frames from the client are
    ignored; a binary frame closes with 1003. The credential comes in the Authorization header or, from a
    browser, `?access_token=`."""
    await websocket.accept()
    try:
        who = caller(websocket, allow_query=True)
    except Unauthorized as exc:
        await websocket.close(code=4401, reason=exc.message[:120])
        return
    try:
        comic = await library.comic(project_id, owner_id=who.owner_id)
    except NotFound:
        await websocket.close(code=4404, reason="project not found")
        return
    signer = authenticator.image_urls  # the state's image URLs, signed as in every answer
    with events.listen(project_id) as queue:
        await websocket.send_json(_event("state.snapshot", signed_urls(comic, signer=signer, owner_id=who.owner_id)))
        sent = comic.version
        hangup = asyncio.create_task(_until_closed(websocket))
        try:
            while True:
                change = asyncio.create_task(queue.get())
                done, _ = await asyncio.wait({change, hangup}, timeout=REREAD_SECONDS, return_when=FIRST_COMPLETED)
                if hangup in done:
                    change.cancel()
                    code = hangup.result()
                    if code is not None:
                        await websocket.close(code=code, reason="this socket takes text frames only")
                    return
                latest: ProjectChange | None
                if change in done:
                    latest = change.result()
                else:  # the fallback when no change was announced: read the state (another instance may write)
                    change.cancel()
                    latest = await _reread(library, project_id, owner_id=who.owner_id)
                if latest is None or (isinstance(latest, Comic) and latest.version <= sent):
                    continue
                if isinstance(latest, ProjectDeleted):
                    await websocket.send_json({"event": "state.deleted", "project_id": project_id})
                    await websocket.close(code=4404, reason="project deleted")
                    return
                await websocket.send_json(
                    _event("state.updated", signed_urls(latest, signer=signer, owner_id=who.owner_id))
                )
                sent = latest.version
        except (WebSocketDisconnect, RuntimeError):
            return
        finally:
            hangup.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await hangup


async def _reread(library: Library, project_id: str, *, owner_id: str | None) -> ProjectChange | None:
    """The project as storage has it now: PROJECT_DELETED when it is gone, None when it cannot be read now."""
    try:
        return await library.comic(project_id, owner_id=owner_id)
    except NotFound:
        return PROJECT_DELETED
    except FableError:
        return None


async def _until_closed(websocket: WebSocket) -> int | None:
    """Read what the client sends (nothing we need) until it leaves: None then, or 1003 (unsupported data)
    at its first binary frame."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return None
            if message.get("bytes") is not None:
                return 1003
    return None


def _event(name: str, comic: Comic) -> dict:
    return {"event": name, "project_id": comic.id, "version": comic.version, "state": comic.model_dump(mode="json")}
