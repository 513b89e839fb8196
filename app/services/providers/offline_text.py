"""The offline writer: deterministic scenes, refinements and panel plans with no vendor.

Same input, same output. Scenes are built from the topic's theme (or the topic's own words), written
for the youngest reader of the age group, with dialogue spoken by the cast.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import AsyncIterator

from app.models.schemas import Character, DialogueLine, Panel, Scene
from app.services.safety.checks import check_locally
from app.services.comics.catalog import catalog, default_cast
from app.services.comics.topics import SUBJECT_CHARS, TopicPhrases, phrases_for, subject_of
from app.services.providers.protocols import PanelPlan
from app.services.safety.moderator import Moderator
from app.services.providers.offline_lessons import GENERIC_SETTINGS, Lesson, generic_lessons, theme_for
from utils import new_id, parse_age_group, slugify, stable_seed, topic_subject

__all__ = ["SUBJECT_CHARS", "OfflineTextModel", "subject_of", "write_scenes", "write_story"]

SETTING_PHRASES = {
    "street": "on the street",
    "park": "in the park",
    "playground": "at the playground",
    "kitchen": "in the kitchen",
    "beach": "on the beach",
    "home": "at home",
    "school": "at school",
    "garden": "in the garden",
    "forest": "in the forest",
}


def _place(setting: str) -> str:
    return SETTING_PHRASES.get(setting, f"at the {setting}")


JOKES = (
    "Why did the cookie go to the doctor? It felt crummy!",
    "What do you call a sleeping dinosaur? A dino-snore!",
    "Why did the bicycle fall over? It was two-tired!",
    "What has ears but cannot hear? A cornfield!",
)
_ADD_RE = re.compile(
    r"\b(?:add|include|show|with|put in)\s+(?:an?\s+|the\s+|some\s+)?([a-z][a-z \-']{1,60}?)(?:[.,;!?]|\band\b|$)"
)
_SCARY_WORDS = {"danger": "trouble", "dangerous": "tricky", "scary": "surprising", "burn": "hurt", "smoke": "haze"}


def is_young(age_group: str) -> bool:
    """Write for the youngest reader: short sentences up to age 7."""
    return parse_age_group(age_group)[0] <= 7


class OfflineTextModel:
    name = "offline"
    moderator: Moderator | None = None  # a subclass that skips __init__ still moderates

    def __init__(self, moderator: Moderator | None = None) -> None:
        self.moderator = moderator  # None: the process's shared local moderator

    async def moderate(self, texts: list[str]) -> None:
        await check_locally(texts, self.moderator)

    async def write_scenes(
        self, *, topic: str, age_group: str, num_scenes: int, style: str, cast: list[Character]
    ) -> list[Scene]:
        return write_scenes(topic=topic, age_group=age_group, num_scenes=num_scenes, cast=cast)

    async def refine_scenes(
        self, *, scenes: list[Scene], feedback: str, scene_ids: list[str], age_group: str, cast: list[Character]
    ) -> list[Scene]:
        return [refine_scene(s, feedback, cast) if s.scene_id in scene_ids else s for s in scenes]

    async def plan_panels(self, *, scenes: list[Scene], cast: list[Character]) -> PanelPlan:
        return PanelPlan(plan_panels(scenes, cast), dropped=[])

    async def stream_story(self, *, topic: str, age_group: str, cast: list[Character]) -> AsyncIterator[str]:
        text = write_story(topic=topic, age_group=age_group, cast=cast or default_cast(topic))
        for token in re.findall(r"\S+\s*", text):
            yield token
            await asyncio.sleep(0)  # a real stream: other work runs between pieces

    async def extract_characters(self, *, story: str, age_group: str) -> list[Character]:
        return extract_characters(story, age_group)


def write_story(*, topic: str, age_group: str, cast: list[Character]) -> str:
    """A hero's journey told from the same lessons the scenes use, one paragraph per step."""
    scenes = write_scenes(topic=topic, age_group=age_group, num_scenes=5, cast=cast)
    paragraphs = []
    for scene in scenes:
        said = " ".join(f'{line.speaker} said, "{line.text}"' for line in scene.dialogue)
        paragraphs.append(f"{scene.description} {said}".strip())
    return "\n\n".join(paragraphs) + "\n"


