"""The letterer: every line of text stays inside its balloon, every balloon inside the panel, nothing
is dropped, and the balloons keep off the characters' faces."""

from __future__ import annotations

import io
import math

import pytest
from PIL import Image, ImageChops, ImageDraw

from app.models.schemas import DialogueLine, Panel, Scene
from app.services.drawing import fonts
from app.services.comics.catalog import catalog
from app.services.drawing.composition import stage
from app.services.drawing.lettering import Balloon, Lettering, letter_panel, plan_lettering, wrap
from app.services.providers.offline_art import draw_panel

CAST = {c.name: c for c in catalog()}
LONG = (
    "Remember, when the traffic light is red we always wait on the pavement, even if the road looks "
    "empty and our friends are already on the other side waving at us to hurry up and join them. "
) * 2
VERY_LONG = ("Safety first, every single time, for everyone we love. " * 11)[:600]

CASES = {
    "short": [("Max", "Hi!"), ("Sunny", "Hello!")],
    "story": [
        ("Sunny", "Can I run and get my ball?"),
        ("Captain Mira", "Stop! Look left and right. Then listen."),
        ("Sunny", "We stop, look and listen before we cross."),
    ],
    "long": [("Max", LONG), ("Sunny", "Yes!"), ("Max", LONG)],
    "very long": [("Max", VERY_LONG), ("Sunny", VERY_LONG), ("Max", VERY_LONG)],
    "chinese": [
        ("Max", "你好，我们今天学习安全知识。过马路之前，先停下来，看看左边，再看看右边，然后仔细听一听。"),
        ("Sunny", "好的！"),
    ],
    "arabic": [("Sunny", "مرحبا! هل أنت مستعد للعب بأمان في الحديقة اليوم؟"), ("Max", "نعم، هيا بنا!")],
    "mixed": [
        ("Max", "Привет! Γειά σου! ¡Hola, señora Müller!"),
        ("Narrator", "Later that day..."),
        ("Sunny", "こんにちは、げんきですか？"),
    ],
    "unbroken": [("Max", "Supercalifragilisticexpialidocious" * 6)],
}
SIZES = [(960, 720), (1440, 1080), (1024, 768), (768, 1024)]


def dialogue(case: str) -> list[DialogueLine]:
    return [DialogueLine(speaker=s, text=t) for s, t in CASES[case]]


def speakers(case: str) -> list[str]:
    return list(dict.fromkeys(s for s, _ in CASES[case] if s in CAST))


def art(case: str, size: tuple[int, int]) -> bytes:
    names = speakers(case)
    panel = Panel(scene_id="s1", title="t", description="In the park.", characters=names, dialogue=dialogue(case))
    scene = Scene(scene_id="s1", title="t", description="In the park.", learning_point="x", setting="park")
    png = draw_panel(panel=panel, scene=scene, cast=[CAST[n] for n in names], style="cartoon")
    with Image.open(io.BytesIO(png)) as img:
        out = io.BytesIO()
        img.resize(size).save(out, format="PNG")
    return out.getvalue()


