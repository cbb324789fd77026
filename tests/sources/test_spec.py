"""SOURCE parsing: imaps:// and imap:// URLs, local paths, and the errors in between."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_audit.errors import UsageError
from inbox_audit.sources.spec import ImapTarget, LocalTarget, parse_source


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("imaps://me@mail.example.com", ImapTarget("me", "mail.example.com", 993, True)),
        ("imap://me@mail.example.com", ImapTarget("me", "mail.example.com", 143, False)),
        ("IMAPS://me@mail.example.com:1993", ImapTarget("me", "mail.example.com", 1993, True)),
        ("imap://me@127.0.0.1:10143/", ImapTarget("me", "127.0.0.1", 10143, False)),
        (
            "imaps://me%40example.com@imap.example.com",
            ImapTarget("me@example.com", "imap.example.com", 993, True),
        ),
        (
            "imaps://me@example.com@imap.example.com:994",
            ImapTarget("me@example.com", "imap.example.com", 994, True),
        ),
        ("imaps://me@[::1]", ImapTarget("me", "::1", 993, True)),
        ("imaps://me@[2001:db8::7]:9993", ImapTarget("me", "2001:db8::7", 9993, True)),
        ("imaps://j%C3%BCrgen@example.de", ImapTarget("jürgen", "example.de", 993, True)),
    ],
)
def test_imap_urls(spec: str, expected: ImapTarget) -> None:
    assert parse_source(spec) == expected


def test_display_brackets_ipv6_and_shows_port() -> None:
    assert parse_source("imaps://me@[::1]").display() == "imaps://me@[::1]:993"
    assert parse_source("imap://me@host").display() == "imap://me@host:143"


def test_existing_paths_are_local(tmp_path: Path) -> None:
    mbox = tmp_path / "mail.mbox"
    mbox.write_bytes(b"")
    assert parse_source(str(mbox)) == LocalTarget(mbox)
    assert parse_source(str(tmp_path)) == LocalTarget(tmp_path)


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("pop3://me@mail.example.com", "unsupported SOURCE scheme pop3://"),
        ("https://mail.example.com/inbox", "unsupported SOURCE scheme https://"),
        ("imaps://mail.example.com", "no user"),
        ("imaps://@mail.example.com", "no user"),
        ("imaps://me@mail.example.com:0", "invalid port"),
        ("imaps://me@mail.example.com:99999", "invalid port"),
        ("imaps://me@mail.example.com:abc", "invalid host"),
        ("imaps://me@mail.example.com/INBOX", "without path"),
        ("imaps://me@", "invalid host"),
        ("imaps:me@mail.example.com", "no '//'"),
        ("/no/such/dir/mail.mbox", "no such file or directory: /no/such/dir/mail.mbox"),
        ("", "empty"),
        ("imaps://%FF@host", "percent-encoded"),
    ],
)
def test_bad_sources(spec: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_source(spec)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "spec",
    [
        "imaps://me:Hunter2secret@mail.example.com",
        "imap://me%40example.com:Hunter2secret@mail.example.com:143",
        "imaps://me:Hunter2secret@with@at@mail.example.com",
        "pop3://me:Hunter2secret@mail.example.com",
        "me:Hunter2secret@mail.example.com",
    ],
)
def test_password_is_refused_and_never_echoed(spec: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_source(spec)
    error = caught.value
    assert "Hunter2secret" not in str(error)
    assert "Hunter2secret" not in (error.hint or "")
    assert "Hunter2secret" not in repr(error)
