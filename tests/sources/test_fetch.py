"""FETCH responses parsed (the fast path and the general one) and the batches pipelined, over
canned server output."""

from __future__ import annotations

import dataclasses
import imaplib
import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest

from inbox_audit.model import RawMessage, Unreadable
from inbox_audit.sources import fetch, wire
from inbox_audit.sources.fetch import Fetcher, plain_fetch
from inbox_audit.sources.wire import Inbound, Wire, read_response
from tests.sources.mailfiles import FakeConnection

PARIS = timezone(timedelta(hours=2))


def inbound(data: bytes, chunk: int = 1 << 16) -> Inbound:
    return FakeConnection(data, chunk).inbound


def parse(data: bytes) -> RawMessage | Unreadable | None:
    """What the pipeline makes of one response: the plain fast path, else the general one."""
    fast = plain_fetch(inbound(data), "INBOX")
    text, literals = read_response(inbound(data))
    match = fetch._FETCH_RESPONSE.match(text)
    assert match is not None
    general = fetch.parse_fetch("INBOX", text[match.end() :], literals)
    if fast is not None:
        assert fast == general
    return general


HEADER = b"From: a@b.example\r\n\r\n"
FIELDS = b"BODY[HEADER.FIELDS (FROM SUBJECT)]"
# What every response shape below parses to.
SEVEN = RawMessage(
    folder="INBOX",
    uid=7,
    internal_date=datetime(2026, 11, 2, 9, 30, 15, tzinfo=PARIS),
    flags=frozenset({"\\Seen"}),
    header_bytes=HEADER,
)


@pytest.mark.parametrize(
    "response",
    [
        b'* 1 FETCH (UID 7 FLAGS (\\Seen) INTERNALDATE " 2-Nov-2026 09:30:15 +0200" '
        + FIELDS
        + b" {21}\r\n"
        + HEADER
        + b")\r\n",
        # items in another order, FLAGS after the literal
        b"* 1 FETCH (" + FIELDS + b" {21}\r\n" + HEADER + b' INTERNALDATE "02-Nov-2026 '
        b'09:30:15 +0200" UID 7 FLAGS (\\Seen))\r\n',
        # extra items, lower case names, MODSEQ in parentheses
        b'* 1 fetch (modseq (12) uid 7 INTERNALDATE "02-Nov-2026 09:30:15 +0200" flags '
        b"(\\Seen) RFC822.SIZE 1234 " + FIELDS + b" {21}\r\n" + HEADER + b")\r\n",
        # a nested list (Gmail labels) sends the parser down its slow path
        b'* 1 FETCH (X-GM-LABELS ("\\\\Important" "Clients (VIP)") UID 7 FLAGS (\\Seen) '
        b'INTERNALDATE "02-Nov-2026 09:30:15 +0200" ' + FIELDS + b" {21}\r\n" + HEADER + b")\r\n",
    ],
)
def test_parse_fetch_response_shapes(response: bytes) -> None:
    raw = parse(response)
    assert raw == SEVEN


def test_parse_gmail_thread_id() -> None:
    raw = parse(
        b"* 3 FETCH (X-GM-THRID 1278455344230334865 UID 9 FLAGS () "
        + FIELDS
        + b' "" INTERNALDATE "17-Jul-1996 02:44:25 -0700")\r\n'
    )
    assert isinstance(raw, RawMessage)
    assert raw.conversation_id == "gm:1278455344230334865"
    assert raw.header_bytes == b""
    assert raw.internal_date == datetime(1996, 7, 17, 9, 44, 25, tzinfo=UTC)


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (b"* 1 FETCH (UID 7 FLAGS (\\Seen) " + FIELDS + b" NIL)\r\n", "no header section"),
        (b"* 1 FETCH (UID 7 FLAGS (\\Seen))\r\n", "no header section"),
        (b"* 1 FETCH (UID 7 FLAGS (\\Seen) ?garbage? " + FIELDS + b" NIL)\r\n", "unreadable"),
        (b'* 1 FETCH (UID 7 INTERNALDATE "never)\r\n', "unreadable"),
    ],
)
def test_unreadable_responses(response: bytes, reason: str) -> None:
    item = parse(response)
    assert isinstance(item, Unreadable)
    assert (item.folder, item.uid) == ("INBOX", 7)
    assert reason in item.reason


def test_response_without_uid_is_ignored() -> None:
    assert parse(b"* 4 FETCH (FLAGS (\\Seen))\r\n") is None


def test_bad_internal_date_leaves_it_unknown() -> None:
    raw = parse(
        b'* 1 FETCH (UID 7 INTERNALDATE "31-Feb-2026 09:30:15 +0200" ' + FIELDS + b' "")\r\n'
    )
    assert isinstance(raw, RawMessage)
    assert raw.internal_date is None


