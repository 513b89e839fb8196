"""The Supabase (PostgreSQL) schema, generated from the models' table metadata.

`python -m app.cli schema` prints it; supabase/migrations/ holds it, and a test fails when the two
disagree. Row level security is on for every table: the service role (the backend, the export push)
bypasses it, and signed-in users reach only rows of comics they own.
"""

from __future__ import annotations

from app.models.schemas import SERVICE_MODELS, TABLE_MODELS, TableSpec

HEADER = """-- Fable Tales schema. Generated from app/models by `python -m app.cli schema`; do not edit by hand.
-- Applies to a Supabase project (or any PostgreSQL 13+ with Supabase's auth and storage schemas).
"""

# The lookups the API makes, beyond primary keys.
INDEXES: dict[str, list[str]] = {
    "comics": ["(created_at desc, id desc)", "(owner_id, id desc)"],
    "jobs": ["(comic_id)", "(owner_id)", "(status) where status in ('queued', 'running', 'awaiting_input')"],
    "scenes": ["(comic_id, position)"],
    "characters": ["(comic_id, position)"],
    "panels": ["(comic_id, position)"],
    "images": ["(comic_id)", "(panel_id)", "(owner_id)", "((data->>'comic_id'))"],
    "idempotency_keys": ["(created_at)"],
}
NOT_NULL = {"position", "kind", "status", "fingerprint", "status_code", "body"}


def column_sql(spec: TableSpec, name: str, sql_type: str) -> str:
    parts = [f"  {name} {sql_type}"]
    if spec.primary_key == (name,):
        parts.append("primary key default gen_random_uuid()" if sql_type == "uuid" else "primary key")
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
    if "owner_id" in spec.columns:
        rule = "owner_id = auth.uid()::text"
    else:
        rule = "exists (select 1 from public.comics c where c.id = comic_id and c.owner_id = auth.uid()::text)"
    lines.append(f'drop policy if exists "{spec.name} of their owner" on public.{spec.name};')
    lines.append(
        f'create policy "{spec.name} of their owner" on public.{spec.name} for all to authenticated\n'
        f"  using ({rule})\n  with check ({rule});"
    )
    return "\n".join(lines)


def bucket_sql(bucket: str) -> str:
    return (
        f"insert into storage.buckets (id, name, public) values ('{bucket}', '{bucket}', true)\n"
        "  on conflict (id) do nothing;"
    )


def _assign(spec: TableSpec, source: str, skip: tuple[str, ...] = ("id",)) -> str:
    names = [n for n in spec.columns if n not in skip]
    return f"({', '.join(names)}) = ({', '.join(f'{source}.{n}' for n in names)})"


def _children_sql(spec: TableSpec) -> str:
    t = spec.name
    return (
        f"  delete from public.{t} where comic_id = v_head.id\n"
        f"    and id not in (select (e->>'id')::uuid from jsonb_array_elements(coalesce(p_rows->'{t}', '[]')) e);\n"
        f"  insert into public.{t} select * from jsonb_populate_recordset(null::public.{t}, "
        f"coalesce(p_rows->'{t}', '[]'))\n"
        f"    on conflict (id) do update set {_assign(spec, 'excluded')};\n"
        f"  if exists (select 1 from public.{t} where comic_id is distinct from v_head.id and id in\n"
        f"      (select (e->>'id')::uuid from jsonb_array_elements(coalesce(p_rows->'{t}', '[]')) e)) then\n"
        f"    raise exception using errcode = 'PT409', message = '{t} rows belong to another comic';\n"
        f"  end if;"
    )


