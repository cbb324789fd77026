"""mbox files read by hand: messages split at "From " lines, their header sections, their flags."""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

from inbox_audit.core.fields import TEXT_BYTES
from inbox_audit.errors import MailboxError
from inbox_audit.i18n import _
from inbox_audit.model import RawMessage, Unreadable

# Longest piece read as one line: binary junk without newlines must not fill memory.
_LINE_LIMIT = 64 * 1024
# A header section larger than this is not a real one (big DKIM/Received chains stay far below).
_HEADER_LIMIT = 1024 * 1024
#: How much of a file is read to recognise what it holds.
SNIFF_BYTES = 4096
_BOM = b"\xef\xbb\xbf"

# Dates outside this range are placeholders (Thunderbird's "From - ... 1965") or garbage.
_EARLIEST = datetime(1980, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)

# RFC 5322 §2.2: a field name is printable US-ASCII except ":"; obsolete syntax (§4.5) allows
# white space before the colon.
_HEADER_FIELD = re.compile(rb"[!-9;-~]+[ \t]*:")

_MONTHS = {
    m: i
    for i, m in enumerate(
        b"jan feb mar apr may jun jul aug sep oct nov dec".split(),
        start=1,
    )
}
# The asctime() date of an mbox "From " line, with an optional zone before or after the year:
# "Mon Jan  1 00:00:00 2001", "Tue Jan 01 00:00:00 +0000 2019" (Gmail Takeout),
# "Wed Sep 22 05:05:28 2004 -0700".
_FROM_DATE = re.compile(
    rb"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+"
    rb"(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+(?P<day>\d{1,2})\s+"
    rb"(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?"
    rb"(?:\s+(?P<tz1>[+-]\d{4}|[a-z]{1,5}))?\s+(?P<year>\d{4})"
    rb"(?:\s+(?P<tz2>[+-]\d{4}|[a-z]{1,5}))?",
    re.IGNORECASE,
)
_LONE_FROM = re.compile(rb"From [^ \t\r\n]+[ \t]*\r?\n?\Z")
_UTC_NAMES = {b"utc", b"gmt", b"ut", b"z"}
_PICKED_FIELDS = frozenset(
    {b"status", b"x-status", b"x-mozilla-status", b"x-gmail-labels", b"x-gm-thrid"}
)


@dataclass
class Entry:
    """One message of an mbox file as the scanner found it."""

    from_line: bytes | None  # None for a file holding one bare message (.eml)
    start: int  # byte offset of the header section
    end: int = 0  # byte offset just past the header section
    lines: list[bytes] = field(default_factory=list)  # header lines, LF line ends
    size: int = 0
    oversize: bool = False
    text: bytes = b""  # the first TEXT_BYTES of the body, as IMAP's BODY.PEEK[TEXT]<0.2048>


def why(exc: OSError) -> str:
    """The short reason of an OS error ("permission denied"), without errno or path, in the
    owner's language for the usual ones (the C library's own words are English here)."""
    worded = {
        errno.EACCES: _("permission denied"),
        errno.EPERM: _("operation not permitted"),
        errno.ENOENT: _("no such file or directory"),
        errno.EISDIR: _("is a directory"),
        errno.ENOTDIR: _("not a directory"),
        errno.EIO: _("input/output error"),
        errno.ELOOP: _("too many levels of symbolic links"),
    }.get(exc.errno or 0)
    return worded or (exc.strerror or type(exc).__name__).lower()


def cannot_read(path: Path, exc: OSError) -> MailboxError:
    """The error for a mail file or folder that cannot be read."""
    return MailboxError(_("cannot read {path}: {reason}").format(path=path, reason=why(exc)))


def cannot_list(path: Path, exc: OSError) -> MailboxError:
    """The error for a folder whose entries cannot be listed."""
    return MailboxError(_("cannot list {path}: {reason}").format(path=path, reason=why(exc)))


def plausible(when: datetime) -> bool:
    """Whether a date read from a file (a "From " line, a Maildir name) can be a real one."""
    return _EARLIEST <= when < _LATEST


def looks_like_mail(head: bytes) -> bool:
    """Whether a file starts like an mbox ("From " line) or like a bare message (a header)."""
    return opens_with_from(head) or _HEADER_FIELD.match(_opening(head)) is not None


def opens_with_from(head: bytes) -> bool:
    """Whether a file starts with an mbox "From " line (after a BOM or blank lines)."""
    return _opening(head).startswith(b"From ")


def _opening(head: bytes) -> bytes:
    return head.removeprefix(_BOM).lstrip()


def open_mbox(path: Path) -> BinaryIO:
    """`path` opened for reading bytes; MailboxError when it cannot be."""
    try:
        return path.open("rb")
    except OSError as exc:
        raise cannot_read(path, exc) from exc


def file_size(f: BinaryIO) -> int:
    """The size of an open file, 0 when the system cannot tell."""
    try:
        return os.fstat(f.fileno()).st_size
    except OSError:
        return 0


