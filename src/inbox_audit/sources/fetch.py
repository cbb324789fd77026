"""UID FETCH of the header fields: commands pipelined in batches, responses parsed as they come."""

from __future__ import annotations

import collections
import functools
import imaplib
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from inbox_audit.core.fields import HEADER_FIELDS, TEXT_BYTES
from inbox_audit.errors import N_
from inbox_audit.model import RawMessage, Unreadable
from inbox_audit.sources.wire import LITERAL, MAXLINE, Inbound, Reply, Untagged, Wire, nothing

#: UIDs per UID FETCH command: big enough to keep the link busy, small enough to bound memory.
BATCH_SIZE = 2000
# RFC 7162 §4: clients should keep command lines under 8192 octets.
_MAX_SET_CHARS = 7000
#: Past the highest UID there can be (a 32-bit number, RFC 3501 §2.3.1.1): `range(n, UID_END)`
#: asks for every message from UID n on, whatever arrived since the folder's STATUS.
UID_END = 1 << 32

# BODY.PEEK never sets \Seen (RFC 3501 §6.4.5); ENVELOPE lacks References (§7.4.2), hence
# the header fields.
_HEADER_ITEM = "BODY.PEEK[HEADER.FIELDS (" + " ".join(f.upper() for f in HEADER_FIELDS) + ")]"
# The start of the body for the customer's language: a partial fetch (RFC 3501 §6.4.5), also
# a PEEK, so \Seen stays as it was.
_TEXT_ITEM = f"BODY.PEEK[TEXT]<0.{TEXT_BYTES}>"
_ITEMS = f"(UID FLAGS INTERNALDATE {_HEADER_ITEM} {_TEXT_ITEM})"
_GMAIL_ITEMS = f"(UID FLAGS INTERNALDATE X-GM-THRID {_HEADER_ITEM} {_TEXT_ITEM})"

Item = RawMessage | Unreadable