def functions_sql() -> str:
    """What the Supabase backend calls through rpc. A comic and its scenes, characters and panels are
    written in one transaction, compare-and-swap on the comic's version, and read in one snapshot.
    Errors use PostgREST's PTxyz codes, so the HTTP status says what happened (404, 409)."""
    specs = {m.__table__.name: m.__table__ for m in TABLE_MODELS}
    children = "\n".join(_children_sql(specs[t]) for t in ("scenes", "characters", "panels"))
    child_json = ",\n".join(
        f"    '{t}', coalesce((select jsonb_agg(to_jsonb(x) order by x.position) from public.{t} x "
        f"where x.comic_id = c.id), '[]')"
        for t in ("scenes", "characters", "panels")
    )
    fns = f"""create or replace function public.fable_save_comic(p_rows jsonb, p_expected_version integer)
returns void language plpgsql set search_path = '' as $fn$
declare
  v_head public.comics := jsonb_populate_record(null::public.comics, p_rows->'comics'->0);
  v_current integer;
begin
  if v_head.id is null then
    raise exception using errcode = 'PT400', message = 'the comic row has no id';
  end if;
  if p_expected_version is null then
    insert into public.comics select v_head.*;
  else
    select (data->>'version')::integer into v_current from public.comics where id = v_head.id for update;
    if not found then
      raise exception using errcode = 'PT404', message = format('comic %s not found', v_head.id);
    end if;
    if v_current is distinct from p_expected_version then
      raise exception using errcode = 'PT409',
        message = format('comic %s changed meanwhile (version %s, expected %s)', v_head.id, v_current,
                         p_expected_version);
    end if;
    update public.comics c set {_assign(specs["comics"], "v_head")} where c.id = v_head.id;
  end if;
{children}
end $fn$;

create or replace function public.fable_comic_json(c public.comics) returns jsonb
language sql stable set search_path = '' as $fn$
  select jsonb_build_object(
    'comics', jsonb_build_array(to_jsonb(c)),
{child_json})
$fn$;

drop function if exists public.fable_get_comics(uuid[], integer, integer);
create or replace function public.fable_get_comics(p_ids uuid[] default null, p_limit integer default 50,
                                                   p_offset integer default 0, p_owner text default null)
returns jsonb language sql stable set search_path = '' as $fn$
  select coalesce(jsonb_agg(public.fable_comic_json(c) order by c.id desc), '[]')
  from (select * from public.comics where (p_ids is null or id = any(p_ids))
          and (p_owner is null or owner_id = p_owner)
        order by id desc limit p_limit offset p_offset) c
$fn$;

create or replace function public.fable_put_image(p_row jsonb) returns void
language plpgsql set search_path = '' as $fn$
declare
  v public.images := jsonb_populate_record(null::public.images, p_row);
begin
  if v.comic_id is not null and not exists (select 1 from public.comics where id = v.comic_id) then
    v.comic_id := null;
  end if;
  if v.panel_id is not null and not exists (select 1 from public.panels where id = v.panel_id) then
    v.panel_id := null;
  end if;
  insert into public.images select v.*
    on conflict (id) do update set {_assign(specs["images"], "excluded")};
end $fn$;

create or replace function public.fable_stats() returns jsonb
language sql stable set search_path = '' as $fn$
  select jsonb_build_object(
    'total_jobs', (select count(*) from public.jobs),
    'total_comics', (select count(*) from public.comics),
    'json_bytes', (select coalesce(sum(pg_column_size(t.*)), 0) from public.jobs t)
                  + (select coalesce(sum(pg_column_size(t.*)), 0) from public.comics t)
                  + (select coalesce(sum(pg_column_size(t.*)), 0) from public.scenes t)
                  + (select coalesce(sum(pg_column_size(t.*)), 0) from public.characters t)
                  + (select coalesce(sum(pg_column_size(t.*)), 0) from public.panels t),
    'total_images', (select count(*) from public.images),
    'panel_image_bytes', (select coalesce(sum(size_bytes), 0) from public.images where kind = 'panel'),
    'image_bytes', (select coalesce(sum(size_bytes), 0) from public.images))
$fn$;"""
    signatures = [
        "fable_save_comic(jsonb, integer)",
        "fable_comic_json(public.comics)",
        "fable_get_comics(uuid[], integer, integer, text)",
        "fable_put_image(jsonb)",
        "fable_stats()",
    ]
    grants = "\n".join(
        f"revoke all on function public.{sig} from public, anon, authenticated;\n"
        f"grant execute on function public.{sig} to service_role;"
        for sig in signatures
    )
    return f"{fns}\n\n-- only the backend (service role) calls these; users reach their rows through RLS\n{grants}"


