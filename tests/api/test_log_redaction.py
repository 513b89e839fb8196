"""No credential reaches the log: the real server (`python main.py`, uvicorn's own logging set-up) is
driven through the viewer, the SSE stream (every spelling of `access_token` Starlette accepts) and the
WebSocket with a key in the query, and its whole output is searched for the key."""

from __future__ import annotations

import logging
import logging.config
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from app.api.redaction import install_log_redaction, redact_credentials
from tests.processes import free_port, running

KEY = "log-test-key-7f3a9c2e51"
AUTH = {"Authorization": f"Bearer {KEY}"}
# Every spelling Starlette decodes to `access_token=KEY`: escapes in the name (either case of hex), and
# escapes or `+`-free plain text in the value.
SPELLINGS = [
    "access_token=" + KEY,
    "access%5Ftoken=" + KEY,
    "%61ccess_token=" + KEY,
    "access%5ftoken=" + KEY,
    "%61%63%63%65%73%73%5F%74%6F%6B%65%6E=" + KEY,
    "access_token=%6C" + KEY[1:],
    "x=1&access_token=" + KEY + "&y=2",
]


def leaks(text: str) -> list[str]:
    """Lines that carry the key, or the key with any one of its characters percent-encoded."""
    fragments = {KEY[1:], KEY[:-1]}
    return [line for line in text.splitlines() if any(f in line for f in fragments)]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[str, Path]]:
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
    log = tmp_path / "service.log"
    with running(["main.py"], env=env, ready=f"http://127.0.0.1:{port}/health", log=log):
        yield f"127.0.0.1:{port}", log


def finished_comic(api: httpx.Client) -> tuple[str, str]:
    job_id = api.post(
        "/api/v1/comics/scenes/generate", json={"topic": "teaching kids about safety", "num_scenes": 1}
    ).json()["job_id"]
    for stage in ("awaiting_input", "completed"):
        for _ in range(600):
            status = api.get(f"/api/v1/jobs/{job_id}").json()["status"]
            if status in (stage, "failed", "cancelled"):
                break
        assert status == stage, status
        if stage == "awaiting_input":
            assert api.post(f"/api/v1/comics/{job_id}/generate").status_code == 202
    return job_id, api.get(f"/api/v1/comics/{job_id}/result").json()["comic_id"]


def test_the_key_never_reaches_the_server_log(service: tuple[str, Path]) -> None:
    host, log = service
    with httpx.Client(base_url=f"http://{host}", headers=AUTH, timeout=30) as api:
        job_id, comic_id = finished_comic(api)
    with httpx.Client(base_url=f"http://{host}", timeout=30) as browser_like:
        for spelling in SPELLINGS:
            events = browser_like.get(f"/api/v1/comics/{job_id}/events?{spelling}")
            assert events.status_code == 200 and "event: progress" in events.text, spelling  # accepted
    sockets = 2
    for spelling in ("access_token=" + KEY, "%61ccess%5Ftoken=" + KEY):
        with connect(f"ws://{host}/api/v1/projects/{comic_id}/ws?{spelling}", open_timeout=10) as ws:
            assert '"state.snapshot"' in ws.recv(timeout=10)
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        from tests.web.chromium import Browser, chromium_path

        browser = Browser(chromium_path())
        try:
            browser.open(f"http://{host}/view/{comic_id}#access_token={KEY}")
            browser.wait_for("document.body.dataset.state === 'ready'")
            with httpx.Client(base_url=f"http://{host}", headers=AUTH, timeout=30) as api:
                project = api.post("/api/v1/projects", json={"title": "Before"}).json()
                browser.open(f"http://{host}/view/{project['id']}#access_token={KEY}")
                browser.wait_for("document.querySelector('#title').textContent === 'Before'")
                api.patch(f"/api/v1/projects/{project['id']}", json={"version": project["version"], "title": "After"})
            browser.wait_for("document.querySelector('#title').textContent === 'After'")  # over the viewer's WS
            sockets += 1
        finally:
            browser.close()
    with httpx.Client(base_url=f"http://{host}", timeout=30) as api:  # a line after, so the log has flushed
        api.get("/health")
    output = log.read_text()  # stdout and stderr of the whole run
    assert (
        output.count('"WebSocket /api/v1/projects/') == sockets and "[accepted]" in output
    )  # the lines were written...
    assert leaks(output) == [], "\n".join(leaks(output))  # ...without the key
    assert output.count("=[redacted]") >= len(SPELLINGS) + 2


SECRETS = {
    "API_KEYS": "second-key-4b1e77d0a9",
    "OPENAI_API_KEY": "sk-openai-5c2d8e1f3a",
    "FAL_KEY": "fal-id-91ab:fal-secret-77cd",
    "SUPABASE_JWT_SECRET": "jwt-secret-3e9f0a6b1c",
    "IMAGE_URL_SECRET": "url-secret-8d4c2b7e6f",
    "SUPABASE_KEY": "sb-service-6a0f1e9d2c",
}


