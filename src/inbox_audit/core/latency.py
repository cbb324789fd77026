"""Each answered customer message's wall-clock and business latency: the one place they're read.

Every figure (summary, period, trend, buckets, stats, email) takes a response's latencies from
here, so that business time — the wall clock clipped to working hours — has one definition:
the working time core/worktime.py counts in the owner's calendar (ReplyRef.
business_latency_seconds, metrics.reply_ref). Without working hours configured, business time
is the wall clock (issue #15: "without working hours configured, today's behaviour stays").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from inbox_audit.core import worktime
from inbox_audit.model import MessageResult, Reason, Status
from inbox_audit.settings import WorkCalendar

DAY = 86400


def business_seconds(start: datetime, end: datetime, calendar: WorkCalendar | None = None) -> int:
    """The working time between two moments, in seconds (0 when `end` is not after `start`):
    in the owner's `calendar` (worktime.business_seconds), every second without one."""
    if calendar is not None:
        return worktime.business_seconds(calendar, start, end)
    return max(0, int((end - start).total_seconds()))


def business_days_between(
    start: datetime, end: datetime, calendar: WorkCalendar | None = None
) -> int:
    """Whole business days from `start` to `end`: how long the other side has been silent.
    A business day is the working time of one opening day (worktime.day_seconds); 24 h
    without working hours."""
    day = DAY if calendar is None else worktime.day_seconds(calendar)
    return business_seconds(start, end, calendar) // day


def business_latency(wall_seconds: int, business: int | None) -> int:
    """A reply's business latency: its working time (ReplyRef.business_latency_seconds) when
    working hours are set, else its wall-clock latency."""
    return wall_seconds if business is None else business


@dataclass(frozen=True, slots=True)
class Response:
    """A customer message as the figures read it: when it arrived, what became of it, and, when
    a reply was found, when it was sent and both latencies."""

    thread_id: str
    correspondent: str  # the sender's address, lower-cased ("" when unknown)
    arrived_at: datetime
    status: Status  # answered, pending or overdue at the audit's moment
    answered_at: datetime | None  # the reply's sending time (None: no reply copy found)
    reply_id: str | None  # the reply's Message-ID: the messages it answered are one exchange
    wall_seconds: int | None
    business_seconds: int | None
    internal: bool = False  # from a colleague (Reason.INTERNAL)


def response(result: MessageResult) -> Response | None:
    """What the figures read of a message: None for one that needs no answer (but a
    colleague's) or has no arrival time."""
    arrived = result.message.arrived_at
    internal = result.reason is Reason.INTERNAL
    if arrived is None or (result.status is Status.NOT_CUSTOMER and not internal):
        return None
    reply = result.reply
    sender = result.message.from_
    wall = None if reply is None else reply.latency_seconds
    return Response(
        thread_id=result.thread_id,
        correspondent="" if sender is None else sender.email,
        arrived_at=arrived,
        status=result.status,
        answered_at=None if reply is None else reply.sent_at,
        reply_id=None if reply is None else (reply.message_id or reply.sent_at.isoformat()),
        wall_seconds=wall,
        business_seconds=(
            None
            if reply is None
            else business_latency(reply.latency_seconds, reply.business_latency_seconds)
        ),
        internal=internal,
    )


def responses(results: Iterable[MessageResult]) -> list[Response]:
    """The customer messages (and colleagues') that have an arrival time, by arrival."""
    found = [r for result in results if (r := response(result)) is not None]
    found.sort(key=lambda r: r.arrived_at)
    return found
