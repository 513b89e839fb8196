"""The retry policy every outside call goes through (the vendors, Supabase): backoff with jitter on what a
retry may clear (429, 5xx, timeouts), bounded by a total deadline; anything else fails at once, as an
UpstreamError that says which provider, what went wrong and whether a retry may help."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import httpx

from app.errors import UpstreamError

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # the first call and up to five retries
    base_delay: float = 0.5
    max_delay: float = 10.0
    deadline: float = 60.0  # seconds from the first call to the last retry
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)


@dataclass(frozen=True)
class Failure:
    """What went wrong with a vendor call, in words a person can act on."""

    reason: str
    retryable: bool
    code: str
    retry_after: float | None = None


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    provider: str,
    classify: Callable[[Exception], Failure | None],
    policy: RetryPolicy,
) -> T:
    started = time.monotonic()
    for attempt in range(1, policy.attempts + 1):
        try:
            return await call()
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
            elapsed = time.monotonic() - started
            delay = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
            if failure.retry_after is not None:
                delay = max(delay, min(failure.retry_after, policy.max_delay))
            last = attempt == policy.attempts or elapsed + delay > policy.deadline
            if not failure.retryable or last:
                retried = f", retried {attempt - 1} times over {elapsed:.0f} s" if attempt > 1 else ""
                raise UpstreamError(
                    f"{provider} {failure.reason}{retried}",
                    provider=provider,
                    retryable=failure.retryable,
                    code=failure.code,
                ) from None
            log.warning("%s: %s; retry %d in %.1f s", provider, failure.reason, attempt, delay)
            await policy.sleep(delay)
    raise AssertionError("unreachable")


def retry_after(response: httpx.Response | None) -> float | None:
    try:
        return float(response.headers["retry-after"]) if response is not None else None
    except (KeyError, ValueError):
        return None
