"""The house: each layer imports only the layers below it, and the core does no I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "inbox_audit"

SHARED = {"model", "errors", "settings"}
# Shared by the layers that touch files (private directories), never by the pure core.
FILES = {"dirs"}
VERSION = "__version__"  # the package's own version, from its __init__
# What each layer may import of the project (beside itself). Data flows one way: sources and
# the store feed the core, outputs format what it returns, the app drives them all.
ALLOWED: dict[str, set[str]] = {
    "shared": SHARED,
    "core": SHARED | {"core"},
    "files": SHARED,
    # Sources and the store raise the errors the owner reads (connection refused, a cache
    # that cannot be written...): they word them in the owner's language where they raise.
    "sources": SHARED | FILES | {"core", "sources", "i18n"},
    "store": SHARED | FILES | {"core", "sources", "store", "i18n"},
    "outputs": SHARED | FILES | {"core", "outputs", "i18n"},
    "app": SHARED | FILES | {"core", "sources", "store", "outputs", "app", "__init__", "i18n"},
    # The owner's language: what sources, the store, outputs and the app say; the core and
    # the shared types produce data and N_() templates (errors.N_), not words.
    "i18n": set(),
}
# The core is pure: no files, processes, sockets, databases, collector or terminal.
CORE_BANNED = {
    "os",
    "io",
    "pathlib",
    "shutil",
    "subprocess",
    "socket",
    "ssl",
    "sqlite3",
    "gc",
    "time",
    "threading",
    "multiprocessing",
    "imaplib",
    "imapclient",
    "rich",
    "typer",
    "keyring",
    "gettext",
    "babel",
}


def layer_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    if len(relative.parts) == 1:
        if relative.stem in FILES:
            return "files"
        return "shared" if relative.stem in SHARED else relative.stem
    return relative.parts[0]


def imports_of(path: Path) -> set[str]:
    """Every module imported anywhere in the file, TYPE_CHECKING and function bodies included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and not node.level:
            found.add(node.module)
            if node.module == "inbox_audit":
                found.update(f"inbox_audit.{alias.name}" for alias in node.names)
    return found


MODULES = sorted(
    p for p in PACKAGE.rglob("*.py") if p.name != "__main__.py" and "__pycache__" not in p.parts
)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_layer_imports_only_the_layers_below(path: Path) -> None:
    layer = layer_of(path)
    if layer == "__init__":
        return
    allowed = ALLOWED[layer]
    for name in imports_of(path):
        parts = name.split(".")
        if parts[0] != "inbox_audit" or len(parts) == 1 or parts[1] == VERSION:
            continue
        assert parts[1] in allowed, f"{path.relative_to(PACKAGE)} ({layer}) imports {name}"


@pytest.mark.parametrize(
    "path",
    [p for p in MODULES if layer_of(p) in ("core", "shared")],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_the_core_does_no_io(path: Path) -> None:
    for name in imports_of(path):
        assert name.split(".")[0] not in CORE_BANNED, f"{path.relative_to(PACKAGE)}: {name}"


def test_the_fence_sees_a_forbidden_import(tmp_path: Path) -> None:
    # The walk finds imports hidden in functions and TYPE_CHECKING blocks.
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from inbox_audit.store import cache\n"
        "def f() -> None:\n    import sqlite3\n"
    )
    assert {"inbox_audit.store", "sqlite3"} <= imports_of(sample)


def test_every_module_says_its_job_in_one_line() -> None:
    for path in MODULES:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc, f"{path.relative_to(PACKAGE)} has no docstring"
