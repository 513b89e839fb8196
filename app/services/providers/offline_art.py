"""The offline artist: Pillow-drawn panels and character sheets, deterministic for the same input.

A panel is a setting (sky, ground, props), the cast as distinct figures in their own palettes, and a
caption box. Blocking drawing runs in a thread (see OfflineImageModel).
"""

from __future__ import annotations

import asyncio
import io
import math
import random
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from app.models.schemas import Character, Panel, Scene
from app.services.drawing import fonts
from app.services.comics.assets import cast_of
from app.services.drawing.composition import stage
from app.services.providers.protocols import RenderedImage
from utils import slugify, stable_seed

PANEL_SIZE = (960, 720)
SHEET_SIZE = (960, 640)
INK = (43, 38, 52)
Color = tuple[int, int, int]

SKIES: dict[str, tuple[Color, Color]] = {
    "day": ((120, 190, 250), (205, 235, 255)),
    "indoor": ((250, 236, 210), (255, 247, 232)),
    "night": ((25, 30, 80), (70, 60, 130)),
}
GROUNDS: dict[str, Color] = {
    "street": (150, 150, 160),
    "park": (120, 200, 100),
    "playground": (232, 196, 130),
    "kitchen": (214, 180, 140),
    "beach": (245, 222, 160),
    "home": (190, 150, 110),
    "school": (200, 170, 130),
    "garden": (110, 180, 90),
    "forest": (80, 150, 80),
}
INDOOR = {"kitchen", "home", "school"}


def hex_to_rgb(value: str, fallback: Color = (200, 120, 80)) -> Color:
    value = value.lstrip("#")
    if len(value) != 6:
        return fallback
    try:
        return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))
    except ValueError:
        return fallback


def soften(color: Color, amount: float) -> Color:
    return tuple(int(c + (255 - c) * amount) for c in color)  # type: ignore[return-value]


def font(size: int) -> ImageFont.FreeTypeFont:
    return fonts.load(fonts.COMIC_BOLD, size)


def palette_of(character: Character) -> tuple[Color, Color, Color]:
    colors = [hex_to_rgb(c) for c in character.color_palette]
    rng = random.Random(stable_seed("palette", character.name))
    while len(colors) < 3:
        colors.append((rng.randint(40, 220), rng.randint(40, 220), rng.randint(40, 220)))
    return colors[0], colors[1], colors[2]


# -- settings ---------------------------------------------------------------------------------------
def _gradient(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], top: Color, bottom: Color) -> None:
    x0, y0, x1, y1 = box
    for y in range(y0, y1):
        t = (y - y0) / max(1, y1 - y0 - 1)
        draw.line([(x0, y), (x1, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=False)))


def _tree(draw: ImageDraw.ImageDraw, x: int, ground: int, scale: float) -> None:
    h = int(160 * scale)
    draw.rectangle([x - 10 * scale, ground - h, x + 10 * scale, ground], fill=(120, 80, 50), outline=INK, width=3)
    draw.ellipse(
        [x - 60 * scale, ground - h - 70 * scale, x + 60 * scale, ground - h + 40 * scale],
        fill=(70, 160, 70),
        outline=INK,
        width=3,
    )


def _house(draw: ImageDraw.ImageDraw, x: int, ground: int, color: Color) -> None:
    draw.rectangle([x, ground - 150, x + 150, ground], fill=color, outline=INK, width=3)
    draw.polygon(
        [(x - 15, ground - 150), (x + 75, ground - 225), (x + 165, ground - 150)], fill=(190, 70, 60), outline=INK
    )
    draw.rectangle([x + 55, ground - 70, x + 95, ground], fill=(120, 80, 50), outline=INK, width=3)
    draw.rectangle([x + 15, ground - 125, x + 50, ground - 90], fill=(255, 240, 160), outline=INK, width=3)


def _sun(draw: ImageDraw.ImageDraw, cx: int, cy: int) -> None:
    for i in range(12):
        angle = math.radians(i * 30)
        draw.line(
            [
                (cx + 55 * math.cos(angle), cy + 55 * math.sin(angle)),
                (cx + 75 * math.cos(angle), cy + 75 * math.sin(angle)),
            ],
            fill=(250, 180, 40),
            width=6,
        )
    draw.ellipse([cx - 45, cy - 45, cx + 45, cy + 45], fill=(255, 214, 70), outline=(240, 160, 40), width=4)
    for ex in (cx - 15, cx + 15):
        draw.ellipse([ex - 4, cy - 12, ex + 4, cy - 2], fill=INK)
    draw.arc([cx - 18, cy - 12, cx + 18, cy + 20], 25, 155, fill=INK, width=3)


