"""Thread + our identities → one Response per inbound message: which reply answered it, if any."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import itemgetter

from inbox_audit.core.threads import (
    Thread,
    cited_ids,
    is_forward,
    message_time,
    norm_id,
    recipients,
    senders,
)
from inbox_audit.model import Message, Reason

ANSWERED_FLAG = "\\answered"
# An enum member, looked up once: on Python 3.11 each lookup costs ~0.2 µs.


@lru_cache(maxsize=1024)
def has_flag(flags: frozenset[str], flag: str) -> bool:
    """Whether `flags` holds `flag` (lower-cased) in any case. A mailbox has a handful of
    distinct flag sets, so each is looked through once."""
    return any(item.lower() == flag for item in flags)


@dataclass(frozen=True)
class Response:
    """An inbound message and what became of it."""

    inbound: Message
    reason: Reason | None  # None: a customer message that needs an answer
    thread_id: str
    arrived_at: datetime | None
    reply: Message | None
    reply_sent_at: datetime | None
    answered_by_flag: bool  # \\Answered is set but no reply copy was found


def _skewed(reply: Message, when: datetime, arrived: datetime) -> datetime:
    """When a reply that quotes a message was sent, though its Date says before the message
    arrived: the owner's clock was wrong, so trust the server's copy, else call it immediate."""
    internal = reply.internal_date
    return internal if internal is not None and internal >= arrived else max(when, arrived)


def pair_thread(
    thread: Thread,
    reasons: Mapping[str, Reason | None],
    me: frozenset[str],
    automated: frozenset[str] = frozenset(),
) -> list[Response]:
    """Pair every customer message of a thread with the first reply from me that answers it
    (see answers()).

    Every message of the thread gets a Response, in the thread's order, mine too (reason
    FROM_ME, no reply): the caller counts my Sent mail as outgoing and lists my mail found
    elsewhere.
    """
    answered = answers(thread, reasons, me, automated)
    keys = thread.keys or tuple(m.key for m in thread.messages)
    return [
        response_for(message, reasons.get(key), thread.thread_id, answered.get(key))
        for message, key in zip(thread.messages, keys, strict=True)
    ]


def answers(
    thread: Thread,
    reasons: Mapping[str, Reason | None],
    me: frozenset[str],
    automated: frozenset[str] = frozenset(),
) -> dict[str, tuple[Message, datetime]]:
    """The reply that answered each answered customer message of a thread, by key, with the
    moment it was sent.

    A reply answers every earlier unanswered customer message of its thread that it is
    addressed to (To/Cc holds the customer's From or Reply-To; a reply with no visible
    recipient, all Bcc, is taken as addressed to everyone): a customer who wrote twice and got
    one answer is answered twice, but a forward to the accountant, a note to oneself, or an
    answer to one of two customers who replied to the same newsletter answers nobody else.
    A reply that names a message in In-Reply-To (`replies_to`) answers it wherever it was
    sent: to the list or shared address the customer wrote through, to their other address
    or their assistant. A reply that quotes a message (In-Reply-To/References) answers it
    whatever the clocks say. My own automated mail (`automated`: keys of my out-of-office
    replies, read receipts...) answers nothing. A colleague's message (Reason.INTERNAL), the
    owner in copy, answers the customers it is addressed to: the shop has answered them.
    """
    # Keys and times come with the thread (see Thread), else are worked out here.
    keys = thread.keys or tuple(m.key for m in thread.messages)
    times = thread.times or tuple(message_time(m, me) for m in thread.messages)
    customers: list[tuple[Message, str, datetime]] = []
    # My replies and my colleagues' messages, which can answer a customer.
    answering: list[tuple[datetime, str, Message]] = []
    for message, key, when in zip(thread.messages, keys, times, strict=True):
        if when is None:
            continue
        reason = reasons.get(key)
        if reason is None:
            customers.append((message, key, when))
        elif (reason is Reason.FROM_ME and key not in automated) or reason is Reason.INTERNAL:
            answering.append((when, key, message))
    if not customers or not answering:
        return {}
    if not thread.times:  # build_threads' threads come in this order already
        answering.sort(key=itemgetter(0, 1))
    replies: list[tuple[datetime, str, Message, frozenset[str], frozenset[str]]] = []
    for when, key, message in answering:
        to = recipients(message)
        if reasons.get(key) is Reason.INTERNAL:
            # Only by its recipients: a colleague hitting Reply to write to me answers nobody.
            if to - me:
                replies.append((when, key, message, to, _NONE))
        elif not (to and to <= me):  # a note to myself
            replies.append((when, key, message, to, replies_to(message)))

    answered: dict[str, tuple[Message, datetime]] = {}
    for message, key, arrived in customers:
        customer = senders(message)
        own = norm_id(message.message_id) if message.message_id else None
        for when, _, candidate, to, direct in replies:
            if to and to.isdisjoint(customer) and own not in direct:
                continue
            if arrived <= when:
                answered[key] = (candidate, when)
                break
            # Rarely reached (a reply dated before the message): the citations are read here.
            if message.message_id and norm_id(message.message_id) in cited_ids(candidate):
                answered[key] = (candidate, _skewed(candidate, when, arrived))
                break
    return answered


def replies_to(reply: Message) -> frozenset[str]:
    """The messages a reply of mine answers whatever its recipients: those its In-Reply-To
    names (normalised), the direct link every client writes when Reply is pressed (RFC 5322
    §3.6.4). References alone is no such link: it names the whole conversation. Nor is a
    forward's (Gmail writes In-Reply-To on forwards too): it passes a message on, to someone
    else unless it is addressed to the customer."""
    if not reply.in_reply_to or is_forward(reply.subject, reply.text_start):
        return _NONE
    return frozenset(map(norm_id, reply.in_reply_to))


_NONE: frozenset[str] = frozenset()


def response_for(
    message: Message,
    reason: Reason | None,
    thread_id: str,
    answer: tuple[Message, datetime] | None,
) -> Response:
    """The Response of one message of a thread, given what answers() found for it.

    A customer message with no reply copy but the \\Answered flag counts as answered with
    unknown latency.
    """
    reply, sent_at = answer if answer is not None else (None, None)
    flagged = reason is None and reply is None and has_flag(message.flags, ANSWERED_FLAG)
    return Response(
        inbound=message,
        reason=reason,
        thread_id=thread_id,
        arrived_at=message.arrived_at,
        reply=reply,
        reply_sent_at=sent_at,
        answered_by_flag=flagged,
    )
