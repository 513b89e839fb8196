"""The service as a user runs it (python main.py), pointed by its documented variables at vendor
fakes on a real socket over HTTPS: OPENAI_BASE_URL, FAL_RUN_HOST / FAL_QUEUE_RUN_HOST,
ALLOWED_IMAGE_HOSTS. The whole wizard, from topic to lettered-free panels downloaded and served."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.processes import free_port, running


def test_the_wizard_runs_against_servers_that_speak_the_vendor_protocols(tmp_path: Path) -> None:
    vendor_port, service_port = free_port(), free_port()
    certs = tmp_path / "certs"
    vendor = f"https://127.0.0.1:{vendor_port}"
    with running(
        ["-m", "tests.fakes.server", "--port", str(vendor_port), "--cert-dir", str(certs)],
        env={},
        ready=f"{vendor}/_calls",
        verify=False,
        log=tmp_path / "vendor.log",
    ):
        env = {
            "ENV": "development",
            "PORT": str(service_port),
            "HOST": "127.0.0.1",
            "DATA_DIR": str(tmp_path / "data"),
            "OPENAI_API_KEY": "sk-e2e",
            "OPENAI_BASE_URL": f"{vendor}/v1",
            "FAL_KEY": "e2e:key",
            "FAL_RUN_HOST": f"127.0.0.1:{vendor_port}",
            "FAL_QUEUE_RUN_HOST": f"127.0.0.1:{vendor_port}",
            "ALLOWED_IMAGE_HOSTS": f"127.0.0.1:{vendor_port}",
            "SSL_CERT_FILE": str(certs / "ca.pem"),
            "TEXT_PROVIDER": "auto",
            "IMAGE_PROVIDER": "auto",
        }
        base = f"http://127.0.0.1:{service_port}"
        with (
            running(["main.py"], env=env, ready=f"{base}/health", log=tmp_path / "service.log"),
            httpx.Client(base_url=f"{base}/api/v1", timeout=10) as api,
        ):
            job_id = api.post("/comics/scenes/generate", json={"topic": "road safety", "num_scenes": 3}).json()[
                "job_id"
            ]
            assert wait(api, job_id, "awaiting_input")["step"] == "scenes_ready"
            assert [s["title"] for s in api.get(f"/comics/{job_id}/scenes").json()["scenes"]] == [
                "Part 1",
                "Part 2",
                "Part 3",
            ]  # written by the OpenAI fake, not the offline writer
            assert api.post(f"/comics/{job_id}/generate").status_code == 202
            assert wait(api, job_id, "completed")["progress"] == 100
            comic = api.get(f"/comics/{job_id}/result").json()
            for panel in comic["panels"]:
                assert panel["status"] == "rendered"
                picture = api.get(panel["image_url"].removeprefix("/api/v1"))
                assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
            calls = httpx.get(f"{vendor}/_calls", verify=False).json()
    assert "/v1/moderations" in calls["openai"] and "/v1/chat/completions" in calls["openai"]
    assert calls["fal"].count("fal-ai/nano-banana") == len(comic["characters"])
    assert calls["fal"].count("fal-ai/nano-banana/edit") == len(comic["panels"])
    sheets = {c["reference_url"] for c in comic["characters"]}
    assert all(set(a.get("image_urls", [])) <= sheets for a in calls["fal_arguments"])
    assert len(calls["downloads"]) == len(calls["fal"])
    assert "sk-e2e" not in (tmp_path / "service.log").read_text()


def wait(api: httpx.Client, job_id: str, status: str, timeout: float = 60.0) -> dict:
    """Poll the job as a client would, until it reaches `status` (or fails, which is reported)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.get(f"/comics/{job_id}/status").json()
        if job["status"] == status:
            return job
        assert job["status"] not in ("failed", "cancelled"), job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not reach {status} in {timeout} s")
