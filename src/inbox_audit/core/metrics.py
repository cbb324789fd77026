"""[Response] + SLA + now → statuses, thread verdicts and the summary figures."""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from inbox_audit.core.ids import reply_references
from inbox_audit.core.latency import business_latency
from inbox_audit.core.pairing import ANSWERED_FLAG, Response, has_flag
from inbox_audit.core.worktime import WorkTimeError, business_seconds, subtract_business
from inbox_audit.model import (
    Address,
    Message,
    MessageResult,
    Reason,
    ReplyRef,
    Status,
    Summary,
    ThreadResult,
)
from inbox_audit.settings import WorkCalendar

#: Threads and messages in the order shown: overdue, pending, answered, no answer needed.
STATUS_RANK = {Status.OVERDUE: 0, Status.PENDING: 1, Status.ANSWERED: 2, Status.NOT_CUSTOMER: 3}
#: The statuses of a customer message (and a thread) still waiting for an answer.
WAITING = (Status.PENDING, Status.OVERDUE)


def message_result(
    response: Response,
    as_of: datetime,
    sla: timedelta,
    calendar: WorkCalendar | None = None,
    *,
    business: bool = False,
) -> MessageResult:
    """The status of one inbound message as of a moment; with a `calendar`, its reply's
    latency in working time too, and the SLA counts working time when `business`."""
    message = response.inbound
    if response.reason is not None:
        return MessageResult(
            message, Status.NOT_CUSTOMER, response.reason, response.thread_id, None
        )
    if response.reply is not None and response.reply_sent_at is not None:
        sent_at = response.reply_sent_at
        ref = reply_ref(response.reply, response.arrived_at or sent_at, sent_at, calendar)
        return MessageResult(message, Status.ANSWERED, None, response.thread_id, ref)
    if response.answered_by_flag:
        return MessageResult(
            message, Status.ANSWERED, None, response.thread_id, None, answered_by_flag=True
        )
    cut = deadline(as_of, sla, calendar if business else None)
    status = waiting_status(response.arrived_at, cut)
    return MessageResult(message, status, None, response.thread_id, None)


def result_of(
    message: Message,
    reason: Reason | None,
    thread_id: str,
    answer: tuple[Message, datetime] | None,
    as_of: datetime,
    cut: datetime,
    calendar: WorkCalendar | None = None,
) -> MessageResult:
    """message_result(response_for(message, reason, thread_id, answer), as_of, ...), without
    the Response in between: the audit makes one per inbound message, 100,000s of them.
    `cut` is the `deadline` at `as_of`, the same for all."""
    if reason is not None:
        return MessageResult(message, Status.NOT_CUSTOMER, reason, thread_id, None)
    arrived = message.arrived_at
    if answer is not None:
        reply, sent_at = answer
        ref = reply_ref(reply, arrived or sent_at, sent_at, calendar)
        return MessageResult(message, Status.ANSWERED, None, thread_id, ref)
    if has_flag(message.flags, ANSWERED_FLAG):
        return MessageResult(
            message, Status.ANSWERED, None, thread_id, None, True
        )  # answered_by_flag
    status = waiting_status(arrived, cut)
    return MessageResult(message, status, None, thread_id, None)


def reply_ref(
    reply: Message, start: datetime, sent_at: datetime, calendar: WorkCalendar | None
) -> ReplyRef:
    """The reply sent at `sent_at` to a message that arrived at `start`, with its latency on
    the wall clock and, with a `calendar`, in working time (`business_seconds`)."""
    # A reply that cites the message may carry a clock a few minutes behind the server's.
    latency = max(0, int((sent_at - start).total_seconds()))
    business = None if calendar is None else business_seconds(calendar, start, sent_at)
    return ReplyRef(reply.message_id, sent_at, latency, business)


def sla_latency(reply: ReplyRef, business: bool) -> int:
    """A reply's latency on the SLA's clock: working time when `business`
    (latency.business_latency), else wall."""
    wall = reply.latency_seconds
    return business_latency(wall, reply.business_latency_seconds) if business else wall


_START = datetime.min.replace(tzinfo=UTC)


def deadline(as_of: datetime, sla: timedelta, calendar: WorkCalendar | None = None) -> datetime:
    """The latest arrival that has waited the SLA at `as_of` (exactly the SLA is overdue).

    In absolute time: `as_of - sla` in a zone with summer time is wall-clock arithmetic, an
    hour off across a change. With a `calendar` (a business-time SLA), the SLA counts
    working time only: what came in over the weekend has waited nothing before Monday.
    """
    if calendar is None:
        return as_of.astimezone(UTC) - sla
    try:
        return subtract_business(calendar, as_of, sla.total_seconds())
    except WorkTimeError:  # no working time for years before: nothing has waited the SLA
        return _START


