"""The letterer: speech balloons and narration captions set on a panel's art, in our own fonts, since
image models draw poor letters.

`plan_lettering` decides everything (the font size, where each line of text goes, each balloon's
outline and tail) and `draw_lettering` only paints that plan, so what is measured in the tests is what
is drawn. The plan:
- the narration goes in a caption box in the top-left corner;
- each spoken line gets an oval balloon whose text is wrapped to a width, and whose oval is the
  smallest of its shape that holds every line's ink with padding;
- balloons are placed in reading order, always: read left to right and top to bottom, the caption
  comes first and the balloons follow in the order the lines are spoken (`reads_after` holds for every
  pair); within that, each goes where it costs least: off the figures (faces most of all), over quiet parts of the art, near and
  above their speaker;
- a tail runs from each balloon toward its speaker's head, or toward the nearer side when the
  speaker is not in the picture;
- when the text cannot all be placed, every balloon tries again a size smaller. Nothing is cut.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageDraw, ImageFilter

from app.models.schemas import DialogueLine
from app.services.drawing import fonts
from app.services.drawing.composition import Box, Figure, stage
from utils import slugify

INK = (33, 30, 42)
PAPER = (255, 255, 255)
CAPTION_FILL = (255, 240, 178)
MIN_SIZE = (640, 480)  # art smaller than this is enlarged before it is lettered
READABLE = 0.75  # the smallest size, as a share of the first that fits, taken to place balloons better
SPARE_FACES = 0.6  # how small the lettering may get, as a share of the largest, to keep off every face
SHRINK_COST = 1.2  # what one step of smaller lettering is worth against covering the art
NARRATORS = {"narrator", "narration", "caption", "storyteller"}
Point = tuple[float, float]


@dataclass(frozen=True)
class Line:
    text: str
    origin: Point  # drawn with anchor "ma": the middle of the line, at its ascender
    ink: Box  # the box its letters cover


@dataclass(frozen=True)
class Balloon:
    kind: Literal["speech", "caption"]
    speaker: str | None
    box: Box  # the oval's bounds, or the caption's rectangle
    tail: tuple[Point, ...]  # a triangle (base, tip, base); empty for captions
    lines: tuple[Line, ...]
    font: str
    size: int

    def holds(self, x: float, y: float) -> bool:
        """Whether the point is inside the balloon's outline (its oval, or its rectangle)."""
        x0, y0, x1, y1 = self.box
        if self.kind == "caption":
            return x0 <= x <= x1 and y0 <= y <= y1
        a, b = (x1 - x0) / 2, (y1 - y0) / 2
        return ((x - x0 - a) / a) ** 2 + ((y - y0 - b) / b) ** 2 <= 1.0 + 1e-9

    @property
    def text(self) -> str:
        return " ".join(line.text for line in self.lines)


@dataclass(frozen=True)
class Lettering:
    size: tuple[int, int]
    balloons: tuple[Balloon, ...]
    font_size: int  # the speech size used; captions are set a little smaller


# -- wrapping -----------------------------------------------------------------------------------------
# Scripts written without spaces (Chinese, Japanese) may break between any two characters.
_UNSPACED = r"\u2E80-\u9FFF\uF900-\uFAFF\uFF00-\uFFEF\u3000-\u303F"
_PIECE = re.compile(f"[{_UNSPACED}][\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]*|[^{_UNSPACED}]+")


def _pieces(text: str) -> list[tuple[str, bool]]:
    """The text as unbreakable pieces, each with whether a space comes before it."""
    pieces = []
    for word in text.split():
        for i, piece in enumerate(_PIECE.findall(word)):
            pieces.append((piece, i == 0))
    return pieces


def _split_long(piece: str, font: fonts.ImageFont.FreeTypeFont, width: float) -> list[str]:
    """A word wider than the line, broken between characters (never inside an accented letter)."""
    parts, current = [], ""
    for char in piece:
        if current and not unicodedata.combining(char) and font.getlength(current + char) > width:
            parts.append(current)
            current = ""
        current += char
    return [*parts, current] if current else parts


