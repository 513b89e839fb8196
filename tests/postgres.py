"""A fresh PostgreSQL database per test, on the machine's server, with Supabase's own pieces the
migration relies on (the `auth` schema with auth.uid(), the roles, storage.buckets).

When the server cannot be reached the test is skipped with the reason; with FABLE_REQUIRE_SERVICES=1
(as .ci/run sets it) that skip is a failure instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import psycopg
import pytest

DSN = os.environ.get("FABLE_TEST_POSTGRES", "host=127.0.0.1 port=5432 user=postgres dbname=test")

SUPABASE_BOOTSTRAP = """
do $$ begin
  if not exists (select from pg_roles where rolname = 'anon') then create role anon nologin; end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then create role authenticated nologin; end if;
  if not exists (select from pg_roles where rolname = 'service_role') then create role service_role nologin bypassrls; end if;
end $$;
create schema if not exists auth;
create or replace function auth.uid() returns uuid language sql stable as
  $$ select nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
grant usage on schema auth to anon, authenticated, service_role;
create schema if not exists storage;
create table if not exists storage.buckets (id text primary key, name text not null, public boolean default false);
grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
"""


def unreachable(reason: str) -> None:
    message = f"PostgreSQL is not reachable at '{DSN}': {reason}"
    if os.environ.get("FABLE_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (FABLE_REQUIRE_SERVICES=1: this must not be skipped)")
    pytest.skip(message)


@pytest.fixture
def database() -> Iterator[str]:
    """The DSN of a new, empty database with the Supabase bootstrap applied; dropped afterwards."""
    with ExitStack() as stack:
        try:
            dsn = stack.enter_context(fresh_database())
        except psycopg.OperationalError as exc:  # only reaching the server; a test's own errors are its own
            unreachable(str(exc).strip().splitlines()[0])
        yield dsn


@contextmanager
def fresh_database(prefix: str = "fable") -> Iterator[str]:
    """A new database with the Supabase bootstrap, dropped on exit (the fixture's, and the benches')."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(DSN, autocommit=True, connect_timeout=3)
    with admin:
        admin.execute(f'create database "{name}"')
        dsn = psycopg.conninfo.make_conninfo(DSN, dbname=name)
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(SUPABASE_BOOTSTRAP)
            yield dsn
        finally:
            admin.execute(f'drop database if exists "{name}" with (force)')
