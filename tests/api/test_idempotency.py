"""Idempotency-Key: a repeated POST gets the first answer and starts nothing new, even concurrently and
across a restart; a key reused for another request is refused; keys belong to their owner."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.factory import create_app
from app.models.schemas import Comic, Job
from config import Settings
from tests.conftest import scenes_ready, services, settle, tree_digest

API = "/api/v1"
BODY = {"topic": "teaching kids about safety", "num_scenes": 2}


def job_files(settings: Settings) -> list[Path]:
    return sorted((settings.data_dir / "jobs").glob("*.json"))


async def test_a_repeat_gets_the_first_answer_and_starts_nothing(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    key = {"Idempotency-Key": "order-7f3a"}
    first = await client.post(f"{API}/comics/scenes/generate", json=BODY, headers=key)
    await settle(app)
    again = await client.post(f"{API}/comics/scenes/generate", json=BODY, headers=key)
    assert first.status_code == again.status_code == 202
    assert again.content == first.content and again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert len(job_files(settings)) == 1
    other = await client.post(f"{API}/comics/scenes/generate", json=BODY, headers={"Idempotency-Key": "order-8"})
    assert other.json()["job_id"] != first.json()["job_id"] and len(job_files(settings)) == 2
    await settle(app)


async def test_concurrent_repeats_start_one_job(client: httpx.AsyncClient, app: FastAPI, settings: Settings) -> None:
    answers = await asyncio.gather(
        *(
            client.post(f"{API}/comics/scenes/generate", json=BODY, headers={"Idempotency-Key": "same-click"})
            for _ in range(6)
        )
    )
    await settle(app)
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["job_id"] for a in answers}) == 1 and len(job_files(settings)) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 5


async def test_the_answer_is_replayed_after_a_restart(settings: Settings) -> None:
    key = {"Idempotency-Key": "survives-restarts"}
    answers = []
    for _ in range(2):
        app = create_app(settings)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
        ):
            answers.append(await client.post(f"{API}/comics/scenes/generate", json=BODY, headers=key))
            await settle(app)
    assert answers[0].json() == answers[1].json() and answers[1].headers["idempotent-replayed"] == "true"
    assert len(job_files(settings)) == 1


async def test_a_key_reused_for_another_request_is_422_and_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    key = {"Idempotency-Key": "k-1"}
    assert (await client.post(f"{API}/comics/scenes/generate", json=BODY, headers=key)).status_code == 202
    await settle(app)
    before = tree_digest(settings.data_dir)
    for body in ({**BODY, "num_scenes": 3}, {**BODY, "topic": "road safety"}):
        reused = await client.post(f"{API}/comics/scenes/generate", json=body, headers=key)
        assert reused.status_code == 422 and "different request" in reused.json()["detail"]
    job_id = (await client.post(f"{API}/comics/scenes/generate", json=BODY, headers=key)).json()["job_id"]
    reused = await client.post(f"{API}/comics/{job_id}/generate", headers=key)  # same key, another route
    assert reused.status_code == 422
    assert tree_digest(settings.data_dir) == before


@pytest.mark.parametrize("bad", ["", "x" * 256, "has space", "tab\tin"])
async def test_malformed_keys_are_400(client: httpx.AsyncClient, settings: Settings, bad: str) -> None:
    answer = await client.post(f"{API}/comics/scenes/generate", json=BODY, headers={"Idempotency-Key": bad})
    assert answer.status_code == 400 and "Idempotency-Key" in answer.json()["detail"]
    assert job_files(settings) == []


async def test_work_starting_routes_replay_instead_of_answering_409(client: httpx.AsyncClient, app: FastAPI) -> None:
    job_id = await scenes_ready(client, app)
    key = {"Idempotency-Key": f"generate-{job_id}"}
    first = await client.post(f"{API}/comics/{job_id}/generate", headers=key)
    again = await client.post(f"{API}/comics/{job_id}/generate", headers=key)
    assert first.status_code == again.status_code == 202 and again.content == first.content
    assert (await client.post(f"{API}/comics/{job_id}/generate")).status_code == 409  # a new request is refused
    await settle(app)
    comic_id = (await client.get(f"{API}/comics/{job_id}/result")).json()["comic_id"]
    await client.post(f"{API}/projects/{comic_id}/characters/max/render")  # makes panels stale: work to do
    key = {"Idempotency-Key": "render-all-1"}
    renders = [await client.post(f"{API}/projects/{comic_id}/panels/render", headers=key) for _ in range(2)]
    assert renders[0].json()["job_id"] == renders[1].json()["job_id"]
    await settle(app)
    project = (await client.get(f"{API}/projects/{comic_id}")).json()
    assert len(project["job_ids"]) == 2  # the wizard's job and one render-all, not two


@pytest.mark.settings(max_active_jobs_per_owner=1)
async def test_errors_are_not_kept_so_the_same_key_can_succeed_later(client: httpx.AsyncClient, app: FastAPI) -> None:
    key = {"Idempotency-Key": "after-a-429"}
    data = services(app).data  # a job that runs until the test says (a real one may finish before the 429)
    comic = await data.create_comic(Comic(title="busy", topic="safety"))
    blocker = await data.create_job(Job(comic_id=comic.id, topic="safety", status="running"))
    refused = await client.post(f"{API}/comics/scenes/generate", json=BODY, headers=key)
    assert refused.status_code == 429
    await data.update_job(blocker.id, lambda job: job.model_copy(update={"status": "completed"}))
    accepted = await client.post(f"{API}/comics/scenes/generate", json=BODY, headers=key)
    assert accepted.status_code == 202 and "idempotent-replayed" not in accepted.headers
    await settle(app)


async def test_keys_belong_to_their_owner(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        env="test",
        text_provider="offline",
        image_provider="offline",
        api_keys="key-one-1234,key-two-5678",
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        ids = []
        for api_key in ("key-one-1234", "key-two-5678", "key-one-1234"):
            answer = await client.post(
                f"{API}/comics/scenes/generate",
                json=BODY,
                headers={"Idempotency-Key": "shared", "Authorization": f"Bearer {api_key}"},
            )
            ids.append(answer.json()["job_id"])
        unauthenticated = await client.post(
            f"{API}/comics/scenes/generate", json=BODY, headers={"Idempotency-Key": "shared"}
        )
        await settle(app)
    assert ids[0] == ids[2] != ids[1] and unauthenticated.status_code == 401
