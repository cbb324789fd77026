"""Shared builders of the app's tests: CLI runs in a home of their own, config files, a keyring."""

from __future__ import annotations

import os
from email.message import EmailMessage
from pathlib import Path

import keyring.backend
import keyring.errors
import pytest
from typer.testing import CliRunner

from inbox_audit.app.cli import app
from tests.dovecot import DovecotServer, MailUser

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

# Who the runs' reports are emailed to, and the SMTP account that may send them.
OWNER = "owner@shop.example"
SMTP_USER = "shop@example.com"
SMTP_PASSWORD = "smtp-Pa55-do-not-print"


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


def nightly_job_config(tmp_path: Path) -> Path:
    """An account reading an empty Maildir, with [notify] sending only when something is late
    (to an SMTP server that is down), in the config `invoke` finds: what `schedule` installs
    and checks. Returns the Maildir."""
    mailbox = tmp_path / "empty"
    for sub in ("cur", "new", "tmp"):
        (mailbox / sub).mkdir(parents=True)
    default_config(
        tmp_path,
        f'[accounts.shop]\nsource = "{mailbox}"\nme = ["me@shop.example"]\n\n'
        '[notify]\nemail_to = "me@shop.example"\nsmtp = "smtp://127.0.0.1:1"\n'
        "only_if_late = true\n",
    )
    return mailbox


def headless_init_args(dovecot: DovecotServer, mail_user: MailUser) -> list[str]:
    """`init` with every answer given by flags, for the account "shop" of `mail_user` on the
    test Dovecot (the password comes from where the caller puts it)."""
    return [
        "init",
        "--no-input",
        "--server",
        f"127.0.0.1:{dovecot.imaps_port}",
        "--user",
        mail_user.name,
        "--ca-file",
        str(dovecot.ca_file),
        "--account",
        "shop",
        "--timezone",
        "Europe/Paris",
    ]


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


# A crontab of the owner's own, for `fake_tools`: what installing must keep.
MINE = "MAILTO=me@example.com\n# my backup\n30 2 * * * /usr/local/bin/backup --all\n"


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


def run(
    args: list[str], tmp_path: Path, *, password: str | None, **env: str
) -> tuple[int, str, str]:
    environment: dict[str, str | None] = {
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # no stray config file
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "INBOX_AUDIT_PASSWORD": password,  # None: unset, whatever the outer environment says
        **env,
    }
    result = CliRunner().invoke(app, args, env=environment)
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)
    assert "Traceback" not in result.stderr
    for secret in (SMTP_PASSWORD, password):
        if secret:
            assert secret not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def parts(message: EmailMessage) -> dict[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    found = {}
    for part in message.iter_parts():
        assert isinstance(part, EmailMessage)
        # As transmitted, lines end in CRLF (RFC 5321).
        found[part.get_content_type()] = part.get_content().replace("\r\n", "\n")
    return found
