"""Routes reach services only through the Annotated dependencies of app/api/deps.py, so a test swaps any
service with `app.dependency_overrides`, and no route reads `app.state` itself."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from app.api.deps import get_exporter, get_library
from app.errors import NotFound
from app.services.exports.exporter import ComicFile, ExportFormat

API = "/api/v1"


class FakeExporter:
    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    async def current_etag(self, comic_id: str, fmt: ExportFormat) -> str | None:
        return None

    async def export(self, comic_id: str, fmt: ExportFormat) -> ComicFile:
        self.asked.append((comic_id, fmt))
        return ComicFile(data=b"%PDF-fake", media_type="application/pdf", filename="fake.pdf", etag='"fake"')


class NothingStored:
    async def stats(self) -> dict:
        raise NotFound("nothing is stored here")


async def test_a_route_uses_the_service_its_dependency_gives(client: httpx.AsyncClient, app: FastAPI) -> None:
    fake = FakeExporter()
    app.dependency_overrides[get_exporter] = lambda: fake
    try:
        answer = await client.get(f"{API}/projects/no-such-project/export/pdf")
    finally:
        app.dependency_overrides.clear()
    assert answer.status_code == 200, answer.text
    assert answer.content == b"%PDF-fake" and answer.headers["etag"] == '"fake"'
    assert fake.asked == [("no-such-project", "pdf")]
    # without the override, the wired exporter answers: that project does not exist
    assert (await client.get(f"{API}/projects/no-such-project/export/pdf")).status_code == 404


async def test_reads_are_swapped_with_the_library_that_serves_them(client: httpx.AsyncClient, app: FastAPI) -> None:
    app.dependency_overrides[get_library] = NothingStored
    try:
        answer = await client.get(f"{API}/storage/stats")
    finally:
        app.dependency_overrides.clear()
    assert answer.status_code == 404 and "nothing is stored here" in answer.text
    assert (await client.get(f"{API}/storage/stats")).status_code == 200


def test_no_route_module_reads_app_state() -> None:
    """The dependencies (app/api/deps.py, auth.py) read what the lifespan built; a route never does."""
    api = Path(__file__).resolve().parents[2] / "app" / "api"
    readers = sorted(p.name for p in api.glob("*_routes.py") if "app.state" in p.read_text(encoding="utf-8"))
    assert readers == []


def test_routes_read_through_services_not_storage() -> None:
    """Reads go through the Library service (app/services/comics/library.py), never straight to DataManager."""
    api = Path(__file__).resolve().parents[2] / "app" / "api"
    readers = sorted(
        p.name
        for p in api.glob("*_routes.py")
        if any(name in p.read_text(encoding="utf-8") for name in ("StorageDep", "DataManager", "app.storage"))
    )
    assert readers == []
