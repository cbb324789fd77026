"""AuditReport → JSON and CSV, the scripting contract: stable keys and columns, UTC datetimes."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO, TypeVar

from inbox_audit.core.awaiting import AWAITING_DAYS, AwaitingReply, awaiting_reply
from inbox_audit.core.figures import BUCKETS, threads_in_order
from inbox_audit.core.printable import printable
from inbox_audit.core.stats import Exchange, FirstResponse, ReportFigures, report_figures
from inbox_audit.core.worktime import describe, zone_name
from inbox_audit.model import AuditReport, MessageResult, Reason, Status, ThreadResult

# Every datetime is written in UTC as ISO 8601 with an explicit "+00:00" offset, to the second:
# one unambiguous, sortable form for scripts (the table and Markdown show local times). Text
# from mail is kept exactly as decoded in JSON, and guarded against spreadsheet formulas in
# CSV. Threads are listed overdue first, then pending, each longest wait first, then answered.

#: Bumped when a key of the JSON output changes meaning or disappears (adding keys is not).
JSON_SCHEMA_VERSION = 1


# --- JSON -----------------------------------------------------------------------------------


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is not UTC:  # headers hand over UTC; holding replies promise local times
        if moment.tzinfo is None:  # the model promises aware datetimes; read naive ones as UTC
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="seconds")


def render_json(
    report: AuditReport, awaiting_days: int = AWAITING_DAYS, lang: str | None = None
) -> str:
    """The scripting contract: stable keys in a stable order, UTC datetimes, UTF-8 text.
    `awaiting_days`: the silence after which a conversation awaits their reply; `lang`
    forces the follow-ups' language."""
    return "".join(_json_pieces(report, awaiting_days, lang))


def write_json(
    report: AuditReport, out: TextIO, awaiting_days: int = AWAITING_DAYS, lang: str | None = None
) -> None:
    """render_json's text written to `out` piece by piece: a report of 100,000 messages is
    never held whole (as one string it took 150 MB more)."""
    for piece in _json_pieces(report, awaiting_days, lang):
        out.write(piece)


#: List items per piece written: few write calls, small pieces.
_CHUNK = 1000


def buckets_dict(counts: tuple[int, ...]) -> dict[str, int]:
    """Bucket label → count, in BUCKETS order."""
    return {label: count for (label, _), count in zip(BUCKETS, counts, strict=True)}


def first_response_dict(first: FirstResponse) -> dict[str, float | None]:
    """The JSON `first_response` object (the audit's summary has the same)."""
    return {
        "median": first.median,
        "p90": first.p90,
        "business_median": first.business_median,
        "business_p90": first.business_p90,
    }


def awaiting_dict(item: AwaitingReply) -> dict[str, Any]:
    """One `awaiting_reply[]` item (the audit's JSON has the same)."""
    follow = item.follow_up
    return {
        "thread_id": item.thread_id,
        "subject": item.subject,
        "correspondent": item.correspondent.email,
        "correspondent_name": item.correspondent.name,
        "last_sent_at": iso(item.last_sent_at),
        "silent_business_days": item.silent_business_days,
        "follow_up": {"subject": follow.subject, "body": follow.body, "language": follow.language},
    }


def _json_pieces(report: AuditReport, awaiting_days: int, lang: str | None) -> Iterator[str]:
    """Indented JSON with one compact line per list item (message, thread, folder...).

    json.dumps with `indent` falls back to the pure-Python encoder, about five times slower:
    100,000 messages took seconds. Items on one line each stay readable and grep-able.
    """
    figures = report_figures(report)
    yield from _json_start(report, figures)
    yield from _json_lines("messages", report.messages, _message_line)
    awaiting = awaiting_reply(
        report.awaiting or (), report.as_of, awaiting_days, lang, report.owner, report.calendar
    )
    yield from _json_end(report, figures, awaiting)


def _json_start(report: AuditReport, figures: ReportFigures) -> Iterator[str]:
    s = report.summary
    yield "{\n"
    # Working time is reported only when working hours were set: without them the document
    # is the one it always was.
    worked = report.calendar is not None
    business = {
        "median_business_response_seconds": s.median_business_response_seconds,
        "p90_business_response_seconds": s.p90_business_response_seconds,
    }
    yield from _json_entries(
        {
            "schema_version": JSON_SCHEMA_VERSION,
            "as_of": iso(report.as_of),
            "sla_seconds": report.sla_seconds,
            "identities": list(report.identities),
            "identities_detected": list(report.identities_detected),
            "source": report.source,
            "complete": not report.problems,  # false: some mail could not be read (problems)
            "folders": [
                {
                    "name": f.name,
                    "role": f.role.value,
                    "scanned": f.scanned,
                    "messages": f.messages,
                    "reason": f.unread,  # why a folder to read was not read (else null)
                }
                for f in report.folders
            ],
            "summary": {
                "customer_messages": s.customer_messages,
                "answered": s.answered,
                "answered_late": s.answered_late,
                "answered_unknown_latency": s.answered_unknown_latency,
                "pending": s.pending,
                "overdue": s.overdue,
                "not_customer": s.not_customer,
                "median_response_seconds": s.median_response_seconds,
                "p90_response_seconds": s.p90_response_seconds,
                "within_sla_ratio": s.within_sla_ratio,
                "unreadable": s.unreadable,
                "duplicates": s.duplicates,
                "drafts": s.drafts,
                "after_as_of": s.after_as_of,
                "outbound": s.outbound,
                "buckets": buckets_dict(figures.buckets),
                "business_buckets": buckets_dict(figures.business_buckets),
                "first_response": first_response_dict(figures.first_response),
                "internal": s.internal,
                **(business if worked else {}),
            },
            **({"settings": _settings(report)} if worked else {}),
        }
    )


