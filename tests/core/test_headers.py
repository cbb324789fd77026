"""Tests for headers: RawMessage → Message, on unit cases and golden files of odd headers."""

from __future__ import annotations

import base64
import json
import os
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from inbox_audit.core import addresses, headers
from inbox_audit.core.fields import HEADER_FIELDS
from inbox_audit.core.headers import UnparsableMessage, parse_message
from inbox_audit.model import Address, Message, RawMessage
from tests.builders import utc

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "headers"


def raw(data: bytes | str, **overrides: Any) -> RawMessage:
    header_bytes = data.encode() if isinstance(data, str) else data
    fields: dict[str, Any] = {
        "folder": "INBOX",
        "uid": 7,
        "internal_date": None,
        "flags": frozenset(),
        "header_bytes": header_bytes,
    }
    fields.update(overrides)
    return RawMessage(**fields)


def parse(data: bytes | str, **overrides: Any) -> Message:
    return parse_message(raw(data, **overrides))


# ----------------------------------------------------------------------------- golden files


def as_json(message: Message) -> dict[str, Any]:
    """Every parsed field, in a stable JSON shape (datetimes as ISO 8601 UTC)."""

    def address(value: Address | None) -> list[str] | None:
        return None if value is None else [value.email, value.name]

    def when(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "message_id": message.message_id,
        "in_reply_to": list(message.in_reply_to),
        "references": list(message.references),
        "from": address(message.from_),
        "reply_to": [address(a) for a in message.reply_to],
        "to": [address(a) for a in message.to],
        "cc": [address(a) for a in message.cc],
        "subject": message.subject,
        "date": when(message.date),
        "received_at": when(message.received_at),
        "conversation_id": message.conversation_id,
        "auto_headers": [list(pair) for pair in message.auto_headers],
        "language_hints": list(message.language_hints),
    }


GOLDEN_FILES = sorted(GOLDEN.glob("*.eml"))


def test_golden_files_exist() -> None:
    assert len(GOLDEN_FILES) >= 20


@pytest.mark.parametrize("eml", GOLDEN_FILES, ids=[p.stem for p in GOLDEN_FILES])
def test_golden(eml: Path) -> None:
    """Parse each sample and compare with its reviewed JSON (UPDATE_GOLDEN=1 rewrites)."""
    actual = as_json(parse(eml.read_bytes()))
    expected_path = eml.with_suffix(".json")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        text = json.dumps(actual, indent=2, ensure_ascii=False) + "\n"
        expected_path.write_text(text, encoding="utf-8")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert actual == expected


# ------------------------------------------------------------------------------- contract


def test_header_fields_cover_every_field_read() -> None:
    fetched = {name.lower() for name in HEADER_FIELDS}
    assert fetched >= headers.AUTO_HEADERS
    assert {"from", "to", "cc", "reply-to", "subject", "date", "message-id"} <= fetched
    assert {"in-reply-to", "references", "thread-index"} <= fetched
    assert "received" not in fetched  # big and useless over IMAP: INTERNALDATE is better


