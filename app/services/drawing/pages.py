"""Comic pages: lettered panels laid out in reading order on A4 pages (150 dpi) from a few grid
templates, with gutters, a title on the first page and page numbers; and the files made of them.

A template is the number of panels in each row, top to bottom; within a row panels read left to
right. A row's panels share its width, keep their own proportions (so nothing is cropped, balloons
included), and the rows are scaled together to fit the page.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree

from PIL import Image, ImageDraw

from app.services.drawing import fonts
from app.services.drawing.lettering import INK
from utils import parse_age_group

DPI = 150
PAGE_SIZE = (1240, 1754)  # A4 at 150 dpi
MARGIN = 60
GUTTER = 28
TITLE_HEIGHT = 230
FOOTER = 50
PAPER = (255, 253, 247)
TITLE_FILL = (255, 196, 61)
FIRST_PAGE, PER_PAGE = 3, 4  # panels: the title shares the first page
# Rows (panels in each) for a page of n panels.
TEMPLATES: dict[int, tuple[int, ...]] = {1: (1,), 2: (1, 1), 3: (1, 2), 4: (2, 2), 5: (1, 2, 2), 6: (2, 2, 2)}
# Tall panels read better side by side.
TALL_TEMPLATES: dict[int, tuple[int, ...]] = {1: (1,), 2: (2,), 3: (3,), 4: (2, 2), 5: (2, 3), 6: (3, 3)}


@dataclass(frozen=True)
class PagePlan:
    panels: tuple[int, ...]  # indexes into the comic's panels, in reading order
    rows: tuple[int, ...]


def paginate(count: int, *, tall: bool = False) -> list[PagePlan]:
    """Which panels go on which page, and each page's template. A last page of a single panel borrows
    one from the page before, so no page is left with one small panel at its top."""
    sizes: list[int] = []
    left = count
    while left > 0:
        take = min(left, FIRST_PAGE if not sizes else PER_PAGE)
        sizes.append(take)
        left -= take
    if len(sizes) > 1 and sizes[-1] == 1 and sizes[-2] > 2:
        sizes[-2] -= 1
        sizes[-1] += 1
    plans, start = [], 0
    templates = TALL_TEMPLATES if tall else TEMPLATES
    for size in sizes:
        plans.append(PagePlan(panels=tuple(range(start, start + size)), rows=templates[size]))
        start += size
    return plans


def _fit_rows(
    rows: Sequence[Sequence[Image.Image]], box: tuple[int, int, int, int]
) -> list[list[tuple[int, int, int, int]]]:
    """Where each panel goes: rows filling the box's width, all scaled to fit its height."""
    x0, y0, x1, y1 = box
    width = x1 - x0
    natural: list[tuple[float, list[float]]] = []  # each row: its height and its panels' widths
    for row in rows:
        ratios = [img.width / img.height for img in row]
        usable = width - GUTTER * (len(row) - 1)
        height = usable / sum(ratios)
        natural.append((height, [height * r for r in ratios]))
    total = sum(h for h, _ in natural) + GUTTER * (len(rows) - 1)
    scale = min(1.0, (y1 - y0) / total)
    placed, y = [], y0 + ((y1 - y0) - total * scale) / 2
    for height, widths in natural:
        row_width = sum(widths) * scale + GUTTER * (len(widths) - 1)
        x = x0 + (width - row_width) / 2
        boxes = []
        for w in widths:
            boxes.append((int(x), int(y), min(int(x + w * scale), x1), min(int(y + height * scale), y1)))
            x += w * scale + GUTTER
        placed.append(boxes)
        y += height * scale + GUTTER
    return placed


def _title(page: Image.Image, title: str, subtitle: str) -> None:
    draw = ImageDraw.Draw(page)
    box = (MARGIN, MARGIN, page.width - MARGIN, MARGIN + TITLE_HEIGHT - GUTTER)
    draw.rounded_rectangle(box, radius=36, fill=TITLE_FILL, outline=INK, width=6)
    face = fonts.face_for(title, bold=True)
    size = 96
    while size > 28 and fonts.load(face, size).getlength(title) > box[2] - box[0] - 80:
        size -= 4
    center = ((box[0] + box[2]) / 2, box[1] + (box[3] - box[1]) * 0.42)
    draw.text(
        center, title, font=fonts.load(face, size), fill=(255, 255, 255), anchor="mm", stroke_width=6, stroke_fill=INK
    )
    sub_face = fonts.face_for(subtitle)
    draw.text(((box[0] + box[2]) / 2, box[3] - 34), subtitle, font=fonts.load(sub_face, 34), fill=INK, anchor="mm")


