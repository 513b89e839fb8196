"""The wizard: one job drives one comic from a topic to finished panels."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import StreamingResponse

from app.api.auth import CallerDep
from app.api.deps import JobId, PipelineDep, RunnerDep, StorageDep
from app.models.api import (CharacterCatalog, CharacterSelection, ComicResult, GenerateScenesRequest, JobAccepted,
                            JobStatusDocument, RefineScenesRequest, ScenesResponse, SelectCharactersRequest)
from app.models.schemas import Job
from app.services.catalog import catalog

router = APIRouter(prefix="/comics", tags=["wizard"])

KEEPALIVE_SECONDS = 15.0


def accepted(job: Job, response: Response) -> JobAccepted:
    status_url = f"/api/v1/comics/{job.id}/status"
    response.headers["Location"] = status_url
    return JobAccepted(job_id=job.id, status=job.status, status_url=status_url)


@router.post("/scenes/generate", status_code=status.HTTP_202_ACCEPTED, response_model=JobAccepted)
async def generate_scenes(body: GenerateScenesRequest, pipeline: PipelineDep, response: Response,
                          who: CallerDep) -> JobAccepted:
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
async def refine_scenes(job_id: JobId, body: RefineScenesRequest, pipeline: PipelineDep,
                        response: Response) -> JobAccepted:
    """Rewrite scenes (all, or those named) with feedback; the job returns to awaiting_input."""
    return accepted(await pipeline.refine_scenes(job_id, body), response)


@router.post("/{job_id}/characters/select", response_model=CharacterSelection)
async def select_characters(job_id: JobId, body: SelectCharactersRequest, pipeline: PipelineDep) -> CharacterSelection:
    """Choose the cast from the catalog; the scenes' lines go to the chosen characters."""
    cast = await pipeline.select_characters(job_id, body.character_ids)
    return CharacterSelection(job_id=job_id, characters=cast)


@router.post("/{job_id}/generate", status_code=status.HTTP_202_ACCEPTED, response_model=JobAccepted)
async def generate_comic(job_id: JobId, pipeline: PipelineDep, response: Response) -> JobAccepted:
    """Render the character sheets and every panel of the reviewed scenes."""
    return accepted(await pipeline.start_generation(job_id), response)


@router.get("/{job_id}/status", response_model=JobStatusDocument)
async def job_status(job_id: JobId, storage: StorageDep) -> JobStatusDocument:
    """The job's status, step and progress."""
    return JobStatusDocument.of(await storage.get_job(job_id))


@router.get("/{job_id}/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "progress events"}})
async def job_events(job_id: JobId, storage: StorageDep, runner: RunnerDep, request: Request) -> StreamingResponse:
    """Server-Sent Events: one `progress` event per status change, ending at a final state."""
    await storage.get_job(job_id)  # 404 before the stream starts

    async def stream() -> AsyncIterator[str]:
        last: str | None = None
        while True:
            changed = runner.change_signal(job_id)  # taken before reading, so no change slips between
            job = await storage.get_job(job_id)
            document = JobStatusDocument.of(job).model_dump_json()
            if document != last:
                last = document
                yield f"event: progress\nid: {job.version}\ndata: {document}\n\n"
            if job.is_final or await request.is_disconnected():
                return
            try:
                await asyncio.wait_for(changed.wait(), KEEPALIVE_SECONDS)
            except TimeoutError:
                yield ": keep-alive\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/{job_id}/result", response_model=ComicResult)
async def job_result(job_id: JobId, pipeline: PipelineDep) -> ComicResult:
    """The finished comic with its panels and image URLs (409 until the job completes)."""
    comic = await pipeline.get_result(job_id)
    return ComicResult.model_validate(comic.model_dump())


