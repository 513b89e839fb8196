"""Vendor clients: OpenAI for words (fal.ai for pictures joins here next).

Each call has a timeout and goes through `with_retries`: backoff with jitter on 429, 5xx and
timeouts, bounded by a total deadline; anything else fails at once. Failures become UpstreamError
with a sentence a person can act on, never a key or a raw vendor body.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import openai
from pydantic import BaseModel

from app.errors import UpstreamError
from app.services.usage import record_usage
from config import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


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


async def with_retries(call: Callable[[], Awaitable[T]], *, provider: str, classify: Callable[[Exception], Failure | None],
                       policy: RetryPolicy) -> T:
    started = time.monotonic()
    for attempt in range(1, policy.attempts + 1):
        try:
            return await call()
        except Exception as exc:  # noqa: BLE001 - classified below; unknown errors propagate unchanged
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
                raise UpstreamError(f"{provider} {failure.reason}{retried}", provider=provider,
                                    retryable=failure.retryable, code=failure.code) from None
            log.warning("%s: %s; retry %d in %.1f s", provider, failure.reason, attempt, delay)
            await policy.sleep(delay)
    raise AssertionError("unreachable")


def _retry_after(response: httpx.Response | None) -> float | None:
    try:
        return float(response.headers["retry-after"]) if response is not None else None
    except (KeyError, ValueError):
        return None


def classify_openai(exc: Exception) -> Failure | None:
    if isinstance(exc, openai.RateLimitError):
        return Failure("rate limit (429)", True, "provider_rate_limited", _retry_after(exc.response))
    if isinstance(exc, openai.AuthenticationError):
        return Failure("rejected the key (401): check OPENAI_API_KEY", False, "provider_auth_failed")
    if isinstance(exc, openai.PermissionDeniedError):
        return Failure("refused access (403): the key may lack this model", False, "provider_forbidden")
    if isinstance(exc, openai.APITimeoutError):
        return Failure("timed out", True, "provider_timeout")
    if isinstance(exc, openai.APIConnectionError):
        return Failure("could not be reached", True, "provider_unavailable")
    if isinstance(exc, openai.InternalServerError):
        return Failure(f"is failing ({exc.status_code})", True, "provider_unavailable")
    if isinstance(exc, openai.ContentFilterFinishReasonError):
        return Failure("refused the content under its content policy", False, "content_refused")
    if isinstance(exc, openai.LengthFinishReasonError):
        return Failure("ran out of output tokens before finishing", False, "provider_bad_output")
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code >= 500:
            return Failure(f"is failing ({exc.status_code})", True, "provider_unavailable")
        code = "content_refused" if "content_policy" in str(getattr(exc, "code", "") or "") else "provider_rejected"
        return Failure(f"rejected the request ({exc.status_code})", False, code)
    return None


class OpenAIClient:
    """AsyncOpenAI, built once, with our retry policy in place of the SDK's own."""

    provider = "OpenAI"

    def __init__(self, settings: Settings, *, http_client: httpx.AsyncClient | None = None,
                 policy: RetryPolicy | None = None, timeout: float = 60.0) -> None:
        assert settings.openai_api_key is not None
        self.model = settings.openai_model
        self.policy = policy or RetryPolicy()
        self.sdk = openai.AsyncOpenAI(api_key=settings.openai_api_key.get_secret_value(),
                                      base_url=settings.openai_base_url or None, max_retries=0,
                                      timeout=timeout, http_client=http_client)

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        return await with_retries(call, provider=self.provider, classify=classify_openai, policy=self.policy)

    async def structured(self, *, system: str, user: str, schema: type[M]) -> M:
        """One chat completion whose answer must match `schema` (json_schema, strict)."""

        async def call() -> M:
            completion = await self.sdk.chat.completions.parse(
                model=self.model, response_format=schema,
                messages=[{"role": "system", "content": system}, {"role": "user", "content": user}])
            if completion.usage:
                record_usage(tokens=completion.usage.total_tokens, text_calls=1)
            message = completion.choices[0].message
            if message.refusal or message.parsed is None:
                raise UpstreamError(f"{self.provider} declined to write this: {message.refusal or 'no answer'}",
                                    provider=self.provider, retryable=False, code="content_refused")
            return message.parsed

        return await self._call(call)

    async def flagged(self, texts: list[str]) -> list[str]:
        """The moderation categories OpenAI flags in any of these texts (empty: all clear)."""

        async def call() -> list[str]:
            answer = await self.sdk.moderations.create(model="omni-moderation-latest", input=texts)
            categories: set[str] = set()
            for result in answer.results:
                if result.flagged:
                    categories |= {name for name, hit in result.categories.model_dump().items() if hit}
            return sorted(categories)

        return await self._call(call)

    async def stream(self, *, system: str, user: str) -> AsyncIterator[str]:
        """The answer token by token."""
        chunks = await self._call(lambda: self.sdk.chat.completions.create(
            model=self.model, stream=True, stream_options={"include_usage": True},
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}]))
        try:
            async for chunk in chunks:
                if chunk.usage:
                    record_usage(tokens=chunk.usage.total_tokens)
                for choice in chunk.choices:
                    if choice.delta.content:
                        yield choice.delta.content
        except Exception as exc:  # noqa: BLE001 - translated if it is a vendor failure mid-stream
            failure = classify_openai(exc)
            if failure is None:
                raise
            raise UpstreamError(f"{self.provider} {failure.reason} mid-stream", provider=self.provider,
                                retryable=failure.retryable, code=failure.code) from None

    async def close(self) -> None:
        await self.sdk.close()


