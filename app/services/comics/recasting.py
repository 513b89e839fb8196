"""Giving written scenes to a new cast, so that nobody talks to or about themselves.

Each scene is recast on its own: its speakers (then the characters it only mentions) each get a
different member of the new cast while there are enough, keeping the old-to-new pairing by position
where it can. When a scene has more characters than the new cast has members, a speaker left over takes
a member's part too only where none of its lines sits next to one of that member's (so nobody answers
their own question); otherwise its lines are spoken off the picture by an unnamed voice ("A friend",
"Another friend"), which the letterer draws as a balloon whose tail points to the panel's side. The
words are rewritten to match: a character merged into someone, or off the picture, is spoken of as
"my friend" by the one it merged into or by anyone ("a friend" in a description), and a name used as a
call is dropped; a list of names names each member once and no one else ("Max, Sunny and Captain Mira
meet" for a cast of Max alone is "Max meets"), with its verb made singular when it is the subject.
The rules are about names and punctuation only, so they hold for scenes from any writer.

Scenes are always recast from the scenes as written (`Comic.written_scenes`), never from an earlier
recast, so choosing again gives what choosing the final cast first would have given.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from lemminflect import getAllLemmas, getInflection

from app.models.schemas import Character, DialogueLine, Scene, WrittenScene
import itertools

MAX_LINE = 600  # DialogueLine.text's bound: lines that would join past it stay apart
# Unnamed voices off the picture, for speakers the new cast has no one for (see the module's docstring).
OFFSTAGE = ("A friend", "Another friend", "A third friend", "A fourth friend", "A fifth friend")
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
    """One scene's casting: old name -> new name, which old name each new member stands for first, and the
    old speakers who speak off the picture (old name -> their voice)."""

    assign: dict[str, str]
    primary: dict[str, str]  # new name -> the old name it was given first (speakers before mentions)
    offstage: dict[str, str]

    def speaker(self, old_name: str) -> str:
        return self.offstage.get(old_name) or self.assign.get(old_name, old_name)


def _answers_itself(speakers: list[str], assign: dict[str, str], old: str) -> bool:
    """Whether `old`, played by assign[old], would speak right before or after that member's own lines."""
    member = assign[old]
    for before, after in itertools.pairwise(speakers):
        if before != after and old in (before, after):
            other = after if before == old else before
            if assign.get(other) == member:
                return True
    return False


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
    offstage: dict[str, str] = {}
    voices = [v for v in OFFSTAGE if v not in new]
    for old in participants:  # more characters than members: a merge only where nobody answers themselves
        if old in assign:
            continue
        order = sorted(new, key=lambda name: (name != preferred.get(old), new.index(name)))
        fits = [name for name in order if not _answers_itself(speakers, {**assign, old: name}, old)]
        if fits or old not in speakers:
            assign[old] = (fits or order)[0]
        else:
            offstage[old] = voices[len(offstage)] if len(offstage) < len(voices) else f"Friend {len(offstage) + 1}"
    return _Cast(assign, primary, offstage)


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
    return text if not match else text[: match.start()] + text[match.start()].upper() + text[match.start() + 1 :]


_TOGETHER = {"meet", "gather", "reunite"}  # verbs that need two: said of one, they become "is"
_CLAUSE_OPENERS = {"then", "and", "so", "but", "now", "when", "while", "because", "as", "until", "if", "soon", "later"}
_WHERE = {"up", "on", "at", "in", "by", "near", "outside", "inside", "under", "beside", "behind"}


def _lemma(word: str, upos: str) -> str | None:
    found = getAllLemmas(word, upos=upos).get(upos)
    return found[0] if found else None


