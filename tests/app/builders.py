"""Shared builders of the app's tests: a CLI run in a home of its own, config files, a keyring."""

from __future__ import annotations

import os
from pathlib import Path

import keyring.backend
import keyring.errors
import pytest
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


def fake_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crontab: str | None) -> Path:
    """`crontab` and `systemctl` on PATH that keep their state under tmp_path: the real
    user's crontab and systemd are never touched. Returns the crontab's file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    table = tmp_path / "crontab.txt"
    if crontab is not None:
        table.write_text(crontab, encoding="utf-8")
    (bin_dir / "crontab").write_text(
        f"""#!/bin/sh
case "$1" in
  -l) [ -f '{table}' ] || {{ echo "no crontab for $LOGNAME" >&2; exit 1; }}; cat '{table}';;
  -) cat > '{table}';;
  *) echo "usage" >&2; exit 2;;
esac
""",
        encoding="utf-8",
    )
    log = tmp_path / "systemctl.log"
    (bin_dir / "systemctl").write_text(f'#!/bin/sh\necho "$@" >> {log}\n', encoding="utf-8")
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return table
