"""Tests for local_source: mbox files, Maildirs, Thunderbird and Takeout layouts, read-only."""

from __future__ import annotations

import os
import pathlib
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path

import pytest

from inbox_audit.errors import FolderNotFound, MailboxError
from inbox_audit.model import RawMessage, Unreadable
from inbox_audit.sources.local import LocalSource, _decode_mutf7

CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"


# -- builders -----------------------------------------------------------------------------


def message(subject: str, *extra: str, body: str = "Hello.\n") -> str:
    """A small message as text, LF line ends, ending with a newline."""
    headers = [
        f"From: Client {subject} <client@example.org>",
        "To: shop@example.com",
        f"Subject: {subject}",
        "Date: Tue, 02 Jan 2024 09:00:00 +0100",
        f"Message-ID: <{subject.replace(' ', '-')}@example.org>",
        *extra,
    ]
    return "\n".join(headers) + "\n\n" + body


def mbox(
    *messages: str, from_line: str = "From client@example.org Tue Jan  2 08:00:00 2024"
) -> str:
    return "".join(f"{from_line}\n{m}\n" for m in messages)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return path


def maildir(root: Path) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return root


def fetch_all(source: LocalSource, folder: str) -> list[RawMessage | Unreadable]:
    return list(source.fetch(folder))


def subjects(items: list[RawMessage | Unreadable]) -> list[str]:
    return [subject_of(m) for m in items if isinstance(m, RawMessage)]


def subject_of(raw: RawMessage) -> str:
    return str(BytesHeaderParser(policy=default_policy).parsebytes(raw.header_bytes)["Subject"])


def folder_names(source: LocalSource) -> list[str]:
    return [f.name for f in source.list_folders()]


# -- mbox files ---------------------------------------------------------------------------


def test_mbox_file_yields_headers_only_in_file_order(tmp_path: Path) -> None:
    path = write(tmp_path / "Sent.mbox", mbox(message("one"), message("two"), message("three")))
    with LocalSource.open(path) as source:
        assert folder_names(source) == ["Sent"]
        items = fetch_all(source, "Sent")
    assert subjects(items) == ["one", "two", "three"]
    assert [m.uid for m in items] == [1, 2, 3]
    first = items[0]
    assert isinstance(first, RawMessage)
    assert first.folder == "Sent"
    assert first.header_bytes.endswith(b"\n\n")
    assert b"Hello." not in first.header_bytes
    assert not first.header_bytes.startswith(b"From ")


def test_inbox_file_is_named_inbox(tmp_path: Path) -> None:
    with LocalSource.open(write(tmp_path / "Inbox", mbox(message("a")))) as source:
        assert folder_names(source) == ["INBOX"]


def test_crlf_mbox_is_normalized_to_lf(tmp_path: Path) -> None:
    text = mbox(message("one"), message("two")).replace("\n", "\r\n")
    with LocalSource.open(write(tmp_path / "crlf.mbox", text)) as source:
        items = fetch_all(source, "crlf")
    assert subjects(items) == ["one", "two"]
    for item in items:
        assert isinstance(item, RawMessage)
        assert b"\r" not in item.header_bytes


def test_escaped_and_unescaped_from_lines_in_bodies_do_not_split(tmp_path: Path) -> None:
    body = (
        "Dear shop,\n\n>From the start I liked it.\n\n"
        "From Paris with love,\nand more text.\n\n"  # unescaped, but no header follows
        ">>From quoted twice\n"
    )
    text = mbox(message("one", body=body), message("two"))
    with LocalSource.open(write(tmp_path / "rd.mbox", text)) as source:
        assert subjects(fetch_all(source, "rd")) == ["one", "two"]


def test_last_message_without_blank_line_or_newline_at_end(tmp_path: Path) -> None:
    text = mbox(message("one")) + "From x@y Tue Jan  2 08:00:00 2024\n" + message("two")
    text += "no newline at the very end"
    headers_only = "From x@y Tue Jan  2 08:00:00 2024\nSubject: three\nFrom: a@b.c"
    with LocalSource.open(write(tmp_path / "a.mbox", text)) as source:
        assert subjects(fetch_all(source, "a")) == ["one", "two"]
    with LocalSource.open(write(tmp_path / "b.mbox", headers_only)) as source:
        [item] = fetch_all(source, "b")
    assert isinstance(item, RawMessage)
    assert item.header_bytes == b"Subject: three\nFrom: a@b.c\n\n"


