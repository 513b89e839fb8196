"""The offline writer's own sentences are read by the rules, not the topic classifier: 'Officer Kim climbs
into the car and forgets the seat belt' was refused as grooming, so the wizard's 'safety' comic of 6 scenes
failed, and a deterministic writer asked again writes the same words. Text from a real writer is still
classified, and hazards in any writer's text are still refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import ContentRefused
from app.models.schemas import DialogueLine, Scene
from app.services.comics.catalog import default_cast
from app.services.providers.offline_text import OfflineTextModel
from app.services.providers.registry import build_image_model, build_text_model
from app.services.safety.checked import CheckedTextModel, panel_texts, scene_texts
from config import Settings

TEACHER_TOPICS = (
    "safety",
    "teaching kids about safety",
    "crossing the road safely",
    "stranger danger",
    "why smoking harms your lungs",
    "what to do if you find a gun",
    "body safety",
    "good and bad secrets",
    "fire drills at school",
    "staying safe online",
    "sharing toys",
    "la seguridad en internet",
    "pourquoi fumer est dangereux",
)


def offline(tmp_path: Path, **overrides: object) -> Settings:
    fields: dict[str, object] = {"text_provider": "offline", "image_provider": "offline", **overrides}
    return Settings(_env_file=None, data_dir=tmp_path, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("topic", TEACHER_TOPICS)
async def test_every_offline_comic_for_a_teachers_topic_passes_its_own_checks(tmp_path: Path, topic: str) -> None:
    settings = offline(tmp_path)
    writer, artist = build_text_model(settings), build_image_model(settings)
    cast = default_cast(topic)
    for count in (6, 12):
        scenes = await writer.write_scenes(topic=topic, age_group="5-12", num_scenes=count, style="cartoon", cast=cast)
        plan = await writer.plan_panels(scenes=scenes, cast=cast)
        for panel in plan.panels:  # what the artist would be asked to draw
            artist.moderator.check(panel_texts([panel]) + scene_texts(scenes), generated=True, classify=artist.classify)


async def test_the_rules_still_refuse_a_hazard_in_the_offline_writer_s_text(tmp_path: Path) -> None:
    class Pasting(OfflineTextModel):
        async def write_scenes(self, **kwargs: object) -> list[Scene]:
            return [
                Scene(
                    scene_id="scene-1",
                    title="Day",
                    description="Max goes to the park.",
                    learning_point="",
                    dialogue=[DialogueLine(speaker="Max", text="Here is how to make a pipe bomb.")],
                )
            ]

    writer = CheckedTextModel(Pasting(), build_text_model(offline(tmp_path)).moderator)
    with pytest.raises(ContentRefused):
        await writer.write_scenes(topic="x", age_group="5-12", num_scenes=1, style="cartoon", cast=[])


def test_a_real_writer_s_text_and_its_pictures_are_classified(tmp_path: Path) -> None:
    settings = offline(tmp_path, text_provider="openai", openai_api_key="sk-test")
    writer, artist = build_text_model(settings), build_image_model(settings)
    assert writer.classify and artist.classify
    local = offline(tmp_path)
    assert not build_text_model(local).classify and not build_image_model(local).classify


class _Recording:
    """A moderator that records how it was asked, and passes everything."""

    def __init__(self) -> None:
        self.asked: list[tuple[list[str], bool, bool]] = []

    def check(self, texts: list[str], *, generated: bool = False, classify: bool = True) -> None:
        self.asked.append((list(texts), generated, classify))


class _Writer:
    def __init__(self, name: str) -> None:
        self.name = name
        self.moderated: list[list[str]] = []

    async def moderate(self, texts: list[str]) -> None:
        self.moderated.append(list(texts))


async def test_a_finished_story_is_read_as_its_writer_is() -> None:
    """The offline writer's story is our own templates around a prompt already passed: the rules read it,
    as they read its scenes, and the classifier (trained on topics) is not asked; another writer's story
    is checked in full, as a topic is."""
    from app.services.safety.checked import CheckedTextModel

    recording, offline = _Recording(), _Writer("offline")
    await CheckedTextModel(offline, recording).moderate_written(["Pip tries again in the park."])  # type: ignore[arg-type]
    assert recording.asked == [(["Pip tries again in the park."], True, False)] and offline.moderated == []

    recording, vendor = _Recording(), _Writer("openai")
    await CheckedTextModel(vendor, recording).moderate_written(["A story."])  # type: ignore[arg-type]
    assert vendor.moderated == [["A story."]] and recording.asked == []
