"""Shared builders of the app's tests: a CLI run in a home of its own, config files, a keyring."""

from __future__ import annotations

from pathlib import Path

import keyring.backend
import keyring.errors
from typer.testing import CliRunner

from inbox_audit.app.cli import app

# An account with every kind of key, as people write them.
SHOP = """\
[accounts.shop]
source = "imaps://shop%40example.com@mail.example.com"
me = ["shop@example.com", "Claire@Example.com"]
skip_folders = ["Newsletters"]
sent_folder = "Envoyés"
sla = "4h"
timezone = "Europe/Paris"
password_command = "pass show mail/shop"
"""


def invoke(tmp_path: Path, *args: str, input: str | None = None) -> tuple[int, str, str]:
    """The CLI with its config and state under `tmp_path` (xdg/, state/): exit code, stdout,
    stderr. Whatever happens, no traceback."""
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "XDG_STATE_HOME": str(tmp_path / "state")}
    result = CliRunner().invoke(app, list(args), input=input, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result.exit_code, result.stdout, result.stderr


def write_config(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    """`text` in tmp_path/NAME, private (0600): for --config or load_config(path)."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def default_config(tmp_path: Path, text: str) -> Path:
    """`text` where `invoke` finds the config file without --config."""
    return write_config(tmp_path, text, "xdg/inbox-audit/config.toml")


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in a dict, for tests."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring is untyped here
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")
