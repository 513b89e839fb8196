"""Small pure helpers: ids, slugs, time, deterministic seeds."""

from __future__ import annotations

import hashlib
import os
import re
import time
import unicodedata
import uuid
from datetime import datetime, timezone

# Ids are the only user-controlled strings that ever become file names: this pattern is the gate.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
_ID_RE = re.compile(ID_PATTERN)


def new_id() -> str:
    """A UUIDv7: random, but ordered by creation time, so sorting ids sorts records newest-last."""
    unix_ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (unix_ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64
    value |= 0b10 << 62 | (rand & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


def is_valid_id(value: str) -> bool:
    return bool(_ID_RE.fullmatch(value))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def slugify(text: str) -> str:
    """'Captain  Mira!' -> 'captain-mira'; accents folded, anything else dropped."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def stable_seed(*parts: object) -> int:
    """A seed that is the same for the same inputs in every process (unlike hash())."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def parse_age_group(value: str) -> tuple[int, int]:
    """'5-12' -> (5, 12). Raises ValueError with a sentence a person can act on."""
    match = re.fullmatch(r"\s*(\d{1,2})\s*-\s*(\d{1,2})\s*", value)
    if not match:
        raise ValueError("age_group must look like '5-12' (youngest-oldest)")
    low, high = int(match.group(1)), int(match.group(2))
    if low > high:
        raise ValueError(f"age_group '{value}' has its youngest age above its oldest")
    if low < 3 or high > 16:
        raise ValueError("age_group must lie within ages 3 to 16")
    return low, high


_FRAMING_RE = re.compile(
    r"^(?:(?:teaching|teach|learning|learn|helping|help|showing|show)\s+)?"
    r"(?:(?:kids|children|students|pupils|young readers)\s+)?(?:about|how to|to|on)\s+",
    re.IGNORECASE,
)


def topic_subject(topic: str) -> str:
    """'teaching kids about safety' -> 'safety': what the comic is about, without the framing."""
    stripped = _FRAMING_RE.sub("", topic.strip()).strip(" .!?")
    return stripped or topic.strip()
