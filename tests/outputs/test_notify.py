"""Sending the owner's email through a real SMTP server (aiosmtpd), and keeping it when it fails."""

from __future__ import annotations

import stat
from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from inbox_audit.errors import ConfigError, ExitCode, UsageError
from inbox_audit.outputs.digest import build_email
from inbox_audit.outputs.digest_text import headline
from inbox_audit.outputs.notify import (
    NotifyError,
    SmtpTarget,
    parse_smtp_url,
    save_undelivered,
    send_email,
)
from tests.builders import PARIS
from tests.outputs.digest_reports import full_report
from tests.smtpd import SmtpServer, free_port, make_smtp_server, smtp_server

# Fixtures used by name in this module's tests.
__all__ = ["make_smtp_server", "smtp_server"]

TO = "owner@shop.example"
SENDER = "audit@shop.example"
USER = "shop@example.com"
PASSWORD = "s3cret-p4ss word"
MakeServer = Callable[..., SmtpServer]


def report_email() -> EmailMessage:
    return build_email(full_report(), to=TO, sender=SENDER, tz=PARIS)


def assert_no_password(error: BaseException) -> None:
    """Neither the error, its hint, nor anything chained to it shows the password."""
    seen: BaseException | None = error
    while seen is not None:
        for text in (str(seen), repr(seen), str(getattr(seen, "hint", "")), repr(seen.args)):
            assert PASSWORD not in text
        seen = seen.__cause__ or seen.__context__


# --- parse_smtp_url -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://localhost", SmtpTarget("localhost", 25, False, None)),
        ("smtp://shop@mail.example.com", SmtpTarget("mail.example.com", 587, False, "shop")),
        ("smtp://mail.example.com:2525", SmtpTarget("mail.example.com", 2525, False, None)),
        ("smtps://shop@mail.example.com", SmtpTarget("mail.example.com", 465, True, "shop")),
        (
            "SMTPS://shop@example.com@Mail.Example.com:10465",
            SmtpTarget("mail.example.com", 10465, True, "shop@example.com"),
        ),
        (
            "smtp://shop%40example.com@[::1]:25",
            SmtpTarget("::1", 25, False, "shop@example.com"),
        ),
    ],
)
def test_parse_smtp_url(url: str, expected: SmtpTarget) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "imap://shop@mail.example.com",
        "mail.example.com",
        "smtp://",
        "smtp://mail.example.com:port",
        "smtp://mail.example.com/path",
        "smtp://mail.example.com?x=1",
    ],
)
def test_parse_smtp_url_rejects(url: str) -> None:
    with pytest.raises(UsageError):
        parse_smtp_url(url)


def test_password_in_url_is_refused_without_echo() -> None:
    with pytest.raises(UsageError) as caught:
        parse_smtp_url(f"smtps://{USER}:{PASSWORD}@mail.example.com")
    assert "password" in str(caught.value)
    assert_no_password(caught.value)


def test_target_repr_and_display_hide_the_password() -> None:
    target = SmtpTarget("mail.example.com", 465, True, USER, PASSWORD)
    assert PASSWORD not in repr(target)
    assert PASSWORD not in target.display()
    assert target.display() == "smtps://shop@example.com@mail.example.com:465"


# --- Sending --------------------------------------------------------------------------------


def test_sends_to_a_plain_local_relay(smtp_server: SmtpServer) -> None:
    send_email(report_email(), smtp_server.target())
    (received,) = smtp_server.received
    assert received.mail_from == SENDER
    assert received.rcpt_tos == (TO,)
    message = received.parse()
    assert message["Subject"] == "inbox-audit: " + headline(full_report(), PARIS)
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    text = message.get_body(("plain",))
    assert text is not None and "Marie Dupont <marie.dupont@orange.fr>" in text.get_content()


def test_login_over_starttls(make_smtp_server: MakeServer) -> None:
    server = make_smtp_server(users={USER: PASSWORD}, starttls=True)
    send_email(report_email(), server.target(USER, PASSWORD), ca_file=server.ca_file)
    assert server.logins == [USER]
    assert len(server.received) == 1


def test_starttls_certificate_is_verified(make_smtp_server: MakeServer) -> None:
    server = make_smtp_server(users={USER: PASSWORD}, starttls=True)
    with pytest.raises(NotifyError) as caught:
        send_email(report_email(), server.target(USER, PASSWORD))  # self-signed, no ca_file
    assert "certificate of 127.0.0.1 could not be verified" in str(caught.value)
    assert server.received == [] and server.logins == []
    assert_no_password(caught.value)


