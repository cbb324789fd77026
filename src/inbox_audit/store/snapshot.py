"""An audit's moment-independent part, kept between runs: re-dated without reading the mail.

Between two nightly runs of an unchanged mailbox only time moves. Threading, pairing and
classification stay as they were; what changes is which waiting message has passed the SLA,
how long each customer has waited, the holding replies' promises and the digest's moving
windows. A `Snapshot` keeps exactly what those need, in plain tuples that load in
milliseconds, so a run that finds the mailbox unchanged re-dates the last audit instead of
loading and auditing 100,000 messages again.

A snapshot is built from rows (thread_rows.thread_bytes, `kept`) by `assemble`: `take`
does it from a full audit's report, and an audit that reads only what changed may do it
without one. Its threads stay bytes until listed: a night lists fifty of thousands.

The people-facing formats list only the MAX_LISTED most urgent threads of each kind, with
counts: `outline` re-dates just those (the nightly run's path), their order kept exact by
storing the rows in an order that re-dating cannot upset (`_first`), or every kept thread
(Markdown lists them all). It renders the table, Markdown, summary and email exactly as a
full audit would, but not JSON or CSV, which list every message and thread (the CLI never
re-dates for them, so a snapshot keeps no message's own fields).
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import hashlib
import pickle
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from inbox_audit.core.figures import Listing, arrival, lateness, urgency
from inbox_audit.core.language import language_signs
from inbox_audit.core.metrics import (
    WAITING,
    deadline,
    thread_order,
    waiting_status,
    waiting_verdict,
    with_waiting,
)
from inbox_audit.model import (
    Address,
    AuditReport,
    Folder,
    Message,
    MessageResult,
    Status,
    ThreadResult,
)
from inbox_audit.settings import Settings
from inbox_audit.store.cache_errors import CacheUnusable
from inbox_audit.store.thread_rows import (
    HINTS,
    ID,
    SINCE,
    ThreadRow,
    microseconds,
    signs_of,
    thread_bytes,
    thread_key,
    thread_of,
    thread_row,
)

if TYPE_CHECKING:
    from inbox_audit.core.figures import Arrival

#: How long after its audit a snapshot may be re-dated. The digest compares the last 28 days
#: with the 28 before, on the owner's wall clock (an hour more across a DST change): the
#: snapshot keeps the customer messages of KEPT_DAYS, enough for a re-dating this much later,
#: and for the email's weekly trend (figures.TREND_WEEKS weeks).
MAX_AGE = timedelta(days=3)
KEPT_DAYS = 90

# A customer MessageResult: what the figures read (figures.arrival), then its folder and UID
# (its place among messages that arrived together).
MessageRow = tuple[datetime, Status, int | None, int | None, str, int]

#: The code whose results a snapshot and a ledger hold: the audit's rules (the core), the
#: shared types and the rows kept here. A change to it drops both (`key`, `audit_code`); one
#: to the outputs, the sources or the app keeps them.
AUDIT_CODE: tuple[str, ...] = (
    "core/*.py",
    "model.py",
    "settings.py",
    "store/snapshot.py",
    "store/ledger.py",
    "store/incremental.py",
    "store/thread_rows.py",
)


@dataclass(frozen=True)
class Snapshot:
    """A report as of `report.as_of` (without messages or threads) and what re-dating needs."""

    report: AuditReport
    # Waiting threads by waiting_since (none last), then ID: the order of their urgency at any
    # later moment, but for ties within a second (`_first`). Each as thread_rows.thread_bytes
    # made it: only the threads listed are decoded.
    waiting_threads: tuple[bytes, ...]
    # The waiting_since of those that have one (the first ones), in microseconds since the
    # epoch as thread_rows.ThreadKey has it: what counts the overdue threads at any moment.
    waiting_since: tuple[int, ...]
    # Threads answered late (some of them waiting too), longest response first, then ID.
    late_threads: tuple[bytes, ...]
    # The customer messages of the last KEPT_DAYS, by arrival: what the digest reads of them.
    messages: tuple[Arrival, ...]
    waiting: tuple[datetime, ...]  # arrival of every waiting customer message, sorted
    # The earliest message left out as "after as_of": re-dated at or past it, it would count.
    horizon: datetime | None


@dataclass(frozen=True)
class Outline:
    """A snapshot re-dated for the people-facing formats: what they read, and nothing more."""

    report: AuditReport  # without messages or threads: render it only with the two below
    listing: Listing  # the first `limit` threads of each kind, whole counts
    arrivals: tuple[Arrival, ...]  # for digest.period_figures


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


def listable(thread: ThreadResult) -> bool:
    """Whether a thread can be listed at a later moment, so the snapshot keeps it: waiting
    (as it stays until mail changes), or answered late."""
    return thread.status in WAITING or thread.answered_late


def window(as_of: datetime) -> datetime:
    """The customer messages a snapshot as of `as_of` keeps are those that arrived after this."""
    return as_of - timedelta(days=KEPT_DAYS)


def kept(result: MessageResult, since: datetime) -> tuple[datetime | None, MessageRow | None]:
    """What a snapshot keeps of a message: its arrival when it waits (`assemble`'s `waiting`,
    whatever its age), and its row when it is a customer's that arrived after `since` (its
    `window`): what the figures read (figures.arrival)."""
    read = arrival(result)
    if read is None:
        return None, None
    arrived, status, _, _ = read
    waiting = arrived if status in WAITING else None
    if arrived <= since:
        return waiting, None
    m = result.message
    return waiting, (*read, m.folder, m.uid)


def assemble(
    report: AuditReport,
    threads: Iterable[tuple[str, bytes]],
    messages: Iterable[MessageRow],
    waiting: Iterable[datetime],
    horizon: datetime | None,
) -> Snapshot:
    """The snapshot of an audit as of `report.as_of`, from rows in any order.

    `report`: the audit's report; its messages and threads are not read (give them empty).
    `threads`: each `listable` thread's ID and thread_bytes (others are left out). `messages`: the
    rows `kept` gives of the customer messages (those past its `window` are left out).
    `waiting`: the arrival of every pending or overdue customer message, whatever its age.
    `horizon`: see `horizon`.
    """
    dated: list[tuple[int, str, bytes]] = []
    undated: list[tuple[str, bytes]] = []
    late: list[tuple[int, str, bytes]] = []
    for thread, data in threads:
        waits, has_since, answered_late, since, latency = thread_key(data)
        if waits:
            if has_since:
                dated.append((since, thread, data))
            else:
                undated.append((thread, data))
        if answered_late:
            late.append((-latency, thread, data))
    # Thread IDs are unique: the rows' bytes are never compared.
    dated.sort()
    undated.sort()
    late.sort()
    kept_since = window(report.as_of)
    rows_kept = sorted((m for m in messages if m[0] > kept_since), key=itemgetter(0, 4, 5))
    return Snapshot(
        report=dataclasses.replace(report, messages=(), threads=()),
        waiting_threads=(*(data for _, _, data in dated), *(data for _, data in undated)),
        waiting_since=tuple(moment for moment, _, _ in dated),
        late_threads=tuple(data for _, _, data in late),
        messages=tuple(m[:4] for m in rows_kept),
        waiting=tuple(sorted(waiting)),
        horizon=horizon,
    )


def take(report: AuditReport, horizon: datetime | None) -> Snapshot:
    """The snapshot of a full audit's report; `horizon` from the messages it audited."""
    listed = [t for t in report.threads if listable(t)]
    ids = {t.thread_id for t in listed}
    customers: dict[str, list[Message]] = {}
    since = window(report.as_of)
    rows = []
    waiting = []
    for r in report.messages:
        if r.status is Status.NOT_CUSTOMER:
            continue
        if r.thread_id in ids:
            customers.setdefault(r.thread_id, []).append(r.message)
        arrived, row = kept(r, since)
        if arrived is not None:
            waiting.append(arrived)
        if row is not None:
            rows.append(row)
    threads = (
        (t.thread_id, thread_bytes(thread_row(t, language_signs(customers.get(t.thread_id, ())))))
        for t in listed
    )
    return assemble(report, threads, rows, waiting, horizon)


