"""Every prompt the API accepts gets a story from the offline writer, however long or strange."""

from __future__ import annotations

import json

import httpx
import pytest

from app.models.schemas import DialogueLine
from app.services.comics.catalog import default_cast
from app.services.providers.offline_text import write_scenes, write_story

API = "/api/v1"
SENTENCES = (
    "A little fox who lives at the edge of the forest learns to cross the road safely with the help "
    "of her friends, who show her how to stop, look and listen before every step. "
)
PROMPTS = {
    "2000 characters of sentences": (SENTENCES * 20)[:2000],
    "one 2000-character word": "Safety" + "x" * 1994,
    "chinese without spaces": ("小狐狸学习如何安全地过马路，她的朋友们教她停下来，看一看，听一听。" * 70)[:2000],
    "arabic": ("ثعلب صغير يتعلم عبور الطريق بأمان مع أصدقائه " * 50)[:2000],
    "emoji and combining marks": ("🦊🚦 Ça va? Zoë’s café, naïve ﬁsh, e\u0301e\u0301 \u200d🏳️‍🌈 " * 60)[:2000],
    "lines and punctuation": ("...\n\n!!! ??? ,,, ;;; :::\n" * 100)[:2000],
    "short": "Foxes!",
}


@pytest.mark.parametrize("name", list(PROMPTS))
def test_the_offline_writer_writes_a_story_for_any_accepted_prompt(name: str) -> None:
    prompt = PROMPTS[name]
    cast = default_cast(prompt)
    story = write_story(topic=prompt, age_group="5-12", cast=cast)
    assert story.count("\n\n") == 4
    for scene in write_scenes(topic=prompt, age_group="5-12", num_scenes=12, cast=cast):
        for line in scene.dialogue:
            DialogueLine.model_validate(line.model_dump())  # within the record's own bounds
            assert len(line.text) <= 200, line.text  # a speech balloon, not the prompt pasted in


@pytest.mark.parametrize("name", list(PROMPTS))
async def test_a_2000_character_prompt_gets_a_story_through_the_api(client: httpx.AsyncClient, name: str) -> None:
    project = (await client.post(f"{API}/projects", json={"title": "Long prompt"})).json()
    async with client.stream("POST", f"{API}/projects/{project['id']}/story", json={"prompt": PROMPTS[name]}) as answer:
        assert answer.status_code == 200
        lines = [json.loads(line) async for line in answer.aiter_lines() if line]
    assert lines[-1]["type"] == "done", lines[-1]
    state = (await client.get(f"{API}/projects/{project['id']}")).json()
    assert state["story_status"] == "completed" and state["story"] == lines[-1]["story"]