# -- idempotency claims (issue 18) ---------------------------------------------------------------
def idempotency_claims_sql() -> str:
    """A key's row is first the claim of the one request running for it, then its answer: every API
    instance inserts its claim with `on conflict do nothing`, so one wins. The columns come with the
    table on a new project; these statements add them to a project made before claims existed."""
    t = "public.idempotency_keys"
    return f"""-- idempotency claims: a row is 'pending' (a request holds the key) until its answer is stored ('done')
alter table {t} add column if not exists state text not null default 'done';
alter table {t} add column if not exists claim text;
alter table {t} add column if not exists claimed_at timestamptz;
alter table {t} alter column state set default 'done';
alter table {t} alter column state set not null;
alter table {t} drop constraint if exists idempotency_keys_state_check;
alter table {t} add constraint idempotency_keys_state_check check (state in ('pending', 'done'));"""


# -- live updates (issue 18) ---------------------------------------------------------------------------
CHANGES_CHANNEL = "fable_changes"  # app/storage/change_feed.py LISTENs here


def live_updates_sql() -> str:
    """Every committed change to a job or a comic row is announced on CHANGES_CHANNEL, so each API instance
    (one LISTEN connection each) wakes its own SSE and WebSocket listeners, which re-read the state. The
    payload is small and says only which record changed: `{"kind": "job"|"comic", "op": "insert"|"update"|
    "delete", "id", "comic_id", "version"}`; no owner, no content. A comic's scenes, characters and panels are
    written with its row (fable_save_comic), so the comic's trigger covers them."""
    return f"""create or replace function public.fable_notify_change() returns trigger
language plpgsql set search_path = '' as $fn$
declare
  v_row jsonb;
begin
  if tg_table_name = 'jobs' then
    v_row := case when tg_op = 'DELETE'
      then jsonb_build_object('id', old.id, 'comic_id', old.comic_id, 'version', old.data->'_version')
      else jsonb_build_object('id', new.id, 'comic_id', new.comic_id, 'version', new.data->'_version') end;
    v_row := v_row || jsonb_build_object('kind', 'job');
  else
    v_row := case when tg_op = 'DELETE'
      then jsonb_build_object('id', old.id, 'comic_id', old.id, 'version', old.data->'version')
      else jsonb_build_object('id', new.id, 'comic_id', new.id, 'version', new.data->'version') end;
    v_row := v_row || jsonb_build_object('kind', 'comic');
  end if;
  perform pg_notify('{CHANGES_CHANNEL}', (v_row || jsonb_build_object('op', lower(tg_op)))::text);
  return null;
end $fn$;
revoke all on function public.fable_notify_change() from public, anon, authenticated;

drop trigger if exists fable_jobs_changed on public.jobs;
create trigger fable_jobs_changed after insert or update or delete on public.jobs
  for each row execute function public.fable_notify_change();
drop trigger if exists fable_comics_changed on public.comics;
create trigger fable_comics_changed after insert or update or delete on public.comics
  for each row execute function public.fable_notify_change();"""


# -- the job queue (JOB_QUEUE=procrastinate) ---------------------------------------------------------
QUEUE = "fable"  # procrastinate's queue for our jobs
RUN_JOB_TASK = "fable.run_job"


