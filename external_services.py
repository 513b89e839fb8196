"""Vendor clients: OpenAI for words, fal.ai for pictures, and the one door images come in through.

Each call has a timeout and goes through `with_retries` (app/infra/retry.py): backoff with jitter on 429,
5xx and timeouts, bounded by a total deadline; anything else fails at once. Failures become UpstreamError
with a sentence a person can act on, never a key or a raw vendor body. Importing this module does
nothing else: fal-client loads when a FalClient is built, its hosts come from Settings.
"""

from __future__ import annotations

import asyncio
import fnmatch
import io
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import httpx
import openai
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel

from app.errors import UpstreamError
from app.infra.netguard import AddressRefused, Resolver, guarded_client
from app.infra.retry import Failure, RetryPolicy, retry_after, with_retries
from app.infra.usage import record_usage
from config import Settings

if TYPE_CHECKING:
    import fal_client

log = logging.getLogger(__name__)
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def unreadable(exc: Exception) -> Failure | None:
    """A body that is not what the vendor documents (not JSON, not UTF-8, not the promised shape): the
    kind of fault a proxy or an overloaded edge produces, and one a retry usually clears."""
    if isinstance(exc, (ValueError, openai.APIResponseValidationError)):
        return Failure("sent an answer that could not be read", True, "provider_bad_output")
    return None


def classify_openai(exc: Exception) -> Failure | None:
    if isinstance(exc, openai.RateLimitError):
        return Failure("rate limit (429)", True, "provider_rate_limited", retry_after(exc.response))
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
    return unreadable(exc)


class OpenAIClient:
    """AsyncOpenAI, built once, with our retry policy in place of the SDK's own."""

    provider = "OpenAI"

    def __init__(
        self,
        settings: Settings,
        *,
        http_client: httpx.AsyncClient | None = None,
        policy: RetryPolicy | None = None,
        timeout: float = 60.0,
    ) -> None:
        assert settings.openai_api_key is not None
        self.model = settings.openai_model
        self.policy = policy or RetryPolicy()
        self.sdk = openai.AsyncOpenAI(
            api_key=settings.openai_api_key.get_secret_value(),
            base_url=settings.openai_base_url or None,
            max_retries=0,
            timeout=timeout,
            http_client=http_client,
        )

    async def _call(self, call: Callable[[], Awaitable[T]]) -> T:
        return await with_retries(call, provider=self.provider, classify=classify_openai, policy=self.policy)

    async def structured(self, *, system: str, user: str, schema: type[M]) -> M:
        """One chat completion whose answer must match `schema` (json_schema, strict)."""

        async def call() -> M:
            completion = await self.sdk.chat.completions.parse(
                model=self.model,
                response_format=schema,
                messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            )
            if completion.usage:
                record_usage(tokens=completion.usage.total_tokens, text_calls=1)
            message = completion.choices[0].message
            if message.refusal or message.parsed is None:
                raise UpstreamError(
                    f"{self.provider} declined to write this: {message.refusal or 'no answer'}",
                    provider=self.provider,
                    retryable=False,
                    code="content_refused",
                )
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

    async def moderation_scores(self, texts: list[str]) -> list[tuple[bool, dict[str, float]]]:
        """Per text: OpenAI's own `flagged`, and its score in each category ("sexual/minors", "violence", ...)."""

        async def call() -> list[tuple[bool, dict[str, float]]]:
            answer = await self.sdk.moderations.create(model="omni-moderation-latest", input=texts)
            return [
                (
                    bool(r.flagged),
                    {name: float(score or 0.0) for name, score in r.category_scores.model_dump(by_alias=True).items()},
                )
                for r in answer.results
            ]

        return await self._call(call)

    async def stream(self, *, system: str, user: str) -> AsyncIterator[str]:
        """The answer token by token."""
        chunks = await self._call(
            lambda: self.sdk.chat.completions.create(
                model=self.model,
                stream=True,
                stream_options={"include_usage": True},
                messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            )
        )
        try:
            async for chunk in chunks:
                if chunk.usage:
                    record_usage(tokens=chunk.usage.total_tokens)
                for choice in chunk.choices:
                    if choice.delta.content:
                        yield choice.delta.content
        except Exception as exc:
            failure = classify_openai(exc)
            if failure is None:
                raise
            raise UpstreamError(
                f"{self.provider} {failure.reason} mid-stream",
                provider=self.provider,
                retryable=failure.retryable,
                code=failure.code,
            ) from None

    async def close(self) -> None:
        await self.sdk.close()


# -- fal.ai -------------------------------------------------------------------------------------------


