"""age_group as people write it: 5-12, 5–12, 5—12, 5 to 12, 5 TO 12, ages 5-12, 5-12 years, any Unicode
hyphen or dash, full-width digits, with spaces; stored as 5-12. A wrong one is told the rule in words, and the
OpenAPI schema's pattern accepts exactly what the service accepts."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import settle
from utils import parse_age_group

API = "/api/v1"
RULE = "ages 3 to 16, youngest first, for example 5-12"
SPELLINGS = [
    "5-12",
    "5–12",
    "5—12",
    "5 to 12",
    "5 - 12",
    "  5-12 ",
    "5 – 12",
    "5to12",
    " 5 to 12\t",
    "5 TO 12",
    "5 To 12",
    "ages 5-12",
    "Ages 5 to 12",
    "age 5-12",
    "AGES 5–12",
    "aged 5-12",
    "5-12 years",
    "5-12 Years old",
    "5 to 12 yrs",
    "ages 5 - 12 years old",
    *(f"5{dash}12" for dash in "\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d"),
    "５-１２",
    "５－１２",
    "５ ｔｏ １２",
    "ＡＧＥＳ ５－１２",
    "5\u00a0-\u00a012",
    "5\u3000to\u300012",
]
REVERSED = ["12-5", "１２-５"]  # the one rule a pattern cannot state: youngest first
WRONG = [
    *REVERSED,
    "abc",
    "0-99",
    "5-17",
    "2-5",
    "5_12",
    "5..12",
    "five to twelve",
    "5-12-14",
    "",
    "05-12",
    "5 12",
    "5-" + "1" * 30,
    "ages",
    "ages 5",
    "5-12 years years",
    "years 5-12",
    "5-12 old",
    "age-5-12",
    "5 ~ 12",
    "5/12",
    "5 too 12",
    "5-12\n",
    "5\u2015 12",
]


@pytest.mark.parametrize("spelling", SPELLINGS)
async def test_every_common_spelling_is_accepted_and_stored_as_youngest_dash_oldest(
    client: httpx.AsyncClient, app: FastAPI, spelling: str
) -> None:
    created = await client.post(f"{API}/projects", json={"prompt": "crossing the road", "age_group": spelling})
    assert created.status_code == 201, created.text
    assert created.json()["age_group"] == "5-12"
    project = created.json()
    patched = await client.patch(
        f"{API}/projects/{project['id']}",
        json={"version": project["version"], "age_group": spelling.replace("12", "9").replace("１２", "９")},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["age_group"] == "5-9"
    job = await client.post(
        f"{API}/comics/scenes/generate", json={"topic": "crossing the road", "age_group": spelling, "num_scenes": 1}
    )
    assert job.status_code == 202, job.text
    await settle(app)
    comic_id = (await client.get(f"{API}/jobs/{job.json()['job_id']}")).json()["comic_id"]
    assert (await client.get(f"{API}/projects/{comic_id}")).json()["age_group"] == "5-12"


@pytest.mark.parametrize("wrong", WRONG)
async def test_a_wrong_age_group_is_told_the_rule_in_words(client: httpx.AsyncClient, wrong: str) -> None:
    for path, body in (
        ("/projects", {"age_group": wrong}),
        ("/comics/scenes/generate", {"topic": "crossing the road", "age_group": wrong}),
    ):
        answer = await client.post(API + path, json=body)
        assert answer.status_code == 422, answer.text
        [error] = answer.json()["detail"]
        assert error["loc"] == ["body", "age_group"]
        assert error["msg"] == RULE  # the rule itself: no regular expression, no "Value error, " before it


def test_parse_age_group_reads_the_spellings_and_refuses_the_rest() -> None:
    assert {parse_age_group(s) for s in SPELLINGS} == {(5, 12)}
    assert parse_age_group("3—16") == (3, 16)
    for wrong in WRONG:
        with pytest.raises(ValueError, match=RULE):
            parse_age_group(wrong)


async def test_the_schema_states_what_is_accepted(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    for name in ("GenerateScenesRequest", "CreateProjectRequest", "UpdateProjectRequest"):
        field = schemas[name]["properties"]["age_group"]
        field = next((s for s in field.get("anyOf", [field]) if s.get("type") == "string"), field)
        pattern = re.compile(field["pattern"])
        assert all(pattern.fullmatch(s) and len(s) <= field["maxLength"] for s in SPELLINGS), name
        assert not any(pattern.fullmatch(s) and len(s) <= field["maxLength"] for s in WRONG if s not in REVERSED), name
        assert RULE in field["description"]