def _settings(report: AuditReport) -> dict[str, Any]:
    """What the audit was told beyond the SLA: the working hours it counted in."""
    calendar = report.calendar
    if calendar is None:
        return {"working_hours": None, "sla_clock": "wall"}
    return {
        "working_hours": {
            "hours": describe(calendar),
            "timezone": zone_name(calendar.zone),
            "holidays": calendar.holidays,
            "vacations": [f"{start}..{end}" for start, end in calendar.vacations],
        },
        "sla_clock": "business" if report.sla_business else "wall",
    }


def _json_end(
    report: AuditReport, figures: ReportFigures, awaiting: Sequence[AwaitingReply]
) -> Iterator[str]:
    """What follows the messages: the threads, those awaiting a reply, the unreadable items
    and problems."""
    threads = threads_in_order(report.threads)
    first = figures.first_by_thread
    yield from _json_lines("threads", threads, lambda t: _thread_line(t, first.get(t.thread_id)))
    yield from _json_entries(
        {
            "awaiting_reply": [awaiting_dict(a) for a in awaiting],
            "unreadable": [
                {"folder": u.folder, "uid": u.uid, "reason": u.reason} for u in report.unreadable
            ],
            "problems": list(report.problems),
        },
        last=True,
    )
    yield "}\n"


def _json_entries(entries: dict[str, Any], *, last: bool = False) -> Iterator[str]:
    """`  "key": value` lines: lists one compact item a line, other values indented."""
    for index, (key, value) in enumerate(entries.items()):
        comma = "" if last and index == len(entries) - 1 else ","
        name = json.dumps(key)
        if isinstance(value, list) and value:
            items = ",\n".join("    " + _compact(item) for item in value)
            yield f"  {name}: [\n{items}\n  ]{comma}\n"
        else:
            body = json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n  ")
            yield f"  {name}: {body}{comma}\n"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


_T = TypeVar("_T")


def _json_lines(key: str, items: Sequence[_T], line: Callable[[_T], str]) -> Iterator[str]:
    """The list `key` of the document, each item the line `line` writes, `_CHUNK` lines a piece."""
    if not items:
        yield f'  "{key}": [],\n'
        return
    yield f'  "{key}": [\n'
    for first in range(0, len(items), _CHUNK):
        lines = ",\n".join([line(item) for item in items[first : first + _CHUNK]])
        yield lines if first == 0 else ",\n" + lines
    yield "\n  ],\n"


# Messages and threads are formatted here rather than built as dicts for json.dumps: at
# 100,000 messages the dicts and one json.dumps call each took most of the rendering. The
# text is what `_compact` gives for the same dict, strings escaped by json's own C function
# for ensure_ascii=False (tests/outputs/test_data.py compares the two).
_string = json.encoder.encode_basestring


def _text(value: str | None) -> str:
    return "null" if value is None else _string(value)


def _number(value: int | None) -> str:
    return "null" if value is None else int.__repr__(value)


# Enum members as JSON strings, looked up once: ~100,000 lines each name a status.
_STATUS_JSON = {status: _string(status.value) for status in Status}
_REASON_JSON: dict[Reason | None, str] = {reason: _string(reason.value) for reason in Reason}
_REASON_JSON[None] = "null"


def _message_line(result: MessageResult) -> str:
    message, reply, sender = result.message, result.reply, result.message.from_
    reply_json = (
        "null"
        if reply is None
        else f'{{"message_id": {_text(reply.message_id)}, "sent_at": {_text(iso(reply.sent_at))}'
        f', "latency_seconds": {_number(reply.latency_seconds)}'
        + (
            ""
            if reply.business_latency_seconds is None
            else f', "business_latency_seconds": {_number(reply.business_latency_seconds)}'
        )
        + "}"
    )
    return (
        f'    {{"message_id": {_text(message.message_id)}, "folder": {_string(message.folder)}'
        f', "uid": {int.__repr__(message.uid)}'
        f', "from": {_string(sender.email) if sender else "null"}'
        f', "from_name": {_string(sender.name if sender else "")}'
        f', "subject": {_string(message.subject)}'
        # When the message reached the mailbox: INTERNALDATE, else Received, else Date.
        f', "received_at": {_text(iso(message.arrived_at))}'
        f', "status": {_STATUS_JSON[result.status]}'
        f', "reason": {_REASON_JSON[result.reason]}'
        f', "thread_id": {_text(result.thread_id)}, "reply": {reply_json}'
        f', "answered_by_flag": {"true" if result.answered_by_flag else "false"}}}'
    )


