"""The command line and the configuration, as a user meets them."""

from __future__ import annotations

import io
import json
import zipfile
import os
import signal
import socket
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import httpx
import pytest
from PIL import Image
from pypdf import PdfReader
from pydantic import ValidationError

from app.cli import main
from app.services.comics.catalog import catalog
from config import Settings, env_name, settings_error_lines
from tests.processes import free_port, running

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_make_writes_a_comic_and_says_where(tmp_path: Path) -> None:
    code, out, _ = run_cli(
        "make",
        "teaching kids about safety",
        "--age-group",
        "5-12",
        "--num-scenes",
        "4",
        "--characters",
        "max",
        "bolt",
        "--data-dir",
        str(tmp_path),
    )  # after the command too
    assert code == 0
    lines = [line.split() for line in out.splitlines()]
    record = next(Path(parts[1]) for parts in lines if parts[0] == "record")
    comic = json.loads(record.read_text())
    assert comic["status"] == "completed" and len(comic["panels"]) == 4
    panels = [Path(parts[1]) for parts in lines if parts[0] == "panel"]
    characters = [Path(parts[1]) for parts in lines if parts[0] == "character"]
    assert len(panels) == 4 and len(characters) == 2
    for png in panels + characters:
        assert Image.open(png).format == "PNG"
    pages = [Path(parts[1]) for parts in lines if parts[0] == "page"]
    (pdf,) = [Path(parts[1]) for parts in lines if parts[0] == "pdf"]
    (cbz,) = [Path(parts[1]) for parts in lines if parts[0] == "cbz"]
    assert [p.name for p in pages] == ["page-01.png", "page-02.png"] and pdf.name == "adventures-in-safety.pdf"
    assert all(p.parent == tmp_path / "exports" / comic["id"] for p in (*pages, pdf, cbz))
    assert len(PdfReader(pdf).pages) == len(pages)
    assert zipfile.ZipFile(cbz).namelist() == ["001.png", "002.png", "ComicInfo.xml"]

    code, out, _ = run_cli("--data-dir", str(tmp_path), "stats")
    stats = json.loads(out)
    assert stats["json_storage"]["total_comics"] == 1 and stats["image_storage"]["total_images"] == 4 * 2 + 2

    code, out, _ = run_cli("--data-dir", str(tmp_path), "cleanup", "--dry-run")
    assert code == 0 and out.startswith("would remove 0 temp image(s)")


@pytest.mark.parametrize(
    "argv, says",
    [
        (["make", "ab"], "topic"),
        (["make", "safety", "--age-group", "12-5"], "youngest"),
        (["make", "safety", "--characters", "nobody"], "nobody"),
    ],
)
def test_make_refuses_bad_input_clearly(tmp_path: Path, argv: list[str], says: str) -> None:
    code, _out, err = run_cli("--data-dir", str(tmp_path), *argv)
    assert code != 0 and says in err and "Traceback" not in err


def test_characters_lists_the_catalog_and_unknown_ids_point_to_it(tmp_path: Path) -> None:
    code, out, _ = run_cli("characters")
    assert code == 0
    rows = out.splitlines()
    assert len(rows) == len(catalog())
    for row, character in zip(rows, catalog(), strict=False):
        assert row.split()[0] == character.id and f"  {character.name}  " in row
        assert character.description.split()[0] in row
    code, _, err = run_cli("--data-dir", str(tmp_path), "make", "safety", "--characters", "max", "nobody")
    assert code == 2 and "unknown character ids: nobody; run python -m app.cli characters to see them" in err
    assert "/api/" not in err and not (tmp_path / "jobs").exists()  # refused before any work started


def test_data_dir_may_come_before_or_after_the_command(tmp_path: Path) -> None:
    before, after = tmp_path / "before", tmp_path / "after"
    assert run_cli("--data-dir", str(before), "stats")[0] == 0
    assert run_cli("stats", "--data-dir", str(after))[0] == 0
    assert run_cli("--data-dir", str(tmp_path / "unused"), "cleanup", "--data-dir", str(after))[0] == 0
    assert before.is_dir() and after.is_dir() and not (tmp_path / "unused").exists()


