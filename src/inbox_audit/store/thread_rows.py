"""A listable thread's row, and its bytes: what the ledger stores of a thread and the snapshot
keeps, sorted by a fixed-size head and decoded only when the thread is listed."""

from __future__ import annotations

import marshal
import struct
import sys
from datetime import UTC, datetime, timedelta
from typing import Final

from inbox_audit.core.language import NO_SIGNS, LanguageSigns
from inbox_audit.core.metrics import WAITING
from inbox_audit.model import Status, ThreadResult
from inbox_audit.store.rows import dump_time, load_time

# A ThreadResult without its holding reply, plus the language signs of its customer messages
# (`signs_bytes`), then its reply_refs and max_business_latency_seconds.
ThreadRow = tuple[
    str,
    str,
    str,
    str,
    str,
    Status,
    datetime | None,
    int | None,
    bool,
    int | None,
    bytes,
    tuple[str, ...],
    int | None,
]
ID: Final = 0
SINCE: Final = 6
HINTS: Final = 10

#: What a snapshot sorts a thread by, ahead of its row (`thread_key`): whether it waits,
#: whether it has a waiting_since, whether it was answered late, waiting_since in
#: microseconds since the epoch (0 without one), and its longest latency (0 without one).
#: A snapshot keeps 20,000 threads at 100,000 messages and a night shows fifty: decoding
#: every row only to sort them took ~70 ms of a nightly run, pickling them ~40 ms more.
ThreadKey = tuple[bool, bool, bool, int, int]
_HEAD: Final = struct.Struct("<???qq")

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
# Rows are decoded by the 1,000s when every thread is listed: a dict look-up instead of
# calling Status.
_STATUSES: Final = {status.value: status for status in Status}


def thread_row(thread: ThreadResult, hints: LanguageSigns) -> ThreadRow:
    """A listable thread's row; `hints`: the language signs of its customer messages, kept
    for a waiting thread's holding reply. A thread only answered late never gets one: it
    waits again only once a new message arrives in it, and the thread is then audited again
    and its row made anew."""
    t = thread
    return (
        t.thread_id,
        t.subject,
        t.correspondent.email,
        t.correspondent.name,
        t.folder,
        t.status,
        t.waiting_since,
        t.waiting_seconds,
        t.answered_late,
        t.max_latency_seconds,
        signs_bytes(hints if t.status in WAITING else NO_SIGNS),
        t.reply_refs,
        t.max_business_latency_seconds,
    )


def signs_bytes(signs: LanguageSigns) -> bytes:
    """A thread's language signs as its row keeps them: only the threads given a holding reply
    read them back (`signs_of`), and a mailbox may hold thousands of waiting threads, each
    with the opening words of its messages: as one bytes object they load and store at
    memory speed, as objects they took most of the snapshot's loading time."""
    if signs == NO_SIGNS:
        return b""
    # Version 0: the same bytes for equal signs (later versions mark strings by whether they
    # are interned or shared, which the same words may or may not be).
    return marshal.dumps((signs.tags, signs.subjects, signs.texts), 0)


def signs_of(data: bytes) -> LanguageSigns:
    """The signs `signs_bytes` kept."""
    return LanguageSigns(*marshal.loads(data)) if data else NO_SIGNS


def thread_bytes(row: ThreadRow) -> bytes:
    """`row` as the ledger stores it and the snapshot keeps it: its `thread_key`, then its
    values (the status by value, the moment as rows.dump_time writes it)."""
    (thread, subject, email, name, folder, status, since, waited, late, latency, signs, refs,
     worked) = row  # fmt: skip
    head = _HEAD.pack(
        status in WAITING,
        since is not None,
        late,
        0 if since is None else microseconds(since),
        latency or 0,
    )
    values = (thread, subject, email, name, folder, status.value, dump_time(since), waited,
              late, latency, signs, refs, worked)  # fmt: skip
    return head + marshal.dumps(values)


def microseconds(moment: datetime) -> int:
    """`moment` as a ThreadKey holds a waiting_since: microseconds since the epoch, exact."""
    return (moment - _EPOCH) // _MICROSECOND


def thread_key(data: bytes) -> ThreadKey:
    """What `thread_bytes` put ahead of the row; ValueError when `data` is not such bytes."""
    try:
        key: ThreadKey = _HEAD.unpack_from(data)
    except struct.error as exc:
        raise ValueError("not a kept thread") from exc
    return key


def thread_of(data: bytes) -> ThreadRow:
    """The row `thread_bytes` made; ValueError when `data` is not such bytes."""
    try:
        (thread, subject, email, name, folder, status, since, waited, late, latency, signs,
         refs, worked) = marshal.loads(memoryview(data)[_HEAD.size :])  # fmt: skip
        if not isinstance(signs, bytes):
            raise ValueError("a kept thread without its signs")
        return (thread, subject, sys.intern(email), sys.intern(name), sys.intern(folder),
                _STATUSES[status], load_time(since), waited, late, latency, signs, refs,
                worked)  # fmt: skip
    except (ValueError, TypeError, KeyError, EOFError) as exc:
        raise ValueError("not a kept thread") from exc
