"""The program's start: the owner's language first (the commands' help is written in it when
the command line is built), then the command line."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from inbox_audit import i18n


def configured_language(argv: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """The config file's `lang` (top level, else the account's the command names, the default
    or the only one), read before the command line is parsed; None when there is none.

    A file that cannot be read or parsed gives None: the command reports it properly later.
    """
    import tomllib

    from inbox_audit.app.config import default_config_path

    path = _option(argv, "--config")
    where = Path(path) if path else default_config_path(environ)
    try:
        document = tomllib.loads(where.expanduser().read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    lang = document.get("lang")
    if isinstance(lang, str):
        return lang
    accounts = document.get("accounts")
    if not isinstance(accounts, dict):
        return None
    name = _option(argv, "--account") or document.get("default_account")
    if name is None and len(accounts) == 1:
        name = next(iter(accounts))
    account = accounts.get(name) if isinstance(name, str) else None
    value = account.get("lang") if isinstance(account, dict) else None
    return value if isinstance(value, str) else None


def _option(argv: Sequence[str], name: str) -> str | None:
    """The value of `name` in `argv` ('--config x' or '--config=x'), None when absent."""
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg[len(name) + 1 :]
    return None


def main() -> None:
    """Console entry point: choose the language, then run the command line."""
    argv = sys.argv[1:]
    i18n.use(i18n.choose(configured_language(argv, os.environ), os.environ))
    i18n.use_for_libraries()
    from inbox_audit.app.cli import main as command_line

    command_line()
