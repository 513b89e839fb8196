"""The composition root: build_services(settings) wires every piece once, and the CLI uses it too."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import app.cli
from app.api.urls import image_url
from app.models.schemas import Comic
from app.services.wiring import Services, build_services
from config import Settings
from tests.test_cli_and_config import run_cli


async def test_every_piece_is_wired_from_the_settings(settings: Settings) -> None:
    configured = settings.model_copy(update={"max_active_jobs_per_owner": 2})
    async with build_services(configured, image_link=image_url) as services:
        assert services.pipeline.quota.limit == 2  # the per-owner limit
        assert services.builder.quota is services.pipeline.quota and services.builder.data is services.data
        assert services.builder.runner is services.runner is services.pipeline.runner
        assert services.exporter.data is services.data
        comic = await services.data.create_comic(Comic(title="Wired", topic="road safety"))
        with services.events.listen(comic.id) as changes:  # the events hear every save
            await services.data.update_comic(comic.id, lambda c: c.model_copy(update={"title": "Heard"}))
            heard = changes.get_nowait()
        assert isinstance(heard, Comic) and heard.title == "Heard"


def test_the_cli_builds_its_services_through_the_composition_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[Services] = []

    @contextlib.asynccontextmanager
    async def recording(settings: Settings, **kwargs: object) -> AsyncIterator[Services]:
        async with build_services(settings, **kwargs) as services:  # type: ignore[arg-type]
            built.append(services)
            yield services

    monkeypatch.setattr(app.cli, "build_services", recording)
    monkeypatch.setenv("MAX_ACTIVE_JOBS_PER_OWNER", "5")
    code, out, err = run_cli(
        "--data-dir", str(tmp_path / "data"), "make", "road safety", "--num-scenes", "1", "--out", str(tmp_path / "out")
    )
    assert code == 0, err
    [services] = built
    assert services.pipeline.quota.limit == 5  # the make command's pipeline has the per-owner limit now
    assert services.builder.quota is services.pipeline.quota
    assert "comic " in out
