"""The LIST and STATUS responses (RFC 3501 §7.2), and folder names in modified UTF-7."""

from __future__ import annotations

import imaplib

from imapclient import imap_utf7

from inbox_audit.errors import N_
from inbox_audit.model import FolderStatus, ListedFolder
from inbox_audit.sources.fetch import Value, values
from inbox_audit.sources.wire import quoted

_UNSELECTABLE = frozenset({"\\noselect", "\\nonexistent"})


def listed_folder(found: list[Value]) -> ListedFolder:
    """A LIST response's "(attributes) delimiter name" (RFC 3501 §7.2.2)."""
    flags = found[0] if found else None
    if len(found) < 3 or not isinstance(flags, list):
        raise imaplib.IMAP4.error(f"unexpected LIST response: {found!r:.100}")
    delimiter, name = found[1:3]
    attributes = frozenset(as_text(flag).lower() for flag in flags)
    return ListedFolder(
        name=folder_name(name),
        attributes=attributes,
        delimiter=as_text(delimiter) if delimiter else None,
        selectable=not (attributes & _UNSELECTABLE),
    )


def listed_or_unparsed(text: bytes, literals: list[bytes]) -> ListedFolder:
    """A LIST response's folder (what follows "* LIST "). One that cannot be parsed at all is
    listed as a folder not read, named by the response as it came (escaped): one odd line
    must not stop the audit of every other folder, nor hide that some mail was not read."""
    try:
        return listed_folder(values(text, literals))
    except (ValueError, imaplib.IMAP4.error):
        return ListedFolder(
            name=_shown(text),
            attributes=frozenset(),
            selectable=False,
            unread=N_("the server's LIST response for it could not be parsed"),
        )


def _shown(raw: bytes, limit: int = 100) -> str:
    """Raw server bytes as one printable line: control characters (a terminal's escape
    sequences, line breaks) and bytes that are not UTF-8 as backslash escapes."""
    text = raw.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
    text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def status_of(found: list[Value]) -> tuple[str, FolderStatus]:
    """A STATUS response's "name (ITEM number ...)" (RFC 3501 §7.2.4)."""
    if len(found) < 2 or not isinstance(found[1], list):
        raise imaplib.IMAP4.error(f"unexpected STATUS response: {found!r:.100}")
    pairs = found[1]
    items = {as_text(k).upper(): v for k, v in zip(pairs[::2], pairs[1::2], strict=False)}
    modseq = items.get("HIGHESTMODSEQ")
    return folder_name(found[0]), FolderStatus(
        messages=as_int(items.get("MESSAGES")),
        uidnext=as_int(items.get("UIDNEXT")),
        uidvalidity=as_int(items.get("UIDVALIDITY")),
        # RFC 7162 §3.1.2.1: 0 means the mailbox does not support persistent modseqs.
        highestmodseq=modseq if isinstance(modseq, int) and modseq > 0 else None,
    )


def folder_name(raw: object) -> str:
    """Folder names travel in modified UTF-7 (RFC 3501 §5.1.3); some servers send bare
    numbers, which read as numbers."""
    if isinstance(raw, bytes):
        if not raw.isascii():
            # Raw UTF-8: what servers send once UTF8=ACCEPT is on (RFC 6855 §3), and some
            # send anyway. Modified UTF-7 is ASCII only, so nothing else reads as this.
            return raw.decode("utf-8", "replace")
        return str(imap_utf7.decode(raw))
    return str(raw)


def mailbox(name: str) -> bytes:
    return quoted(imap_utf7.encode(name))


def as_int(value: object) -> int:
    return value if isinstance(value, int) else 0


def as_text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
