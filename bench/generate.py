"""Big realistic mailboxes, fast: one generated month of mail, copied into earlier months.

tests/mailgen.py writes realistic mail (customers, replies in Sent from many clients, encoded
names, newsletters, bounces...) but slows down past ~10k messages. So one base month (~9.5k
messages) is generated and copied: copy k is moved k x 35 days back (internal dates and the
Date header's day), and every address and Message-ID in it that is not the owner's is renamed
(`ana@x.fr` → `ana.c3@x.fr`). Copies thus share neither threads nor correspondents, and the
owner stays one identity: 100k messages read like a year of a busy small business.

Then the mail is filed as people file it: most of what came in (INBOX, Archive) moves to
one of ~25 folders of clients, suppliers and projects, chosen by the sender, so that the
mailbox has ~30 folders in all (`folders`); Sent stays whole.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
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
_FROM = re.compile(
    rb"^From:[^\r]*?([A-Za-z0-9._%+=-]+@[A-Za-z0-9.-]+)", re.MULTILINE | re.IGNORECASE
)
_HEADER = re.compile(rb"^(Message-ID|From|Subject):[ \t]*(.*?)\r?$", re.IGNORECASE | re.MULTILINE)

#: Where filed mail goes (the first ones first), besides the layout's own folders.
_FILED = (
    "Clients/Acme", "Clients/Bernard", "Clients/Côté Jardin", "Clients/Dupont", "Clients/Evans",
    "Clients/Fabre", "Clients/Garnier", "Clients/Hotel Lutetia", "Clients/Imbert",
    "Clients/Joly", "Fournisseurs", "Fournisseurs/Emballages", "Fournisseurs/Transport",
    "Comptabilité", "Comptabilité/2025", "Comptabilité/2026", "Projets/Salon 2026",
    "Projets/Site web", "Projets/Mariages", "Admin", "Admin/Banque", "Admin/Assurance",
    "Newsletters", "Perso", "À traiter", "En attente", "Archives/2024", "Archives/2025",
)  # fmt: skip
#: The share of incoming mail that is filed away; the rest stays in INBOX or Archive.
_FILED_PERCENT = 60

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


def build(count: int, seed: int = 1, folders: int = 30) -> Mailbox:
    """`count` messages over about `folders` folders: one base month of mailgen mail, copied
    as often as needed, most incoming mail filed by sender."""
    customers = min(_BASE_CUSTOMERS, max(40, math.ceil(count / _MESSAGES_PER_CUSTOMER)))
    base = mailgen.generate(seed, LAYOUT, customers=customers)
    owner = frozenset(address.encode("ascii") for address in base.owner)
    messages: list[Mail] = []
    copies = _copies(base, owner)
    while len(messages) < count:
        messages.extend(next(copies))
    names = [name for name in _FILED if name not in base.folders()]
    filed = names[: max(0, folders - len(base.folders()))]
    kept = tuple(_filed(mail, filed) for mail in messages[:count])
    return Mailbox(kept, (*base.folders(), *filed), base.owner, base.as_of)


def _filed(mail: Mail, folders: Sequence[str]) -> Mail:
    """Incoming mail moved to one of `folders` by its sender (the same sender, the same
    folder), unless it is among the share that stays where it came."""
    if not folders or mail.folder not in ("INBOX", "Archive"):
        return mail
    sender = _FROM.search(mail.data[: mail.data.find(_END_OF_HEADER)])
    key = zlib.crc32(sender.group(1).lower() if sender else mail.data[:200])
    if key % 100 >= _FILED_PERCENT:
        return mail
    return replace(mail, folder=folders[key // 100 % len(folders)])


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


_new_mail = 0


def new_mail(box: Mailbox, folders: Sequence[str], count: int) -> dict[str, list[Mail]]:
    """`count` new messages spread over `folders`, arrived within the hour before as_of:
    half from new customers, half follow-ups of earlier messages of the same folder
    (In-Reply-To their Message-ID, same sender and subject), which join existing
    conversations. Each call makes different messages."""
    global _new_mail
    earlier = {folder: [m for m in box.messages if m.folder == folder][::97] for folder in folders}
    made: dict[str, list[Mail]] = {folder: [] for folder in folders}
    for k in range(count):
        _new_mail += 1
        n = _new_mail
        folder = folders[k % len(folders)]
        when = box.as_of - timedelta(minutes=59, seconds=n % 3000)
        fields = {"From": f"New Customer {n} <new{n}@customer.example>", "Subject": f"Question {n}"}
        if k % 2 and earlier[folder]:
            original = earlier[folder][n % len(earlier[folder])].data
            found = {
                name.lower(): value.strip()
                for name, value in _HEADER.findall(original[: original.find(_END_OF_HEADER)])
            }
            if {b"message-id", b"from", b"subject"} <= found.keys():
                fields = {
                    "From": found[b"from"].decode("ascii", "replace"),
                    "Subject": "Re: " + found[b"subject"].decode("ascii", "replace"),
                    "In-Reply-To": found[b"message-id"].decode("ascii", "replace"),
                }
        head = "".join(f"{name}: {value}\r\n" for name, value in fields.items())
        head += (
            f"To: {box.owner[0]}\r\nDate: {when.strftime('%a, %d %b %Y %H:%M:%S %z')}\r\n"
            f"Message-ID: <bench-new-{n}@customer.example>\r\n\r\nHello?\r\n"
        )
        made[folder].append(Mail(folder, head.encode(), (), when))
    return made