def _agreeing(verb: str, rest: list[str]) -> list[str]:
    """A present-tense verb, and the words after it, said of one character instead of several."""
    lemma = _lemma(verb, "VERB") or _lemma(verb, "AUX")
    rest = [w for w in rest if w.strip() != "together"]  # "Max plays together": no one to be with
    if lemma in _TOGETHER and verb == lemma and (not rest or rest[0].strip() in _WHERE):
        return ["is", *(rest[1:] if rest and rest[0].strip() == "up" else rest)]  # one cannot meet alone
    if verb == "were":
        return ["was", *rest]
    if lemma is not None and verb in (lemma, "are"):
        return [(getInflection(lemma, tag="VBZ") or (verb,))[0], *rest]
    return [verb, *rest]


def _singular(tail: str) -> str:
    """The words after a plural subject that became one name, agreeing with it: " both meet the owl" ->
    " meets the owl", " happily are here" -> " happily is here", " meet on the" -> " is on the". Only a
    present-tense verb changes, and "both", "all", "together" go; anything else stays."""
    words = re.findall(r"\s+\S+", tail)
    out: list[str] = []
    for i, spaced in enumerate(words):
        word = spaced.strip()
        if word in ("both", "all"):
            continue
        if _lemma(word, "ADV"):  # "happily" comes before a verb; after "up" or "back" there is none to change
            out.append(spaced)
            if word.endswith("ly"):
                continue
            return "".join([*out, *words[i + 1 :]])
        agreed = _agreeing(word, [w.strip() for w in words[i + 1 :]])
        return "".join(out) + "".join(f" {w}" for w in agreed) if agreed else "".join(out)
    return "".join(out)


def _starts_clause(text: str, index: int) -> bool:
    """Whether a name at `index` begins a clause, where it is the subject: "Max and Sunny run",
    "In the park, Max and Sunny run", "Then Max and Sunny run" (not "Mira helps Max and Sunny find")."""
    before = text[:index].rstrip()
    last = re.search(r"(\w+)$", before)
    return (
        _at_sentence_start(text, index)
        or before.endswith((",", ";", ":"))
        or (last is not None and last.group(1).lower() in _CLAUSE_OPENERS)
    )


def _fold_runs(text: str, pattern: re.Pattern[str], aliases: dict[str, str], voice: _Voice) -> tuple[str, list[str]]:
    """Runs of names ("A, B and C", "A, B,") that would name one member twice, a self-mention or someone
    off the picture, folded: "Max, Sunny and Captain Mira" -> "Max and Bolt"; "Max and Sunny meet" for one
    member -> "Max meets"; "Bolt and Mira" said by Max -> "Bolt and my friend"; only self-mentions -> one."""
    names = rf"{pattern.pattern}(?:(?:\s*,\s*|(?:\s*,)?\s+(?:and|&)\s+){pattern.pattern})+"
    run = re.compile(rf"{names}(?P<tail>(?:\s+[a-z]+){{1,3}})?")
    folded: list[str] = []

    def fold(match: re.Match[str]) -> str:
        tail = match.group("tail") or ""
        head = match.group(0)[: len(match.group(0)) - len(tail)]
        olds = [aliases[m.group(1)] for m in pattern.finditer(head)]
        others = list(dict.fromkeys(voice.name_for(o) for o in olds if not voice.selfish(o)))
        selves = sum(voice.selfish(o) for o in olds)
        if not selves and len(others) == len(olds):
            return match.group(0)  # nobody twice: the ordinary rewriting will do
        if not others:
            return (voice.friends if selves > 1 and voice.merge_runs else SELF) + tail
        joiner = " and " if re.search(r"\s(?:and|&)\s", head) else ", "
        words = others if voice.merge_runs or not selves else [*others, voice.friend if selves == 1 else voice.friends]
        if len(words) == 1 and joiner == " and " and tail and _starts_clause(text, match.start()):
            tail = _singular(tail)  # the subject is one character now
        folded.append(words[0] if len(words) == 1 else ", ".join(words[:-1]) + joiner + words[-1])
        return LIST_MARK.format(len(folded) - 1) + tail

    return run.sub(fold, text), folded


