"""The Supabase (PostgreSQL) schema, generated from the models' table metadata.

`python -m app.cli schema` prints it; supabase/migrations/ holds it, and a test fails when the two
disagree. Row level security is on for every table: the service role (the backend, the export push)
bypasses it, and signed-in users reach only rows of comics they own.
"""

from __future__ import annotations

from app.models.schemas import TABLE_MODELS, TableSpec

HEADER = """-- Fable Tales schema. Generated from app/models by `python -m app.cli schema`; do not edit by hand.
-- Applies to a Supabase project (or any PostgreSQL 13+ with Supabase's auth and storage schemas).
"""

# The lookups the API makes, beyond primary keys.
INDEXES: dict[str, list[str]] = {
    "comics": ["(created_at desc, id desc)", "(owner_id)"],
    "jobs": ["(comic_id)", "(owner_id)", "(status) where status in ('queued', 'running', 'awaiting_input')"],
    "scenes": ["(comic_id, position)"],
    "characters": ["(comic_id, position)"],
    "panels": ["(comic_id, position)"],
    "images": ["(comic_id)", "(panel_id)", "(owner_id)"],
}
NOT_NULL = {"position", "kind", "status"}


def column_sql(spec: TableSpec, name: str, sql_type: str) -> str:
    parts = [f"  {name} {sql_type}"]
    if name == "id":
        parts.append("primary key default gen_random_uuid()")
    elif name in NOT_NULL or (name == "comic_id" and spec.name != "images"):
        parts.append("not null")
    if name in ("created_at", "updated_at"):
        parts.append("not null default now()")
    if name == "data":
        parts.append("not null default '{}'::jsonb")
    if name in spec.foreign_keys:
        table, column = spec.foreign_keys[name].split(".")
        parts.append(f"references public.{table}({column}) on delete cascade")
    return " ".join(parts)


def table_sql(spec: TableSpec) -> str:
    columns = ",\n".join(column_sql(spec, name, sql_type) for name, sql_type in spec.columns.items())
    lines = [f"create table if not exists public.{spec.name} (\n{columns}\n);"]
    for index, target in enumerate(INDEXES.get(spec.name, [])):
        lines.append(f"create index if not exists {spec.name}_lookup_{index} on public.{spec.name} {target};")
    lines.append(f"alter table public.{spec.name} enable row level security;")
    if "owner_id" in spec.columns and spec.name == "comics":
        rule = "owner_id = auth.uid()::text"
    elif "owner_id" in spec.columns:
        rule = "owner_id = auth.uid()::text"
    else:
        rule = "exists (select 1 from public.comics c where c.id = comic_id and c.owner_id = auth.uid()::text)"
    lines.append(f'drop policy if exists "{spec.name} of their owner" on public.{spec.name};')
    lines.append(f'create policy "{spec.name} of their owner" on public.{spec.name} for all to authenticated\n'
                 f"  using ({rule})\n  with check ({rule});")
    return "\n".join(lines)


def bucket_sql(bucket: str) -> str:
    return (f"insert into storage.buckets (id, name, public) values ('{bucket}', '{bucket}', true)\n"
            "  on conflict (id) do nothing;")


def render_schema(bucket: str = "comic-images") -> str:
    tables = "\n\n".join(table_sql(model.__table__) for model in TABLE_MODELS)
    return f"{HEADER}\n{tables}\n\n-- where the image files live\n{bucket_sql(bucket)}\n"
