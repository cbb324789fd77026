"""The summary and failure emails: our headers only, configured addresses checked, both parts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default

import pytest

from inbox_audit.errors import ConfigError
from inbox_audit.model import HoldingReply, Status
from inbox_audit.outputs.digest import build_email, build_failure_email
from inbox_audit.outputs.digest_text import headline
from tests.builders import PARIS
from tests.outputs.digest_reports import (
    AS_OF,
    HOSTILE_NAME,
    MARIE,
    SENDER,
    TO,
    full_report,
    mailto_fields,
    make_report,
    make_result,
    parse_html,
    parts,
)


def test_email_is_one_multipart_alternative_with_our_headers_only() -> None:
    report = full_report()
    message = build_email(report, to=TO, sender=SENDER, tz=PARIS)
    parsed = message_from_bytes(message.as_bytes(), policy=default)
    assert parsed["Subject"] == "inbox-audit: " + headline(report, PARIS)
    assert parsed["To"] == TO
    assert parsed["From"] == SENDER
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Message-ID"].endswith("@shop.example>")
    date = parsed["Date"].datetime
    assert date == AS_OF and date.utcoffset() == timedelta(hours=1)
    assert set(parsed.keys()) == {
        "Subject",
        "From",
        "To",
        "Date",
        "Message-ID",
        "Auto-Submitted",
        "X-Auto-Response-Suppress",
        "MIME-Version",
        "Content-Type",
    }
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    # RFC 5322 §2.1.1: no line over 998 characters, whatever the content.
    assert max(len(line) for line in message.as_bytes().split(b"\r\n")) <= 998


def test_hostile_subject_and_names_are_escaped_and_add_no_header() -> None:
    message = build_email(full_report(), to=TO, sender=SENDER, tz=PARIS)
    raw = message.as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"victim" not in head and b"Bcc" not in head
    text, html_text = parts(message)
    assert "<script" not in html_text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Bcc: victim@example.com" in html_text
    assert "Evil &quot;Boss&quot; &amp; Co" in html_text
    assert HOSTILE_NAME not in html_text
    # In the text part the subject stays on one line: nothing looks like a header.
    assert not any(line.startswith("Bcc:") for line in text.splitlines())
    assert "Subject: <script>alert(1)</script> Bcc: victim@example.com" in text


@pytest.mark.parametrize(
    ("to", "sender"),
    [
        ("owner@shop.example\r\nBcc: victim@example.com", SENDER),
        ("not an address", SENDER),
        (TO, "a@x.example, b@x.example"),
    ],
)
def test_bad_configured_addresses_are_config_errors(to: str, sender: str) -> None:
    with pytest.raises(ConfigError):
        build_email(make_report([]), to=to, sender=sender, tz=PARIS)


def test_several_recipients_are_allowed() -> None:
    message = build_email(make_report([]), to="a@x.example, b@x.example", sender=SENDER, tz=UTC)
    assert message["To"] == "a@x.example, b@x.example"


def test_failure_email() -> None:
    now = datetime(2026, 11, 5, 7, 0, tzinfo=PARIS)
    message = build_failure_email(
        error="login refused for shop@imap.example.com\r\nBcc: victim@example.com",
        hint="check INBOX_AUDIT_PASSWORD",
        source="imaps://shop@imap.example.com",
        to=TO,
        sender=SENDER,
        now=now,
    )
    parsed = message_from_bytes(message.as_bytes(), policy=default)
    assert parsed["Subject"] == (
        "inbox-audit: could not audit imaps://shop@imap.example.com: "
        "login refused for shop@imap.example.com Bcc: victim@example.com"
    )
    assert "Bcc" not in parsed
    text, html_text = parts(message)
    assert text.startswith("inbox-audit could not audit imaps://shop@imap.example.com: login")
    assert "- check INBOX_AUDIT_PASSWORD" in text
    assert "When: Thu 5 Nov 07:00 CET" in text
    assert "<li>check INBOX_AUDIT_PASSWORD</li>" in html_text
    parse_html(html_text)


def test_holding_reply_with_line_breaks_in_its_subject() -> None:
    hostile = HoldingReply(
        to=MARIE.email,
        subject="Re: a\r\nBcc: victim@example.com",
        body="Bonjour,\n\n<b>Merci</b>",
        language="fr",
        promised_by=AS_OF,
    )
    base = make_report([make_result(MARIE, "x", 30, Status.OVERDUE)])
    thread = dataclasses.replace(base.threads[0], holding_reply=hostile)
    report = dataclasses.replace(base, threads=(thread,))
    text, html_text = parts(build_email(report, to=TO, sender=SENDER, tz=PARIS))
    assert "Suggested holding reply — Subject: Re: a Bcc: victim@example.com" in text
    assert "Re: a Bcc: victim@example.com" in html_text
    assert "&lt;b&gt;Merci&lt;/b&gt;" in html_text
    (href,) = parse_html(html_text).hrefs
    assert mailto_fields(href) == (
        MARIE.email,
        "Re: a Bcc: victim@example.com",
        "Bonjour,\r\n\r\n<b>Merci</b>",
    )


def test_undecodable_bytes_in_mail_never_stop_the_email() -> None:
    # A header's bytes that no charset decodes arrive as lone surrogates: the email is still
    # built, each one shown as U+FFFD in both parts.
    from tests.outputs.reports import awkward_report

    message = build_email(awkward_report(), to=TO, sender=SENDER, tz=PARIS)
    parsed = message_from_bytes(message.as_bytes(), policy=default)
    parts = [part.get_content() for part in parsed.walk() if not part.is_multipart()]
    assert len(parts) == 2
    for body in parts:
        assert "\ufffd" in body
        assert "\udc80" not in body