class Fetcher:
    """UID FETCH commands of the examined folder in flight, two batches at a time.

    Each response is parsed as it arrives. Dovecot may run pipelined FETCH commands in
    parallel and interleave their responses (RFC 3501 §5.5), so responses are matched to
    batches by UID, not by order. With `flags` set, the FLAGS of every FETCH response read
    meanwhile (a `UID FETCH 1:* (UID FLAGS)` sent beside) are kept there.
    """

    def __init__(self, wire: Wire, folder: str, gmail: bool) -> None:
        self._wire = wire
        self._inbound = wire.inbound
        self.folder = folder
        self._items = _GMAIL_ITEMS if gmail else _ITEMS
        self._wanted: set[int] = set()
        self._wanted_from = UID_END  # and every UID from this one on (a `range(n, UID_END)`)
        self._received: dict[int, Item] = {}
        self._garbled = 0
        self._sent: dict[bytes, Sequence[int]] = {}  # tag -> UIDs, for commands not waited for
        self.flags: dict[int, frozenset[str]] | None = None
        self.last_size = 0

    def command(self, uids: Sequence[int]) -> bytes:
        """The command for these sorted UIDs (a range works too: only UIDs found come back)."""
        return f"UID FETCH {sequence_set(uids)} {self._items}".encode("ascii")

    def expect(self, tag: bytes, uids: Sequence[int]) -> None:
        """Keep the responses to a command sent (with `command`) under this tag."""
        self._sent[tag] = uids
        if isinstance(uids, range) and uids.stop == UID_END:
            self._wanted_from = min(self._wanted_from, uids.start)
        else:
            self._wanted.update(uids)

    def wait(self, tag: bytes, other: Untagged = nothing) -> Reply:
        """Read up to `tag`'s reply: FETCH responses kept, the others handed to `other`."""

        def untagged(text: bytes, literals: list[bytes]) -> None:
            fetched = _FETCH_RESPONSE.match(text)
            if fetched is None:
                other(text, literals)
            else:
                self._fetched(text[fetched.end() :], literals)

        return self._wire.wait(tag, untagged, self._fast)

    def batches(
        self,
        uids: Sequence[int],
        sent: tuple[bytes, range] | None = None,
        last_sent: Callable[[], None] | None = None,
    ) -> Iterator[list[Item]]:
        """The messages of these sorted UIDs, a batch at a time, in UID order.

        `sent`: a command already in flight for a range of UIDs (sent with EXAMINE): those of
        `uids` in it are taken from its responses. `last_sent` is called once this folder's
        last command is sent (in the same write): nothing more of it will be asked.
        """
        slots: list[Sequence[int] | tuple[bytes, Sequence[int]]] = []
        if sent is None:
            slots.extend(_batches(uids))
        else:
            tag, window = sent
            slots.extend(_batches([uid for uid in uids if uid < window.start]))
            slots.append((tag, [uid for uid in uids if uid in window]))
            slots.extend(_batches([uid for uid in uids if uid >= window.stop]))
        todo = collections.deque(slots)
        flight: collections.deque[tuple[bytes, Sequence[int]]] = collections.deque()

        def launch() -> None:
            nonlocal last_sent
            with self._wire.together():
                while len(flight) < 2 and todo:
                    slot = todo.popleft()
                    if isinstance(slot, tuple):
                        flight.append(slot)
                    else:
                        [tag] = self._wire.send(self.command(slot))
                        self.expect(tag, slot)
                        flight.append((tag, slot))
                if not todo and last_sent is not None:
                    last_sent()
                    last_sent = None

        launch()
        while flight:
            tag, report = flight[0]
            reply = self.wait(tag)
            flight.popleft()
            launch()
            self.last_size = len(report)
            yield self._results(tag, report, reply)

    def drain(self) -> bool:
        """Read the replies of every command still in flight; False if that failed."""
        try:
            while self._sent:
                tag = next(iter(self._sent))
                self.wait(tag)
                self._forget(tag)
        except Exception:  # the connection is broken already; the caller drops it
            return False
        return True

    def _fast(self) -> bool:
        plain = plain_fetch(self._inbound, self.folder)
        if plain is None:
            return False
        if plain.uid in self._wanted or plain.uid >= self._wanted_from:
            self._received[plain.uid] = plain
        if self.flags is not None:
            self.flags[plain.uid] = plain.flags
        return True

    def _fetched(self, text: bytes, literals: list[bytes]) -> None:
        item, flags = _parse(self.folder, text, literals)
        if item is None:
            self._garbled += 1  # an unsolicited flag update without UID, or garbage
            return
        if self.flags is not None and flags is not None:
            self.flags[item.uid] = flags
        self._keep(item)

    def _keep(self, item: Item) -> None:
        if (item.uid not in self._wanted and item.uid < self._wanted_from) or (
            # An unsolicited FLAGS update for a message already read adds nothing.
            isinstance(item, Unreadable) and isinstance(self._received.get(item.uid), RawMessage)
        ):
            return
        self._received[item.uid] = item

    def _results(self, tag: bytes, report: Sequence[int], reply: Reply) -> list[Item]:
        if reply.status == "BAD":
            self._forget(tag)
            raise imaplib.IMAP4.error(f"UID FETCH failed: {reply.text}")
        received = self._received
        results: list[Item] = []
        for uid in report:
            item = received.get(uid)
            if item is not None:
                results.append(item)
            elif not reply.ok:
                why = reply.text.strip() or "no reason given"
                results.append(Unreadable(self.folder, uid, f"server refused to fetch it: {why}"))
            elif self._garbled:
                results.append(
                    Unreadable(self.folder, uid, N_("server response could not be parsed"))
                )
            # else: expunged by another client since the search; nothing to read.
        self._forget(tag)
        return results

    def _forget(self, tag: bytes) -> None:
        sent = self._sent.pop(tag)
        pop = self._received.pop
        if isinstance(sent, range) and sent.stop == UID_END:
            self._wanted_from = UID_END
            sent = [uid for uid in self._received if uid >= sent.start]
        for uid in sent:
            self._wanted.discard(uid)
            pop(uid, None)


