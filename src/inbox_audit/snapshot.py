"""An audit's moment-independent part, kept between runs: re-dated without reading the mail.

Between two nightly runs of an unchanged mailbox only time moves. Threading, pairing and
classification stay as they were; what changes is which waiting message has passed the SLA,
how long each customer has waited, the holding replies' promises and the digest's moving
windows. A `Snapshot` keeps exactly what those need, in plain tuples that load in
milliseconds, so a run that finds the mailbox unchanged re-dates the last audit instead of
loading and auditing 100,000 messages again.

A re-dated report holds only part of a full one: `threads` has the waiting threads and those
answered late (all that the table, Markdown, summary and email show), `messages` the customer
messages of the digest's windows. It renders those formats exactly as a full audit would,
but not JSON or CSV, which list every message and thread (the CLI never re-dates for them).
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from inbox_audit.metrics import overdue, thread_order, within_sla_ratio
from inbox_audit.model import (
    Address,
    AuditReport,
    Folder,
    Message,
    MessageResult,
    ReplyRef,
    Status,
    ThreadResult,
)
from inbox_audit.settings import Settings

#: How long after its audit a snapshot may be re-dated. The digest compares the last 28 days
#: with the 28 before, on the owner's wall clock (an hour more across a DST change): the
#: snapshot keeps the customer messages of KEPT_DAYS, enough for a re-dating this much later.
MAX_AGE = timedelta(days=3)
KEPT_DAYS = 60

_WAITING = (Status.PENDING, Status.OVERDUE)

# A ThreadResult without its holding reply, plus the language hints of its customer messages.
ThreadRow = tuple[
    str, str, str, str, str, Status, datetime | None, int | None, bool, int | None, tuple[str, ...]
]
# A customer MessageResult with only what the digest reads of its message.
MessageRow = tuple[
    str,  # folder
    int,  # uid
    str | None,  # from_ email (None: no From)
    str,  # from_ name
    str,  # subject
    datetime | None,  # date
    datetime | None,  # received_at
    datetime | None,  # internal_date
    Status,
    str,  # thread_id
    tuple[str | None, datetime, int] | None,  # reply
    bool,  # answered_by_flag
]


@dataclass(frozen=True)
class Snapshot:
    """A report as of `report.as_of` (without messages or threads) and what re-dating needs."""

    report: AuditReport
    threads: tuple[ThreadRow, ...]  # waiting or answered late, in the report's order
    messages: tuple[MessageRow, ...]  # customer messages of the last KEPT_DAYS, in order
    waiting: tuple[datetime, ...]  # arrival of every waiting customer message, sorted
    # The earliest message left out as "after as_of": re-dated at or past it, it would count.
    horizon: datetime | None


def horizon(messages: Iterable[Message], as_of: datetime) -> datetime | None:
    """A moment no later than the first message time after `as_of`, or None if there is none.

    A message's time in the audit is its Date, arrival or server date (threads.message_time):
    the earliest of those past `as_of` bounds it from below, whoever sent it.
    """
    later = [
        t
        for m in messages
        for t in (m.date, m.received_at, m.internal_date)
        if t is not None and t > as_of
    ]
    return min(later, default=None)


def take(report: AuditReport, horizon: datetime | None) -> Snapshot:
    """The snapshot of a full audit's report; `horizon` from the messages it audited."""
    kept = [t for t in report.threads if t.status in _WAITING or t.answered_late]
    ids = {t.thread_id for t in kept}
    hints: dict[str, list[str]] = {}
    since = report.as_of - timedelta(days=KEPT_DAYS)
    rows = []
    waiting = []
    for r in report.messages:
        if r.status is Status.NOT_CUSTOMER:
            continue
        if r.thread_id in ids:
            hints.setdefault(r.thread_id, []).extend(r.message.language_hints)
        arrived = r.message.arrived_at
        if r.status in _WAITING and arrived is not None:
            waiting.append(arrived)
        if arrived is not None and arrived > since:
            rows.append(message_row(r))
    threads = [thread_row(t, tuple(hints.get(t.thread_id, ()))) for t in kept]
    return assemble(report, threads, rows, waiting, horizon)


def assemble(
    report: AuditReport,
    threads: Iterable[ThreadRow],
    messages: Iterable[MessageRow],
    waiting: Iterable[datetime],
    horizon: datetime | None,
) -> Snapshot:
    """A snapshot from its parts: `report` (its messages and threads are not kept), the
    thread_row of every waiting or answered-late thread (any order), the message_row of the
    customer messages of the last KEPT_DAYS (in the report's order: oldest first), the
    arrival of every waiting customer message (any order), and the `horizon`."""
    trimmed = dataclasses.replace(report, messages=(), threads=())
    return Snapshot(trimmed, tuple(threads), tuple(messages), tuple(sorted(waiting)), horizon)


def usable(snapshot: Snapshot, as_of: datetime) -> bool:
    """Whether re-dating to `as_of` gives what a full audit would: not earlier than the
    snapshot, not too late for its kept window, and before any message it left out."""
    taken = snapshot.report.as_of
    if not taken <= as_of <= taken + MAX_AGE:
        return False
    return snapshot.horizon is None or as_of < snapshot.horizon


