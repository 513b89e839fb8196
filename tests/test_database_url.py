"""DATABASE_URL (issue 18): the Postgres behind Supabase, checked at start-up and never shown."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from app.errors import StorageError
from app.storage.change_feed import ChangeFeed, parse_change
from config import Settings, settings_error_lines

SUPABASE = {"storage_backend": "supabase", "supabase_url": "https://project.supabase.co", "supabase_key": "k"}
PASSWORD = "s3cret-Pa55"


def refusal(**values: object) -> str:
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, **values)
    (line,) = settings_error_lines(refused.value)
    assert PASSWORD not in line
    return line


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://postgres.abcdefgh:{PASSWORD}@aws-0-eu-central-1.pooler.supabase.com:6543/postgres",
        f"postgres://postgres:{PASSWORD}@db.example.internal:6543/postgres",
    ],
)
def test_the_transaction_pooler_is_refused_with_the_reason(url: str) -> None:
    line = refusal(**SUPABASE, database_url=url)
    assert line.startswith("DATABASE_URL must be the direct or session-mode connection (port 5432)")
    assert "LISTEN/NOTIFY does not work through a transaction pooler" in line
    assert "; for example DATABASE_URL=postgresql://" in line


@pytest.mark.parametrize(
    "url",
    [
        f"mysql://root:{PASSWORD}@db:3306/fable",
        f"https://postgres:{PASSWORD}@db.project.supabase.co",
        "host=127.0.0.1 port=5432 user=postgres",
        "postgresql:///postgres",
        f"postgresql://postgres:{PASSWORD}@db.project.supabase.co:notaport/postgres",
    ],
)
def test_anything_but_a_postgres_url_is_refused(url: str) -> None:
    line = refusal(**SUPABASE, database_url=url)
    assert line.startswith("DATABASE_URL must be a postgres:// or postgresql:// URL with a host")


def test_with_json_storage_it_is_refused_rather_than_ignored() -> None:
    line = refusal(database_url=f"postgresql://postgres:{PASSWORD}@db.project.supabase.co:5432/postgres")
    assert line.startswith("DATABASE_URL is used only with STORAGE_BACKEND=supabase")


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://postgres:{PASSWORD}@db.abcdefgh.supabase.co:5432/postgres",  # direct
        f"postgres://postgres.abcdefgh:{PASSWORD}@aws-0-eu-central-1.pooler.supabase.com:5432/postgres",  # session
        "postgresql://postgres@127.0.0.1/test",
    ],
)
def test_a_direct_or_session_mode_url_is_accepted_and_kept_secret(url: str) -> None:
    settings = Settings(_env_file=None, **SUPABASE, database_url=url)
    assert settings.database_url is not None and settings.database_url.get_secret_value() == url
    assert PASSWORD not in repr(settings) and PASSWORD not in str(settings.model_dump())
    if PASSWORD in url:  # the log redaction blanks the whole URL, and the password wherever it appears alone
        assert {url, PASSWORD} <= set(settings.secret_values())


def test_blank_is_unset() -> None:
    assert Settings(_env_file=None, database_url=" ").database_url is None


async def test_a_database_that_cannot_be_reached_stops_start_up_with_a_sentence_without_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    feed = ChangeFeed(
        f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/postgres", on_change=print, on_reconnect=lambda: None
    )
    with pytest.raises(StorageError) as refused:
        await feed.open()
    message = refused.value.message
    assert message.startswith("the database at DATABASE_URL (127.0.0.1:1/postgres) cannot be reached")
    assert PASSWORD not in message and PASSWORD not in caplog.text


@pytest.mark.parametrize("payload", ["not json", "[]", '{"kind": "user", "op": "update", "id": "x"}', '{"op": "x"}'])
def test_a_notification_that_is_not_a_change_is_ignored(payload: str) -> None:
    assert parse_change(payload) is None


def test_a_change_is_read_from_the_triggers_payload() -> None:
    change = parse_change('{"id": "j1", "op": "update", "kind": "job", "version": 3, "comic_id": "c1"}')
    assert change is not None and (change.kind, change.id, change.comic_id, change.op, change.version) == (
        "job",
        "j1",
        "c1",
        "update",
        3,
    )