def guard(path: Path, entries: Iterator[Entry]) -> Iterator[Entry]:
    """Turn an I/O error in the middle of a file into MailboxError."""
    try:
        yield from entries
    except OSError as exc:
        raise cannot_read(path, exc) from exc


def _is_blank(line: bytes) -> bool:
    return line == b"\n" or line == b"\r\n"


def _is_separator(line: bytes, nxt: bytes, in_headers: bool, prev_blank: bool) -> bool:
    """Whether a line starting with "From " opens a new message.

    mboxo/mboxrd writers escape body lines starting "From " (">From "), but mboxcl files and
    careless exporters do not. So besides the usual rule (after a blank line), ask for one
    more sign: an asctime() date on the line, or a header field on the next line.
    """
    strong = _FROM_DATE.search(line) is not None
    next_is_header = _HEADER_FIELD.match(nxt) is not None
    if in_headers or prev_blank:  # "From " (no colon) is never a header field itself
        return strong or next_is_header
    # The blank line was lost (mboxcl files relying on Content-Length do this): demand a
    # header next, and a date or a lone sender token ("From - ", "From 1234@xxx") as
    # body text rarely has.
    return next_is_header and (strong or _LONE_FROM.match(line) is not None)


def _line_reader(f: BinaryIO) -> Callable[[int], bytes]:
    """f.readline, or for a file with classic Mac line ends (CR only) a reader that splits
    on CR and hands lines back ending in LF, so that offsets stay those of the file."""
    head = f.read(SNIFF_BYTES)
    f.seek(0)
    if b"\n" in head or b"\r" not in head:
        return f.readline
    return _CrLines(f).readline


class _CrLines:
    def __init__(self, f: BinaryIO) -> None:
        self._f = f
        self._buffer = b""

    def readline(self, limit: int) -> bytes:
        while b"\r" not in self._buffer[:limit] and len(self._buffer) < limit:
            chunk = self._f.read(_LINE_LIMIT)
            if not chunk:
                break
            self._buffer += chunk
        end = self._buffer.find(b"\r", 0, limit)
        cut = end + 1 if end >= 0 else min(limit, len(self._buffer))
        line, self._buffer = self._buffer[:cut], self._buffer[cut:]
        return line[:-1] + b"\n" if end >= 0 else line


def scan(f: BinaryIO) -> Iterator[Entry]:
    """Split an mbox file into messages, streaming; keep header lines and the body's first
    TEXT_BYTES, skip the rest."""
    readline = _line_reader(f)
    pos = 0
    line = readline(_LINE_LIMIT)
    if line.startswith(_BOM):
        pos, line = len(_BOM), line[len(_BOM) :]
    while line and not line.strip():  # blank or white space only, before anything else
        pos += len(line)
        line = readline(_LINE_LIMIT)
    entry: Entry | None = None
    in_headers = False
    prev_blank = True
    line_start = True  # `line` begins a line (the one before it ended with "\n")
    skip_rest = False  # inside an overlong "From " line
    body: list[bytes] | None = None  # the start of the body of `entry`, until it is yielded
    taken = 0
    while line:
        nxt = readline(_LINE_LIMIT)
        if not in_headers and entry is not None and not line.startswith(b"From "):
            # A body line, by far the most common case: only remember whether it was blank,
            # and keep it while the body's start is short.
            if body is not None:
                body.append(line)
                taken += len(line)
                if taken >= TEXT_BYTES:
                    entry.text = b"".join(body)[:TEXT_BYTES]
                    body = None
                    yield entry
            prev_blank = line_start and (line == b"\n" or line == b"\r\n")
            line_start = line.endswith(b"\n")
            pos += len(line)
            line = nxt
            continue
        ends = line.endswith(b"\n")
        if skip_rest:
            skip_rest = not ends
            if entry is not None:
                entry.start = pos + len(line)
        elif (
            line_start
            and line.startswith(b"From ")
            and (entry is None or _is_separator(line, nxt, in_headers, prev_blank))
        ):
            if entry is not None and in_headers:
                entry.end = pos
                yield entry
            elif entry is not None and body is not None:
                entry.text = _text(body)
                yield entry
            body = None
            entry = Entry(from_line=line, start=pos + len(line))
            in_headers = True
            skip_rest = not ends
        elif entry is None:
            # No "From " line first: a single bare message (.eml), or junk.
            entry = Entry(from_line=None, start=pos)
            in_headers = True
            _add_header_line(entry, line)
        elif in_headers:
            if line_start and _is_blank(line):
                entry.end = pos
                in_headers = False
                body, taken = [], 0  # yielded once the body's start is read
            else:
                _add_header_line(entry, line)
        elif body is not None:  # a body line that starts with "From " but separates nothing
            body.append(line)
            taken += len(line)
        prev_blank = line_start and _is_blank(line)
        line_start = ends
        pos += len(line)
        line = nxt
    if entry is not None and in_headers:
        entry.end = pos
        yield entry
    elif entry is not None and body is not None:
        entry.text = _text(body)
        yield entry


def _text(body: list[bytes]) -> bytes:
    # The line break before the next "From " line belongs to the separator (RFC 4155).
    text = b"".join(body)[:TEXT_BYTES]
    return text[:-2] if text.endswith(b"\r\n") else text[:-1] if text.endswith(b"\n") else text