def load_fal_client(*, run_host: str, queue_host: str) -> ModuleType:
    """fal-client, imported when a FalClient is first built and pointed at FAL_RUN_HOST / FAL_QUEUE_RUN_HOST.

    The SDK reads its hosts from the environment once, when it is imported, and takes no argument for them;
    it reads these URL prefixes at each call, so setting them here points it where Settings say without
    touching os.environ (and whichever of the two is imported first)."""
    import fal_client
    import fal_client.client as sdk

    sdk.RUN_URL_FORMAT = f"https://{run_host}/"
    sdk.QUEUE_URL_FORMAT = f"https://{queue_host}/"
    sdk.REALTIME_URL_FORMAT = f"wss://{run_host}/"
    return fal_client


def classify_fal(exc: Exception) -> Failure | None:
    from fal_client.client import FalClientHTTPError  # loaded by now: only FalClient's calls are classified

    if isinstance(exc, FalClientHTTPError):
        status = exc.status_code
        kind = (exc.error_type or "").lower()
        if status == 401:
            return Failure("rejected the key (401): check FAL_KEY", False, "provider_auth_failed")
        if status == 403:
            return Failure(
                "refused access (403): the key may lack this model or its balance is used up",
                False,
                "provider_forbidden",
            )
        if status == 429:
            return Failure("rate limit (429)", True, "provider_rate_limited", retry_after(exc.response))
        if "content_policy" in kind or "nsfw" in kind:
            return Failure("refused the picture under its content policy", False, "content_refused")
        if status == 404:
            return Failure("does not know this model (404): check FAL_IMAGE_MODEL", False, "provider_rejected")
        if status >= 500 or status in (408, 409):
            return Failure(f"is failing ({status})", True, "provider_unavailable")
        return Failure(f"rejected the request ({status})", False, "provider_rejected")
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return Failure("timed out", True, "provider_timeout")
    if isinstance(exc, httpx.TransportError):
        return Failure("could not be reached", True, "provider_unavailable")
    if isinstance(exc, DownloadFailed):
        return Failure(exc.reason, exc.retryable, exc.code)
    return unreadable(exc)


READ_RETRIES = 5  # transient failures in a row tolerated while polling a submitted picture


class FalClient:
    """fal-client's AsyncClient on the queue protocol (submit, poll status, fetch the result), with a
    timeout on each whole call and our retry policy around it. fal-client itself also retries 429s
    and dropped connections on each HTTP request, with its own short backoff."""

    provider = "fal.ai"

    def __init__(
        self,
        settings: Settings,
        *,
        policy: RetryPolicy | None = None,
        poll_interval: float = 0.1,
        fetcher: ImageFetcher | None = None,
    ) -> None:
        assert settings.fal_key is not None
        self.fal = load_fal_client(run_host=settings.fal_run_host, queue_host=settings.fal_queue_host)
        self.sdk: fal_client.AsyncClient = self.fal.AsyncClient(
            key=settings.fal_key.get_secret_value(), default_timeout=60.0
        )
        self.policy = policy or RetryPolicy(deadline=max(60.0, settings.image_timeout_seconds))
        self.timeout = settings.image_timeout_seconds
        self.poll_interval = poll_interval
        self.fetcher = fetcher or ImageFetcher(settings.allowed_image_hosts, max_bytes=settings.max_image_bytes)

    async def _once(self, endpoint: str, arguments: dict[str, Any]) -> dict[str, Any]:
        handle = None
        try:
            async with asyncio.timeout(self.timeout):
                handle = await self.sdk.submit(endpoint, arguments)
                record_usage(image_calls=1)
                await self._until_completed(handle)
                return await self._patiently(lambda: handle.get(interval=self.poll_interval))
        except TimeoutError:
            if handle is not None:  # stop paying for a picture nobody will wait for
                try:
                    await handle.cancel()
                except Exception:
                    log.info("fal.ai: could not cancel a timed-out request")
            raise

    async def _until_completed(self, handle: Any) -> None:
        """Poll often while a picture may be ready soon, then gently (fal bills the picture, not the polls,
        but a long queue should not cost a request every tenth of a second)."""
        started = time.monotonic()
        while not isinstance(await self._patiently(handle.status), self.fal.Completed):
            waited = time.monotonic() - started
            await asyncio.sleep(self.poll_interval if waited < 5 else max(self.poll_interval, 0.5))

    async def _patiently(self, read: Callable[[], Awaitable[T]]) -> T:
        """A read about a submitted picture (its status, its result), retried in place on a transient
        failure: the picture is already paid for, so a flaky poll must not submit it again. Bounded by
        READ_RETRIES here and by the per-picture timeout around it."""
        for miss in range(READ_RETRIES + 1):
            try:
                return await read()
            except Exception as exc:
                failure = classify_fal(exc)
                if failure is None or not failure.retryable or miss == READ_RETRIES:
                    raise
                log.info("fal.ai: reading a submitted picture failed (%s); reading it again", failure.reason)
                await asyncio.sleep(min(2.0, self.poll_interval * 2**miss))
        raise AssertionError("unreachable")

    async def generate(self, endpoint: str, arguments: dict[str, Any]) -> tuple[dict[str, Any], FetchedImage]:
        """One picture: the model's answer, and its first image downloaded through the fetcher."""

        async def call() -> tuple[dict[str, Any], str]:
            result = await self._once(endpoint, arguments)
            images = result.get("images") if isinstance(result, dict) else None
            url = images[0].get("url") if isinstance(images, list) and images and isinstance(images[0], dict) else None
            if not isinstance(url, str):
                raise DownloadFailed("returned no image", retryable=True, code="provider_bad_output")
            return result, url

        result, url = await with_retries(call, provider=self.provider, classify=classify_fal, policy=self.policy)
        # The download retries on its own, so a flaky CDN never pays for a second picture.
        image = await with_retries(
            lambda: self.fetcher.fetch(url), provider=self.provider, classify=classify_fal, policy=self.policy
        )
        return result, image

    async def close(self) -> None:
        await self.fetcher.close()
        client = self.sdk.__dict__.get("_client")  # only there once a request was made
        if isinstance(client, httpx.AsyncClient):
            await client.aclose()