_NOT_NAMES = {
    "the",
    "a",
    "an",
    "and",
    "but",
    "then",
    "when",
    "they",
    "she",
    "he",
    "it",
    "we",
    "you",
    "i",
    "look",
    "stop",
    "yes",
    "no",
    "oh",
    "wow",
    "let",
    "what",
    "why",
    "how",
    "who",
    "where",
    "there",
    "this",
    "that",
    "now",
    "always",
    "never",
    "remember",
    "great",
    "good",
    "thank",
    "together",
    "everyone",
}
_PALETTES = (
    ["#E4572E", "#F3A712", "#29335C"],
    ["#2E86AB", "#F6F5AE", "#A23B72"],
    ["#3BB273", "#E1BC29", "#4D9DE0"],
    ["#7768AE", "#E15554", "#F5F5F5"],
)


def extract_characters(story: str, age_group: str) -> list[Character]:
    """Catalog characters the story names, then other names it uses at least twice mid-sentence."""
    folded = f"-{slugify(story)}-"
    found = [
        c.model_copy(
            update={
                "age_group": age_group,
                "brief": c.brief or c.description,
                "era": c.era or "present day",
                "visual_form": c.visual_form or ", ".join(c.visual_tags),
                "distinctive_markers": c.distinctive_markers or c.visual_tags[1:],
            }
        )
        for c in catalog()
        if f"-{slugify(c.name)}-" in folded
    ]
    known = {slugify(c.name) for c in found}
    counts: dict[str, int] = {}
    for match in re.finditer(r"(?<=[a-z,;] )([A-Z][a-z]+(?: [A-Z][a-z]+)?)", story):
        name = match.group(1)
        if name.split()[0].lower() not in _NOT_NAMES and not any(slugify(name) in k.split("-") for k in known):
            counts[name] = counts.get(name, 0) + 1
    for name, seen in counts.items():
        if seen >= 2 and slugify(name) not in known:
            known.add(slugify(name))
            palette = _PALETTES[stable_seed(name) % len(_PALETTES)]
            found.append(
                Character(
                    id=new_id(),
                    name=name,
                    description=f"{name}, who appears in the story.",
                    brief=f"{name}, who appears in the story.",
                    age_group=age_group,
                    color_palette=list(palette),
                    era="present day",
                    demeanor="friendly",
                    visual_form=f"a child in clothes of {palette[0]} and {palette[1]}",
                    role="supporting",
                )
            )
    found.sort(key=lambda c: folded.find(f"-{slugify(c.name)}-"))  # in the order the story introduces them
    if found and not any(c.role == "protagonist" for c in found):
        found[0].role = "protagonist"
    return found


def _relevance(lesson: Lesson, stems: set[str]) -> int:
    text = " ".join([lesson.title, lesson.problem, lesson.question, lesson.point_older, *lesson.visuals]).lower()
    return sum(stem in text for stem in stems)


def _lessons_for(phrases: TopicPhrases, count: int, *, about: str) -> list[Lesson]:
    """The theme's lessons, those sharing most words with what the comic is `about` first, then ones
    built around the topic's phrases. Never one twice while there are lessons left (ten cover 12 scenes)."""
    theme = theme_for(about)
    themed = list(theme.lessons if theme else ())
    random.Random(stable_seed("lessons", about.lower())).shuffle(themed)
    stems = {word[:5] for word in re.findall(r"[a-z]{4,}", about.lower())}
    themed.sort(key=lambda lesson: -_relevance(lesson, stems))  # stable: ties keep the shuffled order
    lessons = themed + list(generic_lessons(phrases))
    while len(lessons) < count:
        lessons += lessons
    return lessons[:count]