def test_starttls_is_used_when_offered_even_without_login(make_smtp_server: MakeServer) -> None:
    server = make_smtp_server(starttls=True, require_starttls=True)
    send_email(report_email(), server.target(), ca_file=server.ca_file)
    assert len(server.received) == 1


def test_implicit_tls(make_smtp_server: MakeServer) -> None:
    server = make_smtp_server(users={USER: PASSWORD}, implicit_tls=True)
    send_email(report_email(), server.target(USER, PASSWORD), ca_file=server.ca_file)
    assert server.logins == [USER]
    assert len(server.messages) == 1


def test_no_password_over_plain_text(make_smtp_server: MakeServer) -> None:
    server = make_smtp_server(users={USER: PASSWORD})
    with pytest.raises(NotifyError) as caught:
        send_email(report_email(), server.target(USER, PASSWORD))
    assert "does not offer STARTTLS" in str(caught.value)
    assert server.logins == [] and server.received == []
    assert_no_password(caught.value)


def test_plain_text_login_when_allowed(make_smtp_server: MakeServer) -> None:
    server = make_smtp_server(users={USER: PASSWORD})
    send_email(report_email(), server.target(USER, PASSWORD), allow_plaintext_login=True)
    assert server.logins == [USER]
    assert len(server.received) == 1


def test_wrong_password(make_smtp_server: MakeServer) -> None:
    server = make_smtp_server(users={USER: "another one"}, starttls=True)
    with pytest.raises(NotifyError) as caught:
        send_email(report_email(), server.target(USER, PASSWORD), ca_file=server.ca_file)
    message = str(caught.value)
    assert message.startswith(f"127.0.0.1 refused the SMTP login for {USER} (535")
    assert "\n" not in message
    assert caught.value.exit_code is ExitCode.NOT_DELIVERED
    assert_no_password(caught.value)
    assert server.received == []


def test_connection_refused_is_one_line() -> None:
    port = free_port()
    target = SmtpTarget("127.0.0.1", port, False, USER, PASSWORD)
    with pytest.raises(NotifyError) as caught:
        send_email(report_email(), target, timeout=5)
    assert str(caught.value) == f"127.0.0.1:{port} refused the connection"
    assert caught.value.hint
    assert_no_password(caught.value)


def test_bad_ca_file_is_a_config_error(smtp_server: SmtpServer, tmp_path: Path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate")
    with pytest.raises(ConfigError, match="cannot use CA file"):
        send_email(report_email(), smtp_server.target(), ca_file=bogus)
    assert smtp_server.received == []


def test_login_without_password_is_a_config_error(smtp_server: SmtpServer) -> None:
    with pytest.raises(ConfigError, match=r"no SMTP password for shop@example\.com"):
        send_email(report_email(), smtp_server.target(USER, ""))


def test_refused_recipient(make_smtp_server: MakeServer) -> None:
    server = make_smtp_server(refuse_recipients=True)
    with pytest.raises(NotifyError) as caught:
        send_email(report_email(), server.target())
    assert str(caught.value) == (
        f"127.0.0.1:{server.port} refused the recipient {TO} (550 no such user here)"
    )


# --- Saving ---------------------------------------------------------------------------------


def test_save_undelivered(tmp_path: Path) -> None:
    now = datetime(2026, 11, 5, 9, 0, 7, tzinfo=UTC)
    email = report_email()
    path = save_undelivered(email, tmp_path / "state", now)
    assert path == tmp_path / "state" / "undelivered" / "report-20261105T090007Z.eml"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    parsed = message_from_bytes(path.read_bytes(), policy=default)
    assert parsed["Subject"] == email["Subject"]
    assert parsed["Message-ID"] == email["Message-ID"]
    assert parsed.get_content_type() == "multipart/alternative"
    html = parsed.get_body(("html",))
    assert html is not None and "Send this holding reply" in html.get_content()
    # A second report in the same second does not overwrite the first.
    again = save_undelivered(email, tmp_path / "state", now)
    assert again.name == "report-20261105T090007Z-1.eml"
    assert path.read_bytes() == again.read_bytes()


def test_save_undelivered_failure_is_a_notify_error(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(NotifyError) as caught:
        save_undelivered(report_email(), blocker, datetime(2026, 11, 5, tzinfo=UTC))
    assert "could not save the undelivered report" in str(caught.value)
