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
