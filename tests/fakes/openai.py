"""An HTTP-layer fake of the OpenAI endpoints the service uses, answering as OpenAI documents them:
/v1/moderations, and /v1/chat/completions with a strict json_schema response_format (ScenesDraft,
PanelsDraft, CharactersDraft) or with stream=true (server-sent chunks, then [DONE])."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx


def _cast(system: str) -> list[str]:
    return re.findall(r"^- ([^:\n]+):", system, flags=re.MULTILINE)


def _completion(content: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": json.dumps(content), "refusal": None},
            }
        ],
        "usage": {"prompt_tokens": 50, "completion_tokens": 50, "total_tokens": 100},
    }


@dataclass
class FakeOpenAI:
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        path = request.url.path
        self.requests.append((path, body))
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return httpx.Response(401, json={"error": {"message": "no key", "code": "invalid_api_key"}})
        if path.endswith("/moderations"):
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            return httpx.Response(
                200,
                json={
                    "id": "modr-fake",
                    "model": body.get("model"),
                    "results": [
                        {"flagged": False, "categories": {"violence": False}, "category_scores": {"violence": 0.0}}
                        for _ in inputs
                    ],
                },
            )
        if path.endswith("/chat/completions"):
            system, user = body["messages"][0]["content"], body["messages"][1]["content"]
            if body.get("stream"):
                return self._stream(system)
            name = body["response_format"]["json_schema"]["name"]
            return httpx.Response(200, json=_completion(getattr(self, f"_{name}")(system, user)))
        return httpx.Response(404, json={"error": {"message": "unknown route"}})

    def _ScenesDraft(self, system: str, user: str) -> dict[str, Any]:
        count = int(re.search(r"exactly (\d+) scenes", user).group(1))
        cast = _cast(system) or ["Max"]
        return {
            "scenes": [
                {
                    "title": f"Part {n}",
                    "description": f"{cast[0]} learns step {n} in the park.",
                    "setting": "park",
                    "learning_point": f"Step {n} keeps us safe.",
                    "visual_elements": ["tree", "path"],
                    "dialogue": [{"speaker": cast[(n - 1) % len(cast)], "text": f"Step {n}!"}],
                }
                for n in range(1, count + 1)
            ]
        }

    def _PanelsDraft(self, system: str, user: str) -> dict[str, Any]:
        scenes = json.loads(user.split("\n", 1)[1].rsplit("\nPlan the panels", 1)[0])
        cast = _cast(system)
        return {
            "panels": [
                {
                    "scene_number": n,
                    "title": s["title"],
                    "background": s["description"],
                    "narration": s["description"],
                    "characters": cast[:2],
                    "dialogue": s["dialogue"],
                }
                for n, s in enumerate(scenes, 1)
            ]
        }

    def _CharactersDraft(self, system: str, user: str) -> dict[str, Any]:
        names = list(dict.fromkeys(re.findall(r"\b([A-Z][a-z]+)\b said", user)))
        return {
            "characters": [
                {
                    "name": n,
                    "brief": f"{n} in the story",
                    "character_type": "humanoid",
                    "era": "present day",
                    "visual_form": "a child",
                    "color_palette": ["#3366FF"],
                    "distinctive_markers": ["cap"],
                    "demeanor": "kind",
                    "role": "supporting",
                }
                for n in names
            ]
        }

    @staticmethod
    def _stream(system: str) -> httpx.Response:
        pieces = ["Once ", "upon ", "a ", "time."]
        events = "".join(
            "data: "
            + json.dumps(
                {
                    "id": "c",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": "gpt-4o",
                    "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}],
                }
            )
            + "\n\n"
            for p in pieces
        )
        return httpx.Response(200, text=events + "data: [DONE]\n\n", headers={"content-type": "text/event-stream"})