def reference_internal_date(
    day: str, month: str, year: str, time: str, zone: str
) -> datetime | None:
    """INTERNALDATE as RFC 3501 §9 date-time means it, built field by field."""
    months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    hours, minutes = int(zone[1:3]), int(zone[3:5])
    if month.lower() not in months or hours > 23 or minutes > 59:
        return None
    offset = timedelta(hours=hours, minutes=minutes)
    hour, minute, second = (int(part) for part in time.split(":"))
    try:
        return datetime(
            int(year),
            months.index(month.lower()) + 1,
            int(day),
            hour,
            minute,
            second,
            tzinfo=timezone(-offset if zone[0] == "-" else offset),
        )
    except ValueError:
        return None


def test_internal_dates_odd_and_impossible() -> None:
    # _date reads the date through an ISO 8601 string: it must mean what the fields say,
    # and refuse what the constructor refuses.
    for day, month, year, time, zone in itertools.product(
        ["0", "1", "01", "29", "30", "31", "32"],
        ["Jan", "feb", "FEB", "Jul", "Dec", "Xyz"],
        ["0000", "0001", "1996", "2000", "2100", "9999"],
        ["00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60"],
        ["+0000", "-0000", "+0530", "-0700", "+2359", "+2400", "-0060"],
    ):
        text = f"{day}-{month}-{year} {time} {zone}"
        parsed = fetch.internal_date(text.encode())
        expected = reference_internal_date(day, month, year, time, zone)
        assert parsed == expected, text
        assert parsed is None or parsed.utcoffset() == expected.utcoffset(), text  # type: ignore[union-attr]


# --- the wire reader: the plain fast path, buffer edges, what is left to imaplib ---------------


def plain(
    uid: int,
    header: bytes,
    flags: bytes = b"\\Seen",
    date: bytes = b"02-Nov-2026",
    text: bytes | None = None,
) -> bytes:
    """A FETCH response shaped as Dovecot sends it for our items (`text` None: without the
    body's start, as a server that ignores the partial fetch would)."""
    body = b"" if text is None else fetch.TEXT_ECHO + b"{%d}\r\n%s" % (len(text), text)
    return b'* %d FETCH (UID %d FLAGS (%s) INTERNALDATE "%s 09:30:15 +0200" %s%d}\r\n%s%s)\r\n' % (
        uid,
        uid,
        flags,
        date,
        fetch.HEADER_ECHO,
        len(header),
        header,
        body,
    )


def test_plain_response_takes_the_fast_path() -> None:
    reader = inbound(plain(7, HEADER) + b"IA1 OK done\r\n")
    fast = plain_fetch(reader, "INBOX")
    assert fast == parse(plain(7, HEADER))
    assert fast == SEVEN
    assert plain_fetch(reader, "INBOX") is None  # the tagged reply is left for the caller
    assert reader.readline() == b"IA1 OK done\r\n"


@pytest.mark.parametrize(
    "response",
    [
        plain(7, HEADER, flags=b""),
        plain(7, HEADER, date=b" 2-Nov-2026"),
        plain(7, b""),
        plain(7, b"Subject: {5}\r\n)\r\n* 8 FETCH (UID 8)\r\n\r\n"),  # IMAP inside the literal
        plain(7, HEADER, date=b"31-Feb-2026"),  # a date that does not exist: None
        plain(7, HEADER, date=b"02-nov-2026"),
        # not the plain shape: the fast path declines and the general one reads it
        plain(7, HEADER, date=b"02-Nov-2026 ").replace(b"+0200", b"+0200 x"),
        plain(7, HEADER, flags=b'"\\Seen"'),
        plain(7, HEADER).replace(b")\r\n", b" RFC822.SIZE 44)\r\n"),
        plain(7, HEADER).replace(b"FROM SENDER", b"FROM  SENDER"),
        plain(7, HEADER).replace(b"FETCH", b"fetch"),
        plain(7, HEADER, text=b"Bonjour,\r\nje voudrais"),
        plain(7, HEADER, text=b""),
        plain(7, HEADER, text=b"x)\r\n* 8 FETCH (UID 8 BODY[TEXT]<0> {3}\r\n"),
        plain(7, HEADER, text=b"hello").replace(b"{5}\r\nhello", b'"hello"'),
        plain(7, HEADER, text=b"").replace(b"{0}\r\n", b'""'),
        plain(7, HEADER, text=b"").replace(b"{0}\r\n", b"NIL"),
    ],
)
def test_fast_and_general_paths_agree(response: bytes) -> None:
    raw = parse(response)  # asserts that both agree when the fast path reads it
    assert isinstance(raw, RawMessage)
    assert raw.uid == 7


