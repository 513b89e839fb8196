"""Who may do what: API keys and Supabase JWTs, 401 without a valid credential, and every route that
takes an id answering another owner's ids exactly as ids that do not exist (404), changing nothing."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.api.auth import api_key_owner
from app.factory import create_app
from config import Settings
from tests.conftest import services, settle, tree_digest

API = "/api/v1"
ALICE_KEY = "alice-key-5b1e0f7c9d2a"
SECRET = "super-secret-jwt-token-with-at-least-32-characters"
BOB_ID = "8a1d6c2e-3f4b-4c5d-9e6f-7a8b9c0d1e2f"
MISSING = "01a1f000-0000-7000-8000-000000000000"


def token(sub: str | None = BOB_ID, *, secret: str = SECRET, expires_in: float = 3600, **claims: Any) -> str:
    body = {"aud": "authenticated", "role": "authenticated", "exp": int(time.time() + expires_in), **claims}
    if sub is not None:
        body["sub"] = sub
    return jwt.encode(body, secret, algorithm="HS256")


ALICE = {"Authorization": f"Bearer {ALICE_KEY}"}
BOB = {"Authorization": f"Bearer {token()}"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        env="test",
        text_provider="offline",
        image_provider="offline",
        api_keys=f"{ALICE_KEY},other-key-0c4d",
        supabase_jwt_secret=SECRET,
    )


@pytest.fixture
async def alice_world(client: httpx.AsyncClient, app: FastAPI) -> dict[str, str]:
    """Alice's finished wizard comic: its job, its comic (a project), a panel, a character, images."""
    answer = await client.post(
        f"{API}/comics/scenes/generate", headers=ALICE, json={"topic": "teaching kids about safety", "num_scenes": 2}
    )
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job_id"]
    await settle(app)
    assert (await client.post(f"{API}/comics/{job_id}/generate", headers=ALICE)).status_code == 202
    await settle(app)
    comic = (await client.get(f"{API}/comics/{job_id}/result", headers=ALICE)).json()
    panel, character = comic["panels"][0], comic["characters"][0]
    # a second sheet, so the character has an earlier image to restore
    await client.post(f"{API}/projects/{comic['comic_id']}/characters/{character['id']}/render", headers=ALICE)
    return {
        "job_id": job_id,
        "project_id": comic["comic_id"],
        "panel_id": panel["panel_id"],
        "character_id": character["id"],
        "image_id": panel["image_id"],
        "fmt": "pdf",
    }


async def test_without_a_valid_credential_the_api_answers_401_but_health_and_docs_stay_open(
    client: httpx.AsyncClient,
) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": ALICE_KEY},
        {"Authorization": f"Basic {ALICE_KEY}"},
    ):
        for method, path in (
            ("GET", "/projects"),
            ("POST", "/comics/scenes/generate"),
            ("GET", "/comics/characters"),
            ("GET", "/storage/stats"),
            ("GET", f"/jobs/{MISSING}"),
        ):
            answer = await client.request(method, API + path, headers=headers, json={"topic": "safety"})
            assert answer.status_code == 401, (headers, path, answer.text)
            assert answer.headers["www-authenticate"].startswith("Bearer")
            assert "detail" in answer.json() and ALICE_KEY not in answer.text
    for open_path in ("/health", f"{API}/health", "/docs", "/openapi.json"):
        assert (await client.get(open_path)).status_code == 200, open_path
    assert (await client.get(f"{API}/projects", headers=ALICE)).status_code == 200
    assert (await client.get(f"{API}/projects", headers=BOB)).status_code == 200