def test_separator_after_a_lost_blank_line(tmp_path: Path) -> None:
    # mboxcl writers rely on Content-Length and may omit the blank line before "From ".
    text = (
        "From - \n"
        + message("one", body="text\n")
        + "From - \n"
        + message("two")
        + "From - Wed Jan  3 10:00:00 2024\n"
        + message("three")
    )
    with LocalSource.open(write(tmp_path / "cl.mbox", text)) as source:
        assert subjects(fetch_all(source, "cl")) == ["one", "two", "three"]


def test_thunderbird_from_lines_and_mozilla_status(tmp_path: Path) -> None:
    text = (
        "From - Mon Jan  1 00:00:00 1965\n"
        + message("placeholder", "X-Mozilla-Status: 0003")
        + "\nFrom - Tue Jan  2 08:00:00 2024\n"
        + message("local time", "X-Mozilla-Status: 0005")
    )
    with LocalSource.open(write(tmp_path / "Inbox", text)) as source:
        first, second = fetch_all(source, "INBOX")
    assert isinstance(first, RawMessage)
    assert isinstance(second, RawMessage)
    assert first.internal_date is None  # 1965 is Thunderbird's placeholder
    assert second.internal_date is None  # no zone: local time of the writer, unusable
    assert first.flags == {"\\Seen", "\\Answered"}
    assert second.flags == {"\\Seen", "\\Flagged"}


def test_from_line_dates_with_a_zone(tmp_path: Path) -> None:
    text = (
        "From 1234567890123456789@xxx Tue Jan 01 10:00:00 +0000 2019\n"
        + message("takeout style")
        + "\nFrom someone@example.org Wed Jan  3 10:00:00 2024 +0200\n"
        + message("offset after year")
        + "\nFrom someone@example.org Wed Jan  3 10:00:00 2150 +0000\n"
        + message("implausible")
    )
    with LocalSource.open(write(tmp_path / "z.mbox", text)) as source:
        dates = [m.internal_date for m in fetch_all(source, "z") if isinstance(m, RawMessage)]
    assert dates == [
        datetime(2019, 1, 1, 10, tzinfo=UTC),
        datetime(2024, 1, 3, 8, tzinfo=UTC),
        None,
    ]


def test_status_headers_give_flags(tmp_path: Path) -> None:
    text = mbox(
        message("read answered", "Status: RO", "X-Status: AF"),
        message("new"),
        message("deleted", "Status: O", "X-Status: D"),
    )
    with LocalSource.open(write(tmp_path / "s.mbox", text)) as source:
        flags = [m.flags for m in fetch_all(source, "s") if isinstance(m, RawMessage)]
    assert flags == [{"\\Seen", "\\Answered", "\\Flagged"}, set(), {"\\Deleted"}]


def test_classic_mac_line_ends(tmp_path: Path) -> None:
    text = mbox(message("one"), message("two")).replace("\n", "\r")
    with LocalSource.open(write(tmp_path / "mac.mbox", text)) as source:
        items = fetch_all(source, "mac")
    assert subjects(items) == ["one", "two"]
    assert all(isinstance(m, RawMessage) and b"\r" not in m.header_bytes for m in items)


def test_white_space_before_the_first_message(tmp_path: Path) -> None:
    text = " " * 80 + "\n\t\n" + message("padded")
    with LocalSource.open(write(tmp_path / "padded.eml", text)) as source:
        assert subjects(fetch_all(source, "padded")) == ["padded"]


def test_bare_message_file_is_one_message(tmp_path: Path) -> None:
    with LocalSource.open(write(tmp_path / "note.eml", message("bare"))) as source:
        assert folder_names(source) == ["note"]
        [item] = fetch_all(source, "note")
    assert isinstance(item, RawMessage)
    assert item.internal_date is None
    assert subject_of(item) == "bare"


