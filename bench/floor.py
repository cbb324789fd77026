"""The floor: plain imaplib fetching what the audit fetches, with the bytes thrown away.

Same TLS, same items (FLAGS, INTERNALDATE and BODY.PEEK[HEADER.FIELDS (...)] of
headers.HEADER_FIELDS), same batches of UIDs per UID FETCH as ImapSource; one command at a
time, as imaplib does it. No parsing, no audit: what any client has to pay to read the data.
"""

from __future__ import annotations

import imaplib
import ssl
from collections.abc import Sequence
from pathlib import Path

from imapclient import imap_utf7

from inbox_audit.core.fields import HEADER_FIELDS

BATCH = 2000  # ImapSource.BATCH_SIZE
ITEMS = (
    "(UID FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS ("
    + " ".join(name.upper() for name in HEADER_FIELDS)
    + ")])"
)


def fetch_floor(
    host: str,
    port: int,
    user: str,
    password: str,
    ca_file: Path,
    folders: Sequence[str],
) -> tuple[int, int]:
    """(messages, header bytes) read from `folders` over implicit TLS."""
    context = ssl.create_default_context(cafile=str(ca_file))
    messages = size = 0
    imap = imaplib.IMAP4_SSL(host, port, ssl_context=context)
    try:
        imap.login(user, password)
        for folder in folders:
            typ, _ = imap.select(_mailbox(folder), readonly=True)
            _check(typ, f"EXAMINE {folder}")
            typ, data = imap.uid("SEARCH", "ALL")
            _check(typ, "UID SEARCH")
            uids = [int(uid) for uid in (data[0] or b"").split()]
            for start in range(0, len(uids), BATCH):
                typ, data = imap.uid("FETCH", _sequence_set(uids[start : start + BATCH]), ITEMS)
                _check(typ, "UID FETCH")
                for item in data:
                    if isinstance(item, tuple):
                        messages += 1
                        size += len(item[1])
            imap.close()
    finally:
        imap.logout()
    return messages, size


def _check(typ: str, what: str) -> None:
    if typ != "OK":
        raise RuntimeError(f"{what} failed: {typ}")


def _mailbox(name: str) -> str:
    encoded: str = imap_utf7.encode(name).decode("ascii")  # imapclient has no type hints
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sequence_set(uids: Sequence[int]) -> str:
    """Compact ranges ("1:2000"), as ImapSource sends them."""
    parts: list[str] = []
    start = previous = uids[0]
    for uid in uids[1:]:
        if uid != previous + 1:
            parts.append(f"{start}:{previous}" if previous != start else str(start))
            start = uid
        previous = uid
    parts.append(f"{start}:{previous}" if previous != start else str(start))
    return ",".join(parts)
