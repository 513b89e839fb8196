"""The shaping of a 422's list, unit by unit: capped, grouped, and built only from the schema's words."""

from __future__ import annotations

from app.api.validation_errors import MAX_ERRORS, UNKNOWN_FIELD, safe_errors

NAMES = frozenset({"topic", "scene_ids", "style"})


def test_more_errors_than_the_cap_end_with_a_count_of_the_rest() -> None:
    errors = [
        {"type": "string_type", "loc": ("body", "scene_ids", n), "msg": "Input should be a valid string", "input": n}
        for n in range(50)
    ]
    shaped = safe_errors(errors, known_names=NAMES, body_fields=None)
    assert len(shaped) == MAX_ERRORS
    assert shaped[:-1] == [
        {"type": "string_type", "loc": ["body", "scene_ids", n], "msg": "Input should be a valid string"}
        for n in range(MAX_ERRORS - 1)
    ]
    assert shaped[-1] == {
        "type": "too_many_errors",
        "loc": [],
        "msg": f"{50 - (MAX_ERRORS - 1)} more errors not listed; fix these and send it again",
    }


def test_unknown_keys_are_counted_not_named_and_known_ones_are_kept() -> None:
    errors = [
        {"type": "extra_forbidden", "loc": ("body", f"evil{n}"), "msg": "Extra inputs are not permitted", "input": 1}
        for n in range(3)
    ]
    errors.insert(1, {"type": "missing", "loc": ("body", "topic"), "msg": "Field required", "input": {}})
    errors.append(
        {
            "type": "string_type",
            "loc": ("body", "evil-nested", "topic"),
            "msg": "Input should be a valid string",
            "input": 5,
        }
    )
    shaped = safe_errors(errors, known_names=NAMES, body_fields=["topic", "style"])
    assert shaped == [
        {
            "type": "extra_forbidden",
            "loc": ["body", UNKNOWN_FIELD],
            "msg": "3 fields this body does not take (it takes: topic, style)",
        },
        {"type": "missing", "loc": ["body", "topic"], "msg": "Field required"},
        {"type": "string_type", "loc": ["body", UNKNOWN_FIELD, "topic"], "msg": "Input should be a valid string"},
    ]


def test_messages_that_would_carry_the_input_do_not() -> None:
    errors = [
        {
            "type": "union_tag_invalid",
            "loc": ("body", "style"),
            "input": {"kind": "<img onerror>"},
            "msg": "Input tag '<img onerror>' found using 'kind' does not match any of the expected tags: 'a', 'b'",
        },
        {
            "type": "uuid_parsing",
            "loc": ("body", "topic"),
            "input": "zz<b>",
            "msg": "Input should be a valid UUID, invalid character: expected [0-9a-fA-F-], found `<` at 3",
        },
        {
            "type": "value_error",
            "loc": ("body", "style"),
            "input": "sparkly<b>",
            "msg": "Value error, style 'sparkly<b>' is not one we draw",
        },
        {"type": "literal_error", "loc": ("body", "style"), "input": "x", "msg": "Input should be 'a' or 'b'"},
    ]
    shaped = safe_errors(errors, known_names=NAMES, body_fields=None)
    assert [e["msg"] for e in shaped] == [
        "Input tag does not match any of the expected tags",
        "Input should be a valid UUID",
        "style '(your value)' is not one we draw",
        "Input should be 'a' or 'b'",
    ]
    assert "<" not in str(shaped)
