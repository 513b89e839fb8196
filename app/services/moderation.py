"""The offline content check: a curated list of words no children's comic should carry."""

from __future__ import annotations

import re

from app.errors import InvalidInput

# Kept narrow on purpose: topics *about* staying safe (strangers, fire, drugs) are what this service
# is for; these are words that have no place in a comic for 5-12 year olds at all.
UNFIT_WORDS = frozenset({
    "porn", "porno", "pornography", "nude", "nudes", "naked", "sexy", "sex", "sexual", "erotic", "hentai",
    "gore", "gory", "dismember", "dismembered", "decapitate", "decapitated", "behead", "beheading",
    "torture", "tortured", "murder", "murdered", "massacre", "rape", "raped", "suicide", "self-harm",
    "kill yourself", "kys", "cocaine", "heroin", "meth", "nazi", "nazis", "genocide", "terrorist",
    "fuck", "fucking", "shit", "bitch", "cunt", "whore", "slut",
})
_PATTERN = re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(UNFIT_WORDS, key=len, reverse=True)) + r")\b",
                      re.IGNORECASE)


def unfit_words(texts: list[str]) -> list[str]:
    return sorted({match.lower() for text in texts for match in _PATTERN.findall(text)})


def refuse(reasons: list[str]) -> InvalidInput:
    return InvalidInput(f"this content is not suitable for a children's comic (flagged: {', '.join(reasons)}); "
                        "please rephrase it")