def corners(box: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    x0, y0, x1, y1 = box
    return [(x0, y0), (x1, y0), (x0, y1), (x1, y1)]


def inside(box: tuple[float, float, float, float], size: tuple[int, int]) -> bool:
    return 0 <= box[0] <= box[2] <= size[0] and 0 <= box[1] <= box[3] <= size[1]


def squashed(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize(
    ("case", "size"),
    [(case, (960, 720)) for case in CASES]
    + [(case, size) for case in ("story", "very long", "chinese") for size in SIZES[1:]],
    ids=lambda v: f"{v[0]}x{v[1]}" if isinstance(v, tuple) else v,
)
def test_text_stays_inside_its_balloon_and_the_balloons_inside_the_panel(case: str, size: tuple[int, int]) -> None:
    png, lettering = letter_panel(
        art(case, size), narration="In the park, the friends meet.", dialogue=dialogue(case), cast=speakers(case)
    )
    assert Image.open(io.BytesIO(png)).size == size
    for balloon in lettering.balloons:
        assert inside(balloon.box, size), balloon.box
        for point in balloon.tail:
            assert 0 <= point[0] <= size[0] and 0 <= point[1] <= size[1]
        for line in balloon.lines:
            assert inside(line.ink, size)
            for corner in corners(line.ink):
                assert balloon.holds(*corner), (case, line.text, corner, balloon.box)
    boxes = [b.box for b in lettering.balloons]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], "balloons overlap"


@pytest.mark.parametrize("case", list(CASES))
def test_nothing_is_dropped_and_balloons_come_in_speaking_order(case: str) -> None:
    lettering = plan_lettering(
        size=(960, 720), narration="Once upon a time.", dialogue=dialogue(case), cast=speakers(case)
    )
    speech = [b for b in lettering.balloons if b.kind == "speech"]
    spoken = [(s, t) for s, t in CASES[case] if s != "Narrator"]
    assert [(b.speaker, squashed("".join(line.text for line in b.lines))) for b in speech] == [
        (s, squashed(t)) for s, t in spoken
    ]
    captions = [b for b in lettering.balloons if b.kind == "caption"]
    narrated = " ".join(["Once upon a time.", *[t for s, t in CASES[case] if s == "Narrator"]])
    assert [squashed("".join(line.text for line in c.lines)) for c in captions] == [squashed(narrated)]


def test_the_measured_ink_is_where_the_letters_are_drawn() -> None:
    """Each line's recorded ink box holds every pixel its letters paint, so the checks above are about
    the drawn text, not an estimate of it."""
    lettering = plan_lettering(size=(960, 720), narration="Later...", dialogue=dialogue("mixed"), cast=["Max", "Sunny"])
    for balloon in lettering.balloons:
        font = fonts.load(balloon.font, balloon.size)
        for line in balloon.lines:
            canvas = Image.new("L", (960, 720), 0)
            ImageDraw.Draw(canvas).text(line.origin, line.text, font=font, fill=255, anchor="ma")
            x0, y0, x1, y1 = canvas.getbbox()
            ix0, iy0, ix1, iy1 = line.ink
            assert ix0 - 1 <= x0 and iy0 - 1 <= y0 and x1 <= ix1 + 1 and y1 <= iy1 + 1, (
                line.text,
                (x0, y0, x1, y1),
                line.ink,
            )


def in_tail(balloon: Balloon, x: float, y: float) -> bool:
    """Inside the tail's triangle, or within 2 px of its edges (where pixels round to)."""
    if not balloon.tail:
        return False
    (ax, ay), (bx, by), (cx, cy) = balloon.tail
    d1 = (x - bx) * (ay - by) - (ax - bx) * (y - by)
    d2 = (x - cx) * (by - cy) - (bx - cx) * (y - cy)
    d3 = (x - ax) * (cy - ay) - (cx - ax) * (y - ay)
    if not ((d1 < 0 or d2 < 0 or d3 < 0) and (d1 > 0 or d2 > 0 or d3 > 0)):
        return True
    return any(
        _to_segment((x, y), p, q) <= 2.0 for p, q in (((ax, ay), (bx, by)), ((bx, by), (cx, cy)), ((cx, cy), (ax, ay)))
    )


def _to_segment(point, p, q) -> float:
    (x, y), (px, py), (qx, qy) = point, p, q
    length = (qx - px) ** 2 + (qy - py) ** 2
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((x - px) * (qx - px) + (y - py) * (qy - py)) / length))
    return math.hypot(x - (px + t * (qx - px)), y - (py + t * (qy - py)))