def _add_header_line(entry: Entry, line: bytes) -> None:
    entry.size += len(line)
    if entry.oversize:
        return
    if entry.size > _HEADER_LIMIT:
        entry.oversize = True
        entry.lines = []
        return
    if line.endswith(b"\r\n"):
        line = line[:-2] + b"\n"
    entry.lines.append(line)


def split_lines(data: bytes) -> list[bytes]:
    """Header bytes read back by seeking, as the scanner's lines (LF line ends)."""
    lines = [ln + b"\n" for ln in data.replace(b"\r\n", b"\n").split(b"\n")]
    if lines and lines[-1] == b"\n":
        lines.pop()
    if lines and not data.endswith(b"\n"):
        lines[-1] = lines[-1][:-1]
    return lines


def to_raw(
    folder: str,
    uid: int,
    from_line: bytes | None,
    lines: list[bytes],
    oversize: bool,
    path: Path,
    text: bytes,
) -> RawMessage | Unreadable:
    if oversize:
        return Unreadable(folder, uid, f"header section over 1 MiB in {path.name}")
    first = next((ln for ln in lines if not ln.startswith(b">From ")), b"")
    if _HEADER_FIELD.match(first) is None:
        return Unreadable(folder, uid, f"no header fields: not a mail message ({path.name})")
    header = b"".join(lines)
    if not header.endswith(b"\n"):
        header += b"\n"
    fields = pick(lines)
    return RawMessage(
        folder=folder,
        uid=uid,
        internal_date=_from_line_date(from_line),
        flags=_mbox_flags(fields),
        header_bytes=header + b"\n",
        conversation_id=_thread_id(fields),
        text_start=text,
    )


def pick(lines: list[bytes]) -> dict[bytes, bytes]:
    """The few header fields the source itself reads (flags, labels), unfolded."""
    out: dict[bytes, bytes] = {}
    current: bytes | None = None
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            if current is not None:
                out[current] += b" " + line.strip()
            continue
        current = None
        if line[:1] not in (b"S", b"s", b"X", b"x"):
            continue
        name, colon, value = line.partition(b":")
        key = name.strip().lower()
        if colon and key in _PICKED_FIELDS and key not in out:
            out[key] = value.strip()
            current = key
    return out


def _mbox_flags(fields: dict[bytes, bytes]) -> frozenset[str]:
    flags: set[str] = set()
    # Status/X-Status as written by mutt, Pine and c-client: R read, O old; A answered,
    # F flagged, D deleted.
    if b"R" in fields.get(b"status", b""):
        flags.add("\\Seen")
    x_status = fields.get(b"x-status", b"")
    for letter, flag in ((b"A", "\\Answered"), (b"F", "\\Flagged"), (b"D", "\\Deleted")):
        if letter in x_status:
            flags.add(flag)
    # Thunderbird: X-Mozilla-Status is hex; 0x1 read, 0x2 replied, 0x4 marked, 0x8 expunged
    # (nsMsgMessageFlags.idl).
    try:
        mozilla = int(fields.get(b"x-mozilla-status", b"").decode("ascii"), 16)
    except (ValueError, UnicodeDecodeError):
        mozilla = 0
    for bit, flag in ((1, "\\Seen"), (2, "\\Answered"), (4, "\\Flagged"), (8, "\\Deleted")):
        if mozilla & bit:
            flags.add(flag)
    return frozenset(flags)


def _thread_id(fields: dict[bytes, bytes]) -> str | None:
    # Gmail Takeout writes the thread id as X-GM-THRID, as IMAP's X-GM-THRID fetch item.
    value = fields.get(b"x-gm-thrid", b"").decode("ascii", "replace").strip()
    return value or None


def _from_line_date(from_line: bytes | None) -> datetime | None:
    """The date of an mbox "From " line, when it names its zone and is plausible.

    A date without a zone is in the local time of whatever wrote the file (an MTA, or
    Thunderbird at download time), so it is not used: the Received header, which has a
    zone, is the better arrival time and the parser falls back to it.
    """
    if from_line is None:
        return None
    match = _FROM_DATE.search(from_line)
    if match is None:
        return None
    zone = _zone(match.group("tz1") or match.group("tz2"))
    if zone is None:
        return None
    try:
        when = datetime(
            int(match.group("year")),
            _MONTHS[match.group("mon")[:3].lower()],
            int(match.group("day")),
            int(match.group("h")),
            int(match.group("m")),
            int(match.group("s") or 0),
            tzinfo=zone,
        )
    except ValueError:
        return None
    return when.astimezone(UTC) if plausible(when) else None


def _zone(text: bytes | None) -> timezone | None:
    if text is None:
        return None
    if text[:1] in (b"+", b"-"):
        minutes = int(text[1:3]) * 60 + int(text[3:5])
        if minutes >= 24 * 60:
            return None
        return timezone(timedelta(minutes=-minutes if text[:1] == b"-" else minutes))
    return UTC if text.lower() in _UTC_NAMES else None
