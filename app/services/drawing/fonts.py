"""The lettering fonts, shipped in app/data/fonts (licences beside them): Comic Neue for the comic's own
voice, and for text it has no letters for, DejaVu Sans (Greek, Cyrillic, Arabic, Hebrew and more) or
Droid Sans Fallback (Chinese and Japanese). Each piece of text is set in the first font that has every
one of its characters, so a line never mixes a comic face with missing-glyph boxes.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import ImageFont

FONT_DIR = Path(__file__).resolve().parents[2] / "data" / "fonts"
COMIC = "ComicNeue-Regular.otf"
COMIC_BOLD = "ComicNeue-Bold.otf"
FALLBACKS = ("DejaVuSans.ttf", "DroidSansFallbackFull.ttf")


@cache
def coverage(name: str) -> frozenset[int]:
    """The code points a font has glyphs for."""
    font = TTFont(FONT_DIR / name, lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


def face_for(text: str, *, bold: bool = False) -> str:
    """The font file to set `text` in: the comic face when it has every letter, else the fallback that
    has the most of them."""
    needed = {ord(c) for c in text if not c.isspace()}
    faces = (COMIC_BOLD if bold else COMIC, *FALLBACKS)
    for name in faces:
        if needed <= coverage(name):
            return name
    return max(faces, key=lambda name: len(needed & coverage(name)))


_loaded = threading.local()


def load(name: str, size: int) -> ImageFont.FreeTypeFont:
    """The font at this pixel size. Each thread keeps its own: a FreeType face is not safe to share
    between the threads that letter panels side by side."""
    cache: dict[tuple[str, int], ImageFont.FreeTypeFont] = _loaded.__dict__.setdefault("fonts", {})
    key = (name, size)
    if key not in cache:
        if len(cache) > 256:
            cache.clear()
        cache[key] = ImageFont.truetype(str(FONT_DIR / name), size)
    return cache[key]