def wrap(text: str, font: fonts.ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Lines no wider than `width`, as even as that many lines can be (no lone last word)."""
    pieces: list[tuple[str, bool, float]] = []
    for piece, spaced in _pieces(text):
        parts = _split_long(piece, font, width) if font.getlength(piece) > width else [piece]
        pieces.extend((part, spaced and i == 0, font.getlength(part)) for i, part in enumerate(parts))
    space = font.getlength(" ")
    lines = _greedy(pieces, space, width)
    low, high = 1.0, width
    while high - low > 2:
        middle = (low + high) / 2
        if len(_greedy(pieces, space, middle)) <= len(lines):
            high = middle
        else:
            low = middle
    return [text for text, _ in _greedy(pieces, space, high)]


def _greedy(pieces: list[tuple[str, bool, float]], space: float, width: float) -> list[tuple[str, float]]:
    """Fill each line with as many pieces as fit (measured one by one: kerning across a space is
    left out, and the balloon is fitted to the real ink afterwards)."""
    lines: list[tuple[str, float]] = []
    for piece, spaced, length in pieces:
        if lines:
            text, used = lines[-1]
            joined = used + (space if spaced else 0.0) + length
            if joined <= width or (not spaced and length == 0):
                lines[-1] = (f"{text} {piece}" if spaced else text + piece, joined)
                continue
        lines.append((piece, length))
    return lines


# -- shapes -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Block:
    """Wrapped text measured around its own centre: each line's ink box relative to (0, 0)."""

    lines: tuple[str, ...]
    offsets: tuple[Point, ...]  # each line's origin relative to the centre
    inks: tuple[Box, ...]
    width: float
    height: float


def _block(lines: list[str], font: fonts.ImageFont.FreeTypeFont) -> _Block:
    ascent, descent = font.getmetrics()
    step = ascent + descent + round(font.size * 0.08)
    total = step * (len(lines) - 1) + ascent + descent
    offsets, inks = [], []
    for i, text in enumerate(lines):
        oy = -total / 2 + i * step
        x0, y0, x1, y1 = font.getbbox(text, anchor="ma")
        offsets.append((0.0, oy))
        inks.append((x0, oy + min(y0, 0), x1, oy + max(y1, ascent + descent)))
    width = max(ink[2] - ink[0] for ink in inks)
    height = max(ink[3] for ink in inks) - min(ink[1] for ink in inks)
    return _Block(tuple(lines), tuple(offsets), tuple(inks), width, height)


def _oval_for(block: _Block, pad: float) -> tuple[float, float]:
    """Semi-axes of the smallest oval, of the text block's own proportions, that holds every line's
    ink with `pad` to spare."""
    a0, b0 = block.width / 2 + pad, block.height / 2 + pad
    reach = max(
        ((max(abs(x0), abs(x1)) + pad) / a0) ** 2 + ((max(abs(y0), abs(y1)) + pad) / b0) ** 2
        for x0, y0, x1, y1 in block.inks
    )
    k = math.sqrt(max(reach, 1.0))
    a, b = a0 * k, b0 * k
    return max(a, b * 1.1), b  # never taller than wide: a balloon, not an egg


def _placed_lines(block: _Block, font_name: str, size: int, center: Point) -> tuple[Line, ...]:
    cx, cy = center
    return tuple(
        Line(text=text, origin=(cx + ox, cy + oy), ink=(cx + x0, cy + y0, cx + x1, cy + y1))
        for text, (ox, oy), (x0, y0, x1, y1) in zip(block.lines, block.offsets, block.inks, strict=False)
    )


# -- where balloons may go ---------------------------------------------------------------------------
class CostGrid:
    """What covering each part of the panel costs, summed over any box in constant time."""

    def __init__(self, size: tuple[int, int], cell: int, values: list[list[float]]) -> None:
        self.size, self.cell = size, cell
        rows, cols = len(values), len(values[0]) if values else 0
        self.sums = [[0.0] * (cols + 1) for _ in range(rows + 1)]
        for r in range(rows):
            running = 0.0
            above, here = self.sums[r], self.sums[r + 1]
            for c in range(cols):
                running += values[r][c]
                here[c + 1] = above[c + 1] + running
        self.rows, self.cols = rows, cols
        self.values = values

    def at(self, x: float, y: float) -> float:
        r, c = int(y // self.cell), int(x // self.cell)
        return self.values[r][c] if 0 <= r < self.rows and 0 <= c < self.cols else 0.0

    def total(self, box: Box) -> float:
        c0, r0 = max(0, int(box[0] // self.cell)), max(0, int(box[1] // self.cell))
        c1, r1 = min(self.cols, math.ceil(box[2] / self.cell)), min(self.rows, math.ceil(box[3] / self.cell))
        if c1 <= c0 or r1 <= r0:
            return 0.0
        s = self.sums
        return s[r1][c1] - s[r0][c1] - s[r1][c0] + s[r0][c0]


def cost_grid(art: Image.Image | None, size: tuple[int, int], figures: Sequence[Figure]) -> CostGrid:
    """Figures cost 3 a cell and their faces 8; busy art (edges) up to 0.6; plain sky nothing."""
    w, h = size
    cell = max(4, round(8 * min(w / 960, h / 720)))
    cols, rows = math.ceil(w / cell), math.ceil(h / cell)
    values = [[0.0] * cols for _ in range(rows)]
    if art is not None:
        edges = art.convert("L").filter(ImageFilter.FIND_EDGES).resize((cols, rows), Image.Resampling.BOX)
        data = edges.tobytes()
        for r in range(rows):
            for c in range(cols):
                values[r][c] = min(1.0, data[r * cols + c] / 40) * 0.6
    for figure in figures:
        for box, weight in ((figure.box, 3.0), (figure.head, 8.0)):
            for r in range(max(0, int(box[1] // cell)), min(rows, math.ceil(box[3] / cell))):
                for c in range(max(0, int(box[0] // cell)), min(cols, math.ceil(box[2] / cell))):
                    values[r][c] = max(values[r][c], weight)
    return CostGrid(size, cell, values)


def _overlaps(a: Box, b: Box, gap: float) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def reads_after(box: Box, before: Box) -> bool:
    """Whether a reader, going left to right and top to bottom, meets `box` after `before`: it starts
    below `before`'s bottom, or it is level with it (their heights overlap) and wholly to its right,
    starting no higher than a quarter of `before`'s height above it (higher than that, it is met first)."""
    if box[1] >= before[3]:
        return True
    return box[0] >= before[2] and box[1] >= before[1] - 0.25 * (before[3] - before[1])


# -- the plan ------------------------------------------------------------------------------------------
@dataclass
class _Setting:
    size: tuple[int, int]
    unit: float
    grid: CostGrid
    figures: dict[str, Figure]

    @property
    def margin(self) -> float:
        return 12 * self.unit


def _caption(text: str, size: int, setting: _Setting) -> Balloon | None:
    w, h = setting.size
    name = fonts.face_for(text)
    font = fonts.load(name, size)
    pad = max(6.0, 0.45 * size)
    block = _block(wrap(text, font, 0.62 * w - 2 * pad), font)
    box = (
        setting.margin,
        setting.margin,
        setting.margin + block.width + 2 * pad,
        setting.margin + block.height + 2 * pad,
    )
    if box[2] > w - setting.margin or box[3] > 0.34 * h:
        return None
    top_of_text = min(ink[1] for ink in block.inks)
    center = ((box[0] + box[2]) / 2, box[1] + pad - top_of_text)
    return Balloon(
        kind="caption",
        speaker=None,
        box=box,
        tail=(),
        lines=_placed_lines(block, name, size, center),
        font=name,
        size=size,
    )


def _tail(box: Box, target: Point, setting: _Setting) -> tuple[Point, ...]:
    """A triangle from the oval's edge to `target`."""
    x0, y0, x1, y1 = box
    a, b = (x1 - x0) / 2, (y1 - y0) / 2
    cx, cy = x0 + a, y0 + b
    dx, dy = target[0] - cx, target[1] - cy
    if ((dx / a) ** 2 + (dy / b) ** 2) <= 1.0:
        return ()
    phi = math.atan2(dy / b, dx / a)
    half_width = max(6 * setting.unit, min(0.3 * min(a, b), 20 * setting.unit))
    spread = half_width / max(math.hypot(a * math.sin(phi), b * math.cos(phi)), 1e-6)
    base = [(cx + 0.88 * a * math.cos(phi + s), cy + 0.88 * b * math.sin(phi + s)) for s in (spread, -spread)]
    return (base[0], target, base[1])


def _target(speaker: str, box: Box, setting: _Setting) -> Point:
    """Just above the speaker's head; for a speaker not in the picture, the nearer side of the panel."""
    w, h = setting.size
    figure = setting.figures.get(slugify(speaker))
    inset = setting.margin / 2
    if figure is not None:
        x, y = figure.mouth
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        if cy > y:  # a balloon below the head points at the figure's nearer side, not through it
            fx0, fy0, fx1, fy1 = figure.box
            side = fx0 - 8 * setting.unit if cx < figure.cx else fx1 + 8 * setting.unit
            return min(max(side, inset), w - inset), min(max(cy, fy0 + 0.3 * (fy1 - fy0)), fy1)
        return x, min(max(y - 6 * setting.unit, inset), h - inset)
    cx = (box[0] + box[2]) / 2
    return (inset if cx < w / 2 else w - inset), min((box[1] + box[3]) / 2 + 0.3 * (box[3] - box[1]), h - inset)


def _tail_points(tail: tuple[Point, ...]) -> list[Point]:
    if not tail:
        return []
    (bx0, by0), tip, (bx1, by1) = tail
    base = ((bx0 + bx1) / 2, (by0 + by1) / 2)
    return [(base[0] + (tip[0] - base[0]) * t / 6, base[1] + (tip[1] - base[1]) * t / 6) for t in range(1, 7)]


def _cost(box: Box, speaker: str, setting: _Setting) -> float:
    """What placing a balloon here costs: the figures and busy art it covers, how far it is from its
    speaker (above them is best), what its tail would cross, and a little for being low down."""
    w, h = setting.size
    area = setting.grid.cell**2
    # The oval covers about the middle 80% of its box.
    x0, y0, x1, y1 = box
    ix, iy = 0.1 * (x1 - x0), 0.1 * (y1 - y0)
    covered = setting.grid.total((x0 + ix, y0 + iy, x1 - ix, y1 - iy)) * area / (w * h)
    cost = 20 * covered + 0.3 * y0 / h
    figure = setting.figures.get(slugify(speaker))
    if figure is not None:
        tx, ty = figure.mouth
        cx = (x0 + x1) / 2
        cost += 2.5 * abs(cx - tx) / w + 1.0 * max(0.0, y1 - ty) / h + 0.6 * max(0.0, ty - y1 - 0.12 * h) / h
        cy = (y0 + y1) / 2
        crossed = sum(setting.grid.at(cx + (tx - cx) * t / 8, cy + (ty - cy) * t / 8) for t in range(3, 8))
        cost += 0.2 * crossed
    return cost


def _speech(
    speaker: str,
    text: str,
    size: int,
    setting: _Setting,
    placed: list[Balloon],
    avoid: list[Point],
    *,
    spare_faces: bool,
) -> tuple[Balloon, float] | None:
    w, h = setting.size
    name = fonts.face_for(text, bold=True)
    font = fonts.load(name, size)
    pad = max(5.0, 0.4 * size)
    gap, margin = 6 * setting.unit, setting.margin
    shapes: dict[tuple[str, ...], tuple[_Block, float, float]] = {}
    for share in (0.2, 0.27, 0.35, 0.45, 0.6):
        block = _block(wrap(text, font, share * w), font)
        a, b = _oval_for(block, pad)
        if 2 * a <= w - 2 * margin and 2 * b <= 0.62 * h:
            shapes.setdefault(block.lines, (block, a, b))

    def price(x: float, y: float, bw: float, bh: float) -> float | None:
        """What a balloon at (x, y) costs, or None where it may not go."""
        box = (x, y, x + bw, y + bh)
        if x < margin or y < margin or box[2] > w - margin or box[3] > h - margin:
            return None
        if any(_overlaps(box, other.box, gap) for other in placed):
            return None
        if not all(reads_after(box, earlier.box) for earlier in placed):
            return None  # reading order is never traded away: the caption, then the lines as spoken
        if spare_faces and any(_overlaps(box, figure.head, 0) for figure in setting.figures.values()):
            return None
        cost = (
            _cost(box, speaker, setting) + 0.15 * (bw * bh) / (w * h) + 0.15 * max(0.0, bw / bh - 2.6)
        )  # a long flat oval reads badly
        if any(box[0] <= px <= box[2] and box[1] <= py <= box[3] for px, py in avoid):
            cost += 3.0  # it would hide an earlier balloon's tail
        return cost

    # A coarse sweep of the panel for each shape, then a finer look around the best spot found.
    best: tuple[float, Box, _Block] | None = None
    step_x, step_y = max(6.0, w / 24), max(6.0, h / 18)
    for block, a, b in shapes.values():
        bw, bh = 2 * a, 2 * b
        xs = [margin + i * step_x for i in range(int((w - 2 * margin - bw) // step_x) + 1)] + [w - margin - bw]
        ys = [margin + j * step_y for j in range(int((h - 2 * margin - bh) // step_y) + 1)] + [h - margin - bh]
        spots = [(x, y) for y in ys for x in xs]
        found = [(cost, x, y) for x, y in spots if (cost := price(x, y, bw, bh)) is not None]
        if not found:
            continue
        cost, x, y = min(found)
        for dx in (-2, -1, 0, 1, 2):
            for dy in (-2, -1, 0, 1, 2):
                nx, ny = x + dx * step_x / 3, y + dy * step_y / 3
                finer = price(nx, ny, bw, bh)
                if finer is not None and finer < cost:
                    cost, x, y = finer, nx, ny
        if best is None or cost < best[0]:
            best = (cost, (x, y, x + bw, y + bh), block)
    if best is None:
        return None
    cost, box, block = best
    center = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
    balloon = Balloon(
        kind="speech",
        speaker=speaker,
        box=box,
        tail=_tail(box, _target(speaker, box, setting), setting),
        lines=_placed_lines(block, name, size, center),
        font=name,
        size=size,
    )
    return balloon, cost


def _attempt(
    size: int, narration: str, speech: list[DialogueLine], setting: _Setting, *, spare_faces: bool
) -> tuple[list[Balloon], float] | None:
    """Every balloon at this size, and what they cost together; None when they do not all fit."""
    placed: list[Balloon] = []
    total = 0.0
    if narration:
        caption = _caption(narration, max(6, round(size * 0.85)), setting)
        if caption is None:
            return None
        placed.append(caption)
    avoid: list[Point] = []
    for line in speech:
        found = _speech(line.speaker, line.text, size, setting, placed, avoid, spare_faces=spare_faces)
        if found is None:
            return None
        balloon, cost = found
        placed.append(balloon)
        total += cost
        avoid.extend(_tail_points(balloon.tail))
    return placed, total


def plan_lettering(
    *,
    size: tuple[int, int],
    narration: str | None,
    dialogue: Sequence[DialogueLine],
    cast: Sequence[str],
    art: Image.Image | None = None,
) -> Lettering:
    """Where every caption, balloon, tail and line of text goes on a panel of this size."""
    w, h = size
    unit = min(w / 960, h / 720)
    figures = stage(list(cast), size)
    narrated = [line.text for line in dialogue if slugify(line.speaker) in NARRATORS]
    speech = [line for line in dialogue if slugify(line.speaker) not in NARRATORS]
    caption = " ".join(part for part in [(narration or "").strip(), *narrated] if part)
    setting = _Setting(
        size=size, unit=unit, grid=cost_grid(art, size, figures), figures={slugify(f.name): f for f in figures}
    )
    largest = max(8, round(30 * unit))
    sizes = sorted({max(6, round(largest * 0.88**i)) for i in range(30)}, reverse=True)
    # Always in reading order (see reads_after). First clear of every face, at sizes down to SPARE_FACES
    # of the largest; then over faces if need be. Within a pass, the largest size that fits may crowd the
    # figures: a size or two smaller (down to READABLE of the first that fits) is taken when it places
    # the balloons enough better.
    for spare_faces, smallest in ((True, SPARE_FACES), (False, 0.0)):
        best: tuple[float, int, list[Balloon]] | None = None
        for font_size in sizes:
            if font_size < largest * smallest or (best is not None and font_size < best[1] * READABLE):
                break
            found = _attempt(font_size, caption, speech, setting, spare_faces=spare_faces)
            if found is None:
                continue
            balloons, cost = found
            score = cost + SHRINK_COST * (largest / font_size - 1)
            if best is None or score < best[0]:
                best = (score, font_size, balloons)
        if best is not None:
            return Lettering(size=size, balloons=tuple(best[2]), font_size=best[1])
    raise ValueError(f"{len(speech)} balloon(s) and a caption of {len(caption)} characters cannot fit a {w}x{h} panel")


# -- painting ------------------------------------------------------------------------------------------
def _shrunk_triangle(points: tuple[Point, ...], by: float) -> list[Point]:
    """The triangle moved in by `by` on every side (towards its incentre)."""
    (ax, ay), (bx, by_), (cx, cy) = points
    la, lb, lc = math.dist((bx, by_), (cx, cy)), math.dist((ax, ay), (cx, cy)), math.dist((ax, ay), (bx, by_))
    perimeter = la + lb + lc
    if perimeter <= 0:
        return list(points)
    ix, iy = (la * ax + lb * bx + lc * cx) / perimeter, (la * ay + lb * by_ + lc * cy) / perimeter
    area = abs((bx - ax) * (cy - ay) - (cx - ax) * (by_ - ay)) / 2
    radius = 2 * area / perimeter
    keep = max(0.0, (radius - by) / radius) if radius > 0 else 0.0
    return [(ix + (px - ix) * keep, iy + (py - iy) * keep) for px, py in points]


def draw_lettering(img: Image.Image, lettering: Lettering) -> None:
    draw = ImageDraw.Draw(img)
    unit = min(img.width / 960, img.height / 720)
    outline = max(2, round(3 * unit))
    for balloon in lettering.balloons:
        x0, y0, x1, y1 = balloon.box
        if balloon.kind == "caption":
            draw.rectangle(balloon.box, fill=CAPTION_FILL, outline=INK, width=outline)
        else:
            # Ink first (the oval and its tail as one solid shape), then the white insides over it,
            # so the tail joins the oval with no line across the join.
            if balloon.tail:
                draw.polygon(balloon.tail, fill=INK)
            draw.ellipse(balloon.box, fill=INK)
            draw.ellipse((x0 + outline, y0 + outline, x1 - outline, y1 - outline), fill=PAPER)
            if balloon.tail:
                draw.polygon(_shrunk_triangle(balloon.tail, outline * 1.2), fill=PAPER)
        font = fonts.load(balloon.font, balloon.size)
        for line in balloon.lines:
            draw.text(line.origin, line.text, font=font, fill=INK, anchor="ma")


def frame(img: Image.Image) -> None:
    """The panel's ink border."""
    width = max(3, round(6 * min(img.width / 960, img.height / 720)))
    ImageDraw.Draw(img).rectangle((0, 0, img.width - 1, img.height - 1), outline=INK, width=width)


def letter_panel(
    art: bytes, *, narration: str | None, dialogue: Sequence[DialogueLine], cast: Sequence[str]
) -> tuple[bytes, Lettering]:
    """The art with its lettering and border, as a PNG, and the plan it was lettered from."""
    with Image.open(io.BytesIO(art)) as opened:
        img = opened.convert("RGB")
    grow = max(MIN_SIZE[0] / img.width, MIN_SIZE[1] / img.height)
    if grow > 1:  # too small for legible letters: the art is enlarged, never the text squeezed
        img = img.resize((round(img.width * grow), round(img.height * grow)), Image.Resampling.LANCZOS)
    lettering = plan_lettering(size=img.size, narration=narration, dialogue=dialogue, cast=cast, art=img)
    draw_lettering(img, lettering)
    frame(img)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue(), lettering
