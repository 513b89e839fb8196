"""Service configuration: one Settings object, read from the environment or `.env`.

Built by get_settings() (or passed explicitly to create_app), never at import time, so tests and
the CLI can build their own.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_IMAGE_HOSTS = ["fal.media", "*.fal.media", "storage.googleapis.com"]


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    host: str = "0.0.0.0"
    port: int = Field(default=8000, ge=1, le=65535)
    cors_origins: Annotated[list[str], NoDecode] = ["http://localhost:3000"]

    data_dir: Path = Path("data")
    storage_backend: Literal["json", "supabase"] = "json"

    text_provider: Literal["auto", "openai", "offline"] = "auto"
    image_provider: Literal["auto", "fal", "offline"] = "auto"

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o"
    fal_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("FAL_KEY", "FAL_AI_API_KEY"))

    supabase_url: str | None = None
    supabase_key: SecretStr | None = None
    supabase_bucket: str = "comic-images"

    fal_image_model: Literal["nano-banana", "seedream-v4"] = "nano-banana"
    image_timeout_seconds: float = Field(default=180.0, gt=0, le=1800)

    max_concurrent_renders: int = Field(default=10, ge=1, le=256)
    max_active_jobs_per_owner: int = Field(default=3, ge=1, le=10_000)
    max_panels: int = Field(default=48, ge=1, le=1000)
    allowed_image_hosts: Annotated[list[str], NoDecode] = DEFAULT_IMAGE_HOSTS
    max_image_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, le=200 * 1024 * 1024)

    api_keys: Annotated[list[SecretStr], NoDecode] = []
    supabase_jwt_secret: SecretStr | None = None

    @field_validator("cors_origins", "allowed_image_hosts", "api_keys", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("openai_api_key", "fal_key", "supabase_key", "supabase_jwt_secret", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _production_needs_auth(self) -> "Settings":
        if self.env == "production" and not self.auth_enabled:
            raise ValueError(
                "ENV=production refuses to start with an open API: set API_KEYS or SUPABASE_JWT_SECRET"
            )
        return self

    @property
    def auth_enabled(self) -> bool:
        return bool(self.api_keys) or self.supabase_jwt_secret is not None

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