def test_zero_byte_file_is_an_empty_folder(tmp_path: Path) -> None:
    with LocalSource.open(write(tmp_path / "Trash", b"")) as source:
        assert folder_names(source) == ["Trash"]
        assert fetch_all(source, "Trash") == []
        assert source.message_count("Trash") == 0


def test_binary_junk_among_valid_messages(tmp_path: Path) -> None:
    junk = bytes(range(256)) * 40 + b"\n\x00\x00From nothing\n\xff\xfe\n"
    data = (
        mbox(message("one")).encode()
        + b"From junk@x Tue Jan  2 08:00:00 2024\n"
        + junk  # a "message" whose header section is binary junk
        + b"\n\n"
        + mbox(message("two", body="body\n" + "\x00\x01\x02" * 50 + "\n")).encode()
        + b"From ok@x Tue Jan  2 08:00:00 2024\n"
        + b"\xff" * 200_000  # one very long line with no newline, in the headers
        + b"\n\n"
        + mbox(message("three")).encode()
    )
    with LocalSource.open(write(tmp_path / "junk.mbox", data)) as source:
        items = fetch_all(source, "junk")
    assert subjects(items) == ["one", "two", "three"]
    assert [m.uid for m in items] == [1, 2, 3, 4, 5]
    assert [type(m).__name__ for m in items] == [
        "RawMessage",
        "Unreadable",
        "RawMessage",
        "Unreadable",
        "RawMessage",
    ]
    bad = items[1]
    assert isinstance(bad, Unreadable)
    assert bad.folder == "junk"
    assert "not a mail message" in bad.reason


def test_huge_header_section_is_unreadable(tmp_path: Path) -> None:
    big = "".join(f"X-Filler-{i}: {'x' * 70}\n" for i in range(20_000))
    text = mbox(message("huge", big.rstrip("\n")), message("after"))
    with LocalSource.open(write(tmp_path / "big.mbox", text)) as source:
        first, second = fetch_all(source, "big")
    assert isinstance(first, Unreadable)
    assert "1 MiB" in first.reason
    assert isinstance(second, RawMessage)


