"""Streams whose subject disappears end with a final error a client can read, never a dropped connection
and a traceback in the log: the SSE of a job whose project is deleted, and a story stream whose project is
deleted while it is written."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import BrokenWriter, scenes_ready, services

API = "/api/v1"


def sse_events(text: str) -> list[tuple[str, str]]:
    """(event name, data) of each event in a text/event-stream body; comments are skipped."""
    events = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if line and not line.startswith(":"))
        if fields:
            events.append((fields.get("event", "message"), fields.get("data", "")))
    return events


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    logged = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert logged == [], [r.getMessage() for r in logged]


def spy_on_waits(app: FastAPI) -> asyncio.Event:
    """An event set once an SSE stream waits for its job's next change (it has sent what it has)."""
    watching = asyncio.Event()
    runner, real = services(app).runner, services(app).runner.change_signal

    def change_signal(job_id: str) -> asyncio.Event:
        signal = real(job_id)
        wait = signal.wait

        async def waiting() -> bool:
            watching.set()
            return await wait()

        signal.wait = waiting  # type: ignore[method-assign]
        return signal

    runner.change_signal = change_signal
    return watching


async def test_sse_of_a_job_whose_project_is_deleted_ends_with_an_error_event(
    client: httpx.AsyncClient, app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    job_id = await scenes_ready(client, app, num_scenes=1)
    comic_id = (await client.get(f"{API}/jobs/{job_id}")).json()["comic_id"]
    watching = spy_on_waits(app)
    listening = asyncio.create_task(client.get(f"{API}/comics/{job_id}/events"))
    await asyncio.wait_for(watching.wait(), timeout=30)
    assert (await client.delete(f"{API}/projects/{comic_id}")).status_code == 204
    # the deletion wakes the stream at once (the keep-alive is 15 s away)
    answer = await asyncio.wait_for(listening, timeout=10)
    events = sse_events(answer.text)
    assert [name for name, _ in events] == ["progress", "error"]
    assert json.loads(events[0][1])["status"] == "awaiting_input"
    final = json.loads(events[-1][1])
    assert final["type"] == "error" and final["code"] == "not_found"
    assert "deleted" in final["message"]
    no_traceback(caplog)


async def test_a_story_whose_project_is_deleted_mid_stream_ends_with_an_error_line(
    client: httpx.AsyncClient, app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    writer = BrokenWriter(fail=False)
    services(app).pipeline.text = writer
    project_id = (await client.post(f"{API}/projects", json={"prompt": "crossing the road safely"})).json()["id"]

    async def read() -> list[dict]:
        async with client.stream("POST", f"{API}/projects/{project_id}/story") as answer:
            assert answer.status_code == 200
            return [json.loads(line) async for line in answer.aiter_lines() if line]

    reading = asyncio.create_task(read())
    await asyncio.wait_for(writer.started.wait(), timeout=30)
    assert (await client.delete(f"{API}/projects/{project_id}")).status_code == 204
    writer.resume.set()
    lines = await asyncio.wait_for(reading, timeout=30)
    assert [line["type"] for line in lines[:3]] == ["delta"] * 3
    assert lines[-1]["type"] == "error" and lines[-1]["code"] == "not_found"
    assert "deleted" in lines[-1]["message"]
    assert not any(line["type"] == "done" for line in lines)
    assert (await client.get(f"{API}/projects/{project_id}")).status_code == 404
    no_traceback(caplog)
