"""The floor: plain imaplib reading what the audit reads, with the bytes thrown away.

Same TLS, same FETCH items (given: run.py takes them from the client's own UID FETCH, as the
proxy's tap saw it), same folders; per folder one EXAMINE and one `UID FETCH 1:*`, one
command at a time as imaplib does it, then LOGOUT. No parsing, no audit: what any client has
to pay to read the data.
"""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Sequence
from pathlib import Path

from imapclient import imap_utf7


def items_for(fields: Sequence[str]) -> str:
    """FETCH items for these header fields, as the audit asks for them."""
    names = " ".join(name.upper() for name in fields)
    return f"(UID FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS ({names})])"


def items_of(command: str) -> str | None:
    """The items of a `tag UID FETCH <set> <items>` command that reads header fields."""
    found = re.match(r"\S+ UID FETCH \S+ (\(.*BODY\.PEEK\[HEADER\.FIELDS .*\))$", command, re.I)
    return found.group(1) if found else None


def fetch_floor(
    host: str,
    port: int,
    user: str,
    password: str,
    ca_file: Path,
    folders: Sequence[str],
    items: str,
) -> tuple[int, int]:
    """(messages, bytes of FETCH data) read from `folders` over implicit TLS."""
    context = ssl.create_default_context(cafile=str(ca_file))
    messages = size = 0
    imap = imaplib.IMAP4_SSL(host, port, ssl_context=context)
    try:
        imap.login(user, password)
        for folder in folders:
            typ, data = imap.select(_mailbox(folder), readonly=True)
            _check(typ, f"EXAMINE {folder}")
            if int(data[0] or 0) == 0:
                continue
            typ, data = imap.uid("FETCH", "1:*", items)
            _check(typ, f"UID FETCH in {folder}")
            for item in data:
                if isinstance(item, tuple):
                    messages += 1
                    size += len(item[0]) + len(item[1])
    finally:
        imap.logout()
    return messages, size


def _check(typ: str, what: str) -> None:
    if typ != "OK":
        raise RuntimeError(f"{what} failed: {typ}")


def _mailbox(name: str) -> str:
    encoded: str = imap_utf7.encode(name).decode("ascii")  # imapclient has no type hints
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'
