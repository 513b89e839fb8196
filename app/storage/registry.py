"""Name -> StorageBackend class; STORAGE_BACKEND picks one."""

from __future__ import annotations

from typing import Callable

from app.storage.base import StorageBackend
from app.storage.json_backend import JsonBackend
from config import Settings


class ConfigurationError(RuntimeError):
    """The configuration asks for something this service cannot do; the message says what to change."""


BACKENDS: dict[str, Callable[[Settings], StorageBackend]] = {
    "json": lambda settings: JsonBackend(settings.data_dir),
}


def build_backend(settings: Settings) -> StorageBackend:
    factory = BACKENDS.get(settings.storage_backend)
    if factory is None:
        raise ConfigurationError(
            f"STORAGE_BACKEND={settings.storage_backend} is not available in this release; "
            f"use one of: {', '.join(sorted(BACKENDS))}"
        )
    return factory(settings)