def compose_pages(*, title: str, subtitle: str, panels: Sequence[bytes]) -> list[Image.Image]:
    """The comic's pages, each an RGB image of PAGE_SIZE."""
    images = []
    for data in panels:
        with Image.open(io.BytesIO(data)) as opened:
            images.append(opened.convert("RGB"))
    tall = bool(images) and sum(img.height > img.width for img in images) > len(images) / 2
    pages = []
    for number, plan in enumerate(paginate(len(images), tall=tall), start=1):
        page = Image.new("RGB", PAGE_SIZE, PAPER)
        top = MARGIN
        if number == 1:
            _title(page, title, subtitle)
            top += TITLE_HEIGHT
        rows, start = [], 0
        for count in plan.rows:
            rows.append([images[i] for i in plan.panels[start : start + count]])
            start += count
        for row, boxes in zip(
            rows, _fit_rows(rows, (MARGIN, top, PAGE_SIZE[0] - MARGIN, PAGE_SIZE[1] - MARGIN - FOOTER)), strict=False
        ):
            for img, (x0, y0, x1, y1) in zip(row, boxes, strict=False):
                page.paste(img.resize((x1 - x0, y1 - y0), Image.Resampling.LANCZOS), (x0, y0))
        ImageDraw.Draw(page).text(
            (PAGE_SIZE[0] / 2, PAGE_SIZE[1] - MARGIN / 2 - FOOTER / 2),
            str(number),
            font=fonts.load(fonts.COMIC_BOLD, 32),
            fill=INK,
            anchor="mm",
        )
        pages.append(page)
    return pages


# -- files -----------------------------------------------------------------------------------------
def png_bytes(page: Image.Image) -> bytes:
    buffer = io.BytesIO()
    page.save(buffer, format="PNG", dpi=(DPI, DPI), compress_level=6)
    return buffer.getvalue()


def pdf_bytes(pages: Sequence[Image.Image], *, title: str, subject: str, created: datetime) -> bytes:
    """One PDF page per comic page, at its print size (A4)."""
    buffer = io.BytesIO()
    first, *rest = pages
    first.save(
        buffer,
        format="PDF",
        save_all=True,
        append_images=rest,
        resolution=float(DPI),
        quality=92,
        title=title,
        subject=subject,
        author="Fable Tales",
        creator="Fable Tales comic backend",
        creationDate=created.utctimetuple(),
        modDate=created.utctimetuple(),
    )
    return buffer.getvalue()


@dataclass(frozen=True)
class ComicInfo:
    """What ComicInfo.xml (the Anansi Project's v2.0 schema) says about the comic."""

    title: str
    summary: str
    characters: Sequence[str]
    age_rating: str
    created: datetime
    language: str = "en"


def age_rating(age_group: str) -> str:
    """ComicInfo's rating for a reader age range like "5-12"."""
    try:
        youngest, oldest = parse_age_group(age_group)
    except ValueError:
        return "Unknown"
    if oldest <= 6:
        return "Early Childhood"
    if youngest >= 13:
        return "Teen"
    if youngest >= 10:
        return "Everyone 10+"
    return "Everyone"


def comic_info_xml(info: ComicInfo, pages: Sequence[tuple[bytes, Image.Image]]) -> bytes:
    """The elements in the order the schema's sequence requires."""
    root = ElementTree.Element(
        "ComicInfo",
        {"xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance", "xmlns:xsd": "http://www.w3.org/2001/XMLSchema"},
    )

    def add(name: str, value: object) -> None:
        ElementTree.SubElement(root, name).text = str(value)

    add("Title", info.title)
    add("Summary", info.summary)
    add("Year", info.created.year)
    add("Month", info.created.month)
    add("Day", info.created.day)
    add("Writer", "Fable Tales")
    add("Letterer", "Fable Tales")
    add("Publisher", "Fable Tales")
    add("Genre", "Children, Education")
    add("PageCount", len(pages))
    add("LanguageISO", info.language)
    add("BlackAndWhite", "No")
    add("Manga", "No")
    if info.characters:
        add("Characters", ", ".join(info.characters))
    add("AgeRating", info.age_rating)
    listing = ElementTree.SubElement(root, "Pages")
    for index, (data, page) in enumerate(pages):
        ElementTree.SubElement(
            listing,
            "Page",
            {
                "Image": str(index),
                "Type": "FrontCover" if index == 0 else "Story",
                "ImageSize": str(len(data)),
                "ImageWidth": str(page.width),
                "ImageHeight": str(page.height),
            },
        )
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def cbz_bytes(pages: Sequence[Image.Image], *, info: ComicInfo) -> bytes:
    """A comic book archive: the pages as 001.png, 002.png... in reading order, and ComicInfo.xml."""
    encoded = [(png_bytes(page), page) for page in pages]
    stamp = info.created.timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number, (data, _) in enumerate(encoded, start=1):
            archive.writestr(
                zipfile.ZipInfo(f"{number:03d}.png", date_time=stamp), data, compress_type=zipfile.ZIP_STORED
            )  # PNGs are compressed already
        archive.writestr(
            zipfile.ZipInfo("ComicInfo.xml", date_time=stamp),
            comic_info_xml(info, encoded),
            compress_type=zipfile.ZIP_DEFLATED,
        )
    return buffer.getvalue()
