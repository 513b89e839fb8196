"""Small pure helpers: ids, slugs, time, deterministic seeds."""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable
from datetime import datetime, UTC

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
    return datetime.now(UTC)


def slugify(text: str) -> str:
    """'Captain  Mira!' -> 'captain-mira'; accents folded, anything else dropped."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def stable_seed(*parts: object) -> int:
    """A seed that is the same for the same inputs in every process (unlike hash())."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


AGE_GROUP_RULE = "ages 3 to 16, youngest first, for example 5-12"
AGE_GROUP_MAX_LENGTH = 32
# What people write for a range of reader ages: 5-12, 5 to 12 (any case), with any Unicode hyphen or dash
# (U+2010-2014, U+2212, and the small and full-width hyphen-minus), "age"/"ages"/"aged" before and
# "years (old)"/"yrs" after, full-width digits and letters, spaces (tabs, no-break, ideographic) around it all.
# The service reads the value after Unicode NFKC and in lower case; the OpenAPI schema's pattern is built from
# the same template for the text as typed (ECMAScript has no flags there), and a test holds the two to the
# same answers. Neither uses \s, whose sets differ between Python and ECMAScript.
_TYPED_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d"
_NORMAL_DASHES = "-\u2010\u2012\u2013\u2014\u2212"  # NFKC: U+2011 -> U+2010; U+FE63, U+FF0D -> '-'


def _wide(char: str) -> str:
    """The full-width form of an ASCII letter or digit."""
    return chr(ord(char) + 0xFEE0)


def _age_group_pattern(*, word: Callable[[str], str], digits: Callable[[str, str], str], gap: str, dash: str) -> str:
    age = f"(?:{digits('3', '9')}|{digits('1', '1')}{digits('0', '6')})"
    before = f"(?:{word('age')}(?:{word('s')}|{word('d')})?{gap})?"
    after = f"(?:(?:{word('year')}|{word('yr')}){word('s')}?(?:{gap}{word('old')})?{gap})?"
    return f"^{gap}{before}({age}){gap}(?:{dash}|{word('to')}){gap}({age}){gap}{after}$"


# as typed: either case, plain or full-width
AGE_GROUP_PATTERN = _age_group_pattern(
    word=lambda w: "".join(f"[{c}{c.upper()}{_wide(c)}{_wide(c.upper())}]" for c in w),
    digits=lambda low, high: f"[{low}-{high}{_wide(low)}-{_wide(high)}]" if low != high else f"[{low}{_wide(low)}]",
    gap=r"[ \t\u00a0\u2009\u202f\u3000]*",
    dash=f"[{_TYPED_DASHES}]",
)
# as read, after NFKC and in lower case
_AGE_GROUP_RE = re.compile(
    _age_group_pattern(
        word=lambda w: w, digits=lambda low, high: f"[{low}-{high}]", gap=r"[ \t]*", dash=f"[{_NORMAL_DASHES}]"
    )
)


def parse_age_group(value: str) -> tuple[int, int]:
    """'5-12', '5–12', '5 TO 12', 'ages 5-12 years', '５－１２' -> (5, 12). Raises ValueError with the rule in words
    (never the value)."""
    match = (
        _AGE_GROUP_RE.fullmatch(unicodedata.normalize("NFKC", value).lower())
        if len(value) <= AGE_GROUP_MAX_LENGTH
        else None
    )
    if not match or int(match.group(1)) > int(match.group(2)):
        raise ValueError(AGE_GROUP_RULE)
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
