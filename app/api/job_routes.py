"""Any job, whatever started it: status and cancellation."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import CurrentOwner, JobId, LibraryDep, RunnerDep
from app.models.api import JobStatusDocument

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobStatusDocument)
async def get_job(job_id: JobId, library: LibraryDep, who: CurrentOwner) -> JobStatusDocument:
    """The status document of any job."""
    return JobStatusDocument.of(await library.job(job_id, owner_id=who.owner_id))


@router.post("/{job_id}/cancel", response_model=JobStatusDocument)
async def cancel_job(job_id: JobId, runner: RunnerDep) -> JobStatusDocument:
    """Stop a job that has not finished; 409 if it already has."""
    return JobStatusDocument.of(await runner.cancel(job_id))
