"""The audit loop: collected Messages + settings + now → AuditReport, every step pure."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from inbox_audit.core.awaiting import Bounce, awaited, bounce_of, heard_from, still_awaited
from inbox_audit.core.classify import classify_all
from inbox_audit.core.domains import internal_domains
from inbox_audit.core.figures import threads_in_order
from inbox_audit.core.holding import holding_reply
from inbox_audit.core.language import NO_SIGNS, LanguageSigns, language_signs
from inbox_audit.core.metrics import (
    deadline,
    result_of,
    summarize,
    thread_order,
    thread_result,
)
from inbox_audit.core.pairing import answers, has_flag
from inbox_audit.core.threads import build_threads, message_time, norm_id, senders
from inbox_audit.errors import N_
from inbox_audit.model import (
    AuditReport,
    Awaited,
    Collected,
    FolderRole,
    Message,
    MessageResult,
    Reason,
    Status,
    ThreadResult,
    Unreadable,
)
from inbox_audit.settings import Settings

_WAITING = (Status.PENDING, Status.OVERDUE)
#: The reason a message without a usable date is listed as unreadable (shown translated).
NO_USABLE_DATE = N_("no usable date")

# When one message sits in several folders (Gmail labels, All Mail, copies), the copy kept is
# the one in the most telling folder.
_ROLE_PREFERENCE = {
    FolderRole.INBOX: 0,
    FolderRole.OTHER: 1,
    FolderRole.ARCHIVE: 2,
    FolderRole.SENT: 3,
    FolderRole.ALL: 4,
}


def copy_key(message: Message) -> tuple[str, ...]:
    """What copies of one message (in several folders) have in common, and others do not."""
    sender = message.from_.email if message.from_ else ""
    if message.message_id:
        # The subject too: some clients reuse a Message-ID for different messages.
        return ("id", norm_id(message.message_id), sender, message.subject)
    if message.date is not None:
        return ("hdr", sender, message.date.isoformat(), message.subject)
    return ("key", message.key)


def _dedupe(
    messages: Iterable[Message], roles: Mapping[str, FolderRole]
) -> tuple[list[Message], list[Message]]:
    """Keep one copy per message; the copy keeps the earliest arrival and every flag.

    Returns the kept messages and the copies left out.
    """
    # Copies are rare: each message is filed under its key, and only a key met twice gets a
    # list of its copies.
    first: dict[tuple[str, ...], Message] = {}
    copies: dict[tuple[str, ...], list[Message]] = {}
    for message in messages:
        key = copy_key(message)
        if key in first:
            copies.setdefault(key, [first[key]]).append(message)
        else:
            first[key] = message
    kept: list[Message] = []
    dropped: list[Message] = []
    for key, message in first.items():
        group = copies.get(key)
        if group is None:  # the usual case: nothing to choose
            kept.append(message)
            continue
        best = min(group, key=lambda m: (_ROLE_PREFERENCE.get(roles[m.folder], 9), m.key))
        dropped.extend(m for m in group if m is not best)
        dates = [m.internal_date for m in group if m.internal_date is not None]
        flags = frozenset().union(*(m.flags for m in group))
        kept.append(
            dataclasses.replace(best, internal_date=min(dates) if dates else None, flags=flags)
        )
    return kept, dropped


def detect_identities(messages: Sequence[Message], roles: dict[str, FolderRole]) -> list[str]:
    """The owner's addresses, from the From of the Sent folder.

    A customer's message filed into Sent by mistake must not make that customer "me": an
    address counts when it sent several messages, or when mail elsewhere was addressed to it.
    """
    # By folder name: a set lookup per message rather than a role's (enum lookups are slow).
    sent_folders = {name for name, role in roles.items() if role is FolderRole.SENT}
    sent = Counter(
        m.from_.email
        for m in messages
        if m.folder in sent_folders and m.from_ is not None and m.from_.email
    )
    addressed = {a.email for m in messages if m.folder not in sent_folders for a in m.to + m.cc}
    return identities_from(sent, addressed)


def identities_from(sent: Mapping[str, int], addressed: Container[str]) -> list[str]:
    """detect_identities' rule, given how often each address sent mail found in Sent and the
    addresses that mail elsewhere was addressed to."""
    total = sum(sent.values())
    return sorted(
        address
        for address, count in sent.items()
        if count > 0 and (count >= 3 or address in addressed or count * 5 >= total)
    )


def owner_name(names: Mapping[str, int]) -> str | None:
    """The owner's name: the one most often on their mail (counts by name); a tie goes to
    the first in alphabetical order, so that the choice never depends on reading order."""
    counted = [(-count, name) for name, count in names.items() if count > 0]
    return min(counted)[1] if counted else None


def dated(message: Message) -> bool:
    """Whether a message takes part in the audit: sent (not a draft) and dated."""
    # An unsent draft is no answer, wherever it sits: Gmail also lists drafts in All Mail.
    return message.arrived_at is not None and not has_flag(message.flags, "\\draft")


def audit(
    collected: Collected, settings: Settings, as_of: datetime, replies: int | None = None
) -> AuditReport:
    """The pure core: statuses, pairs, figures and holding replies as of `as_of`.

    `replies`: only the first that many waiting threads, in the order they are listed
    (figures.threads_in_order), get their holding reply (None: every one). A summary shows
    none and the table or the email fifty, and a mailbox may hold thousands of waiting
    threads: writing their replies took a few percent of a first run.
    """
    return audit_examined(collected, settings, as_of, replies)[0]


def audit_examined(
    collected: Collected, settings: Settings, as_of: datetime, replies: int | None = None
) -> tuple[AuditReport, Examined]:
    """`audit`, with what became of each message (the incremental audit books it)."""
    roles = {folder.name: folder.role for folder in collected.folders}
    detected = detect_identities([m for m in collected.messages if dated(m)], roles)
    me = frozenset(settings.me) | frozenset(detected)
    found = examine(collected.messages, roles, me, settings, as_of)
    results = [result for _, _, result in found.ranked]
    return _report(collected, settings, as_of, me, detected, found, results, replies), found


def _report(
    collected: Collected,
    settings: Settings,
    as_of: datetime,
    me: frozenset[str],
    detected: list[str],
    found: Examined,
    results: list[MessageResult],
    replies: int | None,
) -> AuditReport:
    unreadable = collected.unreadable + tuple(
        Unreadable(m.folder, m.uid, NO_USABLE_DATE) for m in found.undated
    )
    owner = owner_name(found.owner_names)
    waiting = [t for t in found.threads if t.status in _WAITING]
    replied = {t.thread_id for t in threads_in_order(waiting)[:replies]}
    threads = [
        with_holding_reply(t, found.hints.get(t.thread_id, NO_SIGNS), settings, as_of, owner)
        if t.thread_id in replied
        else t
        for t in found.threads
    ]
    return AuditReport(
        source=collected.source,
        as_of=as_of,
        sla_seconds=int(settings.sla.total_seconds()),
        identities=tuple(sorted(me)),
        identities_detected=tuple(detected),
        folders=collected.folders,
        summary=summarize(
            results,
            settings.sla,
            len(unreadable),
            len(found.duplicates),
            len(found.drafts),
            len(found.after_as_of),
            len(found.outbound),
            business=settings.sla_business,
        ),
        messages=tuple(results),
        threads=tuple(threads),
        unreadable=unreadable,
        problems=collected.problems,
        owner=owner,
        awaiting=found.awaiting,
        calendar=settings.calendar,
        sla_business=settings.sla_business,
    )


@dataclass(frozen=True)
class Examined:
    """What became of each message of an audit, before the figures are summed.

    Every message given to `examine` lands in exactly one of drafts, undated, duplicates,
    after_as_of, outbound and ranked (a kept copy may carry its duplicates' flags and
    earliest date): the incremental audit (ledger.py) books each one's share by that.
    """

    drafts: tuple[Message, ...]
    undated: tuple[Message, ...]  # no usable date: reported as unreadable
    duplicates: tuple[Message, ...]  # copies of a message kept in another folder
    after_as_of: tuple[Message, ...]  # not yet there at `as_of`
    outbound: tuple[Message, ...]  # my own mail in the Sent folder
    ranked: tuple[tuple[datetime, str, MessageResult], ...]  # (time, key, result), oldest first
    threads: tuple[ThreadResult, ...]  # customer threads in report order, no holding replies
    hints: Mapping[str, LanguageSigns]  # of each thread's customer messages
    owner_names: Counter[str]  # names on my mail that was there at `as_of`
    awaiting: tuple[Awaited, ...] = ()  # conversations the owner wrote last in (awaiting.py)
    # What `awaiting` is made of, each with its message (the incremental audit keeps them by
    # message): each thread's candidate (awaiting.awaited), on the owner's last message in it;
    # each customer message's moment and senders; each bounce (awaiting.still_awaited).
    candidates: tuple[tuple[Message, Awaited], ...] = ()
    voices: tuple[tuple[Message, datetime, tuple[str, ...]], ...] = ()
    bounces: tuple[tuple[Message, Bounce], ...] = ()


def examine(
    messages: Sequence[Message],
    roles: Mapping[str, FolderRole],
    me: frozenset[str],
    settings: Settings,
    as_of: datetime,
) -> Examined:
    """Statuses, pairs and thread verdicts of `messages`, for the identities `me`."""
    usable: list[Message] = []
    drafts: list[Message] = []
    undated: list[Message] = []
    for message in messages:
        if has_flag(message.flags, "\\draft"):
            drafts.append(message)
        elif message.arrived_at is None:
            undated.append(message)
        else:
            usable.append(message)

    unique, duplicates = _dedupe(usable, roles)
    # An audit "as of" a past moment sees the mailbox as it was then.
    present: list[Message] = []
    times: list[datetime] = []  # of the present messages, for the threading
    after: list[Message] = []
    for m in unique:
        t = message_time(m, me)
        if t is not None and t <= as_of:
            present.append(m)
            times.append(t)
        else:
            after.append(m)

    sent = frozenset(name for name, role in roles.items() if role is FolderRole.SENT)
    reasons: dict[str, Reason | None] = {}
    # My own out-of-office replies and receipts sit in Sent too, and answer nobody.
    mine_automatic: list[str] = []
    # Neither is any mail that needs no answer (newsletters, bounces...) part of a conversation.
    not_conversation: list[str] = []
    keys: list[str] = []  # of the present messages, for the threading
    internal = internal_domains(me, settings.internal_domains)
    classified = classify_all(present, me, sent, internal)
    for m, (reason, auto) in zip(present, classified, strict=True):
        key = m.key  # a property: computed once
        keys.append(key)
        reasons[key] = reason
        if auto:
            mine_automatic.append(key)
            not_conversation.append(key)
        elif reason is not None and reason is not Reason.FROM_ME:
            not_conversation.append(key)
    automated = frozenset(mine_automatic)
    # Each result with its sort key (message time, key), at its message's place in thread
    # order (Thread.ranks), which is that key's: oldest first, no sort needed.
    placed: list[tuple[datetime, str, MessageResult] | None] = [None] * len(present)
    outbound: list[Message] = []
    # Each customer thread's verdict and language hints, worked out as its messages are, rather
    # than by regrouping `ranked` by thread id afterwards: a thread's messages come in time
    # order, as `ranked` has them (every one has a time), and each thread has its own id.
    verdicts: list[ThreadResult] = []
    hints: dict[str, LanguageSigns] = {}
    waiting_on_them: list[tuple[Message, Awaited]] = []  # conversations the owner wrote last in
    sla = settings.sla
    cut = deadline(as_of, sla, settings.sla_calendar)
    calendar = settings.calendar
    threads = build_threads(
        present, me, settings.subject_window, frozenset(not_conversation), keys, times
    )
    for thread in threads:
        thread_id = thread.thread_id
        answered = answers(thread, reasons, me, automated)
        customer: list[MessageResult] = []
        for message, key, when, rank in zip(
            thread.messages, thread.keys, thread.times, thread.ranks, strict=True
        ):
            reason = reasons[key]
            # My own mail in the Sent folder is outgoing, not inbound: counted, not listed.
            if reason is Reason.FROM_ME and message.folder in sent:
                outbound.append(message)
                continue
            result = result_of(message, reason, thread_id, answered.get(key), as_of, cut, calendar)
            placed[rank] = (when or as_of, key, result)
            if reason is None:  # a customer's: answered, pending or overdue
                customer.append(result)
        candidate = awaited(thread, reasons, me, automated, as_of)
        if candidate is not None:
            waiting_on_them.append(candidate)
        if customer:
            verdicts.append(
                thread_result(thread_id, customer, as_of, sla, cut, business=settings.sla_business)
            )
            hints[thread_id] = language_signs(r.message for r in customer)
    ranked = [item for item in placed if item is not None]
    verdicts.sort(key=thread_order)

    voices, bounces = _voices(present, keys, times, reasons)
    names = Counter(
        m.from_.name
        for m in present
        if m.from_ is not None and m.from_.email in me and m.from_.name
    )
    return Examined(
        drafts=tuple(drafts),
        undated=tuple(undated),
        duplicates=tuple(duplicates),
        after_as_of=tuple(after),
        outbound=tuple(outbound),
        ranked=tuple(ranked),
        threads=tuple(verdicts),
        hints=hints,
        owner_names=names,
        awaiting=still_awaited(
            (c for _, c in waiting_on_them),
            heard_from((when, senders) for _, when, senders in voices),
            [bounce for _, bounce in bounces],
        ),
        candidates=tuple(waiting_on_them),
        voices=voices,
        bounces=bounces,
    )


def _voices(
    present: Sequence[Message],
    keys: Sequence[str],
    times: Sequence[datetime],
    reasons: Mapping[str, Reason | None],
) -> tuple[
    tuple[tuple[Message, datetime, tuple[str, ...]], ...], tuple[tuple[Message, Bounce], ...]
]:
    """What tells that a conversation no longer awaits a reply, wherever it sits: the other
    side wrote since (each customer message's moment and senders), or a bounce says the
    owner's message never arrived (awaiting.still_awaited)."""
    voices = []
    bounces = []
    for message, key, when in zip(present, keys, times, strict=True):
        reason = reasons[key]
        if reason is Reason.BOUNCE:
            if (bounce := bounce_of(message)) is not None:
                bounces.append((message, bounce))
        elif reason is None:
            said = senders(message)  # usually a tuple of one: no sort, no copy
            voices.append((message, when, said if isinstance(said, tuple) else tuple(sorted(said))))
    return tuple(voices), tuple(bounces)


def with_holding_reply(
    thread: ThreadResult,
    signs: LanguageSigns,
    settings: Settings,
    as_of: datetime,
    owner: str | None,
) -> ThreadResult:
    """The thread with its holding reply as of `as_of` when it is waiting; else unchanged."""
    if thread.status not in _WAITING:
        return thread
    reply = holding_reply(
        subject=thread.subject,
        correspondent=thread.correspondent,
        signs=signs,
        as_of=as_of,
        tz=settings.tz,
        lang=settings.lang,
        owner_lang=settings.owner_lang,
        signature=owner,
        apologize=thread.status is Status.OVERDUE,
        calendar=settings.calendar,
        templates=dict(settings.templates),
    )
    reply = dataclasses.replace(reply, references=thread.reply_refs)
    return dataclasses.replace(thread, holding_reply=reply)
