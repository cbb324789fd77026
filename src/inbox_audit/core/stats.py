"""The figures owners compare over a period: first responses, who waited, internal mail, trend.

Built on figures.py (one definition of each period figure) and latency.py (one source of each
response's wall-clock and business latency), for `inbox-audit stats` and the JSON summary.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from inbox_audit.core.awaiting import AWAITING_DAYS, AwaitingReply, awaiting_reply
from inbox_audit.core.figures import (
    TREND_WEEKS,
    Figures,
    PeriodFigures,
    arrivals,
    bucket_counts,
    figures_between,
    period_figures,
    weekly_trend,
)
from inbox_audit.core.latency import Response, business_seconds, responses
from inbox_audit.core.metrics import WAITING, percentile
from inbox_audit.model import AuditReport
from inbox_audit.settings import WorkCalendar

#: The default period of `stats`, in days before its end.
PERIOD_DAYS = 28
#: How many customers and domains the "kept waiting longest" lists name.
TOP = 10


@dataclass(frozen=True, slots=True)
class Exchange:
    """Customer messages answered by one reply: the first response is timed from the first."""

    thread_id: str
    started_at: datetime  # the first customer message's arrival
    wall_seconds: int
    business_seconds: int


def exchanges(items: Iterable[Response]) -> list[Exchange]:
    """Every answered exchange, by its start: the customer messages one reply answered.

    A reply answers every earlier unanswered customer message of its thread (pairing.answers),
    so the messages sharing a reply are the exchange, and its first response is that reply's
    latency from the first of them: the longest of their latencies.
    """
    found: dict[tuple[str, str], Response] = {}
    for item in items:
        if item.reply_id is None or item.wall_seconds is None or item.internal:
            continue
        key = (item.thread_id, item.reply_id)
        first = found.get(key)
        if first is None or item.arrived_at < first.arrived_at:
            found[key] = item
    result = [
        Exchange(r.thread_id, r.arrived_at, r.wall_seconds or 0, r.business_seconds or 0)
        for r in found.values()
    ]
    result.sort(key=lambda e: (e.started_at, e.thread_id))
    return result


@dataclass(frozen=True)
class FirstResponse:
    """The first-response times of the exchanges that started in a period."""

    count: int
    median: float | None
    p90: float | None
    business_median: float | None
    business_p90: float | None


def first_response(found: Sequence[Exchange]) -> FirstResponse:
    """Median and 90th percentile of `found`'s first responses, wall clock and business."""
    wall = sorted(float(e.wall_seconds) for e in found)
    business = sorted(float(e.business_seconds) for e in found)
    return FirstResponse(
        len(found),
        percentile(wall, 0.5),
        percentile(wall, 0.9),
        percentile(business, 0.5),
        percentile(business, 0.9),
    )


@dataclass(frozen=True)
class Waited:
    """A customer (or a domain) and how long they were kept waiting in a period."""

    name: str
    messages: int
    longest_seconds: int  # business time: to the reply, else to the audit's moment
    still_waiting: int


def waited(item: Response, as_of: datetime, calendar: WorkCalendar | None = None) -> int | None:
    """How long a customer message waited, in business time: to its reply, or, still waiting,
    to `as_of`; None when it was answered with no reply found (the \\Answered flag alone)."""
    if item.business_seconds is not None:
        return item.business_seconds
    if item.status in WAITING:
        return business_seconds(item.arrived_at, as_of, calendar)
    return None


def kept_waiting(
    items: Sequence[Response],
    as_of: datetime,
    by_domain: bool,
    calendar: WorkCalendar | None = None,
) -> list[Waited]:
    """The customers (or their domains) kept waiting longest, longest first, the TOP of them."""
    groups: dict[str, list[Response]] = defaultdict(list)
    for item in items:
        if item.internal or not item.correspondent:
            continue
        name = item.correspondent.rpartition("@")[2] if by_domain else item.correspondent
        groups[name].append(item)
    found = []
    for name, group in groups.items():
        waits = [w for item in group if (w := waited(item, as_of, calendar)) is not None]
        if not waits:
            continue
        found.append(
            Waited(name, len(group), max(waits), sum(1 for i in group if i.status in WAITING))
        )
    found.sort(key=lambda w: (-w.longest_seconds, w.name))
    return found[:TOP]


