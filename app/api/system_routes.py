"""Health, storage statistics and image bytes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse, Response

from app.api.deps import ImageId, LibraryDep, PipelineDep, SettingsDep
from app.errors import NotFound
from app.models.api import ERROR_RESPONSES, ErrorBody, Health, StorageStatsResponse

router = APIRouter(tags=["system"])
open_router = APIRouter(tags=["system"])  # no credential needed


@open_router.get("/health", response_model=Health)
async def health(settings: SettingsDep, pipeline: PipelineDep) -> Health:
    """Liveness, with the storage backend and providers in use."""
    return Health(
        status="ok",
        storage=settings.storage_backend,
        providers={"text": pipeline.text.name, "image": pipeline.images.name},
    )


@router.get("/storage/stats", response_model=StorageStatsResponse)
async def storage_stats(library: LibraryDep) -> StorageStatsResponse:
    """Counts and sizes of the stored records and images."""
    return StorageStatsResponse.model_validate(await library.stats())


# Outside the router-wide credential check: an <img> sends no header, so the route takes the owner's
# credential or a signed URL from an answer (see app/api/signing.py).
@open_router.get(
    "/images/{image_id}",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}},
        307: {"description": "the image lives at an external URL"},
        **{code: ERROR_RESPONSES[code] for code in (401, 404)},
        403: {"model": ErrorBody, "description": "a signed URL that is tampered or expired"},
    },
)
async def get_image(image_id: ImageId, library: LibraryDep) -> Response:
    """The image bytes, or a redirect to where an external image lives. With auth on: the owner's
    credential, or no header at all with the signed URL (`?exp=&sig=`) an answer gave."""
    content = await library.image_content(image_id)
    if content.path is not None:
        if not content.path.is_file():
            raise NotFound(f"image '{image_id}' has no stored bytes")
        return FileResponse(
            content.path,
            media_type=content.record.content_type,
            headers={"Cache-Control": "private, max-age=31536000, immutable"},
        )
    if content.url:
        return RedirectResponse(content.url, status_code=307)
    raise NotFound(f"image '{image_id}' has no stored bytes")