def test_leading_bom_and_blank_lines_are_tolerated(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf\n\n" + mbox(message("one"), message("two")).encode()
    with LocalSource.open(write(tmp_path / "bom.mbox", data)) as source:
        assert subjects(fetch_all(source, "bom")) == ["one", "two"]


def test_progress_is_reported_and_count_known_after_a_read(tmp_path: Path) -> None:
    path = write(tmp_path / "many.mbox", mbox(*(message(f"m{i}") for i in range(1200))))
    calls: list[tuple[str, int, int]] = []
    with LocalSource.open(path) as source:
        assert source.message_count("many") is None  # not known without reading the file
        items = list(source.fetch("many", lambda f, done, total: calls.append((f, done, total))))
        assert source.message_count("many") == 1200
    assert len(items) == 1200
    assert [done for _, done, _ in calls] == [500, 1000, 1200]
    assert calls[-1] == ("many", 1200, 1200)
    assert all(total >= done for _, done, total in calls)


# -- Gmail Takeout ------------------------------------------------------------------------


def takeout_message(subject: str, labels: str, thread: str = "1700000000000000001") -> str:
    return message(subject, f"X-GM-THRID: {thread}", f"X-Gmail-Labels: {labels}")


@pytest.fixture
def takeout(tmp_path: Path) -> Path:
    text = mbox(
        takeout_message("question", "Inbox,Opened,Category Personal"),
        takeout_message("answer", "Sent,Opened"),
        takeout_message("spam", "Spam,Unread"),
        takeout_message("client label", 'Clients/Acme,Important,"Needs, reply"'),
        takeout_message("trashed inbox", "Inbox,Trash"),
        takeout_message("only state", "Opened,Archived,Starred"),
        takeout_message("localized sent", "Envoyés,Sent,Opened"),
        takeout_message("draft", "Drafts"),
        takeout_message("second question", "Inbox,Clients/Acme"),
        takeout_message("comma label", '"Needs, reply",Opened'),
        from_line="From 1700000000000000001@xxx Tue Jan 02 08:00:00 +0000 2024",
    )
    return write(tmp_path / "All mail Including Spam and Trash.mbox", text)


def test_takeout_virtual_folders(takeout: Path) -> None:
    with LocalSource.open(takeout) as source:
        listed = {f.name: f.attributes for f in source.list_folders()}
        contents = {name: subjects(fetch_all(source, name)) for name in listed}
        counts = {name: source.message_count(name) for name in listed}
    assert listed == {
        "INBOX": frozenset(),
        "Sent": {"\\sent"},
        "Drafts": {"\\drafts"},
        "Spam": {"\\junk"},
        "Trash": {"\\trash"},
        "Archive": {"\\archive"},
        "Clients/Acme": frozenset(),
        "Needs, reply": frozenset(),
    }
    assert contents == {
        "INBOX": ["question", "second question"],
        "Sent": ["answer", "localized sent"],
        "Drafts": ["draft"],
        "Spam": ["spam"],
        "Trash": ["trashed inbox"],
        "Archive": ["only state"],
        "Clients/Acme": ["client label"],
        "Needs, reply": ["comma label"],
    }
    assert counts == {name: len(found) for name, found in contents.items()}


def test_takeout_message_metadata(takeout: Path) -> None:
    with LocalSource.open(takeout) as source:
        inbox = fetch_all(source, "INBOX")
        archive = fetch_all(source, "Archive")
    first, second = inbox
    assert isinstance(first, RawMessage)
    assert isinstance(second, RawMessage)
    assert [first.uid, second.uid] == [1, 2]
    assert first.conversation_id == "1700000000000000001"
    assert first.internal_date == datetime(2024, 1, 2, 8, tzinfo=UTC)
    assert first.flags == {"\\Seen"}
    assert second.flags == frozenset()
    [starred] = archive
    assert isinstance(starred, RawMessage)
    assert starred.flags == {"\\Seen", "\\Flagged"}


def test_takeout_inside_a_directory(takeout: Path) -> None:
    with LocalSource.open(takeout.parent) as source:
        assert "Sent" in folder_names(source)


def test_takeout_labels_folded_and_encoded(tmp_path: Path) -> None:
    text = mbox(
        message("folded", "X-Gmail-Labels: Opened,\n Sent"),
        message("encoded", "X-Gmail-Labels: =?UTF-8?Q?Clients/Soci=C3=A9t=C3=A9?="),
    )
    with LocalSource.open(write(tmp_path / "t.mbox", text)) as source:
        assert folder_names(source) == ["Sent", "Clients/Société"]


# -- Maildir ------------------------------------------------------------------------------


@pytest.fixture
def maildir_plus(tmp_path: Path) -> Path:
    root = maildir(tmp_path / "Maildir")
    write(root / "cur" / "1700000100.M2P2.host:2,RS", message("answered"))
    write(root / "cur" / "1700000000.M1P1.host:2,S", message("first"))
    write(root / "new" / "1700000200.M3P3.host", message("new one"))
    write(root / "cur" / "99.M0P0.host:2,FT", message("ancient stamp"))
    write(root / "tmp" / "1700000300.M4P4.host", message("still being delivered"))
    write(root / "dovecot-uidlist", "3 V1 N5\n")
    write(root / "subscriptions", "Sent\n")
    sent = maildir(root / ".Sent")
    write(sent / "cur" / "1700000150.M5P5.host:2,S", message("reply"))
    write(sent / "maildirfolder", "")
    clients = maildir(root / ".Archives.Clients")
    write(clients / "cur" / "1700000050.M6P6.host!2,DS", message("archived"))
    write(root / ".Archives.Clients" / "new" / ".hidden", message("ignored"))
    maildir(root / ".Drafts")
    (root / ".notmuch" / "xapian").mkdir(parents=True)
    return root


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


# -- Thunderbird directories --------------------------------------------------------------


@pytest.fixture
def thunderbird(tmp_path: Path) -> Path:
    root = tmp_path / "Local Folders"
    tb = "From - Tue Jan  2 08:00:00 2024"
    write(root / "Inbox", mbox(message("in 1"), message("in 2"), from_line=tb))
    write(root / "Inbox.msf", '// <!-- <mdb:mork:z v="1.4"/> -->\n')
    write(root / "Sent", mbox(message("sent 1"), from_line=tb))
    write(root / "Sent.msf", "")
    write(root / "Trash", b"")
    write(root / "Unsent Messages", b"")
    write(root / "msgFilterRules.dat", 'version="9"\n')
    write(root / "filterlog.html", "<html></html>")
    write(root / "Clients", mbox(message("clients"), from_line=tb))
    write(root / "Clients.sbd" / "Acme", mbox(message("acme 1"), message("acme 2")))
    write(root / "Clients.sbd" / "Acme.msf", "")
    write(root / "Clients.sbd" / "Acme.sbd" / "2023", mbox(message("acme 2023")))
    write(root / "Exported.mbox", mbox(message("exported")))
    write(root / ".hidden", mbox(message("hidden")))
    return root


def test_thunderbird_local_folders(thunderbird: Path) -> None:
    with LocalSource.open(thunderbird) as source:
        assert folder_names(source) == [
            "Clients",
            "Clients/Acme",
            "Clients/Acme/2023",
            "Exported",
            "INBOX",
            "Sent",
            "Trash",
            "Unsent Messages",
        ]
        assert subjects(fetch_all(source, "INBOX")) == ["in 1", "in 2"]
        assert subjects(fetch_all(source, "Clients/Acme")) == ["acme 1", "acme 2"]
        assert subjects(fetch_all(source, "Clients/Acme/2023")) == ["acme 2023"]
        assert fetch_all(source, "Trash") == []


def test_folder_name_collisions_get_a_suffix(tmp_path: Path) -> None:
    write(tmp_path / "d" / "Inbox", mbox(message("a")))
    write(tmp_path / "d" / "inbox.mbox", mbox(message("b")))
    with LocalSource.open(tmp_path / "d") as source:
        assert folder_names(source) == ["INBOX", "INBOX (2)"]
        assert subjects(fetch_all(source, "INBOX (2)")) == ["b"]


# -- errors -------------------------------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(MailboxError, match="no such file"):
        LocalSource.open(tmp_path / "nope")


def test_not_a_mail_store(tmp_path: Path) -> None:
    with pytest.raises(MailboxError, match="not an mbox file"):
        LocalSource.open(write(tmp_path / "photo.jpg", b"\xff\xd8\xff\xe0JFIF binary"))
    with pytest.raises(MailboxError, match="no mbox file and no Maildir"):
        LocalSource.open(write(tmp_path / "docs" / "notes.txt", "just some notes\n").parent)


def test_unknown_folder_and_closed_source(tmp_path: Path) -> None:
    source = LocalSource.open(write(tmp_path / "a.mbox", mbox(message("x"))))
    with pytest.raises(FolderNotFound, match="'Sent'"):
        source.fetch("Sent")
    source.close()
    source.close()
    with pytest.raises(MailboxError, match="closed"):
        source.list_folders()


def deny_open(monkeypatch: pytest.MonkeyPatch, denied: Callable[[Path], bool]) -> None:
    """Make Path.open raise PermissionError for some paths (tests run as root)."""
    real_open = pathlib.Path.open

    def fake_open(self: Path, *args: object, **kwargs: object) -> object:
        if denied(self):
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(pathlib.Path, "open", fake_open)


def test_permission_denied_on_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "Inbox", mbox(message("x")))
    deny_open(monkeypatch, lambda p: p == path)
    with pytest.raises(MailboxError, match="permission denied"):
        LocalSource.open(path)


