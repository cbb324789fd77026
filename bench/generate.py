"""Big realistic mailboxes, fast: one generated month of mail, copied into earlier months.

tests/mailgen.py writes realistic mail (customers, replies in Sent from many clients, encoded
names, newsletters, bounces...) but slows down past ~10k messages. So one base month (~9.5k
messages) is generated and copied: copy k is moved k x 35 days back (internal dates and the
Date header's day), and every address and Message-ID in it that is not the owner's is renamed
(`ana@x.fr` → `ana.c3@x.fr`). Copies thus share neither threads nor correspondents, and the
owner stays one identity: 100k messages read like a year of a busy small business.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from tests import mailgen
from tests.dovecot import LAYOUTS

LAYOUT = "plain"

#: mailgen makes ~2.4 messages per customer (replies, newsletters and the rest included).
_MESSAGES_PER_CUSTOMER = 2.4
#: The base mailbox's size cap: generating it stays under ~7 s.
_BASE_CUSTOMERS = 4000

#: How far back each copy of the base month goes: past the audit's 21-day subject window.
_COPY_SPACING = timedelta(days=35)
_MONTHS = (b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct",
           b"Nov", b"Dec")  # fmt: skip
_WEEKDAYS = (b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun")
# The calendar day of an English RFC 5322 Date line; localised or odd ones stay as written.
_DATE_DAY = re.compile(
    rb"^(Date:[ \t]*)(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), *)?(\d{1,2}) +("
    + b"|".join(_MONTHS)
    + rb") +(\d{4})",
    re.MULTILINE,
)
# local@domain in a header: addresses and Message-IDs alike.
_ADDR_SPEC = re.compile(rb"[A-Za-z0-9._%+=-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_END_OF_HEADER = b"\r\n\r\n"

#: Folders the audit never reads (RFC 6154 special-use), in the generated layout.
SKIPPED_FOLDERS = frozenset(
    name for name, use in LAYOUTS[LAYOUT] if use in {"\\Drafts", "\\Trash", "\\Junk"}
)


@dataclass(frozen=True)
class Mail:
    """One message to load."""

    folder: str
    data: bytes
    flags: tuple[str, ...]
    internal_date: datetime


@dataclass(frozen=True)
class Mailbox:
    """A generated mailbox: its messages in load order, folders, owner and audit moment."""

    messages: tuple[Mail, ...]
    folders: tuple[str, ...]
    owner: tuple[str, ...]
    as_of: datetime

    @property
    def scanned_folders(self) -> tuple[str, ...]:
        return tuple(f for f in self.folders if f not in SKIPPED_FOLDERS)

    @property
    def scanned_messages(self) -> int:
        return sum(m.folder not in SKIPPED_FOLDERS for m in self.messages)


def build(count: int, seed: int = 1) -> Mailbox:
    """`count` messages: one base month of mailgen mail, copied as often as needed."""
    customers = min(_BASE_CUSTOMERS, max(40, math.ceil(count / _MESSAGES_PER_CUSTOMER)))
    base = mailgen.generate(seed, LAYOUT, customers=customers)
    owner = frozenset(address.encode("ascii") for address in base.owner)
    messages: list[Mail] = []
    copies = _copies(base, owner)
    while len(messages) < count:
        messages.extend(next(copies))
    return Mailbox(tuple(messages[:count]), base.folders(), base.owner, base.as_of)


def _copies(base: mailgen.GeneratedMailbox, owner: frozenset[bytes]) -> Iterator[list[Mail]]:
    for copy in range(1_000_000):
        shift = _COPY_SPACING * copy
        yield [
            Mail(m.folder, _copied(m.data, copy, shift, owner), m.flags, m.internal_date - shift)
            for m in base.messages
        ]


def _copied(data: bytes, copy: int, shift: timedelta, owner: frozenset[bytes]) -> bytes:
    """The message moved `shift` back, every non-owner address and id made unique to `copy`."""
    if copy == 0:
        return data
    suffix = b".c%d@" % copy

    def rename(match: re.Match[bytes]) -> bytes:
        spec = match.group()
        return spec if spec.lower() in owner else spec.replace(b"@", suffix, 1)

    def move(match: re.Match[bytes]) -> bytes:
        prefix, day, month, year = match.groups()
        try:
            moved = datetime(int(year), _MONTHS.index(month) + 1, int(day)) - shift  # noqa: DTZ001  (a calendar day, no time)
        except ValueError:
            return match.group()
        weekday = _WEEKDAYS[moved.weekday()]
        return b"%s%s, %d %s %d" % (
            prefix,
            weekday,
            moved.day,
            _MONTHS[moved.month - 1],
            moved.year,
        )

    end = data.find(_END_OF_HEADER)
    head, body = (data[:end], data[end:]) if end >= 0 else (data, b"")
    return _DATE_DAY.sub(move, _ADDR_SPEC.sub(rename, head)) + body
