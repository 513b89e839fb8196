"""Every prompt the service sends, and the builders that fill them. Age-aware; no prompt text elsewhere."""

from __future__ import annotations

import json
from collections.abc import Sequence

from app.models.schemas import Character, Panel, Scene
from utils import parse_age_group


def reading_level(age_group: str) -> str:
    youngest, oldest = parse_age_group(age_group)
    if youngest <= 5:
        return (
            "Write for pre-readers and early readers: sentences of at most 8 words, everyday words only, "
            "warm and reassuring, nothing frightening."
        )
    if youngest <= 7:
        return (
            "Write for early readers: short sentences (at most 12 words), simple everyday words, "
            "one idea per sentence, never frightening."
        )
    if youngest <= 9:
        return "Write for confident young readers: clear sentences, a few new words explained by context."
    return (
        f"Write for readers aged {youngest} to {oldest}: richer sentences and vocabulary are fine, "
        "and explain the reasons behind each lesson."
    )


def cast_list(cast: Sequence[Character]) -> str:
    return "\n".join(f"- {c.name}: {c.description}" for c in cast) or "- (no cast yet: invent none)"


SCENE_WRITER = """You write educational comics for children aged {age_group}.
{reading_level}
Every scene teaches one concrete, correct, age-appropriate learning point about the topic, shown
through what the characters do, not only said. Scenes follow one another as a small story with a
beginning, a middle and an end. Dialogue is short speech-bubble text; only these characters speak:
{cast}
Nothing violent, scary, unkind or unsafe is shown as good. No brand names, no real people."""

SCENES_REQUEST = """Topic: {topic}
Art style: {style}
Write exactly {num_scenes} scenes. For each: a title, a description of what happens and where
(the narration), a setting from the allowed list, 2 to 4 dialogue lines, the learning point, and
3 to 5 visual elements an illustrator must draw."""

REFINE_REQUEST = """Here are the comic's scenes as JSON:
{scenes}

Rewrite only the scenes numbered {scene_numbers} so that they follow this feedback from the
educator: "{feedback}"
Keep every other scene exactly as it is. Answer with all {count} scenes, in order."""

PANEL_PLANNER = """You are a comic artist's layout planner for a children's comic (ages {age_group}).
Break the scenes into panels: one or two panels per scene, each with a background to draw, a
narration caption (one short sentence in the narrator's voice, or an empty string when the picture and
the dialogue say it all), the characters visible in it, and its dialogue. Characters must come only from this cast list; never
invent others, and use the names exactly as written:
{cast}"""

PANELS_REQUEST = """Scenes as JSON:
{scenes}
Plan the panels in the scenes' order, with every scene in at least one panel. scene_number is the
1-based number of the scene each panel belongs to."""

STORY_WRITER = """You write short stories for children aged {age_group} that teach through what happens.
{reading_level}
Tell it as a hero's journey in plain prose: the hero's ordinary day; a call to adventure that the
topic brings; a wise helper; a challenge where the hero must use what they learned; the hero's
return, changed, sharing the lesson. 300 to 500 words, in paragraphs, no headings, no lists.
{cast}
Nothing violent, scary, unkind or unsafe is shown as good. No brand names, no real people."""

STORY_REQUEST = """Topic: {topic}
Write the story."""

CHARACTER_EXTRACTOR = """You read a children's story and list every character who appears in it, so an
illustrator can draw each one the same way in every panel.
For each: name exactly as the story writes it; brief (one sentence: who they are in the story);
character_type (humanoid for people and people-like beings, creature for animals and monsters,
concept for ideas or feelings given a form, object for things that act); era (when they belong, e.g.
"present day"); visual_form (what they look like, concretely: body, clothes, colours, size);
color_palette (3 to 5 hex colours); distinctive_markers (features that make them recognisable);
demeanor (how they behave); role (protagonist, antagonist, supporting or minor).
List only characters the story names or clearly shows. Invent nothing the story does not support,
except the visual details it leaves open, which you choose to suit children aged {age_group}."""