def test_the_body_start_comes_with_the_header_on_the_fast_path() -> None:
    # BODY.PEEK[TEXT]<0.2048> is named back "BODY[TEXT]<0>" (RFC 3501 §7.4.2).
    body = b"Bonjour,\r\nje voudrais r\xc3\xa9server"
    reader = inbound(plain(7, HEADER, text=body) + b"IA1 OK done\r\n")
    fast = plain_fetch(reader, "INBOX")
    assert fast == dataclasses.replace(SEVEN, text_start=body)
    assert reader.readline() == b"IA1 OK done\r\n"
    assert "BODY.PEEK[TEXT]<0.2048>" in fetch._ITEMS  # a PEEK: \\Seen is never set


def test_fast_path_declines_without_consuming() -> None:
    response = plain(7, HEADER).replace(b")\r\n", b" RFC822.SIZE 44)\r\n")
    reader = inbound(response)
    assert plain_fetch(reader, "INBOX") is None
    text, literals = read_response(reader)
    assert text.startswith(b"* 7 FETCH (UID 7 ")
    assert literals == [HEADER]


def fetch_all(
    server: bytes, uids: list[int], monkeypatch: pytest.MonkeyPatch, chunk: int
) -> tuple[list[RawMessage | Unreadable], FakeConnection]:
    """Run the pipeline against canned server output; tags are IA1, IA2..."""
    monkeypatch.setattr(wire, "_tags", itertools.count(1))
    connection = FakeConnection(server, chunk)
    fetcher = Fetcher(Wire(connection), "INBOX", False)
    return [item for batch in fetcher.batches(uids) for item in batch], connection


@pytest.mark.parametrize("chunk", [1, 7, 100, 1 << 16])
def test_pipeline_across_buffer_edges_leaves_the_rest_to_imaplib(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(fetch, "BATCH_SIZE", 4)
    headers = [b"Subject: %d\r\n" % n * (n * 37 % 700) + b"\r\n" for n in range(1, 11)]
    server = b""
    for tag, start in enumerate(range(0, 10, 4), 1):
        for n in range(start + 1, min(start + 5, 11)):
            response = plain(n, headers[n - 1])
            if n == 3:  # a response only the general parser reads, in the middle
                response = response.replace(b")\r\n", b" RFC822.SIZE 12)\r\n")
            server += response
        server += b"* 11 EXISTS\r\nIA%d OK done\r\n" % tag
    unsolicited = b"* 12 EXISTS\r\n* BYE going away\r\n"
    items, connection = fetch_all(server + unsolicited, list(range(1, 11)), monkeypatch, chunk)
    assert [item.uid for item in items] == list(range(1, 11))
    assert [item.header_bytes for item in items if isinstance(item, RawMessage)] == headers
    assert all(item == parse(plain(item.uid, headers[item.uid - 1])) for item in items)
    # Three commands: the first two in one write, the third once the first was read.
    assert [data.count(b"\r\n") for data in connection.sent] == [2, 1]
    # Whatever the server sent after our last reply is still there for imaplib to read.
    assert connection.unread() == unsolicited


@pytest.mark.parametrize(
    "server",
    [
        plain(1, HEADER)[:-20],  # cut inside the literal
        plain(1, HEADER)[:60],  # cut inside the first line
        b"",
    ],
)
def test_connection_closed_midway_is_an_abort(
    server: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(imaplib.IMAP4.abort, match="closed the connection"):
        fetch_all(server, [1], monkeypatch, 1 << 16)


def test_overlong_line_is_refused_as_imaplib_does(monkeypatch: pytest.MonkeyPatch) -> None:
    server = b"* 1 FETCH (UID 1 X " + b"x" * 1_000_001 + b")\r\nIA1 OK done\r\n"
    with pytest.raises(imaplib.IMAP4.error, match="got more than 1000000 bytes"):
        fetch_all(server, [1], monkeypatch, 1 << 16)


def test_flag_sets_are_shared() -> None:
    first, second = parse(plain(1, HEADER)), parse(plain(2, HEADER))
    fast = [plain_fetch(inbound(plain(n, HEADER)), "INBOX") for n in (1, 2)]
    assert first == fast[0] and second == fast[1]
    assert fast[0] is not None and fast[1] is not None
    assert fast[0].flags is fast[1].flags


@pytest.mark.parametrize(
    ("uids", "text"),
    [([1], "1"), ([1, 2, 3, 7], "1:3,7"), ([4, 6, 7, 8, 10], "4,6:8,10"), ([5, 6], "5:6")],
)
def test_sequence_set(uids: list[int], text: str) -> None:
    assert fetch.sequence_set(uids) == text


def test_batches_keep_command_lines_short(monkeypatch: pytest.MonkeyPatch) -> None:
    scattered = list(range(1, 200_000, 2))  # no two UIDs adjacent: the longest sets
    batches = list(fetch._batches(scattered))
    assert [uid for batch in batches for uid in batch] == scattered
    assert all(len(fetch.sequence_set(b)) <= 7000 for b in batches)
    assert all(len(b) <= fetch.BATCH_SIZE for b in batches)
    assert len(list(fetch._batches(list(range(1, 10_001))))) == 5
