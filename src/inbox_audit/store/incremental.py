"""Keep the audit per message (ledger.py) in the cache, and bring it up to date from the copies
that changed since: only the conversations they touch are audited again."""

from __future__ import annotations

import dataclasses
import marshal
import pickle
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar

from inbox_audit.core.audit import Examined, examine
from inbox_audit.core.awaiting import Bounce
from inbox_audit.model import (
    Address,
    AuditReport,
    Awaited,
    Collected,
    Folder,
    Status,
    Unreadable,
)
from inbox_audit.settings import Settings
from inbox_audit.store import ledger, snapshot
from inbox_audit.store.cache import CachedItem, MailCache
from inbox_audit.store.ledger import Copy, Part, Totals
from inbox_audit.store.ledger_feed import KeptChange
from inbox_audit.store.rows import dump_time, load_time
from inbox_audit.store.snapshot import MessageRow
from inbox_audit.store.sync import Synced
from inbox_audit.store.thread_rows import microseconds, thread_of


def key(folders: Sequence[Folder], settings: Settings) -> str:
    """What a ledger is valid for: the folders (names and roles; their counts move with every
    message), the settings that shape the audit, and the code (see snapshot.key)."""
    shape = [dataclasses.replace(folder, messages=None) for folder in folders]
    return snapshot.key(shape, settings)


def update(
    cache: MailCache, synced: Synced, settings: Settings, as_of: datetime
) -> snapshot.Snapshot | None:
    """The snapshot of the mail as cached now, as of `as_of`, from the ledger and the copies
    changed since it was written; the ledger and the snapshot are stored.

    None when only a full audit can tell: no ledger for these settings and folders, the
    moment before the ledger's or past a message it left out, the owner's identities moved,
    or so much changed that a full audit is cheaper. The caller then audits everything and
    calls `rebuild`. May raise CacheUnusable.
    """
    ledger_key = key(synced.folders, settings)
    totals = _totals(cache, ledger_key)
    if totals is None or not ledger.current(totals, as_of) or synced.problems:
        return None
    me = totals.me
    dirty = cache.dirty()
    stored = cache.ledger_rows(dirty)
    items = cache.items_at(dirty)
    links: dict[Copy, tuple[int, ...]] = {
        copy: ledger.links(item.message, me) if item.message is not None else ()
        for copy, item in items.items()
    }
    # The closure: every copy reachable from the changed ones (their old and new links).
    members = set(dirty)
    seen = {link for _, old in stored.values() for link in old}
    seen.update(link for new in links.values() for link in new)
    frontier = set(seen)
    total = sum(folder.messages or 0 for folder in synced.folders if folder.scanned)
    while frontier:
        found = cache.linked(frontier) - members
        members |= found
        if not ledger.closure_size_ok(members, total):
            return None
        rows = cache.ledger_rows(found)
        if len(rows) != len(found):
            return None  # a copy linked but not booked: the ledger is not whole
        stored.update(rows)
        frontier = {link for _, old in rows.values() for link in old} - seen
        seen |= frontier
    items.update(cache.items_at(members - items.keys()))

    order = {folder.name: index for index, folder in enumerate(synced.folders)}
    ordered = sorted(items, key=lambda copy: (order.get(copy[0], len(order)), copy[1]))
    messages = [m for copy in ordered if (m := items[copy].message) is not None]
    roles = {folder.name: folder.role for folder in synced.folders}
    found_now = examine(messages, roles, me, settings, as_of)
    parts = {
        (m.folder, m.uid): part for m, part in ledger.book(messages, found_now, roles, me, as_of)
    }
    parts.update(_failed(items))
    removed = []
    for copy in members & stored.keys():
        old_part = _part(stored[copy][0])
        if old_part is None:
            return None
        removed.append((copy, old_part))
    updated = ledger.apply(totals, removed, parts.items(), ledger.thread_rows(found_now), as_of)
    if not ledger.identities_hold(updated):
        return None
    for copy in parts.keys() - links.keys():
        message = items[copy].message
        links[copy] = ledger.links(message, me) if message is not None else ()
    try:
        taken = ledger.snapshot(updated, synced.source, synced.folders, settings)
    except ValueError:  # a kept thread's bytes are not ours: audit everything
        return None
    booked = {copy: (_part_bytes(part), links[copy]) for copy, part in parts.items()}
    # The re-audit books the whole closure again, and most of it comes out as it was stored
    # (at 100,000 messages, 100 new ones touch ~900 copies and change ~5): only the rows that
    # differ are replaced, ~50 ms of deleting and inserting the same rows again.
    same = {copy for copy, row in booked.items() if stored.get(copy) == row}
    cache.save_ledger(
        ledger_key,
        {copy: stored[copy][1] for copy in (members & stored.keys()) - same},
        [(copy, *row) for copy, row in booked.items() if copy not in same],
        lambda: (_state_bytes(updated), _kept_change(totals, updated)),
        (snapshot.key(synced.folders, settings), snapshot.dumps(taken)),
        since_read=True,
    )
    return taken


