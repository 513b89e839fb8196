"""Image URLs in answers work in `<img src>` with auth on: signed for their owner, about an hour, no secret
in them; a tampered, expired, misplaced or another owner's URL is 403; stored records stay unsigned."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api.auth import api_key_owner
from app.api.signing import ImageUrlSigner
from app.factory import create_app
from config import Settings
from tests.conftest import settle

API = "/api/v1"
ALICE_KEY, BOB_KEY = "alice-signed-url-key-1", "bob-signed-url-key-2"
ALICE = {"Authorization": f"Bearer {ALICE_KEY}"}
NOW = 1_900_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        env="test",
        text_provider="offline",
        image_provider="offline",
        api_keys=f"{ALICE_KEY},{BOB_KEY}",
    )


@pytest.fixture
def clock(app: FastAPI) -> Clock:
    moved = Clock()
    app.state.auth.image_urls.clock = moved
    return moved


async def finished(client: httpx.AsyncClient, app: FastAPI, headers: dict[str, str]) -> dict:
    job = (
        await client.post(
            f"{API}/comics/scenes/generate",
            headers=headers,
            json={"topic": "teaching kids about safety", "num_scenes": 2},
        )
    ).json()["job_id"]
    await settle(app)
    assert (await client.post(f"{API}/comics/{job}/generate", headers=headers)).status_code == 202
    await settle(app)
    answer = await client.get(f"{API}/comics/{job}/result", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def image_urls(comic: dict) -> list[str]:
    return [p[k] for p in comic["panels"] for k in ("image_url", "art_url")] + [
        c["image_url"] for c in comic["characters"]
    ]


async def test_answers_carry_signed_urls_that_open_without_a_header_until_they_expire(
    client: httpx.AsyncClient, app: FastAPI, clock: Clock, settings: Settings
) -> None:
    comic = await finished(client, app, ALICE)
    urls = image_urls(comic)
    assert urls and all(u.startswith(f"{API}/images/") and "?exp=" in u and "&sig=" in u for u in urls)
    for url in urls:  # what an <img> does: no Authorization header
        picture = await client.get(url)
        assert picture.status_code == 200 and picture.headers["content-type"] == "image/png", picture.text
    first = urls[0]
    expires = int(parse_qs(urlsplit(first).query)["exp"][0])
    assert NOW + 3600 <= expires <= NOW + 3600 + 300  # about an hour
    assert ALICE_KEY not in json.dumps(comic) and api_key_owner(ALICE_KEY) not in first  # nothing secret, no owner

    # every route that answers a comic, a panel or a character signs it the same way
    project = (await client.get(f"{API}/projects/{comic['comic_id']}", headers=ALICE)).json()
    assert image_urls(project) == urls  # one image, one URL for a while: browsers cache it
    character = comic["characters"][0]
    redrawn = (
        await client.post(f"{API}/projects/{comic['comic_id']}/characters/{character['id']}/render", headers=ALICE)
    ).json()
    assert (await client.get(redrawn["image_url"])).status_code == 200
    panel = comic["panels"][0]
    rendered = (
        await client.post(f"{API}/projects/{comic['comic_id']}/panels/{panel['panel_id']}/render", headers=ALICE)
    ).json()
    assert (await client.get(rendered["image_url"])).status_code == 200

    # stored records stay plain and server-relative
    stored = (settings.data_dir / "comics" / f"{comic['comic_id']}.json").read_text()
    assert "sig=" not in stored and f'"image_url":"{API}/images/' in stored

    clock.now = expires + 1  # an hour later
    late = await client.get(first)
    assert late.status_code == 403 and "expired" in late.json()["detail"]
    assert (await client.get(first, headers=ALICE)).status_code == 200  # the owner's credential still works
    fresh = (await client.get(f"{API}/projects/{comic['comic_id']}", headers=ALICE)).json()["panels"][0]["image_url"]
    assert fresh != first and (await client.get(fresh)).status_code == 200


async def test_a_tampered_misplaced_or_foreign_signature_is_403_and_no_header_no_signature_is_401(
    client: httpx.AsyncClient, app: FastAPI, clock: Clock
) -> None:
    comic = await finished(client, app, ALICE)
    url = comic["panels"][0]["image_url"]
    path, query = url.split("?")
    exp, sig = parse_qs(query)["exp"][0], parse_qs(query)["sig"][0]
    other_image = comic["panels"][1]["image_url"].split("?")[0]
    signer: ImageUrlSigner = app.state.auth.image_urls
    image_id = path.rsplit("/", 1)[1]
    bobs = signer.sign(path, api_key_owner(BOB_KEY))  # signed by this server, but for another owner
    assert bobs is not None
    forged = ImageUrlSigner(b"not the server's key", clock=clock).sign(path, api_key_owner(ALICE_KEY))
    flipped = sig[:-1] + ("A" if sig[-1] != "A" else "B")
    for bad in (
        f"{path}?exp={exp}&sig={flipped}",
        f"{path}?exp={int(exp) + 300}&sig={sig}",
        f"{other_image}?exp={exp}&sig={sig}",
        bobs,
        forged,
        f"{path}?exp={exp}&sig=",
        f"{path}?exp=soon&sig={sig}",
        f"{path}?sig={sig}",
        f"{path}?exp={exp}",
        f"{API}/images/01a1f000-0000-7000-8000-000000000000?exp={exp}&sig={sig}",
    ):
        answer = await client.get(bad)
        assert answer.status_code == 403, (bad, answer.text)
        assert answer.json() == {"detail": "this image link is not valid: ask the API for the image again"}
    assert (await client.get(path)).status_code == 401  # neither a header nor a signature
    assert (await client.get(url, headers={"Authorization": f"Bearer {BOB_KEY}"})).status_code == 404
    assert (await client.get(url)).status_code == 200 and image_id in url


async def test_with_auth_off_urls_stay_as_they_are(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path / "data",
        env="test",
        text_provider="offline",
        image_provider="offline",
        api_keys=[],
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            comic = await finished(client, app, {})
            assert all("?" not in u and u.startswith(f"{API}/images/") for u in image_urls(comic))
            assert (await client.get(image_urls(comic)[0])).status_code == 200


def test_the_websocket_state_carries_signed_urls(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        job = client.post(
            f"{API}/comics/scenes/generate",
            headers=ALICE,
            json={"topic": "teaching kids about safety", "num_scenes": 1},
        ).json()["job_id"]
        for _ in range(1000):
            if client.get(f"{API}/jobs/{job}", headers=ALICE).json()["status"] == "awaiting_input":
                break
        client.post(f"{API}/comics/{job}/generate", headers=ALICE)
        for _ in range(1000):
            if client.get(f"{API}/jobs/{job}", headers=ALICE).json()["status"] == "completed":
                break
        comic_id = client.get(f"{API}/comics/{job}/result", headers=ALICE).json()["comic_id"]
        with client.websocket_connect(f"{API}/projects/{comic_id}/ws?access_token={ALICE_KEY}") as ws:
            state = ws.receive_json()["state"]
        urls = image_urls(state)
        assert urls and all("&sig=" in u for u in urls)
        assert client.get(urls[0]).status_code == 200


def test_a_signed_url_from_an_answer_loads_in_a_browsers_img(tmp_path: Path) -> None:
    from tests.processes import free_port, running
    from tests.web.chromium import Browser, chromium_path

    executable = chromium_path()  # skips (or fails under FABLE_REQUIRE_SERVICES) without Chromium
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "DATA_DIR": str(tmp_path / "data"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "API_KEYS": ALICE_KEY,
        "TEXT_PROVIDER": "offline",
        "IMAGE_PROVIDER": "offline",
        "ENV": "development",
    }
    with running(["main.py"], env=env, ready=f"{base}/health", log=tmp_path / "service.log"):
        with httpx.Client(base_url=base, headers=ALICE, timeout=30) as api:
            project = api.post(f"{API}/projects", json={"title": "Signed", "prompt": "crossing the road"}).json()
            assert api.post(f"{API}/projects/{project['id']}/story", json={}).status_code == 200
            assert api.post(f"{API}/projects/{project['id']}/characters/extract").status_code == 200
            panel = api.post(f"{API}/projects/{project['id']}/panels/generate").json()["panels"][0]
            signed = api.post(f"{API}/projects/{project['id']}/panels/{panel['panel_id']}/render").json()["image_url"]
        browser = Browser(executable)
        try:
            browser.open(f"{base}/health")
            browser.wait_for("document.readyState === 'complete'")
            load = """new Promise(done => { const img = new Image();
              img.onload = () => done(img.naturalWidth); img.onerror = () => done(-1); img.src = %s; })"""
            assert browser.evaluate(load % json.dumps(signed)) == 960  # no header: the signature is the proof
            assert browser.evaluate(load % json.dumps(signed.split("?")[0])) == -1  # unsigned: 401
        finally:
            browser.close()