def write_scenes(*, topic: str, age_group: str, num_scenes: int, cast: list[Character]) -> list[Scene]:
    young = is_young(age_group)
    about, phrases = topic_subject(topic), phrases_for(topic)
    names = [c.name for c in cast] or ["Sunny", "Captain Mira"]
    framed = num_scenes >= 3
    lessons = _lessons_for(phrases, num_scenes - 2 if framed else num_scenes, about=about)
    scenes: list[Scene] = []
    if framed:
        scenes.append(_intro_scene(phrases, names, young, lessons[0].setting))
    for lesson in lessons:
        scenes.append(_lesson_scene(len(scenes), lesson, names, young, phrases))
    if framed:
        scenes.append(_closing_scene(phrases, names, young, lessons))
    for number, scene in enumerate(scenes, start=1):
        scene.scene_id = f"scene-{number}"
    return scenes


def _pair(names: list[str], index: int) -> tuple[str, str]:
    hero = names[index % len(names)]
    helper = names[(index + 1) % len(names)] if len(names) > 1 else hero
    return hero, helper


def _intro_scene(phrases: TopicPhrases, names: list[str], young: bool, setting: str) -> Scene:
    hero, helper = _pair(names, 0)
    about = phrases.noun
    everyone = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
    meet = "meet" if len(names) > 1 else "starts the day"
    if young:
        description = f"{everyone} {meet} {_place(setting)}. Today is all about {about}."
        lines = [(hero, f"Today we learn about {about}!"), (helper, f"Let's find out together. {phrases.question}")]
        point = f"Learning about {about} helps us every day."
    else:
        description = (
            f"{everyone} {meet} {_place(setting)}, curious about {about} "
            f"and ready for an adventure that will test what they know."
        )
        wonder = f"I keep wondering: {phrases.question}"
        if phrases.kind != "question":
            wonder = f"I keep hearing about {about}. {phrases.question}"
        lines = [(hero, wonder), (helper, "Let's explore it together and find out what we can do.")]
        point = f"Understanding {about} helps us make good choices every day."
    return Scene(
        scene_id="",
        title="A Big Question" if phrases.kind == "question" else f"A Day About {phrases.title}",
        description=description,
        dialogue=[DialogueLine(speaker=s, text=t) for s, t in lines],
        learning_point=point,
        visual_elements=["friends waving", "sunny sky"],
        setting=setting,
    )


# what an older reader answers to a friend's advice: one per scene, so no line is said twice in a comic
_REPLIES = (
    "That makes sense. I'll remember it.",
    "Good idea. Let's try it.",
    "I never thought of it that way.",
    "Now I get it!",
    "Let's do that together.",
    "Thanks, that really helps.",
    "I'll tell my friends too.",
    "OK, I'm ready to try.",
    "That's a smart plan.",
    "I can do that!",
    "You're right. Let's go.",
    "I'll keep that in mind.",
)
# a scene whose lesson never names the topic says how it belongs to it
_TIE_INS_YOUNG = ("It is all part of {about}.", "This helps with {about}.", "It makes them think of {about}.")
_TIE_INS_OLDER = (
    "It turns out to be part of {about}.",
    "It is one more lesson about {about}.",
    "It gets them thinking about {about} again.",
)


def _lesson_scene(index: int, lesson: Lesson, names: list[str], young: bool, phrases: TopicPhrases) -> Scene:
    hero, helper = _pair(names, index)
    problem = lesson.problem.format(hero=hero, helper=helper)
    place = _place(lesson.setting)
    if young:
        description = f"{place}, {problem}."
        lines = [(hero, lesson.question), (helper, lesson.action_young), (hero, lesson.point_young)]
        point = lesson.point_young
    else:
        notice = "They stop" if helper in problem else f"{helper} notices and they stop"
        description = f"{place}, {problem}. {notice} to think about what to do."
        lines = [(hero, lesson.question), (helper, lesson.action_older), (hero, _REPLIES[index % len(_REPLIES)])]
        point = lesson.point_older
    said = " ".join([lesson.title, description, point, *(text for _, text in lines)]).lower()
    if phrases.noun.lower() not in said:
        tie_ins = _TIE_INS_YOUNG if young else _TIE_INS_OLDER
        description += " " + tie_ins[index % len(tie_ins)].format(about=phrases.noun)
    return Scene(
        scene_id="",
        title=lesson.title,
        description=description[0].upper() + description[1:],
        dialogue=[DialogueLine(speaker=s, text=t) for s, t in lines],
        learning_point=point,
        visual_elements=list(lesson.visuals),
        setting=lesson.setting,
    )


