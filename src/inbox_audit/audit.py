"""Run the pipeline: read a source into Messages, then Messages + settings + now → AuditReport."""

from __future__ import annotations

import dataclasses
import gc
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

from inbox_audit.classify import classify_with_automation
from inbox_audit.errors import FolderNotFound
from inbox_audit.folders import assign_roles
from inbox_audit.headers import UnparsableMessage, parse_message
from inbox_audit.holding import holding_reply
from inbox_audit.metrics import result_of, summarize, thread_results
from inbox_audit.model import (
    AuditReport,
    Folder,
    FolderRole,
    Message,
    MessageResult,
    Reason,
    Status,
    ThreadResult,
    Unreadable,
)
from inbox_audit.pairing import answers, has_flag
from inbox_audit.settings import Settings
from inbox_audit.source import MailSource, Progress
from inbox_audit.threads import build_threads, message_time, norm_id

# When one message sits in several folders (Gmail labels, All Mail, copies), the copy kept is
# the one in the most telling folder.
_ROLE_PREFERENCE = {
    FolderRole.INBOX: 0,
    FolderRole.OTHER: 1,
    FolderRole.ARCHIVE: 2,
    FolderRole.SENT: 3,
    FolderRole.ALL: 4,
}


@dataclass(frozen=True)
class Collected:
    """What was read from a source: folders with roles, parsed messages, and failures."""

    source: str
    folders: tuple[Folder, ...]
    messages: tuple[Message, ...]
    unreadable: tuple[Unreadable, ...]
    problems: tuple[str, ...] = ()


