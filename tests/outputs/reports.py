"""Sample AuditReports for the renderer tests (every status, hostile and awkward text), and
the golden-file check.

Regenerate the golden files with `UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/outputs`
and review the diff before committing it.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from inbox_audit.core.holding import holding_reply
from inbox_audit.core.language import language_signs
from inbox_audit.model import (
    Address,
    AuditReport,
    Folder,
    FolderRole,
    Message,
    MessageResult,
    Reason,
    ReplyRef,
    Status,
    Summary,
    ThreadResult,
    Unreadable,
)
from tests.builders import PARIS

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "render"
AS_OF = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)  # Thursday 10:00 in Paris
HOSTILE_SUBJECT = "=cmd()|calc [bold red]alarm[/] `code` *star* <b>&amp;\nBcc: x@y"
HOSTILE_NAME = "[bold]Evil[/bold] | Corp"


# --- Builders -------------------------------------------------------------------------------


def ago(hours: float) -> datetime:
    return AS_OF - timedelta(hours=hours)


def make_message(
    uid: int,
    *,
    from_: Address | None,
    subject: str,
    hours_ago: float,
    folder: str = "INBOX",
    language_hints: tuple[str, ...] = (),
) -> Message:
    return Message(
        folder=folder,
        uid=uid,
        message_id=f"m{uid}@example.net",
        in_reply_to=(),
        references=(),
        from_=from_,
        reply_to=(),
        to=(Address("shop@example.com"),),
        cc=(),
        subject=subject,
        date=ago(hours_ago),
        received_at=None,
        internal_date=ago(hours_ago),
        flags=frozenset(),
        conversation_id=None,
        language_hints=language_hints,
    )


def make_result(
    message: Message,
    status: Status,
    *,
    thread_id: str,
    reason: Reason | None = None,
    replied_hours_later: float | None = None,
    answered_by_flag: bool = False,
) -> MessageResult:
    reply = None
    if replied_hours_later is not None:
        assert message.arrived_at is not None
        reply = ReplyRef(
            message_id=f"reply-{message.uid}@example.com",
            sent_at=message.arrived_at + timedelta(hours=replied_hours_later),
            latency_seconds=int(replied_hours_later * 3600),
        )
    return MessageResult(
        message=message,
        status=status,
        reason=reason,
        thread_id=thread_id,
        reply=reply,
        answered_by_flag=answered_by_flag,
    )


def make_thread(
    result: MessageResult,
    *,
    answered_late: bool = False,
    with_reply: bool = True,
) -> ThreadResult:
    message = result.message
    assert message.from_ is not None and message.arrived_at is not None
    waiting = result.status in (Status.PENDING, Status.OVERDUE)
    reply = None
    if waiting and with_reply:
        reply = holding_reply(
            subject=message.subject,
            correspondent=message.from_,
            signs=language_signs([message]),
            as_of=AS_OF,
            tz=PARIS,
            apologize=result.status is Status.OVERDUE,
        )
    return ThreadResult(
        thread_id=result.thread_id,
        subject=message.subject,
        correspondent=message.from_,
        folder=message.folder,
        status=result.status,
        waiting_since=message.arrived_at if waiting else None,
        waiting_seconds=int((AS_OF - message.arrived_at).total_seconds()) if waiting else None,
        answered_late=answered_late,
        max_latency_seconds=result.reply.latency_seconds if result.reply else None,
        holding_reply=reply,
    )


MARIE = Address("marie.dupont@orange.fr", "DUPONT Marie")
JOHN = Address("john.smith@example.com", "John Smith")
PAUL = Address("paul@exemple.fr", "Paul Martin")
EVE = Address("eve@evil.example", HOSTILE_NAME)
LUCIE = Address("lucie@example.be", "Lucie Renard")
SAM = Address("sam@example.org", "")
NEWS = Address("news@shop.example", "Shop News")


def make_report() -> AuditReport:
    """Every status, a late answer, a \\Answered-only message, hostile text, an unreadable."""
    results = [
        make_result(
            make_message(1, from_=MARIE, subject="Re: Demande de devis cuisine", hours_ago=75),
            Status.OVERDUE,
            thread_id="t-marie",
        ),
        make_result(
            make_message(2, from_=PAUL, subject="Facture 2026-114", hours_ago=50),
            Status.ANSWERED,
            thread_id="t-paul",
            replied_hours_later=30.25,
        ),
        make_result(
            make_message(3, from_=EVE, subject=HOSTILE_SUBJECT, hours_ago=30),
            Status.OVERDUE,
            thread_id="t-eve",
        ),
        make_result(
            make_message(4, from_=NEWS, subject="Promo -50%", hours_ago=20, folder="Promotions"),
            Status.NOT_CUSTOMER,
            thread_id="t-news",
            reason=Reason.MAILING_LIST,
        ),
        make_result(
            make_message(5, from_=LUCIE, subject="Rendez-vous mardi", hours_ago=8),
            Status.ANSWERED,
            thread_id="t-lucie",
            replied_hours_later=1.5,
        ),
        make_result(
            make_message(6, from_=SAM, subject="Old order", hours_ago=7),
            Status.ANSWERED,
            thread_id="t-sam",
            answered_by_flag=True,
        ),
        make_result(
            make_message(
                7,
                from_=JOHN,
                subject="Question about my order",
                hours_ago=5.2,
                folder="Clients/Smith",
                language_hints=("en-GB",),
            ),
            Status.PENDING,
            thread_id="t-john",
        ),
    ]
    by_thread = {r.thread_id: r for r in results}
    threads = [
        make_thread(by_thread["t-john"]),  # deliberately out of order: renderers sort
        make_thread(by_thread["t-eve"]),
        make_thread(by_thread["t-marie"]),
        make_thread(by_thread["t-paul"], answered_late=True),
        make_thread(by_thread["t-lucie"]),
        make_thread(by_thread["t-sam"]),
    ]
    return AuditReport(
        source="imaps://shop@example.com@imap.example.com:993",
        as_of=AS_OF,
        sla_seconds=24 * 3600,
        identities=("contact@shop.example", "shop@example.com"),
        identities_detected=("shop@example.com",),
        folders=(
            Folder("INBOX", FolderRole.INBOX, scanned=True, messages=6),
            Folder("Clients/Smith", FolderRole.OTHER, scanned=True, messages=1),
            Folder("Promotions", FolderRole.OTHER, scanned=True, messages=1),
            Folder("Sent", FolderRole.SENT, scanned=True, messages=3),
            Folder("Trash", FolderRole.TRASH, scanned=False),
        ),
        summary=Summary(
            customer_messages=6,
            answered=3,
            answered_late=1,
            answered_unknown_latency=1,
            pending=1,
            overdue=2,
            not_customer=1,
            median_response_seconds=57150.0,
            p90_response_seconds=103050.0,
            within_sla_ratio=0.5,
            unreadable=1,
            duplicates=2,
        ),
        messages=tuple(results),
        threads=tuple(threads),
        unreadable=(Unreadable("INBOX", 99, "header could not be parsed"),),
    )


def empty_report() -> AuditReport:
    return AuditReport(
        source="/home/marie/mail.mbox",
        as_of=AS_OF,
        sla_seconds=4 * 3600,
        identities=(),
        identities_detected=(),
        folders=(),
        summary=Summary(0, 0, 0, 0, 0, 0, 0, None, None, None, 0, 0),
        messages=(),
        threads=(),
        unreadable=(),
    )


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as file:
            file.write(text)
        return
    with path.open(encoding="utf-8", newline="") as file:
        assert text == file.read(), f"{name} changed; rerun with UPDATE_GOLDEN=1 and review"


# Every character JSON must escape, quotes and backslashes, line separators, astral and
# lone-surrogate characters: what mail can hold in a name or subject once decoded.
AWKWARD = "".join(map(chr, range(32))) + '"\\/\x7f\u2028\u2029é日本😀\udc80 end'


def awkward_report() -> AuditReport:
    """make_report with awkward text everywhere text goes, and a message with no sender."""
    report = make_report()
    results = []
    for index, result in enumerate(report.messages):
        message = dataclasses.replace(
            result.message,
            subject=AWKWARD + str(index),
            folder=AWKWARD,
            message_id=None if index == 0 else AWKWARD,
            from_=None if index == 1 else Address(AWKWARD + "@x.example", AWKWARD),
        )
        results.append(dataclasses.replace(result, message=message, thread_id=AWKWARD))
    threads = [
        dataclasses.replace(
            t,
            subject=AWKWARD,
            correspondent=Address(AWKWARD, AWKWARD),
            holding_reply=t.holding_reply
            and dataclasses.replace(t.holding_reply, body=AWKWARD + "\n\nBest"),
        )
        for t in report.threads
    ]
    return dataclasses.replace(report, messages=tuple(results), threads=tuple(threads))


def sized_report(messages: int, threads: int) -> AuditReport:
    """make_report()'s messages and threads, repeated or cut to these counts."""
    base = make_report()
    return dataclasses.replace(
        base,
        messages=tuple(itertools.islice(itertools.cycle(base.messages), messages)),
        threads=tuple(itertools.islice(itertools.cycle(base.threads), threads)),
    )