@pytest.mark.parametrize(
    "bad, why",
    [
        (token(expires_in=-60), "expired"),
        (token(secret="another-secret-of-at-least-32-characters!"), "not valid"),
        (token(aud="anon"), "not valid"),
        (token(sub=None, role="anon"), "not valid"),  # the project's anon key is a JWT without a user
        (token(sub="   "), "no user"),
        (jwt.encode({"sub": BOB_ID, "aud": "authenticated"}, SECRET, algorithm="HS256"), "not valid"),  # no exp
        (
            jwt.encode(
                {"sub": BOB_ID, "aud": "authenticated", "exp": int(time.time()) + 60}, SECRET * 2, algorithm="HS512"
            ),
            "not valid",
        ),
        ("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwiYXVkIjoiYXV0aGVudGljYXRlZCIsImV4cCI6OTk5OTk5OTk5OX0.", "not valid"),
        (token(exp=str(int(time.time()) + 3600)), "must be numbers"),  # PyJWT alone reads a numeric string
        (token(exp=f"{time.time() + 3600}"), "not valid"),
        (token(nbf=str(int(time.time()) - 60)), "must be numbers"),
        (token(sub=api_key_owner(ALICE_KEY)), "not a Supabase user id"),  # an API key's owner: refused
        (token(sub=BOB_ID.upper()), "not a Supabase user id"),  # one user, one spelling (auth.uid()::text)
        (token(sub="bob"), "not a Supabase user id"),
        (token(sub=12345), "not valid"),
    ],
)
async def test_a_jwt_must_be_hs256_signed_with_the_secret_unexpired_and_name_a_user(
    client: httpx.AsyncClient, bad: str, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = await client.get(f"{API}/projects", headers={"Authorization": f"Bearer {bad}"})
    assert answer.status_code == 401 and why in answer.json()["detail"]
    assert bad not in caplog.text and SECRET not in caplog.text


async def test_a_jwt_cannot_become_an_api_key_owner(client: httpx.AsyncClient) -> None:
    created = await client.post(f"{API}/projects", headers=ALICE, json={"title": "Alice's"})
    assert created.status_code == 201 and created.json()["owner_id"] == api_key_owner(ALICE_KEY)
    impostor = {"Authorization": f"Bearer {token(sub=api_key_owner(ALICE_KEY))}"}
    assert (await client.get(f"{API}/projects/{created.json()['id']}", headers=impostor)).status_code == 401
    assert (await client.get(f"{API}/projects", headers=impostor)).status_code == 401
    fractional = {"Authorization": f"Bearer {token(exp=time.time() + 3600.5)}"}  # a NumericDate may be a float
    assert (await client.get(f"{API}/projects", headers=fractional)).status_code == 200


async def test_records_carry_their_owner_and_lists_show_only_your_own(
    client: httpx.AsyncClient, app: FastAPI, alice_world: dict[str, str], settings: Settings
) -> None:
    alice_owner = api_key_owner(ALICE_KEY)
    comic_file = settings.data_dir / "comics" / f"{alice_world['project_id']}.json"
    assert f'"owner_id":"{alice_owner}"' in comic_file.read_text()
    assert ALICE_KEY not in "".join(p.read_text() for p in settings.data_dir.rglob("*.json"))
    image = await services(app).data.get_image(alice_world["image_id"])
    assert image.owner_id == alice_owner
    assert (await services(app).data.get_job(alice_world["job_id"])).owner_id == alice_owner

    bobs = await client.post(f"{API}/projects", headers=BOB, json={"title": "Bob's comic"})
    assert bobs.status_code == 201 and bobs.json()["owner_id"] == BOB_ID
    alice_list = [p["id"] for p in (await client.get(f"{API}/projects", headers=ALICE)).json()["projects"]]
    bob_list = [p["id"] for p in (await client.get(f"{API}/projects", headers=BOB)).json()["projects"]]
    assert alice_list == [alice_world["project_id"]] and bob_list == [bobs.json()["id"]]
    third = {"Authorization": "Bearer other-key-0c4d"}
    assert (await client.get(f"{API}/projects?offset=0", headers=third)).json()["projects"] == []


BODIES: dict[str, Any] = {
    "/comics/{job_id}/scenes/refine": {"feedback": "add a friendly dog"},
    "/comics/{job_id}/characters/select": {"character_ids": ["max"]},
    "/projects/{project_id}": {"version": 1, "title": "taken over"},
    "/projects/{project_id}/story": {"prompt": "a story about crossing roads"},
    "/projects/{project_id}/characters/{character_id}/restore": {"image_id": MISSING},
    "/projects/{project_id}/panels/{panel_id}/restore": {"image_id": MISSING},
    "/projects/{project_id}/panels/{panel_id}": {"version": 1, "narration": "taken over"},
}
KIND = {"job_id": "job", "project_id": "comic", "image_id": "image"}


def routes_with_ids(app: FastAPI) -> list[tuple[str, str]]:
    """Every HTTP route with an id in its path, from the app's own OpenAPI document."""
    return [
        (method.upper(), path.removeprefix(API))
        for path, operations in app.openapi()["paths"].items()
        if path.startswith(API) and "{" in path
        for method in operations
    ]


async def test_every_route_answers_another_owners_ids_exactly_as_missing_ones_and_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI, alice_world: dict[str, str], settings: Settings
) -> None:
    routes = routes_with_ids(app)
    assert len(routes) >= 20  # every wizard, job, image and project route with an id in its path
    before = tree_digest(settings.data_dir)
    for method, template in routes:
        top = re.search(r"\{(job_id|project_id|image_id)\}", template).group(1)
        theirs = template.format(**alice_world)
        missing = template.format(**{**alice_world, top: MISSING})
        answers = [
            await client.request(method, API + path, headers=BOB, json=BODIES.get(template))
            for path in (theirs, missing)
        ]
        assert [a.status_code for a in answers] == [404, 404], (method, template, [a.text for a in answers])
        assert answers[0].json() == {"detail": f"{KIND[top]} '{alice_world[top]}' not found"}, (method, template)
        assert answers[1].json() == {"detail": f"{KIND[top]} '{MISSING}' not found"}, (method, template)
    await settle(app)
    assert tree_digest(settings.data_dir) == before, "another owner's attempts changed something"

    # and the owner still reaches every one of them
    for path in (
        f"/jobs/{alice_world['job_id']}",
        f"/projects/{alice_world['project_id']}",
        f"/images/{alice_world['image_id']}",
        f"/comics/{alice_world['job_id']}/result",
        f"/projects/{alice_world['project_id']}/export/pdf",
    ):
        assert (await client.get(API + path, headers=ALICE)).status_code == 200, path
    events = await client.get(f"{API}/comics/{alice_world['job_id']}/events?access_token={ALICE_KEY}")
    assert events.status_code == 200 and "event: progress" in events.text
    assert (await client.get(f"{API}/comics/{alice_world['job_id']}/events?access_token={token()}")).status_code == 404
    assert (await client.get(f"{API}/projects?access_token={ALICE_KEY}")).status_code == 401  # query only for streams


