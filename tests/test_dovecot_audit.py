"""Whole audits over IMAP against a real Dovecot: generated mailboxes, real corpora, read-only."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from typer.testing import CliRunner

from inbox_audit.app.cli import app
from tests.dovecot import Appended, DovecotServer, MailUser
from tests.evaluate import score
from tests.mailgen import GeneratedMailbox, generate
from tests.test_corpora import CORPORA, mail_files, split_messages
from tests.test_end_to_end import messages_without_id


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


def run_cli(dovecot: DovecotServer, user: MailUser, *args: str) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(
        app,
        ["audit", dovecot.url(user), "--ca-file", str(dovecot.ca_file), "--format", "json", *args],
        env={"INBOX_AUDIT_PASSWORD": user.password},
    )
    assert result.exit_code in (0, 1), result.stderr + repr(result.exception)
    assert user.password not in result.stdout + result.stderr
    return result.exit_code, json.loads(result.stdout), result.stderr


@pytest.mark.parametrize("layout", ["plain", "gmail", "french"])
def test_generated_mailbox_over_imap(dovecot: DovecotServer, layout: str) -> None:
    box = generate(7, layout)
    user = load(dovecot, box)
    before = dovecot.snapshot_state(user)
    owner = [arg for address in box.owner for arg in ("--me", address)]
    code, report, _ = run_cli(dovecot, user, "--as-of", box.as_of.isoformat(), *owner)

    outcome = score(report, box.truth, messages_without_id(box))
    assert not outcome.violations, outcome.explain()
    assert not outcome.missing, outcome.explain()
    assert outcome.overdue_f1 >= 0.97, outcome.explain()
    assert outcome.pairing >= 0.97, outcome.explain()
    assert code == (1 if report["summary"]["overdue"] else 0)
    summary = report["summary"]
    scanned = sum(f["messages"] or 0 for f in report["folders"] if f["scanned"])
    # Every message of every scanned folder is accounted for, once.
    assert scanned == (
        len(report["messages"])
        + summary["duplicates"]
        + summary["unreadable"]
        + summary["drafts"]
        + summary["after_as_of"]
        + summary["outbound"]
    )
    roles = {folder["name"]: folder["role"] for folder in report["folders"]}
    assert "sent" in roles.values()
    assert not any(f["scanned"] for f in report["folders"] if f["role"] in ("trash", "junk"))
    # Read-only: every flag (\Recent included), UIDVALIDITY and HIGHESTMODSEQ unchanged.
    assert dovecot.snapshot_state(user) == before


def test_identities_detected_from_sent_without_me(dovecot: DovecotServer) -> None:
    box = generate(8, "french")
    user = load(dovecot, box)
    _, report, _ = run_cli(dovecot, user, "--as-of", box.as_of.isoformat())
    assert box.owner[0] in report["identities_detected"]
    outcome = score(report, box.truth, messages_without_id(box))
    assert not outcome.violations, outcome.explain()


@pytest.mark.corpora
@pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora is absent")
def test_real_corpora_loaded_into_dovecot_are_all_accounted_for(dovecot: DovecotServer) -> None:
    folders: dict[str, list[Appended]] = {}
    for path in mail_files():
        corpus = path.relative_to(CORPORA).parts[0]
        for chunk in split_messages(path.read_bytes()):
            body = chunk.partition(b"\n")[2] if chunk.startswith(b"From ") else chunk
            if body.strip():
                folders.setdefault(corpus, []).append(Appended(body))
    user = dovecot.add_user(dovecot.unique_name("corpora"), "pw-Corp-1!", ["INBOX", *folders])
    loaded = sum(len(dovecot.append_many(user, name, items)) for name, items in folders.items())
    before = dovecot.snapshot_state(user)
    now = datetime.now(UTC).isoformat()
    code, report, stderr = run_cli(
        dovecot, user, "--as-of", now, "--me", "owner@jolis-pots.example"
    )
    assert "Traceback" not in stderr
    summary = report["summary"]
    accounted = (
        len(report["messages"])
        + summary["duplicates"]
        + summary["unreadable"]
        + summary["drafts"]
        + summary["after_as_of"]
        + summary["outbound"]
    )
    assert accounted == loaded, (accounted, loaded)
    assert code == (1 if summary["overdue"] else 0)
    assert dovecot.snapshot_state(user) == before