def waiting_status(arrived: datetime | None, cut: datetime) -> Status:
    """The status of an unanswered customer message: overdue when it arrived by the deadline
    `cut` (`deadline`), else pending (an unknown arrival too)."""
    return Status.OVERDUE if arrived is not None and arrived <= cut else Status.PENDING


def waiting_verdict(
    since: datetime | None, as_of: datetime, cut: datetime
) -> tuple[Status, int | None]:
    """A waiting thread's status and wait in seconds at `as_of` (whose deadline is `cut`),
    from the arrival of its customer message that has waited longest (`since`; None: unknown).

    The thread is overdue when that message is: any other waiting one arrived later.
    """
    waited = None if since is None else int((as_of - since).total_seconds())
    return waiting_status(since, cut), waited


def is_late(latency: float, sla_seconds: float) -> bool:
    """Whether a reply came after the SLA: exactly at the SLA is late, as the message had
    just become overdue."""
    return latency >= sla_seconds


def late_count(latencies: Sequence[float], sla_seconds: float) -> int:
    """How many of `latencies` (sorted) are late (`is_late`): all from the first late one."""
    first = bisect.bisect_left(latencies, True, key=lambda latency: is_late(latency, sla_seconds))
    return len(latencies) - first


def within_sla_ratio(known: int, late: int, past_sla: int) -> float | None:
    """The share answered in time among the messages whose fate is known: `known` answered
    with a known latency, `late` of them after the SLA, and `past_sla` unanswered past it.
    """
    decided = known + past_sla
    return (known - late) / decided if decided else None


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear-interpolated percentile (the 'inclusive' method); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize(
    results: Sequence[MessageResult],
    sla: timedelta,
    unreadable: int,
    duplicates: int,
    drafts: int = 0,
    after_as_of: int = 0,
    outbound: int = 0,
    *,
    business: bool = False,
) -> Summary:
    """Headline figures of an audit's results (see `summary_of`)."""
    customers = [r for r in results if r.status is not Status.NOT_CUSTOMER]
    statuses = Counter(r.status for r in customers)
    replies = [r.reply for r in customers if r.reply is not None]
    return summary_of(
        sorted(reply.latency_seconds for reply in replies),
        sla,
        business_latencies=sorted(
            reply.business_latency_seconds
            for reply in replies
            if reply.business_latency_seconds is not None
        ),
        business=business,
        customer_messages=len(customers),
        answered=statuses[Status.ANSWERED],
        answered_unknown_latency=sum(1 for r in customers if r.answered_by_flag),
        pending=statuses[Status.PENDING],
        overdue=statuses[Status.OVERDUE],
        not_customer=len(results) - len(customers),
        unreadable=unreadable,
        duplicates=duplicates,
        drafts=drafts,
        after_as_of=after_as_of,
        outbound=outbound,
        internal=sum(1 for r in results if r.reason is Reason.INTERNAL),
    )


def summary_of(
    latencies: Sequence[int],
    sla: timedelta,
    *,
    customer_messages: int,
    answered: int,
    answered_unknown_latency: int,
    pending: int,
    overdue: int,
    not_customer: int,
    unreadable: int,
    duplicates: int,
    drafts: int,
    after_as_of: int,
    outbound: int,
    internal: int = 0,
    business_latencies: Sequence[int] = (),
    business: bool = False,
) -> Summary:
    """Headline figures from the replies' latencies (sorted) and the counts of messages:
    `summarize`'s, and the incremental audit's (ledger.py), which keeps those, not results.

    `business_latencies` (sorted): the same replies' in working time, when working hours are
    set; a reply is late on the SLA's clock, working time when `business`.
    """
    late = late_count(business_latencies if business else latencies, sla.total_seconds())
    summary = Summary(
        customer_messages=customer_messages,
        answered=answered,
        answered_late=late,
        answered_unknown_latency=answered_unknown_latency,
        pending=0,
        overdue=0,
        not_customer=not_customer,
        median_response_seconds=percentile(latencies, 0.5),
        p90_response_seconds=percentile(latencies, 0.9),
        within_sla_ratio=None,
        unreadable=unreadable,
        duplicates=duplicates,
        drafts=drafts,
        after_as_of=after_as_of,
        outbound=outbound,
        internal=internal,
        median_business_response_seconds=percentile(business_latencies, 0.5),
        p90_business_response_seconds=percentile(business_latencies, 0.9),
    )
    return with_waiting(summary, pending, overdue)


