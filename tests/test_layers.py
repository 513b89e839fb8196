"""Nothing below imports anything above it (DESIGN.md, "The layers").

Every module's imports are read with `ast`, those inside functions and `if TYPE_CHECKING:` included (a
late import is still a dependency), and each one that reaches up a layer is listed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOP_LEVEL = ("config", "utils", "external_services", "master_prompts", "main")
ENTRY_POINTS = ("app.factory", "app.cli", "main")  # they wire the app together: they may import anything

# What each layer must never import (a module counts as its package and everything under it).
ABOVE_STORAGE = ("app.services", "app.api", *ENTRY_POINTS)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "app.errors": ("app", *TOP_LEVEL),
    "app.models": (*ABOVE_STORAGE, "app.storage", "external_services", "master_prompts"),
    "app.storage": (*ABOVE_STORAGE, "external_services", "master_prompts"),
    "app.services": ("app.api", *ENTRY_POINTS),
    "app.api": ENTRY_POINTS,
    "config": ("app", "utils", "external_services", "master_prompts", "main"),
    "utils": ("app", "config", "external_services", "master_prompts", "main"),
    "external_services": (*ABOVE_STORAGE, "app.storage", "master_prompts"),
    "master_prompts": (*ABOVE_STORAGE, "app.storage", "external_services"),
    "main": ("app.services", "app.api"),
}
INFRA_MAY_IMPORT = ("app.errors", "app.infra")  # and the standard library and third-party packages


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def imported_names(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    """Every module this one imports, absolute, with its line; `from x import y` counts as x.y too, so
    `from app import services` is caught as app.services."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names if alias.name != "*"]
    return found


def violations_in(path: Path, source: str | None = None) -> list[str]:
    module = module_name(path)
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"), filename=str(path))
    imports = imported_names(tree, module, path.name == "__init__.py")
    if within(module, "app.infra"):

        def upward(name: str) -> bool:
            return (within(name, "app") and not any(within(name, allowed) for allowed in INFRA_MAY_IMPORT)) or any(
                within(name, top) for top in TOP_LEVEL
            )
    else:
        forbidden = [up for layer, ups in FORBIDDEN.items() if within(module, layer) for up in ups]

        def upward(name: str) -> bool:
            return any(within(name, up) for up in forbidden)

    first: dict[int, str] = {}  # one report an import statement: the module it names
    for line, name in imports:
        if upward(name) and (line not in first or len(name) < len(first[line])):
            first[line] = name
    return [f"{path.relative_to(ROOT)}:{line} {module} imports {name}" for line, name in sorted(first.items())]


def checked_modules() -> list[Path]:
    return sorted([*(ROOT / "app").rglob("*.py"), *(ROOT / f"{name}.py" for name in TOP_LEVEL)])


def test_every_layer_is_checked() -> None:
    """A module outside every layer would pass unchecked: each one belongs to a layer or is an entry point."""
    layers = (*FORBIDDEN, "app.infra", *ENTRY_POINTS, "app")
    unplaced = [
        module_name(p)
        for p in checked_modules()
        if module_name(p) != "app" and not any(within(module_name(p), layer) for layer in layers if layer != "app")
    ]
    assert unplaced == []


def test_nothing_imports_a_layer_above_it() -> None:
    found = [v for path in checked_modules() for v in violations_in(path)]
    assert found == [], "imports that reach up a layer:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        ("app/storage/supabase_backend.py", "from external_services import RetryPolicy\n", "imports external_services"),
        ("external_services.py", "from app.services.usage import record_usage\n", "imports app.services.usage"),
        ("app/infra/retry.py", "def late():\n    from app.models.schemas import Job\n", "imports app.models.schemas"),
        ("app/infra/retry.py", "import config\n", "imports config"),
        ("app/services/jobs/runner.py", "from app import api\n", "imports app.api"),
        ("app/services/safety/checked.py", "from ...api import urls\n", "imports app.api"),
        ("app/models/schemas.py", "if True:\n    import app.storage.base\n", "imports app.storage.base"),
    ],
)
def test_an_upward_import_is_caught(path: str, source: str, expected: str) -> None:
    """The check itself: each of these, injected into a module, is reported with its line."""
    found = violations_in(ROOT / path, source)
    assert found and all(expected in v for v in found), found


def test_a_downward_import_passes() -> None:
    assert (
        violations_in(ROOT / "app/services/jobs/runner.py", "from app.infra.locks import KeyedLocks\nimport config\n")
        == []
    )
    assert violations_in(ROOT / "app/infra/retry.py", "from app.errors import UpstreamError\nimport httpx\n") == []
