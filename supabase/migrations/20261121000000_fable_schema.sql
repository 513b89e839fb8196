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
create index if not exists comics_lookup_1 on public.comics (owner_id);
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
  created_at timestamptz not null default now()
);
create index if not exists images_lookup_0 on public.images (comic_id);
create index if not exists images_lookup_1 on public.images (panel_id);
create index if not exists images_lookup_2 on public.images (owner_id);
alter table public.images enable row level security;
drop policy if exists "images of their owner" on public.images;
create policy "images of their owner" on public.images for all to authenticated
  using (owner_id = auth.uid()::text)
  with check (owner_id = auth.uid()::text);

-- where the image files live
insert into storage.buckets (id, name, public) values ('comic-images', 'comic-images', true)
  on conflict (id) do nothing;
