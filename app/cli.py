"""Command line: `python -m app.cli make TOPIC`, `characters`, `stats`, `cleanup`, `schema`, `export`,
`push-supabase`.

`make` runs the same pipeline as the API, in this process, and prints where it wrote the comic.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import logging
import os
import signal
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

from pydantic import ValidationError

from app.api.redaction import install_log_redaction
from app.api.urls import image_url
from app.errors import ConfigurationError, FableError
from app.models.api import GenerateScenesRequest
from app.services.comics.catalog import catalog, unknown_ids
from app.services.exports.exporter import Book
from app.services.drawing.pages import png_bytes
from app.services.wiring import build_services, open_storage
from app.storage.data_manager import DataManager
from app.storage.fsutil import atomic_write
from app.storage.sql_schema import render_schema
from config import Settings, settings_error_lines
from utils import slugify


CHARACTERS_HINT = "run python -m app.cli characters to see them"


async def make(settings: Settings, args: argparse.Namespace) -> int:
    request = GenerateScenesRequest(
        topic=args.topic, age_group=args.age_group, num_scenes=args.num_scenes, style=args.style
    )
    unknown = unknown_ids(args.characters or [])
    if unknown:  # before any work is started, and pointing at this tool, not at the HTTP route
        print(f"error: unknown character ids: {', '.join(unknown[:10])}; {CHARACTERS_HINT}", file=sys.stderr)
        return 2
    # one process, no server: the comic is made here whatever JOB_QUEUE says
    alone = settings.model_copy(update={"job_queue": "inprocess"})
    async with build_services(alone, image_link=image_url) as services:
        pipeline = services.pipeline
        job = await pipeline.start_scenes(request)
        await services.runner.wait_idle()
        if args.characters:
            await pipeline.select_characters(job.id, args.characters)
        await pipeline.start_generation(job.id)
        await services.runner.wait_idle()
        job = await services.data.get_job(job.id)
        if job.status != "completed":
            print(
                f"error: the comic was not finished: {job.error.message if job.error else job.status}", file=sys.stderr
            )
            return 1
        comic = await services.data.get_comic(job.comic_id)
        book = await services.exporter.book(comic)
    root = Path(settings.data_dir)
    out = args.out or root / "exports" / comic.id
    written = await asyncio.to_thread(write_book, book, out)
    print(f'comic     {comic.id}  "{comic.title}"  ({len(comic.panels)} panels)')
    print(f"record    {root / 'comics' / f'{comic.id}.json'}")
    for character in comic.characters:
        if character.image_id:
            print(f"character {root / 'images' / 'characters' / f'{character.image_id}.png'}  {character.name}")
    for panel in comic.panels:
        where = root / panel.image_path if panel.image_path else f"(failed: {panel.error})"
        print(f"panel     {where}  {panel.title}")
    for kind, path in written:
        print(f"{kind:<9} {path}")
    return 0


def write_book(book: Book, out: Path) -> list[tuple[str, Path]]:
    """The comic's pages as PNGs, its PDF and its CBZ, in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for number, page in enumerate(book.pages, start=1):
        path = out / f"page-{number:02d}.png"
        atomic_write(path, png_bytes(page))
        written.append(("page", path))
    name = slugify(book.comic.title) or "comic"
    for fmt in ("pdf", "cbz"):
        path = out / f"{name}.{fmt}"
        atomic_write(path, book.write(fmt))
        written.append((fmt, path))
    return written


async def characters(settings: Settings, args: argparse.Namespace) -> int:
    """The built-in catalog: the ids `make --characters` takes, with a name and a short description."""
    cast = catalog()
    width = max(len(c.id) for c in cast)
    name_width = max(len(c.name) for c in cast)
    for character in cast:
        description = textwrap.shorten(character.description, width=90, placeholder="…")
        print(f"{character.id:<{width}}  {character.name:<{name_width}}  {description}")
    return 0


async def stats(settings: Settings, args: argparse.Namespace) -> int:
    async with open_storage(settings) as data:
        print(json.dumps(await data.stats(), indent=2))
    return 0


async def cleanup(settings: Settings, args: argparse.Namespace) -> int:
    async with open_storage(settings) as data:
        report = await data.cleanup(older_than=timedelta(hours=args.older_than_hours), dry_run=args.dry_run)
    verb = "would remove" if report.dry_run else "removed"
    print(
        f"{verb} {len(report.temp_images)} temp image(s) older than {args.older_than_hours} h "
        f"and {len(report.orphan_images)} orphan image(s), {report.bytes_freed} bytes; "
        f"{report.expired_idempotency_keys} expired idempotency key(s)"
    )
    for name in report.temp_images + report.orphan_images:
        print(f"  {name}")
    return 0


async def schema(settings: Settings, args: argparse.Namespace) -> int:
    print(render_schema(settings.supabase_bucket), end="")
    return 0


async def export_data(settings: Settings, args: argparse.Namespace) -> int:
    async with open_storage(settings) as data:
        bundle = await (data.export_comic_data(args.comic) if args.comic else data.export_all_data())
    text = json.dumps(bundle, ensure_ascii=False)
    if args.out == "-":
        print(text)
    else:
        atomic_write(Path(args.out), text.encode("utf-8"))
        counts = ", ".join(f"{len(rows)} {table}" for table, rows in bundle["tables"].items())
        print(f"wrote {args.out}: {counts}")
    return 0