EXTRACTION_REQUEST = """The story:
{story}"""

CHARACTER_SHEET = {
    "humanoid": "character turnaround sheet of {name}: front, three-quarter and side views, full body, "
    "neutral pose, consistent proportions",
    "creature": "creature reference sheet of {name}: front and side views plus a close-up of the face, "
    "full body, consistent markings",
    "concept": "symbolic character design of {name}, an abstract idea given a friendly form: a simple, "
    "iconic shape with a face, shown in three expressions",
    "object": "object character sheet of {name}: front, side and back views, showing how it moves and "
    "its friendly face",
}

SHEET_PROMPT = """{sheet}. {description} Visual details: {tags}. Colour palette: {palette}.
Style: {style} children's book illustration, clean lines, flat plain background, no text, no letters, no logos."""

PANEL_ART = """Children's comic panel, {style} style. Scene: {background}
Characters, from left to right: {characters}.
Keep every character exactly as in their reference images. Leave clear space in the upper third for
speech bubbles. Do not draw any text, letters, captions or speech bubbles: the lettering is added later."""


def scenes_messages(
    *, topic: str, age_group: str, num_scenes: int, style: str, cast: Sequence[Character]
) -> tuple[str, str]:
    system = SCENE_WRITER.format(age_group=age_group, reading_level=reading_level(age_group), cast=cast_list(cast))
    return system, SCENES_REQUEST.format(topic=topic, style=style, num_scenes=num_scenes)


def refine_messages(
    *, scenes: Sequence[Scene], feedback: str, scene_ids: Sequence[str], age_group: str, cast: Sequence[Character]
) -> tuple[str, str]:
    system = SCENE_WRITER.format(age_group=age_group, reading_level=reading_level(age_group), cast=cast_list(cast))
    numbers = [str(i + 1) for i, s in enumerate(scenes) if s.scene_id in scene_ids]
    body = json.dumps([s.model_dump(exclude={"scene_id", "revision"}) for s in scenes], indent=1)
    return system, REFINE_REQUEST.format(
        scenes=body, scene_numbers=", ".join(numbers), feedback=feedback, count=len(scenes)
    )


def story_messages(*, topic: str, age_group: str, cast: Sequence[Character]) -> tuple[str, str]:
    characters = (
        f"Use these characters and no others:\n{cast_list(cast)}"
        if cast
        else "Create a small cast of two to four characters, each with a name, and call them by name."
    )
    return (
        STORY_WRITER.format(age_group=age_group, reading_level=reading_level(age_group), cast=characters),
        STORY_REQUEST.format(topic=topic),
    )


def extraction_messages(*, story: str, age_group: str) -> tuple[str, str]:
    return CHARACTER_EXTRACTOR.format(age_group=age_group), EXTRACTION_REQUEST.format(story=story)


def panels_messages(*, scenes: Sequence[Scene], cast: Sequence[Character], age_group: str) -> tuple[str, str]:
    body = json.dumps([s.model_dump(exclude={"scene_id", "revision"}) for s in scenes], indent=1)
    return (PANEL_PLANNER.format(age_group=age_group, cast=cast_list(cast)), PANELS_REQUEST.format(scenes=body))


def character_sheet_prompt(character: Character, *, style: str) -> str:
    sheet = CHARACTER_SHEET[character.character_type].format(name=character.name)
    return SHEET_PROMPT.format(
        sheet=sheet,
        description=character.description,
        tags=", ".join(character.visual_tags) or "as described",
        palette=", ".join(character.color_palette) or "bright and friendly",
        style=style,
    )


def panel_art_prompt(panel: Panel, *, cast: Sequence[Character], style: str) -> str:
    people = "; ".join(f"{c.name} ({', '.join(c.visual_tags) or c.description})" for c in cast) or "none"
    return PANEL_ART.format(style=style, background=panel.description, characters=people)