def with_waiting(summary: Summary, pending: int, overdue: int) -> Summary:
    """`summary` with `pending` and `overdue` customer messages waiting: what moves when only
    time does (a snapshot re-dated, snapshot.py), with the within-SLA share.

    The within-SLA share counts every customer message whose fate against the SLA is known:
    answered with a known latency (in time or late) and unanswered past the SLA. Pending ones
    may still be answered in time, and \\Answered-flag ones have no latency: both are left out
    (every answered message has either a reply, with its latency, or the flag alone).
    """
    known = summary.answered - summary.answered_unknown_latency
    return dataclasses.replace(
        summary,
        pending=pending,
        overdue=overdue,
        within_sla_ratio=within_sla_ratio(known, summary.answered_late, overdue),
    )


def thread_results(
    results: Sequence[MessageResult],
    as_of: datetime,
    sla: timedelta,
    sla_calendar: WorkCalendar | None = None,
) -> list[ThreadResult]:
    """One verdict per customer thread, worst first: overdue, pending (longest wait first),
    then answered (answered late first). With `sla_calendar`, the SLA counts working time."""
    by_thread: dict[str, list[MessageResult]] = defaultdict(list)
    for result in results:
        if result.status is not Status.NOT_CUSTOMER:
            by_thread[result.thread_id].append(result)
    cut = deadline(as_of, sla, sla_calendar)
    threads = [
        thread_result(thread, items, as_of, sla, cut, business=sla_calendar is not None)
        for thread, items in by_thread.items()
    ]
    return sorted(threads, key=thread_order)


def thread_order(thread: ThreadResult) -> tuple[int, int, int, str]:
    return (
        STATUS_RANK[thread.status],
        -(thread.waiting_seconds or 0),
        -(thread.max_latency_seconds or 0) if thread.answered_late else 1,
        thread.thread_id,
    )


_END = datetime.max.replace(tzinfo=UTC)


def _arrival(result: MessageResult) -> datetime:
    return result.message.arrived_at or _END


def _reply_refs(item: MessageResult | None) -> tuple[str, ...]:
    if item is None:
        return ()
    m = item.message
    return reply_references(m.message_id, m.references, m.in_reply_to)


def thread_result(
    thread_id: str,
    items: list[MessageResult],
    as_of: datetime,
    sla: timedelta,
    cut: datetime,
    *,
    business: bool = False,
) -> ThreadResult:
    """The verdict on one thread, from the results of its customer messages in time order;
    `cut` is the `deadline` at `as_of`, and replies are late on the SLA's clock (working
    time when `business`)."""
    # One pass over the items (a thread verdict per customer thread, 10,000s of them): the
    # longest-waiting item and the last one, the longest reply latency.
    longest: MessageResult | None = None  # of the waiting items, the first to arrive
    arrived = _END
    last_waiting: MessageResult | None = None
    max_latency: int | None = None
    max_business: int | None = None
    max_sla = -1  # the longest on the SLA's clock
    for item in items:
        if item.status in WAITING:
            # The thread is named after the customer who has waited longest, else the latest
            # one. Longest by arrival (what the wait and overdue are measured from), not
            # message order: a contact form relayed from my own address is ordered by its
            # Date, which may be earlier. The first of equal arrivals.
            when = _arrival(item)
            if longest is None or when < arrived:
                longest, arrived = item, when
            last_waiting = item
        reply = item.reply
        if reply is not None:
            if max_latency is None or reply.latency_seconds > max_latency:
                max_latency = reply.latency_seconds
            worked = reply.business_latency_seconds
            if worked is not None and (max_business is None or worked > max_business):
                max_business = worked
            max_sla = max(max_sla, sla_latency(reply, business))
    focus = items[-1] if longest is None else longest
    since = None if longest is None else longest.message.arrived_at
    # Waiting while any of its messages waits (overdue, then pending, rank above answered).
    status, waited = (
        (Status.ANSWERED, None) if longest is None else waiting_verdict(since, as_of, cut)
    )
    sender = focus.message.from_ or Address("")
    return ThreadResult(
        thread_id,
        focus.message.subject,  # subject
        sender,  # correspondent
        (items[-1] if last_waiting is None else last_waiting).message.folder,  # folder
        status,
        since,  # waiting_since
        waited,  # waiting_seconds
        max_latency is not None and is_late(max_sla, sla.total_seconds()),  # answered_late
        max_latency,  # max_latency_seconds
        None,  # holding_reply
        _reply_refs(last_waiting),  # reply_refs
        max_business,  # max_business_latency_seconds
    )
