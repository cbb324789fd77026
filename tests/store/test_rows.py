"""A cached message's row holds Message's fields in their order, and gives the Message back."""

from __future__ import annotations

import dataclasses
import marshal
from datetime import UTC, datetime, timedelta, timezone

import pytest

from inbox_audit.model import Address, Message
from inbox_audit.store import rows

# A value for each of Message's fields, each unlike the others: a row that swapped two fields
# would not match.
SAMPLE: dict[str, object] = {
    "folder": "INBOX",
    "uid": 7,
    "message_id": "id@example.com",
    "in_reply_to": ("parent@example.com",),
    "references": ("root@example.com", "parent@example.com"),
    "from_": Address("marie@example.fr", "Marie"),
    "reply_to": (Address("reply@example.fr", "Reply"),),
    "to": (Address("shop@example.com", "Shop"), Address("other@example.com")),
    "cc": (Address("cc@example.org", "Copy"),),
    "subject": "Devis",
    "date": datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    "received_at": datetime(2026, 3, 1, 9, 31, tzinfo=UTC),
    "internal_date": datetime(2026, 3, 1, 9, 32, tzinfo=UTC),
    "flags": frozenset({"\\Seen"}),
    "conversation_id": "thread-1",
    "auto_headers": (("precedence", "bulk"),),
    "language_hints": ("fr",),
    "text_start": "Bonjour, je voudrais réserver",
}


def encoded(value: object) -> object:
    """A field as the row holds it: addresses as pairs, moments in UTC as epoch seconds."""
    if isinstance(value, Address):
        return (value.email, value.name)
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, tuple):
        return tuple(encoded(item) for item in value)
    return value


def test_the_row_lists_message_s_fields_in_their_order() -> None:
    names = [field.name for field in dataclasses.fields(Message)]
    assert sorted(names) == sorted(SAMPLE), (
        "Message gained or lost a field: store it in rows.row and rows.message, bump "
        "cache.CACHE_FORMAT, and give it a sample value here"
    )
    message = Message(**SAMPLE)  # type: ignore[arg-type]
    stored = [name for name in names if name not in rows.COLUMNS]
    assert set(rows.COLUMNS) <= set(names)
    assert list(rows.row(message)) == [encoded(getattr(message, name)) for name in stored]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        # Times that are not whole seconds in UTC travel as ISO text.
        {
            "date": datetime(2026, 3, 1, 9, 30, 0, 250_000, tzinfo=UTC),
            "received_at": datetime(2026, 3, 1, 10, 31, tzinfo=timezone(timedelta(hours=1))),
        },
        {
            "message_id": None,
            "from_": None,
            "reply_to": (),
            "date": None,
            "received_at": None,
            "internal_date": None,
            "conversation_id": None,
        },
    ],
)
def test_a_row_gives_the_message_back(changes: dict[str, object]) -> None:
    message = dataclasses.replace(Message(**SAMPLE), **changes)  # type: ignore[arg-type]
    data = marshal.loads(marshal.dumps(rows.row(message)))
    addresses: dict[tuple[str, str], Address] = {}
    again = rows.message(message.folder, message.uid, message.flags, data, addresses)
    assert again == message
    assert [type(getattr(again, name)) for name in SAMPLE] == [
        type(getattr(message, name)) for name in SAMPLE
    ]
    # Each distinct address is one object across messages.
    second = rows.message(message.folder, 8, message.flags, data, addresses)
    assert all(a is b for a, b in zip(second.to, again.to, strict=True))
