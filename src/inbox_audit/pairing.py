"""Thread + our identities → one Response per inbound message: which reply answered it, if any."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from inbox_audit.model import Message, Reason
from inbox_audit.threads import Thread, is_forward, message_time, recipients, senders

# A reply that cites the customer's message answers it even when the clocks disagree a little
# (the reply's Date is the owner's clock, the arrival is the server's).
_CLOCK_SKEW = timedelta(minutes=10)

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


def _norm(message_id: str) -> str:
    return message_id.strip().lower()


def _is_answer(reply: Message, customers: frozenset[str], me: frozenset[str]) -> bool:
    """Whether an outbound message of the thread answers its customers.

    A forward to a colleague or supplier ("TR : Devis" to the accountant) is not an answer to
    the customer, nor is a note to oneself.
    """
    to = recipients(reply)
    if to and not to - me:
        return False
    return not (is_forward(reply.subject) and not to & customers)


def pair_thread(
    thread: Thread,
    reasons: Mapping[str, Reason | None],
    me: frozenset[str],
    automated: frozenset[str] = frozenset(),
) -> list[Response]:
    """Pair every inbound message of a thread with the first later reply from me.

    One reply answers every earlier unanswered customer message of its thread (a customer who
    wrote twice and got one answer is answered twice). A customer message with no reply copy
    but the \\Answered flag counts as answered with unknown latency. My own automated mail
    (`automated`: keys of my out-of-office replies, read receipts...) answers nothing.
    """
    customers = frozenset(
        address for m in thread.messages if reasons.get(m.key) is None for address in senders(m)
    )
    replies: list[tuple[datetime, Message, frozenset[str]]] = []
    for message in thread.messages:
        when = message_time(message, me)
        if (
            reasons.get(message.key) is Reason.FROM_ME
            and message.key not in automated
            and when is not None
            and _is_answer(message, customers, me)
        ):
            cited = frozenset(_norm(p) for p in (*message.references, *message.in_reply_to))
            replies.append((when, message, cited))
    replies.sort(key=lambda item: (item[0], item[1].key))

    answered: dict[str, tuple[Message, datetime]] = {}
    for message in thread.messages:
        arrived = message_time(message, me)
        if reasons.get(message.key) is not None or arrived is None:
            continue
        own_id = _norm(message.message_id) if message.message_id else None
        for when, candidate, cited in replies:
            if arrived <= when or (own_id in cited and arrived <= when + _CLOCK_SKEW):
                answered[message.key] = (candidate, when)
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