async def push_supabase(settings: Settings, args: argparse.Namespace) -> int:
    from app.storage.json_backend import JsonBackend
    from app.storage.push import Progress, SupabasePush
    from app.storage.registry import supabase_backend

    local, remote = DataManager(JsonBackend(settings.data_dir)), supabase_backend(settings)
    await local.open()
    try:
        await remote.open()  # a wrong key, an unreachable project or a missing schema stops here, with why
        try:
            push = SupabasePush(local, remote, batch_size=args.batch_size, dry_run=args.dry_run, progress=Progress())
            report = await push.run()
        except FableError as exc:
            print(f"error: {exc}; what was sent is kept: run the same command again to finish", file=sys.stderr)
            return 1
        finally:
            await remote.close()
    finally:
        await local.close()
    print(f"{'dry run: nothing was sent. ' if args.dry_run else ''}{settings.data_dir} -> {remote.url}")
    print("\n".join(report.lines()))
    return 3 if report.refused else 0


def _batch_size(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError("must be between 1 and 1000")
    return value


DATA_DIR_HELP = "root of the JSON backend (default: DATA_DIR or ./data)"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m app.cli", description="Fable Tales comic backend")
    root.add_argument("--data-dir", type=Path, help=DATA_DIR_HELP)
    # --data-dir is accepted after the command too; SUPPRESS keeps a command that omits it from
    # overwriting the one given before the command.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS, help=DATA_DIR_HELP)
    commands = root.add_subparsers(dest="command", required=True)
    add = functools.partial(commands.add_parser, parents=[common])
    make_cmd = add("make", help="build a whole comic in this process")
    make_cmd.add_argument("topic")
    make_cmd.add_argument("--age-group", default="5-12")
    make_cmd.add_argument("--num-scenes", type=int, default=6)
    make_cmd.add_argument("--style", default=None)
    make_cmd.add_argument(
        "--characters",
        nargs="+",
        metavar="ID",
        help="catalog ids of the cast (python -m app.cli characters lists them)",
    )
    make_cmd.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="where to write the pages, PDF and CBZ (default: DATA_DIR/exports/COMIC_ID)",
    )
    make_cmd.set_defaults(run=make)
    add("characters", help="list the built-in character catalog: id, name, description").set_defaults(run=characters)
    stats_cmd = add("stats", help="print storage statistics")
    stats_cmd.set_defaults(run=stats)
    cleanup_cmd = add("cleanup", help="remove old temp images and images nothing points to")
    cleanup_cmd.add_argument("--older-than-hours", type=float, default=24.0)
    cleanup_cmd.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    cleanup_cmd.set_defaults(run=cleanup)
    schema_cmd = add("schema", help="print the Supabase SQL schema, generated from the models")
    schema_cmd.set_defaults(run=schema)
    export_cmd = add("export", help="write every record (or one comic) as the export bundle")
    export_cmd.add_argument("--out", required=True, help="file to write, or - for standard output")
    export_cmd.add_argument("--comic", metavar="ID", help="only this comic, its jobs and its images")
    export_cmd.set_defaults(run=export_data)
    push_cmd = add("push-supabase", help="send every local record and image file to SUPABASE_URL")
    push_cmd.add_argument("--dry-run", action="store_true", help="compare with the project and say what would be sent")
    push_cmd.add_argument("--batch-size", type=_batch_size, default=200, metavar="N", help="rows per request (1-1000)")
    push_cmd.set_defaults(run=push_supabase)
    worker_cmd = add("worker", help="run queued jobs (JOB_QUEUE=procrastinate) until SIGTERM or Ctrl-C")
    worker_cmd.add_argument(
        "--heartbeat-seconds", type=float, default=5.0, help="how often this worker says it is alive (default 5)"
    )
    worker_cmd.add_argument(
        "--stalled-after-seconds",
        type=float,
        default=20.0,
        help="a worker silent this long is presumed dead and its jobs are run again (default 20)",
    )
    worker_cmd.set_defaults(run=worker)
    return root


async def worker(settings: Settings, args: argparse.Namespace) -> int:
    """Run queued jobs until SIGTERM or Ctrl-C (JOB_QUEUE=procrastinate)."""
    if settings.job_queue != "procrastinate" or settings.database_url is None:
        print(
            "error: workers run jobs for JOB_QUEUE=procrastinate (with STORAGE_BACKEND=supabase and DATABASE_URL); "
            "with JOB_QUEUE=inprocess the server (python main.py) runs its own jobs",
            file=sys.stderr,
        )
        return 2
    from app.services.jobs.worker import QueueWorker  # procrastinate is loaded by workers only

    logging.getLogger().setLevel(logging.INFO)  # what the worker runs, and the sweeper's repairs
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not every storage request
    async with build_services(settings, image_link=image_url) as services:
        queue_worker = QueueWorker(
            dsn=settings.database_url.get_secret_value(),
            data=services.data,
            runner=services.runner,
            work_for=services.pipeline.resumer.work_for,
            concurrency=settings.worker_concurrency,
            heartbeat_seconds=args.heartbeat_seconds,
            stalled_after_seconds=args.stalled_after_seconds,
        )
        running = asyncio.create_task(queue_worker.run(), name="queue-worker")
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, running.cancel)
        logging.getLogger("app.worker").info(
            "worker ready: concurrency=%d text=%s images=%s",
            settings.worker_concurrency,
            services.text.name,
            services.images.name,
        )
        with contextlib.suppress(asyncio.CancelledError):
            await running
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    except ValidationError as exc:  # one line per variable, no traceback
        print("\n".join(f"configuration error: {line}" for line in settings_error_lines(exc)), file=sys.stderr)
        return 2
    install_log_redaction(settings.secret_values())
    try:
        return asyncio.run(args.run(settings, args))
    except ValidationError as exc:  # a command's own input (a topic too short, ages the wrong way round)
        print(
            "error: "
            + "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
            ),
            file=sys.stderr,
        )
    except (FableError, ConfigurationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
