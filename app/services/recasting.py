"""Giving written scenes to a new cast, so that nobody talks to or about themselves.

Each scene is recast on its own: its speakers (then the characters it only mentions) each get a
different member of the new cast while there are enough, keeping the old-to-new pairing by position
where it can. When a scene has more characters than the new cast has members, some merge into one
member, and the words are rewritten to match: one speaker's consecutive lines join into one balloon, a
merged character named by the one they merged into is spoken of as "my friend" (or the name, used as a
call, is dropped), a list of names names each member once, and a description that names both the
member and someone merged into them calls the second "a friend". The rules are about names and
punctuation only, so they hold for scenes from any writer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from app.models.schemas import Character, DialogueLine, Scene

MAX_LINE = 600  # DialogueLine.text's bound: lines that would join past it stay apart
_CALLS = r"(?:hey|hi|hello|look|thanks|thank you|oh|come on|well done|good job|wait|yes|no|okay|ok|bye|goodbye)"


def _aliases(names: list[str]) -> dict[str, str]:
    """Each old name, and the last word of a longer one ("Mira" for "Captain Mira") when no one else
    could be meant by it, mapped to the full name."""
    found = {name: name for name in names}
    tails: dict[str, list[str]] = {}
    for name in names:
        words = name.split()
        if len(words) > 1 and len(words[-1]) >= 3 and words[-1][:1].isupper():
            tails.setdefault(words[-1], []).append(name)
    for tail, owners in tails.items():
        if len(owners) == 1 and tail not in found:
            found[tail] = owners[0]
    return found


def _pattern(words: list[str]) -> re.Pattern[str] | None:
    if not words:
        return None
    alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w'’-])({alternation})(?![\w-])")


@dataclass
class _Cast:
    """One scene's casting: old name -> new name, and which old name each new member stands for first."""

    assign: dict[str, str]
    primary: dict[str, str]  # new name -> the old name it was given first (speakers before mentions)


def _collisions(speakers: list[str], assign: dict[str, str]) -> int:
    mapped = [assign.get(s, s) for s in speakers]
    return sum(a == b for a, b in zip(mapped, mapped[1:]))


def _cast_scene(participants: list[str], speakers: list[str], new: list[str], preferred: dict[str, str]) -> _Cast:
    assign: dict[str, str] = {}
    taken: set[str] = set()
    for old in participants:  # the pairing by position, where it does not give one member two parts
        choice = preferred.get(old)
        if choice is not None and choice not in taken:
            assign[old] = choice
            taken.add(choice)
    for old in participants:  # then the members still free, in the cast's order
        if old not in assign:
            free = [name for name in new if name not in taken]
            if free:
                assign[old] = free[0]
                taken.add(free[0])
    primary = {new_name: old for old, new_name in assign.items()}  # each member's own part, before merges
    for old in participants:  # more characters than members: merge where it splits the fewest exchanges
        if old not in assign:
            order = sorted(new, key=lambda name: (name != preferred.get(old), new.index(name)))
            assign[old] = min(order, key=lambda name: _collisions(speakers, {**assign, old: name}))
    return _Cast(assign, primary)


SELF = "\ue000self\ue001"  # stands for a self-mention while the sentence around it is rewritten
LIST_MARK = "\ue002{}\ue003"  # a folded run of names, kept out of the rewriting that follows
_END = r"(?=\s*(?:[,.!?…]|$))"
_OPENERS = " \"'“‘("


@dataclass(frozen=True)
class _Voice:
    """How a text is rewritten: who each old name is now, which old names it must not use as names (the
    speaker's own, reached through a merge), and what to call those instead."""

    name_for: Callable[[str], str]
    selfish: Callable[[str], bool]
    friend: str  # "my friend" in a line, "a friend" in a description
    friends: str
    merge_runs: bool = False  # in a description, a run of names just names each member once


def _at_sentence_start(text: str, index: int) -> bool:
    before = text[:index].rstrip(_OPENERS)
    return not before or before[-1] in ".!?"


def _upper_first(text: str) -> str:
    match = re.search(r"\w", text)
    return text if not match else text[:match.start()] + text[match.start()].upper() + text[match.start() + 1:]


def _fold_runs(text: str, pattern: re.Pattern[str], aliases: dict[str, str], voice: _Voice) -> tuple[str, list[str]]:
    """Runs of names ("A, B and C", "A, B,") that would name one member twice or a self-mention, folded:
    "Max, Sunny and Captain Mira" -> "Max and Bolt"; "Max and Sunny" for one member -> "Max and friends";
    "Bolt and Mira" said by Max -> "Bolt and my friend"; only self-mentions -> one self-mention."""
    run = re.compile(rf"{pattern.pattern}(?:(?:\s*,\s*|(?:\s*,)?\s+(?:and|&)\s+){pattern.pattern})+")
    folded: list[str] = []

    def fold(match: re.Match[str]) -> str:
        olds = [aliases[m.group(1)] for m in pattern.finditer(match.group(0))]
        others = list(dict.fromkeys(voice.name_for(o) for o in olds if not voice.selfish(o)))
        selves = sum(voice.selfish(o) for o in olds)
        if not selves and len(others) == len(olds):
            return match.group(0)  # nobody twice: the ordinary rewriting will do
        if not others:
            return voice.friends if selves > 1 and voice.merge_runs else SELF
        joiner = " and " if re.search(r"\s(?:and|&)\s", match.group(0)) else ", "
        words = others
        one_member = len({voice.name_for(o) for o in olds}) == 1
        if selves and voice.merge_runs:
            words = [others[0], voice.friends] if one_member and joiner == " and " else others
        elif selves:
            words = [*others, voice.friend if selves == 1 else voice.friends]
        elif len(others) == 1 and joiner == " and ":
            words = [others[0], "friends"]
        folded.append(words[0] if len(words) == 1 else ", ".join(words[:-1]) + joiner + words[-1])
        return LIST_MARK.format(len(folded) - 1)

    return run.sub(fold, text), folded