# -- downloads ------------------------------------------------------------------------------------------

IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}


class DownloadFailed(Exception):
    def __init__(self, reason: str, *, retryable: bool = False, code: str = "image_refused") -> None:
        super().__init__(reason)
        self.reason, self.retryable, self.code = reason, retryable, code


@dataclass(frozen=True)
class FetchedImage:
    data: bytes
    url: str
    content_type: str
    width: int
    height: int


def host_allowed(url: str, patterns: Sequence[str]) -> bool:
    """Whether `url` may be fetched: https to a host matching a pattern ("fal.media", "*.fal.media",
    "host:port"); plain http only to a host a pattern names exactly (a local test server, say)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or parts.username or parts.password or parts.scheme not in ("https", "http"):
        return False
    try:
        netloc = f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return False
    for pattern in (p.lower().strip() for p in patterns):
        target = netloc if ":" in pattern else host
        if parts.scheme == "http" and "*" in pattern:
            continue
        if fnmatch.fnmatchcase(target, pattern) if "*" in pattern else target == pattern:
            return True
    return False


class ImageFetcher:
    """Downloads a generated image: only from ALLOWED_IMAGE_HOSTS, never following a redirect, with a
    size cap enforced while reading, an image content type, and bytes that really are that image."""

    def __init__(
        self,
        allowed_hosts: Sequence[str],
        *,
        max_bytes: int,
        timeout: float = 60.0,
        http_client: httpx.AsyncClient | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self.allowed_hosts = list(allowed_hosts)
        self.max_bytes = max_bytes
        # every connection is vetted where the socket opens: public addresses, or ones named exactly
        self.http = http_client or guarded_client(self.allowed_hosts, timeout=timeout, resolver=resolver)

    async def fetch(self, url: str) -> FetchedImage:
        try:
            return await self._fetch(url)
        except AddressRefused as refused:
            raise DownloadFailed(f"sent an image address where {refused}") from None

    async def _fetch(self, url: str) -> FetchedImage:
        if not host_allowed(url, self.allowed_hosts):
            host = urlsplit(url).hostname or "an unreadable address"
            raise DownloadFailed(
                f"sent an image from {host}, which is not in ALLOWED_IMAGE_HOSTS; nothing was downloaded"
            )
        async with self.http.stream("GET", url) as response:
            if response.is_redirect:
                raise DownloadFailed("sent an image address that redirects elsewhere; redirects are not followed")
            if response.status_code >= 500 or response.status_code == 429:
                raise DownloadFailed(
                    f"image download failed ({response.status_code})", retryable=True, code="provider_unavailable"
                )
            if response.status_code != 200:
                raise DownloadFailed(f"image download failed ({response.status_code})")
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in IMAGE_TYPES:  # a CDN edge's error page, say: downloading again may help
                raise DownloadFailed(
                    f"sent a download of type '{content_type[:60] or 'none'}', not a PNG, JPEG or WebP image",
                    retryable=True,
                    code="provider_bad_output",
                )
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise DownloadFailed(
                    f"sent an image of {int(declared)} bytes, over the {self.max_bytes}-byte limit (MAX_IMAGE_BYTES)"
                )
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise DownloadFailed(f"sent an image over the {self.max_bytes}-byte limit (MAX_IMAGE_BYTES)")
        data = bytes(body)
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
                found, (width, height) = image.format, image.size
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise DownloadFailed(
                "sent a download that is not a readable image", retryable=True, code="provider_bad_output"
            ) from None
        if found != IMAGE_TYPES[content_type]:
            raise DownloadFailed(f"sent a {found} image labelled {content_type}")
        return FetchedImage(data=data, url=url, content_type=content_type, width=width, height=height)

    async def close(self) -> None:
        await self.http.aclose()