def _closing_scene(phrases: TopicPhrases, names: list[str], young: bool, lessons: list[Lesson]) -> Scene:
    hero, helper = _pair(names, 1)
    about = phrases.noun
    setting = GENERIC_SETTINGS[stable_seed("closing", about) % len(GENERIC_SETTINGS)]
    first = lessons[0]
    if young:
        description = f"The friends cheer. They know a lot about {about} now."
        lines = [(hero, "We did it!"), (helper, f"I loved learning about {about}!")]
        point = f"Now we all know about {about}."
    else:
        description = f"Back together, the friends look back on the day and share what they learned about {about}."
        lines = [
            (hero, "We learned so much today."),
            (helper, first.point_older),
            (hero, "Let's tell everyone at home!"),
        ]
        point = f"What we learned about {about} is worth sharing with family and friends."
    return Scene(
        scene_id="",
        title="Now We Know" if phrases.kind == "question" else f"Hooray for {phrases.title}!",
        description=description,
        dialogue=[DialogueLine(speaker=s, text=t) for s, t in lines],
        learning_point=point,
        visual_elements=["high fives", "banner", "confetti"],
        setting=setting,
    )


def refine_scene(scene: Scene, feedback: str, cast: list[Character]) -> Scene:
    """Apply feedback with a few understood intents; anything else is woven into the narration."""
    text = feedback.lower()
    names = [c.name for c in cast] or [line.speaker for line in scene.dialogue] or ["Sunny"]
    updated = scene.model_copy(deep=True)
    applied = False
    if re.search(r"\b(funn(y|ier)|joke|silly|laugh)", text):
        joke = JOKES[stable_seed(scene.title, feedback) % len(JOKES)]
        updated.dialogue.append(DialogueLine(speaker=names[len(updated.dialogue) % len(names)], text=joke))
        applied = True
    if re.search(r"\b(short(er)?|simpl(e|er)|less text)\b", text):
        updated.dialogue = updated.dialogue[:2]
        updated.description = updated.description.split(". ")[0].rstrip(".") + "."
        applied = True
    if re.search(r"\b(gentle|gentler|calm(er)?|less scary|too scary|not scary)\b", text):
        for scary, soft in _SCARY_WORDS.items():
            updated.description = re.sub(rf"\b{scary}\b", soft, updated.description, flags=re.I)
        updated.dialogue.append(DialogueLine(speaker=names[0], text="Don't worry, we know what to do."))
        applied = True
    for match in _ADD_RE.finditer(text):
        element = match.group(1).strip(" -'")
        if element and element not in updated.visual_elements:
            updated.visual_elements.append(element)
            updated.description = f"{updated.description.rstrip('.')}. There is {_article(element)} {element} too."
            applied = True
    if not applied:
        note = feedback.strip().rstrip(".!?")
        updated.description = f"{updated.description.rstrip('.')}. {note[0].upper()}{note[1:]}."
    updated.revision += 1
    return updated


def _article(noun: str) -> str:
    return "an" if noun[:1] in "aeiou" else "a"


def plan_panels(scenes: list[Scene], cast: list[Character]) -> list[Panel]:
    """One panel per scene, showing the cast members who speak in it (or the lead when none do)."""
    cast_names = [c.name for c in cast]
    panels = []
    for scene in scenes:
        shown = list(dict.fromkeys(line.speaker for line in scene.dialogue if line.speaker in cast_names))
        if not shown and cast_names:
            shown = cast_names[:1]
        panels.append(
            Panel(
                scene_id=scene.scene_id,
                title=scene.title,
                description=scene.description,
                narration=scene.description,
                characters=shown,
                dialogue=list(scene.dialogue),
            )
        )
    return panels