def stale(cache: MailCache, folders: Sequence[Folder], settings: Settings, as_of: datetime) -> bool:
    """Whether the ledger needs a `rebuild` after a full audit as of `as_of`: there is none
    for these settings and folders, mail changed since, or it cannot serve this moment."""
    # Read whole, as `update` reads it: kept rows it could not read would have it decline
    # every night while this said the ledger was current.
    totals = _totals(cache, key(folders, settings), whole=True)
    return totals is None or bool(cache.dirty()) or not ledger.current(totals, as_of)


def rebuild(
    cache: MailCache,
    collected: Collected,
    report: AuditReport,
    found: Examined,
    settings: Settings,
) -> None:
    """Store the ledger of a full audit (`report`, with what became of each message) of
    every cached copy, replacing any earlier one. May raise CacheUnusable."""
    roles = {folder.name: folder.role for folder in collected.folders}
    me = frozenset(report.identities)
    start = ledger.empty(report.as_of, me, report.identities_detected)
    # Each part is summed and stored as it is made, and then forgotten: the 100,000 of a
    # full audit are never held together (they were the first run's peak).
    sums = ledger.Sums(start)

    def rows() -> Iterator[tuple[Copy, bytes, tuple[int, ...]]]:
        for message, part in ledger.book(collected.messages, found, roles, me, report.as_of):
            copy = (message.folder, message.uid)
            sums.put_in(copy, part)
            yield copy, _part_bytes(part), ledger.links(message, me)
        for item in collected.unreadable:
            copy = (item.folder, item.uid)
            part = ledger.failed(item)
            sums.put_in(copy, part)
            yield copy, _part_bytes(part), ()

    def state() -> tuple[bytes, KeptChange]:
        totals = sums.result(ledger.thread_rows(found), report.as_of)
        return _state_bytes(totals), _kept_change(start, totals)

    cache.save_ledger(key(collected.folders, settings), {}, rows(), state, whole=True)


def _totals(cache: MailCache, ledger_key: str, whole: bool = False) -> Totals | None:
    """The stored totals with their kept rows and threads, as of one state of the file, or
    None (none stored, or not readable as such).

    The threads stay as stored, decoded only when listed, unless `whole`: then each is
    decoded once, to find any that cannot be (the snapshot would carry it on)."""
    with cache.reading():
        data = cache.ledger_state(ledger_key)
        totals = _loads(data, Totals) if data is not None else None
        if totals is None:
            return None
        rows, threads = cache.ledger_kept()
    try:
        kept = [(copy, _kept_row(data)) for copy, data in rows]
        if whole:
            for _, data in threads:
                thread_of(data)
        return dataclasses.replace(
            totals, rows={copy: (row[0], row) for copy, row in kept}, threads=dict(threads)
        )
    except (ValueError, TypeError, KeyError, EOFError):  # foreign bytes: audit everything
        return None


def _state_bytes(totals: Totals) -> bytes:
    """The totals as stored whole: without their kept rows and threads, stored one by one
    (`_kept_change`)."""
    return _dumps(dataclasses.replace(totals, rows={}, threads={}))


def _kept_change(old: Totals, new: Totals) -> KeptChange:
    """The kept rows and threads to drop and to store for `old` to become `new`: those made
    anew (`ledger.apply` keeps the others as they were, the same objects). A thread is bytes
    already: one the night's audit made again as it was is not stored again (half of the
    closure's ~170 threads for 100 new messages at 100,000)."""
    before_rows, after_rows = old.rows, new.rows
    before_threads, after_threads = old.threads, new.threads
    return KeptChange(
        rows_out=[copy for copy in before_rows if copy not in after_rows],
        rows_in=(
            (copy, _kept_row_bytes(row))
            for copy, (_, row) in after_rows.items()
            if (was := before_rows.get(copy)) is None or was[1] is not row
        ),
        threads_out=[thread for thread in before_threads if thread not in after_threads],
        threads_in=(
            (thread, data)
            for thread, data in after_threads.items()
            if before_threads.get(thread) != data
        ),
    )


def _failed(items: dict[Copy, CachedItem]) -> dict[Copy, Part]:
    return {
        copy: ledger.failed(Unreadable(copy[0], copy[1], item.unreadable or ""))
        for copy, item in items.items()
        if item.message is None
    }


