"""What the owner is shown of a report: the threads listed, in order, and the period figures.

One definition for every output (table, Markdown, summary, email) and for the nightly
snapshot, which re-dates the same figures without the messages.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from operator import itemgetter

from inbox_audit.core.latency import business_latency
from inbox_audit.core.metrics import (
    STATUS_RANK,
    WAITING,
    late_count,
    percentile,
    within_sla_ratio,
)
from inbox_audit.model import AuditReport, MessageResult, Status, ThreadResult

#: The periods the figures cover, in days, each compared with the period of equal length before.
PERIOD_DAYS: tuple[int, ...] = (1, 7, 28)
#: The response-time histogram: each bucket's label and its upper bound in seconds (excluded;
#: None: no bound). A reply in exactly one hour is in "1–4 h".
BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("< 1 h", 3600),
    ("1–4 h", 4 * 3600),
    ("4–24 h", 24 * 3600),
    ("1–3 d", 3 * 86400),
    ("3–7 d", 7 * 86400),
    ("> 7 d", None),
)
#: The weekly trend's default length, in weeks.
TREND_WEEKS = 12


def bucket_counts(latencies: Iterable[float]) -> tuple[int, ...]:
    """How many of `latencies` fall in each of BUCKETS."""
    counts = [0] * len(BUCKETS)
    for latency in latencies:
        counts[bucket_of(latency)] += 1
    return tuple(counts)


def bucket_of(latency: float) -> int:
    """The index in BUCKETS of the bucket `latency` (seconds) falls in."""
    for index, (_, bound) in enumerate(BUCKETS):
        if bound is None or latency < bound:
            return index
    raise AssertionError("the last bucket has no bound")


def mean(values: Sequence[float]) -> float | None:
    """The arithmetic mean; None for no values."""
    return sum(values) / len(values) if values else None


def urgency(thread: ThreadResult) -> tuple[int, int]:
    """The order threads are listed in: overdue first, then pending, each longest wait first
    (ties keep the report's order, metrics.thread_order)."""
    return STATUS_RANK[thread.status], -(thread.waiting_seconds or 0)


def lateness(thread: ThreadResult) -> int:
    """The order threads answered late are listed in: longest response first (ties keep the
    report's order)."""
    return -(thread.max_latency_seconds or 0)


def threads_in_order(threads: Iterable[ThreadResult]) -> list[ThreadResult]:
    """Overdue first, then pending, each longest wait first; ties keep the report's order."""
    return sorted(threads, key=urgency)


def _waiting(report: AuditReport) -> list[ThreadResult]:
    return [t for t in threads_in_order(report.threads) if t.status in WAITING]


def _answered_late(report: AuditReport) -> list[ThreadResult]:
    return sorted((t for t in report.threads if t.answered_late), key=lateness)


@dataclass(frozen=True)
class Listing:
    """The threads the formats for people (table, Markdown, summary, email) list, and the
    counts they give.

    `listing` gives all of a report's. A snapshot re-dated for the nightly run lists only the
    first of each kind (snapshot.outline), which is all the table, summary and email show:
    its counts are still whole.
    """

    waiting: tuple[ThreadResult, ...]  # overdue, then pending, each longest wait first
    waiting_count: int
    overdue_count: int
    oldest_overdue: datetime | None  # the earliest waiting_since of an overdue thread
    late: tuple[ThreadResult, ...]  # answered late, longest response first
    late_count: int

    @property
    def whole(self) -> bool:
        """Whether every thread counted is listed."""
        return len(self.waiting) == self.waiting_count and len(self.late) == self.late_count


def listing(report: AuditReport) -> Listing:
    """Every waiting and answered-late thread of `report`, in the order they are shown."""
    waiting = _waiting(report)
    overdue = [t for t in waiting if t.status is Status.OVERDUE]
    late = _answered_late(report)
    return Listing(
        waiting=tuple(waiting),
        waiting_count=len(waiting),
        overdue_count=len(overdue),
        oldest_overdue=min(
            (t.waiting_since for t in overdue if t.waiting_since is not None), default=None
        ),
        late=tuple(late),
        late_count=len(late),
    )


@dataclass(frozen=True)
class Figures:
    """Response-time figures for the customer messages that arrived in (start, end].

    Each message's fate is taken as of the audit: a message received last week and answered
    yesterday counts as answered, and "still waiting" means waiting at the audit's moment.
    """

    start: datetime  # exclusive, UTC
    end: datetime  # inclusive, UTC
    received: int  # customer messages that arrived in the period
    answered: int  # of those, answered by the audit's moment
    median_response_seconds: float | None  # over those answered with a known reply time
    # Answered within the SLA, out of those whose fate against it is known (answered with a
    # known reply time, or overdue); pending ones may still make it. metrics.summarize's rule.
    within_sla_ratio: float | None
    still_waiting: int  # of those, pending or overdue at the audit's moment
    mean_response_seconds: float | None = None
    p90_response_seconds: float | None = None
    # The same in business time (latency.business_latency: the wall clock until working
    # hours are configured).
    median_business_seconds: float | None = None
    mean_business_seconds: float | None = None
    p90_business_seconds: float | None = None
    buckets: tuple[int, ...] = ()  # answered per BUCKETS, wall clock
    business_buckets: tuple[int, ...] = ()  # the same, business time


@dataclass(frozen=True)
class PeriodFigures:
    """The last `days` days before the audit beside the `days` days before that."""

    days: int
    current: Figures
    previous: Figures


#: A customer message as the figures read it: when it arrived, its status (answered, pending or
#: overdue), its reply's latency in seconds (None: no reply found) and the same in working time
#: (None too without working hours).
Arrival = tuple[datetime, Status, int | None, int | None]


def arrival(result: MessageResult) -> Arrival | None:
    """What the figures read of a message: None for one that is not a customer's or has no
    arrival time, which they leave out."""
    arrived = result.message.arrived_at
    if arrived is None or result.status is Status.NOT_CUSTOMER:
        return None
    reply = result.reply
    if reply is None:
        return arrived, result.status, None, None
    return arrived, result.status, reply.latency_seconds, reply.business_latency_seconds


def arrivals(report: AuditReport) -> list[Arrival]:
    """The report's customer messages that have an arrival time, in order of arrival."""
    rows = [row for r in report.messages if (row := arrival(r)) is not None]
    rows.sort(key=itemgetter(0))
    return rows


def _figures(
    rows: Sequence[Arrival],
    sla_seconds: int,
    start: datetime,
    end: datetime,
    sla_business: bool = False,
) -> Figures:
    # `rows` are in order of arrival: those of (start, end] are one slice.
    first = bisect.bisect_right(rows, start, key=itemgetter(0))
    results = rows[first : bisect.bisect_right(rows, end, lo=first, key=itemgetter(0))]
    replied = [(wall, worked) for _, _, wall, worked in results if wall is not None]
    latencies = sorted(float(wall) for wall, _ in replied)
    # Working time where working hours are set, else the wall clock (latency.business_latency).
    business = sorted(float(business_latency(wall, worked)) for wall, worked in replied)
    # Late on the SLA's clock: working time for a business-time SLA (metrics.sla_latency).
    late = late_count(business if sla_business else latencies, sla_seconds)
    statuses = [status for _, status, _, _ in results]
    return Figures(
        start=start,
        end=end,
        received=len(results),
        answered=statuses.count(Status.ANSWERED),
        median_response_seconds=percentile(latencies, 0.5),
        within_sla_ratio=within_sla_ratio(len(latencies), late, statuses.count(Status.OVERDUE)),
        still_waiting=statuses.count(Status.PENDING) + statuses.count(Status.OVERDUE),
        mean_response_seconds=mean(latencies),
        p90_response_seconds=percentile(latencies, 0.9),
        median_business_seconds=percentile(business, 0.5),
        mean_business_seconds=mean(business),
        p90_business_seconds=percentile(business, 0.9),
        buckets=bucket_counts(latencies),
        business_buckets=bucket_counts(business),
    )


def figures_between(
    rows: Sequence[Arrival],
    sla_seconds: int,
    start: datetime,
    end: datetime,
    sla_business: bool = False,
) -> Figures:
    """Figures for the customer messages of `rows` (in order of arrival) that arrived in
    (start, end]; `sla_business`: the SLA counts working time (AuditReport.sla_business)."""
    return _figures(rows, sla_seconds, start.astimezone(UTC), end.astimezone(UTC), sla_business)


def weekly_trend(
    rows: Sequence[Arrival],
    sla_seconds: int,
    end: datetime,
    tz: tzinfo,
    weeks: int = TREND_WEEKS,
    sla_business: bool = False,
) -> list[Figures]:
    """Figures for each of the `weeks` weeks (7 days on the owner's wall clock in `tz`) up to
    `end`, oldest first: the same definitions as every other period."""
    local = end.astimezone(tz)
    return [
        _figures(
            rows,
            sla_seconds,
            (local - timedelta(days=7 * (back + 1))).astimezone(UTC),
            (local - timedelta(days=7 * back)).astimezone(UTC),
            sla_business,
        )
        for back in reversed(range(weeks))
    ]


def period_figures(
    report: AuditReport, tz: tzinfo, rows: Sequence[Arrival] | None = None
) -> list[PeriodFigures]:
    """Figures for the last 1, 7 and 28 days before `report.as_of`, each with the period before.

    Days are counted on the owner's wall clock in `tz`, so "the last 7 days" of a nightly run
    at 07:00 starts at 07:00 a week ago even across a daylight-saving change. `rows`: the
    report's `arrivals` when it holds no messages itself (a re-dated snapshot), at least
    those of the last 56 days.
    """
    if rows is None:
        rows = arrivals(report)
    end = report.as_of.astimezone(tz)
    figures = []
    for days in PERIOD_DAYS:
        # Aware arithmetic within one tzinfo is wall-clock arithmetic; compare in UTC.
        middle = (end - timedelta(days=days)).astimezone(UTC)
        start = (end - timedelta(days=2 * days)).astimezone(UTC)
        figures.append(
            PeriodFigures(
                days=days,
                current=_figures(
                    rows, report.sla_seconds, middle, end.astimezone(UTC), report.sla_business
                ),
                previous=_figures(rows, report.sla_seconds, start, middle, report.sla_business),
            )
        )
    return figures
