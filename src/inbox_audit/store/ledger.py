"""The audit kept per message between runs, so that new mail re-audits only what it touches.

An audit's verdict on a message depends on other messages only through shared *links*:
Message-IDs (its own and those it cites), the provider's conversation id, a base subject
with a correspondent (subject threading), and the key that makes copies of one message
duplicates (audit.copy_key). Everything else is per message (classification, the moment it
happened) or global and watched here (the owner's identities, the figures' totals).

So when some copies change (new, deleted, re-flagged), the messages whose verdicts can move
are those reachable from the changed ones through links: the *closure*. Auditing the closure
alone, with the same identities, gives exactly the verdicts a full audit gives it, and every
other message keeps its own. Each cached copy's share of the report (a `Part`) is kept, so
the totals are updated by taking the closure's old parts out and its new ones in.

Three things a change can move for everyone send the caller back to a full audit: the
owner's identities (identity detection counts all Sent mail), a message crossing the audit
moment (`Totals.horizon`), and the moment going backwards.
"""

from __future__ import annotations

import bisect
import dataclasses
import zlib
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, TypeVar

from inbox_audit.core.audit import (
    NO_USABLE_DATE,
    Examined,
    copy_key,
    dated,
    identities_from,
    owner_name,
)
from inbox_audit.core.awaiting import Bounce, heard_from, oldest, recent, still_awaited
from inbox_audit.core.language import NO_SIGNS
from inbox_audit.core.metrics import deadline, summary_of
from inbox_audit.core.threads import (
    base_subject,
    cited_ids,
    correspondents,
    munged_subject,
    norm_id,
)
from inbox_audit.model import (
    AuditReport,
    Awaited,
    Folder,
    FolderRole,
    Message,
    MessageResult,
    Reason,
    Status,
    Unreadable,
)
from inbox_audit.settings import Settings
from inbox_audit.store.snapshot import (
    MessageRow,
    Snapshot,
    assemble,
    kept,
    listable,
    window,
)
from inbox_audit.store.thread_rows import thread_bytes, thread_row

#: A cached copy of a message: (folder, uid).
Copy = tuple[str, int]

# Unreadable items are listed as the full audit lists them: what could not be fetched or
# parsed first (audit.collect), then what had no usable date, each in folder and UID order.
_FAILED, _UNDATED = 0, 1


def links(message: Message, me: frozenset[str]) -> tuple[int, ...]:
    """Everything through which `message` can change another message's verdict.

    Stored as 64-bit checksums: two links that collide only make a closure larger.
    """
    texts = []
    if message.message_id:
        # Copies of a message (audit.copy_key) share its Message-ID: that link ties them.
        texts.append("i\0" + norm_id(message.message_id))
    elif message.date is not None:
        texts.append("d\0" + "\0".join(copy_key(message)))
    texts.extend("i\0" + cited for cited in cited_ids(message))
    if message.conversation_id:
        texts.append("c\0" + message.conversation_id)
    subject = base_subject(message.subject)
    if subject:
        parties = correspondents(message, me)
        texts.extend(f"s\0{subject}\0{party}" for party in parties)
        # Threading's second look, by munged spelling (threads.munged_subject).
        if (spelled := munged_subject(subject)) is not None:
            texts.extend(f"m\0{spelled}\0{party}" for party in parties)
    return tuple(sorted({_checksum(text) for text in texts}))


def _checksum(text: str) -> int:
    data = text.encode("utf-8", "surrogatepass")
    # Two fast checksums side by side; SQLite integers are signed 64-bit.
    return ((zlib.crc32(data) << 32) | zlib.adler32(data)) - (1 << 63)


