"""An HTTP-layer fake of fal.ai's queue protocol and CDN, as fal documents them.

POST {queue}/{endpoint} answers {request_id, response_url, status_url, cancel_url}; GET status_url
answers IN_QUEUE, then COMPLETED; GET response_url answers the model's output
{"images": [{"url", "content_type", "width", "height"}]}; PUT cancel_url cancels. Status and result
URLs name the app without its sub-path, as fal's do ("fal-ai/nano-banana/requests/{id}" for the edit
model). Images are served from the CDN host.

`handle(request) -> response` is plain httpx, so respx routes to it in-process and
tests/fakes/server.py serves it over a real socket.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from PIL import Image


# What the fake does with one submission: None renders normally; otherwise an Outcome.
@dataclass
class Outcome:
    submit_status: int | None = None  # answer the submission with this HTTP status
    result_status: int | None = None  # accept it, then answer the result with this status
    error_type: str | None = None
    image_url: str | None = None  # hand back this URL instead of one on our CDN
    never_completes: bool = False


@dataclass
class Submission:
    request_id: str
    endpoint: str
    arguments: dict[str, Any]
    headers: dict[str, str]
    outcome: Outcome | None
    polls: int = 0
    cancelled: bool = False
    submitted_at: float = field(default_factory=time.monotonic)
    finished_at: float | None = None


def png(width: int, height: int, seed: int) -> bytes:
    image = Image.new("RGB", (width, height), ((seed * 53) % 256, (seed * 97) % 256, (seed * 193) % 256))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class FakeFal:
    queue: str = "https://queue.fal.run"
    cdn: str = "https://v3.fal.media"
    plan: Callable[[str, dict[str, Any]], Outcome | None] = lambda endpoint, arguments: None
    size: tuple[int, int] = (64, 48)
    latency: float = 0.0  # seconds from submission until the status says COMPLETED
    submissions: list[Submission] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, str(request.url)))
        path = request.url.path.lstrip("/")
        if request.url.host == httpx.URL(self.cdn).host and path.startswith("files/"):
            return self._download(path)
        found = re.fullmatch(r"(?P<app>.+?)/requests/(?P<id>[^/]+)(?P<tail>/status|/cancel)?", path)
        if found is None and request.method == "POST":
            return self._submit(path, request)
        if found is None:
            return httpx.Response(404, json={"detail": "Not Found"})
        submission = next((s for s in self.submissions if s.request_id == found["id"]), None)
        if submission is None:
            return httpx.Response(404, json={"detail": "Request not found"})
        if found["tail"] == "/status":
            return self._status(submission)
        if found["tail"] == "/cancel":
            submission.cancelled = True
            return httpx.Response(202, json={"status": "CANCELLATION_REQUESTED"})
        return self._result(submission)

    @property
    def billed(self) -> list[Submission]:
        return [s for s in self.submissions if s.outcome is None or s.outcome.submit_status is None]

    def _submit(self, endpoint: str, request: httpx.Request) -> httpx.Response:
        arguments = json.loads(request.content or b"{}")
        outcome = self.plan(endpoint, arguments)
        request_id = f"req-{next(self._ids)}"
        self.submissions.append(Submission(request_id, endpoint, arguments, dict(request.headers), outcome))
        if outcome and outcome.submit_status:
            return self._error(outcome.submit_status, outcome.error_type)
        app = "/".join(endpoint.split("/")[:2])  # owner/alias: the sub-path is not part of the queue URLs
        base = f"{self.queue}/{app}/requests/{request_id}"
        return httpx.Response(
            200,
            json={
                "request_id": request_id,
                "response_url": base,
                "status_url": f"{base}/status",
                "cancel_url": f"{base}/cancel",
                "queue_position": 0,
            },
        )

    def _status(self, submission: Submission) -> httpx.Response:
        submission.polls += 1
        running = time.monotonic() - submission.submitted_at < self.latency
        if (submission.outcome and submission.outcome.never_completes) or submission.polls == 1 or running:
            return httpx.Response(
                202,
                json={
                    "status": "IN_QUEUE" if submission.polls == 1 else "IN_PROGRESS",
                    "queue_position": 0,
                    "logs": None,
                    "response_url": f"{self.queue}/x/requests/{submission.request_id}",
                },
            )
        return httpx.Response(200, json={"status": "COMPLETED", "logs": None, "metrics": {"inference_time": 0.1}})

    def most_in_flight(self) -> int:
        """The most submissions that were running at one instant (submitted, result not yet fetched)."""
        events = sorted(
            [(s.submitted_at, 1) for s in self.billed]
            + [(s.finished_at, -1) for s in self.billed if s.finished_at is not None]
        )
        level = peak = 0
        for _, change in events:
            level += change
            peak = max(peak, level)
        return peak

    def _result(self, submission: Submission) -> httpx.Response:
        submission.finished_at = submission.finished_at or time.monotonic()
        outcome = submission.outcome
        if outcome and outcome.result_status:
            return self._error(outcome.result_status, outcome.error_type)
        width, height = self.size
        url = outcome.image_url if outcome and outcome.image_url else f"{self.cdn}/files/{submission.request_id}.png"
        return httpx.Response(
            200,
            json={
                "images": [
                    {
                        "url": url,
                        "content_type": "image/png",
                        "width": width,
                        "height": height,
                        "file_name": "image.png",
                    }
                ],
                "description": "",
            },
        )

    def _download(self, path: str) -> httpx.Response:
        self.downloads.append(path)
        number = int(re.sub(r"\D", "", path) or 0)
        return httpx.Response(200, content=png(*self.size, number), headers={"content-type": "image/png"})

    @staticmethod
    def _error(status: int, error_type: str | None) -> httpx.Response:
        body: dict[str, Any] = {"detail": f"fake failure {status} with internal detail xyzzy"}
        if error_type:
            body["error_type"] = error_type
        return httpx.Response(status, json=body)
