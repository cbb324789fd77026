"""Thread + our identities → one Response per inbound message: which reply answered it, if any."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from inbox_audit.model import Message, Reason
from inbox_audit.threads import Thread, message_time, norm_id, recipients, senders

ANSWERED_FLAG = "\\answered"


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
    """Pair every customer message of a thread with the first reply from me that answers it.

    A reply answers every earlier unanswered customer message of its thread that it is
    addressed to (To/Cc holds the customer's From or Reply-To; a reply with no visible
    recipient, all Bcc, is taken as addressed to everyone): a customer who wrote twice and got
    one answer is answered twice, but a forward to the accountant, a note to oneself, or an
    answer to one of two customers who replied to the same newsletter answers nobody else. A
    reply that quotes a message (In-Reply-To/References) answers it whatever the clocks say.
    A customer message with no reply copy but the \\Answered flag counts as answered with
    unknown latency. My own automated mail (`automated`: keys of my out-of-office replies,
    read receipts...) answers nothing.
    """
    replies: list[tuple[datetime, Message, frozenset[str], frozenset[str]]] = []
    for message in thread.messages:
        when = message_time(message, me)
        to = recipients(message)
        if (
            reasons.get(message.key) is Reason.FROM_ME
            and message.key not in automated
            and when is not None
            and not (to and to <= me)  # a note to myself
        ):
            cited = frozenset(norm_id(p) for p in (*message.references, *message.in_reply_to))
            replies.append((when, message, cited, to))
    replies.sort(key=lambda item: (item[0], item[1].key))

    answered: dict[str, tuple[Message, datetime]] = {}
    for message in thread.messages:
        arrived = message_time(message, me)
        if reasons.get(message.key) is not None or arrived is None:
            continue
        own_id = norm_id(message.message_id) if message.message_id else None
        customer = senders(message)
        for when, candidate, cited, to in replies:
            if to and not to & customer:
                continue
            if arrived <= when:
                answered[message.key] = (candidate, when)
                break
            if own_id in cited:
                answered[message.key] = (candidate, _skewed(candidate, when, arrived))
                break

    # Every message of the thread gets a Response, mine too (reason FROM_ME, no reply): the
    # caller counts my Sent mail as outgoing and lists my mail found elsewhere.
    responses: list[Response] = []
    for message in thread.messages:
        reason = reasons.get(message.key)
        pair = answered.get(message.key)
        reply = pair[0] if pair else None
        sent_at = pair[1] if pair else None
        flagged = (
            reason is None
            and reply is None
            and any(flag.lower() == ANSWERED_FLAG for flag in message.flags)
        )
        responses.append(
            Response(
                inbound=message,
                reason=reason,
                thread_id=thread.thread_id,
                arrived_at=message.arrived_at,
                reply=reply,
                reply_sent_at=sent_at,
                answered_by_flag=flagged,
            )
        )
    return responses
