"""A topic as phrases a sentence can hold: whatever the user typed, said naturally in titles and balloons.

"share toys" is a verb phrase: it is said as a gerund ("Adventures in Sharing Toys", "learn about sharing
toys") and asked as "Why do we share our toys?". "why is the sky blue?" is a question: its title is the
question, and mid-sentence it becomes "why the sky is blue". Anything else is a noun phrase ("volcanoes",
"What are volcanoes?"). Words no English table knows (another language, a name) are kept as typed: a
graceful fallback, never an error. Deterministic: lemminflect's inflection table only, no model.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from utils import topic_subject

SUBJECT_CHARS = 60  # a subject is said in balloons and titles: a phrase, never a whole prompt
_ASKING = re.compile(
    r"^(?:please\s+)?(?:write|tell|make|create)\s+(?:me\s+|us\s+)?(?:an?\s+)?(?:[\w-]+\s+){0,2}?"
    r"(?:story|comic|tale)\s+(?:(?:for|to)\s+(?:kids|children)\s+)?(?:about|of|on|where)\s+",
    re.I,
)
_CLAUSE_END = re.compile(
    r"[.!?;:\n\u3001\u3002\uff01\uff0c\uff1f\uff1b\uff1a\u060c\u061f]|,\s|\s(?:who|which|that|where|because|while|when)\s"
)
_JOINERS = {"\u200d", "\ufe0e", "\ufe0f"}  # a zero-width joiner and variation selectors belong to their neighbours


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a space when there is one, never inside a letter's marks or an emoji."""
    if len(text) <= limit:
        return text
    space = text.rfind(" ", limit // 3, limit + 1)
    end = space if space > 0 else limit
    while end > 1 and (unicodedata.combining(text[end]) or text[end] in _JOINERS or text[end - 1] in _JOINERS):
        end -= 1
    return text[:end]


def subject_of(topic: str) -> str:
    """What a topic or a story prompt is about, as a phrase that fits a speech balloon: a long prompt's
    first clause, cut at a word. The offline writer says its subject in lines and titles, so a prompt
    (up to 2,000 characters) must never be pasted in whole."""
    about = " ".join(topic_subject(_ASKING.sub("", topic.strip())).split())
    if len(about) <= SUBJECT_CHARS:
        return about
    for candidate in (_CLAUSE_END.split(about)[0], about):
        candidate = _cut(candidate.strip(), SUBJECT_CHARS).strip(" ,;:-")
        if any(ch.isalnum() for ch in candidate):
            return re.sub(r"^(A|An|The)(?= )", lambda m: m.group(1).lower(), candidate)  # said mid-sentence
    return "our story"


@dataclass(frozen=True)
class TopicPhrases:
    kind: str  # "verb" (an imperative: 'share toys'), "question", or "noun"
    noun: str  # said mid-sentence: 'sharing toys', 'why the sky is blue', 'volcanoes'
    title: str  # the noun phrase in title case: 'Sharing Toys'
    question: str  # asked in a balloon: 'Why do we share our toys?', 'What are volcanoes?'


_SMALL = {"a", "an", "the", "and", "or", "but", "of", "in", "on", "to", "for", "at", "by", "with", "as", "from"}
_WH = {"why", "how", "what", "who", "where", "when", "which"}
_AUX = {"do", "does", "did", "is", "are", "was", "were", "can", "could", "should", "will", "would", "must", "may"}
_DETERMINERS = {"the", "a", "an", "my", "your", "our", "their", "his", "her", "its", "this", "that", "these", "those"}
# a verb's object or complement starts with one of these: 'brush your teeth', 'make new friends', 'go to bed'
_AFTER_VERB = _DETERMINERS | {
    "some",
    "new",
    "good",
    "up",
    "out",
    "down",
    "away",
    "with",
    "to",
    "on",
    "in",
    "at",
    "others",
    "people",
    "everyone",
    "each",
    "every",
    "it",
    "them",
    "yourself",
    "more",
    "less",
    "kind",
    "safe",
    "careful",
    "brave",
    "nice",
    "polite",
    "healthy",
    "calm",
}
# first words that, before a plural, are the first half of a compound noun more often than a verb
_COMPOUND_NOUNS = {"fire", "water", "space", "ice", "snow", "rain", "sea", "sun", "star", "farm", "light", "air"}
_SINGLE_VERBS = {"share", "help", "play", "swim", "cook", "paint", "read", "draw", "count", "clean", "save", "dance"}
_FUNCTION_WORDS = _SMALL | _WH | _AUX | _DETERMINERS | {"not", "never", "we", "you", "they", "it", "don't"}
_SUBJECTS = _DETERMINERS | {"i", "we", "you", "they", "he", "she", "it", "plants", "animals", "people", "kids"}
_PERSON = {"your": "our", "yours": "ours", "yourself": "ourselves", "yourselves": "ourselves", "you": "us"}


_IRREGULAR_PLURALS = {"teeth", "feet", "children", "people", "mice", "geese", "men", "women"}


def _forms(lemma: str) -> dict[str, tuple[str, ...]]:
    """The word's inflections by Penn tag when it is a lemma the tables know ('share' -> VB, VBG, NN, NNS...),
    else {}. One table (the inflections), loaded on first use: about 0.15 s once per process."""
    from lemminflect import getAllInflections

    return dict(getAllInflections(lemma)) if lemma.isascii() and lemma.isalpha() else {}


def _lemma_guesses(word: str) -> tuple[str, ...]:
    """Lemmas a plural or an inflected form may come from: 'toys' -> 'toy', 'bodies' -> 'body'."""
    return tuple(
        guess
        for guess in (word[:-1], word[:-2], word[:-3] + "y", word[:-3], word[:-3] + "e", word[:-2] + "e")
        if len(guess) > 1
    )


def _is_known(word: str) -> bool:
    if word in _FUNCTION_WORDS:
        return True
    return bool(_forms(word)) or any(word in sum(_forms(g).values(), ()) for g in _lemma_guesses(word))


def _inflect(verb: str, tag: str) -> str:
    forms = _forms(verb).get(tag, ())
    return forms[0] if forms else verb


def _is_base_verb(word: str) -> bool:
    return "VB" in _forms(word)


def _is_plural(word: str) -> bool:
    if word in _IRREGULAR_PLURALS:
        return True
    return word.endswith("s") and any(word in _forms(g).get("NNS", ()) for g in _lemma_guesses(word))


def _tidy_case(text: str) -> str:
    """Lower case for words a dictionary knows ('Share Toys', 'SHARE TOYS' -> 'share toys'); names and short
    acronyms ('Paris', 'NASA') stay as typed."""
    shouting = sum(ch.isupper() for ch in text) > 1 and text == text.upper()
    words = []
    for i, word in enumerate(text.split(" ")):
        lower = word.lower()
        acronym = word.isupper() and 2 <= len(word) <= 5 and not shouting
        known = _is_known(lower.strip("'\".,!?")) or (i == 0 and "'" in word)  # 'Don't' leads a sentence
        if not acronym and word not in {"I", "I'm"} and word != lower and (shouting or known or word[1:] != lower[1:]):
            word = lower
        words.append(word)
    return " ".join(words)


def title_case(text: str, *, first: bool = True) -> str:
    """'why is the sky blue?' -> 'Why Is the Sky Blue?'; only first letters change ("don't" -> "Don't").
    `first=False` for a title's tail: 'Adventures in ' + 'the Water Cycle'."""
    words = text.split(" ")
    return " ".join(
        w[:1].upper() + w[1:] if (i == 0 and first) or w.lower() not in _SMALL else w.lower()
        for i, w in enumerate(words)
    )


def _verb_phrase(words: list[str]) -> tuple[bool, list[str]] | None:
    """(negative, the words from the verb on) when the phrase is an imperative, else None."""
    negative = False
    if words[:1] in (["don't"], ["never"]) or words[:2] == ["do", "not"]:
        negative, words = True, words[2:] if words[0] == "do" else words[1:]
    if not words or words[0] in _AUX - {"do"} or not _is_base_verb(words[0]):
        return None
    forms, rest = _forms(words[0]), words[1:]
    if negative or words[0] == "be" or not ({"NN", "JJ"} & forms.keys()):
        return negative, words
    if not rest:
        return (negative, words) if words[0] in _SINGLE_VERBS else None
    if rest[0] in _AFTER_VERB or (_is_plural(rest[0]) and words[0] not in _COMPOUND_NOUNS):
        return negative, words
    return None


def _embedded(words: list[str]) -> list[str]:
    """A question said inside a sentence: 'why is the sky blue' -> 'why the sky is blue', 'how does the moon
    shine' -> 'how the moon shines', 'do plants need water' -> 'whether plants need water'."""
    wh, rest = (words[0], words[1:]) if words[0] in _WH else ("whether", words)
    if not rest or rest[0] not in _AUX:
        return [wh, *rest]
    aux, body = rest[0], rest[1:]
    if not body:
        return [wh, aux]
    size = 2 if body[0] in _DETERMINERS and len(body) > 2 else 1
    subject, after = body[:size], body[size:]
    if aux in {"do", "did"}:
        return [wh, *subject, *after]
    if aux == "does":
        for i, word in enumerate(after):
            if _is_base_verb(word):
                return [wh, *subject, *after[:i], _inflect(word, "VBZ"), *after[i + 1 :]]
        return [wh, *subject, *after]
    if not after:  # 'what is gravity' -> 'gravity'
        return subject if wh == "what" else [wh, *subject, aux]
    return [wh, *subject, aux, *after]


@lru_cache(maxsize=512)
def phrases_for(topic: str) -> TopicPhrases:
    """The phrases for a topic, a story prompt included (its subject: see `subject_of`)."""
    subject = _tidy_case(subject_of(topic).strip(" .!?"))
    asked = _ASKING.sub("", topic.strip()).rstrip().endswith("?")
    words = subject.split(" ")
    lower = [w.lower() for w in words]
    if subject and (
        (lower[0] in _WH and (asked or (len(lower) > 1 and lower[1] in _AUX)))
        or (lower[0] in _AUX and (asked or (lower[0] != "do" and len(lower) > 1 and lower[1] in _SUBJECTS)))
        or lower[0] in {"why", "how"}
    ):
        question = subject[0].upper() + subject[1:] + "?"
        embedded = _embedded(words)
        noun = " ".join(embedded)
        return TopicPhrases("question", noun, title_case(question), question)
    verb = _verb_phrase(words) if subject else None
    if verb is not None:
        negative, phrase = verb
        gerund = " ".join(["not"] * negative + [_inflect(phrase[0], "VBG"), *phrase[1:]])
        we = [_PERSON.get(w, w) for w in phrase[1:]]
        if we and _is_plural(we[0]):  # 'share toys' -> 'share our toys'
            we.insert(0, "our")
        ask = "Why shouldn't we" if negative else "Why should we" if phrase[0] == "be" else "Why do we"
        return TopicPhrases("verb", gerund, title_case(gerund, first=False), " ".join([ask, phrase[0], *we]) + "?")
    noun = subject or "our story"
    head = next((w for w in reversed(lower) if w.isalpha()), "")
    verb_be = (
        "is" if lower[0].endswith("ing") else "are" if _is_plural(head) or " and " in noun or " & " in noun else "is"
    )
    return TopicPhrases("noun", noun, title_case(noun, first=False), f"What {verb_be} {noun}?")


def comic_title(topic: str) -> str:
    """'Adventures in Sharing Toys', 'Why Is the Sky Blue?', 'The Tale of a Little Turtle'."""
    phrases = phrases_for(topic)
    if phrases.kind == "question":
        return phrases.title
    if phrases.noun.lower().startswith(("a ", "an ")):
        return f"The Tale of {phrases.title}"
    return f"Adventures in {phrases.title}"