def redate(
    snapshot: Snapshot, settings: Settings, as_of: datetime, replies: int | None = None
) -> AuditReport:
    """The report of the same mailbox as of a later moment (see `usable`).

    Only the first `replies` waiting threads get a holding reply (None: all), as writing
    thousands of replies nobody reads would cost more than the rest of the run.
    """
    old = snapshot.report
    sla = settings.sla
    messages = tuple(_message_result(row, as_of, sla) for row in snapshot.messages)
    threads = sorted(
        (_thread_result(row, as_of, sla) for row in snapshot.threads), key=thread_order
    )
    hints = {row[0]: row[-1] for row in snapshot.threads}
    shown = 0
    if replies != 0:
        # The replies' code needs the audit module, which a summary-only run never loads.
        from inbox_audit.audit import with_holding_reply
    for index, thread in enumerate(threads):
        if thread.status in _WAITING and (replies is None or shown < replies):
            shown += 1
            threads[index] = with_holding_reply(
                thread, hints[thread.thread_id], settings, as_of, old.owner
            )
    # metrics.overdue, counted at once: arrived at or before `as_of - sla` (sorted arrivals).
    late = bisect.bisect_right(snapshot.waiting, as_of - sla)
    s = old.summary
    summary = dataclasses.replace(
        s,
        pending=len(snapshot.waiting) - late,
        overdue=late,
        within_sla_ratio=within_sla_ratio(
            s.answered - s.answered_unknown_latency, s.answered_late, late
        ),
    )
    return dataclasses.replace(
        old, as_of=as_of, summary=summary, messages=messages, threads=tuple(threads)
    )


def thread_row(t: ThreadResult, hints: tuple[str, ...]) -> ThreadRow:
    """What re-dating needs of a waiting or answered-late thread; `hints`: the language hints
    of its customer messages."""
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
        hints,
    )


def _thread_result(row: ThreadRow, as_of: datetime, sla: timedelta) -> ThreadResult:
    thread_id, subject, email, name, folder, status, since, waited, late, latency, _ = row
    if status in _WAITING and since is not None:
        # metrics._thread: the thread waits since its oldest waiting message, and is overdue
        # when that one is.
        status = Status.OVERDUE if overdue(since, as_of, sla) else Status.PENDING
        waited = int((as_of - since).total_seconds())
    return ThreadResult(
        thread_id=thread_id,
        subject=subject,
        correspondent=Address(email, name),
        folder=folder,
        status=status,
        waiting_since=since,
        waiting_seconds=waited,
        answered_late=late,
        max_latency_seconds=latency,
        holding_reply=None,
    )


def message_row(r: MessageResult) -> MessageRow:
    """What re-dating needs of a customer message of the last KEPT_DAYS."""
    m = r.message
    reply = r.reply
    return (
        m.folder,
        m.uid,
        None if m.from_ is None else m.from_.email,
        "" if m.from_ is None else m.from_.name,
        m.subject,
        m.date,
        m.received_at,
        m.internal_date,
        r.status,
        r.thread_id,
        None if reply is None else (reply.message_id, reply.sent_at, reply.latency_seconds),
        r.answered_by_flag,
    )


def _message_result(row: MessageRow, as_of: datetime, sla: timedelta) -> MessageResult:
    folder, uid, email, name, subject, date, received, internal, status, thread, reply, flag = row
    message = Message(
        folder=folder,
        uid=uid,
        message_id=None,
        in_reply_to=(),
        references=(),
        from_=None if email is None else Address(email, name),
        reply_to=(),
        to=(),
        cc=(),
        subject=subject,
        date=date,
        received_at=received,
        internal_date=internal,
        flags=frozenset(),
        conversation_id=None,
    )
    if status in _WAITING:
        status = Status.OVERDUE if overdue(message.arrived_at, as_of, sla) else Status.PENDING
    ref = None if reply is None else ReplyRef(*reply)
    return MessageResult(message, status, None, thread, ref, flag)


def key(folders: Sequence[Folder], settings: Settings, code: str) -> str:
    """What a snapshot is valid for: the folders as listed (names, roles, counts), the
    settings that shape the audit, and the code (`code`: cache.code_digest()) that made it.

    The zone and the replies' language are left out: re-dating applies the current ones.
    """
    shaping = dataclasses.replace(settings, tz=UTC, lang=None)
    text = repr((code, tuple(folders), shaping))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def dumps(snapshot: Snapshot) -> bytes:
    """Bytes for the cache."""
    return pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes) -> Snapshot | None:
    """The snapshot stored by `dumps`, or None when the bytes are not one.

    The cache file is its owner's alone (mode 0600, in their own cache directory): whoever
    can rewrite it can already run code as them, so unpickling it opens no new door. It was
    written by the same code (the key includes cache.code_digest()); anything else is ignored.
    """
    try:
        snapshot = pickle.loads(data)
    except Exception:
        return None
    return snapshot if isinstance(snapshot, Snapshot) else None
