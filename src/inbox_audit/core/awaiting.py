"""Conversations that await the other side's reply: the owner wrote last, then silence.

The overdue list is the owner's debt; this one is what others owe the owner — a quote, an
invoice, a question left unanswered — kept apart from it. A follow-up is suggested for each,
in the customer's language, like the holding reply.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from inbox_audit.core.ids import reply_references
from inbox_audit.core.language import LanguageSigns, detect_language
from inbox_audit.core.latency import business_days_between
from inbox_audit.core.names import first_name
from inbox_audit.core.phrases import fold
from inbox_audit.core.printable import clean_text, shorten
from inbox_audit.core.threads import Thread, strip_subject
from inbox_audit.model import Address, Awaited, Message, Reason
from inbox_audit.settings import WorkCalendar

#: The default silence, in business days, after which a conversation is a follow-up candidate.
AWAITING_DAYS = 3
#: Conversations silent longer than this are dropped, not followed up: a quote left unanswered
#: for two months is lost, and listing every old exchange would bury the live ones.
KEPT_DAYS = 60

# What the owner's last message asks for, read in its subject: the body is never fetched.
# Words, folded (no accents, lower case).
_ASKING = re.compile(
    r"\b(?:devis|quote|quotation|estimate|facture|invoice|proforma|pro forma|proposition|"
    r"proposal|offre|offer|contrat|contract|bon de commande|purchase order|relance|reminder|"
    r"paiement|payment|acompte|deposit|confirmation|confirm|validation|signature)\b"
)


def oldest(as_of: datetime) -> datetime:
    """Nothing at or before this moment counts in the awaiting list as of `as_of`: no message
    that awaits (`recent`), and so no reply or bounce that would end one."""
    return as_of - timedelta(days=KEPT_DAYS)


def recent(when: datetime, as_of: datetime) -> bool:
    """Whether the owner's message sent at `when` may still await a reply at `as_of`: sent by
    then, and in the last KEPT_DAYS."""
    return oldest(as_of) < when <= as_of


def asks(subject: str) -> bool:
    """Whether a subject names something that expects an answer (a quote, an invoice), folded
    so "Facture n°12" and "FACTURE" both count, or is the owner's own question: a '?' in a
    subject that is no reply ("Re: Date d'expédition ?" answered the customer's question)."""
    if _ASKING.search(fold(subject)) is not None:
        return True
    topic = strip_subject(subject)
    return "?" in topic and topic == " ".join(subject.split())


def awaited(
    thread: Thread,
    reasons: Mapping[str, Reason | None],
    me: frozenset[str],
    automated: frozenset[str],
    as_of: datetime,
) -> tuple[Message, Awaited] | None:
    """The conversation as a follow-up candidate as of `as_of`, with the owner's last message
    it rests on (the incremental audit keeps it with that message), or None.

    Only a customer's messages and the owner's own non-automated mail are the conversation (an
    out-of-office reply to the owner's quote is no answer to it; the owner's own autoreplies
    and receipts ask nothing). A candidate's last such message is the owner's, sent in the
    last KEPT_DAYS and addressed to someone other than the owner (notes to self and mail to no
    one await nothing), and either opened the conversation — the other side never wrote — or
    names something that expects an answer (`asks`): a reply that answered a question does not
    wait for thanks. A message followed by a bounce never arrived, and awaits nothing.
    """
    keys = thread.keys or tuple(m.key for m in thread.messages)
    said = [
        index
        for index, key in enumerate(keys)
        if (reason := reasons.get(key)) is None
        or (reason is Reason.FROM_ME and key not in automated)
    ]
    if not said:
        return None
    if any(reasons.get(key) is Reason.BOUNCE for key in keys[said[-1] + 1 :]):
        return None  # it never arrived: the bounce says so
    last = thread.messages[said[-1]]
    when = thread.times[said[-1]] if thread.times else last.arrived_at
    if when is None or last.from_ is None or last.from_.email not in me:
        return None
    if not recent(when, as_of):
        return None
    to = next((a for a in last.to + last.cc if a.email and a.email not in me), None)
    if to is None:
        return None
    mine = [(sender := thread.messages[i].from_) is not None and sender.email in me for i in said]
    opened = all(mine)
    if not (opened or asks(last.subject)):
        return None
    hints = tuple(h for i in said for h in thread.messages[i].language_hints)
    refs = reply_references(last.message_id, last.references, last.in_reply_to)
    return last, Awaited(
        thread.thread_id, last.subject, to, when, hints, opened, refs, last.from_.email
    )


#: How long after a message its bounce may come and still be told apart by its timing alone
#: (a bounce that names neither the recipient nor the subject): servers bounce in seconds.
BOUNCE_WINDOW = timedelta(minutes=15)
#: How long after a message a bounce that names its recipient or subject may come (retries).
BOUNCE_RETRIES = timedelta(days=5)


def silent(candidates: Sequence[Awaited], heard: Mapping[str, datetime]) -> list[Awaited]:
    """The candidates whose correspondent has not written since, in any conversation:
    `heard` holds when each address last wrote. A customer who sent a new request after the
    quote is not ignoring it, and a follow-up beside their fresh request would be out of place.
    """
    return [
        c
        for c in candidates
        if (last := heard.get(c.correspondent.email)) is None or last <= c.last_sent_at
    ]


@dataclass(frozen=True, slots=True)
class Bounce:
    """What a bounce tells of the message it reports (`not_bounced`)."""

    arrived_at: datetime
    failed: tuple[str, ...]  # the recipients it names (X-Failed-Recipients), sorted
    subject: str  # folded


def bounce_of(message: Message) -> Bounce | None:
    """What `message`, a bounce, tells; None when it has no arrival (it then matches none)."""
    if message.arrived_at is None:
        return None
    failed = {
        address.strip().strip("<>").lower()
        for name, value in message.auto_headers
        if name == "x-failed-recipients"
        for address in value.split(",")
    }
    return Bounce(message.arrived_at, tuple(sorted(failed)), fold(message.subject))


def not_bounced(candidates: Sequence[Awaited], bounces: Sequence[Bounce]) -> list[Awaited]:
    """The candidates no bounce says never arrived.

    A bounce threaded with the message is seen by `awaited`; many are not (MAILER-DAEMON
    often sends no References). Those are matched by what their headers give: the failed
    recipient (X-Failed-Recipients, Exim and Gmail), the message's subject in theirs ("Non
    remis : Facture"), or, when they name neither, arriving within BOUNCE_WINDOW of it.
    """
    if not bounces:
        return list(candidates)
    kept = []
    for candidate in candidates:
        sent = candidate.last_sent_at
        topic = fold(strip_subject(candidate.subject))
        for bounce in bounces:
            when = bounce.arrived_at
            if not sent <= when <= sent + BOUNCE_RETRIES:
                continue
            if candidate.correspondent.email in bounce.failed or (
                topic and topic in bounce.subject
            ):
                break
            if not bounce.failed and when <= sent + BOUNCE_WINDOW:
                break
        else:
            kept.append(candidate)
    return kept


def heard_from(voices: Iterable[tuple[datetime, Iterable[str]]]) -> dict[str, datetime]:
    """When each address last wrote, from (moment, addresses) of each customer message."""
    heard: dict[str, datetime] = {}
    for when, addresses in voices:
        for address in addresses:
            if address not in heard or heard[address] < when:
                heard[address] = when
    return heard


def still_awaited(
    candidates: Iterable[Awaited], heard: Mapping[str, datetime], bounces: Sequence[Bounce]
) -> tuple[Awaited, ...]:
    """The candidates that still await a reply: `silent` and `not_bounced`, in the order of
    their last message (then thread id), whichever order they were found in."""
    order = sorted(candidates, key=lambda c: (c.last_sent_at, c.thread_id))
    return tuple(not_bounced(silent(order, heard), bounces))


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A ready-to-paste reminder."""

    subject: str
    body: str
    language: str  # "fr" or "en"


@dataclass(frozen=True, slots=True)
class AwaitingReply:
    """A conversation silent for `silent_business_days` since the owner wrote last."""

    thread_id: str
    subject: str
    correspondent: Address
    last_sent_at: datetime
    silent_business_days: int
    follow_up: FollowUp
    candidate: Awaited | None = None  # what it was found from: where a follow-up draft threads


_TEXTS = {
    "en": {
        "hello": "Hello",
        "about": "I am following up on my message about “{topic}”",
        "plain": "I am following up on my last message",
        "rest": ". Have you had a chance to look at it?\nI am happy to answer any question.",
        "closing": "Best regards,",
        "no_subject": "my message",
    },
    "fr": {
        "hello": "Bonjour",
        # French typography: no-break spaces inside « » and before ?, so neither starts a line.
        "about": "Je me permets de revenir vers vous au sujet de «\u00a0{topic}\u00a0»",
        "plain": "Je me permets de revenir vers vous au sujet de mon dernier message",
        "rest": ". Avez-vous pu en prendre connaissance\u00a0?\n"
        "Je reste à votre disposition pour toute question.",
        "closing": "Bien cordialement,",
        "no_subject": "mon message",
    },
}


def follow_up(
    candidate: Awaited, lang: str | None = None, signature: str | None = None
) -> FollowUp:
    """A short, polite reminder in the customer's language (`lang` forces "fr" or "en")."""
    language = lang if lang in _TEXTS else None
    if language is None:
        language = detect_language(
            subject=candidate.subject,
            correspondent=candidate.correspondent,
            signs=LanguageSigns(tags=candidate.language_hints),
        )
    texts = _TEXTS[language]
    topic = strip_subject(clean_text(candidate.subject))
    name = first_name(candidate.correspondent)
    greeting = f"{texts['hello']} {name}," if name else f"{texts['hello']},"
    sentence = (texts["about"].format(topic=shorten(topic)) if topic else texts["plain"]) + texts[
        "rest"
    ]
    lines = [greeting, "", sentence, "", texts["closing"]]
    if signature and signature.strip():
        lines += [line.rstrip() for line in signature.strip().splitlines()]
    return FollowUp(
        subject=f"Re: {topic or texts['no_subject']}", body="\n".join(lines), language=language
    )


def awaiting_reply(
    candidates: Sequence[Awaited],
    as_of: datetime,
    days: int = AWAITING_DAYS,
    lang: str | None = None,
    signature: str | None = None,
    calendar: WorkCalendar | None = None,
) -> list[AwaitingReply]:
    """The candidates silent for at least `days` business days at `as_of` (and at most
    KEPT_DAYS), longest silence first, each with its follow-up. Business days in the owner's
    `calendar` (latency.business_days_between).

    A message sent again to the same person (by name) under the same subject supersedes the
    earlier one: a mistyped address corrected and sent again awaits one reply, not two.
    """
    latest: dict[tuple[str, str], Awaited] = {}
    for candidate in candidates:
        person = fold(candidate.correspondent.name) or candidate.correspondent.email
        key = (fold(strip_subject(candidate.subject)), person)
        kept = latest.get(key)
        if kept is None or candidate.last_sent_at > kept.last_sent_at:
            latest[key] = candidate
    found = []
    for candidate in latest.values():
        if not recent(candidate.last_sent_at, as_of):
            continue
        silent = business_days_between(candidate.last_sent_at, as_of, calendar)
        if silent >= days:
            found.append(
                AwaitingReply(
                    candidate.thread_id,
                    candidate.subject,
                    candidate.correspondent,
                    candidate.last_sent_at,
                    silent,
                    follow_up(candidate, lang, signature),
                    candidate,
                )
            )
    found.sort(key=lambda a: (a.last_sent_at, a.thread_id))
    return found
