"""An audit that cannot be right says so: no address of the owner known, an empty source."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from inbox_audit.app.cli import app
from inbox_audit.errors import ExitCode
from tests.dovecot import Appended, DovecotServer

AS_OF = "2026-11-20T09:00:00+01:00"
CUSTOMER_MAIL = (
    "From: Jeanne Martin <jeanne.martin@orange.fr>\r\n"
    "To: contact@atelier-lumiere.fr\r\n"
    "Subject: Atelier découverte samedi ?\r\n"
    "Date: Mon, 16 Nov 2026 10:00:00 +0100\r\n"
    "Message-ID: <q1@orange.fr>\r\n"
    "\r\n"
    "Bonjour, reste-t-il une place samedi ?\r\n"
)


def audit(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["audit", *args, "--as-of", AS_OF], env=env or {})
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stdout, result.stderr


def lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def mbox(path: Path, *messages: str) -> Path:
    path.write_bytes(
        b"".join(
            b"From jeanne Mon Nov 16 09:00:00 2026\n" + m.replace("\r\n", "\n").encode() + b"\n"
            for m in messages
        )
    )
    return path


def test_no_address_known_refuses_with_how_to_give_one(tmp_path: Path) -> None:
    # A local mbox with no Sent folder and no --me: every message would look unanswered.
    code, stdout, stderr = audit(str(mbox(tmp_path / "inbox.mbox", CUSTOMER_MAIL)))
    assert code == ExitCode.CONFIG
    assert stdout == ""
    error, hint = lines(stderr)
    assert error.startswith("inbox-audit: error: none of your addresses is known")
    assert "--me ADDRESS" in hint and "me = [...]" in hint
    # Given one, the same mailbox is audited.
    code, stdout, _ = audit(str(tmp_path / "inbox.mbox"), "--me", "contact@atelier-lumiere.fr")
    assert code == ExitCode.OVERDUE_FOUND
    assert "Atelier découverte samedi" in stdout


def test_the_address_in_the_config_file_is_enough(tmp_path: Path) -> None:
    source = mbox(tmp_path / "inbox.mbox", CUSTOMER_MAIL)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[accounts.shop]\nsource = "{source}"\nme = ["contact@atelier-lumiere.fr"]\n',
        encoding="utf-8",
    )
    code, _, stderr = audit("--config", str(config), "--format", "summary")
    assert code == ExitCode.OVERDUE_FOUND, stderr


def test_an_empty_source_says_it_read_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mbox"
    empty.write_bytes(b"")
    code, _, stderr = audit(str(empty), "--me", "contact@atelier-lumiere.fr", "--quiet")
    assert code == ExitCode.OK
    assert lines(stderr) == [f"inbox-audit: warning: read 0 messages from {empty}"]
    # With no address either: both are said, and the audit refuses.
    code, stdout, stderr = audit(str(empty))
    assert code == ExitCode.CONFIG
    assert stdout == ""
    assert f"read 0 messages from {empty}" in lines(stderr)[0]
    assert "none of your addresses is known" in lines(stderr)[1]


def test_a_source_of_unreadable_messages_says_so(tmp_path: Path) -> None:
    # Messages without any header (a body pasted after "From " lines).
    source = tmp_path / "broken.mbox"
    source.write_bytes(b"From a Mon Nov 16 09:00:00 2026\n\nno header\n")
    code, _, stderr = audit(str(source), "--me", "contact@atelier-lumiere.fr", "--quiet")
    assert code == ExitCode.OK
    assert f"read 0 messages from {source} (1 could not be read)" in stderr


# --- Against the real server ------------------------------------------------------------------


def imap_audit(
    dovecot: DovecotServer, name: str, mail: list[bytes], *args: str
) -> tuple[int, str, str]:
    user = dovecot.add_user(dovecot.unique_name(name), "pw-Refuse-3!", "plain")
    if mail:
        dovecot.append_many(user, "INBOX", [Appended(m) for m in mail])
    source = dovecot.url(user)
    options = ("--ca-file", str(dovecot.ca_file), "--no-cache")
    return audit(source, *options, *args, env={"INBOX_AUDIT_PASSWORD": user.password})


def test_imap_mailbox_with_nothing_in_sent_and_no_me_refuses(dovecot: DovecotServer) -> None:
    code, stdout, stderr = imap_audit(dovecot, "nosent", [CUSTOMER_MAIL.encode()])
    assert code == ExitCode.CONFIG
    assert stdout == ""
    assert "none of your addresses is known" in lines(stderr)[0]
    assert "--me ADDRESS" in stderr


def test_empty_imap_mailbox_says_it_read_nothing(dovecot: DovecotServer) -> None:
    code, _, stderr = imap_audit(dovecot, "empty", [], "--me", "contact@atelier-lumiere.fr", "-q")
    assert code == ExitCode.OK
    (line,) = lines(stderr)
    assert line.startswith("inbox-audit: warning: read 0 messages from imaps://empty")


def test_stats_refuse_too(tmp_path: Path) -> None:
    source = mbox(tmp_path / "inbox.mbox", CUSTOMER_MAIL)
    result = CliRunner().invoke(app, ["stats", str(source), "--until", AS_OF], env={})
    assert result.exit_code == ExitCode.CONFIG
    assert "none of your addresses is known" in result.stderr
