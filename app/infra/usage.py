"""What a job spent on vendors: tokens and image calls, counted per job through a context variable."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class Usage:
    tokens: int = 0
    text_calls: int = 0
    image_calls: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"tokens": self.tokens, "text_calls": self.text_calls, "image_calls": self.image_calls}


current_usage: ContextVar[Usage | None] = ContextVar("current_usage", default=None)


def record_usage(*, tokens: int = 0, text_calls: int = 0, image_calls: int = 0) -> None:
    usage = current_usage.get()
    if usage is not None:
        usage.tokens += tokens
        usage.text_calls += text_calls
        usage.image_calls += image_calls
