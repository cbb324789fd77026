"""Message ↔ row of marshal-able values: how the cache stores a parsed message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from inbox_audit.model import Address, Message

#: The fields of a Message the cache keeps in columns of their own, not in its row.
COLUMNS = ("folder", "uid", "flags")
#: A message's other fields, in their order in Message. Spelled out in `row` and `message`
#: rather than read from dataclasses.fields, which loads a row about half as fast (a cached
#: run loads 100,000s): tests/store/test_rows.py checks the order against Message, and any
#: change to this layout needs cache.CACHE_FORMAT bumped (tests/store/test_cache.py).
Row = tuple[Any, ...]


def row(m: Message) -> Row:
    """`m`'s fields but the COLUMNS, as values marshal can write."""
    sender = m.from_
    return (
        m.message_id,
        m.in_reply_to,
        m.references,
        None if sender is None else (sender.email, sender.name),
        tuple([(a.email, a.name) for a in m.reply_to]),
        tuple([(a.email, a.name) for a in m.to]),
        tuple([(a.email, a.name) for a in m.cc]),
        m.subject,
        dump_time(m.date),
        dump_time(m.received_at),
        dump_time(m.internal_date),
        m.conversation_id,
        m.auto_headers,
        m.language_hints,
        m.text_start,
    )


def message(
    folder: str,
    uid: int,
    flags: frozenset[str],
    values: Row,
    addresses: dict[tuple[str, str], Address],
) -> Message:
    """The Message `row` was made of. `addresses` is shared across calls, so each distinct
    address is one object (most messages share a few: a fifth of the memory at 100,000)."""

    def address(pair: tuple[str, str]) -> Address:
        found = addresses.get(pair)
        if found is None:
            found = addresses[pair] = Address(*pair)
        return found

    (
        message_id,
        in_reply_to,
        references,
        sender,
        reply_to,
        to,
        cc,
        subject,
        date,
        received_at,
        internal_date,
        conversation_id,
        auto_headers,
        language_hints,
        text_start,
    ) = values
    return Message(
        folder,
        uid,
        message_id,
        in_reply_to,
        references,
        None if sender is None else address(sender),
        tuple(map(address, reply_to)),
        tuple(map(address, to)),
        tuple(map(address, cc)),
        subject,
        load_time(date),
        load_time(received_at),
        load_time(internal_date),
        flags,
        conversation_id,
        auto_headers,
        language_hints,
        text_start,
    )


# Headers give whole seconds and headers.py hands them over in UTC: those travel as an int
# (fromtimestamp is about three times faster than fromisoformat); anything else as ISO text.
def dump_time(value: datetime | None) -> int | str | None:
    """`value` as marshal can write it, for `load_time`."""
    if value is None:
        return None
    if value.tzinfo is UTC and not value.microsecond:
        return int(value.timestamp())
    return value.isoformat()


def load_time(value: int | str | None) -> datetime | None:
    """The moment `dump_time` wrote."""
    if value is None:
        return None
    if isinstance(value, int):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError) as exc:  # not a row this module wrote
            raise ValueError(f"time out of range: {value}") from exc
    return datetime.fromisoformat(value)
