"""The composition root: `build_services(settings)` is the one place the app is wired.

The FastAPI lifespan (app/factory.py), the CLI (app/cli.py) and the benches all build their services
here, so each of them gets the same pieces wired the same way: storage, the models with their
moderators, the job runner with the per-owner limit, the comic pipeline and its pieces, the project
builder, the project events and the exporter. The API reads them through its dependencies (app/api/deps.py).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any
from datetime import timedelta
from typing import TYPE_CHECKING


from app.errors import StorageError
from app.services.comics.builder import ProjectBuilder
from app.services.jobs.events import ProjectEvents
from app.services.exports.exporter import ComicExporter
from app.services.comics.image_history import ImageLink
from app.services.jobs.queue import JobQueue, ProcrastinateQueue
from app.services.jobs.runner import JobRunner
from app.services.comics.library import Library
from app.services.comics.pipeline import ComicPipeline
from app.services.providers.protocols import ImageModel, TextModel
from app.services.providers.registry import build_image_model, build_text_model, close_providers
from app.storage.data_manager import DataManager
from app.storage.registry import build_backend
from config import Settings

if TYPE_CHECKING:
    from app.storage.change_feed import ChangeFeed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    """Everything the app runs on, built once and closed together."""

    settings: Settings
    data: DataManager
    runner: JobRunner
    pipeline: ComicPipeline
    builder: ProjectBuilder
    events: ProjectEvents
    exporter: ComicExporter
    library: Library
    changes: ChangeFeed | None = None  # other instances' writes (STORAGE_BACKEND=supabase with DATABASE_URL)

    @property
    def text(self) -> TextModel:
        return self.pipeline.text

    @property
    def images(self) -> ImageModel:
        return self.pipeline.images


@asynccontextmanager
async def open_storage(settings: Settings) -> AsyncIterator[DataManager]:
    """Storage alone, opened and closed: what build_services stands on, and all a storage command needs
    (the CLI's stats, cleanup and export load no model)."""
    data = DataManager(build_backend(settings))
    await data.open()
    try:
        yield data
    finally:
        await data.close()


@asynccontextmanager
async def open_queue_pool(settings: Settings) -> AsyncIterator[Any]:
    """Connections to DATABASE_URL for the job queue (the owner lock, queueing, aborting), checked at
    start-up: a wrong URL or an unreachable database stops the service with one sentence."""
    assert settings.database_url is not None  # Settings refuses JOB_QUEUE=procrastinate without it
    import psycopg  # loaded only where the queue is used
    from psycopg_pool import AsyncConnectionPool

    url = settings.database_url.get_secret_value()
    try:  # one connection first: a refused or unknown host fails at once, not after the pool's retries
        async with await psycopg.AsyncConnection.connect(url, connect_timeout=10, autocommit=True) as conn:
            cursor = await conn.execute("select to_regclass('public.procrastinate_jobs') is not null")
            row = await cursor.fetchone()
    except Exception as exc:
        raise StorageError(
            f"DATABASE_URL could not be reached for the job queue ({type(exc).__name__}); check its host, port, "
            "user and password (the direct or session-mode connection, port 5432)"
        ) from None
    if not (row and row[0]):
        raise StorageError(
            "the database at DATABASE_URL has no job queue yet: apply supabase/migrations/*.sql (it holds the "
            "queue's schema too)"
        )
    pool = AsyncConnectionPool(url, min_size=1, max_size=4, open=False)
    await pool.open(wait=True, timeout=15)
    try:
        yield pool
    finally:
        await pool.close()


@asynccontextmanager
async def build_services(
    settings: Settings,
    *,
    image_link: ImageLink,
    text: TextModel | None = None,
    images: ImageModel | None = None,
    live_clients: bool = False,
) -> AsyncIterator[Services]:
    """The app's services, wired from `settings`; on exit the runner stops, storage closes, the models close.

    `image_link` turns an image id into the URL a comic keeps beside it; the API layer owns its routes and
    hands its builder in (app/api/urls.py: image_url). Unfinished jobs are not resumed here: the server
    does that once it is up (`pipeline.resume_unfinished()`), a one-off command does not. `text` and
    `images` replace the models the settings pick (with their moderators): a bench's own fakes, say.
    `live_clients`: this process serves SSE and WebSocket clients (the API), so it listens for the changes
    other processes write (with STORAGE_BACKEND=supabase and DATABASE_URL); a one-off command does not.
    """
    async with AsyncExitStack() as stack:
        text = text or build_text_model(settings)
        images = images or build_image_model(settings)
        stack.push_async_callback(close_providers, text, images)
        data = await stack.enter_async_context(open_storage(settings))
        runner = JobRunner(data)
        stack.push_async_callback(runner.shutdown)  # first out: no job still writes when storage closes
        queue: JobQueue | None = None  # in-process unless JOB_QUEUE says otherwise
        if settings.job_queue == "procrastinate":
            queue = ProcrastinateQueue(await stack.enter_async_context(open_queue_pool(settings)))
            runner.stop_elsewhere = queue.stop  # a cancel reaches the worker running the job, wherever it is
            # a panel rendered on a worker is live there: it is read as failed only after the longest render
            data.renders_elsewhere_for = timedelta(seconds=3 * settings.image_timeout_seconds + 60)
        pipeline = ComicPipeline(
            queue=queue,
            data=data,
            runner=runner,
            text=text,
            images=images,
            max_concurrent_renders=settings.max_concurrent_renders,
            max_active_jobs_per_owner=settings.max_active_jobs_per_owner,
            max_panels=settings.max_panels,
            image_link=image_link,
        )
        events = ProjectEvents()
        data.on_comic_saved.append(events.publish)
        data.on_comic_deleted.append(events.deleted)
        changes = (
            await stack.enter_async_context(hear_other_instances(settings, data, runner, events))
            if live_clients
            else None
        )
        builder = ProjectBuilder(
            data=data,
            runner=runner,
            quota=pipeline.quota,
            jobs=pipeline.jobs,
            providers=pipeline.providers,
            planner=pipeline.planner,
            renderer=pipeline.renderer,
            render_all=pipeline.render_all,
            history=pipeline.history,
        )
        yield Services(
            settings=settings,
            data=data,
            runner=runner,
            pipeline=pipeline,
            builder=builder,
            events=events,
            exporter=ComicExporter(data),
            library=Library(data),
            changes=changes,
        )


@asynccontextmanager
async def hear_other_instances(
    settings: Settings, data: DataManager, runner: JobRunner, events: ProjectEvents
) -> AsyncIterator[ChangeFeed | None]:
    """With STORAGE_BACKEND=supabase and DATABASE_URL, one LISTEN connection that wakes this instance's live
    clients at every change written anywhere (app/services/jobs/live_updates.py); without, nothing: live
    clients hear another instance's writes at their own periodic re-read."""
    if settings.storage_backend != "supabase" or settings.database_url is None:
        if settings.storage_backend == "supabase":
            log.info("live updates from other instances: off (no DATABASE_URL); live clients re-read every 15 s")
        yield None
        return
    from app.services.jobs.live_updates import LiveUpdates  # psycopg loads only when it is used
    from app.storage.change_feed import ChangeFeed

    live = LiveUpdates(data=data, runner=runner, events=events)
    feed = ChangeFeed(
        settings.database_url.get_secret_value(), on_change=live.on_change, on_reconnect=live.on_reconnect
    )
    await feed.open()
    try:
        yield feed
    finally:
        await feed.close()
        await live.close()