def spellings(secret: str) -> list[str]:
    """Ways a secret can travel in a URL: as it is, every character escaped (either case of hex), one
    character escaped, and (for a key) `access+token`, which Starlette reads as `access token`."""
    every = "".join(f"%{b:02X}" for b in secret.encode())
    return [secret, every, every.lower(), f"%{ord(secret[0]):02x}{secret[1:]}", secret.replace("-", "%2D")]


@pytest.fixture
def secretive(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    env = {
        "DATA_DIR": str(tmp_path / "data"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "ENV": "development",
        "TEXT_PROVIDER": "offline",
        "IMAGE_PROVIDER": "offline",
        **SECRETS,
        "API_KEYS": f"{KEY},{SECRETS['API_KEYS']}",
    }  # the Supabase key is only held: storage stays json
    log = tmp_path / "service.log"
    with running(["main.py"], env=env, ready=f"http://127.0.0.1:{port}/health", log=log):
        yield f"127.0.0.1:{port}", log


def test_every_configured_secret_is_kept_out_of_the_log_however_it_is_spelled(secretive: tuple[str, Path]) -> None:
    host, log = secretive
    with httpx.Client(base_url=f"http://{host}", timeout=30) as http:
        events = "/api/v1/comics/01a1f000-0000-7000-8000-000000000000/events"  # takes ?access_token=
        assert http.get(f"{events}?access_token={KEY}").status_code == 404  # the key is accepted: no such job
        refused = http.get(f"{events}?access+token={KEY}")
        assert refused.status_code == 401  # `access token` is not the credential's name: refused, still logged
        for secret in (KEY, *SECRETS.values()):
            for spelled in spellings(secret):
                for url in (
                    f"/api/v1/{spelled}",
                    f"/view/{spelled}",
                    f"/api/v1/projects?q={spelled}&limit=1",
                    f"/{spelled}/x?access+token={spelled}",
                ):
                    assert http.get(url).status_code < 500, url
        http.get("/health")  # a line after, so the log has flushed
    output = log.read_text()
    assert output.count('"GET /api/v1/') > 6 * 5 * 2 and "[redacted]" in output  # the lines were written...
    for secret in (KEY, *SECRETS.values()):  # ...without any secret, in any of its spellings
        fragments = {secret[1:], secret[:-1], *(s[3:] for s in spellings(secret)[1:3])}
        found = [line for line in output.splitlines() if any(f in line for f in fragments)]
        assert found == [], "\n".join(found)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("/ws?access_token=K1", "/ws?access_token=[redacted]"),
        ("/e?access%5Ftoken=K1&a=1", "/e?access%5Ftoken=[redacted]&a=1"),
        ("/e?a=1&%61ccess_token=K1", "/e?a=1&%61ccess_token=[redacted]"),
        ("/e?access%5ftoken=%4B1+x", "/e?access%5ftoken=[redacted]"),
        ("/e?access_token%3DK1", "/e?access_token=[redacted]"),
        ('"WebSocket /ws?access_token=K1" [accepted]', '"WebSocket /ws?access_token=[redacted]" [accepted]'),
        ("/e?access_token=", "/e?access_token=[redacted]"),
        ("/e?not_access=K1&token=K2", "/e?not_access=K1&token=K2"),  # other parameters are kept
        ("a & b = c", "a & b = c"),
    ],
)
def test_every_spelling_of_the_query_credential_is_redacted(text: str, expected: str) -> None:
    assert redact_credentials(text) == expected


def test_a_configured_secret_is_blanked_wherever_and_however_it_is_written() -> None:
    install_log_redaction(["unit secret+9z"])
    for spelled in ("unit secret+9z", "unit+secret%2B9z", "%75nit%20secret%2b9z", "%75%6E%69%74%20%73ecret+9z"):
        assert redact_credentials(f"GET /a/{spelled}/b?x={spelled}") == "GET /a/[redacted]/b?x=[redacted]"
    for other in ("unit secret+9", "UNIT SECRET+9Z", "unit secret 9z"):  # a part of it, or another value
        assert redact_credentials(f"GET /a/{other}") == f"GET /a/{other}"


def test_redaction_covers_every_logger_and_survives_a_logging_reconfiguration(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})  # as uvicorn does at start
    caplog.set_level(logging.INFO)
    try:
        raise ValueError("bad url /ws?access_token=K-exc")
    except ValueError:
        logging.getLogger("anything.at.all").exception("failed %s", "/x?%61ccess_token=K-arg")
    logging.getLogger("uvicorn.error").info(
        '%s - "WebSocket %s" [accepted]', "127.0.0.1:1", "/api/v1/projects/p/ws?access_token=K-ws"
    )
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", "/e?access%5Ftoken=K-access&a=1", "1.1", 200
    )
    logging.getLogger("ours").info("free text /e?access_token=K-msg")
    logging.getLogger("ours").info("%(url)s", {"url": "/e?access_token=K-map"})
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "K-" not in text and text.count("[redacted]") >= 6, text
    assert "access%5Ftoken=[redacted]&a=1" in text  # the rest of the line is intact
