"""Where the cast stands in a panel, shared by the offline artist (which draws them there) and the
letterer (which keeps balloons off them and points tails at their heads).

Positions are fractions of the panel, so the same staging serves any image model's size. The fal.ai
prompt asks for the cast from left to right in the panel's order, which is this staging too.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_SHOWN = 4
GROUND = 0.72  # the ground line, as a share of the height
FEET = GROUND + 60 / 720  # where the figures stand, a little in front of the ground line
FIGURE_HEIGHT = 325 / 720  # a full-size figure, ears and antennae included, as a share of the height

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Figure:
    name: str
    cx: float
    base: float
    scale: float  # 1.0 draws a figure 720 px tall panels are made for
    box: Box  # the whole figure
    head: Box  # the face: what a balloon must never hide

    @property
    def mouth(self) -> tuple[float, float]:
        """Where a speech tail points: just above the head."""
        return self.cx, self.head[1]


def stage(names: list[str], size: tuple[int, int]) -> list[Figure]:
    """The figures of up to MAX_SHOWN characters, spread evenly from left to right."""
    shown = names[:MAX_SHOWN]
    width, height = size
    scale = (1.0 if len(shown) <= 2 else 0.8) * height / 720
    figures = []
    for i, name in enumerate(shown):
        cx = width * (i + 1) / (len(shown) + 1)
        base = height * FEET
        top = base - FIGURE_HEIGHT * 720 * scale
        half = 90 * scale
        figures.append(
            Figure(
                name=name,
                cx=cx,
                base=base,
                scale=scale,
                box=(cx - half, top, cx + half, base),
                head=(cx - 62 * scale, top, cx + 62 * scale, top + 140 * scale),
            )
        )
    return figures
