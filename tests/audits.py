"""Whole audits through the CLI for the integration tests: a generated mailbox loaded into the
test Dovecot, and the JSON report of an audit over IMAP or of a local store."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from inbox_audit.app.cli import app
from tests.dovecot import Appended, DovecotServer, MailUser
from tests.mailgen import GeneratedMailbox


def load(dovecot: DovecotServer, box: GeneratedMailbox) -> MailUser:
    """An account holding the generated mailbox, folder by folder, flags and dates kept."""
    user = dovecot.add_user(dovecot.unique_name(box.layout), "pw-Gen-42!", list(box.folders()))
    for folder in box.folders():
        items = [
            Appended(m.data, m.flags, m.internal_date) for m in box.messages if m.folder == folder
        ]
        if items:
            dovecot.append_many(user, folder, items)
    return user


class Mailbox:
    """A generated mailbox loaded into Dovecot, and the CLI arguments that audit it."""

    def __init__(self, dovecot: DovecotServer, box: GeneratedMailbox, user: MailUser) -> None:
        self.dovecot = dovecot
        self.box = box
        self.user = user

    def args(self, *extra: str, url: str | None = None) -> list[str]:
        owner = [arg for address in self.box.owner for arg in ("--me", address)]
        return [
            "audit",
            url or self.dovecot.url(self.user),
            "--ca-file",
            str(self.dovecot.ca_file),
            "--as-of",
            self.box.as_of.isoformat(),
            "--timeout",
            "10",
            "--quiet",
            *owner,
            *extra,
        ]


def run_cli(dovecot: DovecotServer, user: MailUser, *args: str) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(
        app,
        ["audit", dovecot.url(user), "--ca-file", str(dovecot.ca_file), "--format", "json", *args],
        env={"INBOX_AUDIT_PASSWORD": user.password},
    )
    assert result.exit_code in (0, 1), result.stderr + repr(result.exception)
    assert user.password not in result.stdout + result.stderr
    return result.exit_code, json.loads(result.stdout), result.stderr


def audit_json(source: str, box: GeneratedMailbox, *extra: str) -> dict:  # type: ignore[type-arg]
    args = ["audit", source, "--format", "json", "--as-of", box.as_of.isoformat(), *extra]
    for address in box.owner:
        args += ["--me", address]
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), result.stderr + repr(result.exception)
    report: dict = json.loads(result.stdout)  # type: ignore[type-arg]
    assert result.exit_code == (1 if report["summary"]["overdue"] else 0)
    return report