def _thread_line(thread: ThreadResult, first: Exchange | None) -> str:
    reply = thread.holding_reply
    holding = (
        "null"
        if reply is None
        else f'{{"to": {_string(reply.to)}, "subject": {_string(reply.subject)}'
        f', "body": {_string(reply.body)}, "language": {_string(reply.language)}'
        f', "promised_by": {_text(iso(reply.promised_by))}}}'
    )
    correspondent = thread.correspondent
    wall, business = (None, None) if first is None else (first.wall_seconds, first.business_seconds)
    return (
        f'    {{"thread_id": {_string(thread.thread_id)}, "subject": {_string(thread.subject)}'
        f', "correspondent": {_string(correspondent.email)}'
        f', "correspondent_name": {_string(correspondent.name)}'
        f', "folder": {_string(thread.folder)}, "status": {_STATUS_JSON[thread.status]}'
        f', "waiting_since": {_text(iso(thread.waiting_since))}'
        f', "waiting_seconds": {_number(thread.waiting_seconds)}'
        f', "answered_late": {"true" if thread.answered_late else "false"}'
        f', "max_latency_seconds": {_number(thread.max_latency_seconds)}'
        + (
            ""
            if thread.max_business_latency_seconds is None
            else ', "max_business_latency_seconds": ' + _number(thread.max_business_latency_seconds)
        )
        + f', "holding_reply": {holding}'
        f', "first_response_seconds": {_number(wall)}'
        f', "first_response_business_seconds": {_number(business)}}}'
    )


# --- CSV ------------------------------------------------------------------------------------

CSV_COLUMNS: tuple[str, ...] = (
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
    "reply_message_id",
    "reply_sent_at",
    "latency_seconds",
    "answered_by_flag",
)
#: The column after CSV_COLUMNS when working hours are set: the reply's latency in working time.
BUSINESS_COLUMN = "business_latency_seconds"
# Spreadsheets run a cell starting with one of these as a formula: a subject such as
# '=HYPERLINK("http://evil", "invoice")' would become a live link or worse when the CSV is
# opened in Excel or LibreOffice (OWASP "CSV Injection"). A leading apostrophe makes the cell
# text and is not shown by spreadsheets; scripts see it, which is the price of safety.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        guarded = "'" + value if value.startswith(_FORMULA_STARTS) else value
        # Mail's own text, which `cat` or a pager shows: never a command to the terminal.
        return printable(guarded)
    return str(value)


def render_csv(report: AuditReport) -> str:
    """One row per inbound message with a header row; RFC 4180 quoting, "\\n" line ends.

    Lines end with "\\n", not RFC 4180's CRLF: the CLI writes text, and on Windows a text
    stream turns "\\r\\n" into "\\r\\r\\n" (blank rows in Excel). Fields holding commas, quotes
    or line breaks are quoted, quotes doubled.
    """
    return "".join(_csv_pieces(report))


def write_csv(report: AuditReport, out: TextIO) -> None:
    """render_csv's text written to `out` piece by piece."""
    for piece in _csv_pieces(report):
        out.write(piece)


def _csv_pieces(report: AuditReport) -> Iterator[str]:
    # The csv module quotes a field holding "\r" only when "\r" is in the line terminator,
    # so each row is written with CRLF, then ended with "\n" (fields keep their own CR/LF).
    row = io.StringIO()
    writer = csv.writer(row, lineterminator="\r\n")

    def line(cells: Sequence[object]) -> str:
        row.seek(0)
        row.truncate()
        writer.writerow([csv_cell(cell) for cell in cells])
        return row.getvalue()[:-2] + "\n"

    # The working-time column only when working hours were set (see _json_start).
    worked = report.calendar is not None
    yield line((*CSV_COLUMNS, BUSINESS_COLUMN) if worked else CSV_COLUMNS)
    for start in range(0, len(report.messages), _CHUNK):
        chunk = report.messages[start : start + _CHUNK]
        yield "".join([line(_csv_row(m, worked)) for m in chunk])


def _csv_row(result: MessageResult, worked: bool = False) -> tuple[object, ...]:
    """The cells of CSV_COLUMNS: the JSON item, its reply flattened; `worked`: then
    BUSINESS_COLUMN's."""
    message, reply, sender = result.message, result.reply, result.message.from_
    return (
        message.message_id,
        message.folder,
        message.uid,
        sender.email if sender else None,
        sender.name if sender else "",
        message.subject,
        iso(message.arrived_at),
        result.status.value,
        result.reason.value if result.reason else None,
        result.thread_id,
        reply.message_id if reply else None,
        iso(reply.sent_at) if reply else None,
        reply.latency_seconds if reply else None,
        result.answered_by_flag,
        *((reply.business_latency_seconds if reply else None,) if worked else ()),
    )
