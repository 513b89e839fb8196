"""Picks the text and image providers from config at start-up (auto = the real one when keyed)."""

from __future__ import annotations

from typing import Callable

from app.services.fal_images import FalImageModel
from app.services.offline_art import OfflineImageModel
from app.services.offline_text import OfflineTextModel
from app.services.openai_text import OpenAITextModel
from app.services.providers import ImageModel, TextModel
from app.storage.registry import ConfigurationError
from config import Settings
from external_services import FalClient, OpenAIClient

TEXT_MODELS: dict[str, Callable[[Settings], TextModel]] = {
    "offline": lambda settings: OfflineTextModel(),
    "openai": lambda settings: OpenAITextModel(OpenAIClient(settings)),
}
IMAGE_MODELS: dict[str, Callable[[Settings], ImageModel]] = {
    "offline": lambda settings: OfflineImageModel(),
    "fal": lambda settings: FalImageModel(FalClient(settings), settings.fal_image_model),
}


def _pick(kind: str, choice: str, keyed: bool, real: str) -> str:
    if choice == "auto":
        return real if keyed else "offline"
    if choice == real and not keyed:
        raise ConfigurationError(f"{kind.upper()}_PROVIDER={real} needs its API key to be set")
    return choice


def build_text_model(settings: Settings) -> TextModel:
    name = _pick("text", settings.text_provider, settings.openai_api_key is not None, "openai")
    return TEXT_MODELS[name](settings)


def build_image_model(settings: Settings) -> ImageModel:
    name = _pick("image", settings.image_provider, settings.fal_key is not None, "fal")
    return IMAGE_MODELS[name](settings)


async def close_providers(*providers: object) -> None:
    for provider in providers:
        close = getattr(provider, "close", None)
        if close is not None:
            await close()
