"""One audit run end to end: the report emailed, the failure notice, the undelivered copy, the lock.

A real Dovecot (tests/dovecot.py) holds a generated mailbox; a real aiosmtpd server
(tests/smtpd.py) receives what the CLI sends.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest

from inbox_audit.core.printable import clean_text
from tests.app.builders import OWNER, SMTP_PASSWORD, SMTP_USER, parts, run
from tests.audits import Mailbox, load
from tests.dovecot import DovecotServer
from tests.mailgen import generate
from tests.smtpd import SmtpServer, free_port, make_smtp_server, smtp_server

# Fixtures used by name in this module's tests.
__all__ = ["make_smtp_server", "smtp_server"]

MakeServer = Callable[..., SmtpServer]


def waiting_in_text(text: str) -> Counter[tuple[str, str, str]]:
    """(status, correspondent address, subject) of each thread listed as waiting."""
    listed: Counter[tuple[str, str, str]] = Counter()
    pattern = re.compile(
        r"^\d+\. (?P<who>.+)\n   (?P<status>OVERDUE|pending), waiting.*\n   Subject: (?P<subj>.*)$",
        re.MULTILINE,
    )
    for found in pattern.finditer(text):
        who = found.group("who")
        address = who[who.rfind("<") + 1 : -1] if who.endswith(">") else who
        listed[(found.group("status").lower(), address, found.group("subj"))] += 1
    return listed


def waiting_in_json(report: dict[str, Any]) -> Counter[tuple[str, str, str]]:
    return Counter(
        (t["status"], t["correspondent"], clean_text(t["subject"]) or "(no subject)")
        for t in report["threads"]
        if t["status"] in ("overdue", "pending")
    )


# --- The report by email ------------------------------------------------------------------------


def test_report_email_has_both_parts_and_the_json_report_s_overdue(
    mailbox: Mailbox, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    smtp = f"smtp://127.0.0.1:{smtp_server.port}"
    args = mailbox.args("--format", "json", "--email-to", OWNER, "--smtp", smtp)
    code, stdout, stderr = run(args, tmp_path, password=mailbox.user.password)
    report = json.loads(stdout)
    assert report["summary"]["overdue"] > 0
    assert code == 1, stderr

    (received,) = smtp_server.received
    assert received.rcpt_tos == (OWNER,)
    message = received.parse()
    assert message["To"] == OWNER
    assert message["From"] == mailbox.box.owner[0]  # the first --me
    overdue = report["summary"]["overdue"]
    assert f"{overdue} customers have waited more than 24 h" in message["Subject"]
    bodies = parts(message)
    assert set(bodies) == {"text/plain", "text/html"}
    listed = waiting_in_text(bodies["text/plain"])
    assert listed == waiting_in_json(report)
    assert sum(n for (status, _, _), n in listed.items() if status == "overdue") == overdue
    html = bodies["text/html"]
    for _, address, _ in listed:
        assert address in html


def test_emailing_prints_nothing_unless_a_format_is_asked(
    mailbox: Mailbox, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    smtp = f"smtp://127.0.0.1:{smtp_server.port}"
    code, stdout, _ = run(
        mailbox.args("--email-to", OWNER, "--smtp", smtp), tmp_path, password=mailbox.user.password
    )
    assert code == 1
    assert stdout == ""
    assert len(smtp_server.received) == 1


def test_only_if_late_sends_nothing_when_nothing_is_overdue(
    mailbox: Mailbox, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    smtp = f"smtp://127.0.0.1:{smtp_server.port}"
    args = mailbox.args("--email-to", OWNER, "--smtp", smtp, "--only-if-late")
    # Long before any mail arrived, nothing can be overdue.
    args[args.index("--as-of") + 1] = "2000-01-01T00:00:00+00:00"
    code, _, stderr = run(args, tmp_path, password=mailbox.user.password)
    assert code == 0, stderr
    assert smtp_server.received == []

    late = mailbox.args("--email-to", OWNER, "--smtp", smtp, "--only-if-late")
    code, _, _ = run(late, tmp_path, password=mailbox.user.password)
    assert code == 1
    assert len(smtp_server.received) == 1


def test_smtp_login_over_starttls_with_the_password_from_the_environment(
    mailbox: Mailbox, make_smtp_server: MakeServer, tmp_path: Path
) -> None:
    server = make_smtp_server(users={SMTP_USER: SMTP_PASSWORD}, starttls=True)
    assert server.ca_file is not None
    smtp = f"smtp://{SMTP_USER.replace('@', '%40')}@127.0.0.1:{server.port}"
    base = [*mailbox.args("--email-to", OWNER, "--smtp", smtp)]
    base += ["--smtp-ca-file", str(server.ca_file), "--email-from", "audit@shop.example"]

    # No SMTP password: a configuration error before the mailbox is even read.
    code, _, stderr = run(base, tmp_path, password=mailbox.user.password)
    assert code == 3
    assert "INBOX_AUDIT_SMTP_PASSWORD" in stderr
    assert server.received == []

    code, _, stderr = run(
        base,
        tmp_path,
        password=mailbox.user.password,
        INBOX_AUDIT_SMTP_PASSWORD=SMTP_PASSWORD,
    )
    assert code == 1, stderr
    assert server.logins == [SMTP_USER]
    (message,) = server.messages
    assert message["From"] == "audit@shop.example"


def test_summary_format_prints_the_plain_summary(mailbox: Mailbox, tmp_path: Path) -> None:
    code, stdout, _ = run(
        mailbox.args("--format", "summary"), tmp_path, password=mailbox.user.password
    )
    assert code == 1
    first, *rest = stdout.splitlines()
    assert "customers have waited more than 24 h" in first
    assert any(line.startswith("overdue ") for line in rest)
    assert any(line.startswith("Last 7 days") or "days" in line for line in rest)


# --- Failing loudly -----------------------------------------------------------------------------


def test_wrong_imap_password_sends_a_failure_email_and_exits_4(
    mailbox: Mailbox, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    wrong = "Wr0ng-pa55word"
    smtp = f"smtp://127.0.0.1:{smtp_server.port}"
    code, stdout, stderr = run(
        mailbox.args("--email-to", OWNER, "--smtp", smtp, "--only-if-late"),
        tmp_path,
        password=wrong,
    )
    assert code == 4
    assert stdout == ""
    assert "login refused" in stderr
    assert f"told by email ({OWNER})" in stderr
    (message,) = smtp_server.messages
    assert message["Subject"].startswith("inbox-audit: could not audit imaps://")
    assert "login refused" in message["Subject"]
    bodies = parts(message)
    assert "What to do" in bodies["text/plain"]
    assert wrong not in message.as_string()


def test_no_imap_password_under_cron_is_emailed_and_exits_3(
    mailbox: Mailbox, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    smtp = f"smtp://127.0.0.1:{smtp_server.port}"
    code, _, stderr = run(
        mailbox.args("--email-to", OWNER, "--smtp", smtp), tmp_path, password=None
    )
    assert code == 3
    assert f"no password for {mailbox.user.name}@127.0.0.1" in stderr
    (message,) = smtp_server.messages
    assert "no password for" in message["Subject"]
    assert "INBOX_AUDIT_PASSWORD" in parts(message)["text/plain"]


def test_unreachable_server_is_emailed_too(smtp_server: SmtpServer, tmp_path: Path) -> None:
    smtp = f"smtp://127.0.0.1:{smtp_server.port}"
    args = ["audit", f"imaps://me@127.0.0.1:{free_port()}", "--timeout", "3"]
    code, _, stderr = run(
        [*args, "--email-to", OWNER, "--smtp", smtp], tmp_path, password="whatever-pw"
    )
    assert code == 4
    assert "connection refused" in stderr
    (message,) = smtp_server.messages
    assert "connection refused" in message["Subject"]
    assert message["From"] == OWNER  # neither --me nor an IMAP user with "@": the recipient


def test_smtp_down_exits_6_and_keeps_the_report(mailbox: Mailbox, tmp_path: Path) -> None:
    smtp = f"smtp://127.0.0.1:{free_port()}"  # nobody listens there
    state = tmp_path / "my-state"
    args = mailbox.args("--email-to", OWNER, "--smtp", smtp, "--state-dir", str(state))
    code, _, stderr = run(args, tmp_path, password=mailbox.user.password)
    assert code == 6
    assert "refused the connection" in stderr
    (saved,) = (state / "undelivered").glob("*.eml")
    assert str(saved) in stderr.replace("\n", "")
    assert saved.stat().st_mode & 0o777 == 0o600
    message = message_from_bytes(saved.read_bytes(), policy=default)
    assert isinstance(message, EmailMessage)
    assert "customers have waited more than 24 h" in message["Subject"]
    assert set(parts(message)) == {"text/plain", "text/html"}


def test_both_down_exit_with_the_mailbox_error_and_keep_the_failure_notice(
    mailbox: Mailbox, tmp_path: Path
) -> None:
    smtp = f"smtp://127.0.0.1:{free_port()}"
    code, _, stderr = run(
        mailbox.args("--email-to", OWNER, "--smtp", smtp), tmp_path, password="Wr0ng-pa55word"
    )
    assert code == 4  # the cause, not its consequence
    assert "login refused" in stderr
    (saved,) = (tmp_path / "state" / "inbox-audit" / "undelivered").glob("*.eml")
    assert b"could not audit" in saved.read_bytes()


def test_notify_section_of_the_config_file(
    mailbox: Mailbox, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    config = tmp_path / "config" / "inbox-audit" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        "[notify]\n"
        'email_to = ["nobody@shop.example"]\n'
        f'smtp = "smtp://127.0.0.1:{smtp_server.port}"\n',
        encoding="utf-8",
    )
    # The file supplies the server; the flag overrides the recipient.
    code, _, stderr = run(
        mailbox.args("--email-to", OWNER), tmp_path, password=mailbox.user.password
    )
    assert code == 1, stderr
    (received,) = smtp_server.received
    assert received.rcpt_tos == (OWNER,)


def test_email_to_without_smtp_is_a_usage_error(tmp_path: Path) -> None:
    code, _, stderr = run(
        ["audit", "imaps://me@127.0.0.1:1", "--email-to", OWNER], tmp_path, password="x-pw-1"
    )
    assert code == 2
    assert "--smtp" in stderr


def test_overlapping_run_exits_7(mailbox: Mailbox, tmp_path: Path) -> None:
    state = tmp_path / "state"
    args = mailbox.args("--format", "json", "--state-dir", str(state))
    code, _, _ = run(args, tmp_path, password=mailbox.user.password)
    assert code == 1
    assert list(state.glob("*.lock")) == []  # removed at the end of the run
    name = re.sub(r"[^A-Za-z0-9@._-]+", "_", mailbox.dovecot.url(mailbox.user))
    lock = state / f"audit-{name}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.pwrite(fd, b"4242\n", 0)
        code, stdout, stderr = run(args, tmp_path, password=mailbox.user.password)
    finally:
        os.close(fd)
    assert code == 7
    assert stdout == ""
    assert "another inbox-audit run" in stderr
    assert "pid 4242" in stderr


def awaiting_in_text(text: str) -> list[str]:
    """The correspondents of the email's "awaiting their reply" list, in order."""
    section = text.split("AWAITING THEIR REPLY (", 1)
    if len(section) == 1:
        return []
    body = section[1].split("WHAT WAS AUDITED", 1)[0]
    found = re.findall(r"^\d+\. (?:[^<\n]*<([^>]+)>|(\S+@\S+)) — ", body, re.MULTILINE)
    return [named or bare for named, bare in found]


