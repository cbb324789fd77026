"""Read mail from local files, read-only: an mbox file, a Maildir, or a directory of them."""

from __future__ import annotations

import base64
import contextlib
import csv
import dataclasses
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from inbox_audit.errors import FolderNotFound, MailboxError
from inbox_audit.model import ListedFolder, RawMessage, Unreadable
from inbox_audit.sources.spec import Progress

# Longest piece read as one line: binary junk without newlines must not fill memory.
_LINE_LIMIT = 64 * 1024
# A header section larger than this is not a real one (big DKIM/Received chains stay far below).
_HEADER_LIMIT = 1024 * 1024
_SNIFF_BYTES = 4096
_PROGRESS_EVERY = 500
_DELIMITER = "/"
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

# Maildir info suffix (https://cr.yp.to/proto/maildir.html); "!" and ";" stand for ":" on
# filesystems that forbid colons (mutt, Windows ports).
_MAILDIR_INFO = (":2,", "!2,", ";2,")
_MAILDIR_FLAGS = {
    "D": "\\Draft",
    "F": "\\Flagged",
    "R": "\\Answered",
    "S": "\\Seen",
    "T": "\\Deleted",
}

_MBOX_SUFFIXES = {".mbox", ".mbx", ".mbs"}
# Suffixes stripped from a file name to make a folder name.
_NAME_SUFFIXES = _MBOX_SUFFIXES | {".eml", ".txt"}
_PICKED_FIELDS = frozenset(
    {b"status", b"x-status", b"x-mozilla-status", b"x-gmail-labels", b"x-gm-thrid"}
)

# Gmail Takeout system labels, English first, then the localized names seen in exports.
_TAKEOUT_TRASH = {"trash", "bin", "corbeille", "papierkorb", "papelera", "cestino", "prullenbak"}
_TAKEOUT_TRASH |= {"lixeira", "lixo", "kosz", "корзина"}
_TAKEOUT_SPAM = {"spam", "junk", "pourriel", "courrier indésirable", "indésirables"}
_TAKEOUT_DRAFTS = {"drafts", "draft", "brouillons", "entwürfe", "borradores", "bozze"}
_TAKEOUT_DRAFTS |= {"concepten", "rascunhos", "wersje robocze", "черновики"}
_TAKEOUT_SENT = {"sent", "sent mail", "sent messages", "envoyés", "messages envoyés"}
_TAKEOUT_SENT |= {"gesendet", "enviados", "enviadas", "inviati", "posta inviata", "verzonden"}
_TAKEOUT_SENT |= {"itens enviados", "wysłane", "отправленные"}
_TAKEOUT_INBOX = {"inbox", "boîte de réception", "posteingang", "recibidos", "bandeja de entrada"}
_TAKEOUT_INBOX |= {"posta in arrivo", "caixa de entrada", "odebrane", "входящие"}
# Labels that describe a message's state, not where it sits.
_TAKEOUT_STATE = {"important", "starred", "unread", "opened", "archived", "sent and archived"}
_TAKEOUT_STATE |= {"importants", "suivis", "non lus", "ouverts", "wichtig", "markiert"}
_TAKEOUT_ARCHIVE = "Archive"
# Each message goes to exactly one virtual folder, the first that matches (the brief's priority).
_TAKEOUT_PRIORITY: tuple[tuple[set[str], str, frozenset[str]], ...] = (
    (_TAKEOUT_TRASH, "Trash", frozenset({"\\trash"})),
    (_TAKEOUT_SPAM, "Spam", frozenset({"\\junk"})),
    (_TAKEOUT_DRAFTS, "Drafts", frozenset({"\\drafts"})),
    (_TAKEOUT_SENT, "Sent", frozenset({"\\sent"})),
    (_TAKEOUT_INBOX, "INBOX", frozenset()),
)
_TAKEOUT_ORDER = ("INBOX", "Sent", "Drafts", "Spam", "Trash")


@dataclass(frozen=True)
class _MboxFile:
    path: Path


@dataclass(frozen=True)
class _MaildirDir:
    path: Path


@dataclass(frozen=True)
class _TakeoutLabel:
    """One virtual folder of a Gmail Takeout mbox: the messages that _takeout_folder puts there."""

    path: Path
    name: str