def usable(snapshot: Snapshot, as_of: datetime) -> bool:
    """Whether re-dating to `as_of` gives what a full audit would: not earlier than the
    snapshot, not too late for its kept window, and before any message it left out."""
    # In UTC: two moments of one zone compare on the wall clock, and the hour that repeats
    # when summer time ends would let a moment before the snapshot pass for one after it.
    taken = snapshot.report.as_of.astimezone(UTC)
    moment = as_of.astimezone(UTC)
    if not taken <= moment <= taken + MAX_AGE:
        return False
    return snapshot.horizon is None or moment < snapshot.horizon


def outline(
    snapshot: Snapshot,
    settings: Settings,
    as_of: datetime,
    replies: int | None = None,
    limit: int | None = None,
) -> Outline:
    """What the people-facing formats read of the report of the same mailbox as of a later
    moment (see `usable`): the first `limit` threads of each kind (None: all), the first
    `replies` waiting ones with their holding reply (None: all listed), whole counts.

    Building only the threads listed is what makes the nightly run fast: a mailbox may hold
    thousands of waiting threads, the summary shows fifty.
    """
    old = snapshot.report
    cut = deadline(as_of, settings.sla, settings.sla_calendar)
    hints: dict[str, bytes] = {}  # of each waiting thread decoded

    def redated(data: bytes) -> ThreadResult:
        row = _decoded(data)
        hints[row[ID]] = row[HINTS]
        return _thread_result(row, as_of, cut)

    waiting = _first(snapshot.waiting_threads, limit, redated, urgency)
    if replies != 0:
        # The replies' code needs the audit module, which a summary-only run never loads.
        from inbox_audit.core.audit import with_holding_reply

        waiting[:replies] = [
            with_holding_reply(t, signs_of(hints[t.thread_id]), settings, as_of, old.owner)
            for t in waiting[:replies]
        ]
    late = _first(snapshot.late_threads, limit, redated, lateness)
    # A thread both waiting and answered late is one thread, with its reply if it has one.
    same = {t.thread_id: t for t in waiting}
    late = [same.get(t.thread_id, t) for t in late]
    # metrics.waiting_verdict, counted at once: a thread is overdue when the message it waits
    # since arrived by the deadline. Dated rows come first, by waiting_since.
    overdue_threads = bisect.bisect_right(snapshot.waiting_since, microseconds(cut))
    listing = Listing(
        waiting=tuple(waiting),
        waiting_count=len(snapshot.waiting_threads),
        overdue_count=overdue_threads,
        oldest_overdue=_decoded(snapshot.waiting_threads[0])[SINCE] if overdue_threads else None,
        late=tuple(late),
        late_count=len(snapshot.late_threads),
    )
    arrivals = tuple(
        (arrived, waiting_status(arrived, cut) if status in WAITING else status, wall, worked)
        for arrived, status, wall, worked in snapshot.messages
    )
    # metrics.waiting_status, counted at once: arrived by the deadline (sorted arrivals).
    late_messages = bisect.bisect_right(snapshot.waiting, cut)
    pending = len(snapshot.waiting) - late_messages
    summary = with_waiting(old.summary, pending, late_messages)
    return Outline(dataclasses.replace(old, as_of=as_of, summary=summary), listing, arrivals)


