-- Fable Tales schema. Generated from app/models by `python -m app.cli schema`; do not edit by hand.
-- Applies to a Supabase project (or any PostgreSQL 13+ with Supabase's auth and storage schemas).

create table if not exists public.comics (
  id uuid primary key default gen_random_uuid(),
  owner_id text,
  topic text,
  title text,
  age_group text,
  style text,
  status text not null,
  data jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists comics_lookup_0 on public.comics (created_at desc, id desc);
create index if not exists comics_lookup_1 on public.comics (owner_id, id desc);
alter table public.comics enable row level security;
drop policy if exists "comics of their owner" on public.comics;
create policy "comics of their owner" on public.comics for all to authenticated
  using (owner_id = auth.uid()::text)
  with check (owner_id = auth.uid()::text);

create table if not exists public.jobs (
  id uuid primary key default gen_random_uuid(),
  owner_id text,
  comic_id uuid not null references public.comics(id) on delete cascade,
  kind text not null,
  topic text,
  status text not null,
  step text,
  progress integer,
  data jsonb not null default '{}'::jsonb,
  error jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists jobs_lookup_0 on public.jobs (comic_id);
create index if not exists jobs_lookup_1 on public.jobs (owner_id);
create index if not exists jobs_lookup_2 on public.jobs (status) where status in ('queued', 'running', 'awaiting_input');
alter table public.jobs enable row level security;
drop policy if exists "jobs of their owner" on public.jobs;
create policy "jobs of their owner" on public.jobs for all to authenticated
  using (owner_id = auth.uid()::text)
  with check (owner_id = auth.uid()::text);

create table if not exists public.scenes (
  id uuid primary key default gen_random_uuid(),
  comic_id uuid not null references public.comics(id) on delete cascade,
  position integer not null,
  scene_id text,
  title text,
  description text,
  dialogue jsonb,
  learning_point text,
  visual_elements text[],
  data jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create index if not exists scenes_lookup_0 on public.scenes (comic_id, position);
alter table public.scenes enable row level security;
drop policy if exists "scenes of their owner" on public.scenes;
create policy "scenes of their owner" on public.scenes for all to authenticated
  using (exists (select 1 from public.comics c where c.id = comic_id and c.owner_id = auth.uid()::text))
  with check (exists (select 1 from public.comics c where c.id = comic_id and c.owner_id = auth.uid()::text));

create table if not exists public.characters (
  id uuid primary key default gen_random_uuid(),
  comic_id uuid not null references public.comics(id) on delete cascade,
  position integer not null,
  character_id text,
  name text,
  description text,
  character_type text,
  visual_tags text[],
  age_group text,
  data jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create index if not exists characters_lookup_0 on public.characters (comic_id, position);
alter table public.characters enable row level security;
drop policy if exists "characters of their owner" on public.characters;
create policy "characters of their owner" on public.characters for all to authenticated
  using (exists (select 1 from public.comics c where c.id = comic_id and c.owner_id = auth.uid()::text))
  with check (exists (select 1 from public.comics c where c.id = comic_id and c.owner_id = auth.uid()::text));

create table if not exists public.panels (
  id uuid primary key default gen_random_uuid(),
  comic_id uuid not null references public.comics(id) on delete cascade,
  position integer not null,
  panel_id text,
  scene_id text,
  title text,
  description text,
  characters text[],
  dialogue jsonb,
  image_url text,
  image_path text,
  status text not null,
  data jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create index if not exists panels_lookup_0 on public.panels (comic_id, position);
alter table public.panels enable row level security;
drop policy if exists "panels of their owner" on public.panels;
create policy "panels of their owner" on public.panels for all to authenticated
  using (exists (select 1 from public.comics c where c.id = comic_id and c.owner_id = auth.uid()::text))
  with check (exists (select 1 from public.comics c where c.id = comic_id and c.owner_id = auth.uid()::text));

create table if not exists public.images (
  id uuid primary key default gen_random_uuid(),
  owner_id text,
  comic_id uuid references public.comics(id) on delete cascade,
  panel_id uuid references public.panels(id) on delete cascade,
  character_id text,
  kind text not null,
  url text,
  local_path text,
  content_type text,
  size_bytes bigint,
  width integer,
  height integer,
  source_url text,
  model text,
  data jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create index if not exists images_lookup_0 on public.images (comic_id);
create index if not exists images_lookup_1 on public.images (panel_id);
create index if not exists images_lookup_2 on public.images (owner_id);
create index if not exists images_lookup_3 on public.images ((data->>'comic_id'));
alter table public.images enable row level security;
drop policy if exists "images of their owner" on public.images;
create policy "images of their owner" on public.images for all to authenticated
  using (owner_id = auth.uid()::text)
  with check (owner_id = auth.uid()::text);

create table if not exists public.idempotency_keys (
  key text primary key,
  owner_id text,
  fingerprint text not null,
  status_code integer not null,
  headers jsonb,
  body text not null,
  created_at timestamptz not null default now(),
  state text,
  claim text,
  claimed_at timestamptz
);
create index if not exists idempotency_keys_lookup_0 on public.idempotency_keys (created_at);
alter table public.idempotency_keys enable row level security;
drop policy if exists "idempotency_keys of their owner" on public.idempotency_keys;
create policy "idempotency_keys of their owner" on public.idempotency_keys for all to authenticated
  using (owner_id = auth.uid()::text)
  with check (owner_id = auth.uid()::text);

-- idempotency claims: a row is 'pending' (a request holds the key) until its answer is stored ('done')
alter table public.idempotency_keys add column if not exists state text not null default 'done';
alter table public.idempotency_keys add column if not exists claim text;
alter table public.idempotency_keys add column if not exists claimed_at timestamptz;
alter table public.idempotency_keys alter column state set default 'done';
alter table public.idempotency_keys alter column state set not null;
alter table public.idempotency_keys drop constraint if exists idempotency_keys_state_check;
alter table public.idempotency_keys add constraint idempotency_keys_state_check check (state in ('pending', 'done'));

-- what the Supabase backend calls through rpc
create or replace function public.fable_save_comic(p_rows jsonb, p_expected_version integer)
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
    update public.comics c set (owner_id, topic, title, age_group, style, status, data, created_at, updated_at) = (v_head.owner_id, v_head.topic, v_head.title, v_head.age_group, v_head.style, v_head.status, v_head.data, v_head.created_at, v_head.updated_at) where c.id = v_head.id;
  end if;
  delete from public.scenes where comic_id = v_head.id
    and id not in (select (e->>'id')::uuid from jsonb_array_elements(coalesce(p_rows->'scenes', '[]')) e);
  insert into public.scenes select * from jsonb_populate_recordset(null::public.scenes, coalesce(p_rows->'scenes', '[]'))
    on conflict (id) do update set (comic_id, position, scene_id, title, description, dialogue, learning_point, visual_elements, data, created_at) = (excluded.comic_id, excluded.position, excluded.scene_id, excluded.title, excluded.description, excluded.dialogue, excluded.learning_point, excluded.visual_elements, excluded.data, excluded.created_at);
  if exists (select 1 from public.scenes where comic_id is distinct from v_head.id and id in
      (select (e->>'id')::uuid from jsonb_array_elements(coalesce(p_rows->'scenes', '[]')) e)) then
    raise exception using errcode = 'PT409', message = 'scenes rows belong to another comic';
  end if;
  delete from public.characters where comic_id = v_head.id
    and id not in (select (e->>'id')::uuid from jsonb_array_elements(coalesce(p_rows->'characters', '[]')) e);
  insert into public.characters select * from jsonb_populate_recordset(null::public.characters, coalesce(p_rows->'characters', '[]'))
    on conflict (id) do update set (comic_id, position, character_id, name, description, character_type, visual_tags, age_group, data, created_at) = (excluded.comic_id, excluded.position, excluded.character_id, excluded.name, excluded.description, excluded.character_type, excluded.visual_tags, excluded.age_group, excluded.data, excluded.created_at);
  if exists (select 1 from public.characters where comic_id is distinct from v_head.id and id in
      (select (e->>'id')::uuid from jsonb_array_elements(coalesce(p_rows->'characters', '[]')) e)) then
    raise exception using errcode = 'PT409', message = 'characters rows belong to another comic';
  end if;
  delete from public.panels where comic_id = v_head.id
    and id not in (select (e->>'id')::uuid from jsonb_array_elements(coalesce(p_rows->'panels', '[]')) e);
  insert into public.panels select * from jsonb_populate_recordset(null::public.panels, coalesce(p_rows->'panels', '[]'))
    on conflict (id) do update set (comic_id, position, panel_id, scene_id, title, description, characters, dialogue, image_url, image_path, status, data, created_at) = (excluded.comic_id, excluded.position, excluded.panel_id, excluded.scene_id, excluded.title, excluded.description, excluded.characters, excluded.dialogue, excluded.image_url, excluded.image_path, excluded.status, excluded.data, excluded.created_at);
  if exists (select 1 from public.panels where comic_id is distinct from v_head.id and id in
      (select (e->>'id')::uuid from jsonb_array_elements(coalesce(p_rows->'panels', '[]')) e)) then
    raise exception using errcode = 'PT409', message = 'panels rows belong to another comic';
  end if;
end $fn$;

create or replace function public.fable_comic_json(c public.comics) returns jsonb
language sql stable set search_path = '' as $fn$
  select jsonb_build_object(
    'comics', jsonb_build_array(to_jsonb(c)),
    'scenes', coalesce((select jsonb_agg(to_jsonb(x) order by x.position) from public.scenes x where x.comic_id = c.id), '[]'),
    'characters', coalesce((select jsonb_agg(to_jsonb(x) order by x.position) from public.characters x where x.comic_id = c.id), '[]'),
    'panels', coalesce((select jsonb_agg(to_jsonb(x) order by x.position) from public.panels x where x.comic_id = c.id), '[]'))
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
    on conflict (id) do update set (owner_id, comic_id, panel_id, character_id, kind, url, local_path, content_type, size_bytes, width, height, source_url, model, data, created_at) = (excluded.owner_id, excluded.comic_id, excluded.panel_id, excluded.character_id, excluded.kind, excluded.url, excluded.local_path, excluded.content_type, excluded.size_bytes, excluded.width, excluded.height, excluded.source_url, excluded.model, excluded.data, excluded.created_at);
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
$fn$;

-- only the backend (service role) calls these; users reach their rows through RLS
revoke all on function public.fable_save_comic(jsonb, integer) from public, anon, authenticated;
grant execute on function public.fable_save_comic(jsonb, integer) to service_role;
revoke all on function public.fable_comic_json(public.comics) from public, anon, authenticated;
grant execute on function public.fable_comic_json(public.comics) to service_role;
revoke all on function public.fable_get_comics(uuid[], integer, integer, text) from public, anon, authenticated;
grant execute on function public.fable_get_comics(uuid[], integer, integer, text) to service_role;
revoke all on function public.fable_put_image(jsonb) from public, anon, authenticated;
grant execute on function public.fable_put_image(jsonb) to service_role;
revoke all on function public.fable_stats() from public, anon, authenticated;
grant execute on function public.fable_stats() to service_role;

-- live updates: each change to a job or a comic is announced to every API instance
create or replace function public.fable_notify_change() returns trigger
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
  perform pg_notify('fable_changes', (v_row || jsonb_build_object('op', lower(tg_op)))::text);
  return null;
end $fn$;
revoke all on function public.fable_notify_change() from public, anon, authenticated;

drop trigger if exists fable_jobs_changed on public.jobs;
create trigger fable_jobs_changed after insert or update or delete on public.jobs
  for each row execute function public.fable_notify_change();
drop trigger if exists fable_comics_changed on public.comics;
create trigger fable_comics_changed after insert or update or delete on public.comics
  for each row execute function public.fable_notify_change();

-- where the image files live
insert into storage.buckets (id, name, public) values ('comic-images', 'comic-images', true)
  on conflict (id) do nothing;

-- the job queue (JOB_QUEUE=procrastinate; unused otherwise)
do $procrastinate_guard$
begin
  if to_regclass('public.procrastinate_jobs') is null then
    execute $procrastinate_schema$-- Procrastinate Schema

DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS plpgsql WITH SCHEMA pg_catalog;
EXCEPTION
    WHEN OTHERS THEN
        -- On managed PostgreSQL services (e.g. Azure Database for PostgreSQL, Amazon RDS,
        -- Google Cloud SQL), CREATE EXTENSION may fail with various error codes:
        -- insufficient_privilege, feature_not_supported, or provider-specific errors.
        -- Before ignoring, verify the extension actually exists — if it does not exist
        -- and cannot be created, re-raise so the failure is explicit.
        IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'plpgsql') THEN
            RAISE NOTICE 'plpgsql extension already exists, skipping creation.';
        ELSE
            RAISE;
        END IF;
END;
$$;

-- Enums

CREATE TYPE procrastinate_job_status AS ENUM (
    'todo',  -- The job is queued
    'doing',  -- The job has been fetched by a worker
    'succeeded',  -- The job ended successfully
    'failed',  -- The job ended with an error
    'cancelled', -- The job was cancelled
    'aborting',  -- legacy, not used anymore since v3.0.0
    'aborted'  -- The job was aborted
);

CREATE TYPE procrastinate_job_event_type AS ENUM (
    'deferred',  -- Job created, in todo
    'started',  -- todo -> doing
    'deferred_for_retry',  -- doing -> todo
    'failed',  -- doing -> failed
    'succeeded',  -- doing -> succeeded
    'cancelled', -- todo -> cancelled
    'abort_requested', -- not a state transition, but set in a separate field
    'aborted', -- doing -> aborted (only allowed when abort_requested field is set)
    'scheduled', -- not a state transition, but recording when a task is scheduled for
    'retried' -- Manually retried failed job
);

-- Composite Types

CREATE TYPE procrastinate_job_to_defer_v1 AS (
    queue_name character varying,
    task_name character varying,
    priority integer,
    lock text,
    queueing_lock text,
    args jsonb,
    scheduled_at timestamp with time zone
);

-- Tables

CREATE TABLE procrastinate_workers(
    id bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    last_heartbeat timestamp with time zone NOT NULL DEFAULT NOW()
);

CREATE TABLE procrastinate_jobs (
    id bigserial PRIMARY KEY,
    queue_name character varying(128) NOT NULL,
    task_name character varying(128) NOT NULL,
    priority integer DEFAULT 0 NOT NULL,
    lock text,
    queueing_lock text,
    args jsonb DEFAULT '{}' NOT NULL,
    status procrastinate_job_status DEFAULT 'todo'::procrastinate_job_status NOT NULL,
    scheduled_at timestamp with time zone NULL,
    attempts integer DEFAULT 0 NOT NULL,
    abort_requested boolean DEFAULT false NOT NULL,
    worker_id bigint REFERENCES procrastinate_workers(id) ON DELETE SET NULL,
    CONSTRAINT check_not_todo_abort_requested CHECK (NOT (status = 'todo' AND abort_requested = true))
);

CREATE TABLE procrastinate_periodic_defers (
    id bigserial PRIMARY KEY,
    task_name character varying(128) NOT NULL,
    defer_timestamp bigint,
    job_id bigint REFERENCES procrastinate_jobs(id) NULL,
    periodic_id character varying(128) NOT NULL DEFAULT '',
    CONSTRAINT procrastinate_periodic_defers_unique UNIQUE (task_name, periodic_id, defer_timestamp)
);

CREATE TABLE procrastinate_events (
    id bigserial PRIMARY KEY,
    job_id bigint NOT NULL REFERENCES procrastinate_jobs ON DELETE CASCADE,
    type procrastinate_job_event_type,
    at timestamp with time zone DEFAULT NOW() NULL
);

-- Constraints & Indices

-- this prevents from having several jobs with the same queueing lock in the "todo" state
CREATE UNIQUE INDEX procrastinate_jobs_queueing_lock_idx_v1 ON procrastinate_jobs (queueing_lock) WHERE status = 'todo';
-- this prevents from having several jobs with the same lock in the "doing" state
CREATE UNIQUE INDEX procrastinate_jobs_lock_idx_v1 ON procrastinate_jobs (lock) WHERE status = 'doing';

-- Index for select_stalled_jobs_by_heartbeat query
CREATE INDEX idx_procrastinate_jobs_worker_not_null ON procrastinate_jobs(worker_id) WHERE worker_id IS NOT NULL AND status = 'doing'::procrastinate_job_status;

CREATE INDEX procrastinate_jobs_queue_name_idx_v1 ON procrastinate_jobs(queue_name);
CREATE INDEX procrastinate_jobs_id_lock_idx_v1 ON procrastinate_jobs (id, lock) WHERE status = ANY (ARRAY['todo'::procrastinate_job_status, 'doing'::procrastinate_job_status]);
CREATE INDEX procrastinate_jobs_priority_idx_v1 ON procrastinate_jobs(priority desc, id asc) WHERE (status = 'todo'::procrastinate_job_status);

CREATE INDEX procrastinate_events_job_id_fkey_v1 ON procrastinate_events(job_id);

CREATE INDEX procrastinate_periodic_defers_job_id_fkey_v1 ON procrastinate_periodic_defers(job_id);

CREATE INDEX idx_procrastinate_workers_last_heartbeat ON procrastinate_workers(last_heartbeat);

-- Functions
CREATE FUNCTION procrastinate_defer_jobs_v1(
    jobs procrastinate_job_to_defer_v1[]
)
    RETURNS bigint[]
    LANGUAGE plpgsql
AS $$
DECLARE
    job_ids bigint[];
BEGIN
    WITH inserted_jobs AS (
        INSERT INTO procrastinate_jobs (queue_name, task_name, priority, lock, queueing_lock, args, scheduled_at)
        SELECT (job).queue_name,
               (job).task_name,
               (job).priority,
               (job).lock,
               (job).queueing_lock,
               (job).args,
               (job).scheduled_at
        FROM unnest(jobs) AS job
        RETURNING id
    )
    SELECT array_agg(id) FROM inserted_jobs INTO job_ids;

    RETURN job_ids;
END;
$$;

CREATE FUNCTION procrastinate_defer_periodic_job_v2(
    _queue_name character varying,
    _lock character varying,
    _queueing_lock character varying,
    _task_name character varying,
    _priority integer,
    _periodic_id character varying,
    _defer_timestamp bigint,
    _args jsonb
)
    RETURNS bigint
    LANGUAGE plpgsql
AS $$
DECLARE
	_job_id bigint;
	_defer_id bigint;
BEGIN
    INSERT
        INTO procrastinate_periodic_defers (task_name, periodic_id, defer_timestamp)
        VALUES (_task_name, _periodic_id, _defer_timestamp)
        ON CONFLICT DO NOTHING
        RETURNING id into _defer_id;

    IF _defer_id IS NULL THEN
        RETURN NULL;
    END IF;

    UPDATE procrastinate_periodic_defers
        SET job_id = (
            SELECT COALESCE((
                SELECT unnest(procrastinate_defer_jobs_v1(
                    ARRAY[
                        ROW(
                            _queue_name,
                            _task_name,
                            _priority,
                            _lock,
                            _queueing_lock,
                            _args,
                            NULL::timestamptz
                        )
                    ]::procrastinate_job_to_defer_v1[]
                ))
            ), NULL)
        )
        WHERE id = _defer_id
        RETURNING job_id INTO _job_id;

    DELETE
        FROM procrastinate_periodic_defers
        USING (
            SELECT id
            FROM procrastinate_periodic_defers
            WHERE procrastinate_periodic_defers.task_name = _task_name
            AND procrastinate_periodic_defers.periodic_id = _periodic_id
            AND procrastinate_periodic_defers.defer_timestamp < _defer_timestamp
            ORDER BY id
            FOR UPDATE
        ) to_delete
        WHERE procrastinate_periodic_defers.id = to_delete.id;

    RETURN _job_id;
END;
$$;

CREATE FUNCTION procrastinate_fetch_job_v2(
    target_queue_names character varying[],
    p_worker_id bigint
)
    RETURNS procrastinate_jobs
    LANGUAGE plpgsql
AS $$
DECLARE
	found_jobs procrastinate_jobs;
BEGIN
    WITH candidate AS (
        SELECT jobs.*
            FROM procrastinate_jobs AS jobs
            WHERE
                -- reject the job if its lock has earlier or higher priority jobs
                NOT EXISTS (
                    SELECT 1
                        FROM procrastinate_jobs AS other_jobs
                        WHERE
                            jobs.lock IS NOT NULL
                            AND other_jobs.lock = jobs.lock
                            AND (
                                -- job with same lock is already running
                                other_jobs.status = 'doing'
                                OR
                                -- job with same lock is waiting and has higher priority (or same priority but was queued first)
                                (
                                    other_jobs.status = 'todo'
                                    AND (
                                        other_jobs.priority > jobs.priority
                                        OR (
                                        other_jobs.priority = jobs.priority
                                        AND other_jobs.id < jobs.id
                                        )
                                    )
                                )
                            )
                )
                AND jobs.status = 'todo'
                AND (target_queue_names IS NULL OR jobs.queue_name = ANY( target_queue_names ))
                AND (jobs.scheduled_at IS NULL OR jobs.scheduled_at <= now())
            ORDER BY jobs.priority DESC, jobs.id ASC LIMIT 1
            FOR UPDATE OF jobs SKIP LOCKED
    )
    UPDATE procrastinate_jobs
        SET status = 'doing', worker_id = p_worker_id
        FROM candidate
        WHERE procrastinate_jobs.id = candidate.id
        RETURNING procrastinate_jobs.* INTO found_jobs;

 RETURN found_jobs;
END;
$$;

CREATE FUNCTION procrastinate_finish_job_v1(job_id bigint, end_status procrastinate_job_status, delete_job boolean)
    RETURNS void
    LANGUAGE plpgsql
AS $$
DECLARE
    _job_id bigint;
BEGIN
    IF end_status NOT IN ('succeeded', 'failed', 'aborted') THEN
        RAISE 'End status should be either "succeeded", "failed" or "aborted" (job id: %)', job_id;
    END IF;
    IF delete_job THEN
        DELETE FROM procrastinate_jobs
        WHERE id = job_id AND status IN ('todo', 'doing')
        RETURNING id INTO _job_id;
    ELSE
        UPDATE procrastinate_jobs
        SET status = end_status,
            abort_requested = false,
            attempts = CASE status
                WHEN 'doing' THEN attempts + 1 ELSE attempts
            END
        WHERE id = job_id AND status IN ('todo', 'doing')
        RETURNING id INTO _job_id;
    END IF;
    IF _job_id IS NULL THEN
        RAISE 'Job was not found or not in "doing" or "todo" status (job id: %)', job_id;
    END IF;
END;
$$;

CREATE FUNCTION procrastinate_cancel_job_v1(job_id bigint, abort boolean, delete_job boolean)
    RETURNS bigint
    LANGUAGE plpgsql
AS $$
DECLARE
    _job_id bigint;
BEGIN
    IF delete_job THEN
        DELETE FROM procrastinate_jobs
        WHERE id = job_id AND status = 'todo'
        RETURNING id INTO _job_id;
    END IF;
    IF _job_id IS NULL THEN
        IF abort THEN
            UPDATE procrastinate_jobs
            SET abort_requested = true,
                status = CASE status
                    WHEN 'todo' THEN 'cancelled'::procrastinate_job_status ELSE status
                END
            WHERE id = job_id AND status IN ('todo', 'doing')
            RETURNING id INTO _job_id;
        ELSE
            UPDATE procrastinate_jobs
            SET status = 'cancelled'::procrastinate_job_status
            WHERE id = job_id AND status = 'todo'
            RETURNING id INTO _job_id;
        END IF;
    END IF;
    RETURN _job_id;
END;
$$;

CREATE FUNCTION procrastinate_retry_job_v1(
    job_id bigint,
    retry_at timestamp with time zone,
    new_priority integer,
    new_queue_name character varying,
    new_lock character varying
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    _job_id bigint;
    _abort_requested boolean;
BEGIN
    SELECT abort_requested FROM procrastinate_jobs
    WHERE id = job_id AND status = 'doing'
    FOR UPDATE
    INTO _abort_requested;
    IF _abort_requested THEN
        UPDATE procrastinate_jobs
        SET status = 'failed'::procrastinate_job_status
        WHERE id = job_id AND status = 'doing'
        RETURNING id INTO _job_id;
    ELSE
        UPDATE procrastinate_jobs
        SET status = 'todo'::procrastinate_job_status,
            attempts = attempts + 1,
            scheduled_at = retry_at,
            priority = COALESCE(new_priority, priority),
            queue_name = COALESCE(new_queue_name, queue_name),
            lock = COALESCE(new_lock, lock)
        WHERE id = job_id AND status = 'doing'
        RETURNING id INTO _job_id;
    END IF;

    IF _job_id IS NULL THEN
        RAISE 'Job was not found or not in "doing" status (job id: %)', job_id;
    END IF;
END;
$$;

CREATE FUNCTION procrastinate_retry_job_v2(
    job_id bigint,
    retry_at timestamp with time zone,
    new_priority integer,
    new_queue_name character varying,
    new_lock character varying
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    _job_id bigint;
    _abort_requested boolean;
    _current_status procrastinate_job_status;
BEGIN
    SELECT status, abort_requested FROM procrastinate_jobs
    WHERE id = job_id AND status IN ('doing', 'failed')
    FOR UPDATE
    INTO _current_status, _abort_requested;
    IF _current_status = 'doing' AND _abort_requested THEN
        UPDATE procrastinate_jobs
        SET status = 'failed'::procrastinate_job_status
        WHERE id = job_id AND status = 'doing'
        RETURNING id INTO _job_id;
    ELSE
        UPDATE procrastinate_jobs
        SET status = 'todo'::procrastinate_job_status,
            attempts = attempts + 1,
            scheduled_at = retry_at,
            priority = COALESCE(new_priority, priority),
            queue_name = COALESCE(new_queue_name, queue_name),
            lock = COALESCE(new_lock, lock)
        WHERE id = job_id AND status IN ('doing', 'failed')
        RETURNING id INTO _job_id;
    END IF;

    IF _job_id IS NULL THEN
        RAISE 'Job was not found or has an invalid status to retry (job id: %)', job_id;
    END IF;

END;
$$;

CREATE FUNCTION procrastinate_notify_queue_job_inserted_v1()
    RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    payload TEXT;
BEGIN
    SELECT json_build_object('type', 'job_inserted', 'job_id', NEW.id)::text INTO payload;
	PERFORM pg_notify('procrastinate_queue_v1#' || NEW.queue_name, payload);
	PERFORM pg_notify('procrastinate_any_queue_v1', payload);
	RETURN NEW;
END;
$$;

CREATE FUNCTION procrastinate_notify_queue_abort_job_v1()
RETURNS trigger
    LANGUAGE plpgsql
AS $$
DECLARE
    payload TEXT;
BEGIN
    SELECT json_build_object('type', 'abort_job_requested', 'job_id', NEW.id)::text INTO payload;
	PERFORM pg_notify('procrastinate_queue_v1#' || NEW.queue_name, payload);
	PERFORM pg_notify('procrastinate_any_queue_v1', payload);
	RETURN NEW;
END;
$$;

CREATE FUNCTION procrastinate_trigger_function_status_events_insert_v1()
    RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO procrastinate_events(job_id, type)
        VALUES (NEW.id, 'deferred'::procrastinate_job_event_type);
	RETURN NEW;
END;
$$;

CREATE FUNCTION procrastinate_trigger_function_status_events_update_v1()
    RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    WITH t AS (
        SELECT CASE
            WHEN OLD.status = 'todo'::procrastinate_job_status
                AND NEW.status = 'doing'::procrastinate_job_status
                THEN 'started'::procrastinate_job_event_type
            WHEN OLD.status = 'doing'::procrastinate_job_status
                AND NEW.status = 'todo'::procrastinate_job_status
                THEN 'deferred_for_retry'::procrastinate_job_event_type
            WHEN OLD.status = 'doing'::procrastinate_job_status
                AND NEW.status = 'failed'::procrastinate_job_status
                THEN 'failed'::procrastinate_job_event_type
            WHEN OLD.status = 'doing'::procrastinate_job_status
                AND NEW.status = 'succeeded'::procrastinate_job_status
                THEN 'succeeded'::procrastinate_job_event_type
            WHEN OLD.status = 'todo'::procrastinate_job_status
                AND (
                    NEW.status = 'cancelled'::procrastinate_job_status
                    OR NEW.status = 'failed'::procrastinate_job_status
                    OR NEW.status = 'succeeded'::procrastinate_job_status
                )
                THEN 'cancelled'::procrastinate_job_event_type
            WHEN OLD.status = 'doing'::procrastinate_job_status
                AND NEW.status = 'aborted'::procrastinate_job_status
                THEN 'aborted'::procrastinate_job_event_type
            WHEN OLD.status = 'failed'::procrastinate_job_status
                AND NEW.status = 'todo'::procrastinate_job_status
                THEN 'retried'::procrastinate_job_event_type
            ELSE NULL
        END as event_type
    )
    INSERT INTO procrastinate_events(job_id, type)
        SELECT NEW.id, t.event_type
        FROM t
        WHERE t.event_type IS NOT NULL;
	RETURN NEW;
END;
$$;

CREATE FUNCTION procrastinate_trigger_function_scheduled_events_v1()
    RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO procrastinate_events(job_id, type, at)
        VALUES (NEW.id, 'scheduled'::procrastinate_job_event_type, NEW.scheduled_at);

	RETURN NEW;
END;
$$;

CREATE FUNCTION procrastinate_trigger_abort_requested_events_procedure_v1()
    RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    INSERT INTO procrastinate_events(job_id, type)
        VALUES (NEW.id, 'abort_requested'::procrastinate_job_event_type);
    RETURN NEW;
END;
$$;

CREATE FUNCTION procrastinate_unlink_periodic_defers_v1()
    RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE procrastinate_periodic_defers
    SET job_id = NULL
    WHERE job_id = OLD.id;
    RETURN OLD;
END;
$$;

CREATE FUNCTION procrastinate_register_worker_v1()
    RETURNS TABLE(worker_id bigint)
    LANGUAGE plpgsql
AS $$
BEGIN
    RETURN QUERY
    INSERT INTO procrastinate_workers DEFAULT VALUES
    RETURNING procrastinate_workers.id;
END;
$$;

CREATE FUNCTION procrastinate_unregister_worker_v1(worker_id bigint)
    RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    DELETE FROM procrastinate_workers
    WHERE id = worker_id;
END;
$$;

CREATE FUNCTION procrastinate_update_heartbeat_v1(worker_id bigint)
    RETURNS void
    LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE procrastinate_workers
    SET last_heartbeat = NOW()
    WHERE id = worker_id;
END;
$$;

CREATE FUNCTION procrastinate_prune_stalled_workers_v1(seconds_since_heartbeat float)
    RETURNS TABLE(worker_id bigint)
    LANGUAGE plpgsql
AS $$
BEGIN
    RETURN QUERY
    DELETE FROM procrastinate_workers
    WHERE last_heartbeat < NOW() - (seconds_since_heartbeat || 'SECOND')::INTERVAL
    RETURNING procrastinate_workers.id;
END;
$$;

-- Triggers

CREATE TRIGGER procrastinate_jobs_notify_queue_job_inserted_v1
    AFTER INSERT ON procrastinate_jobs
    FOR EACH ROW WHEN ((new.status = 'todo'::procrastinate_job_status))
    EXECUTE PROCEDURE procrastinate_notify_queue_job_inserted_v1();

CREATE TRIGGER procrastinate_jobs_notify_queue_job_aborted_v1
    AFTER UPDATE OF abort_requested ON procrastinate_jobs
    FOR EACH ROW WHEN ((old.abort_requested = false AND new.abort_requested = true AND new.status = 'doing'::procrastinate_job_status))
    EXECUTE PROCEDURE procrastinate_notify_queue_abort_job_v1();

CREATE TRIGGER procrastinate_trigger_status_events_update_v1
    AFTER UPDATE OF status ON procrastinate_jobs
    FOR EACH ROW
    EXECUTE PROCEDURE procrastinate_trigger_function_status_events_update_v1();

CREATE TRIGGER procrastinate_trigger_status_events_insert_v1
    AFTER INSERT ON procrastinate_jobs
    FOR EACH ROW WHEN ((new.status = 'todo'::procrastinate_job_status))
    EXECUTE PROCEDURE procrastinate_trigger_function_status_events_insert_v1();

CREATE TRIGGER procrastinate_trigger_scheduled_events_v1
    AFTER UPDATE OR INSERT ON procrastinate_jobs
    FOR EACH ROW WHEN ((new.scheduled_at IS NOT NULL AND new.status = 'todo'::procrastinate_job_status))
    EXECUTE PROCEDURE procrastinate_trigger_function_scheduled_events_v1();

CREATE TRIGGER procrastinate_trigger_abort_requested_events_v1
    AFTER UPDATE OF abort_requested ON procrastinate_jobs
    FOR EACH ROW WHEN ((new.abort_requested = true))
    EXECUTE PROCEDURE procrastinate_trigger_abort_requested_events_procedure_v1();

CREATE TRIGGER procrastinate_trigger_delete_jobs_v1
    BEFORE DELETE ON procrastinate_jobs
    FOR EACH ROW EXECUTE PROCEDURE procrastinate_unlink_periodic_defers_v1();
$procrastinate_schema$;
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
    'fable', 'fable.run_job', 0, 'comic:' || p_comic_id, 'job:' || p_job_id,
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
alter table public.procrastinate_periodic_defers enable row level security;