@pytest.mark.parametrize("case", ["story", "long", "chinese", "arabic"])
def test_nothing_painted_outside_the_balloons_their_tails_and_the_border(case: str) -> None:
    plain = Image.new("RGB", (960, 720), (40, 160, 90))
    buffer = io.BytesIO()
    plain.save(buffer, format="PNG")
    png, lettering = letter_panel(
        buffer.getvalue(), narration="Meanwhile, in the park.", dialogue=dialogue(case), cast=speakers(case)
    )
    changed = ImageChops.difference(Image.open(io.BytesIO(png)).convert("RGB"), plain).convert("L")
    border = 8
    stray = []
    for y in range(border, 720 - border, 3):
        for x in range(border, 960 - border, 3):
            if changed.getpixel((x, y)) > 8 and not any(
                b.holds(x, y) or in_tail(b, x, y) or _near_outline(b, x, y) for b in lettering.balloons
            ):
                stray.append((x, y))
    assert not stray, f"{len(stray)} painted pixels outside any balloon, e.g. {stray[:5]}"


def _near_outline(balloon: Balloon, x: float, y: float) -> bool:
    """Anti-aliasing of an oval's edge falls a pixel or so outside the exact oval."""
    x0, y0, x1, y1 = balloon.box
    grown = Balloon(
        kind=balloon.kind,
        speaker=None,
        box=(x0 - 2, y0 - 2, x1 + 2, y1 + 2),
        tail=(),
        lines=(),
        font=balloon.font,
        size=balloon.size,
    )
    return grown.holds(x, y)


def test_balloons_keep_off_the_faces_when_there_is_room() -> None:
    cast = ["Max", "Sunny"]
    for case in ("short", "story"):
        lettering = plan_lettering(
            size=(960, 720),
            narration="In the park.",
            dialogue=dialogue(case),
            cast=cast,
            art=Image.open(io.BytesIO(art(case, (960, 720)))),
        )
        heads = [f.head for f in stage(speakers(case), (960, 720))]
        for balloon in lettering.balloons:
            for head in heads:
                overlap_w = min(balloon.box[2], head[2]) - max(balloon.box[0], head[0])
                overlap_h = min(balloon.box[3], head[3]) - max(balloon.box[1], head[1])
                assert overlap_w <= 0 or overlap_h <= 0, (case, balloon.text, head)


def test_each_tail_points_at_its_speaker() -> None:
    lettering: Lettering = plan_lettering(
        size=(960, 720), narration=None, dialogue=dialogue("story"), cast=["Sunny", "Captain Mira"]
    )
    figures = {f.name: f for f in stage(["Sunny", "Captain Mira"], (960, 720))}
    for balloon in lettering.balloons:
        tip = balloon.tail[1]
        mine = figures[balloon.speaker]
        other = next(f for name, f in figures.items() if name != balloon.speaker)
        assert abs(tip[0] - mine.cx) < abs(tip[0] - other.cx), (balloon.speaker, tip)


def test_fonts_the_comic_face_first_and_a_fallback_that_has_the_letters() -> None:
    assert fonts.face_for("Stop, look and listen!") == fonts.COMIC
    assert fonts.face_for("Stop!", bold=True) == fonts.COMIC_BOLD
    assert fonts.face_for("مرحبا") == "DejaVuSans.ttf"
    assert fonts.face_for("Привет") == "DejaVuSans.ttf"
    assert fonts.face_for("你好") == "DroidSansFallbackFull.ttf"
    for text in ("Stop, look and listen!", "مرحبا", "你好", "Привет"):
        assert {ord(c) for c in text} <= fonts.coverage(fonts.face_for(text))


def test_wrapping_breaks_chinese_between_characters_and_long_words_anywhere() -> None:
    font = fonts.load(fonts.face_for("你好"), 24)
    lines = wrap("你好，我们今天学习安全知识。过马路之前，先停下来。", font, 120)
    assert len(lines) > 1 and all(font.getlength(line) <= 121 for line in lines)
    assert "".join(lines) == "你好，我们今天学习安全知识。过马路之前，先停下来。"
    latin = fonts.load(fonts.COMIC, 24)
    word = "Supercalifragilisticexpialidocious" * 2
    parts = wrap(word, latin, 150)
    assert "".join(parts) == word and all(latin.getlength(p) <= 151 for p in parts)
    even = wrap("We stop, look and listen before we cross the road.", latin, 420)
    assert len(even) == 2 and abs(latin.getlength(even[0]) - latin.getlength(even[1])) < 120
