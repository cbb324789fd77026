"""mbox files: From_ lines with and without blank lines, line ends, dates, flags, junk."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from inbox_audit.core.fields import TEXT_BYTES
from inbox_audit.model import RawMessage, Unreadable
from inbox_audit.sources.local import LocalSource
from inbox_audit.sources.mbox import looks_like_mail, opens_with_from
from tests.sources.mailfiles import (
    fetch_all,
    folder_names,
    mbox,
    message,
    subject_of,
    subjects,
    write,
)

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


@pytest.mark.parametrize(
    ("head", "mail", "mbox_file"),
    [
        (b"From x@y Tue Jan  2 08:00:00 2024\nSubject: a\n", True, True),
        (b"\xef\xbb\xbf\n\r\n  From - Tue Jan  2 08:00:00 2024\n", True, True),
        (b"Subject: a bare message\n\nbody\n", True, False),
        (b"Received : from a\n", True, False),  # white space before the colon (RFC 5322 4.5)
        (b"\xff\xd8\xff\xe0JFIF binary", False, False),
        (b"just some notes\n", False, False),
    ],
)
def test_what_a_file_starts_with(head: bytes, mail: bool, mbox_file: bool) -> None:
    assert looks_like_mail(head) is mail
    assert opens_with_from(head) is mbox_file


def test_each_message_keeps_the_start_of_its_own_body(tmp_path: Path) -> None:
    # As IMAP's BODY.PEEK[TEXT]<0.2048>: the body's first TEXT_BYTES, never the next message.
    long_body = "Bonjour, je voudrais réserver. " * 200
    path = write(
        tmp_path / "INBOX.mbox",
        mbox(
            message("one", body="Bonjour,\nje voudrais un devis.\n"),
            message("two", body=long_body),
            message("three", body=""),
            message("four", body="From the start, a body line.\n"),
        ),
    )
    with LocalSource.open(path) as source:
        items = [m for m in fetch_all(source, "INBOX") if isinstance(m, RawMessage)]
    assert subjects(list(items)) == ["one", "two", "three", "four"]
    assert items[0].text_start == b"Bonjour,\nje voudrais un devis.\n"
    assert items[1].text_start == long_body.encode()[:TEXT_BYTES]
    assert items[2].text_start == b""
    assert b"Subject" not in items[2].text_start
    assert items[3].text_start.endswith(b"a body line.\n")