BAD_CONFIGURATION = [  # (environment, what the one line must say)
    ({"TEXT_PROVIDER": "openai"}, "OPENAI_API_KEY must be set when TEXT_PROVIDER=openai; for example OPENAI_API_KEY="),
    ({"IMAGE_PROVIDER": "fal"}, "FAL_KEY must be set when IMAGE_PROVIDER=fal; for example FAL_KEY="),
    (
        {"MAX_CONCURRENT_RENDERS": "0"},
        "MAX_CONCURRENT_RENDERS must be at least 1; for example MAX_CONCURRENT_RENDERS=10",
    ),
    ({"STORAGE_BACKEND": "supabase"}, "SUPABASE_URL and SUPABASE_KEY must be set when STORAGE_BACKEND=supabase"),
    ({"PORT": "s3cret-port"}, "PORT must be a whole number from 1 to 65535; for example PORT=8000"),
    ({"ENV": "prod"}, "ENV must be one of development, production, test; for example ENV=development"),
    (
        {"ALLOWED_IMAGE_HOSTS": "fal.media,http://evil"},
        "ALLOWED_IMAGE_HOSTS must be host names separated by commas, without a scheme or path",
    ),
    (
        {"OPENAI_BASE_URL": "notaurl"},
        (
            "OPENAI_BASE_URL must be an http:// or https:// URL with a host; "
            "for example OPENAI_BASE_URL=https://api.openai.com/v1"
        ),
    ),
    ({"SUPABASE_URL": "s3cret.supabase.co"}, "SUPABASE_URL must be an http:// or https:// URL with a host"),
    ({"CORS_ORIGINS": "http://localhost:3000/"}, "CORS_ORIGINS must be origins separated by commas"),
    ({"DATA_DIR": ""}, "DATA_DIR must be a directory path, not empty; for example DATA_DIR=data"),
    ({"DATA_DIR": "  "}, "DATA_DIR must be a directory path, not empty"),
]


@pytest.mark.parametrize("command", [["main.py"], ["-m", "app.cli", "stats"]], ids=["main.py", "app.cli"])
@pytest.mark.parametrize("bad, says", BAD_CONFIGURATION, ids=[next(iter(b)) for b, _ in BAD_CONFIGURATION])
def test_a_bad_configuration_is_one_line_and_exit_code_2(
    tmp_path: Path, command: list[str], bad: dict[str, str], says: str
) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DATA_DIR": str(tmp_path / "data"), **bad}
    argv = [str(ROOT / command[0]), *command[1:]] if command[0].endswith(".py") else command
    done = subprocess.run(
        [sys.executable, *argv], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )  # cwd: no .env is read
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [f"configuration error: {done.stderr.split(': ', 1)[1].strip()}"]
    assert says in done.stderr and "Traceback" not in done.stderr and "s3cret" not in done.stderr


