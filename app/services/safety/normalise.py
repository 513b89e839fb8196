"""Text as the moderator reads it: one lower-case, accent-free, de-leeted spelling of what was meant.

Children and those who write for them type "c0caine", "vodkaaa", "kys", "how 2 mak a bom"; the rules and
the classifier both read the same folded form, so a spelling trick moves neither.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Digits and symbols read as letters, applied only inside a word that also has letters ("c0caine",
# "b0mb"), never to numbers ("5 friends", "1940s", "ww2").
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "9": "g",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "l",
        "€": "e",
        "+": "t",
    }
)
_WORDISH = re.compile(r"[\w@$!|€+']+", re.UNICODE)
_NUMBER = re.compile(r"^\d+(s|st|nd|rd|th|er|e|eme|o|a|am|pm|h|k|m|x\d+)?$")

# Chat spellings and the internet's euphemisms, each to the plain words it stands for.
CHAT = {
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "have to",
    "howto": "how to",
    "how2": "how to",
    "h2": "how to",
    "thru": "through",
    "cuz": "because",
    "bc": "because",
    "2day": "today",
    "bday": "birthday",
    "what 2 do": "what to do",
    "how 2": "how to",
    "kys": "kill yourself",
    "kms": "kill myself",
    "unalive": "kill",
    "unalived": "killed",
    "unaliving": "killing",
    "sewerslide": "suicide",
    "sewer slide": "suicide",
    "seggs": "sex",
    "secks": "sex",
    "segs": "sex",
    "corn": "corn",
    "pr0n": "porn",
    "p0rn": "porn",
    "prn": "porn",
    "nsfw": "porn",
    "pew pew": "gun",
    "yeet": "throw",
    "xtc": "ecstasy",
    "mdma": "ecstasy",
    "420": "weed",
    "alc": "alcohol",
    "alcohl": "alcohol",
    "cigs": "cigarettes",
    "ciggies": "cigarettes",
    "ciggy": "cigarette",
    "smokes": "cigarettes",
    "drugz": "drugs",
    "gunz": "guns",
    "b0mbs": "bombs",
    "kaboom": "explosion",
    "pq": "por que",
    "xq": "por que",
    "porq": "por que",
    "q": "que",
    "k": "que",
    "tb": "tambien",
    "slt": "salut",
    "stp": "s'il te plait",
    "svp": "s'il vous plait",
    "pk": "pourquoi",
    "pq?": "pourquoi",
    "koi": "quoi",
    "kom": "comme",
    "ki": "qui",
    "jsp": "je ne sais pas",
}
_PHRASES = {k: v for k, v in CHAT.items() if " " in k}
_WORDS = {k: v for k, v in CHAT.items() if " " not in k}


def fold(text: str) -> str:
    """Lower case without accents: "Cómo hacer" -> "como hacer", "sécurité" -> "securite"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _deleet(token: str) -> str:
    if not any(c.isalpha() for c in token) or _NUMBER.match(token):
        return token
    return token.translate(_LEET)


def _squeeze(token: str, known: frozenset[str], common: frozenset[str] = frozenset()) -> str:
    """Runs of a repeated letter: "vodkaaa" -> "vodka" when that is a word we know, else at most two; an
    ordinary word's own double letter stays ("poisson" is a fish, not "poison")."""
    single = re.sub(r"(.)\1+", r"\1", token)
    if single in known and token not in common:
        return single
    return re.sub(r"(.)\1{2,}", r"\1\1", token)


@lru_cache(maxsize=1)
def _deletes_index(words: frozenset[str]) -> dict[str, str]:
    """Each hazard word and its one-letter deletions -> the word (SymSpell): typo lookup in O(len)."""
    index: dict[str, str] = {}
    for word in sorted(words):
        if len(word) < 5:
            continue
        index.setdefault(word, word)
        for i in range(len(word)):
            index.setdefault(word[:i] + word[i + 1 :], word)
    return index


def _correct(token: str, known: frozenset[str], common: frozenset[str]) -> str:
    """An obvious typo of a hazard word ("cocane", "vodak", "explossive") read as that word. Only for
    words of five letters or more that are not ordinary words themselves ("drums" stays "drums")."""
    if len(token) < 5 or token in known or token in common or not token.isalpha():
        return token
    index = _deletes_index(known)
    hit = index.get(token)  # a letter missing: "cocane", "explosve"
    if hit is None and len(token) >= 6:  # a letter extra, wrong or swapped: only in longer words
        hit = next((index[d] for d in _deletes(token) if d in index and len(index[d]) >= 6), None)
    if hit is not None and token[:-1] == hit and token[-1] in "aeos":
        return token  # an inflection, not a typo: "terroriste", "terrorists" are words the lexicon reads as such
    # typos rarely hit the first letter: "tombs" is not "bombs", "power" is not "poker"
    return hit if hit is not None and hit[0] == token[0] else token


def _deletes(token: str) -> list[str]:
    return [token[:i] + token[i + 1 :] for i in range(len(token))]


def normalise(text: str, *, known: frozenset[str] = frozenset(), common: frozenset[str] = frozenset()) -> str:
    """The folded, de-leeted, squeezed, typo-corrected text; words are separated by single spaces."""
    folded = fold(text)
    folded = re.sub(r"[\u200b-\u200f\u2060\ufeff]", "", folded)  # invisible joiners used to split words
    folded = re.sub(r"(?<=\w)[.\-_*](?=\w\b|\w[.\-_*])", "", folded)  # "b.o.m.b", "s-e-x" -> one word
    out: list[str] = []
    for raw in _WORDISH.findall(folded):
        token = _deleet(raw.strip("!|+'"))  # "cocaine!!" is shouting, not leet
        token = re.sub(r"[^\w']", "", token)
        if not token:
            continue
        token = _WORDS.get(token, token)
        token = _squeeze(token, known, common) if " " not in token else token
        token = _correct(token, known, common) if " " not in token else token
        out.append(token)
    joined = " ".join(out)
    for phrase, meaning in _PHRASES.items():
        joined = re.sub(rf"\b{re.escape(phrase)}\b", meaning, joined)
    return joined
