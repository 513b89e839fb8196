"""Content checks, one entry point: every topic, feedback, prompt, title and story goes through the local
moderator (app/services/safety), offline and online, before anything is stored or paid for.

LEGACY_WORDS is the word list this replaced, kept only so bench/moderation.py can show both side by side.
"""

from __future__ import annotations

import asyncio
import re

from app.services.safety import default_moderator
from app.services.safety.moderator import Moderator

LEGACY_WORDS = frozenset(
    {
        "porn",
        "porno",
        "pornography",
        "nude",
        "nudes",
        "naked",
        "sexy",
        "sex",
        "sexual",
        "erotic",
        "hentai",
        "gore",
        "gory",
        "dismember",
        "dismembered",
        "decapitate",
        "decapitated",
        "behead",
        "beheading",
        "torture",
        "tortured",
        "murder",
        "murdered",
        "massacre",
        "rape",
        "raped",
        "suicide",
        "self-harm",
        "kill yourself",
        "kys",
        "cocaine",
        "heroin",
        "meth",
        "nazi",
        "nazis",
        "genocide",
        "terrorist",
        "fuck",
        "fucking",
        "shit",
        "bitch",
        "cunt",
        "whore",
        "slut",
    }
)
_LEGACY = re.compile(
    r"\b(" + "|".join(re.escape(w) for w in sorted(LEGACY_WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE
)
LONG_TEXT = 2000  # characters: beyond this the check runs off the event loop


def legacy_unfit_words(texts: list[str]) -> list[str]:
    return sorted({match.lower() for text in texts for match in _LEGACY.findall(text)})


async def check_locally(texts: list[str], moderator: Moderator | None = None) -> None:
    """Raise ContentRefused when the local moderator refuses any of the texts."""
    moderator = moderator or default_moderator()
    if sum(len(t) for t in texts) > LONG_TEXT:
        await asyncio.to_thread(moderator.check, texts)
    else:
        moderator.check(texts)