class Part(NamedTuple):
    """One cached copy's share of the report.

    `kind` says where the audit put it: "draft", "undated", "duplicate", "after" (after the
    audit moment), "outbound" (my mail in Sent), "result" (listed), "failed" (not fetched or
    parsed). Identity detection counts every dated copy (`sent_from`, `addressed`).
    A plain tuple: 100,000 of them are stored by a full audit.
    """

    kind: str
    sent_from: str | None = None
    addressed: tuple[str, ...] = ()
    later: datetime | None = None  # its earliest time after the audit moment
    owner_name: str | None = None  # the name on my mail, for the replies' signature
    thread_id: str | None = None
    status: Status | None = None
    latency: int | None = None
    by_flag: bool = False
    arrived: datetime | None = None  # a waiting customer message's arrival
    row: tuple[datetime, MessageRow] | None = None  # (arrival, row): snapshot.kept
    unreadable: Unreadable | None = None
    internal: bool = False  # a colleague's message (Reason.INTERNAL)
    business_latency: int | None = None  # `latency` in working time, with working hours
    # What the awaiting list reads (Examined.candidates, voices, bounces): the candidate of
    # the thread whose owner's last message this is; a customer message's moment and senders;
    # what a bounce tells.
    awaited: Awaited | None = None
    voice: tuple[datetime, tuple[str, ...]] | None = None
    bounce: Bounce | None = None


def failed(item: Unreadable) -> Part:
    """The part of a copy that could not be fetched or parsed."""
    return Part("failed", unreadable=item)


def book(
    messages: Sequence[Message],
    found: Examined,
    roles: Mapping[str, FolderRole],
    me: frozenset[str],
    as_of: datetime,
) -> Iterator[tuple[Message, Part]]:
    """Each message's part of the audit `found` of exactly `messages`, in their order, made
    as it is asked for: a full audit books 100,000 copies, which the cache stores as they
    come (in the order of its table), and all of them at once were the first run's peak.

    The figures a part adds are the core's (metrics.summary_of sums them, snapshot.kept keeps
    its row); what it adds to identity detection and the owner's name follows audit's rules
    (detect_identities, examine), which tests/store/test_ledger.py holds it to: the totals
    give the full audit's report, field for field, after every change.
    """
    # What became of each message, by its place in `messages`: a kind, or its result (by
    # copy: the audit may hold a changed copy of a message, duplicates' flags merged).
    place = {(m.folder, m.uid): index for index, m in enumerate(messages)}
    became: list[str | MessageResult | None] = [None] * len(messages)
    for kind, group in (
        ("draft", found.drafts),
        ("duplicate", found.duplicates),
        ("after", found.after_as_of),
        ("undated", found.undated),
        ("outbound", found.outbound),
    ):
        for m in group:
            became[place[(m.folder, m.uid)]] = kind
    for _, _, r in found.ranked:
        became[place[(r.message.folder, r.message.uid)]] = r
    del place
    # What the awaiting list reads, by copy: given to the parts as they are made.
    awaited = {(m.folder, m.uid): candidate for m, candidate in found.candidates}
    voices = {(m.folder, m.uid): (when, senders) for m, when, senders in found.voices}
    bounces = {(m.folder, m.uid): bounce for m, bounce in found.bounces}
    since = window(as_of)
    for m, what in zip(messages, became, strict=True):
        copy = (m.folder, m.uid)
        if what is None:  # examine puts every message in one group: a bug, not a verdict
            raise ValueError(f"message {copy} was not audited")
        if what == "undated":
            unreadable = Unreadable(m.folder, m.uid, NO_USABLE_DATE)
            yield m, Part("undated", *_common(m, roles, as_of), unreadable=unreadable)
        elif what == "outbound":
            yield (
                m,
                Part(
                    "outbound",
                    *_common(m, roles, as_of),
                    owner_name=_my_name(m, me),
                    awaited=awaited.get(copy),
                ),
            )
        elif isinstance(what, str):
            yield m, Part(what, *_common(m, roles, as_of))
        else:
            r = what
            waiting, row = kept(r, since)
            yield (
                m,
                Part(
                    "result",
                    *_common(m, roles, as_of),
                    owner_name=_my_name(m, me),
                    thread_id=r.thread_id,
                    status=r.status,
                    latency=None if r.reply is None else r.reply.latency_seconds,
                    by_flag=r.answered_by_flag,
                    arrived=waiting,
                    row=None if row is None else (row[0], row),
                    internal=r.reason is Reason.INTERNAL,
                    business_latency=None if r.reply is None else r.reply.business_latency_seconds,
                    awaited=awaited.get(copy),
                    voice=voices.get(copy),
                    bounce=bounces.get(copy),
                ),
            )