_Store = _MboxFile | _MaildirDir | _TakeoutLabel


@dataclass
class _Entry:
    """One message of an mbox file as the scanner found it."""

    from_line: bytes | None  # None for a file holding one bare message (.eml)
    start: int  # byte offset of the header section
    end: int = 0  # byte offset just past the header section
    lines: list[bytes] = field(default_factory=list)  # header lines, LF line ends
    size: int = 0
    oversize: bool = False


@dataclass(frozen=True)
class _Located:
    """Where a Takeout message's header section sits, to read it again by seeking."""

    start: int
    end: int
    from_line: bytes | None
    oversize: bool


class LocalSource:
    """A local mail store opened read-only; implements source.MailSource.

    Nothing is ever written: files are opened "rb" and read by hand, because the stdlib
    mailbox classes may create directories (Maildir) or lock files (mbox).
    """

    def __init__(self, path: Path, folders: dict[str, _Store], takeout: Path | None) -> None:
        self._path = path
        self._folders = folders
        self._takeout = takeout
        self._takeout_index: dict[str, list[_Located]] | None = None
        self._counts: dict[str, int] = {}
        self._closed = False

    @classmethod
    def open(cls, path: Path) -> LocalSource:
        """Recognize the store at `path` (mbox file, Maildir, directory of mbox files)."""
        path = Path(path)
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            raise MailboxError(f"cannot open {path}: {_why(exc)}") from exc
        if stat.S_ISDIR(mode):
            folders = _discover(path)
            if not folders:
                raise MailboxError(
                    f"{path} holds no mbox file and no Maildir (cur/new) folder",
                )
            only = next(iter(folders.values()))
            if len(folders) == 1 and isinstance(only, _MboxFile) and _is_takeout(only.path):
                return cls(path, {}, only.path)
            return cls(path, folders, None)
        if not stat.S_ISREG(mode):
            raise MailboxError(f"{path} is neither a regular file nor a directory")
        head = _sniff(path)
        if head and not _looks_like_mail(head):
            raise MailboxError(
                f"{path} is not an mbox file: it starts with neither a 'From ' line nor a header"
            )
        if head and _is_takeout(path):
            return cls(path, {}, path)
        return cls(path, {_folder_name((_strip_suffix(path.name),)): _MboxFile(path)}, None)

    # -- MailSource ---------------------------------------------------------------------

    def list_folders(self) -> list[ListedFolder]:
        self._check_open()
        if self._takeout is not None:
            index = self._index()
            return [ListedFolder(name, _takeout_attributes(name), _DELIMITER) for name in index]
        return [ListedFolder(name, frozenset(), _DELIMITER) for name in self._folders]

    def message_count(self, folder: str) -> int | None:
        """Exact for Maildir and Takeout folders; for an mbox file only once it was read."""
        store = self._store(folder)
        if isinstance(store, _MaildirDir):
            return len(_maildir_files(store.path))
        if isinstance(store, _TakeoutLabel):
            return len(self._index()[folder])
        return self._counts.get(folder)

    def fetch(
        self, folder: str, progress: Progress | None = None
    ) -> Iterator[RawMessage | Unreadable]:
        """Every message of `folder`, in a stable order: uid = 1-based position."""
        store = self._store(folder)
        if isinstance(store, _MaildirDir):
            return self._fetch_maildir(folder, store.path, progress)
        if isinstance(store, _TakeoutLabel):
            return self._fetch_takeout(folder, store.path, progress)
        return self._fetch_mbox(folder, store.path, progress)

    def close(self) -> None:
        # Every file is opened and closed within one fetch; there is nothing else to release.
        self._closed = True

    def __enter__(self) -> LocalSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise MailboxError(f"{self._path}: the mailbox was closed")

    def _store(self, folder: str) -> _Store:
        self._check_open()
        if self._takeout is not None:
            if folder in self._index():
                return _TakeoutLabel(self._takeout, folder)
        elif folder in self._folders:
            return self._folders[folder]
        raise FolderNotFound(f"no folder {folder!r} in {self._path}")

    def _index(self) -> dict[str, list[_Located]]:
        """Assign every message of the Takeout file to its virtual folder (one full scan)."""
        if self._takeout_index is None:
            assert self._takeout is not None
            found: dict[str, list[_Located]] = {}
            with _open_mbox(self._takeout) as f:
                for entry in _guard(self._takeout, _scan(f)):
                    name = _takeout_folder(_labels(_pick(entry.lines)))[0]
                    located = _Located(entry.start, entry.end, entry.from_line, entry.oversize)
                    found.setdefault(name, []).append(located)
            order = [n for n in _TAKEOUT_ORDER if n in found]
            order += sorted(n for n in found if n not in _TAKEOUT_ORDER)
            self._takeout_index = {n: found[n] for n in order}
        return self._takeout_index

    def _fetch_mbox(
        self, folder: str, path: Path, progress: Progress | None
    ) -> Iterator[RawMessage | Unreadable]:
        with _open_mbox(path) as f:
            size = _file_size(f)
            uid = 0
            for entry in _guard(path, _scan(f)):
                uid += 1
                yield _to_raw(folder, uid, entry.from_line, entry.lines, entry.oversize, path)
                if progress is not None and uid % _PROGRESS_EVERY == 0:
                    # The count is unknown until the end: extrapolate from the bytes read.
                    progress(folder, uid, max(uid, uid * size // max(entry.end, 1)))
        self._counts[folder] = uid
        if progress is not None:
            progress(folder, uid, uid)

    def _fetch_takeout(
        self, folder: str, path: Path, progress: Progress | None
    ) -> Iterator[RawMessage | Unreadable]:
        located = self._index()[folder]
        total = len(located)
        with _open_mbox(path) as f:
            for uid, loc in enumerate(located, start=1):
                try:
                    f.seek(loc.start)
                    data = b"" if loc.oversize else f.read(loc.end - loc.start)
                except OSError as exc:
                    raise MailboxError(f"cannot read {path}: {_why(exc)}") from exc
                lines = _split_lines(data)
                raw = _to_raw(folder, uid, loc.from_line, lines, loc.oversize, path)
                if isinstance(raw, RawMessage):
                    extra = _takeout_flags(_labels(_pick(lines)))
                    raw = dataclasses.replace(raw, flags=raw.flags | extra)
                yield raw
                if progress is not None and uid % _PROGRESS_EVERY == 0:
                    progress(folder, uid, total)
        if progress is not None:
            progress(folder, total, total)

    def _fetch_maildir(
        self, folder: str, path: Path, progress: Progress | None
    ) -> Iterator[RawMessage | Unreadable]:
        files = _maildir_files(path)
        total = len(files)
        for uid, (_, name, sub) in enumerate(files, start=1):
            yield _read_maildir_message(folder, uid, path / sub / name, recent=sub == "new")
            if progress is not None and uid % _PROGRESS_EVERY == 0:
                progress(folder, uid, total)
        if progress is not None:
            progress(folder, total, total)


# -- discovery --------------------------------------------------------------------------


def _why(exc: OSError) -> str:
    """The short reason of an OS error ("permission denied"), without errno or path."""
    return (exc.strerror or type(exc).__name__).lower()


def _is_maildir(path: Path) -> bool:
    # Some exports (mu, mailpile) keep only cur/, so either of cur/ and new/ is enough.
    return _is_dir(path / "cur") or _is_dir(path / "new")


def _is_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.stat().st_mode)
    except OSError:  # Path.is_dir lets PermissionError through
        return False


_MUTF7_RUN = re.compile(r"&([A-Za-z0-9+,]*)-")


def _decode_mutf7(name: str) -> str:
    """Maildir++ folder names are IMAP modified UTF-7 (RFC 3501 §5.1.3), as Dovecot and
    Courier write them: ".Clients.H&APQ-tel" is "Clients/Hôtel". Invalid runs stay as written."""

    def run(match: re.Match[str]) -> str:
        chunk = match.group(1)
        if not chunk:
            return "&"
        data = chunk.replace(",", "/")
        try:
            return base64.b64decode(data + "=" * (-len(data) % 4)).decode("utf-16-be")
        except (ValueError, UnicodeDecodeError):
            return match.group(0)

    return _MUTF7_RUN.sub(run, name)


def _folder_name(parts: tuple[str, ...]) -> str:
    if len(parts) == 1 and parts[0].casefold() == "inbox":
        return "INBOX"  # RFC 3501 §5.1: INBOX is case-insensitive
    return _DELIMITER.join(parts)


def _strip_suffix(name: str) -> str:
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and f".{suffix.lower()}" in _NAME_SUFFIXES:
        return stem
    return name


def _discover(root: Path) -> dict[str, _Store]:
    """Every folder under a directory: Maildir, Maildir++, nested Maildirs, mbox files."""
    found: list[tuple[tuple[str, ...], _Store]] = []
    root_is_maildir = _is_maildir(root)
    if root_is_maildir:
        found.append((("INBOX",), _MaildirDir(root)))
    _walk(root, (), root_is_maildir, found, set())
    folders: dict[str, _Store] = {}
    for parts, store in found:
        name = base = _folder_name(parts)
        n = 1
        while name in folders:  # e.g. both "Inbox" and "Inbox.mbox"
            n += 1
            name = f"{base} ({n})"
        folders[name] = store
    return folders


def _walk(
    directory: Path,
    parts: tuple[str, ...],
    is_maildir: bool,
    found: list[tuple[tuple[str, ...], _Store]],
    seen: set[tuple[int, int]],
) -> None:
    try:
        st = directory.stat()
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        raise MailboxError(f"cannot list {directory}: {_why(exc)}") from exc
    if (st.st_dev, st.st_ino) in seen:  # a symlink loop
        return
    seen.add((st.st_dev, st.st_ino))
    for entry in entries:
        name = entry.name
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()
            is_file = not is_dir and entry.is_file()
        except OSError:
            continue
        if is_dir:
            if is_maildir and name in {"cur", "new", "tmp"}:
                continue
            if name.endswith(".sbd") and len(name) > 4:
                # Thunderbird keeps the subfolders of mbox file "X" in directory "X.sbd".
                _walk(path, (*parts, name[:-4]), _is_maildir(path), found, seen)
            elif name.startswith("."):
                # Maildir++: ".Archives.Clients" is Archives/Clients; other dot dirs are
                # tool state (.notmuch, .git...).
                sub = tuple(_decode_mutf7(p) for p in name[1:].split(".") if p)
                if sub and _is_maildir(path):
                    found.append(((*parts, *sub), _MaildirDir(path)))
            elif _is_maildir(path):
                found.append(((*parts, name), _MaildirDir(path)))
                _walk(path, (*parts, name), True, found, seen)
            else:
                _walk(path, (*parts, name), False, found, seen)
        elif is_file and not is_maildir and not name.startswith(".") and _is_mbox_file(path):
            found.append(((*parts, _strip_suffix(name)), _MboxFile(path)))


def _sniff(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(_SNIFF_BYTES)
    except OSError as exc:
        raise MailboxError(f"cannot read {path}: {_why(exc)}") from exc


def _looks_like_mail(head: bytes) -> bool:
    """Whether a file starts like an mbox ("From " line) or like a bare message (a header)."""
    head = head.removeprefix(_BOM).lstrip()
    return head.startswith(b"From ") or _HEADER_FIELD.match(head) is not None


def _is_mbox_file(path: Path) -> bool:
    """In a directory, which files are folders: mbox content, or empty Thunderbird folders."""
    suffix = path.suffix.lower()
    try:
        with path.open("rb") as f:
            head = f.read(_SNIFF_BYTES)
    except OSError:
        # Unreadable: keep it when its name says mbox, so fetch reports the error.
        return suffix in _MBOX_SUFFIXES
    if not head:
        return suffix in _MBOX_SUFFIXES or not suffix  # Thunderbird's empty "Trash"
    if suffix in _MBOX_SUFFIXES:
        return _looks_like_mail(head)
    return head.removeprefix(_BOM).lstrip().startswith(b"From ")


# -- mbox -------------------------------------------------------------------------------


def _open_mbox(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise MailboxError(f"cannot read {path}: {_why(exc)}") from exc


def _file_size(f: BinaryIO) -> int:
    try:
        return os.fstat(f.fileno()).st_size
    except OSError:
        return 0


def _guard(path: Path, entries: Iterator[_Entry]) -> Iterator[_Entry]:
    """Turn an I/O error in the middle of a file into MailboxError."""
    try:
        yield from entries
    except OSError as exc:
        raise MailboxError(f"cannot read {path}: {_why(exc)}") from exc


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
    head = f.read(_SNIFF_BYTES)
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


def _scan(f: BinaryIO) -> Iterator[_Entry]:
    """Split an mbox file into messages, streaming; keep header lines, skip bodies."""
    readline = _line_reader(f)
    pos = 0
    line = readline(_LINE_LIMIT)
    if line.startswith(_BOM):
        pos, line = len(_BOM), line[len(_BOM) :]
    while line and not line.strip():  # blank or white space only, before anything else
        pos += len(line)
        line = readline(_LINE_LIMIT)
    entry: _Entry | None = None
    in_headers = False
    prev_blank = True
    line_start = True  # `line` begins a line (the one before it ended with "\n")
    skip_rest = False  # inside an overlong "From " line
    while line:
        nxt = readline(_LINE_LIMIT)
        if not in_headers and entry is not None and not line.startswith(b"From "):
            # A body line, by far the most common case: only remember whether it was blank.
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
            entry = _Entry(from_line=line, start=pos + len(line))
            in_headers = True
            skip_rest = not ends
        elif entry is None:
            # No "From " line first: a single bare message (.eml), or junk.
            entry = _Entry(from_line=None, start=pos)
            in_headers = True
            _add_header_line(entry, line)
        elif in_headers:
            if line_start and _is_blank(line):
                entry.end = pos
                in_headers = False
                yield entry
            else:
                _add_header_line(entry, line)
        prev_blank = line_start and _is_blank(line)
        line_start = ends
        pos += len(line)
        line = nxt
    if entry is not None and in_headers:
        entry.end = pos
        yield entry


def _add_header_line(entry: _Entry, line: bytes) -> None:
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


def _split_lines(data: bytes) -> list[bytes]:
    """Header bytes read back by seeking, as the scanner's lines (LF line ends)."""
    lines = [ln + b"\n" for ln in data.replace(b"\r\n", b"\n").split(b"\n")]
    if lines and lines[-1] == b"\n":
        lines.pop()
    if lines and not data.endswith(b"\n"):
        lines[-1] = lines[-1][:-1]
    return lines


def _to_raw(
    folder: str,
    uid: int,
    from_line: bytes | None,
    lines: list[bytes],
    oversize: bool,
    path: Path,
) -> RawMessage | Unreadable:
    if oversize:
        return Unreadable(folder, uid, f"header section over 1 MiB in {path.name}")
    first = next((ln for ln in lines if not ln.startswith(b">From ")), b"")
    if _HEADER_FIELD.match(first) is None:
        return Unreadable(folder, uid, f"no header fields: not a mail message ({path.name})")
    header = b"".join(lines)
    if not header.endswith(b"\n"):
        header += b"\n"
    fields = _pick(lines)
    return RawMessage(
        folder=folder,
        uid=uid,
        internal_date=_from_line_date(from_line),
        flags=_mbox_flags(fields),
        header_bytes=header + b"\n",
        conversation_id=_thread_id(fields),
    )


def _pick(lines: list[bytes]) -> dict[bytes, bytes]:
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
    return when.astimezone(UTC) if _EARLIEST <= when < _LATEST else None


def _zone(text: bytes | None) -> timezone | None:
    if text is None:
        return None
    if text[:1] in (b"+", b"-"):
        minutes = int(text[1:3]) * 60 + int(text[3:5])
        if minutes >= 24 * 60:
            return None
        return timezone(timedelta(minutes=-minutes if text[:1] == b"-" else minutes))
    return UTC if text.lower() in _UTC_NAMES else None


# -- Gmail Takeout ----------------------------------------------------------------------


def _is_takeout(path: Path) -> bool:
    """Whether the first messages of an mbox carry Gmail's X-Gmail-Labels header."""
    try:
        with path.open("rb") as f:
            for n, entry in enumerate(_scan(f)):
                if b"x-gmail-labels" in _pick(entry.lines):
                    return True
                if n >= 9:
                    break
    except OSError as exc:
        raise MailboxError(f"cannot read {path}: {_why(exc)}") from exc
    return False


def _labels(fields: dict[bytes, bytes]) -> list[str]:
    """X-Gmail-Labels as a list: comma-separated, quoted when a label holds a comma."""
    raw = fields.get(b"x-gmail-labels")
    if raw is None:
        return []
    text = raw.decode("utf-8", "replace")
    # Labels may be RFC 2047 encoded; keep the raw text when the encoding is broken.
    if "=?" in text:
        with contextlib.suppress(HeaderParseError, LookupError, UnicodeError, ValueError):
            text = str(make_header(decode_header(text)))
    row = next(csv.reader([text], skipinitialspace=True), [])
    return [label.strip() for label in row if label.strip()]


def _takeout_folder(labels: list[str]) -> tuple[str, frozenset[str]]:
    folded = {label.casefold() for label in labels}
    for names, folder, attributes in _TAKEOUT_PRIORITY:
        if folded & names:
            return folder, attributes
    for label in labels:
        low = label.casefold()
        if low not in _TAKEOUT_STATE and not low.startswith("category "):
            return label, frozenset()
    return _TAKEOUT_ARCHIVE, frozenset({"\\archive"})


def _takeout_attributes(name: str) -> frozenset[str]:
    for _, folder, attributes in _TAKEOUT_PRIORITY:
        if folder == name:
            return attributes
    return frozenset({"\\archive"}) if name == _TAKEOUT_ARCHIVE else frozenset()


def _takeout_flags(labels: list[str]) -> frozenset[str]:
    folded = {label.casefold() for label in labels}
    flags: set[str] = set()
    if "opened" in folded:
        flags.add("\\Seen")
    if "starred" in folded:
        flags.add("\\Flagged")
    if folded & _TAKEOUT_DRAFTS:
        flags.add("\\Draft")
    return frozenset(flags)


# -- Maildir ----------------------------------------------------------------------------


def _maildir_files(path: Path) -> list[tuple[str, str, str]]:
    """(unique name, file name, "cur"/"new") of every message, sorted by unique name.

    Sorting by the unique part keeps uids stable when a flag changes the info suffix or a
    reader moves a file from new/ to cur/.
    """
    files: list[tuple[str, str, str]] = []
    for sub in ("cur", "new"):
        try:
            with os.scandir(path / sub) as it:
                for entry in it:
                    if entry.name.startswith("."):
                        continue
                    try:
                        if not entry.is_file():
                            continue
                    except OSError:
                        pass  # listed, so it exists: let reading it report the problem
                    files.append((_maildir_unique(entry.name), entry.name, sub))
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise MailboxError(f"cannot list {path / sub}: {_why(exc)}") from exc
    files.sort()
    return files


def _maildir_unique(name: str) -> str:
    for sep in _MAILDIR_INFO:
        if sep in name:
            return name.rpartition(sep)[0]
    return name


def _maildir_flags(name: str, recent: bool) -> frozenset[str]:
    flags = {"\\Recent"} if recent else set()
    for sep in _MAILDIR_INFO:
        if sep in name:
            info = name.rpartition(sep)[2]
            flags.update(_MAILDIR_FLAGS[c] for c in info if c in _MAILDIR_FLAGS)
            break
    return frozenset(flags)


def _maildir_date(name: str) -> datetime | None:
    """The delivery time that starts a Maildir file name ("1700000000.M12P34.host")."""
    seconds = name.partition(".")[0]
    if not seconds.isdigit() or len(seconds) > 12:
        return None
    when = datetime.fromtimestamp(int(seconds), UTC)
    return when if _EARLIEST <= when < _LATEST else None


def _read_maildir_message(
    folder: str, uid: int, path: Path, recent: bool
) -> RawMessage | Unreadable:
    # A Maildir file is one message, often with the mbox "From " line left in: scan it as a
    # one-message mbox.
    try:
        with path.open("rb") as f:
            entry = next(_scan(f), None)
    except OSError as exc:
        return Unreadable(folder, uid, f"cannot read {path.name}: {_why(exc)}")
    if entry is None:
        return Unreadable(folder, uid, f"empty message file {path.name}")
    raw = _to_raw(folder, uid, None, entry.lines, entry.oversize, path)
    if isinstance(raw, Unreadable):
        return raw
    # The file name, not Status headers, holds a Maildir message's flags and delivery time.
    return dataclasses.replace(
        raw, internal_date=_maildir_date(path.name), flags=_maildir_flags(path.name, recent)
    )