def test_metadata_passes_through() -> None:
    arrived = datetime(2024, 5, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    message = parse(
        "From: a@example.com\n\n",
        folder="Clients/Dupont",
        uid=42,
        internal_date=arrived,
        flags=frozenset({"\\Seen"}),
        conversation_id="gm:1789",
    )
    assert (message.folder, message.uid) == ("Clients/Dupont", 42)
    assert message.internal_date == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    assert message.internal_date.tzinfo is UTC
    assert message.flags == frozenset({"\\Seen"})
    assert message.conversation_id == "gm:1789"  # wins over Thread-Index


def test_header_only_bytes_without_trailing_blank_line() -> None:
    message = parse(b"From: a@example.com\r\nSubject: hi")
    assert message.subject == "hi"


def test_body_after_headers_is_ignored() -> None:
    message = parse("Subject: hi\n\nFrom: body@example.com\n")
    assert message.from_ is None


# ----------------------------------------------------------------------------- unparsable


@pytest.mark.parametrize(
    "data",
    [b"", b"\n\n", b"\x00\x01\x02\xff\xfe binary junk", b"no header here\nnor here\n"],
    ids=["empty", "blank", "binary", "prose"],
)
def test_unparsable(data: bytes) -> None:
    with pytest.raises(UnparsableMessage):
        parse(data)


def test_unparsable_is_a_value_error() -> None:
    assert issubclass(UnparsableMessage, ValueError)


def test_junk_before_headers_is_skipped() -> None:
    message = parse(b"\x00garbage\nFrom: a@example.com\nSubject: ok\n\nbody")
    assert message.from_ == Address("a@example.com")
    assert message.subject == "ok"


def test_mbox_from_line_is_not_a_header() -> None:
    message = parse("From someone@example.com Mon Jan  1 00:00:00 2024\nSubject: x\n\n")
    assert message.subject == "x"
    assert message.from_ is None


# ------------------------------------------------------------------------------- header text


def test_subject_unfolded_and_whitespace_collapsed() -> None:
    message = parse("Subject:   Hello\n\t  there\n   world  \n\n")
    assert message.subject == "Hello there world"


def test_subject_absent_is_empty() -> None:
    assert parse("From: a@example.com\n\n").subject == ""


def test_raw_utf8_header() -> None:
    message = parse("Subject: Grüße aus Köln\n\n".encode())
    assert message.subject == "Grüße aus Köln"


def test_raw_cp1252_header() -> None:
    message = parse(b"Subject: \x93Probl\xe8me\x94 \x80\n\n")
    assert message.subject == "“Problème” €"


def test_raw_bytes_undefined_in_cp1252_fall_back_to_latin1() -> None:
    message = parse(b"Subject: a\x81b\n\n")
    assert message.subject == "a\x81b"


# ------------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Marie@Example.FR", Address("marie@example.fr")),
        ("  <Marie@Example.FR>  ", Address("marie@example.fr")),
        ('"Dupont, Marie" <m@x.fr>', Address("m@x.fr", "Dupont, Marie")),
        ("=?utf-8?q?Dupont=2C_Marie?= <m@x.fr>", Address("m@x.fr", "Dupont, Marie")),
        ('"=?utf-8?q?Ren=C3=A9e?=" <r@x.fr>', Address("r@x.fr", "Renée")),
        ("joe@example.org (Joe Bloggs)", Address("joe@example.org", "Joe Bloggs")),
        ("Joe <joe@example.org>, Ann <ann@example.org>", Address("joe@example.org", "Joe")),
        (
            "Mail Delivery Subsystem <MAILER-DAEMON>",
            Address("mailer-daemon", "Mail Delivery Subsystem"),
        ),
        ('"Jo \\"the boss\\"" <jo@x.fr>', Address("jo@x.fr", 'Jo "the boss"')),
        ("Marie <marie@x.fr", Address("marie@x.fr", "Marie")),
    ],
)
def test_from(header: str, expected: Address) -> None:
    assert parse(f"From: {header}\n\n").from_ == expected


@pytest.mark.parametrize(
    "header",
    ["", "   ", "undisclosed-recipients:;", "John Smith", "<>", "@", "a@"],
)
def test_unusable_from_is_none(header: str) -> None:
    assert parse(f"From: {header}\nSubject: x\n\n").from_ is None


def test_missing_from_is_none() -> None:
    assert parse("Subject: x\n\n").from_ is None


def test_address_lists() -> None:
    message = parse(
        'To: a@x.fr, "B, C" <b@x.fr>, Team: d@x.fr, e@x.fr;\n'
        "Cc: undisclosed-recipients:;\n"
        "Reply-To: r@x.fr\n"
        "To: f@x.fr\n\n"
    )
    assert [a.email for a in message.to] == ["a@x.fr", "b@x.fr", "d@x.fr", "e@x.fr", "f@x.fr"]
    assert message.cc == ()
    assert message.reply_to == (Address("r@x.fr"),)


def test_first_usable_from_wins() -> None:
    message = parse("From: nobody\nFrom: real@example.com\n\n")
    assert message.from_ == Address("real@example.com")


def test_hostile_group_nesting_does_not_recurse_forever() -> None:
    # The legacy address parser recurses once per ":" and hits RecursionError.
    message = parse("To: " + "a:" * 3000 + " x@example.com\nFrom: b@example.com\n\n")
    assert message.from_ == Address("b@example.com")
    assert Address("x@example.com") in message.to


def test_regex_fallback_when_parser_finds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Python 3.11.10+ strict mode returns [("", "")] for input it finds ambiguous.
    monkeypatch.setattr(addresses, "getaddresses", lambda values, **_: [("", "")])
    message = parse('From: "weird (name" <odd@example.com>\nTo: x@a.example y@b.example\n\n')
    assert message.from_ == Address("odd@example.com")
    assert [a.email for a in message.to] == ["x@a.example", "y@b.example"]


