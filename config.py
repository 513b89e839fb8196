"""Service configuration: one Settings object, read from the environment or `.env`.

Built by get_settings() (or passed explicitly to create_app), never at import time, so tests and
the CLI can build their own. Every check, including those between variables, happens here, so a bad
configuration stops start-up with `settings_error_lines()`: one line per variable, never a traceback.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin
from urllib.parse import unquote, urlsplit

import annotated_types
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_IMAGE_HOSTS = ["fal.media", "*.fal.media", "storage.googleapis.com"]


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


# What a host pattern of ALLOWED_IMAGE_HOSTS may be: a name or an IPv4 address, `*.` before a domain, or an
# [IPv6] address, each with an optional :port. A URL (`http://evil`) or a path is not a host.
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_PATTERN = re.compile(
    rf"^(?:(?:\*\.)?{_LABEL}(?:\.{_LABEL})*\.?|\[[0-9a-f:.]+\])(?::[0-9]{{1,5}})?$", re.IGNORECASE
)
HOSTS_RULE = "host names separated by commas, without a scheme or path (host, *.domain or host:port)"
URL_RULE = "an http:// or https:// URL with a host"
ORIGINS_RULE = (
    "origins separated by commas, each a scheme and host with an optional port and no path "
    "(http://localhost:3000), or *"
)


def _is_url(value: str, *, path_allowed: bool = True) -> bool:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not any(c.isspace() for c in value)
        and (
            path_allowed
            or (
                parts.path in ("", "/")
                and not value.endswith("/")
                and not (parts.query or parts.fragment or parts.username or parts.password)
            )
        )
    )


DATABASE_URL_RULE = (
    "a postgres:// or postgresql:// URL with a host (the Postgres behind your Supabase project, direct or session mode)"
)
TRANSACTION_POOLER = (
    "the direct or session-mode connection (port 5432), not Supabase's transaction pooler (port 6543): "
    "LISTEN/NOTIFY does not work through a transaction pooler"
)
# Refused rather than ignored: a DATABASE_URL beside JSON storage most likely means STORAGE_BACKEND=supabase
# was forgotten, and every instance would then quietly keep its records in its own files.
DATABASE_URL_WITHOUT_SUPABASE = (
    "DATABASE_URL is used only with STORAGE_BACKEND=supabase (it is the Postgres behind the Supabase project); "
    "set STORAGE_BACKEND=supabase, or leave DATABASE_URL unset for JSON storage"
)


def database_url_problem(url: str) -> str | None:
    """What is wrong with a DATABASE_URL, said as what follows "DATABASE_URL must be ", or None. Never the URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return DATABASE_URL_RULE
    if parts.scheme not in ("postgres", "postgresql") or not parts.hostname or any(c.isspace() for c in url.strip()):
        return DATABASE_URL_RULE
    if port == 6543:  # Supabase's pooler (Supavisor) and self-hosted Supabase: transaction mode on 6543
        return TRANSACTION_POOLER
    return None


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

    openai_api_key: SecretStr | None = Field(default=None, examples=["sk-..."])
    openai_base_url: str | None = Field(default=None, examples=["https://api.openai.com/v1"])
    openai_model: str = "gpt-4o"
    fal_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("FAL_KEY", "FAL_AI_API_KEY"),
        examples=["your-key-id:your-key-secret"],
    )
    # where fal.ai's API is reached (a proxy, a local fake); the queue defaults to queue.<FAL_RUN_HOST>
    fal_run_host: str = Field(default="fal.run", min_length=1, examples=["fal.run"])
    fal_queue_run_host: str | None = Field(default=None, examples=["queue.fal.run"])

    supabase_url: str | None = Field(default=None, examples=["https://your-project.supabase.co"])
    supabase_key: SecretStr | None = Field(default=None, examples=["your-service-role-key"])
    supabase_bucket: str = "comic-images"
    # the Postgres behind the Supabase project (direct or session mode): each API instance LISTENs on it for
    # the changes other instances write (live updates); a SecretStr, since the URL carries the password
    database_url: SecretStr | None = Field(
        default=None, examples=["postgresql://postgres:your-db-password@db.your-project.supabase.co:5432/postgres"]
    )

    fal_image_model: Literal["nano-banana", "seedream-v4"] = "nano-banana"
    image_timeout_seconds: float = Field(default=180.0, gt=0, le=1800)

    max_concurrent_renders: int = Field(default=10, ge=1, le=256)
    # inprocess: jobs run as tasks of the process that started them (one process, nothing to set up);
    # procrastinate: API instances enqueue, `python -m app.cli worker` processes run (Supabase + DATABASE_URL)
    job_queue: Literal["inprocess", "procrastinate"] = "inprocess"
    worker_concurrency: int = Field(default=10, ge=1, le=1000)
    max_active_jobs_per_owner: int = Field(default=3, ge=1, le=10_000)
    # at least the wizard's most scenes (num_scenes <= 12), so a plan never has to leave a written scene out
    max_panels: int = Field(default=48, ge=12, le=1000)
    allowed_image_hosts: Annotated[list[str], NoDecode] = DEFAULT_IMAGE_HOSTS
    max_image_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, le=200 * 1024 * 1024)

    # local: rules + the shipped classifier (it must load, or the service does not start); rules-only: no model
    moderation: Literal["local", "rules-only"] = "local"
    support_message: str = Field(
        default=(
            "If you are feeling very sad or want to hurt yourself, please talk to a grown-up you trust right now, "
            "like a parent, a teacher or the school counsellor. You are not alone."
        ),
        max_length=1000,
    )

    api_keys: Annotated[list[SecretStr], NoDecode] = Field(default=[], examples=["first-key,second-key"])
    supabase_jwt_secret: SecretStr | None = Field(default=None, examples=["your-project-jwt-secret"])
    # signs image URLs in answers (app/api/signing.py); unset: derived from API_KEYS and SUPABASE_JWT_SECRET
    image_url_secret: SecretStr | None = Field(default=None, examples=["a-long-random-string"])

    @field_validator("cors_origins", "allowed_image_hosts", "api_keys", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator(
        "openai_api_key",
        "fal_key",
        "supabase_key",
        "supabase_jwt_secret",
        "image_url_secret",
        "database_url",
        "openai_base_url",
        "supabase_url",
        "fal_queue_run_host",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    # Each rule below is said as what follows "VARIABLE must be " (see settings_error_lines), never with the value.
    @field_validator("openai_base_url", "supabase_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not _is_url(value.strip()):
            raise ValueError(URL_RULE)
        return value.strip() if value is not None else None

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            problem = database_url_problem(value.get_secret_value())
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("allowed_image_hosts")
    @classmethod
    def _hosts(cls, hosts: list[str]) -> list[str]:
        if not all(_HOST_PATTERN.fullmatch(host) for host in hosts):
            raise ValueError(HOSTS_RULE)
        return hosts

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        if not all(origin == "*" or _is_url(origin, path_allowed=False) for origin in origins):
            raise ValueError(ORIGINS_RULE)
        return origins

    @field_validator("data_dir", mode="before")
    @classmethod
    def _data_dir_given(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():  # Path("") is the working directory, silently
            raise ValueError("a directory path, not empty")
        return value

    @field_validator("fal_run_host", mode="before")
    @classmethod
    def _blank_is_fal_run(cls, value: object) -> object:
        return "fal.run" if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _settings_agree(self) -> Settings:
        """Rules between variables, all at once: one line each (joined by newlines; see settings_error_lines)."""
        problems = []
        if self.env == "production" and not self.auth_enabled:
            problems.append(
                "API_KEYS or SUPABASE_JWT_SECRET must be set when ENV=production (it refuses to start "
                f"with an open API); for example {example_assignment('api_keys')}"
            )
        if self.text_provider == "openai" and self.openai_api_key is None:
            problems.append(_needs("openai_api_key", because="TEXT_PROVIDER=openai"))
        if self.image_provider == "fal" and self.fal_key is None:
            problems.append(_needs("fal_key", because="IMAGE_PROVIDER=fal"))
        missing = [name for name in ("supabase_url", "supabase_key") if getattr(self, name) is None]
        if self.storage_backend == "supabase" and missing:
            problems.append(_needs(*missing, because="STORAGE_BACKEND=supabase"))
        if self.database_url is not None and self.storage_backend != "supabase":
            problems.append(DATABASE_URL_WITHOUT_SUPABASE)
        if self.job_queue == "procrastinate":
            if self.storage_backend != "supabase" and self.database_url is None:
                problems.append(
                    "STORAGE_BACKEND must be supabase when JOB_QUEUE=procrastinate (the queue's workers and API "
                    "instances share the jobs through Supabase); for example STORAGE_BACKEND=supabase"
                )
            if self.database_url is None:
                problems.append(_needs("database_url", because="JOB_QUEUE=procrastinate"))
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def auth_enabled(self) -> bool:
        return bool(self.api_keys) or self.supabase_jwt_secret is not None

    @property
    def cors_credentials(self) -> bool:
        """Whether browsers may send credentials (cookies) cross-origin: not with `*`, which browsers refuse
        with credentials and Starlette would answer by echoing every origin. The API's credential is a bearer
        header, which needs no credentials mode, so `*` means: any site, with a key it holds."""
        return "*" not in self.cors_origins

    def secret_values(self) -> list[str]:
        """Every secret this configuration holds (its SecretStr values), to keep out of the logs; for
        DATABASE_URL its password on its own too, wherever a driver's message might show it."""
        found: list[str] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, SecretStr) and item.get_secret_value():
                    found.append(item.get_secret_value())
        if self.database_url is not None and (password := urlsplit(self.database_url.get_secret_value()).password):
            found.append(unquote(password))
        return found

    @property
    def fal_queue_host(self) -> str:
        return self.fal_queue_run_host or f"queue.{self.fal_run_host}"

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


# Turning a ValidationError of Settings into words: `VARIABLE must be <rule>; for example VARIABLE=<value>`.


def env_name(field: str) -> str:
    """The environment variable a field is read from (its first alias when it has several)."""
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]
    return alias if isinstance(alias, str) else field.upper()


def _literal_choices(info: FieldInfo) -> tuple[Any, ...]:
    return get_args(info.annotation) if get_origin(info.annotation) is Literal else ()


def _example(info: FieldInfo) -> str:
    if info.examples:
        return str(info.examples[0])
    if info.default not in (None, PydanticUndefined):
        default = info.default
        return ",".join(map(str, default)) if isinstance(default, list) else _number(default)
    choices = _literal_choices(info)
    return str(choices[0]) if choices else "..."


def example_assignment(field: str) -> str:
    return f"{env_name(field)}={_example(Settings.model_fields[field])}"


def _needs(*fields: str, because: str) -> str:
    names = " and ".join(env_name(field) for field in fields)
    return f"{names} must be set when {because}; for example {' '.join(map(example_assignment, fields))}"


def _number(value: object) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _bounds(info: FieldInfo) -> str:
    """The field's range in words: ' from 1 to 256', ' of at least 1', ' above 0 and at most 1800'."""
    low = high = ""
    for rule in info.metadata:
        if isinstance(rule, annotated_types.Ge):
            low = _number(rule.ge)
        elif isinstance(rule, annotated_types.Gt):
            low = f"above {_number(rule.gt)}"
        elif isinstance(rule, annotated_types.Le):
            high = _number(rule.le)
    if low and high:
        return f" from {low} to {high}" if not low.startswith("above") else f" {low} and at most {high}"
    if low:
        return f" of at least {low}" if not low.startswith("above") else f" {low}"
    return f" of at most {high}" if high else ""


def _rule(error: Any, info: FieldInfo) -> str:
    """What the value must be, in words, for one pydantic error on a field."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "greater_than_equal":
        return f"at least {_number(ctx['ge'])}"
    if kind == "greater_than":
        return f"more than {_number(ctx['gt'])}"
    if kind == "less_than_equal":
        return f"at most {_number(ctx['le'])}"
    if kind == "less_than":
        return f"less than {_number(ctx['lt'])}"
    if kind == "literal_error":
        return "one of " + ", ".join(map(str, _literal_choices(info)))
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "a whole number" + _bounds(info)
    if kind in ("float_parsing", "float_type", "finite_number"):
        return "a number" + _bounds(info)
    if kind in ("bool_parsing", "bool_type"):
        return "true or false"
    if kind == "value_error":  # our validators say their rule in these words
        return str(error["msg"]).removeprefix("Value error, ")
    return "valid (" + str(error["msg"]).removeprefix("Value error, ").rstrip(".").lower() + ")"


def _field_of(loc: tuple[Any, ...]) -> str | None:
    if not loc:
        return None
    name = str(loc[0])
    if name in Settings.model_fields:
        return name
    return next((field for field in Settings.model_fields if env_name(field) == name.upper()), None)


def settings_error_lines(exc: ValidationError) -> list[str]:
    """One line per problem in a Settings ValidationError, naming the variable, the rule and an example;
    never the value given (it may be a secret)."""
    lines: list[str] = []
    for error in exc.errors():
        field = _field_of(tuple(error["loc"]))
        if field is None:  # a rule between variables: its message is already in these words
            lines += str(error["msg"]).removeprefix("Value error, ").splitlines()
            continue
        info = Settings.model_fields[field]
        lines.append(f"{env_name(field)} must be {_rule(error, info)}; for example {example_assignment(field)}")
    return lines