def _part_bytes(part: Part) -> bytes:
    # marshal, with moments as microseconds since the epoch (or rows.dump_time where the
    # report shows them) and enums by their value: a fifth of the time and half the bytes of
    # a pickle (a full audit stores 100,000 parts).
    unreadable = part.unreadable
    return marshal.dumps(
        (
            part.kind,
            part.sent_from,
            part.addressed,
            _microseconds(part.later),
            part.owner_name,
            part.thread_id,
            None if part.status is None else part.status.value,
            part.latency,
            part.by_flag,
            _microseconds(part.arrived),
            None if part.row is None else _row_values(part.row[1]),
            None if unreadable is None else (unreadable.folder, unreadable.uid, unreadable.reason),
            part.internal,
            part.business_latency,
            None if part.awaited is None else _awaited_values(part.awaited),
            None if part.voice is None else (_microseconds(part.voice[0]), part.voice[1]),
            None
            if (bounce := part.bounce) is None
            else (_microseconds(bounce.arrived_at), bounce.failed, bounce.subject),
        )
    )


def _part(data: bytes) -> Part | None:
    """What `_part_bytes` stored, or None when the bytes are not that."""
    try:
        fields = marshal.loads(data)
        (kind, sent_from, addressed, later, name, thread, status, latency, flag, arrived, row,
         unreadable, internal, worked, awaited, voice, bounce) = fields  # fmt: skip
        kept = None if row is None else _row(row)
        return Part(
            kind,
            sent_from,
            addressed,
            _moment(later),
            name,
            thread,
            None if status is None else Status(status),
            latency,
            flag,
            _moment(arrived),
            None if kept is None else (kept[0], kept),
            None if unreadable is None else Unreadable(*unreadable),
            bool(internal),
            worked,
            None if awaited is None else _awaited(awaited),
            None if voice is None else (_when(voice[0]), voice[1]),
            None if bounce is None else Bounce(_when(bounce[0]), bounce[1], bounce[2]),
        )
    except Exception:  # foreign bytes: the caller audits everything instead
        return None


# A customer message's snapshot row (snapshot.MessageRow): its arrival as rows.dump_time
# writes it, exact to the zone.
def _row_values(row: MessageRow) -> tuple[Any, ...]:
    arrived, status, latency, worked, folder, uid = row
    return (dump_time(arrived), status.value, latency, worked, folder, uid)


def _row(values: tuple[Any, ...]) -> MessageRow:
    arrived, status, latency, worked, folder, uid = values
    moment = load_time(arrived)
    if moment is None or not isinstance(uid, int):
        raise ValueError("a kept row without its moment")
    return (moment, _STATUSES[status], latency, worked, sys.intern(folder), uid)


# Rows are decoded by the 10,000s each night: a dict look-up instead of calling Status, and one
# string per folder (`sys.intern`), which the snapshot's pickle then writes once instead of
# once a row (as it did when the totals were one pickle).
_STATUSES: Final = {status.value: status for status in Status}


def _kept_row_bytes(row: MessageRow) -> bytes:
    """A kept customer message's row as ledger_rows stores it (`_kept_row` reads it)."""
    return marshal.dumps(_row_values(row))


def _kept_row(data: bytes) -> MessageRow:
    return _row(marshal.loads(data))


def _awaited_values(awaited: Awaited) -> tuple[Any, ...]:
    to = awaited.correspondent
    return (
        awaited.thread_id,
        awaited.subject,
        (to.email, to.name),
        dump_time(awaited.last_sent_at),
        awaited.language_hints,
        awaited.opened_by_owner,
        awaited.reply_refs,
        awaited.sent_from,
    )


def _awaited(values: tuple[Any, ...]) -> Awaited:
    thread, subject, (email, name), sent, hints, opened, refs, sent_from = values
    return Awaited(
        thread, subject, Address(email, name), _when(load_time(sent)), hints, opened, refs,
        sent_from,
    )  # fmt: skip


def _when(value: datetime | int | None) -> datetime:
    """A moment stored as one, which bytes that are not (foreign ones) fail."""
    moment = _moment(value) if isinstance(value, int) else value
    if moment is None:
        raise ValueError("a kept moment missing")
    return moment


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _microseconds(moment: datetime | None) -> int | None:
    return None if moment is None else microseconds(moment)


def _moment(value: int | None) -> datetime | None:
    """What `_microseconds` wrote."""
    return None if value is None else _EPOCH + timedelta(microseconds=value)


def _dumps(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


_T = TypeVar("_T")


def _loads(data: bytes, kind: type[_T]) -> _T | None:
    """What `_dumps` stored, or None when the bytes are not a `kind`.

    The cache file is its owner's alone and written by the same code (see snapshot.loads).
    """
    try:
        value = pickle.loads(data)
    except Exception:
        return None
    return value if isinstance(value, kind) else None