def start(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python main.py` or `python -m app.cli ...` from `cwd` (no .env there), with only `env` set. Its port is
    held by this test, so a server that got as far as listening would stop there instead of serving."""
    argv = [str(ROOT / command[0]), *command[1:]] if command[0].endswith(".py") else command
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        return subprocess.run(
            [sys.executable, *argv],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={
                "PATH": "/usr/bin:/bin",
                "PYTHONPATH": str(ROOT),
                "HOST": "127.0.0.1",
                "PORT": str(taken.getsockname()[1]),
                **env,
            },
        )


COMMANDS = pytest.mark.parametrize("command", [["main.py"], ["-m", "app.cli", "stats"]], ids=["main.py", "app.cli"])


@COMMANDS
def test_a_data_dir_that_cannot_be_written_is_one_line_and_exit_code_2(tmp_path: Path, command: list[str]) -> None:
    a_file = tmp_path / "not-a-directory"
    a_file.write_text("x")
    cases = {
        a_file: "is not a directory",
        a_file / "below": "is not a directory",
        Path("/proc/fable-data"): "cannot be made",
    }
    if os.geteuid() != 0:  # root writes through any mode bits
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        cases[locked] = "cannot be written"
    for data_dir, says in cases.items():
        done = start(command, tmp_path, DATA_DIR=str(data_dir))
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
        assert "DATA_DIR must be a directory this service can write to" in done.stderr and says in done.stderr
        assert "for example DATA_DIR=data" in done.stderr
    assert a_file.read_text() == "x" and sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["not-a-directory", *(["locked"] if os.geteuid() != 0 else [])]
    )  # nothing written in the cwd either


@COMMANDS
def test_supabase_unreachable_at_start_names_the_url_not_the_key(tmp_path: Path, command: list[str]) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    done = start(command, tmp_path, STORAGE_BACKEND="supabase", SUPABASE_URL=url, SUPABASE_KEY="s3cret-service-key")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "s3cret" not in done.stderr + done.stdout, done.stderr
    last = done.stderr.splitlines()[-1]
    assert f"could not connect to {url}" in last and "SUPABASE_URL" in last, done.stderr
    # what comes before it says which attempt failed, never more than the retries
    assert all("retry" in line for line in done.stderr.splitlines()[:-1]), done.stderr


def test_sigterm_stops_the_service_through_its_shutdown(tmp_path: Path) -> None:
    """main.py runs the app's lifespan itself (so that a start-up failure is one line): a SIGTERM must
    still end it, closing storage, whose image journal is then folded into its snapshot."""
    port = free_port()
    env = {
        "DATA_DIR": str(tmp_path / "data"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "API_KEYS": "",
        "TEXT_PROVIDER": "offline",
        "IMAGE_PROVIDER": "offline",
        "ENV": "development",
    }
    log = tmp_path / "service.log"
    with running(["main.py"], env=env, ready=f"http://127.0.0.1:{port}/health", log=log) as service:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as api:
            job_id = api.post(
                "/api/v1/comics/scenes/generate", json={"topic": "crossing the road", "num_scenes": 1}
            ).json()["job_id"]
            for stage in ("awaiting_input", "completed"):
                for _ in range(600):
                    if api.get(f"/api/v1/jobs/{job_id}").json()["status"] in (stage, "failed"):
                        break
                assert api.get(f"/api/v1/jobs/{job_id}").json()["status"] == stage
                if stage == "awaiting_input":
                    assert api.post(f"/api/v1/comics/{job_id}/generate").status_code == 202
        journal = tmp_path / "data" / "images" / "metadata.journal.jsonl"
        assert journal.stat().st_size > 0  # the images made are in the journal while it runs
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=30) == -signal.SIGTERM
    output = log.read_text()
    assert "Traceback" not in output and "Finished server process" in output, output
    assert journal.stat().st_size == 0 and "panel" in (journal.parent / "metadata.json").read_text()


def test_cors_origins_star_allows_any_site_but_not_with_credentials(tmp_path: Path) -> None:
    """`*` with credentials is refused by browsers, and Starlette would answer it by reflecting every
    origin with Allow-Credentials: `*` means any site, without credentials (the API's bearer header needs none)."""
    from fastapi.testclient import TestClient

    from app.factory import create_app

    open_to_all = Settings(
        _env_file=None, data_dir=tmp_path / "data", cors_origins="*", text_provider="offline", image_provider="offline"
    )
    listed = open_to_all.model_copy(update={"cors_origins": ["http://localhost:3000"]})
    for settings, origin, allowed, credentials in (
        (open_to_all, "https://any.example", "*", None),
        (listed, "http://localhost:3000", "http://localhost:3000", "true"),
    ):
        with TestClient(create_app(settings)) as client:
            for answer in (
                client.get("/api/v1/comics/characters", headers={"Origin": origin, "Cookie": "a=b"}),
                client.options(
                    "/api/v1/projects",
                    headers={
                        "Origin": origin,
                        "Access-Control-Request-Method": "POST",
                        "Access-Control-Request-Headers": "authorization",
                    },
                ),
            ):
                assert answer.status_code == 200
                assert answer.headers["access-control-allow-origin"] == allowed
                assert answer.headers.get("access-control-allow-credentials") == credentials


# values refused by a rule of their own (each field validator of Settings)
RULED = {
    "allowed_image_hosts": "http://evil",
    "openai_base_url": "notaurl",
    "supabase_url": "notaurl",
    "cors_origins": "http://localhost:3000/",
    "data_dir": "",
}


def _bad_value(field: str) -> str | None:
    if field in RULED:
        return RULED[field]
    annotation = str(Settings.model_fields[field].annotation)
    if "Literal" in annotation:
        return "not-one-of-them"
    return "many" if annotation in ("<class 'int'>", "<class 'float'>") else None


@pytest.mark.parametrize("field", [f for f in Settings.model_fields if _bad_value(f)])
def test_every_variable_says_its_rule_with_an_example_that_is_accepted(field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, **{field: _bad_value(field)})
    (line,) = settings_error_lines(refused.value)
    name = env_name(field)
    assert line.startswith(f"{name} must be ") and f"; for example {name}=" in line
    example = line.split(f"; for example {name}=", 1)[1]
    assert getattr(Settings(_env_file=None, **{field: example}), field) is not None


def test_the_example_env_file_is_a_valid_configuration() -> None:
    settings = Settings(_env_file=ROOT / ".env.example")
    assert settings.openai_base_url is None and settings.supabase_url is None and settings.data_dir == Path("data")


def test_production_refuses_an_open_api() -> None:
    with pytest.raises(ValidationError, match="API_KEYS or SUPABASE_JWT_SECRET"):
        Settings(_env_file=None, env="production")
    assert Settings(_env_file=None, env="production", api_keys="k1,k2").auth_enabled


def test_main_py_exits_with_the_reason_in_production_without_auth(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"ENV": "production", "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert done.returncode != 0
    assert "refuses to start" in done.stderr and "Traceback" not in done.stderr


def test_lists_and_aliases_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "http://a.test, http://b.test")
    monkeypatch.setenv("FAL_AI_API_KEY", "fal-secret")
    monkeypatch.setenv("OPENAI_API_KEY", "")
    settings = Settings(_env_file=None)
    assert settings.cors_origins == ["http://a.test", "http://b.test"]
    assert settings.fal_key is not None and settings.fal_key.get_secret_value() == "fal-secret"
    assert settings.openai_api_key is None
    assert "fal-secret" not in repr(settings)


def test_fal_hosts_in_dotenv_reach_fal_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """FAL_QUEUE_RUN_HOST in `.env` counts as an environment one: it is a setting, and the fal client built
    from those settings submits there (FAL_RUN_HOST alone moves the queue to queue.<host>)."""
    from external_services import FalClient

    for name in ("FAL_RUN_HOST", "FAL_QUEUE_RUN_HOST", "FAL_KEY", "FAL_AI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("FAL_KEY=id:secret\nFAL_QUEUE_RUN_HOST=queue.example.test:9443\n")
    client = FalClient(Settings(_env_file=env_file))
    assert client.fal.client.QUEUE_URL_FORMAT == "https://queue.example.test:9443/"
    env_file.write_text("FAL_KEY=id:secret\nFAL_RUN_HOST=fal.example.test\nFAL_QUEUE_RUN_HOST=\n")
    client = FalClient(Settings(_env_file=env_file))
    assert client.fal.client.QUEUE_URL_FORMAT == "https://queue.fal.example.test/"
    assert client.fal.client.RUN_URL_FORMAT == "https://fal.example.test/"
    client = FalClient(Settings(_env_file=None, fal_key="id:secret"))
    assert client.fal.client.QUEUE_URL_FORMAT == "https://queue.fal.run/"


def test_importing_the_vendor_clients_changes_nothing(tmp_path: Path) -> None:
    """No side effects at import: with a `.env` naming fal hosts in the working directory, importing
    external_services leaves os.environ as it was and does not load fal-client (a FalClient does)."""
    (tmp_path / ".env").write_text("FAL_RUN_HOST=fal.example.test\nFAL_QUEUE_RUN_HOST=queue.example.test:9443\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAL_")}
    probe = (
        f"import os, sys; sys.path.insert(0, {str(ROOT)!r}); before = dict(os.environ); "
        "import external_services; "
        "print(dict(os.environ) == before, 'fal_client' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.split() == ["True", "False"], done.stderr
