"""Maildir and Maildir++: folder names, flags and dates from file names, stable uids."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from inbox_audit.core.fields import TEXT_BYTES
from inbox_audit.model import RawMessage, Unreadable
from inbox_audit.sources.local import LocalSource
from inbox_audit.sources.maildir import decode_mutf7
from tests.sources.mailfiles import (
    deny_open,
    fetch_all,
    folder_names,
    maildir,
    message,
    subject_of,
    subjects,
    write,
)

# -- Maildir ------------------------------------------------------------------------------


def test_maildir_plus_folders(maildir_plus: Path) -> None:
    with LocalSource.open(maildir_plus) as source:
        listed = source.list_folders()
        assert [f.name for f in listed] == ["INBOX", "Archives/Clients", "Drafts", "Sent"]
        assert all(f.attributes == frozenset() and f.delimiter == "/" for f in listed)
        assert source.message_count("INBOX") == 4
        assert source.message_count("Drafts") == 0
        assert subjects(fetch_all(source, "Sent")) == ["reply"]
        [archived] = fetch_all(source, "Archives/Clients")
    assert isinstance(archived, RawMessage)
    assert archived.flags == {"\\Draft", "\\Seen"}


def test_maildir_messages_flags_dates_and_uids(maildir_plus: Path) -> None:
    with LocalSource.open(maildir_plus) as source:
        items = fetch_all(source, "INBOX")
    assert all(isinstance(m, RawMessage) for m in items)
    raws = [m for m in items if isinstance(m, RawMessage)]
    assert [subject_of(m) for m in raws] == ["first", "answered", "new one", "ancient stamp"]
    assert [m.uid for m in raws] == [1, 2, 3, 4]
    assert [m.flags for m in raws] == [
        {"\\Seen"},
        {"\\Answered", "\\Seen"},
        {"\\Recent"},
        {"\\Flagged", "\\Deleted"},
    ]
    assert raws[0].internal_date == datetime.fromtimestamp(1700000000, UTC)
    assert raws[3].internal_date is None  # 1970: not plausible
    assert raws[0].header_bytes.endswith(b"\n\n")


def test_maildir_uids_survive_flag_changes(maildir_plus: Path) -> None:
    with LocalSource.open(maildir_plus) as source:
        before = [
            (m.uid, subject_of(m)) for m in fetch_all(source, "INBOX") if isinstance(m, RawMessage)
        ]
    (maildir_plus / "new" / "1700000200.M3P3.host").rename(
        maildir_plus / "cur" / "1700000200.M3P3.host:2,S"
    )
    with LocalSource.open(maildir_plus) as source:
        after = [
            (m.uid, subject_of(m)) for m in fetch_all(source, "INBOX") if isinstance(m, RawMessage)
        ]
    assert before == after


def test_maildir_bad_files_are_unreadable(tmp_path: Path) -> None:
    root = maildir(tmp_path / "box")
    write(root / "cur" / "1700000000.a:2,S", message("good"))
    write(root / "cur" / "1700000001.b:2,S", b"")
    write(root / "cur" / "1700000002.c:2,S", b"\x00\xff\xfe binary\n\n")
    write(
        root / "cur" / "1700000003.d:2,",
        "From x@y Tue Jan  2 08:00:00 2024\r\n" + message("crlf").replace("\n", "\r\n"),
    )
    with LocalSource.open(root) as source:
        items = fetch_all(source, "INBOX")
    assert [type(m).__name__ for m in items] == [
        "RawMessage",
        "Unreadable",
        "Unreadable",
        "RawMessage",
    ]
    assert subjects(items) == ["good", "crlf"]
    assert isinstance(items[1], Unreadable)
    assert "empty" in items[1].reason


def test_maildir_unreadable_file_is_reported_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = maildir(tmp_path / "box")
    write(root / "cur" / "1700000000.a:2,S", message("locked"))
    write(root / "cur" / "1700000001.b:2,S", message("fine"))
    deny_open(monkeypatch, lambda p: p.name.startswith("1700000000"))
    with LocalSource.open(root) as source:
        first, second = fetch_all(source, "INBOX")
    assert isinstance(first, Unreadable)
    assert "permission denied" in first.reason
    assert isinstance(second, RawMessage)


def test_directory_of_maildirs(tmp_path: Path) -> None:
    root = tmp_path / "mail"
    write(maildir(root / "inbox") / "cur" / "1.a:2,S", message("in"))
    write(maildir(root / "Archive") / "cur" / "2.b:2,S", message("old"))
    write(maildir(root / "Archive" / "2023") / "new" / "3.c", message("older"))
    write(maildir(root / "Clients" / "Acme") / "cur" / "4.d:2,S", message("acme"))
    with LocalSource.open(root) as source:
        assert folder_names(source) == ["Archive", "Archive/2023", "Clients/Acme", "INBOX"]
        assert subjects(fetch_all(source, "Archive/2023")) == ["older"]
        assert subjects(fetch_all(source, "Clients/Acme")) == ["acme"]


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("H&APQ-tel Beaumont", "Hôtel Beaumont"),
        ("&AMk-l&AOk-ments envoy&AOk-s", "Éléments envoyés"),
        ("A&-B", "A&B"),
        ("&ZeVnLIqe-", "日本語"),
        ("&a-", "&a-"),  # not valid modified base64: kept as written
        ("Plain", "Plain"),
    ],
)
def test_maildirpp_names_are_modified_utf7(raw: str, decoded: str) -> None:
    assert decode_mutf7(raw) == decoded


def test_a_maildir_message_keeps_the_start_of_its_body(tmp_path: Path) -> None:
    root = maildir(tmp_path / "mail")
    long_body = "Hello, I would like a quote. " * 200
    write(root / "cur" / "1700000000.1.host:2,S", message("short", body="Bonjour !\n"))
    write(root / "cur" / "1700000001.2.host:2,S", message("long", body=long_body))
    with LocalSource.open(root) as source:
        items = [m for m in fetch_all(source, "INBOX") if isinstance(m, RawMessage)]
    assert [m.text_start for m in items] == [b"Bonjour !", long_body.encode()[:TEXT_BYTES]]
