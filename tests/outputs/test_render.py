"""Renderers: the JSON contract, CSV safety, Markdown escaping, the rich table; golden files.

Regenerate the golden files with
`UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/outputs/test_render.py`
and review the diff before committing it.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from inbox_audit.core.figures import threads_in_order
from inbox_audit.core.holding import holding_reply
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
from inbox_audit.outputs.render import (
    CSV_COLUMNS,
    format_duration,
    md_escape,
    render_csv,
    render_json,
    render_markdown,
    render_table,
    write_csv,
    write_json,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "render"
PARIS = ZoneInfo("Europe/Paris")
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
            language_hints=message.language_hints,
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


def table_text(report: AuditReport, *, show_replies: bool = True) -> str:
    console = Console(record=True, width=120, force_terminal=False, file=io.StringIO())
    console.print(render_table(report, show_replies=show_replies, tz=PARIS))
    # rich pads lines to the console width; the padding says nothing, so keep it out of goldens.
    return "".join(line.rstrip() + "\n" for line in console.export_text().splitlines())


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as file:
            file.write(text)
        return
    with path.open(encoding="utf-8", newline="") as file:
        assert text == file.read(), f"{name} changed; rerun with UPDATE_GOLDEN=1 and review"


# --- Golden files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("report.json", render_json),
        ("report.csv", render_csv),
        ("report.md", lambda r: render_markdown(r, tz=PARIS)),
        ("report.txt", table_text),
        ("report-no-replies.txt", lambda r: table_text(r, show_replies=False)),
        ("empty.json", lambda r: render_json(empty_report())),
        ("empty.md", lambda r: render_markdown(empty_report())),
        ("empty.txt", lambda r: table_text(empty_report())),
    ],
)
def test_golden(name: str, render: Any) -> None:
    check_golden(name, render(make_report()))


# --- The JSON contract ----------------------------------------------------------------------


def test_json_contract() -> None:
    data = json.loads(render_json(make_report()))
    assert list(data) == [
        "schema_version",
        "as_of",
        "sla_seconds",
        "identities",
        "identities_detected",
        "source",
        "folders",
        "summary",
        "messages",
        "threads",
        "unreadable",
        "problems",
    ]
    assert data["problems"] == []
    assert data["schema_version"] == 1
    assert data["as_of"] == "2026-11-05T09:00:00+00:00"
    assert data["sla_seconds"] == 86400
    assert data["identities"] == ["contact@shop.example", "shop@example.com"]
    assert data["identities_detected"] == ["shop@example.com"]
    assert data["folders"][0] == {"name": "INBOX", "role": "inbox", "scanned": True, "messages": 6}
    assert data["folders"][-1] == {
        "name": "Trash",
        "role": "trash",
        "scanned": False,
        "messages": None,
    }
    assert data["summary"] == {
        "customer_messages": 6,
        "answered": 3,
        "answered_late": 1,
        "answered_unknown_latency": 1,
        "pending": 1,
        "overdue": 2,
        "not_customer": 1,
        "median_response_seconds": 57150.0,
        "p90_response_seconds": 103050.0,
        "within_sla_ratio": 0.5,
        "unreadable": 1,
        "duplicates": 2,
        "drafts": 0,
        "after_as_of": 0,
        "outbound": 0,
    }
    assert data["unreadable"] == [
        {"folder": "INBOX", "uid": 99, "reason": "header could not be parsed"}
    ]


def test_json_messages() -> None:
    messages = json.loads(render_json(make_report()))["messages"]
    assert [m["uid"] for m in messages] == [1, 2, 3, 4, 5, 6, 7]  # the report's order
    assert list(messages[0]) == [
        "message_id",
        "folder",
        "uid",
        "from",
        "from_name",
        "subject",
        "received_at",
        "status",
        "reason",
        "thread_id",
        "reply",
        "answered_by_flag",
    ]
    marie, paul, _, news, _, sam, _ = messages
    assert marie["from"] == "marie.dupont@orange.fr"
    assert marie["from_name"] == "DUPONT Marie"
    assert marie["received_at"] == "2026-11-02T06:00:00+00:00"
    assert marie["status"] == "overdue"
    assert marie["reason"] is None
    assert marie["reply"] is None
    assert paul["reply"] == {
        "message_id": "reply-2@example.com",
        "sent_at": "2026-11-04T13:15:00+00:00",
        "latency_seconds": 108900,
    }
    assert news["status"] == "not_customer"
    assert news["reason"] == "mailing_list"
    assert sam["answered_by_flag"] is True
    assert sam["reply"] is None
    assert sam["from_name"] == ""


def test_json_threads_are_ordered_and_carry_holding_replies() -> None:
    threads = json.loads(render_json(make_report()))["threads"]
    assert [t["thread_id"] for t in threads] == [
        "t-marie",  # overdue, 75 h
        "t-eve",  # overdue, 30 h
        "t-john",  # pending
        "t-paul",
        "t-lucie",
        "t-sam",
    ]
    marie = threads[0]
    assert list(marie) == [
        "thread_id",
        "subject",
        "correspondent",
        "correspondent_name",
        "folder",
        "status",
        "waiting_since",
        "waiting_seconds",
        "answered_late",
        "max_latency_seconds",
        "holding_reply",
    ]
    assert marie["correspondent"] == "marie.dupont@orange.fr"
    assert marie["waiting_since"] == "2026-11-02T06:00:00+00:00"
    assert marie["waiting_seconds"] == 75 * 3600
    reply = marie["holding_reply"]
    assert list(reply) == ["to", "subject", "body", "language", "promised_by"]
    assert reply["to"] == "marie.dupont@orange.fr"
    assert reply["language"] == "fr"
    assert reply["promised_by"] == "2026-11-05T16:00:00+00:00"  # 17:00 in Paris, in UTC
    assert reply["body"].startswith("Bonjour Marie,")
    paul = threads[3]
    assert paul["answered_late"] is True
    assert paul["max_latency_seconds"] == 108900
    assert paul["holding_reply"] is None
    assert paul["waiting_since"] is None


def test_json_keeps_text_exact_and_unescaped() -> None:
    text = render_json(make_report())
    assert text.endswith("}\n")
    assert "Demande de devis cuisine" in text
    assert "« Demande de devis cuisine »" in text  # ensure_ascii=False
    data = json.loads(text)
    assert data["messages"][2]["subject"] == HOSTILE_SUBJECT
    assert data["messages"][2]["from_name"] == HOSTILE_NAME


def test_json_reads_naive_datetimes_as_utc() -> None:
    report = make_report()
    naive = dataclasses.replace(report, as_of=AS_OF.replace(tzinfo=None))
    assert json.loads(render_json(naive))["as_of"] == "2026-11-05T09:00:00+00:00"


def test_json_converts_other_offsets_to_utc() -> None:
    report = make_report()
    local = dataclasses.replace(report, as_of=AS_OF.astimezone(PARIS))
    assert json.loads(render_json(local))["as_of"] == "2026-11-05T09:00:00+00:00"


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


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


def compact(value: Any) -> str:
    return "    " + json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


@pytest.mark.parametrize("build", [make_report, awkward_report, empty_report])
def test_json_items_are_json_dumps_of_their_dicts(build: Any) -> None:
    """Messages and threads are formatted by hand (for speed): the text must be exactly
    what json.dumps writes for the documented dicts."""
    report = build()
    lines = render_json(report).split("\n")  # not splitlines(): U+2028 is no line end here
    expected_messages = [
        compact(
            {
                "message_id": r.message.message_id,
                "folder": r.message.folder,
                "uid": r.message.uid,
                "from": r.message.from_.email if r.message.from_ else None,
                "from_name": r.message.from_.name if r.message.from_ else "",
                "subject": r.message.subject,
                "received_at": iso(r.message.arrived_at),
                "status": r.status.value,
                "reason": r.reason.value if r.reason else None,
                "thread_id": r.thread_id,
                "reply": None
                if r.reply is None
                else {
                    "message_id": r.reply.message_id,
                    "sent_at": iso(r.reply.sent_at),
                    "latency_seconds": r.reply.latency_seconds,
                },
                "answered_by_flag": r.answered_by_flag,
            }
        )
        for r in report.messages
    ]
    expected_threads = [
        compact(
            {
                "thread_id": t.thread_id,
                "subject": t.subject,
                "correspondent": t.correspondent.email,
                "correspondent_name": t.correspondent.name,
                "folder": t.folder,
                "status": t.status.value,
                "waiting_since": iso(t.waiting_since),
                "waiting_seconds": t.waiting_seconds,
                "answered_late": t.answered_late,
                "max_latency_seconds": t.max_latency_seconds,
                "holding_reply": None
                if t.holding_reply is None
                else {
                    "to": t.holding_reply.to,
                    "subject": t.holding_reply.subject,
                    "body": t.holding_reply.body,
                    "language": t.holding_reply.language,
                    "promised_by": iso(t.holding_reply.promised_by),
                },
            }
        )
        for t in threads_in_order(report.threads)
    ]
    items = [
        line.removesuffix(",")
        for line in lines
        if line.startswith(('    {"message_id"', '    {"thread_id"'))
    ]
    assert items == expected_messages + expected_threads
    data = json.loads(render_json(report))
    assert [m["subject"] for m in data["messages"]] == [r.message.subject for r in report.messages]


@pytest.mark.parametrize("build", [make_report, awkward_report, empty_report])
@pytest.mark.parametrize(("render", "write"), [(render_json, write_json), (render_csv, write_csv)])
def test_written_text_is_the_rendered_text(build: Any, render: Any, write: Any) -> None:
    report = build()
    many = dataclasses.replace(report, messages=report.messages * 700)  # several pieces
    for each in (report, many):
        out = io.StringIO()
        write(each, out)
        assert out.getvalue() == render(each)


# --- CSV ------------------------------------------------------------------------------------


def test_csv_rows_and_safety() -> None:
    text = render_csv(make_report())
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 1 + 7
    by_uid = {row[2]: dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]}
    hostile = by_uid["3"]
    # A formula becomes text; the line break survives inside a quoted field.
    assert hostile["subject"] == "'" + HOSTILE_SUBJECT
    assert hostile["from_name"] == HOSTILE_NAME
    assert by_uid["4"]["subject"] == "Promo -50%"  # only a leading sign is dangerous
    paul = by_uid["2"]
    assert paul["reply_message_id"] == "reply-2@example.com"
    assert paul["reply_sent_at"] == "2026-11-04T13:15:00+00:00"
    assert paul["latency_seconds"] == "108900"
    assert paul["answered_by_flag"] == "false"
    assert by_uid["6"]["answered_by_flag"] == "true"
    assert by_uid["1"]["reply_message_id"] == ""
    assert by_uid["4"]["reason"] == "mailing_list"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_guards_every_formula_start(start: str) -> None:
    report = make_report()
    first = report.messages[0]
    message = dataclasses.replace(first.message, subject=start + "1+1")
    hostile = dataclasses.replace(first, message=message)
    report = dataclasses.replace(report, messages=(hostile,))
    rows = list(csv.reader(io.StringIO(render_csv(report), newline="")))
    assert rows[1][CSV_COLUMNS.index("subject")] == "'" + start + "1+1"


# --- Markdown -------------------------------------------------------------------------------


def test_markdown_escapes_mail_text() -> None:
    text = render_markdown(make_report(), tz=PARIS)
    hostile_rows = [line for line in text.splitlines() if "calc" in line and line.startswith("|")]
    assert len(hostile_rows) == 1
    row = hostile_rows[0]
    # Seven unescaped pipes: six columns. The subject's and the name's "|" are escaped.
    assert row.replace("\\|", "").count("|") == 7
    assert "\\[bold red\\]alarm\\[/\\]" in row
    assert "\\`code\\`" in row
    assert "\\*star\\*" in row
    assert "\\<b\\>\\&amp;" in row
    assert "\n" not in row


def test_md_escape() -> None:
    assert md_escape("a|b") == "a\\|b"
    assert md_escape("- item") == "\\- item"
    assert md_escape("1. item") == "1\\. item"
    assert md_escape("$5 and $10") == "\\$5 and \\$10"
    assert md_escape("two\nlines") == "two lines"


def test_markdown_fences_bodies_that_contain_backticks() -> None:
    report = make_report()
    thread = report.threads[0]
    assert thread.holding_reply is not None
    body = thread.holding_reply.body + "\n```\n# not a heading"
    reply = dataclasses.replace(thread.holding_reply, body=body)
    patched = dataclasses.replace(thread, holding_reply=reply)
    report = dataclasses.replace(report, threads=(patched,))
    text = render_markdown(report)
    assert "````text\n" + body + "\n````\n" in text


# --- Rich table -----------------------------------------------------------------------------


def test_table_prints_markup_literally() -> None:
    text = table_text(make_report())
    assert "[bold red]alarm[/]" in text
    assert "[bold]Evil[/bold] | Corp" in text
    assert "\x1b" not in text


def test_table_lists_overdue_then_pending_longest_first() -> None:
    text = table_text(make_report(), show_replies=False)
    order = [text.index(email) for email in ("marie.dupont@", "eve@evil", "john.smith@")]
    assert order == sorted(order)
    assert "3 d 3 h" in text  # Marie: 75 h
    assert "Mon 2 Nov 07:00" in text  # since, in Paris time
    assert "50%" in text
    assert "1 unreadable" in text
    assert "Holding reply" not in text


def test_table_escape_sequences_in_subjects_are_neutralised() -> None:
    report = make_report()
    first = report.messages[2]
    evil = "\x1b[2J\x1b]0;pwned\x07 hi \u202egnp.exe"
    thread = next(t for t in report.threads if t.thread_id == first.thread_id)
    patched = dataclasses.replace(thread, subject=evil)
    report = dataclasses.replace(report, threads=(patched,))
    console = Console(record=True, width=120, force_terminal=True, file=io.StringIO())
    console.print(render_table(report, show_replies=True, tz=PARIS))
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b[2J" not in output and "\x1b]0;" not in output and "\u202e" not in output


def test_threads_in_order_is_stable() -> None:
    report = make_report()
    ordered = threads_in_order(report.threads)
    assert [t.status for t in ordered] == [
        Status.OVERDUE,
        Status.OVERDUE,
        Status.PENDING,
        Status.ANSWERED,
        Status.ANSWERED,
        Status.ANSWERED,
    ]
    assert [t.thread_id for t in ordered[3:]] == ["t-paul", "t-lucie", "t-sam"]


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0 s"),
        (45.9, "45 s"),
        (60, "1 min"),
        (3599, "59 min"),
        (3600, "1 h"),
        (5 * 3600 + 12 * 60 + 59, "5 h 12 min"),
        (86400, "1 d"),
        (3 * 86400 + 4 * 3600 + 59 * 60, "3 d 4 h"),
        (45 * 86400 + 3600, "45 d 1 h"),
        (-90, "-1 min"),
    ],
)
def test_format_duration(seconds: float, expected: str) -> None:
    assert format_duration(seconds) == expected


def _sized_report(messages: int, threads: int) -> AuditReport:
    """make_report()'s messages and threads, repeated or cut to these counts."""
    base = make_report()
    return dataclasses.replace(
        base,
        messages=tuple(itertools.islice(itertools.cycle(base.messages), messages)),
        threads=tuple(itertools.islice(itertools.cycle(base.threads), threads)),
    )


@pytest.mark.parametrize(("messages", "threads"), [(0, 0), (1, 0), (0, 2), (2500, 40)])
def test_json_written_in_pieces_is_the_whole_document(messages: int, threads: int) -> None:
    report = _sized_report(messages, threads)
    out = io.StringIO()
    write_json(report, out)
    assert out.getvalue() == render_json(report)
    document = json.loads(out.getvalue())
    assert (len(document["messages"]), len(document["threads"])) == (messages, threads)