# --- sequence sets ------------------------------------------------------------------------


def expand_set(text: bytes) -> list[int]:
    """An RFC 3501 sequence set of numbers ("1:3,7") as the numbers it holds."""
    uids: list[int] = []
    for part in text.split(b","):
        low, _, high = part.partition(b":")
        a, b = int(low), int(high or low)
        uids.extend(range(min(a, b), max(a, b) + 1))
    return uids


def sequence_set(uids: Sequence[int]) -> str:
    """Sorted UIDs as a compact RFC 3501 sequence set: [1, 2, 3, 7] -> "1:3,7"."""
    if isinstance(uids, range) and uids.step == 1 and uids:
        return f"{uids.start}:{uids.stop - 1}" if len(uids) > 1 else str(uids.start)
    parts: list[str] = []
    start = previous = uids[0]
    for uid in uids[1:]:
        if uid != previous + 1:
            parts.append(f"{start}:{previous}" if previous != start else str(start))
            start = uid
        previous = uid
    parts.append(f"{start}:{previous}" if previous != start else str(start))
    return ",".join(parts)


def first_batch(likely: range, messages: int | None = None) -> range | None:
    """The first UIDs of a range likely to hold messages: a batch that can be asked for before
    the folder's UIDs are known (with EXAMINE), since a UID FETCH of absent UIDs is no error.

    When every UID is wanted (`likely` from 1) and the folder's `messages` fit in one batch:
    every UID, mail come since that count included, so that nothing of the folder is left to
    ask afterwards. An open-ended `likely` (to UID_END) is asked for as it is: its caller knows
    it holds every wanted message and no more than a batch's worth.
    """
    if likely.stop == UID_END:
        return likely or None
    if likely.start == 1 and messages is not None and messages <= BATCH_SIZE:
        return range(1, UID_END)
    return range(max(likely.start, 1), min(likely.stop, likely.start + BATCH_SIZE)) or None


def _batches(uids: Sequence[int]) -> Iterator[Sequence[int]]:
    """Slices of at most BATCH_SIZE UIDs whose sequence set stays a short command line."""
    start = 0
    while start < len(uids):
        end = min(start + BATCH_SIZE, len(uids))
        # Scattered UIDs make long sets; ~8 characters each is the worst case we allow for.
        while end - start > 1 and len(sequence_set(uids[start:end])) > _MAX_SET_CHARS:
            end = start + (end - start) // 2
        yield uids[start:end]
        start = end


# --- FETCH response parsing ---------------------------------------------------------------

_FETCH_RESPONSE = re.compile(rb"\* \d+ FETCH ", re.IGNORECASE)
_ITEM_NAME = re.compile(rb"\s*([A-Za-z0-9.\-]+(?:\[[^\]]*\])?(?:<\d+>)?)\s+")
_QUOTED = re.compile(rb'"((?:[^"\\]|\\.)*)"')
_ATOM_VALUE = re.compile(rb'[^\s()"\x00]+')
_SPACES = re.compile(rb"\s*")
_INTERNALDATE = re.compile(rb"\s*(\d{1,2}-[A-Za-z]{3}-\d{4}) (\d\d:\d\d:\d\d) ([+-]\d{4})$")
_MONTHS = {
    m: i + 1 for i, m in enumerate(b"jan feb mar apr may jun jul aug sep oct nov dec".split())
}
_UID_ANYWHERE = re.compile(rb"UID (\d+)")

Value = int | bytes | None | list["Value"]


class _Garbled(ValueError):
    """A response this parser cannot follow."""


