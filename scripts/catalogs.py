"""Keep the message catalogs in step with the code: collect every `_("...")` and
`ngettext("...", "...", n)` of src/inbox_audit into each language's .po (new messages empty,
gone ones dropped, translations kept), then compile the .mo files the package loads.

    python scripts/catalogs.py          # update the .po files and compile the .mo files
    python scripts/catalogs.py --check  # exit 1 when a .po or .mo is not up to date

Then translate the new (empty) entries of src/inbox_audit/locale/*/LC_MESSAGES/*.po and run
it again to compile them. tests/test_catalogs.py fails on a missing, empty or fuzzy one.
"""

from __future__ import annotations

import argparse
import ast
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "inbox_audit"
LOCALE_DIR = PACKAGE / "locale"
DOMAIN = "inbox_audit"
TRANSLATED = ("fr",)  # English is the code's own language: no catalog

#: Words typer prints through the process-wide gettext domain (typer/core.py), which
#: i18n.use_for_libraries points at this package's catalog.
TYPER_MESSAGES = (
    "Arguments",
    "Options",
    "Commands",
    "default: {default}",
    "required",
    "env var: {var}",
    "(dynamic)",
    "Aborted!",
    "Missing command.",
    "No such command {name!r}.",
)


def messages_in(source: str) -> list[tuple[int, str | tuple[str, str]]]:
    """The `_("...")`, `N_("...")` and `ngettext("...", "...", n)` of a module's source, with
    their line.

    Read from the syntax tree rather than the tokens, so that a call inside an f-string's
    braces counts too; an argument that is not a literal string is an error (it could not be
    translated).
    """
    found: list[tuple[int, str | tuple[str, str]]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        count = {"_": 1, "N_": 1, "ngettext": 2}.get(node.func.id)
        if count is None:
            continue
        texts = [
            a.value
            for a in node.args[:count]
            if isinstance(a, ast.Constant) and isinstance(a.value, str)
        ]
        if len(texts) != count:
            raise SystemExit(f"line {node.lineno}: {node.func.id}() needs literal strings")
        found.append((node.lineno, texts[0] if count == 1 else (texts[0], texts[1])))
    return found


def template() -> Catalog:
    """Every message of the code, with where it is used."""
    catalog = Catalog(domain=DOMAIN, project="inbox-audit", fuzzy=False)
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        for lineno, message in messages_in(path.read_text(encoding="utf-8")):
            flags = ["python-brace-format"] if "{" in str(message) else []
            catalog.add(message, locations=[(where, lineno)], flags=flags)
    for message in TYPER_MESSAGES:
        catalog.add(message, locations=[("typer/core.py", 0)])
    return catalog


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def updated(language: str, code: Catalog) -> Catalog:
    """The language's catalog with the code's messages: translations kept, new ones empty."""
    path = po_path(language)
    if path.exists():
        with path.open("rb") as f:
            catalog = read_po(f, locale=language, domain=DOMAIN)
    else:
        catalog = Catalog(locale=language, domain=DOMAIN, project="inbox-audit", fuzzy=False)
    # No fuzzy matching: a guessed translation of a changed message would ship unread.
    catalog.update(
        code, no_fuzzy_matching=True, update_header_comment=False, update_creation_date=False
    )
    catalog.obsolete.clear()
    return catalog


def po_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    # No line numbers: a catalog that changed with every edit above a message would always be
    # out of date; the file names are enough to find a message.
    write_po(
        out, catalog, width=100, sort_output=True, include_previous=False, include_lineno=False
    )
    return out.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def stale_files() -> dict[Path, bytes]:
    """The catalog files that differ from what the code and the .po files give, with their
    up-to-date contents."""
    code = template()
    stale: dict[Path, bytes] = {}
    for language in TRANSLATED:
        catalog = updated(language, code)
        po = po_bytes(catalog)
        mo = mo_bytes(catalog)
        for path, data in ((po_path(language), po), (po_path(language).with_suffix(".mo"), mo)):
            if not path.exists() or path.read_bytes() != data:
                stale[path] = data
    return stale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say what is out of date")
    args = parser.parse_args()
    stale = stale_files()
    for path, data in stale.items():
        shown = path.relative_to(ROOT)
        if args.check:
            print(f"out of date: {shown}", file=sys.stderr)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            print(f"wrote {shown}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