def _rewrite(text: str, pattern: re.Pattern[str] | None, aliases: dict[str, str], voice: _Voice) -> str:
    """Every old name in `text` given its new one. A self-mention is dropped where it is a call ("Max,
    look!" -> "Look!", "Thanks, Max!" -> "Thanks!", "Hi Max!" -> "Hi!") and otherwise becomes the
    voice's friend ("Max's ball" -> "my friend's ball")."""
    if pattern is None:
        return text
    marked, folded = _fold_runs(text, pattern, aliases, voice)
    marked = pattern.sub(lambda m: SELF if voice.selfish(aliases[m.group(1)]) else voice.name_for(aliases[m.group(1)]),
                         marked)
    opening = re.compile(rf"^([{_OPENERS}]*){SELF}\s*[,!]\s*")
    dropped_opening = False
    while opening.search(marked):
        marked, dropped_opening = opening.sub(lambda m: m.group(1), marked, count=1), True
    marked = re.sub(rf"\s*,\s*{SELF}{_END}", "", marked)
    marked = re.sub(rf"\b({_CALLS})\s+{SELF}{_END}", r"\1", marked, flags=re.I)
    marked = re.sub(rf"{SELF}['’]s\b", f"{SELF}'s", marked)
    out = ""
    for i, piece in enumerate(marked.split(SELF)):
        if i:
            out += voice.friend[0].upper() + voice.friend[1:] if _at_sentence_start(out, len(out)) else voice.friend
        out += piece
    for index, words in enumerate(folded):
        at = out.find(LIST_MARK.format(index))
        if at >= 0:
            words = _upper_first(words) if _at_sentence_start(out, at) else words
            out = out[:at] + words + out[at + len(LIST_MARK.format(index)):]
    return _upper_first(out) if dropped_opening else out


def _participants(scene: Scene, pattern: re.Pattern[str] | None, aliases: dict[str, str],
                  old: set[str]) -> list[str]:
    speakers = [line.speaker for line in scene.dialogue if line.speaker in old]
    mentioned: list[str] = []
    if pattern is not None:
        for text in (scene.title, scene.description, *(line.text for line in scene.dialogue)):
            mentioned.extend(aliases[m.group(1)] for m in pattern.finditer(text))
    return list(dict.fromkeys([*speakers, *mentioned]))


def _joined(lines: list[DialogueLine]) -> list[DialogueLine]:
    """One speaker's consecutive lines as one, where the joined line stays within its bound."""
    merged: list[DialogueLine] = []
    for line in lines:
        if merged and merged[-1].speaker == line.speaker and len(merged[-1].text) + 1 + len(line.text) <= MAX_LINE:
            merged[-1] = DialogueLine(speaker=line.speaker, text=f"{merged[-1].text} {line.text}")
        else:
            merged.append(line)
    return merged


def _narrated_sentence(text: str, pattern: re.Pattern[str] | None, aliases: dict[str, str],
                      name_for: Callable[[str], str], primary: dict[str, str]) -> str:
    if pattern is None:
        return text
    named = list(dict.fromkeys(aliases[m.group(1)] for m in pattern.finditer(text)))
    owner: dict[str, str] = {}
    for o in sorted(named, key=lambda o: primary.get(name_for(o)) != o):  # a member's own part first
        owner.setdefault(name_for(o), o)
    voice = _Voice(name_for, lambda o: o in named and owner.get(name_for(o)) != o, "a friend", "friends",
                   merge_runs=True)
    return _rewrite(text, pattern, aliases, voice)


def recast_scene(scene: Scene, *, old: list[str], new: list[str], preferred: dict[str, str]) -> Scene:
    aliases = _aliases(old)
    pattern = _pattern(list(aliases))
    casting = _cast_scene(_participants(scene, pattern, aliases, set(old)),
                          [line.speaker for line in scene.dialogue], new, preferred)

    def name_for(old_name: str) -> str:
        return casting.assign.get(old_name, old_name)

    def narrated(text: str) -> str:
        """A description or title, a sentence at a time: a member named twice in one sentence through
        two merged parts is named once and "a friend" after that; a run of names names each member once."""
        return "".join(_narrated_sentence(part, pattern, aliases, name_for, casting.primary)
                       for part in re.split(r"(?<=[.!?;:])(\s+)", text))

    updated = scene.model_copy(deep=True)
    updated.title = narrated(scene.title)
    updated.description = narrated(scene.description)
    lines = []
    for line in scene.dialogue:
        speaker = name_for(line.speaker)
        voice = _Voice(name_for, lambda o, me=line.speaker, now=speaker: o != me and name_for(o) == now,
                       "my friend", "my friends")
        text = _rewrite(line.text, pattern, aliases, voice).strip() or line.text
        lines.append(DialogueLine(speaker=speaker, text=text[:MAX_LINE]))
    updated.dialogue = _joined(lines)
    return updated


def recast_scenes(scenes: list[Scene], old: list[Character], new: list[Character]) -> list[Scene]:
    """The scenes with the new cast in the old one's parts (see the module's docstring)."""
    if not new:
        return scenes
    old_names, new_names = [c.name for c in old], [c.name for c in new]
    preferred = {name: new_names[i] for i, name in enumerate(old_names) if i < len(new_names)}
    return [recast_scene(scene, old=old_names, new=new_names, preferred=preferred) for scene in scenes]