def _common(
    m: Message, roles: Mapping[str, FolderRole], as_of: datetime
) -> tuple[str | None, tuple[str, ...], datetime | None]:
    """What every copy adds whatever became of it: identity detection, the horizon."""
    later = None
    for t in (m.date, m.received_at, m.internal_date):
        if t is not None and t > as_of and (later is None or t < later):
            later = t
    sent_from: str | None = None
    addressed: tuple[str, ...] = ()
    if dated(m):  # audit.detect_identities
        if roles.get(m.folder) is FolderRole.SENT:
            sent_from = m.from_.email if m.from_ is not None and m.from_.email else None
        else:
            addressed = tuple(a.email for a in m.to + m.cc)
    return sent_from, addressed, later


def _my_name(message: Message, me: frozenset[str]) -> str | None:
    sender = message.from_
    return sender.name if sender is not None and sender.email in me and sender.name else None


def thread_rows(found: Examined) -> dict[str, bytes]:
    """What the snapshot keeps of the audit's waiting and answered-late threads, each as
    thread_rows.thread_bytes makes it."""
    return {
        t.thread_id: thread_bytes(thread_row(t, found.hints.get(t.thread_id, NO_SIGNS)))
        for t in found.threads
        if listable(t)
    }


@dataclass(frozen=True)
class Totals:
    """The sum of every cached copy's part, as of the moment of the last update."""

    as_of: datetime
    me: frozenset[str]  # the identities the parts were booked with
    detected: tuple[str, ...]
    counts: Counter[str]  # parts by kind, and results: customer, answered, by_flag
    sent: Counter[str]
    addressed: Counter[str]
    owner_names: Counter[str]
    latencies: tuple[int, ...]  # sorted
    waiting: tuple[datetime, ...]  # sorted
    rows: dict[Copy, tuple[datetime, MessageRow]]  # (arrival, row), pruned to KEPT_DAYS
    unreadable: dict[Copy, tuple[int, Unreadable]]
    threads: dict[str, bytes]  # as thread_rows.thread_bytes makes them
    # Each copy's earliest time after as_of, sorted: a deleted message may have been the
    # earliest, and the snapshot's horizon is then the next one (or none).
    laters: tuple[datetime, ...]
    business_latencies: tuple[int, ...] = ()  # sorted; empty without working hours
    # The awaiting list's makings (Part.awaited, voice, bounce), pruned to what can still
    # count (`apply`): each candidate by the copy it rests on; (address, moment) of each
    # customer message; each bounce.
    awaited: dict[Copy, Awaited] = field(default_factory=dict)
    heard: Counter[tuple[str, datetime]] = field(default_factory=Counter)
    bounces: Counter[Bounce] = field(default_factory=Counter)

    @property
    def horizon(self) -> datetime | None:
        """The earliest message time after as_of, if any."""
        return self.laters[0] if self.laters else None


def empty(as_of: datetime, me: frozenset[str], detected: Sequence[str]) -> Totals:
    """Totals of no message, for identities `me` (`detected` of them found in Sent)."""
    return Totals(
        as_of, me, tuple(detected), Counter(), Counter(), Counter(), Counter(), (), (), {}, {},
        {}, (),
    )  # fmt: skip


def apply(
    totals: Totals,
    removed: Iterable[tuple[Copy, Part]],
    added: Iterable[tuple[Copy, Part]],
    threads: Mapping[str, bytes],
    as_of: datetime,
) -> Totals:
    """`totals` with the `removed` parts taken out and the `added` ones put in, as of `as_of`.

    The threads of removed parts are dropped: the caller re-audited each of them whole, and
    `threads` holds what they became.
    """
    sums = Sums(totals)
    for copy, part in removed:
        sums.take_out(copy, part)
    for copy, part in added:
        sums.put_in(copy, part)
    return sums.result(threads, as_of)