def test_permission_denied_on_folder_file_in_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "d" / "Inbox.mbox", mbox(message("x")))
    locked = write(tmp_path / "d" / "Sent.mbox", mbox(message("y")))
    deny_open(monkeypatch, lambda p: p == locked)
    with LocalSource.open(tmp_path / "d") as source:
        assert folder_names(source) == ["INBOX", "Sent"]
        assert subjects(fetch_all(source, "INBOX")) == ["x"]
        with pytest.raises(MailboxError, match="permission denied"):
            fetch_all(source, "Sent")


def test_permission_denied_on_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = maildir(tmp_path / "box")
    real_scandir = os.scandir

    def fake_scandir(path: str | os.PathLike[str]) -> object:
        if Path(path) in (root, root / "cur"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", fake_scandir)
    with pytest.raises(MailboxError, match=re.escape(f"cannot list {root}: permission denied")):
        LocalSource.open(root)
    with pytest.raises(MailboxError, match=r"cannot list .*cur: permission denied"):
        LocalSource.open(root / "cur")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied_for_real(tmp_path: Path) -> None:
    path = write(tmp_path / "Inbox", mbox(message("x")))
    directory = maildir(tmp_path / "box")
    path.chmod(0)
    directory.chmod(0)
    try:
        with pytest.raises(MailboxError, match="permission denied"):
            LocalSource.open(path)
        with pytest.raises(MailboxError, match="permission denied"):
            LocalSource.open(directory)
    finally:
        path.chmod(0o600)
        directory.chmod(0o700)


# -- read-only ----------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every file and directory under root: (mtime_ns, size, mode)."""
    out: dict[str, tuple[int, int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            st = (Path(dirpath) / name).lstat()
            out[str(Path(dirpath, name).relative_to(root))] = (
                st.st_mtime_ns,
                st.st_size,
                st.st_mode,
            )
    return out


def test_nothing_is_written(
    tmp_path: Path, maildir_plus: Path, thunderbird: Path, takeout: Path
) -> None:
    single = write(tmp_path / "single" / "Sent.mbox", mbox(message("s")))
    before = snapshot(tmp_path)
    for path in (maildir_plus, thunderbird, takeout, single, tmp_path):
        with LocalSource.open(path) as source:
            for folder in source.list_folders():
                source.message_count(folder.name)
                fetch_all(source, folder.name)
    assert snapshot(tmp_path) == before


def test_abandoned_fetch_closes_its_file(tmp_path: Path) -> None:
    # filterwarnings=error turns a leaked file's ResourceWarning into a failure.
    path = write(tmp_path / "a.mbox", mbox(message("one"), message("two")))
    with LocalSource.open(path) as source:
        items: Iterator[RawMessage | Unreadable] = source.fetch("a")
        next(items)
        del items


# -- corpora ------------------------------------------------------------------------------


def corpus_targets() -> list[Path]:
    roots = [CORPORA / "notmuch" / "lkml"]
    robustness = CORPORA / "robustness"
    if robustness.is_dir():
        roots += sorted(
            p for p in robustness.rglob("*") if p.is_dir() and p.name not in {"cur", "new", "tmp"}
        )
    return roots


def read_everything(path: Path) -> tuple[int, int]:
    read = unreadable = 0
    with LocalSource.open(path) as source:
        for folder in source.list_folders():
            for item in source.fetch(folder.name):
                assert isinstance(item, RawMessage | Unreadable)
                if isinstance(item, RawMessage):
                    assert item.header_bytes.endswith(b"\n\n")
                    read += 1
                else:
                    unreadable += 1
    return read, unreadable


@pytest.mark.corpora
@pytest.mark.skipif(not CORPORA.is_dir(), reason="shared/corpora is absent")
def test_corpora_never_raise(capsys: pytest.CaptureFixture[str]) -> None:
    read = unreadable = rejected = 0
    for target in corpus_targets():
        try:
            r, u = read_everything(target)
        except MailboxError:
            # Not a mail store as a whole (a folder of single .eml files): read file by file.
            for path in sorted(p for p in target.iterdir() if p.is_file()):
                if path.name == "SOURCE.md":
                    continue
                try:
                    r, u = read_everything(path)
                except MailboxError:
                    rejected += 1  # not mail at all (size-1, size-2: a byte or two)
                    continue
                read, unreadable = read + r, unreadable + u
            continue
        read, unreadable = read + r, unreadable + u
    with capsys.disabled():
        print(
            f"\ncorpora: {read} messages read, {unreadable} unreadable, {rejected} files rejected"
        )
    assert read > 500


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
    assert _decode_mutf7(raw) == decoded