@contextmanager
def no_gc_pauses() -> Iterator[None]:
    """Pause the cyclic garbage collector while 100,000s of acyclic objects are built.

    Each generation-2 pass re-scans every Message already held: at 100k messages that was
    a fifth of the parse time. Nothing built here forms cycles; the collector resumes after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def collect(
    source: MailSource, display: str, settings: Settings, progress: Progress | None = None
) -> Collected:
    """Read every scanned folder of a source. Parsing happens as messages stream in."""
    with no_gc_pauses():
        return _collect(source, display, settings, progress)


def _collect(
    source: MailSource, display: str, settings: Settings, progress: Progress | None
) -> Collected:
    folders = []
    for folder in assign_roles(source.list_folders(), settings.sent_folder, settings.skip_folders):
        count = source.message_count(folder.name) if folder.scanned else None
        folders.append(dataclasses.replace(folder, messages=count))
    messages: list[Message] = []
    unreadable: list[Unreadable] = []
    problems: list[str] = []
    for folder in folders:
        if not folder.scanned:
            continue
        try:
            for item in source.fetch(folder.name, progress):
                if isinstance(item, Unreadable):
                    unreadable.append(item)
                    continue
                try:
                    messages.append(parse_message(item))
                except UnparsableMessage as exc:
                    unreadable.append(Unreadable(item.folder, item.uid, str(exc) or "unparsable"))
        except FolderNotFound as exc:
            # Deleted or renamed by another client while we read: say so, audit the rest.
            problems.append(f"folder {folder.name!r} could not be read: {exc}")
    return Collected(display, tuple(folders), tuple(messages), tuple(unreadable), tuple(problems))


def _dedupe(messages: Iterable[Message], roles: dict[str, FolderRole]) -> tuple[list[Message], int]:
    """Keep one copy per message; the copy keeps the earliest arrival and every flag."""
    groups: dict[tuple[str, ...], list[Message]] = {}
    for message in messages:
        sender = message.from_.email if message.from_ else ""
        if message.message_id:
            # The subject too: some clients reuse a Message-ID for different messages.
            key: tuple[str, ...] = (
                "id",
                norm_id(message.message_id),
                sender,
                message.subject,
            )
        elif message.date is not None:
            key = ("hdr", sender, message.date.isoformat(), message.subject)
        else:
            key = ("key", message.key)
        groups.setdefault(key, []).append(message)
    kept: list[Message] = []
    for copies in groups.values():
        if len(copies) == 1:  # the usual case: nothing to choose
            kept.append(copies[0])
            continue
        best = min(copies, key=lambda m: (_ROLE_PREFERENCE.get(roles[m.folder], 9), m.key))
        dates = [m.internal_date for m in copies if m.internal_date is not None]
        flags = frozenset().union(*(m.flags for m in copies))
        kept.append(
            dataclasses.replace(best, internal_date=min(dates) if dates else None, flags=flags)
        )
    return kept, sum(len(copies) - 1 for copies in groups.values())


def detect_identities(messages: Sequence[Message], roles: dict[str, FolderRole]) -> list[str]:
    """The owner's addresses, from the From of the Sent folder.

    A customer's message filed into Sent by mistake must not make that customer "me": an
    address counts when it sent several messages, or when mail elsewhere was addressed to it.
    """
    sent = Counter(
        m.from_.email
        for m in messages
        if roles.get(m.folder) is FolderRole.SENT and m.from_ is not None and m.from_.email
    )
    addressed = {
        a.email for m in messages if roles.get(m.folder) is not FolderRole.SENT for a in m.to + m.cc
    }
    total = sum(sent.values())
    return sorted(
        address
        for address, count in sent.items()
        if count >= 3 or address in addressed or count * 5 >= total
    )


def _owner_name(messages: Iterable[Message], me: frozenset[str]) -> str | None:
    names = Counter(
        m.from_.name
        for m in messages
        if m.from_ is not None and m.from_.email in me and m.from_.name
    )
    return names.most_common(1)[0][0] if names else None


def audit(collected: Collected, settings: Settings, as_of: datetime) -> AuditReport:
    """The pure core: statuses, pairs, figures and holding replies as of `as_of`."""
    with no_gc_pauses():
        return _audit(collected, settings, as_of)


def _audit(collected: Collected, settings: Settings, as_of: datetime) -> AuditReport:
    roles = {folder.name: folder.role for folder in collected.folders}
    unreadable = list(collected.unreadable)
    dated: list[Message] = []
    drafts = 0
    for message in collected.messages:
        # An unsent draft is no answer, wherever it sits: Gmail also lists drafts in All Mail.
        if has_flag(message.flags, "\\draft"):
            drafts += 1
            continue
        if message.arrived_at is None:
            unreadable.append(Unreadable(message.folder, message.uid, "no usable date"))
        else:
            dated.append(message)

    detected = detect_identities(dated, roles)
    me = frozenset(settings.me) | frozenset(detected)
    unique, duplicates = _dedupe(dated, roles)
    # An audit "as of" a past moment sees the mailbox as it was then.
    present = [m for m in unique if (t := message_time(m, me)) is not None and t <= as_of]
    after_as_of = len(unique) - len(present)

    sent = frozenset(name for name, role in roles.items() if role is FolderRole.SENT)
    keys = [m.key for m in present]  # a property: computed once
    verdicts = [classify_with_automation(m, me, m.folder in sent) for m in present]
    reasons: dict[str, Reason | None] = {
        key: reason for key, (reason, _) in zip(keys, verdicts, strict=True)
    }
    # My own out-of-office replies and receipts sit in Sent too, and answer nobody.
    automated = frozenset(key for key, (_, auto) in zip(keys, verdicts, strict=True) if auto)
    not_conversation = automated | {
        key for key, reason in reasons.items() if reason not in (None, Reason.FROM_ME)
    }
    # Each result with its sort key: (message time, key), oldest first.
    ranked: list[tuple[datetime, str, MessageResult]] = []
    outbound = 0
    for thread in build_threads(present, me, settings.subject_window, not_conversation):
        answered = answers(thread, reasons, me, automated)
        for message, key, when in zip(thread.messages, thread.keys, thread.times, strict=True):
            reason = reasons[key]
            # My own mail in the Sent folder is outgoing, not inbound: counted, not listed.
            if reason is Reason.FROM_ME and message.folder in sent:
                outbound += 1
                continue
            result = result_of(
                message, reason, thread.thread_id, answered.get(key), as_of, settings.sla
            )
            ranked.append((when or as_of, key, result))
    ranked.sort(key=itemgetter(0, 1))
    results = [result for _, _, result in ranked]

    hints: dict[str, list[str]] = {}
    for r in results:
        if r.status is not Status.NOT_CUSTOMER:
            hints.setdefault(r.thread_id, []).extend(r.message.language_hints)
    owner = _owner_name(present, me)
    threads = [
        with_holding_reply(t, tuple(hints.get(t.thread_id, ())), settings, as_of, owner)
        for t in thread_results(results, as_of, settings.sla)
    ]
    return AuditReport(
        source=collected.source,
        as_of=as_of,
        sla_seconds=int(settings.sla.total_seconds()),
        identities=tuple(sorted(me)),
        identities_detected=tuple(detected),
        folders=collected.folders,
        summary=summarize(
            results, settings.sla, len(unreadable), duplicates, drafts, after_as_of, outbound
        ),
        messages=tuple(results),
        threads=tuple(threads),
        unreadable=tuple(unreadable),
        problems=collected.problems,
        owner=owner,
    )


def with_holding_reply(
    thread: ThreadResult,
    hints: tuple[str, ...],
    settings: Settings,
    as_of: datetime,
    owner: str | None,
) -> ThreadResult:
    """The thread with its holding reply as of `as_of` when it is waiting; else unchanged."""
    if thread.status not in (Status.PENDING, Status.OVERDUE):
        return thread
    reply = holding_reply(
        subject=thread.subject,
        correspondent=thread.correspondent,
        language_hints=hints,
        as_of=as_of,
        tz=settings.tz,
        lang=settings.lang,
        signature=owner,
        apologize=thread.status is Status.OVERDUE,
    )
    return dataclasses.replace(thread, holding_reply=reply)