# What Dovecot (and most servers) answer to our UID FETCH, nothing else in it, is read with
# two matches and a comparison instead of the item parser below: "* 12 FETCH (UID 34 FLAGS
# (\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" BODY[HEADER.FIELDS (FROM ...)] {567}".
# Anything else (other items, another order, quoted or escaped text, NIL, Gmail's
# X-GM-THRID, an odd date) takes the general path, which reads it the same.
_PLAIN_FETCH = re.compile(
    rb"\* \d+ FETCH \(UID (\d+) FLAGS \(([^()\"\x00\r\n]*)\) INTERNALDATE "
    rb'"[ \t\f\v]*(\d{1,2}-[A-Za-z]{3}-\d{4}) (\d\d:\d\d:\d\d) ([+-]\d{4})" '
)
# The header item as the server names it back: our list of fields, as we asked for it.
HEADER_ECHO = b"BODY[HEADER.FIELDS (" + " ".join(HEADER_FIELDS).upper().encode() + b")] {"
# Then the body's start, as a literal, or "" for an empty body (RFC 3501 §7.4.2: a partial
# fetch is named back by its origin only).
TEXT_ECHO = b" BODY[TEXT]<0> "
_LITERAL_SIZE = re.compile(rb"(\d+)\}\r\n")
_TEXT_LITERAL = re.compile(rb" BODY\[TEXT\]<0> (?:\{(\d+)\}\r\n|\"\")")


def plain_fetch(inbound: Inbound, folder: str) -> RawMessage | None:
    """The next response, read off the buffer, when it is a plain FETCH answer
    (`_PLAIN_FETCH`); else None, and nothing is consumed.

    imaplib would read a line or a literal per call; for 100,000s of small responses the
    calls cost more than the parsing.
    """
    while True:
        data, pos = inbound.data, inbound.pos
        eol = data.find(b"\n", pos)
        if eol < 0:  # only a whole line tells what the response is
            if len(data) - pos > MAXLINE or not inbound.fill():
                return None  # the general path reports either
            continue
        match = _PLAIN_FETCH.match(data, pos, eol)
        if match is None:
            return None
        echo = match.end()
        size = _LITERAL_SIZE.fullmatch(data, echo + len(HEADER_ECHO), eol + 1)
        if size is None or not data.startswith(HEADER_ECHO, echo):
            return None
        start = eol + 1
        end = start + int(size[1])
        # The literal, the text item's head (at most `{2048}\r\n` more than its echo) and
        # ")\r\n": the response or the tagged reply owe that.
        if end + len(TEXT_ECHO) + 12 <= len(data) or (
            end + 3 <= len(data) and data[end : end + 3] == b")\r\n"
        ):
            text = _TEXT_LITERAL.match(data, end, end + len(TEXT_ECHO) + 12)
            if text is None:
                text_start = text_end = end
                break
            text_start = text.end()
            text_end = text_start + int(text[1] or 0)
            if text_end + 3 <= len(data):
                break
        if not inbound.fill():
            return None
    if data[text_end : text_end + 3] != b")\r\n":
        return None  # other items, or another order: the general parser reads them
    inbound.pos = text_end + 3
    uid, flags, day, time, zone = match.groups()
    return RawMessage(
        folder,
        int(uid),
        _date(day, time, zone),
        _flag_set(flags),
        data[start:end],
        None,
        data[text_start:text_end],
    )


@functools.lru_cache(maxsize=1024)
def _flag_set(flags: bytes) -> frozenset[str]:
    """FLAGS "(...)" contents as a set; a mailbox has few distinct ones, so they are shared."""
    return frozenset(_text(flag) for flag in flags.split())


def parse_fetch(folder: str, text: bytes, literals: list[bytes]) -> Item | None:
    """A FETCH response's "(...)" as a RawMessage; Unreadable when it makes no sense; None
    when it has no UID (an unsolicited flag update, or garbage)."""
    return _parse(folder, text, literals)[0]


