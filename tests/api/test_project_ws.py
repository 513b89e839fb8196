"""Live updates: a WebSocket client sees the project's state after every change (starlette's
TestClient, which speaks the real WebSocket protocol to the app)."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.factory import create_app
from config import Settings

API = "/api/v1"


def test_a_websocket_client_gets_an_update_per_rendered_panel(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        project_id = client.post(f"{API}/projects", json={"prompt": "crossing the road safely"}).json()["id"]
        with client.stream("POST", f"{API}/projects/{project_id}/story") as story:
            assert story.read()
        cast = client.post(f"{API}/projects/{project_id}/characters/extract").json()["characters"]
        for member in cast:
            client.post(f"{API}/projects/{project_id}/characters/{member['id']}/render")
        panels = client.post(f"{API}/projects/{project_id}/panels/generate").json()["panels"]

        with client.websocket_connect(f"{API}/projects/{project_id}/ws") as ws:
            snapshot = ws.receive_json()
            assert snapshot["event"] == "state.snapshot" and snapshot["project_id"] == project_id
            assert len(snapshot["state"]["panels"]) == len(panels)
            job_id = client.post(f"{API}/projects/{project_id}/panels/render").json()["job_id"]
            updates, rendered_seen, version = [], set(), snapshot["version"]
            while len(rendered_seen) < len(panels):
                event = ws.receive_json()
                assert event["event"] == "state.updated" and event["version"] > version
                version = event["version"]
                updates.append(event)
                now = {p["panel_id"] for p in event["state"]["panels"] if p["status"] == "rendered"}
                # panels finishing together may share an update (their writes are coalesced), and one
                # rendered stays rendered: the updates never go back
                assert rendered_seen <= now
                rendered_seen = now
            assert any(p["status"] == "rendering" for e in updates for p in e["state"]["panels"])

            # a character's new sheet is an update too, and marks its panels stale
            client.post(f"{API}/projects/{project_id}/characters/{cast[0]['id']}/render")
            while True:
                event = ws.receive_json()
                member = next(c for c in event["state"]["characters"] if c["id"] == cast[0]["id"])
                if member["image_history"]:
                    break
            assert any(p["stale"] for p in event["state"]["panels"])
        assert client.get(f"{API}/jobs/{job_id}").json()["status"] == "completed"


def test_a_websocket_for_an_unknown_project_is_closed_with_4404(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        with client.websocket_connect(f"{API}/projects/01a1f000-0000-7000-8000-000000000000/ws") as ws:
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
    assert closed.value.code == 4404


def test_a_binary_frame_closes_the_websocket_with_1003(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with TestClient(create_app(settings)) as client:
        project_id = client.post(f"{API}/projects", json={"prompt": "crossing the road safely"}).json()["id"]
        with client.websocket_connect(f"{API}/projects/{project_id}/ws") as ws:
            assert ws.receive_json()["event"] == "state.snapshot"
            ws.send_text("hello")  # text is read and ignored; the socket stays open
            ws.send_bytes(b"\x00\x01")
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
        assert client.get(f"{API}/projects/{project_id}").status_code == 200
    assert closed.value.code == 1003
    assert [r for r in caplog.records if r.exc_info] == []


def test_a_websocket_whose_project_is_deleted_hears_so_and_is_closed_with_4404(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with TestClient(create_app(settings)) as client:
        project_id = client.post(f"{API}/projects", json={"prompt": "crossing the road safely"}).json()["id"]
        with client.websocket_connect(f"{API}/projects/{project_id}/ws") as ws:
            assert ws.receive_json()["event"] == "state.snapshot"
            assert client.delete(f"{API}/projects/{project_id}").status_code == 204
            assert ws.receive_json() == {"event": "state.deleted", "project_id": project_id}
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
    assert closed.value.code == 4404
    assert [r for r in caplog.records if r.exc_info] == []
