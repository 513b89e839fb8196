"""Small pure helpers: ids, slugs, time, deterministic seeds."""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
import unicodedata
import uuid
from datetime import datetime, timezone

# Ids are the only user-controlled strings that ever become file names: this pattern is the gate.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
_ID_RE = re.compile(ID_PATTERN)


_id_lock = threading.Lock()
_id_clock = [0, 0]  # the last id's millisecond and its 12-bit sequence within that millisecond


def new_id() -> str:
    """A UUIDv7 whose order is creation order, even for ids made in the same millisecond.

    RFC 9562 method 1: rand_a carries a counter that starts low and random each millisecond.
    """
    with _id_lock:
        unix_ms = time.time_ns() // 1_000_000
        last_ms, last_seq = _id_clock
        if unix_ms <= last_ms:
            unix_ms, seq = last_ms, last_seq + 1
            if seq > 0xFFF:
                unix_ms, seq = last_ms + 1, 0
        else:
            seq = int.from_bytes(os.urandom(2), "big") & 0x3FF
        _id_clock[:] = [unix_ms, seq]
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (unix_ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | seq << 64 | 0b10 << 62 | rand_b
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


AGE_GROUP_RULE = "ages 3 to 16, youngest first, for example 5-12"
AGE_GROUP_MAX_LENGTH = 20
# What people write for a range of reader ages: 5-12, 5–12 (en dash), 5—12 (em dash), 5 to 12, spaces
# (or tabs, or no-break spaces) around any of it. The same expression is the OpenAPI schema's pattern, so
# the two cannot disagree; it means the same to Python and to ECMAScript (no \s, whose sets differ).
_AGE = "(?:[3-9]|1[0-6])"
_GAP = r"[ \t\u00a0]*"
AGE_GROUP_PATTERN = f"^{_GAP}({_AGE}){_GAP}(?:-|–|—|to){_GAP}({_AGE}){_GAP}$"
_AGE_GROUP_RE = re.compile(AGE_GROUP_PATTERN)


def parse_age_group(value: str) -> tuple[int, int]:
    """'5-12', '5–12', '5 to 12' -> (5, 12). Raises ValueError with the rule in words (never the value)."""
    match = _AGE_GROUP_RE.fullmatch(value) if len(value) <= AGE_GROUP_MAX_LENGTH else None
    if not match or int(match.group(1)) > int(match.group(2)):
        raise ValueError(f"age_group should be {AGE_GROUP_RULE}")
    return int(match.group(1)), int(match.group(2))


def normal_age_group(value: str) -> str:
    """Any accepted spelling as it is stored: '5 to 12' -> '5-12'."""
    youngest, oldest = parse_age_group(value)
    return f"{youngest}-{oldest}"


_FRAMING_RE = re.compile(
    r"^(?:(?:teaching|teach|learning|learn|helping|help|showing|show)\s+)?"
    r"(?:(?:kids|children|students|pupils|young readers)\s+)?(?:about|how to|to|on)\s+",
    re.IGNORECASE,
)


def topic_subject(topic: str) -> str:
    """'teaching kids about safety' -> 'safety': what the comic is about, without the framing."""
    stripped = _FRAMING_RE.sub("", topic.strip()).strip(" .!?")
    return stripped or topic.strip()
