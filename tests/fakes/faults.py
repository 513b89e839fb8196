"""Transient vendor faults, injected at the HTTP layer in front of any fake's `handle(request)`.

A seeded share of requests gets, instead of the vendor's answer: 429 (with Retry-After), 500, 503, a
read timeout, or a 200 whose body is garbage. Each fault is counted by kind, so tests and
bench/faults.py can say exactly what the service went through.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

KINDS = ("429", "500", "503", "timeout", "garbage")
Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class FaultInjector:
    rate: float  # the share of requests that fail
    seed: int = 7
    kinds: tuple[str, ...] = KINDS
    injected: Counter[str] = field(default_factory=Counter)
    passed: int = 0
    _random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    @property
    def total(self) -> int:
        return sum(self.injected.values())

    def wrap(self, handler: Handler) -> Handler:
        def handle(request: httpx.Request) -> httpx.Response:
            if self._random.random() >= self.rate:
                self.passed += 1
                return handler(request)
            kind = self._random.choice(self.kinds)
            self.injected[kind] += 1
            if kind == "timeout":
                raise httpx.ReadTimeout("injected: the vendor did not answer in time", request=request)
            if kind == "garbage":
                return httpx.Response(
                    200,
                    content=b"<html><body>502 Bad Gateway</body></html>\x00\xff",
                    headers={"content-type": "application/json"},
                )
            headers = {"retry-after": "1"} if kind == "429" else {}
            return httpx.Response(
                int(kind),
                json={"error": {"message": f"injected {kind}"}, "detail": f"injected {kind}"},
                headers=headers,
            )

        return handle
