"""Picks the text and image providers from config at start-up (auto = the real one when keyed)."""

from __future__ import annotations

from collections.abc import Callable

from app.services.providers.offline_art import OfflineImageModel
from app.services.providers.offline_text import OfflineTextModel
from app.services.providers.protocols import ImageModel, TextModel
from app.services.safety import DEFAULT_SUPPORT, build_moderator
from app.services.safety.checked import CheckedImageModel, CheckedTextModel
from app.services.safety.moderator import Moderator
from app.errors import ConfigurationError
from config import Settings


# The vendor SDKs load only when their provider is chosen: the offline service does not carry them
# (openai and fal-client are about 30 MB of resident memory between them).
def _openai(settings: Settings, moderator: Moderator) -> TextModel:
    from app.services.providers.openai_text import OpenAITextModel
    from external_services import OpenAIClient

    return OpenAITextModel(OpenAIClient(settings), moderator)


def _fal(settings: Settings) -> ImageModel:
    from app.services.providers.fal_images import FalImageModel
    from external_services import FalClient

    return FalImageModel(FalClient(settings), settings.fal_image_model)


TEXT_MODELS: dict[str, Callable[[Settings, Moderator], TextModel]] = {
    "offline": lambda settings, moderator: OfflineTextModel(moderator),
    "openai": _openai,
}
IMAGE_MODELS: dict[str, Callable[[Settings], ImageModel]] = {
    "offline": lambda settings: OfflineImageModel(),
    "fal": _fal,
}


def _pick(kind: str, choice: str, keyed: bool, real: str) -> str:
    if choice == "auto":
        return real if keyed else "offline"
    if choice == real and not keyed:  # Settings refuses this at start-up; only a model_copy gets here
        raise ConfigurationError(f"{kind.upper()}_PROVIDER={real} needs its API key to be set")
    return choice


def moderator_for(settings: Settings) -> Moderator:
    """MODERATION's moderator; its classifier loads once per process (ConfigurationError if it cannot)."""
    return build_moderator(settings.moderation, settings.support_message.strip() or DEFAULT_SUPPORT)


def build_text_model(settings: Settings) -> TextModel:
    """The writer, whose every input and output passes the moderator (see app/services/safety/checked.py)."""
    name = _pick("text", settings.text_provider, settings.openai_api_key is not None, "openai")
    moderator = moderator_for(settings)
    return CheckedTextModel(TEXT_MODELS[name](settings, moderator), moderator)


def build_image_model(settings: Settings) -> ImageModel:
    """The artist, never sent a picture whose text the moderator refuses."""
    name = _pick("image", settings.image_provider, settings.fal_key is not None, "fal")
    writer = _pick("text", settings.text_provider, settings.openai_api_key is not None, "openai")
    return CheckedImageModel(
        IMAGE_MODELS[name](settings), moderator_for(settings), prompts_from_templates=writer == "offline"
    )


async def close_providers(*providers: object) -> None:
    for provider in providers:
        close = getattr(provider, "close", None)
        if close is not None:
            await close()