def _decoded(data: bytes) -> ThreadRow:
    """A kept thread's row; CacheUnusable when its bytes are not one (the caller then audits
    everything, and the ledger the rows came from is found stale and made again)."""
    try:
        return thread_of(data)
    except ValueError as exc:
        raise CacheUnusable(str(exc)) from exc


def _first(
    rows: Sequence[bytes],
    limit: int | None,
    make: Callable[[bytes], ThreadResult],
    listed: Callable[[ThreadResult], tuple[int, int] | int],
) -> list[ThreadResult]:
    """The first `limit` (None: all) of `rows` made into threads, in the order figures.listing
    lists them: by `listed` (figures.urgency or figures.lateness), ties in the report's order
    (metrics.thread_order).

    `rows` must be in non-decreasing order of `listed`. Only rows up to the end of the
    `limit`-th's group of equal `listed` can be among the first: any later one lists after
    it. Waiting rows sorted by waiting_since are in order of urgency at any moment; a group of
    equal waiting_seconds may hold several times within one second, which the ties sort.
    """
    if limit is not None and limit <= 0:
        return []
    if limit is None or limit >= len(rows):
        made = list(map(make, rows))
    else:
        made = [make(row) for row in rows[:limit]]
        edge = listed(made[-1])
        for row in rows[limit:]:
            thread = make(row)
            if listed(thread) != edge:
                break
            made.append(thread)
    made.sort(key=thread_order)  # the report's order (audit.examine) ...
    made.sort(key=listed)  # ... which the listing's sort keeps among ties
    return made[:limit]


def _thread_result(row: ThreadRow, as_of: datetime, cut: datetime) -> ThreadResult:
    (
        thread_id,
        subject,
        email,
        name,
        folder,
        status,
        since,
        waited,
        late,
        latency,
        _,
        refs,
        worked,
    ) = row
    if status in WAITING:
        status, waited = waiting_verdict(since, as_of, cut)
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
        reply_refs=refs,
        max_business_latency_seconds=worked,
    )


def key(folders: Sequence[Folder], settings: Settings) -> str:
    """What a snapshot is valid for: the folders as listed (names, roles, counts), the
    settings that shape the audit, and the code that made it (`audit_code`).

    The zone and the replies' languages and templates are left out: re-dating applies the
    current ones.
    """
    shaping = dataclasses.replace(settings, tz=UTC, lang=None, owner_lang="en", templates=())
    text = repr((audit_code(), tuple(folders), shaping))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@functools.cache
def audit_code() -> str:
    """A digest of this installation's AUDIT_CODE: it identifies the code whose results a
    snapshot or a ledger holds, as those of other code are not trusted.

    Not a version number, which a checkout between two releases (or a patched install) keeps
    while its rules change, nor a number bumped by hand, which a change could forget: any
    change to those files drops the snapshot and the ledger, which one full audit of the
    cached headers rebuilds (no mail is fetched again; that is cache.PARSER_VERSION's).
    """
    return code_digest(Path(__file__).parents[1], AUDIT_CODE)


def code_digest(package: Path, patterns: Iterable[str]) -> str:
    """A digest of the files of `package` that match `patterns`, by name and content."""
    digest = hashlib.sha256()
    paths = sorted({path for pattern in patterns for path in package.glob(pattern)})
    for path in paths:
        name = path.relative_to(package).as_posix()
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def dumps(snapshot: Snapshot) -> bytes:
    """Bytes for the cache."""
    return pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes) -> Snapshot | None:
    """The snapshot stored by `dumps`, or None when the bytes are not one.

    The cache file is its owner's alone (mode 0600, in their own cache directory): whoever
    can rewrite it can already run code as them, so unpickling it opens no new door. It was
    written by the same code (the key includes `audit_code`); anything else is ignored.
    """
    try:
        snapshot = pickle.loads(data)
    except Exception:
        return None
    return snapshot if isinstance(snapshot, Snapshot) else None
