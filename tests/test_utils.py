"""Pure helpers."""

from __future__ import annotations

import uuid

import pytest

from utils import is_valid_id, new_id, parse_age_group, slugify, stable_seed, topic_subject


def test_ids_are_uuid7_and_sort_in_creation_order() -> None:
    ids = [new_id() for _ in range(5000)]  # many share a millisecond
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(i).version == 7 and is_valid_id(i) for i in ids[:10])


@pytest.mark.parametrize("value, expected", [("5-12", (5, 12)), (" 3 - 5 ", (3, 5)), ("8-8", (8, 8))])
def test_age_groups(value: str, expected: tuple[int, int]) -> None:
    assert parse_age_group(value) == expected


@pytest.mark.parametrize("value", ["12-5", "abc", "0-99", "5", "5-", "-5-12", "5–12x"])
def test_bad_age_groups(value: str) -> None:
    with pytest.raises(ValueError):
        parse_age_group(value)


def test_slug_and_subject_and_seed() -> None:
    assert slugify("Captain  Mira!") == slugify("captain-mira") == "captain-mira"
    assert slugify("Zoë") == "zoe"
    assert topic_subject("teaching kids about safety") == "safety"
    assert topic_subject("volcanoes") == "volcanoes"
    assert stable_seed("a", 1) == stable_seed("a", 1) != stable_seed("a", 2)