def _parse(
    folder: str, text: bytes, literals: list[bytes]
) -> tuple[Item | None, frozenset[str] | None]:
    """`parse_fetch`, and the FLAGS when the response has them."""
    try:
        items = _items(text, literals)
    except (_Garbled, ValueError, RecursionError) as exc:
        found = _UID_ANYWHERE.search(text)
        if found is None:
            return None, None
        return Unreadable(folder, int(found.group(1)), f"unreadable response: {exc}"), None
    uid = items.get(b"UID")
    if not isinstance(uid, int):
        return None, None
    message = _message(folder, uid, items)
    flags = items.get(b"FLAGS")
    return message, _flags(flags) if isinstance(flags, list) else None


def _message(folder: str, uid: int, items: dict[bytes, Value]) -> Item:
    header: Value = None
    text: Value = None
    for name, value in items.items():
        if name.startswith((b"BODY[HEADER", b"RFC822.HEADER")):
            header = value
        elif name.startswith(b"BODY[TEXT]"):
            text = value
    if not isinstance(header, bytes):
        return Unreadable(folder, uid, N_("server sent no header section"))
    flags = items.get(b"FLAGS")
    thread = items.get(b"X-GM-THRID")
    internal = items.get(b"INTERNALDATE")
    return RawMessage(
        folder=folder,
        uid=uid,
        internal_date=internal_date(internal) if isinstance(internal, bytes) else None,
        flags=_flags(flags) if isinstance(flags, list) else frozenset(),
        header_bytes=header,
        conversation_id=f"gm:{thread}" if isinstance(thread, int) else None,
        text_start=text if isinstance(text, bytes) else b"",
    )


def _flags(flags: list[Value]) -> frozenset[str]:
    return frozenset(_text(flag) for flag in flags if flag is not None)


def _items(text: bytes, literals: list[bytes]) -> dict[bytes, Value]:
    """Parse a FETCH response's "(NAME value NAME value ...)" into {upper-cased NAME: value}."""
    return _flat_items(text, literals) or _nested_items(text, literals)


# The usual response holds only numbers, one flat list, quoted strings, NIL and literals:
# one regex pass cuts it into items (the nested parser below is three times slower and only
# needed for lists inside lists, or to say what is wrong).
_FLAT_PAIR = re.compile(
    rb"\s*([A-Za-z0-9.\-]+(?:\[[^\]]*\])?(?:<\d+>)?) "
    rb'(\d+|\([^()"\x00]*\)|"[^"\\]*(?:\\.[^"\\]*)*"|\x00|[Nn][Ii][Ll])'
)
_CLOSING = re.compile(rb"\s*\)\s*")


def _flat_items(text: bytes, literals: list[bytes]) -> dict[bytes, Value] | None:
    """The items, or None when the response is not flat (or not well-formed)."""
    pending = iter(literals)
    items: dict[bytes, Value] = {}
    pos = 1
    for match in _FLAT_PAIR.finditer(text, 1):
        if match.start() != pos:
            return None  # something between items that the flat pattern does not cover
        pos = match.end()
        name, raw = match.groups()
        first = raw[:1]
        value: Value
        if first == b"(":
            value = list(raw[1:-1].split())
        elif first == b'"':
            value = re.sub(rb"\\(.)", rb"\1", raw[1:-1]) if b"\\" in raw else raw[1:-1]
        elif first == LITERAL:
            value = next(pending, None)
        elif first.isdigit():
            value = int(raw)
        else:
            value = None
        items[name.upper()] = value
    if not text.startswith(b"(") or _CLOSING.fullmatch(text, pos) is None:
        return None
    return items


def _nested_items(text: bytes, literals: list[bytes]) -> dict[bytes, Value]:
    if not text.startswith(b"("):
        raise _Garbled(f"unexpected {text[:20]!r}")
    pending = iter(literals)
    pos = 1
    items: dict[bytes, Value] = {}
    while True:
        pos = _SPACES.match(text, pos).end()  # type: ignore[union-attr]
        if text[pos : pos + 1] == b")":
            return items
        name = _ITEM_NAME.match(text, pos)
        if name is None:
            raise _Garbled(f"unexpected {text[pos : pos + 20]!r}")
        value, pos = _value(text, name.end(), pending)
        items[name.group(1).upper()] = value


