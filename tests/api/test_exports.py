"""Exports: the PDF opens with a page per comic page, the CBZ's ComicInfo.xml validates against the
ComicInfo v2.0 schema, the PNG is the first page; pages hold every panel once, in reading order."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import xmlschema
from fastapi import FastAPI
from PIL import Image
from pypdf import PdfReader

from app.services.drawing import pages
from tests.conftest import finished_comic, services

API = "/api/v1"
SCHEMA = xmlschema.XMLSchema(str(Path(__file__).parent.parent / "fixtures" / "ComicInfo-v2.0.xsd"))


def require(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        message = f"{tool} is not installed (Debian's poppler-utils; .ci/run installs it)"
        if os.environ.get("FABLE_REQUIRE_SERVICES") == "1":
            pytest.fail(message + " (FABLE_REQUIRE_SERVICES=1: this must not be skipped)")
        pytest.skip(message)
    return found


async def comic_id_of(client: httpx.AsyncClient, job_id: str) -> str:
    return (await client.get(f"{API}/jobs/{job_id}")).json()["comic_id"]


@pytest.mark.parametrize("num_scenes", [1, 6, 10])
async def test_the_pdf_has_a_page_per_comic_page_and_opens_in_a_viewer(
    client: httpx.AsyncClient, app: FastAPI, tmp_path: Path, num_scenes: int
) -> None:
    _job_id, comic = await finished_comic(client, app, num_scenes=num_scenes)
    answer = await client.get(f"{API}/projects/{comic['comic_id']}/export/pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == 'attachment; filename="adventures-in-safety.pdf"'
    expected = len(pages.paginate(len(comic["panels"])))
    reader = PdfReader(io.BytesIO(answer.content))
    assert len(reader.pages) == expected
    assert reader.metadata.title == comic["title"]
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    pdftoppm = require("pdftoppm")  # poppler, the engine of ordinary PDF viewers, draws every page
    path = tmp_path / "comic.pdf"
    path.write_bytes(answer.content)
    subprocess.run([pdftoppm, "-r", "20", "-png", str(path), str(tmp_path / "page")], check=True, timeout=60)
    drawn = sorted(tmp_path.glob("page-*.png"))
    assert len(drawn) == expected
    for png in drawn:
        colours = Image.open(png).convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 50  # pictures, not a blank page


async def test_the_cbz_holds_the_pages_in_order_and_a_valid_comicinfo(client: httpx.AsyncClient, app: FastAPI) -> None:
    _job_id, comic = await finished_comic(client, app, num_scenes=6)
    answer = await client.get(f"{API}/projects/{comic['comic_id']}/export/cbz")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/vnd.comicbook+zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert archive.testzip() is None
    names = archive.namelist()
    images = sorted(n for n in names if n.endswith(".png"))
    assert names == [*images, "ComicInfo.xml"] and images == ["001.png", "002.png"]
    xml = archive.read("ComicInfo.xml").decode("utf-8")
    SCHEMA.validate(xml)  # raises on any element out of order, unknown or of the wrong type
    info = SCHEMA.to_dict(xml)
    assert info["Title"] == comic["title"] and info["PageCount"] == len(images)
    assert info["AgeRating"] == "Everyone" and info["LanguageISO"] == "en"
    assert "safety" in info["Summary"] and comic["scenes"][1]["learning_point"] in info["Summary"]
    assert set(info["Characters"].split(", ")) == {c["name"] for c in comic["characters"]}
    listed = info["Pages"]["Page"]
    assert [p["@Image"] for p in listed] == [0, 1] and listed[0]["@Type"] == ["FrontCover"]
    for page, name in zip(listed, images, strict=False):
        data = archive.read(name)
        assert page["@ImageSize"] == len(data)
        assert Image.open(io.BytesIO(data)).size == (page["@ImageWidth"], page["@ImageHeight"]) == pages.PAGE_SIZE


def test_a_schema_violation_would_be_caught() -> None:
    """The schema check is real: the same document with its elements out of order is refused."""
    good = pages.comic_info_xml(
        pages.ComicInfo(
            title="T", summary="S", characters=["Max"], age_rating="Everyone", created=datetime(2026, 1, 2)
        ),
        [],
    )
    SCHEMA.validate(good.decode())
    swapped = good.decode().replace("<Title>T</Title>", "").replace("</Summary>", "</Summary>\n  <Title>T</Title>")
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        SCHEMA.validate(swapped)
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        SCHEMA.validate(good.decode().replace("Everyone", "All ages"))


@pytest.mark.parametrize(
    ("ages", "rating"),
    [
        ("3-6", "Early Childhood"),
        ("5-12", "Everyone"),
        ("10-14", "Everyone 10+"),
        ("13-16", "Teen"),
        ("nonsense", "Unknown"),
    ],
)
def test_age_ratings(ages: str, rating: str) -> None:
    assert pages.age_rating(ages) == rating


async def test_the_png_is_the_first_page_and_unchanged_files_answer_304(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    _, comic = await finished_comic(client, app, num_scenes=2)
    url = f"{API}/projects/{comic['comic_id']}/export/png"
    first = await client.get(url)
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(first.content)).size == pages.PAGE_SIZE
    again = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    project = (await client.get(f"{API}/projects/{comic['comic_id']}")).json()
    renamed = await client.patch(
        f"{API}/projects/{comic['comic_id']}", json={"version": project["version"], "title": "Safe and Sound"}
    )
    assert renamed.status_code == 200
    changed = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]


@pytest.mark.parametrize("fmt", ["pdf", "json"])
async def test_if_none_match_follows_rfc_9110(client: httpx.AsyncClient, app: FastAPI, fmt: str) -> None:
    """`*` matches any current representation; entity tags compare weakly, in a list, over several header
    lines; a project with no file to make yet has no representation, so `*` does not make that a 304."""
    _, comic = await finished_comic(client, app, num_scenes=1)
    url = f"{API}/projects/{comic['comic_id']}/export/{fmt}"
    tag = (await client.get(url)).headers["etag"]
    for sent in (["*"], [f"W/{tag}"], [f'"other", {tag}'], ['"other"', tag], [f" {tag} "]):
        answer = await client.get(url, headers=[("If-None-Match", value) for value in sent])
        assert answer.status_code == 304 and answer.content == b"" and answer.headers["etag"] == tag, sent
        head = await client.head(url, headers=[("If-None-Match", value) for value in sent])
        assert head.status_code == 304, sent
    for sent in ('"other"', tag[:-2] + '"', tag.strip('"'), "W/*"):
        assert (await client.get(url, headers={"If-None-Match": sent})).status_code == 200, sent
    empty = (await client.post(f"{API}/projects", json={"title": "Empty"})).json()
    unmade = await client.get(f"{API}/projects/{empty['id']}/export/{fmt}", headers={"If-None-Match": "*"})
    assert unmade.status_code == (409 if fmt == "pdf" else 304)  # the json bundle of an empty project exists
    missing = await client.get(
        f"{API}/projects/01a1f000-0000-7000-8000-000000000000/export/{fmt}", headers={"If-None-Match": "*"}
    )
    assert missing.status_code == 404


async def test_exports_wait_for_every_panel_and_refuse_unknown_formats(client: httpx.AsyncClient, app: FastAPI) -> None:
    empty = (await client.post(f"{API}/projects", json={"title": "Empty"})).json()
    answer = await client.get(f"{API}/projects/{empty['id']}/export/pdf")
    assert answer.status_code == 409 and "no panels" in answer.json()["detail"]
    _, comic = await finished_comic(client, app, num_scenes=2)
    bogus = await client.get(f"{API}/projects/{comic['comic_id']}/export/docx")
    assert bogus.status_code == 422
    (error,) = bogus.json()["detail"]
    assert error["loc"] == ["path", "fmt"] and all(f"'{fmt}'" in error["msg"] for fmt in ("pdf", "cbz", "png", "json"))
    await services(app).data.update_comic(
        comic["comic_id"],
        lambda c: c.model_copy(update={"panels": [c.panels[0].model_copy(update={"status": "failed"}), *c.panels[1:]]}),
    )
    waiting = await client.get(f"{API}/projects/{comic['comic_id']}/export/cbz")
    assert waiting.status_code == 409 and "1 of 2 panels are not drawn" in waiting.json()["detail"]


async def test_the_json_bundle_is_a_named_download_with_an_etag(client: httpx.AsyncClient, app: FastAPI) -> None:
    _, comic = await finished_comic(client, app, num_scenes=2)
    url = f"{API}/projects/{comic['comic_id']}/export/json"
    first = await client.get(url)
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    assert first.headers["content-disposition"] == 'attachment; filename="adventures-in-safety.json"'
    bundle = first.json()
    assert bundle["format"] == "fable-export" and len(bundle["tables"]["panels"]) == 2
    again = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == first.headers["etag"]


def test_pages_hold_every_panel_once_in_reading_order() -> None:
    for count in range(1, 25):
        plans = pages.paginate(count)
        assert [i for plan in plans for i in plan.panels] == list(range(count))
        assert all(sum(plan.rows) == len(plan.panels) for plan in plans)
        assert len(plans[0].panels) <= pages.FIRST_PAGE and all(len(p.panels) <= pages.PER_PAGE for p in plans)
        assert count == 1 or len(plans[-1].panels) > 1


@pytest.mark.parametrize("size", [(960, 720), (768, 1024), (1440, 1080)])
def test_panels_sit_inside_the_page_in_rows_without_overlap_keeping_their_shape(size: tuple[int, int]) -> None:
    colours = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (200, 200, 30)]
    panels = []
    for colour in colours:
        out = io.BytesIO()
        Image.new("RGB", size, colour).save(out, format="PNG")
        panels.append(out.getvalue())
    composed = pages.compose_pages(title="Title", subtitle="Sub", panels=panels)
    assert len(composed) == 2 and all(p.size == pages.PAGE_SIZE for p in composed)
    rows = [[Image.new("RGB", size)] * n for n in pages.paginate(4, tall=size[1] > size[0])[1].rows]
    area = (pages.MARGIN, pages.MARGIN, pages.PAGE_SIZE[0] - pages.MARGIN, pages.PAGE_SIZE[1] - pages.MARGIN)
    boxes = [box for row in pages._fit_rows(rows, area) for box in row]
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        assert area[0] <= x0 < x1 <= area[2] and area[1] <= y0 < y1 <= area[3]
        assert abs((x1 - x0) / (y1 - y0) - size[0] / size[1]) < 0.02
        for a0, b0, _, _ in boxes[i + 1 :]:  # later panels are to the right on the same row, or below
            assert (b0 == y0 and a0 >= x1 + pages.GUTTER - 1) or b0 >= y1 + pages.GUTTER - 1
    # Page 1 shows the first panels (red, then green...) top to bottom, left to right.
    first = composed[0]
    seen = []
    for y in range(0, first.height, 20):
        for x in range(0, first.width, 20):
            pixel = first.getpixel((x, y))
            if pixel in colours and pixel not in seen:
                seen.append(pixel)
    assert seen == colours[: len(pages.paginate(4)[0].panels)]