class Sums:
    """`apply` one part at a time: what a full audit's rebuild needs, whose 100,000 parts are
    stored as they are made rather than held together."""

    def __init__(self, totals: Totals) -> None:
        self._totals = totals
        self._counts, self._sent, self._addressed, self._names = (
            Counter(totals.counts),
            Counter(totals.sent),
            Counter(totals.addressed),
            Counter(totals.owner_names),
        )
        self._rows = dict(totals.rows)
        self._unreadable = dict(totals.unreadable)
        self._threads = dict(totals.threads)
        self._awaited = dict(totals.awaited)
        self._heard, self._bounces = Counter(totals.heard), Counter(totals.bounces)
        self._latencies: tuple[Counter[int], list[int]] = (Counter(), [])
        self._business: tuple[Counter[int], list[int]] = (Counter(), [])
        self._waiting: tuple[Counter[datetime], list[datetime]] = (Counter(), [])
        self._laters: tuple[Counter[datetime], list[datetime]] = (Counter(), [])

    def take_out(self, copy: Copy, part: Part) -> None:
        """Take a stored part out."""
        _count(part, self._counts, self._sent, self._addressed, self._names, -1)
        if part.latency is not None:
            self._latencies[0][part.latency] += 1
        if part.business_latency is not None:
            self._business[0][part.business_latency] += 1
        if part.arrived is not None:
            self._waiting[0][part.arrived] += 1
        if part.later is not None:
            self._laters[0][part.later] += 1
        if part.thread_id is not None:
            self._threads.pop(part.thread_id, None)
        self._rows.pop(copy, None)
        self._unreadable.pop(copy, None)
        self._awaited.pop(copy, None)
        _voice(part, self._heard, self._bounces, -1)

    def put_in(self, copy: Copy, part: Part) -> None:
        """Put a new part in."""
        _count(part, self._counts, self._sent, self._addressed, self._names, 1)
        if part.latency is not None:
            self._latencies[1].append(part.latency)
        if part.business_latency is not None:
            self._business[1].append(part.business_latency)
        if part.arrived is not None:
            self._waiting[1].append(part.arrived)
        if part.row is not None:
            self._rows[copy] = part.row
        if part.unreadable is not None:
            kind = _FAILED if part.kind == "failed" else _UNDATED
            self._unreadable[copy] = (kind, part.unreadable)
        if part.later is not None:
            self._laters[1].append(part.later)
        if part.awaited is not None:
            self._awaited[copy] = part.awaited
        _voice(part, self._heard, self._bounces, 1)

    def result(self, threads: Mapping[str, bytes], as_of: datetime) -> Totals:
        """The totals the parts add up to, with `threads` (see `apply`), as of `as_of`."""
        totals = self._totals
        kept_threads = self._threads
        kept_threads.update(threads)
        # Kept a day longer than they count: 60 days back on the wall clock moves back an
        # hour when summer time ends, and what was pruned must never count again.
        cut = oldest(as_of) - timedelta(days=1)
        since = window(as_of)
        heard, bounces = self._heard, self._bounces
        return dataclasses.replace(
            totals,
            as_of=as_of,
            counts=+self._counts,
            sent=+self._sent,
            addressed=+self._addressed,
            owner_names=+self._names,
            latencies=_replaced(totals.latencies, *self._latencies),
            waiting=_replaced(totals.waiting, *self._waiting),
            rows={copy: row for copy, row in self._rows.items() if row[0] > since},
            unreadable=self._unreadable,
            threads=kept_threads,
            # A part's `later` holds at `as_of`: its message has no time in between, as
            # `as_of` is before the horizon (see `current`).
            laters=_replaced(totals.laters, *self._laters),
            business_latencies=_replaced(totals.business_latencies, *self._business),
            awaited={copy: c for copy, c in self._awaited.items() if c.last_sent_at > cut},
            heard=Counter({k: n for k, n in heard.items() if n > 0 and k[1] > cut}),
            bounces=Counter({b: n for b, n in bounces.items() if n > 0 and b.arrived_at > cut}),
        )


def _voice(
    part: Part,
    heard: Counter[tuple[str, datetime]],
    bounces: Counter[Bounce],
    sign: int,
) -> None:
    if part.voice is not None:
        when, senders = part.voice
        for address in senders:
            heard[address, when] += sign
    if part.bounce is not None:
        bounces[part.bounce] += sign


def _count(
    part: Part,
    counts: Counter[str],
    sent: Counter[str],
    addressed: Counter[str],
    names: Counter[str],
    sign: int,
) -> None:
    counts[part.kind] += sign
    if part.status is not None:
        if part.status is Status.NOT_CUSTOMER:
            counts["not_customer"] += sign
            if part.internal:
                counts["internal"] += sign
        else:
            counts["customer"] += sign
            if part.status is Status.ANSWERED:
                counts["answered"] += sign
            if part.by_flag:
                counts["by_flag"] += sign
    if part.sent_from is not None:
        sent[part.sent_from] += sign
    for address in part.addressed:
        addressed[address] += sign
    if part.owner_name is not None and part.kind in ("result", "outbound"):
        names[part.owner_name] += sign