def _tufts(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, top: int, bottom: int, color: Color) -> None:
    """Little grass tufts and pebbles, so the ground is not one flat colour."""
    dark = (max(0, color[0] - 45), max(0, color[1] - 45), max(0, color[2] - 45))
    for _ in range(26):
        x, y = rng.randint(0, w), rng.randint(top + 8, bottom - 4)
        if rng.random() < 0.7:
            for dx in (-6, 0, 6):
                draw.line([(x, y), (x + dx * 1.4, y - 12)], fill=dark, width=3)
        else:
            draw.ellipse([x - 6, y - 4, x + 6, y + 4], fill=soften(dark, 0.3))


def draw_setting(img: Image.Image, setting: str, rng: random.Random, night: bool) -> int:
    """Paints the setting; returns the y of the ground line the figures stand on."""
    draw = ImageDraw.Draw(img)
    w, h = img.size
    ground = int(h * 0.72)
    sky = "indoor" if setting in INDOOR else ("night" if night else "day")
    _gradient(draw, (0, 0, w, ground), *SKIES[sky])
    floor = GROUNDS.get(setting, (140, 190, 110))
    draw.rectangle([0, ground, w, h], fill=floor)
    if setting not in INDOOR and setting != "street":
        _tufts(draw, rng, w, ground, h, floor)
    if sky == "day":
        _sun(draw, w - 125, 85)
        for cx in (rng.randint(80, 300), rng.randint(380, 600)):
            cy = rng.randint(50, 140)
            for dx, r in ((-35, 28), (0, 38), (35, 28)):
                draw.ellipse([cx + dx - r, cy - r, cx + dx + r, cy + r], fill=(255, 255, 255))
    elif sky == "night":
        draw.ellipse([w - 170, 40, w - 90, 120], fill=(250, 245, 200))
        for _ in range(40):
            sx, sy = rng.randint(0, w), rng.randint(0, ground - 40)
            draw.ellipse([sx - 2, sy - 2, sx + 2, sy + 2], fill=(255, 255, 220))
    if setting == "street":
        _house(draw, 40, ground, (240, 200, 150))
        _house(draw, w - 220, ground, (170, 200, 230))
        draw.rectangle([0, ground + 30, w, h - 20], fill=(90, 90, 100))
        for x in range(w // 2 - 150, w // 2 + 150, 50):
            draw.rectangle([x, ground + 40, x + 30, h - 30], fill=(250, 250, 250))
        draw.rectangle([w - 60, ground - 200, w - 48, ground + 30], fill=INK)
        draw.rounded_rectangle([w - 80, ground - 270, w - 28, ground - 150], radius=10, fill=(50, 50, 60))
        for i, c in enumerate(((230, 60, 50), (250, 200, 40), (60, 200, 90))):
            draw.ellipse([w - 68, ground - 262 + i * 38, w - 40, ground - 234 + i * 38], fill=c)
    elif setting in ("park", "garden", "forest", "playground"):
        for i in range(2 if setting != "forest" else 5):
            _tree(
                draw,
                rng.randint(40, w - 40) if setting == "forest" else (90 if i == 0 else w - 110),
                ground,
                1.0 + 0.2 * (i % 2),
            )
        if setting == "garden":
            for x in range(30, w, 55):
                draw.line([(x, ground + 40), (x, ground + 10)], fill=(60, 140, 60), width=4)
                draw.ellipse(
                    [x - 10, ground - 5, x + 10, ground + 15],
                    fill=rng.choice([(240, 90, 120), (250, 200, 60), (170, 110, 230)]),
                )
        if setting == "playground":
            draw.line([(w // 2 - 250, ground), (w // 2 - 170, ground - 200)], fill=(200, 60, 60), width=12)
            draw.line([(w // 2 - 170, ground - 200), (w // 2 - 40, ground)], fill=(230, 120, 40), width=18)
    elif setting == "beach":
        draw.rectangle([0, ground - 90, w, ground], fill=(60, 150, 220))
        for x in range(0, w, 60):
            draw.arc([x, ground - 100, x + 60, ground - 80], 180, 360, fill=(255, 255, 255), width=4)
        draw.line([(w - 180, ground + 60), (w - 180, ground - 150)], fill=INK, width=6)
        draw.pieslice([w - 280, ground - 220, w - 80, ground - 80], 180, 360, fill=(240, 80, 80), outline=INK, width=3)
    elif setting in INDOOR:
        draw.rectangle([w // 2 - 120, 60, w // 2 + 120, 230], fill=SKIES["day"][1], outline=INK, width=6)
        draw.line([(w // 2, 60), (w // 2, 230)], fill=INK, width=5)
        if setting == "kitchen":
            draw.rectangle([40, ground - 170, 300, ground], fill=(235, 235, 240), outline=INK, width=4)
            for cx in (100, 220):
                draw.ellipse([cx - 35, ground - 185, cx + 35, ground - 165], fill=(70, 70, 80))
            draw.rounded_rectangle(
                [180, ground - 250, 270, ground - 180], radius=12, fill=(200, 70, 60), outline=INK, width=3
            )
        elif setting == "school":
            draw.rectangle([40, 70, 330, 260], fill=(40, 90, 60), outline=(140, 90, 50), width=10)
            draw.line([(70, 120), (220, 120)], fill=(250, 250, 250), width=4)
            draw.line([(70, 160), (280, 160)], fill=(250, 250, 250), width=4)
        else:
            draw.rounded_rectangle(
                [40, ground - 130, 330, ground], radius=30, fill=(120, 90, 170), outline=INK, width=4
            )
            draw.rectangle([w - 190, ground - 300, w - 70, ground], fill=(150, 100, 60), outline=INK, width=4)
    return ground


# -- figures ----------------------------------------------------------------------------------------
def _eyes(draw: ImageDraw.ImageDraw, cx: float, cy: float, spread: float, r: float) -> None:
    for ex in (cx - spread, cx + spread):
        draw.ellipse([ex - r, cy - r, ex + r, cy + r], fill=(255, 255, 255), outline=INK, width=2)
        draw.ellipse([ex - r / 2, cy - r / 2, ex + r / 2, cy + r / 2], fill=INK)


def _smile(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, speaking: bool = False) -> None:
    """A smile, or an open mouth with a tongue for whoever is talking; rosy cheeks either way."""
    for side in (-1, 1):
        draw.ellipse(
            [cx + side * 1.9 * r - r * 0.45, cy - r * 0.55, cx + side * 1.9 * r + r * 0.45, cy - r * 0.05],
            fill=(255, 150, 160),
        )
    if speaking:
        draw.chord(
            [cx - r * 0.8, cy - r * 0.2, cx + r * 0.8, cy + r * 1.1], 0, 180, fill=(120, 30, 40), outline=INK, width=3
        )
        draw.chord([cx - r * 0.45, cy + r * 0.45, cx + r * 0.45, cy + r * 1.0], 180, 360, fill=(240, 110, 120))
    else:
        draw.arc([cx - r, cy - r, cx + r, cy + r], 20, 160, fill=INK, width=3)


def _humanoid(
    draw: ImageDraw.ImageDraw, cx: float, base: float, s: float, c: tuple[Color, Color, Color], speaking: bool = False
) -> None:
    main, hair, skin = c
    for dx in (-18, 18):
        draw.rounded_rectangle([cx + dx * s - 10 * s, base - 80 * s, cx + dx * s + 10 * s, base], radius=6, fill=INK)
    draw.rounded_rectangle(
        [cx - 45 * s, base - 190 * s, cx + 45 * s, base - 70 * s], radius=int(25 * s), fill=main, outline=INK, width=4
    )
    for side in (-1, 1):
        draw.line(
            [(cx + side * 40 * s, base - 170 * s), (cx + side * 75 * s, base - 110 * s)], fill=main, width=int(16 * s)
        )
        draw.ellipse(
            [cx + side * 75 * s - 10 * s, base - 120 * s, cx + side * 75 * s + 10 * s, base - 100 * s],
            fill=skin,
            outline=INK,
        )
    draw.ellipse([cx - 45 * s, base - 290 * s, cx + 45 * s, base - 195 * s], fill=skin, outline=INK, width=4)
    draw.chord([cx - 48 * s, base - 300 * s, cx + 48 * s, base - 225 * s], 180, 360, fill=hair, outline=INK, width=3)
    _eyes(draw, cx, base - 240 * s, 17 * s, 8 * s)
    _smile(draw, cx, base - 225 * s, 14 * s, speaking)


def _creature(
    draw: ImageDraw.ImageDraw, cx: float, base: float, s: float, c: tuple[Color, Color, Color], speaking: bool = False
) -> None:
    main, belly, accent = c
    draw.polygon(
        [(cx + 60 * s, base - 60 * s), (cx + 130 * s, base - 130 * s), (cx + 80 * s, base - 40 * s)],
        fill=main,
        outline=INK,
    )
    for side in (-1, 1):
        draw.polygon(
            [
                (cx + side * 25 * s, base - 230 * s),
                (cx + side * 60 * s, base - 290 * s),
                (cx + side * 70 * s, base - 215 * s),
            ],
            fill=main,
            outline=INK,
        )
    draw.ellipse([cx - 75 * s, base - 250 * s, cx + 75 * s, base], fill=main, outline=INK, width=4)
    draw.ellipse([cx - 45 * s, base - 130 * s, cx + 45 * s, base - 10 * s], fill=belly, outline=INK, width=2)
    _eyes(draw, cx, base - 185 * s, 25 * s, 13 * s)
    draw.ellipse([cx - 8 * s, base - 165 * s, cx + 8 * s, base - 153 * s], fill=accent)
    _smile(draw, cx, base - 160 * s, 18 * s, speaking)


def _object(
    draw: ImageDraw.ImageDraw, cx: float, base: float, s: float, c: tuple[Color, Color, Color], speaking: bool = False
) -> None:
    main, face, accent = c
    draw.line([(cx, base - 260 * s), (cx, base - 300 * s)], fill=INK, width=int(5 * s))
    draw.ellipse([cx - 12 * s, base - 318 * s, cx + 12 * s, base - 294 * s], fill=accent, outline=INK)
    draw.rounded_rectangle(
        [cx - 70 * s, base - 260 * s, cx + 70 * s, base - 150 * s], radius=int(18 * s), fill=main, outline=INK, width=4
    )
    draw.rounded_rectangle(
        [cx - 52 * s, base - 245 * s, cx + 52 * s, base - 165 * s], radius=int(12 * s), fill=face, outline=INK, width=2
    )
    _eyes(draw, cx, base - 215 * s, 22 * s, 9 * s)
    _smile(draw, cx, base - 200 * s, 14 * s, speaking)
    draw.rounded_rectangle(
        [cx - 55 * s, base - 145 * s, cx + 55 * s, base - 40 * s], radius=int(12 * s), fill=main, outline=INK, width=4
    )
    for dx in (-30, 30):
        draw.rectangle([cx + dx * s - 12 * s, base - 40 * s, cx + dx * s + 12 * s, base], fill=INK)


def _concept(
    draw: ImageDraw.ImageDraw, cx: float, base: float, s: float, c: tuple[Color, Color, Color], speaking: bool = False
) -> None:
    main, glow, accent = c
    cy, outer, inner = base - 150 * s, 120 * s, 50 * s
    draw.ellipse([cx - outer * 1.2, cy - outer * 1.2, cx + outer * 1.2, cy + outer * 1.2], fill=soften(glow, 0.2))
    points = [
        (
            cx + (outer if i % 2 == 0 else inner) * math.sin(i * math.pi / 5),
            cy - (outer if i % 2 == 0 else inner) * math.cos(i * math.pi / 5),
        )
        for i in range(10)
    ]
    draw.polygon(points, fill=main, outline=INK, width=4)
    _eyes(draw, cx, cy - 5 * s, 18 * s, 9 * s)
    _smile(draw, cx, cy + 12 * s, 14 * s, speaking)
    for angle in range(0, 360, 60):
        sx, sy = cx + 1.35 * outer * math.cos(math.radians(angle)), cy + 1.35 * outer * math.sin(math.radians(angle))
        draw.ellipse([sx - 5 * s, sy - 5 * s, sx + 5 * s, sy + 5 * s], fill=accent)


FIGURES: dict[str, Callable[..., None]] = {
    "humanoid": _humanoid,
    "creature": _creature,
    "object": _object,
    "concept": _concept,
}


def draw_figure(
    draw: ImageDraw.ImageDraw,
    character: Character,
    *,
    cx: float,
    base: float,
    scale: float,
    style: str,
    speaking: bool = False,
) -> None:
    colors = palette_of(character)
    if style in ("pastel", "watercolor"):
        colors = tuple(soften(c, 0.35) for c in colors)  # type: ignore[assignment]
    FIGURES[character.character_type](draw, cx, base, scale, colors, speaking)


# -- whole images ----------------------------------------------------------------------------------
def to_png(img: Image.Image) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", optimize=False, compress_level=6)
    return buffer.getvalue()


def draw_panel(*, panel: Panel, scene: Scene | None, cast: list[Character], style: str) -> bytes:
    """The panel's art: its setting and the members of `cast` it shows, in the panel's order, with no
    text and no border; the letterer adds both (see app/services/drawing/lettering.py)."""
    rng = random.Random(stable_seed("panel", panel.title, panel.description, *panel.characters, style))
    setting = scene.setting if scene else "park"
    night = "night" in panel.description.lower() or "smoke" in panel.description.lower()
    img = Image.new("RGB", PANEL_SIZE, (255, 255, 255))
    draw_setting(img, setting, rng, night)
    cast = cast_of(panel, cast)
    figures = stage([c.name for c in cast], img.size)
    shadows = Image.new("L", img.size, 0)
    for figure in figures:
        s = figure.scale
        ImageDraw.Draw(shadows).ellipse(
            [figure.cx - 85 * s, figure.base - 14 * s, figure.cx + 85 * s, figure.base + 12 * s], fill=70
        )
    img.paste((30, 30, 50), mask=shadows)
    draw = ImageDraw.Draw(img)
    speakers = {slugify(line.speaker) for line in panel.dialogue}
    for character, figure in zip(cast, figures, strict=False):
        draw_figure(
            draw,
            character,
            cx=figure.cx,
            base=figure.base,
            scale=figure.scale,
            style=style,
            speaking=slugify(character.name) in speakers,
        )
    if style == "watercolor":
        img = img.filter(ImageFilter.SMOOTH_MORE)
    return to_png(img)


def draw_character_sheet(*, character: Character, style: str) -> bytes:
    img = Image.new("RGB", SHEET_SIZE, (250, 247, 240))
    draw = ImageDraw.Draw(img)
    for x in range(0, img.width, 40):
        draw.line([(x, 90), (x, img.height)], fill=(235, 230, 220))
    for i, scale in enumerate((1.0, 0.75, 0.5)):
        draw_figure(draw, character, cx=170 + i * 300, base=img.height - 40, scale=scale, style=style)
    draw.rectangle([0, 0, img.width, 80], fill=palette_of(character)[0])
    draw.text((24, 18), character.name, font=font(40), fill=(255, 255, 255), stroke_width=3, stroke_fill=INK)
    for i, color in enumerate(palette_of(character)):
        draw.rectangle([img.width - 60 - i * 50, 20, img.width - 20 - i * 50, 60], fill=color, outline=INK, width=2)
    return to_png(img)


class OfflineImageModel:
    name = "offline"

    async def render_character(self, *, character: Character, style: str) -> RenderedImage:
        data = await asyncio.to_thread(draw_character_sheet, character=character, style=style)
        return RenderedImage(
            data=data,
            url=None,
            content_type="image/png",
            width=SHEET_SIZE[0],
            height=SHEET_SIZE[1],
            model="offline/pillow-sheet",
        )

    async def render_panel(
        self, *, panel: Panel, scene: Scene | None, cast: list[Character], style: str
    ) -> RenderedImage:
        data = await asyncio.to_thread(draw_panel, panel=panel, scene=scene, cast=cast, style=style)
        return RenderedImage(
            data=data,
            url=None,
            content_type="image/png",
            width=PANEL_SIZE[0],
            height=PANEL_SIZE[1],
            model="offline/pillow-panel",
        )
