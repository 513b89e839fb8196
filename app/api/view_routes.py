"""The comic viewer at /view/{id}, outside /api/v1: a static page whose script reads the comic from the
API with the caller's credential (see app/web/viewer.js), so the page itself holds no data and needs
no credential of its own."""

from __future__ import annotations

from functools import cache
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Path, Response

from app.errors import NotFound
from utils import ID_PATTERN

WEB = FilePath(__file__).resolve().parent.parent / "web"
ASSETS = {"viewer.js": "text/javascript; charset=utf-8", "viewer.css": "text/css; charset=utf-8"}
# Only our own script and style; images come from the API as blobs; live updates over our WebSocket.
SECURITY = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(tags=["viewer"])


@cache
def web_file(name: str) -> bytes:
    """A viewer file, read from disk once (not on the event loop at every request)."""
    return (WEB / name).read_bytes()


@router.get("/view/assets/{name}", include_in_schema=False)
async def viewer_asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound(f"no viewer file '{name[:80]}'")
    return Response(
        web_file(name), media_type=ASSETS[name], headers={**SECURITY, "Cache-Control": "public, max-age=300"}
    )


@router.get("/view/{comic_id}", response_class=Response, responses={200: {"content": {"text/html": {}}}})
async def view_comic(comic_id: Annotated[str, Path(pattern=ID_PATTERN, max_length=64)]) -> Response:
    """A web page showing the comic: its title, its panels in reading order with their lettered
    dialogue, and while it is being drawn, its progress, updated as panels arrive. Open it as
    `/view/{id}#access_token=KEY` when the API needs a key (the fragment never leaves the browser)."""
    return Response(
        web_file("viewer.html"),
        media_type="text/html; charset=utf-8",
        headers={**SECURITY, "Cache-Control": "no-cache"},
    )