_T = TypeVar("_T", int, datetime)


def _replaced(values: tuple[_T, ...], out: Counter[_T], added: list[_T]) -> tuple[_T, ...]:
    """Sorted `values` less the multiset `out`, plus `added`."""
    if not out and not added:
        return values
    # `out` is a night's closure (hundreds) and `values` every figure (~40,000 latencies at
    # 100,000 messages): each run of equal values taken out is found by bisection and the
    # rest copied in slices, not every value looked up (~25 ms a night).
    kept: list[_T] = []
    start = 0
    for value, count in sorted(out.items()):
        if count <= 0:
            continue
        at = bisect.bisect_left(values, value, start)
        end = at + count
        if end > len(values) or values[end - 1] != value:
            raise ValueError("the kept audit lost track of a figure")
        kept.extend(values[start:at])
        start = end
    kept.extend(values[start:])
    kept.extend(added)
    kept.sort()  # timsort: two sorted runs are merged in one pass
    return tuple(kept)


def identities_hold(totals: Totals) -> bool:
    """Whether the identities detected from the totals are still those the parts used."""
    return tuple(identities_from(totals.sent, totals.addressed)) == totals.detected


def current(totals: Totals, as_of: datetime) -> bool:
    """Whether the parts still hold at `as_of`: not earlier than they were booked, and no
    message has come to be before the audit moment since."""
    # In absolute time: two moments in one zone compare on the wall clock, which the hour
    # repeated when summer time ends puts out of order.
    # The kept days too: 60 days before on the wall clock goes back in that hour.
    earlier = totals.as_of.astimezone(UTC) <= as_of.astimezone(UTC)
    kept_earlier = window(totals.as_of).astimezone(UTC) <= window(as_of).astimezone(UTC)
    return earlier and kept_earlier and (totals.horizon is None or as_of < totals.horizon)


def snapshot(
    totals: Totals,
    source: str,
    folders: Sequence[Folder],
    settings: Settings,
) -> Snapshot:
    """The snapshot a full audit of the same mail would have left, as of `totals.as_of`."""
    as_of = totals.as_of
    sla = settings.sla
    counts = totals.counts
    # metrics.waiting_status, counted at once: arrived by the deadline (sorted arrivals).
    overdue = bisect.bisect_right(totals.waiting, deadline(as_of, sla, settings.sla_calendar))
    order = {folder.name: index for index, folder in enumerate(folders)}
    unreadable = sorted(
        totals.unreadable.items(),
        key=lambda item: (item[1][0], order.get(item[0][0], len(order)), item[0][1]),
    )
    report = AuditReport(
        source=source,
        as_of=as_of,
        sla_seconds=int(sla.total_seconds()),
        identities=tuple(sorted(totals.me)),
        identities_detected=totals.detected,
        folders=tuple(folders),
        summary=summary_of(
            totals.latencies,
            sla,
            customer_messages=counts["customer"],
            answered=counts["answered"],
            answered_unknown_latency=counts["by_flag"],
            pending=len(totals.waiting) - overdue,
            overdue=overdue,
            not_customer=counts["not_customer"],
            unreadable=len(unreadable),
            duplicates=counts["duplicate"],
            drafts=counts["draft"],
            after_as_of=counts["after"],
            outbound=counts["outbound"],
            internal=counts["internal"],
            business_latencies=totals.business_latencies,
            business=settings.sla_business,
        ),
        messages=(),
        threads=(),
        unreadable=tuple(item for _, (_, item) in unreadable),
        problems=(),
        owner=owner_name(totals.owner_names),
        calendar=settings.calendar,
        sla_business=settings.sla_business,
        awaiting=still_awaited(
            (c for c in totals.awaited.values() if recent(c.last_sent_at, as_of)),
            heard_from((when, (address,)) for address, when in totals.heard),
            list(totals.bounces),
        ),
    )
    rows = [row for _, row in totals.rows.values()]  # assemble keeps KEPT_DAYS, in order
    return assemble(report, totals.threads.items(), rows, totals.waiting, totals.horizon)


def closure_size_ok(closure: Collection[Copy], total: int) -> bool:
    """Whether re-auditing `closure` beats a full audit of `total` copies."""
    return len(closure) * 4 <= max(total, 1)