# ------------------------------------------------------------------------------ message ids


def test_message_id_forms() -> None:
    assert parse("Message-ID: <abc@x>\n\n").message_id == "abc@x"
    assert parse("Message-ID: abc@x\n\n").message_id == "abc@x"
    assert parse("Message-ID: <Ab.C@X> (comment)\n\n").message_id == "Ab.C@X"  # case kept
    assert parse("Message-ID: <abc\n  @x>\n\n").message_id == "abc@x"
    assert parse("Message-ID: <>\n\n").message_id is None
    assert parse("Message-ID:\n\n").message_id is None
    assert parse("Subject: x\n\n").message_id is None


def test_in_reply_to_with_junk() -> None:
    message = parse(
        'In-Reply-To: Your message of "Mon, 1 Jan 2024 10:00:00 +0100" <id-1@host>\n'
        "References: <r1@h> <r2@h>\n <r1@h>  <r3@h>\n\n"
    )
    assert message.in_reply_to == ("id-1@host",)
    assert message.references == ("r1@h", "r2@h", "r3@h")  # oldest first, deduplicated


def test_references_without_separators() -> None:
    assert parse("References: <a@h><b@h>\n\n").references == ("a@h", "b@h")


def test_no_threading_headers() -> None:
    message = parse("Subject: x\n\n")
    assert (message.in_reply_to, message.references) == ((), ())


# ----------------------------------------------------------------------------------- dates


def test_unparsable_date_header_gives_none() -> None:
    assert parse("Date: yesterday-ish\n\n").date is None


def test_received_uses_topmost_header() -> None:
    message = parse(
        "Received: from a by b; Thu, 30 May 2024 11:22:33 +0200\n"
        "Received: from c by d; Wed, 29 May 2024 00:00:00 +0000\n\n"
    )
    assert message.received_at == utc(2024, 5, 30, 9, 22, 33)


def test_received_date_after_last_semicolon() -> None:
    message = parse("Received: from a (x; y) by b; id 1; Thu, 30 May 2024 11:22:33 +0000\n\n")
    assert message.received_at == utc(2024, 5, 30, 11, 22, 33)


def test_received_without_date() -> None:
    assert parse("Received: from a by b\n\n").received_at is None


def test_naive_internal_date_is_utc() -> None:
    message = parse("Subject: x\n\n", internal_date=datetime(2024, 1, 1, 12))  # noqa: DTZ001
    assert message.internal_date == utc(2024, 1, 1, 12)


# ---------------------------------------------------------------------------- Thread-Index


def test_thread_index_root_shared_by_replies() -> None:
    root = bytes(range(22))
    first = parse(b"Thread-Index: " + _b64(root) + b"\n\n")
    reply = parse(b"Thread-Index: " + _b64(root + b"\x01\x02\x03\x04\x05") + b"\n\n")
    assert first.conversation_id == "ti:" + root.hex()
    assert reply.conversation_id == first.conversation_id


@pytest.mark.parametrize("value", ["not*base64!!", "AAAA", "", "QUJD"])
def test_thread_index_invalid(value: str) -> None:
    assert parse(f"Subject: x\nThread-Index: {value}\n\n").conversation_id is None


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)


# ----------------------------------------------------------------- auto headers and language


def test_auto_headers_collected_in_order() -> None:
    message = parse(
        "Precedence: bulk\n"
        "List-Unsubscribe: <mailto:u@x>,\n <https://x/u>\n"
        "X-Spam-Flag: YES\n"
        "Subject: ignored\n"
        "Auto-Submitted: auto-generated\n"
        "Sender: =?utf-8?q?Caf=C3=A9?= <s@x>\n"
        "X-Unrelated: nope\n\n"
    )
    assert message.auto_headers == (
        ("precedence", "bulk"),
        ("list-unsubscribe", "<mailto:u@x>, <https://x/u>"),
        ("x-spam-flag", "YES"),
        ("auto-submitted", "auto-generated"),
        ("sender", "Café <s@x>"),
    )


def test_auto_header_names_are_lower_cased() -> None:
    message = parse("X-AutoReply-From: a@x\nX-AUTORESPOND: yes\n\n")
    assert message.auto_headers == (("x-autoreply-from", "a@x"), ("x-autorespond", "yes"))


