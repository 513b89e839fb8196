"""The wizard: one job drives one comic from a topic to finished panels."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import StreamingResponse

from app.api.auth import CurrentOwner, signed_for
from app.api.deps import EventsDep, JobId, PipelineDep, LibraryDep, RunnerDep
from app.api.urls import job_status_url
from app.errors import FableError, NotFound
from app.models.api import (
    CharacterCatalog,
    CharacterSelection,
    ComicResult,
    GenerateScenesRequest,
    JobAccepted,
    JobStatusDocument,
    RefineScenesRequest,
    ScenesResponse,
    SelectCharactersRequest,
)
from app.models.schemas import Job
from app.services.comics.catalog import catalog

router = APIRouter(prefix="/comics", tags=["wizard"])

KEEPALIVE_SECONDS = 15.0


def accepted(job: Job, response: Response) -> JobAccepted:
    status_url = job_status_url(job.id)
    response.headers["Location"] = status_url
    return JobAccepted(job_id=job.id, status=job.status, status_url=status_url)


@router.post("/scenes/generate", status_code=status.HTTP_202_ACCEPTED, response_model=JobAccepted)
async def generate_scenes(
    body: GenerateScenesRequest, pipeline: PipelineDep, response: Response, who: CurrentOwner
) -> JobAccepted:
    """Start writing the scenes of a new comic about a topic."""
    return accepted(await pipeline.start_scenes(body, owner_id=who.owner_id), response)


@router.get("/characters", response_model=CharacterCatalog)
async def list_characters() -> CharacterCatalog:
    """The built-in character catalog to cast a comic from."""
    return CharacterCatalog(characters=catalog())


@router.get("/{job_id}/scenes", response_model=ScenesResponse)
async def get_scenes(job_id: JobId, pipeline: PipelineDep) -> ScenesResponse:
    """The scenes written so far, once they are ready for review."""
    return ScenesResponse(job_id=job_id, scenes=await pipeline.get_scenes(job_id))


@router.post("/{job_id}/scenes/refine", status_code=status.HTTP_202_ACCEPTED, response_model=JobAccepted)
async def refine_scenes(
    job_id: JobId, body: RefineScenesRequest, pipeline: PipelineDep, response: Response
) -> JobAccepted:
    """Rewrite scenes (all, or those named) with feedback; the job returns to awaiting_input."""
    return accepted(await pipeline.refine_scenes(job_id, body), response)


@router.post("/{job_id}/characters/select", response_model=CharacterSelection)
async def select_characters(
    job_id: JobId, body: SelectCharactersRequest, pipeline: PipelineDep, request: Request
) -> CharacterSelection:
    """Choose the cast from the catalog; the scenes' lines go to the chosen characters."""
    cast = await pipeline.select_characters(job_id, body.character_ids)
    return signed_for(request, CharacterSelection(job_id=job_id, characters=cast))


@router.post("/{job_id}/generate", status_code=status.HTTP_202_ACCEPTED, response_model=JobAccepted)
async def generate_comic(job_id: JobId, pipeline: PipelineDep, response: Response) -> JobAccepted:
    """Render the character sheets and every panel of the reviewed scenes."""
    return accepted(await pipeline.start_generation(job_id), response)


@router.get("/{job_id}/status", response_model=JobStatusDocument)
async def job_status(job_id: JobId, library: LibraryDep, who: CurrentOwner) -> JobStatusDocument:
    """The job's status, step and progress."""
    return JobStatusDocument.of(await library.job(job_id, owner_id=who.owner_id))


@router.get(
    "/{job_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "progress events"}},
)
async def job_events(
    job_id: JobId, library: LibraryDep, who: CurrentOwner, runner: RunnerDep, events: EventsDep, request: Request
) -> StreamingResponse:
    """Server-Sent Events: one `progress` event per status change, ending at a final state, or with an
    `error` event when the job can no longer be read (its project was deleted)."""
    comic_id = (await library.job(job_id, owner_id=who.owner_id)).comic_id  # 404 before the stream starts

    async def stream() -> AsyncIterator[str]:
        last: str | None = None
        # the project's changes wake the stream too: its deletion takes the job with it
        with events.listen(comic_id) as project_changes:
            while True:
                changed = runner.change_signal(job_id)  # taken before reading, so no change slips between
                try:
                    job = await library.job(job_id, owner_id=who.owner_id)
                except FableError as exc:
                    yield sse_error(exc)
                    return
                document = JobStatusDocument.of(job).model_dump_json()
                if document != last:
                    last = document
                    yield f"event: progress\nid: {job.version}\ndata: {document}\n\n"
                if job.is_final or await request.is_disconnected():
                    return
                if not await _next_change(changed, project_changes):
                    yield ": keep-alive\n\n"

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


async def _next_change(job_changed: asyncio.Event, project_changes: asyncio.Queue) -> bool:
    """Wait for the job's or its project's next change; False when KEEPALIVE_SECONDS pass without one."""
    waits = {asyncio.ensure_future(job_changed.wait()), asyncio.ensure_future(project_changes.get())}
    try:
        done, _ = await asyncio.wait(waits, timeout=KEEPALIVE_SECONDS, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:  # also when the stream itself is cancelled (the client left)
            waiting.cancel()
    return bool(done)


def sse_error(exc: FableError) -> str:
    """The final event of a stream that cannot go on: what happened, in words a person can act on."""
    if isinstance(exc, NotFound):
        code, message = "not_found", "the job is gone: it was deleted with its project"
    else:
        code, message = "unavailable", exc.message
    data = json.dumps({"type": "error", "code": code, "message": message})
    return f"event: error\ndata: {data}\n\n"


@router.get("/{job_id}/result", response_model=ComicResult)
async def job_result(job_id: JobId, pipeline: PipelineDep, request: Request) -> ComicResult:
    """The finished comic with its panels and image URLs (409 until the job completes; with auth on,
    the URLs are signed for `<img src>`)."""
    comic = signed_for(request, await pipeline.get_result(job_id))
    return ComicResult.model_validate(comic.model_dump())
