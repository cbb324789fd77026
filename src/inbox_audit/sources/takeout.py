"""Gmail Takeout's one mbox seen as folders: each message filed by its X-Gmail-Labels."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from pathlib import Path
from typing import BinaryIO

from inbox_audit.core.fields import TEXT_BYTES
from inbox_audit.model import RawMessage, Unreadable
from inbox_audit.sources.mbox import (
    cannot_read,
    guard,
    open_mbox,
    pick,
    scan,
    split_lines,
    to_raw,
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
class Located:
    """Where a Takeout message's header section sits, to read it again by seeking."""

    start: int
    end: int
    from_line: bytes | None
    oversize: bool


def is_takeout(path: Path) -> bool:
    """Whether the first messages of an mbox carry Gmail's X-Gmail-Labels header."""
    try:
        with path.open("rb") as f:
            for n, entry in enumerate(scan(f)):
                if b"x-gmail-labels" in pick(entry.lines):
                    return True
                if n >= 9:
                    break
    except OSError as exc:
        raise cannot_read(path, exc) from exc
    return False


def virtual_folders(path: Path) -> dict[str, list[Located]]:
    """Every message of the Takeout file in its virtual folder (one full scan), the folders
    in _TAKEOUT_ORDER, then the user's labels sorted."""
    found: dict[str, list[Located]] = {}
    with open_mbox(path) as f:
        for entry in guard(path, scan(f)):
            name = _takeout_folder(_labels(pick(entry.lines)))[0]
            located = Located(entry.start, entry.end, entry.from_line, entry.oversize)
            found.setdefault(name, []).append(located)
    order = [n for n in _TAKEOUT_ORDER if n in found]
    order += sorted(n for n in found if n not in _TAKEOUT_ORDER)
    return {n: found[n] for n in order}


def read_located(
    f: BinaryIO, folder: str, uid: int, loc: Located, path: Path
) -> RawMessage | Unreadable:
    """The message at `loc` of the open Takeout file, its labels turned into flags."""
    try:
        f.seek(loc.start)
        data = b"" if loc.oversize else f.read(loc.end - loc.start)
        # The blank line that ends the header, then the body's start (as scan keeps it).
        after = b"" if loc.oversize else f.read(TEXT_BYTES + 2)
    except OSError as exc:
        raise cannot_read(path, exc) from exc
    text = after.removeprefix(b"\r\n") if after.startswith(b"\r") else after.removeprefix(b"\n")
    text, separator, _ = text[:TEXT_BYTES].partition(b"\nFrom ")  # not the next message
    if not separator and len(after) <= TEXT_BYTES:  # the file's end: its last line break too
        text = text.removesuffix(b"\n")
    lines = split_lines(data)
    raw = to_raw(folder, uid, loc.from_line, lines, loc.oversize, path, text)
    if isinstance(raw, RawMessage):
        extra = _takeout_flags(_labels(pick(lines)))
        raw = dataclasses.replace(raw, flags=raw.flags | extra)
    return raw


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


def folder_attributes(name: str) -> frozenset[str]:
    """The special-use attributes (RFC 6154) of a virtual folder: \\Sent for "Sent"..."""
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