def queue_sql() -> str:
    """procrastinate's own schema (the pinned version's, applied once: it is not idempotent, so it runs only
    where its jobs table is missing), then what the API instances and workers call: defer a job (one queue
    entry per job, one running job per comic), abort a job's run wherever it is, and a wake-up for workers
    when a comic's lock frees or a job is put back, which procrastinate itself leaves to its 5 s poll."""
    from procrastinate.schema import SchemaManager  # a dependency of the schema command only

    schema = SchemaManager.get_schema()
    return f"""do $procrastinate_guard$
begin
  if to_regclass('public.procrastinate_jobs') is null then
    execute $procrastinate_schema${schema}$procrastinate_schema$;
  end if;
end
$procrastinate_guard$;

create index if not exists fable_queue_job_id on public.procrastinate_jobs ((args->>'job_id'));

create or replace function public.fable_defer_job(p_job_id text, p_comic_id text)
returns bigint language plpgsql as $fn$
declare
  taken text;
begin
  return (procrastinate_defer_jobs_v1(array[row(
    '{QUEUE}', '{RUN_JOB_TASK}', 0, 'comic:' || p_comic_id, 'job:' || p_job_id,
    jsonb_build_object('job_id', p_job_id), null::timestamptz
  )]::procrastinate_job_to_defer_v1[]))[1];
exception when unique_violation then
  get stacked diagnostics taken = constraint_name;
  if taken = 'procrastinate_jobs_queueing_lock_idx_v1' then
    return null;  -- already queued and not started: the queued entry runs it
  end if;
  raise;
end
$fn$;

create or replace function public.fable_abort_job(p_job_id text)
returns integer language sql as $fn$
  select count(procrastinate_cancel_job_v1(id, true, false))::integer
  from public.procrastinate_jobs where args->>'job_id' = p_job_id and status in ('todo', 'doing')
$fn$;

create or replace function public.fable_queued_job_ids(p_job_ids text[])
returns setof text language sql stable as $fn$
  select distinct args->>'job_id' from public.procrastinate_jobs
  where args->>'job_id' = any(p_job_ids) and status in ('todo', 'doing')
$fn$;

create or replace function public.fable_wake_workers()
returns trigger language plpgsql as $fn$
begin
  perform pg_notify('procrastinate_queue_v1#' || new.queue_name,
                    json_build_object('type', 'job_inserted', 'job_id', new.id)::text);
  perform pg_notify('procrastinate_any_queue_v1', json_build_object('type', 'job_inserted', 'job_id', new.id)::text);
  return new;
end
$fn$;

drop trigger if exists fable_wake_workers on public.procrastinate_jobs;
create trigger fable_wake_workers after update of status on public.procrastinate_jobs for each row
  when ((old.status = 'doing' and new.status <> 'doing' and new.lock is not null)
        or (new.status = 'todo' and old.status <> 'todo'))
  execute function public.fable_wake_workers();

revoke all on function public.fable_defer_job(text, text) from public, anon, authenticated;
revoke all on function public.fable_abort_job(text) from public, anon, authenticated;
revoke all on function public.fable_queued_job_ids(text[]) from public, anon, authenticated;
alter table public.procrastinate_jobs enable row level security;
alter table public.procrastinate_workers enable row level security;
alter table public.procrastinate_events enable row level security;
alter table public.procrastinate_periodic_defers enable row level security;"""


def render_schema(bucket: str = "comic-images") -> str:
    tables = "\n\n".join(table_sql(model.__table__) for model in (*TABLE_MODELS, *SERVICE_MODELS))
    return (
        f"{HEADER}\n{tables}\n\n{idempotency_claims_sql()}\n\n"
        f"-- what the Supabase backend calls through rpc\n{functions_sql()}\n\n"
        f"-- live updates: each change to a job or a comic is announced to every API instance\n"
        f"{live_updates_sql()}\n\n"
        f"-- where the image files live\n{bucket_sql(bucket)}\n\n"
        f"-- the job queue (JOB_QUEUE=procrastinate; unused otherwise)\n{queue_sql()}\n"
    )
