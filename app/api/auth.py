"""Who is calling, and what they may see.

A request carries `Authorization: Bearer <credential>`: one of API_KEYS (each key is its own owner) or a
Supabase Auth JWT signed with SUPABASE_JWT_SECRET (HS256, expiry checked; the owner is its `sub`).
With neither configured the API is open and every caller is the same anonymous owner.

Records carry the `owner_id` of whoever created them. Another owner's record answers exactly as an id
that does not exist (404, same words), so ids reveal nothing. Credentials are compared in constant
time and never logged: only the owner id (a digest for API keys) ever leaves this module.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import uuid
from dataclasses import dataclass
from typing import Annotated

import jwt
from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from app.api.signing import ImageUrlSigner, Signed, signed_urls, signing_key
from app.errors import Unauthorized
from config import Settings

log = logging.getLogger(__name__)

JWT_AUDIENCE = "authenticated"  # what Supabase Auth puts in a signed-in user's token
JWT_LEEWAY_SECONDS = 10  # clock skew forgiven on exp/nbf/iat
QUERY_TOKEN = "access_token"  # for browsers' WebSocket and EventSource, which cannot send headers


@dataclass(frozen=True)
class Principal:
    """The caller. `owner_id` None means the API is open: everything is everyone's."""

    owner_id: str | None


OPEN = Principal(owner_id=None)


def api_key_owner(key: str) -> str:
    """The owner id of an API key: a digest, so the key itself is never stored."""
    return "key_" + hashlib.sha256(b"fable-owner\x00" + key.encode()).hexdigest()[:32]


class Authenticator:
    def __init__(self, settings: Settings) -> None:
        keys = [k.get_secret_value() for k in settings.api_keys]
        self._keys = [(hashlib.sha256(k.encode()).digest(), api_key_owner(k)) for k in keys]
        secret = settings.supabase_jwt_secret
        self._jwt_secret = secret.get_secret_value() if secret is not None else None
        self.enabled = settings.auth_enabled
        url_key = signing_key(settings)  # with auth on, image URLs in answers carry their own proof
        self.image_urls = ImageUrlSigner(url_key) if url_key is not None else None

    def principal(self, token: str | None) -> Principal:
        if not self.enabled:
            return OPEN
        if not token:
            raise Unauthorized("send a credential: Authorization: Bearer <API key or Supabase JWT>")
        owner = self._api_key(token)
        if owner is None and self._jwt_secret is not None and token.count(".") == 2:
            owner = self._jwt(token)
        if owner is None:
            raise Unauthorized("the credential is not valid")
        return Principal(owner_id=owner)

    def _api_key(self, token: str) -> str | None:
        digest = hashlib.sha256(token.encode()).digest()
        found = None
        for key_digest, owner in self._keys:  # every key is compared, so timing says nothing about which
            if hmac.compare_digest(digest, key_digest):
                found = owner
        return found

    def _jwt(self, token: str) -> str:
        assert self._jwt_secret is not None
        try:
            claims = jwt.decode(
                token,
                self._jwt_secret,
                algorithms=["HS256"],
                audience=JWT_AUDIENCE,
                leeway=JWT_LEEWAY_SECONDS,
                options={"require": ["exp", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the token has expired: sign in again") from None
        except jwt.InvalidTokenError as exc:
            log.info("refused a JWT: %s", type(exc).__name__)  # the kind of problem, never the token
            raise Unauthorized("the credential is not valid") from None
        if not all(_is_number(claims[name]) for name in _TIME_CLAIMS if name in claims):
            # PyJWT reads "exp": "1999999999" (a string) as a time; RFC 7519 says a NumericDate is a number
            log.info("refused a JWT: a time claim that is not a number")
            raise Unauthorized("the credential is not valid: exp, nbf and iat must be numbers")
        return _user_id(claims.get("sub"))


_TIME_CLAIMS = ("exp", "nbf", "iat")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _user_id(subject: object) -> str:
    """A JWT's owner: a Supabase user id, the canonical UUID that auth.uid() gives row level security.

    Requiring that form also keeps JWT owners apart from API-key owners (`key_` + a digest): no token,
    however it was signed, can name itself the owner of an API key's records.
    """
    if not isinstance(subject, str) or not subject.strip():
        raise Unauthorized("the token names no user (sub)")
    try:
        canonical = str(uuid.UUID(subject)) if len(subject) == 36 else None
    except ValueError:
        canonical = None
    if canonical != subject:
        raise Unauthorized("the token's user (sub) is not a Supabase user id (a lowercase UUID)")
    return subject


_BEARER = re.compile(r"^\s*Bearer\s+(\S+)\s*$", re.IGNORECASE)


def credential(connection: HTTPConnection, *, allow_query: bool) -> str | None:
    header = connection.headers.get("authorization")
    if header is not None:
        match = _BEARER.match(header)
        if match is None:
            raise Unauthorized("the Authorization header must be 'Bearer <API key or Supabase JWT>'")
        return match.group(1)
    return connection.query_params.get(QUERY_TOKEN) if allow_query else None


def get_authenticator(connection: HTTPConnection) -> Authenticator:
    """The Authenticator the app factory built from the settings: the one place it is read from the app
    (the idempotency middleware, which runs before dependencies, needs it too)."""
    return connection.app.state.auth


def caller(connection: HTTPConnection, *, allow_query: bool = False) -> Principal:
    authenticator = get_authenticator(connection)
    if not authenticator.enabled:
        return OPEN
    return authenticator.principal(credential(connection, allow_query=allow_query))


async def require_caller(request: Request) -> Principal:
    """The router-wide dependency: 401 without a valid credential (when auth is configured)."""
    principal = caller(request, allow_query=request.url.path.endswith("/events"))
    request.state.principal = principal
    return principal


CurrentOwner = Annotated[Principal, Depends(require_caller)]


def signed_for(connection: HTTPConnection, model: Signed, *, owner_id: str | None = None) -> Signed:
    """The model as an answer to this caller: its image URLs signed for them (when auth is on)."""
    if owner_id is None:
        principal = getattr(connection.state, "principal", None)  # set by the router-wide credential check
        owner_id = principal.owner_id if principal is not None else None
    return signed_urls(model, signer=get_authenticator(connection).image_urls, owner_id=owner_id)
