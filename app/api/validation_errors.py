"""A 422's list, safe whatever the input: at most MAX_ERRORS entries, built only from the schema's words.

FastAPI lists one error per problem and repeats what it can: an unknown key is its own `loc`, and some
pydantic messages quote part of the input. 25,000 unknown keys named `<script>...` once made a 3 MB answer
that repeated every one. Here unknown keys are counted under one entry, a `loc` keeps only names the
schema defines (and list positions), messages that would quote the input are cut before the quote, and
the list ends with a count of what it left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI

from app.models.api import AGE_GROUP_ERROR

MAX_ERRORS = 20
MAX_MESSAGE = 300
MAX_LOC = 8
UNKNOWN_FIELD = "(unknown field)"
YOUR_VALUE = "(your value)"
LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})

# pydantic's messages that end with a parser's complaint, which can quote the input ("..., found `<` at 3"):
# what comes before the complaint is kept.
_ENDS_WITH_A_COMPLAINT = frozenset(
    {
        "json_invalid",
        "get_attribute_error",
        "iteration_error",
        "mapping_type",
        "date_parsing",
        "date_from_datetime_parsing",
        "time_parsing",
        "datetime_parsing",
        "datetime_object_invalid",
        "datetime_from_date_parsing",
        "time_delta_parsing",
        "url_parsing",
        "url_syntax_violation",
        "uuid_parsing",
        "bytes_invalid_encoding",
    }
)
_COMPLAINT = re.compile(r"(?:, |: ).*", re.DOTALL)
# Errors of our own types whose message is one fixed sentence, never built from the input.
FIXED_SENTENCES = frozenset({AGE_GROUP_ERROR})
# ...and those that quote it mid-sentence: said plainly instead.
_PLAIN = {
    "union_tag_invalid": "Input tag does not match any of the expected tags",
    "no_such_attribute": "Object has no such attribute",
    "timezone_offset": "Timezone offset is not the one required",
}


def safe_errors(
    errors: Sequence[dict[str, Any]], *, known_names: frozenset[str], body_fields: Sequence[str] | None
) -> list[dict[str, Any]]:
    """FastAPI's `detail` entries (type, loc, msg), capped, with unknown keys counted and no input echoed."""
    entries: list[dict[str, Any]] = []
    unknown: dict[tuple[str | int, ...], dict[str, Any]] = {}  # parent loc -> its one entry
    for error in errors:
        loc = safe_loc(error.get("loc", ()), known_names)
        if error.get("type") == "extra_forbidden":
            parent = tuple(loc[:-1])
            if parent not in unknown:
                unknown[parent] = {"type": "extra_forbidden", "loc": [*parent, UNKNOWN_FIELD], "count": 0}
                entries.append(unknown[parent])
            unknown[parent]["count"] += 1
        else:
            entries.append({"type": str(error.get("type", "")), "loc": loc, "msg": safe_message(error)})
    for parent, entry in unknown.items():
        entry["msg"] = _unknown_fields(entry.pop("count"), body_fields if parent == ("body",) else None)
    if len(entries) <= MAX_ERRORS:
        return entries
    left_out = len(entries) - (MAX_ERRORS - 1)
    return [
        *entries[: MAX_ERRORS - 1],
        {
            "type": "too_many_errors",
            "loc": [],
            "msg": f"{left_out:,} more errors not listed; fix these and send it again",
        },
    ]


def safe_loc(loc: Iterable[Any], known_names: frozenset[str]) -> list[str | int]:
    """List positions and the schema's own names stay; any other key (the caller's) is a placeholder."""
    safe: list[str | int] = []
    for depth, part in enumerate(loc):
        if depth == MAX_LOC:
            break
        if isinstance(part, int) or part in known_names or (depth == 0 and part in LOCATIONS):
            safe.append(part)
        else:
            safe.append(UNKNOWN_FIELD)
    return safe


def safe_message(error: dict[str, Any]) -> str:
    kind = str(error.get("type", ""))
    message = str(error.get("msg", ""))
    if kind in FIXED_SENTENCES:  # a rule in words, which may share a word with what was sent ("ages")
        return message[:MAX_MESSAGE]
    if kind == "value_error":  # our validators' own sentences: pydantic's "Value error, " adds nothing
        message = message.removeprefix("Value error, ")
    elif kind in _PLAIN:
        message = _PLAIN[kind]
    elif kind in _ENDS_WITH_A_COMPLAINT:
        message = _COMPLAINT.sub("", message, count=1)
    for text in _texts(error.get("input")):  # our own validators' sentences too, should one quote its value
        if len(text) >= 3 and text in message:
            message = message.replace(text, YOUR_VALUE)
    return message[:MAX_MESSAGE]


def _texts(value: Any, budget: int = 50) -> list[str]:
    """The strings in an input (a few levels, a bounded number), longest first so none hides another."""
    found: list[str] = []
    pending = [value]
    while pending and len(found) < budget:
        item = pending.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            pending.extend(list(item.keys())[:budget] + list(item.values())[:budget])
        elif isinstance(item, (list, tuple)):
            pending.extend(item[:budget])
    return sorted(found, key=len, reverse=True)


def _unknown_fields(count: int, fields: Sequence[str] | None) -> str:
    what = "a field" if count == 1 else f"{count:,} fields"
    takes = f" (it takes: {', '.join(fields)})" if fields else ""
    return f"{what} this body does not take{takes}"


# -- the schema's words, read once from the app's OpenAPI document ----------------------------------------
def known_names(app: FastAPI) -> frozenset[str]:
    """Every property and parameter name the API's schema defines."""
    names = getattr(app.state, "schema_names", None)
    if names is None:
        spec = app.openapi()
        found = {
            name
            for schema in spec.get("components", {}).get("schemas", {}).values()
            for name in schema.get("properties", {})
        }
        found |= {
            param["name"]
            for operations in spec["paths"].values()
            for operation in operations.values()
            for param in operation.get("parameters", [])
        }
        names = app.state.schema_names = frozenset(found)
    return names


def body_fields(app: FastAPI, method: str, path: str) -> list[str] | None:
    """The fields the body of this request may have, from its operation's schema; None when unknown."""
    table = getattr(app.state, "body_table", None)
    if table is None:
        table = app.state.body_table = _body_table(app.openapi())
    for pattern, operation_method, fields in table:
        if operation_method == method.lower() and pattern.match(path):
            return fields
    return None


def path_pattern(template: str) -> re.Pattern[str]:
    """An OpenAPI path template as a regular expression: `/projects/{project_id}` matches `/projects/abc`."""
    return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")


def _body_table(spec: dict[str, Any]) -> list[tuple[re.Pattern[str], str, list[str]]]:
    schemas = spec.get("components", {}).get("schemas", {})
    table = []
    for template, operations in spec["paths"].items():
        pattern = path_pattern(template)
        for method, operation in operations.items():
            schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            refs = [s["$ref"] for s in [schema, *schema.get("anyOf", [])] if "$ref" in s]
            if refs:
                table.append((pattern, method, list(schemas[refs[0].rsplit("/", 1)[-1]].get("properties", {}))))
    return table
