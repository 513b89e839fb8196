"""Credentials out of every log line: the `access_token` query parameter however it is spelled, and every
secret the configuration holds wherever it appears, however a URL carries it.

Browsers' WebSocket and EventSource send the credential as `?access_token=` (see auth.py), and
Starlette decodes query names and values (`+` and `%XX` escapes in either case) before it looks the
name up, so `access%5Ftoken` and `%61ccess_token` are the same parameter. Redaction therefore decodes
each query parameter's name the same way and blanks the value of every one that names the credential.

A key can also be sent where no name marks it: in the path (`GET /api/v1/KEY`, which uvicorn logs
decoded), or under a name that is not the credential's (`?access+token=KEY`, which Starlette reads as
`access token` and refuses, but the access log still prints). So every configured secret (Settings'
SecretStr values: API keys, vendor keys, signing secrets) is also blanked wherever it appears, each of its
characters as it is or percent-escaped in either case of hex (and a space as `+`).

It is done where log records are made (a LogRecord factory), not in a filter: a logger's filter misses
records propagated from its children, handlers come and go (uvicorn's dictConfig replaces them at
start-up), and a factory covers every logger and handler, present or future, in one place.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import unquote_plus

from app.api.auth import QUERY_TOKEN

REDACTED = "[redacted]"
# A query parameter: after `?` or `&` up to the next `&` or whitespace. The value runs to the end of the
# parameter, as Starlette reads it (a request target holds no whitespace).
_PARAMETER = re.compile(r"(?<=[?&])[^&\s]+")
# Closing punctuation of the text around a URL (`"GET /x?access_token=K"`), kept after the blank.
_CLOSING = re.compile(r"[\"')\]}>,;]+$")


def _blank(match: re.Match[str]) -> str:
    parameter = match.group(0)
    name, equals, value = parameter.partition("=")
    # Starlette splits on a literal `=` before decoding; an escaped `=` (%3D) still reads as the name here,
    # so a credential sent that way (refused, but no less secret) is blanked too.
    if unquote_plus(name).partition("=")[0].strip().lower() != QUERY_TOKEN:
        return parameter
    closing = _CLOSING.search(value) if equals else None
    return f"{name if equals else QUERY_TOKEN}={REDACTED}{closing.group(0) if closing else ''}"


class _Secrets:
    """The configured secrets, as one expression that finds any of them in any URL spelling."""

    def __init__(self) -> None:
        self.values: frozenset[str] = frozenset()
        self.pattern: re.Pattern[str] | None = None

    def add(self, values: Iterable[str]) -> None:
        # Kept for the life of the process: every app built in it (tests build many) adds its own.
        known = self.values | {value for value in values if value}
        if known != self.values:
            spelled = [_any_spelling(value) for value in sorted(known, key=len, reverse=True)]  # longest first
            self.values, self.pattern = known, re.compile("|".join(spelled))


def _any_spelling(secret: str) -> str:
    """Each character as it is or percent-escaped (either case of hex), a space also as `+`."""
    parts = []
    for char in secret:
        escaped = "".join(f"%{byte:02x}" for byte in char.encode("utf-8"))
        spellings = [re.escape(char), f"(?i:{re.escape(escaped)})", *([r"\+"] if char == " " else [])]
        parts.append(f"(?:{'|'.join(spellings)})")
    return "".join(parts)


_SECRETS = _Secrets()


def redact_credentials(text: str) -> str:
    """The text with every configured secret, and the value of every `access_token` query parameter, blanked."""
    pattern = _SECRETS.pattern
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    if "=" not in text and "%" not in text:  # the common line, with no parameter at all
        return text
    return _PARAMETER.sub(_blank, text)


def _redact_value(value: Any) -> Any:
    if value is None or isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        return redact_credentials(value)
    try:
        text = str(value)  # a URL object, an exception: formatted later with its text
    except Exception:
        return value
    redacted = redact_credentials(text)
    return value if redacted == text else redacted


def redact_record(record: logging.LogRecord) -> None:
    """Blank credentials in the record's message, arguments, traceback and stack."""
    record.msg = _redact_value(record.msg)
    if isinstance(record.args, Mapping):
        record.args = {key: _redact_value(value) for key, value in record.args.items()}
    elif isinstance(record.args, tuple):
        record.args = tuple(_redact_value(arg) for arg in record.args)
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        # formatters reuse exc_text when it is set, so the traceback is written as redacted here
        record.exc_text = redact_credentials(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact_credentials(record.stack_info)


def install_log_redaction(secrets: Iterable[str] = ()) -> None:
    """Make every log record, from any logger, without credentials, and without these secrets (idempotent;
    secrets add up)."""
    _SECRETS.add(secrets)
    previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()
    if getattr(previous, "redacts_credentials", False):
        return

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redact_record(record)
        return record

    make_record.redacts_credentials = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_record)