def _rewrite(text: str, pattern: re.Pattern[str] | None, aliases: dict[str, str], voice: _Voice) -> str:
    """Every old name in `text` given its new one. A self-mention is dropped where it is a call ("Max,
    look!" -> "Look!", "Thanks, Max!" -> "Thanks!", "Hi Max!" -> "Hi!") and otherwise becomes the
    voice's friend ("Max's ball" -> "my friend's ball")."""
    if pattern is None:
        return text
    marked, folded = _fold_runs(text, pattern, aliases, voice)
    marked = pattern.sub(
        lambda m: SELF if voice.selfish(aliases[m.group(1)]) else voice.name_for(aliases[m.group(1)]), marked
    )
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
            out = out[:at] + words + out[at + len(LIST_MARK.format(index)) :]
    return _upper_first(out) if dropped_opening else out


def _participants(scene: Scene, pattern: re.Pattern[str] | None, aliases: dict[str, str], old: set[str]) -> list[str]:
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


def _narrated_sentence(
    text: str, pattern: re.Pattern[str] | None, aliases: dict[str, str], name_for: Callable[[str], str], casting: _Cast
) -> str:
    if pattern is None:
        return text
    named = [o for o in dict.fromkeys(aliases[m.group(1)] for m in pattern.finditer(text)) if o not in casting.offstage]
    owner: dict[str, str] = {}
    for o in sorted(named, key=lambda o: casting.primary.get(name_for(o)) != o):  # a member's own part first
        owner.setdefault(name_for(o), o)
    voice = _Voice(
        name_for,
        lambda o: o in casting.offstage or (o in named and owner.get(name_for(o)) != o),
        "a friend",
        "friends",
        merge_runs=True,
    )
    return _rewrite(text, pattern, aliases, voice)


def recast_scene(scene: Scene, *, old: list[str], new: list[str], preferred: dict[str, str]) -> Scene:
    aliases = _aliases(old)
    pattern = _pattern(list(aliases))
    casting = _cast_scene(
        _participants(scene, pattern, aliases, set(old)), [line.speaker for line in scene.dialogue], new, preferred
    )

    def name_for(old_name: str) -> str:
        return casting.assign.get(old_name, old_name)

    def narrated(text: str) -> str:
        """A description or title, a sentence at a time: a member named twice in one sentence through
        two merged parts is named once and "a friend" after that; a run of names names each member once."""
        return "".join(
            _narrated_sentence(part, pattern, aliases, name_for, casting)
            for part in re.split(r"(?<=[.!?;:])(\s+)", text)
        )

    updated = scene.model_copy(deep=True)
    updated.title = narrated(scene.title)
    updated.description = narrated(scene.description)
    lines = []
    for line in scene.dialogue:
        speaker = casting.speaker(line.speaker)

        def is_speaker(other: str, me: str = line.speaker, now: str = speaker) -> bool:
            return other in casting.offstage or (other != me and name_for(other) == now)

        voice = _Voice(name_for, is_speaker, "my friend", "my friends")
        text = _rewrite(line.text, pattern, aliases, voice).strip() or line.text
        lines.append(DialogueLine(speaker=speaker, text=text[:MAX_LINE]))
    updated.dialogue = _joined(lines)
    return updated


def recast_scenes(scenes: list[Scene], old: list[Character], new: list[Character]) -> list[Scene]:
    """The scenes with the new cast in the old one's parts (see the module's docstring)."""
    return recast_written([WrittenScene(scene=scene, cast=[c.name for c in old]) for scene in scenes], new)


def recast_written(written: list[WrittenScene], new: list[Character]) -> list[Scene]:
    """Each scene as written, given to the new cast in place of the cast it was written for."""
    if not new:
        return [w.scene.model_copy(deep=True) for w in written]
    new_names = [c.name for c in new]
    recast = []
    for w in written:
        preferred = {name: new_names[i] for i, name in enumerate(w.cast) if i < len(new_names)}
        recast.append(recast_scene(w.scene, old=w.cast, new=new_names, preferred=preferred))
    return recast