def values(text: bytes, literals: list[bytes]) -> list[Value]:
    """Every value of a response's text from its start (lists, strings, numbers, NIL...)."""
    pending = iter(literals)
    found: list[Value] = []
    pos = _SPACES.match(text).end()  # type: ignore[union-attr]
    while pos < len(text):
        value, pos = _value(text, pos, pending)
        found.append(value)
        pos = _SPACES.match(text, pos).end()  # type: ignore[union-attr]
    return found


def _value(text: bytes, pos: int, literals: Iterator[bytes]) -> tuple[Value, int]:
    pos = _SPACES.match(text, pos).end()  # type: ignore[union-attr]
    char = text[pos : pos + 1]
    if char == b"(":
        found: list[Value] = []
        pos += 1
        while True:
            pos = _SPACES.match(text, pos).end()  # type: ignore[union-attr]
            if text[pos : pos + 1] == b")":
                return found, pos + 1
            if pos >= len(text):
                raise _Garbled("unterminated list")
            value, pos = _value(text, pos, literals)
            found.append(value)
    if char == b'"':
        quoted = _QUOTED.match(text, pos)
        if quoted is None:
            raise _Garbled("unterminated quoted string")
        return re.sub(rb"\\(.)", rb"\1", quoted.group(1)), quoted.end()
    if char == LITERAL:
        literal = next(literals, None)
        if literal is None:
            raise _Garbled("missing literal")
        return literal, pos + 1
    atom = _ATOM_VALUE.match(text, pos)
    if atom is None:
        raise _Garbled(f"unexpected {text[pos : pos + 20]!r}")
    word = atom.group()
    if word.isdigit():
        return int(word), atom.end()
    if word.upper() == b"NIL":
        return None, atom.end()
    return word, atom.end()


def internal_date(raw: bytes) -> datetime | None:
    """INTERNALDATE ("17-Jul-1996 02:44:25 -0700") as an aware datetime; None if malformed.

    Parsed by hand: strptime's %b follows the locale (and is slow).
    """
    match = _INTERNALDATE.match(raw)
    if match is None:
        return None
    return _date(*match.groups())


def _date(day: bytes, time: bytes, zone: bytes) -> datetime | None:
    """ "17-Jul-1996", "02:44:25", "-0700" as an aware datetime; None if there is no such
    day, time or offset."""
    iso_day = _iso_day(day)
    offset = _OFFSETS.get(zone) or _offset(zone)
    if iso_day is None or offset is None:
        return None
    # One ISO 8601 string read in C costs a third of int() on each part and the constructor;
    # the result is the same datetime, its tzinfo the same fixed offset.
    try:
        return datetime.fromisoformat(iso_day + time.decode("ascii") + offset)
    except ValueError:  # 31-Feb, 25:00...
        return None


# A mailbox spans a few thousand days: each is spelled out once.
@functools.lru_cache(maxsize=4096)
def _iso_day(day: bytes) -> str | None:
    """ "17-Jul-1996" as "1996-07-17T"; None for an unknown month."""
    number, month, year = day.split(b"-")
    month_number = _MONTHS.get(month.lower())
    if month_number is None:
        return None
    return f"{year.decode('ascii')}-{month_number:02d}-{int(number):02d}T"


_OFFSETS: dict[bytes, str] = {}


def _offset(zone: bytes) -> str | None:
    """ "-0700" as "-07:00"; None if it is no valid offset."""
    hours, minutes = int(zone[1:3]), int(zone[3:5])
    if hours > 23 or minutes > 59:
        return None
    _OFFSETS[zone] = offset = f"{zone[:1].decode('ascii')}{hours:02d}:{minutes:02d}"
    return offset


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
