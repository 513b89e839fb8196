"""Image URLs a browser can put in `<img src>` while auth is on: signed for their owner, for about an hour.

An `<img>` sends no Authorization header, so with auth on an answer's image URL carries its own proof:
`/api/v1/images/{id}?exp=<unix time>&sig=<HMAC>`, the HMAC over the image id, its owner and the expiry
under a server secret (IMAGE_URL_SECRET, or one derived from API_KEYS and SUPABASE_JWT_SECRET). Nothing
secret is in the URL: not the key, not the owner. URLs are signed in the API layer as answers leave;
stored records keep the plain server-relative `/api/v1/images/{id}` (app/api/urls.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import time
from collections.abc import Callable
from typing import TypeVar, cast

from pydantic import BaseModel

from app.api.urls import image_url
from app.errors import Forbidden
from app.models.schemas import Character, Comic, Panel
from config import Settings

URL_LIFETIME_SECONDS = 3600
# Expiries are rounded up to this step, so one image keeps one URL for a while and browsers cache it.
EXPIRY_STEP_SECONDS = 300
_IMAGE_URL = re.compile(rf"^{re.escape(image_url(''))}([A-Za-z0-9_-]{{1,64}})$")
_SIGNATURE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_DIGITS = re.compile(r"^[0-9]{1,12}$")


def signing_key(settings: Settings) -> bytes | None:
    """The server secret image URLs are signed with; None while the API is open (URLs stay plain)."""
    if not settings.auth_enabled:
        return None
    if settings.image_url_secret is not None:
        material = b"secret\x00" + settings.image_url_secret.get_secret_value().encode()
    else:  # derived, so every instance with the same credentials agrees without another setting
        credentials = sorted(k.get_secret_value() for k in settings.api_keys)
        jwt_secret = settings.supabase_jwt_secret.get_secret_value() if settings.supabase_jwt_secret else ""
        material = b"derived\x00" + "\x00".join([*credentials, "", jwt_secret]).encode()
    return hmac.new(b"fable-image-url-key", material, hashlib.sha256).digest()


class ImageUrlSigner:
    def __init__(self, key: bytes, *, clock: Callable[[], float] = time.time) -> None:
        self._key = key
        self.clock = clock  # settable, so tests move time instead of waiting

    def _signature(self, image_id: str, owner_id: str | None, expires: int) -> str:
        message = "\x00".join(("fable-image", image_id, owner_id or "", str(expires))).encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def sign(self, url: str | None, owner_id: str | None) -> str | None:
        """The URL with `?exp=&sig=` when it is one of our image URLs; any other URL as it is."""
        match = _IMAGE_URL.match(url or "")
        if match is None:
            return url
        expires = math.ceil((self.clock() + URL_LIFETIME_SECONDS) / EXPIRY_STEP_SECONDS) * EXPIRY_STEP_SECONDS
        return f"{url}?exp={expires}&sig={self._signature(match.group(1), owner_id, expires)}"

    def check_expiry(self, expires: str) -> int:
        """The expiry as a number; 403 when it is malformed or past (before any record is read)."""
        if not _DIGITS.match(expires):
            raise Forbidden("this image link is not valid: ask the API for the image again")
        if int(expires) < self.clock():
            raise Forbidden("this image link has expired: ask the API for the image again for a fresh one")
        return int(expires)

    def verify(self, *, image_id: str, owner_id: str | None, expires: int, signature: str) -> None:
        """403 unless the signature was made by this server for this image, owner and expiry."""
        expected = self._signature(image_id, owner_id, expires)
        if not _SIGNATURE.match(signature) or not hmac.compare_digest(signature, expected):
            raise Forbidden("this image link is not valid: ask the API for the image again")


Signed = TypeVar("Signed", bound=BaseModel)


def signed_urls(model: Signed, *, signer: ImageUrlSigner | None, owner_id: str | None) -> Signed:
    """A copy of a comic, panel or character (or a model holding lists of them) with its image URLs signed.
    Unchanged while the API is open. The original, which may be a stored record, is not touched."""
    if signer is None or owner_id is None:
        return model
    return cast(Signed, _sign(model, signer, owner_id))


def _sign(value: object, signer: ImageUrlSigner, owner_id: str) -> object:
    if isinstance(value, list):
        return [_sign(item, signer, owner_id) for item in value]
    if isinstance(value, Panel):
        return value.model_copy(
            update={
                "image_url": signer.sign(value.image_url, owner_id),
                "art_url": signer.sign(value.art_url, owner_id),
            }
        )
    if isinstance(value, Character):
        return value.model_copy(update={"image_url": signer.sign(value.image_url, owner_id)})
    if isinstance(value, Comic):
        return value.model_copy(
            update={
                "panels": _sign(value.panels, signer, owner_id),
                "characters": _sign(value.characters, signer, owner_id),
            }
        )
    if isinstance(value, BaseModel):  # an answer holding panels or characters (a plan, a selection)
        fields = {name: getattr(value, name) for name in type(value).model_fields}
        changed = {
            name: _sign(field, signer, owner_id)
            for name, field in fields.items()
            if isinstance(field, (list, BaseModel))
        }
        return value.model_copy(update=changed)
    return value