def test_any_spelling_of_a_field_name_is_read() -> None:
    message = parse("mEsSaGe-iD: <a@x>\nFROM: b@x\nsubject: Hi\nX-MAILER: Mutt\n\n")
    assert (message.message_id, message.from_, message.subject) == ("a@x", Address("b@x"), "Hi")
    assert message.auto_headers == (("x-mailer", "Mutt"),)


def test_repeated_values_are_shared_between_messages() -> None:
    """100,000 messages are held at once: what repeats is one object, not a copy each."""
    first = parse("Message-ID: <a@x>\nReturn-Path: <b@x>\nContent-Type: text/plain\nFrom: b@x\n\n")
    reply = parse(
        "Message-ID: <c@x>\nIn-Reply-To: <a@x>\nReferences: <z@x>\n <a@x>\n"
        "Return-Path: <b@x>\ncontent-type: text/plain\nFrom: b@x\n\n"
    )
    assert reply.in_reply_to == ("a@x",) and reply.references == ("z@x", "a@x")
    assert reply.in_reply_to[0] is first.message_id
    assert reply.references[1] is first.message_id
    assert reply.auto_headers == first.auto_headers
    assert all(a[0] is b[0] for a, b in zip(reply.auto_headers, first.auto_headers, strict=True))
    assert reply.from_ is first.from_


def test_language_hints() -> None:
    message = parse("Accept-Language: fr-FR, en-US\nContent-Language: fr-FR\n\n")
    assert message.language_hints == ("fr-FR, en-US", "fr-FR")


# ---------------------------------------------------------------------------- line endings


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_line_endings(newline: bytes) -> None:
    data = newline.join(
        [b"From: A <a@example.com>", b"Subject: one", b"  two", b"Message-ID: <m@x>", b"", b""]
    )
    message = parse(data)
    assert message.from_ == Address("a@example.com", "A")
    assert message.subject == "one two"
    assert message.message_id == "m@x"


def test_parse_never_raises_on_random_bytes() -> None:
    rng = random.Random(1234)
    alphabet = b'From:To<>@,;"()=?QB \t\r\n\x80\xe9\xff abc'
    for _ in range(500):
        data = b"From: x@y\n" + bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
        parse(data)  # must not raise


# ------------------------------------------------------- fast paths against the general ones

# Plain blocks the one-pass splitter reads itself: each must come out as the email package's
# reading (_read_fields) grouped the same way.
PLAIN_BLOCKS = [
    b"From: A <a@example.com>\r\nSubject: one\r\n\r\n",
    b"Message-ID:\r\n <m@x>\r\nIn-Reply-To: \t\r\n\t<p@x>\r\n <q@x>\r\n\r\n",  # blank first line
    b"Subject: a\r\n b\r\n\tc\r\n  \r\nTo: x@y\r\n\r\nbody\r\n with a space\r\n",
    b"Subject:\r\nTo:   \r\nX-Other: v\r\n folded\r\nReferences: <a@b> <c@d>\r\n",
    b"SUBJECT: \xc3\xa9t\xc3\r\n \xa9\r\nfrom: Jos\xe9 <j@x>\r\n\r\n",  # 8-bit, cut UTF-8
    b"Subject: a\x00b\x80c\r\nContent-Type: text/plain;\r\n\tcharset=us-ascii\r\n",
    b"Subject: lf only\nDate: Tue, 1 May 2001 09:00:00 +0200\n x\n\nbody\n",
    b"Subject: no break at all",
    b"Subject: dup\r\nSubject: twice\r\nContent-Language: fr\r\nList-Id: <l.x>\r\n",
]


@pytest.mark.parametrize("data", PLAIN_BLOCKS)
def test_splitter_reads_plain_blocks_as_the_email_package(data: bytes) -> None:
    fast = headers._split_fields(data)
    assert fast is not None
    assert fast == headers._grouped(headers._read_fields(data))


@pytest.mark.parametrize(
    "data",
    [
        b" continued: first\r\nSubject: x\r\n\r\n",  # a first line that continues nothing
        b"Subject: lone\rCR\r\nTo: x@y\r\n\r\n",
        b"Subject: lone\nLF\r\nTo: x@y\r\n\r\n",
        b"From x@y Tue May  1 09:00:00 2001\r\nSubject: x\r\n\r\n",  # mbox envelope line
        b"Subject : spaced\r\n\r\n",
        b"\r\nSubject: after a blank line\r\n",
        b"",
    ],
)
def test_splitter_leaves_other_blocks_to_the_email_package(data: bytes) -> None:
    assert headers._split_fields(data) is None
