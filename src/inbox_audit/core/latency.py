"""Each answered customer message's wall-clock and business latency: the one place they're read.

Every figure (summary, period, trend, buckets, stats, email) takes a response's latencies from
here, so that business time — the wall clock clipped to working hours — has one definition.
Without working hours configured, business time is the wall clock (issue #15: "without
working hours configured, today's behaviour stays").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from inbox_audit.model import MessageResult, Status

DAY = 86400


def business_seconds(start: datetime, end: datetime) -> int:
    """The working time between two moments, in seconds (0 when `end` is not after `start`).

    No working calendar is configured yet: every second counts.
    """
    return max(0, int((end - start).total_seconds()))


def business_days_between(start: datetime, end: datetime) -> int:
    """Whole business days from `start` to `end`: how long the other side has been silent."""
    return business_seconds(start, end) // DAY


def business_latency(arrived: datetime, wall_seconds: int) -> int:
    """The business latency of a reply sent `wall_seconds` after `arrived`."""
    return business_seconds(arrived, arrived + timedelta(seconds=wall_seconds))


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
    internal: bool = False  # from a colleague (classification reason "internal")


def is_internal(result: MessageResult) -> bool:
    """Whether a message is a colleague's: the classification reason `internal`, when the
    classifier gives it (until then every customer message is external)."""
    return result.reason is not None and result.reason.value == "internal"


def response(result: MessageResult) -> Response | None:
    """What the figures read of a message: None for one that needs no answer (but a
    colleague's) or has no arrival time."""
    arrived = result.message.arrived_at
    internal = is_internal(result)
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
        business_seconds=None if wall is None else business_latency(arrived, wall),
        internal=internal,
    )


def responses(results: Iterable[MessageResult]) -> list[Response]:
    """The customer messages (and colleagues') that have an arrival time, by arrival."""
    found = [r for result in results if (r := response(result)) is not None]
    found.sort(key=lambda r: r.arrived_at)
    return found