def test_nightly_email_lists_those_awaiting_their_reply_as_a_full_audit_does(
    dovecot: DovecotServer,
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The awaiting list is the JSON's on a first run, on a re-dated snapshot (nothing new)
    and after new mail, where the ledger audits again only what the new mail touches."""
    import inbox_audit.core.audit as core_audit

    audited: list[str] = []  # "full" for each full audit, the count of each partial one
    full_audit, partial = core_audit.audit_examined, core_audit.examine

    def spy_full(*args: Any, **kwargs: Any) -> Any:
        audited.append("full")
        return full_audit(*args, **kwargs)

    def spy_partial(messages: Any, *args: Any, **kwargs: Any) -> Any:
        audited.append(str(len(messages)))
        return partial(messages, *args, **kwargs)

    monkeypatch.setattr(core_audit, "audit_examined", spy_full)
    monkeypatch.setattr("inbox_audit.store.incremental.examine", spy_partial)
    box = generate(11, "plain")
    user = load(dovecot, box)
    mailbox = Mailbox(dovecot, box, user)
    smtp = ["--email-to", OWNER, "--smtp", f"smtp://127.0.0.1:{smtp_server.port}"]
    _, stdout, _ = run(mailbox.args("--format", "json"), tmp_path, password=user.password)
    expected = [a["correspondent"] for a in json.loads(stdout)["awaiting_reply"]]
    assert expected, "the generated owner leaves quotes unanswered"
    paths = {}
    for step in ("first", "unchanged", "new mail"):
        if step == "new mail":
            fresh = (
                b"From: Someone <someone.new@example.org>\r\nTo: " + box.owner[0].encode()
                + b"\r\nSubject: Hello\r\nMessage-ID: <fresh-1@example.org>\r\n"
                b"Date: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nHi\r\n"
            )  # fmt: skip
            dovecot.append(user, "INBOX", fresh, internal_date=box.as_of - timedelta(days=1))
        audited.clear()
        run(mailbox.args(*smtp), tmp_path, password=user.password)
        paths[step] = list(audited)
        message = smtp_server.received[-1].parse()
        assert awaiting_in_text(parts(message)["text/plain"]) == expected, step
    # The first emailing run re-dates the JSON run's snapshot; nothing new, nothing audited;
    # the new message alone (its conversation) is audited again, never the whole mailbox.
    assert paths["first"] == paths["unchanged"] == []
    assert paths["new mail"] == ["1"]