@dataclass(frozen=True)
class PeriodStats:
    """Everything `stats` shows for the period (start, end]."""

    start: datetime
    end: datetime
    sla_seconds: int
    figures: Figures  # every answered message's response time, and the counts
    first_response: FirstResponse
    external: int  # customer messages that arrived in the period
    internal: int  # colleagues' messages (classification reason "internal")
    customers: tuple[Waited, ...]
    domains: tuple[Waited, ...]
    windows: tuple[PeriodFigures, ...]  # 1, 7 and 28 days before `end`, each with the one before
    trend: tuple[Figures, ...]  # the last weeks up to `end`, oldest first
    awaiting: tuple[AwaitingReply, ...]
    awaiting_days: int
    complete: bool  # False when some mail could not be read: the figures may miss messages


def default_start(end: datetime, tz: tzinfo) -> datetime:
    """The default period's start: PERIOD_DAYS before `end` on the owner's wall clock."""
    return end.astimezone(tz) - timedelta(days=PERIOD_DAYS)


def period_stats(
    report: AuditReport,
    tz: tzinfo,
    start: datetime | None = None,
    weeks: int = TREND_WEEKS,
    awaiting_days: int = AWAITING_DAYS,
    lang: str | None = None,
) -> PeriodStats:
    """The stats of `report` for (start, report.as_of]; `start` defaults to PERIOD_DAYS
    before. The end is the report's moment: an audit as of --until sees the mailbox as it was
    then, so every message's fate is as of the end of the period."""
    end = report.as_of
    begin = default_start(end, tz) if start is None else start
    rows = arrivals(report)
    every = responses(report.messages)
    inside = [r for r in every if begin < r.arrived_at <= end]
    started = [e for e in exchanges(every) if begin < e.started_at <= end]
    return PeriodStats(
        start=begin,
        end=end,
        sla_seconds=report.sla_seconds,
        figures=figures_between(rows, report.sla_seconds, begin, end, report.sla_business),
        first_response=first_response(started),
        external=sum(1 for r in inside if not r.internal),
        internal=sum(1 for r in inside if r.internal),
        customers=tuple(kept_waiting(inside, end, False, report.calendar)),
        domains=tuple(kept_waiting(inside, end, True, report.calendar)),
        windows=tuple(period_figures(report, tz, rows)),
        trend=tuple(weekly_trend(rows, report.sla_seconds, end, tz, weeks, report.sla_business)),
        awaiting=tuple(
            awaiting_reply(
                report.awaiting or (), end, awaiting_days, lang, report.owner, report.calendar
            )
        ),
        awaiting_days=awaiting_days,
        complete=not report.unreadable and not report.problems,
    )


@dataclass(frozen=True)
class ReportFigures:
    """The JSON summary's distribution figures over every customer message of an audit."""

    buckets: tuple[int, ...]  # answered with a known latency, per figures.BUCKETS, wall clock
    business_buckets: tuple[int, ...]
    first_response: FirstResponse  # over every answered exchange
    first_by_thread: dict[str, Exchange]  # each thread's first exchange


def report_figures(report: AuditReport) -> ReportFigures:
    """`ReportFigures` of `report` (which must hold its messages)."""
    every = responses(report.messages)
    answered = [r for r in every if r.wall_seconds is not None and not r.internal]
    found = exchanges(every)
    first: dict[str, Exchange] = {}
    for exchange in found:
        first.setdefault(exchange.thread_id, exchange)
    return ReportFigures(
        bucket_counts(r.wall_seconds or 0 for r in answered),
        bucket_counts(r.business_seconds or 0 for r in answered),
        first_response(found),
        first,
    )