def test_the_websocket_needs_a_credential_and_hides_other_owners_projects(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        project_id = client.post(f"{API}/projects", headers=ALICE, json={"title": "Alice's"}).json()["id"]
        url = f"{API}/projects/{project_id}/ws"
        for query, headers, code in (
            ("", {}, 4401),
            ("?access_token=wrong", {}, 4401),
            ("", BOB, 4404),
            (f"?access_token={token()}", {}, 4404),
        ):
            with client.websocket_connect(url + query, headers=headers) as ws:
                with pytest.raises(WebSocketDisconnect) as closed:
                    ws.receive_json()
            assert closed.value.code == code, (query, headers)
        for query, headers in (("", ALICE), (f"?access_token={ALICE_KEY}", {})):
            with client.websocket_connect(url + query, headers=headers) as ws:
                assert ws.receive_json()["event"] == "state.snapshot"


class HeldText:
    """The offline writer, held at write_scenes until released: jobs stay running while we look."""

    def __init__(self, inner: Any) -> None:
        import asyncio

        self.inner, self.release = inner, asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def write_scenes(self, **kwargs: Any) -> Any:
        await self.release.wait()
        return await self.inner.write_scenes(**kwargs)


@pytest.fixture
async def held(app: FastAPI) -> AsyncIterator[HeldText]:
    pipeline = services(app).pipeline
    original = pipeline.text
    pipeline.text = HeldText(original)
    pipeline.quota.limit = 2
    yield pipeline.text
    pipeline.text.release.set()
    await settle(app)
    pipeline.text = original


async def test_an_owner_gets_429_with_retry_after_beyond_their_running_jobs(
    client: httpx.AsyncClient, app: FastAPI, held: HeldText
) -> None:
    import asyncio

    async def start(headers: dict[str, str]) -> httpx.Response:
        return await client.post(f"{API}/comics/scenes/generate", headers=headers, json={"topic": "road safety"})

    answers = await asyncio.gather(*(start(ALICE) for _ in range(5)))  # racing for the two slots
    assert sorted(a.status_code for a in answers) == [202, 202, 429, 429, 429]
    refused = next(a for a in answers if a.status_code == 429)
    assert int(refused.headers["retry-after"]) > 0 and "MAX_ACTIVE_JOBS_PER_OWNER=2" in refused.json()["detail"]
    jobs = [a.json()["job_id"] for a in answers if a.status_code == 202]
    assert len(await services(app).data.active_jobs()) == 2  # the refused ones stored nothing

    assert (await start(BOB)).status_code == 202  # another owner has slots of their own
    held.release.set()
    await settle(app)
    assert {(await client.get(f"{API}/jobs/{j}", headers=ALICE)).json()["status"] for j in jobs} == {"awaiting_input"}
    assert (await start(ALICE)).status_code == 202  # finished (awaiting review) jobs free the slots
