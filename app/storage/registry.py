"""Name -> StorageBackend class; STORAGE_BACKEND picks one."""

from __future__ import annotations

from typing import TYPE_CHECKING
from collections.abc import Callable

from app.errors import ConfigurationError
from app.storage.base import StorageBackend
from app.storage.json_backend import JsonBackend
from config import Settings

if TYPE_CHECKING:
    from app.storage.supabase_backend import SupabaseBackend


def supabase_backend(settings: Settings) -> SupabaseBackend:
    # Settings refuses STORAGE_BACKEND=supabase without these; push-supabase needs them with any backend.
    if not settings.supabase_url or settings.supabase_key is None:
        raise ConfigurationError("Supabase needs SUPABASE_URL and SUPABASE_KEY (the service-role key) to be set")
    from app.storage.supabase_backend import SupabaseBackend  # supabase-py loads only when it is used

    return SupabaseBackend(settings.supabase_url, settings.supabase_key.get_secret_value(), settings.supabase_bucket)


BACKENDS: dict[str, Callable[[Settings], StorageBackend]] = {
    "json": lambda settings: JsonBackend(settings.data_dir),
    "supabase": supabase_backend,
}


def build_backend(settings: Settings) -> StorageBackend:
    factory = BACKENDS.get(settings.storage_backend)
    if factory is None:
        raise ConfigurationError(
            f"STORAGE_BACKEND={settings.storage_backend} is not available in this release; "
            f"use one of: {', '.join(sorted(BACKENDS))}"
        )
    return factory(settings)
