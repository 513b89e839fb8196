"""The real openai SDK against an HTTP-layer fake (respx): the exact requests, and every failure path."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx
from fastapi import FastAPI
from pydantic import SecretStr

from app.factory import create_app
from app.services.providers.openai_text import OpenAITextModel
from config import Settings
from external_services import OpenAIClient, RetryPolicy
from tests.conftest import Sleeps, services, settle, tree_digest

BASE = "http://openai.test/v1"
API = "/api/v1"
KEY = "sk-test-not-a-real-key-1234"


def completion(content: Any, tokens: int = 30) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
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
        "usage": {"prompt_tokens": tokens // 2, "completion_tokens": tokens - tokens // 2, "total_tokens": tokens},
    }


def moderation(flagged: bool = False, category: str = "violence") -> dict[str, Any]:
    return {
        "id": "modr-1",
        "model": "omni-moderation-latest",
        "results": [
            {
                "flagged": flagged,
                "categories": {category: flagged, "harassment": False},
                "category_scores": {category: 0.9 if flagged else 0.0},
            }
        ],
    }


def scene(n: int, speaker: str = "Max") -> dict[str, Any]:
    return {
        "title": f"Scene {n}",
        "description": f"Max learns lesson {n} at the park.",
        "setting": "park",
        "dialogue": [{"speaker": speaker, "text": f"Lesson {n}!"}],
        "learning_point": f"Point {n}.",
        "visual_elements": ["tree", "bench"],
    }


@pytest.fixture
def openai_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"text_provider": "openai", "openai_base_url": BASE, "openai_api_key": SecretStr(KEY)}
    )


@pytest.fixture
async def openai_app(openai_settings: Settings, sleeps: Sleeps) -> AsyncIterator[FastAPI]:
    application = create_app(openai_settings)
    async with application.router.lifespan_context(application):
        assert services(application).pipeline.text.name == "openai"  # chosen by config, not injected
        client = OpenAIClient(openai_settings, policy=RetryPolicy(sleep=sleeps, deadline=600))
        services(application).pipeline.text = OpenAITextModel(client)
        yield application


@pytest.fixture
async def http(openai_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=openai_app), base_url="http://t") as client:
        yield client


@respx.mock
async def test_scenes_use_strict_json_schema_and_moderation(http: httpx.AsyncClient, openai_app: FastAPI) -> None:
    moderations = respx.post(f"{BASE}/moderations").mock(return_value=httpx.Response(200, json=moderation()))
    chat = respx.post(f"{BASE}/chat/completions").mock(
        return_value=httpx.Response(200, json=completion({"scenes": [scene(1), scene(2, "Nobody")]}, tokens=42))
    )
    answer = await http.post(f"{API}/comics/scenes/generate", json={"topic": "road safety", "num_scenes": 2})
    assert answer.status_code == 202
    await settle(openai_app)

    request = chat.calls.last.request
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = json.loads(request.content)
    assert body["model"] == "gpt-4o"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "road safety" in body["messages"][1]["content"] and "exactly 2 scenes" in body["messages"][1]["content"]
    assert body["response_format"]["type"] == "json_schema"
    schema = body["response_format"]["json_schema"]
    assert schema["strict"] is True and schema["name"] == "ScenesDraft"
    assert schema["schema"]["additionalProperties"] is False

    first_check = json.loads(moderations.calls[0].request.content)
    assert first_check == {"input": ["road safety"], "model": "omni-moderation-latest"}
    assert moderations.call_count == 2  # the topic before, the generated text after

    job_id = answer.json()["job_id"]
    scenes = (await http.get(f"{API}/comics/{job_id}/scenes")).json()["scenes"]
    assert [s["title"] for s in scenes] == ["Scene 1", "Scene 2"]
    assert scenes[1]["dialogue"] == []  # a speaker outside the cast is dropped, never invented
    job = await services(openai_app).data.get_job(job_id)
    assert job.data.model_dump()["usage"] == {"tokens": 42, "text_calls": 1, "image_calls": 0}


@respx.mock
async def test_flagged_topic_is_422_before_anything_is_made(http: httpx.AsyncClient, openai_settings: Settings) -> None:
    # A topic the local check lets through, flagged by OpenAI (which runs after it): refused all the same.
    flagged = respx.post(f"{BASE}/moderations").mock(
        return_value=httpx.Response(200, json=moderation(True, "violence"))
    )
    chat = respx.post(f"{BASE}/chat/completions")
    before = tree_digest(openai_settings.data_dir)
    answer = await http.post(f"{API}/comics/scenes/generate", json={"topic": "a thunderstorm at sea"})
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert set(detail) == {"code", "category", "message", "suggestion"}
    assert detail["code"] == "content_refused" and detail["category"] == "violence"
    assert detail["message"].startswith("Let's choose a different topic") and detail["suggestion"].startswith("Try")
    assert "thunderstorm" not in detail["message"] + detail["suggestion"]
    assert flagged.call_count == 1 and chat.call_count == 0
    assert tree_digest(openai_settings.data_dir) == before


@respx.mock
async def test_rate_limit_is_retried_then_succeeds(
    http: httpx.AsyncClient, openai_app: FastAPI, sleeps: Sleeps
) -> None:
    respx.post(f"{BASE}/moderations").mock(return_value=httpx.Response(200, json=moderation()))
    chat = respx.post(f"{BASE}/chat/completions").mock(
        side_effect=[
            httpx.Response(
                429, json={"error": {"message": "slow down", "type": "rate_limit"}}, headers={"retry-after": "2"}
            ),
            httpx.Response(503, json={"error": {"message": "overloaded"}}),
            httpx.Response(200, json=completion({"scenes": [scene(1)]})),
        ]
    )
    job_id = (await http.post(f"{API}/comics/scenes/generate", json={"topic": "safety", "num_scenes": 1})).json()[
        "job_id"
    ]
    await settle(openai_app)
    assert chat.call_count == 3
    assert len(sleeps.delays) == 2 and sleeps.delays[0] >= 2.0  # Retry-After honoured
    assert (await http.get(f"{API}/jobs/{job_id}")).json()["status"] == "awaiting_input"


@respx.mock
async def test_bad_key_fails_fast_with_a_clear_error(
    http: httpx.AsyncClient, openai_app: FastAPI, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    respx.post(f"{BASE}/moderations").mock(return_value=httpx.Response(200, json=moderation()))
    chat = respx.post(f"{BASE}/chat/completions").mock(
        return_value=httpx.Response(
            401, json={"error": {"message": f"Incorrect API key provided: {KEY}", "code": "invalid_api_key"}}
        )
    )
    job_id = (await http.post(f"{API}/comics/scenes/generate", json={"topic": "safety"})).json()["job_id"]
    await settle(openai_app)
    status = (await http.get(f"{API}/jobs/{job_id}")).json()
    assert chat.call_count == 1 and sleeps.delays == []
    assert status["status"] == "failed"
    assert status["error"]["code"] == "provider_auth_failed"
    assert status["error"]["message"] == "OpenAI rejected the key (401): check OPENAI_API_KEY"
    assert KEY not in json.dumps(status) and KEY not in caplog.text


@respx.mock
async def test_an_outage_gives_up_within_the_deadline_and_says_so(openai_settings: Settings, sleeps: Sleeps) -> None:
    respx.post(f"{BASE}/chat/completions").mock(return_value=httpx.Response(500, json={"error": {"message": "boom"}}))
    client = OpenAIClient(openai_settings, policy=RetryPolicy(attempts=4, sleep=sleeps))
    with pytest.raises(Exception) as raised:
        await OpenAITextModel(client).plan_panels(scenes=[], cast=[])
    assert str(raised.value).startswith("OpenAI is failing (500), retried 3 times over")
    assert len(sleeps.delays) == 3
    # Doubling with 0.5-1.0 jitter: the third wait is at least twice the first, whatever the jitter
    # drew (without the doubling it would be at most twice, and equal only at the extremes).
    assert sleeps.delays[2] >= 2 * sleeps.delays[0] and max(sleeps.delays) <= RetryPolicy().max_delay


@respx.mock
async def test_story_streams_token_by_token(openai_settings: Settings) -> None:
    chunks = ["Once", " upon", " a time"]
    sse = (
        "".join(
            "data: "
            + json.dumps(
                {
                    "id": "c",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": "gpt-4o",
                    "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                }
            )
            + "\n\n"
            for piece in chunks
        )
        + "data: [DONE]\n\n"
    )
    route = respx.post(f"{BASE}/chat/completions").mock(
        return_value=httpx.Response(200, text=sse, headers={"content-type": "text/event-stream"})
    )
    model = OpenAITextModel(OpenAIClient(openai_settings))
    received = [piece async for piece in model.stream_story(topic="road safety", age_group="5-8", cast=[])]
    assert received == chunks
    body = json.loads(route.calls.last.request.content)
    assert body["stream"] is True
    assert "hero's journey" in body["messages"][0]["content"] and "road safety" in body["messages"][1]["content"]


@respx.mock
async def test_refine_keeps_unnamed_scenes_whatever_comes_back(openai_settings: Settings) -> None:
    from app.models.schemas import Scene

    respx.post(f"{BASE}/moderations").mock(return_value=httpx.Response(200, json=moderation()))
    respx.post(f"{BASE}/chat/completions").mock(
        return_value=httpx.Response(200, json=completion({"scenes": [scene(7), scene(8)]}))
    )
    old = [
        Scene(scene_id="scene-1", title="A", description="a", learning_point="p"),
        Scene(scene_id="scene-2", title="B", description="b", learning_point="p"),
    ]
    refined = await OpenAITextModel(OpenAIClient(openai_settings)).refine_scenes(
        scenes=old, feedback="funnier", scene_ids=["scene-2"], age_group="5-12", cast=[]
    )
    assert refined[0] == old[0]
    assert (refined[1].scene_id, refined[1].title, refined[1].revision) == ("scene-2", "Scene 8", 1)


@respx.mock
async def test_extraction_is_strict_and_keeps_only_names_in_the_story(openai_settings: Settings) -> None:
    def profile(name: str) -> dict[str, Any]:
        return {
            "name": name,
            "brief": f"{name} in the story",
            "character_type": "creature",
            "era": "today",
            "visual_form": "a small fox",
            "color_palette": ["#FF8800", "orange"],
            "distinctive_markers": ["scarf"],
            "demeanor": "curious",
            "role": "protagonist",
        }

    route = respx.post(f"{BASE}/chat/completions").mock(
        return_value=httpx.Response(
            200, json=completion({"characters": [profile("Sunny"), profile("Ghost"), profile("sunny ")]})
        )
    )
    model = OpenAITextModel(OpenAIClient(openai_settings))
    found = await model.extract_characters(story="Sunny the fox looks both ways.", age_group="5-8")
    body = json.loads(route.calls.last.request.content)
    schema = body["response_format"]["json_schema"]
    assert (schema["name"], schema["strict"]) == ("CharactersDraft", True)
    item = schema["schema"]["$defs"]["CharacterDraft"]
    assert set(item["required"]) == {
        "name",
        "brief",
        "character_type",
        "era",
        "visual_form",
        "color_palette",
        "distinctive_markers",
        "demeanor",
        "role",
    }
    assert "Sunny the fox" in body["messages"][1]["content"]
    assert [c.name for c in found] == ["Sunny"]  # Ghost is not in the story; the duplicate folds away
    assert found[0].color_palette == ["#FF8800"] and found[0].character_type == "creature"


@respx.mock
async def test_planned_names_outside_the_cast_are_dropped_and_reported(openai_settings: Settings) -> None:
    from app.models.schemas import Character, Scene

    plan = {
        "panels": [
            {
                "scene_number": 1,
                "title": "T",
                "background": "a park",
                "narration": "",
                "characters": ["Max", "Dragon"],
                "dialogue": [{"speaker": "Max", "text": "Hi"}, {"speaker": "Wizard", "text": "Boo"}],
            }
        ]
    }
    respx.post(f"{BASE}/chat/completions").mock(return_value=httpx.Response(200, json=completion(plan)))
    result = await OpenAITextModel(OpenAIClient(openai_settings)).plan_panels(
        scenes=[Scene(scene_id="part-1", title="A", description="a", learning_point="")],
        cast=[Character(id="max", name="Max", description="a boy")],
    )
    [panel] = result.panels
    assert panel.characters == ["Max"] and [line.speaker for line in panel.dialogue] == ["Max"]
    assert result.dropped == ["Dragon", "Wizard"]
