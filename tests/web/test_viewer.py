"""The viewer in a real browser: headless Chromium loads /view/{id} from a running service with API
keys on, shows the title, every panel image (each loaded) in reading order with its dialogue, and
follows a project being drawn until every panel has arrived, without a reload."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.processes import free_port, running
from tests.web.chromium import Browser, chromium_path

KEY = "viewer-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {
        "DATA_DIR": str(tmp_path / "data"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "API_KEYS": KEY,
        "TEXT_PROVIDER": "offline",
        "IMAGE_PROVIDER": "offline",
        "ENV": "development",
    }
    base = f"http://127.0.0.1:{port}"
    with running(["main.py"], env=env, ready=f"{base}/health", log=tmp_path / "service.log"):
        yield base


@pytest.fixture
def browser() -> Iterator[Browser]:
    opened = Browser(chromium_path())
    try:
        yield opened
    finally:
        opened.close()


def wait_job(api: httpx.Client, job_id: str) -> dict:
    for _ in range(600):
        job = api.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in ("awaiting_input", "completed", "failed", "cancelled"):
            return job
        api.get("/health")  # a round trip between polls
    raise AssertionError(f"job {job_id} did not settle: {job}")


PANELS_JS = """JSON.stringify([...document.querySelectorAll('#panels li')].map(li => {
  const img = li.querySelector('img');
  return {id: li.dataset.panelId, text: li.querySelector('figcaption').innerText,
          loaded: !!img && img.complete && img.naturalWidth > 0, width: img ? img.naturalWidth : 0};
}))"""


def keep(screenshot: bytes, name: str) -> None:
    where = os.environ.get("FABLE_SCREENSHOT_DIR")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        (Path(where) / name).write_bytes(screenshot)


def test_the_viewer_shows_a_finished_comic_with_every_panel_loaded(
    service: str, browser: Browser, tmp_path: Path
) -> None:
    with httpx.Client(base_url=service, headers=AUTH, timeout=30) as api:
        job = api.post(
            "/api/v1/comics/scenes/generate", json={"topic": "teaching kids about safety", "num_scenes": 4}
        ).json()
        wait_job(api, job["job_id"])
        assert api.post(f"/api/v1/comics/{job['job_id']}/generate").status_code == 202
        assert wait_job(api, job["job_id"])["status"] == "completed"
        comic = api.get(f"/api/v1/comics/{job['job_id']}/result").json()
        page = httpx.get(f"{service}/view/{comic['comic_id']}")
        assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]

    browser.open(f"{service}/view/{comic['comic_id']}#access_token={KEY}")
    browser.wait_for("document.body.dataset.state === 'ready'")
    assert browser.evaluate("document.querySelector('#title').textContent") == comic["title"]
    assert browser.evaluate("location.hash") == ""  # the key left the address bar
    shown = json.loads(browser.evaluate(PANELS_JS))
    assert [p["id"] for p in shown] == [p["panel_id"] for p in comic["panels"]]  # reading order
    assert all(p["loaded"] and p["width"] == 960 for p in shown), shown
    for panel, seen in zip(comic["panels"], shown, strict=False):
        for line in panel["dialogue"]:
            assert f"{line['speaker']}: {line['text']}" in seen["text"]
    assert browser.evaluate("document.querySelector('#progress').hidden") is True
    shot = browser.screenshot(tmp_path / "viewer.png")
    keep(shot, "viewer-finished.png")
    image = Image.open(io.BytesIO(shot))
    assert image.width >= 1000 and len(image.convert("RGB").getcolors(maxcolors=1 << 20) or range(9999)) > 100

    # Without the key the page asks for one and shows nothing of the comic.
    browser.call("Storage.clearDataForOrigin", origin=service, storageTypes="all")
    browser.open(f"{service}/view/{comic['comic_id']}")
    browser.wait_for("document.body.dataset.state === 'sign-in'")
    assert browser.evaluate("document.querySelectorAll('#panels li').length") == 0


def test_the_viewer_follows_a_comic_being_drawn(service: str, browser: Browser, tmp_path: Path) -> None:
    with httpx.Client(base_url=service, headers=AUTH, timeout=30) as api:
        project = api.post(
            "/api/v1/projects", json={"title": "Crossing Together", "prompt": "teaching kids about crossing the road"}
        ).json()
        assert api.post(f"/api/v1/projects/{project['id']}/story", json={}).status_code == 200
        assert api.post(f"/api/v1/projects/{project['id']}/characters/extract").status_code == 200
        planned = api.post(f"/api/v1/projects/{project['id']}/panels/generate").json()["panels"]
        assert planned and all(p["status"] == "pending" for p in planned)

        browser.open(f"{service}/view/{project['id']}#access_token={KEY}")
        browser.wait_for("document.querySelectorAll('#panels li').length > 0")
        assert browser.evaluate("document.body.dataset.state") == "rendering"
        assert (
            browser.evaluate("document.querySelector('#progress-text').textContent")
            == f"Drawing panels: 0 of {len(planned)}"
        )
        job = api.post(f"/api/v1/projects/{project['id']}/panels/render").json()
        assert wait_job(api, job["job_id"])["status"] == "completed"

    browser.wait_for("document.body.dataset.state === 'ready'")  # arrived over the WebSocket, no reload
    shown = json.loads(browser.evaluate(PANELS_JS))
    assert len(shown) == len(planned) and all(p["loaded"] for p in shown)
    assert browser.evaluate("performance.getEntriesByType('navigation').length") == 1
    keep(browser.screenshot(tmp_path / "viewer-live.png"), "viewer-live.png")


EMPTY_JS = """JSON.stringify({state: document.body.dataset.state, progress: !document.querySelector('#progress').hidden,
  empty: !!document.querySelector('#empty') && !document.querySelector('#empty').hidden,
  text: document.body.innerText})"""


def shown_when_settled(browser: Browser) -> dict:
    browser.wait_for(
        "['empty', 'working', 'rendering', 'ready'].includes(document.body.dataset.state) && "
        "document.querySelector('#next-step') !== null"
    )
    browser.wait_for("document.body.dataset.state !== 'rendering' || document.querySelectorAll('#panels li').length")
    return json.loads(browser.evaluate(EMPTY_JS))


def test_an_idle_empty_project_says_nothing_is_drawn_and_what_to_do_next(service: str, browser: Browser) -> None:
    with httpx.Client(base_url=service, headers=AUTH, timeout=30) as api:
        project = api.post(
            "/api/v1/projects", json={"title": "Brushing Teeth", "prompt": "teaching kids to brush their teeth"}
        ).json()
        browser.open(f"{service}/view/{project['id']}#access_token={KEY}")
        shown = shown_when_settled(browser)
        assert shown["state"] == "empty" and shown["empty"] and not shown["progress"], shown
        assert "Nothing drawn yet" in shown["text"] and "Write its story" in shown["text"]
        assert "being written" not in shown["text"]

        assert api.post(f"/api/v1/projects/{project['id']}/story", json={}).status_code == 200
        # the finished story, then the cast, arrive over the WebSocket: the next step follows, without a reload
        browser.wait_for("document.querySelector('#next-step').textContent.startsWith('Find its characters')")
        assert api.post(f"/api/v1/projects/{project['id']}/characters/extract").status_code == 200
        browser.wait_for("document.querySelector('#next-step').textContent === 'Plan its panels, then render them.'")
        assert json.loads(browser.evaluate(EMPTY_JS))["state"] == "empty"

        planned = api.post(f"/api/v1/projects/{project['id']}/panels/generate").json()["panels"]
        browser.wait_for(f"document.querySelectorAll('#panels li').length === {len(planned)}")
        assert browser.evaluate("document.querySelector('#empty').hidden") is True
        assert browser.evaluate("performance.getEntriesByType('navigation').length") == 1


def test_a_wizard_comic_awaiting_review_says_so(service: str, browser: Browser) -> None:
    with httpx.Client(base_url=service, headers=AUTH, timeout=30) as api:
        job = api.post(
            "/api/v1/comics/scenes/generate", json={"topic": "teaching kids about safety", "num_scenes": 2}
        ).json()
        settled = wait_job(api, job["job_id"])
    assert settled["status"] == "awaiting_input"
    browser.open(f"{service}/view/{settled['comic_id']}#access_token={KEY}")
    shown = shown_when_settled(browser)
    assert shown["state"] == "empty" and not shown["progress"], shown
    assert "Nothing drawn yet" in shown["text"] and "wait for review" in shown["text"]
    assert "being written" not in shown["text"]


# Before any script of the page: its WebSockets and timers are recorded, and (when asked) a socket's
# `state.deleted` message is held back, so the close code alone must tell the viewer.
WATCH_JS = """
window.__sockets = []; window.__delays = []; window.__holdDeleted = false;
const NativeSocket = window.WebSocket;
window.WebSocket = class extends NativeSocket {
  constructor(...args) { super(...args); window.__sockets.push(this); }
  addEventListener(type, listener, ...rest) {
    const held = (event) => {
      if (window.__holdDeleted && JSON.parse(event.data).event === 'state.deleted') return;
      listener(event);
    };
    super.addEventListener(type, type === 'message' ? held : listener, ...rest);
  }
};
const nativeTimeout = window.setTimeout;
window.setTimeout = (fn, delay, ...rest) => { window.__delays.push(delay || 0); return nativeTimeout(fn, delay, ...rest); };
"""


@pytest.mark.parametrize("told_by", ["message", "close code"])
def test_a_comic_deleted_while_shown_says_so_and_stops_reconnecting(
    service: str, browser: Browser, told_by: str
) -> None:
    browser.call("Page.addScriptToEvaluateOnNewDocument", source=WATCH_JS)
    with httpx.Client(base_url=service, headers=AUTH, timeout=30) as api:
        project = api.post("/api/v1/projects", json={"title": "Soon Gone", "prompt": "sharing toys"}).json()
        browser.open(f"{service}/view/{project['id']}#access_token={KEY}")
        browser.wait_for(
            "document.body.dataset.state === 'empty' && window.__sockets.length === 1 && "
            "window.__sockets[0].readyState === 1"
        )
        browser.evaluate(f"window.__holdDeleted = {'true' if told_by == 'close code' else 'false'}")
        assert api.delete(f"/api/v1/projects/{project['id']}").status_code == 204
    browser.wait_for("window.__sockets[0].readyState === 3")  # closed: its close handler has run
    shown = json.loads(browser.evaluate(EMPTY_JS))
    assert shown["state"] == "deleted" and "This comic was deleted" in shown["text"], shown
    assert "Soon Gone" not in shown["text"] and not shown["empty"] and not shown["progress"]
    assert browser.evaluate("window.__sockets.length") == 1
    assert browser.evaluate("window.__delays.filter(d => d > 0).length") == 0  # no reconnect is scheduled
