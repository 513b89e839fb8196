"""The command line and the configuration, as a user meets them."""

from __future__ import annotations

import io
import json
import zipfile
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from pydantic import ValidationError

from app.cli import main
from app.services.catalog import catalog
from config import Settings, env_name, settings_error_lines

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_make_writes_a_comic_and_says_where(tmp_path: Path) -> None:
    code, out, _ = run_cli("make", "teaching kids about safety", "--age-group", "5-12", "--num-scenes", "4",
                           "--characters", "max", "bolt", "--data-dir", str(tmp_path))  # after the command too
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


@pytest.mark.parametrize("argv, says", [
    (["make", "ab"], "topic"),
    (["make", "safety", "--age-group", "12-5"], "youngest"),
    (["make", "safety", "--characters", "nobody"], "nobody"),
])
def test_make_refuses_bad_input_clearly(tmp_path: Path, argv: list[str], says: str) -> None:
    code, out, err = run_cli("--data-dir", str(tmp_path), *argv)
    assert code != 0 and says in err and "Traceback" not in err


def test_characters_lists_the_catalog_and_unknown_ids_point_to_it(tmp_path: Path) -> None:
    code, out, _ = run_cli("characters")
    assert code == 0
    rows = out.splitlines()
    assert len(rows) == len(catalog())
    for row, character in zip(rows, catalog()):
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
    ({"MAX_CONCURRENT_RENDERS": "0"},
     "MAX_CONCURRENT_RENDERS must be at least 1; for example MAX_CONCURRENT_RENDERS=10"),
    ({"STORAGE_BACKEND": "supabase"}, "SUPABASE_URL and SUPABASE_KEY must be set when STORAGE_BACKEND=supabase"),
    ({"PORT": "s3cret-port"}, "PORT must be a whole number from 1 to 65535; for example PORT=8000"),
    ({"ENV": "prod"}, "ENV must be one of development, production, test; for example ENV=development"),
]


@pytest.mark.parametrize("command", [["main.py"], ["-m", "app.cli", "stats"]], ids=["main.py", "app.cli"])
@pytest.mark.parametrize("bad, says", BAD_CONFIGURATION, ids=[next(iter(b)) for b, _ in BAD_CONFIGURATION])
def test_a_bad_configuration_is_one_line_and_exit_code_2(tmp_path: Path, command: list[str], bad: dict[str, str],
                                                         says: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DATA_DIR": str(tmp_path / "data"), **bad}
    argv = [str(ROOT / command[0]), *command[1:]] if command[0].endswith(".py") else command
    done = subprocess.run([sys.executable, *argv], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)  # cwd: no .env is read
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [f"configuration error: {done.stderr.split(': ', 1)[1].strip()}"]
    assert says in done.stderr and "Traceback" not in done.stderr and "s3cret" not in done.stderr


def _bad_value(field: str) -> str | None:
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


def test_production_refuses_an_open_api() -> None:
    with pytest.raises(ValidationError, match="API_KEYS or SUPABASE_JWT_SECRET"):
        Settings(_env_file=None, env="production")
    assert Settings(_env_file=None, env="production", api_keys="k1,k2").auth_enabled


def test_main_py_exits_with_the_reason_in_production_without_auth(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=tmp_path, capture_output=True, text=True,
                          env={"ENV": "production", "PATH": "/usr/bin:/bin"}, timeout=60)
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


def test_fal_hosts_in_dotenv_reach_fal_client(tmp_path: Path) -> None:
    """fal-client reads FAL_QUEUE_RUN_HOST at import; a `.env` line must count as an environment one."""
    root = Path(__file__).resolve().parent.parent
    (tmp_path / ".env").write_text("FAL_QUEUE_RUN_HOST=queue.example.test:9443\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAL_")}
    probe = (f"import sys; sys.path.insert(0, {str(root)!r}); import external_services, fal_client.client as c; "
             "print(c.QUEUE_URL_FORMAT)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip() == "https://queue.example.test:9443/", done.stderr
