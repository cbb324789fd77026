"""AuditReport → JSON, CSV, Markdown or a rich renderable. Renderers return; the CLI prints.

Conventions shared by every format:

- Threads are listed overdue first, then pending, each longest wait first (then answered).
- JSON and CSV write every datetime in UTC as ISO 8601 with an explicit "+00:00" offset, to
  the second: one unambiguous, sortable form for scripts. Markdown and the table show local
  times in the owner's zone (`tz`).
- Text that comes from mail (names, subjects, folders, Message-IDs) is never interpreted: it is
  escaped for Markdown, kept out of rich markup, and guarded against spreadsheet formulas in
  CSV. JSON keeps it exactly as decoded.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from inbox_audit.core.figures import Listing, listing, threads_in_order
from inbox_audit.core.holding import clean_text
from inbox_audit.model import (
    Address,
    AuditReport,
    HoldingReply,
    MessageResult,
    Reason,
    Status,
    ThreadResult,
)

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table
    from rich.text import Text

#: Bumped when a key of the JSON output changes meaning or disappears (adding keys is not).
JSON_SCHEMA_VERSION = 1

#: Threads listed per section in the table, the summary and the email: the most urgent
#: first. Past that a list helps nobody, and a table of 10,000 rows takes rich a minute.
MAX_LISTED = 50


def format_duration(seconds: float) -> str:
    """A wait a person reads at a glance, two units at most: '3 d 4 h', '5 h 12 min', '45 s'.

    Truncates (never rounds up a wait into the next unit).
    """
    if seconds < 0:
        return "-" + format_duration(-seconds)
    total = int(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


# --- JSON -----------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is not UTC:  # headers hand over UTC; holding replies promise local times
        if moment.tzinfo is None:  # the model promises aware datetimes; read naive ones as UTC
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="seconds")


def render_json(report: AuditReport) -> str:
    """The scripting contract: stable keys in a stable order, UTC datetimes, UTF-8 text."""
    return "".join(_json_pieces(report))


def write_json(report: AuditReport, out: TextIO) -> None:
    """render_json's text written to `out` piece by piece: a report of 100,000 messages is
    never held whole (as one string it took 150 MB more)."""
    for piece in _json_pieces(report):
        out.write(piece)


#: List items per piece written: few write calls, small pieces.
_CHUNK = 1000


def _json_pieces(report: AuditReport) -> Iterator[str]:
    """Indented JSON with one compact line per list item (message, thread, folder...).

    json.dumps with `indent` falls back to the pure-Python encoder, about five times slower:
    100,000 messages took seconds. Items on one line each stay readable and grep-able.
    """
    yield from _json_start(report)
    yield from _json_lines("messages", report.messages, _message_line)
    yield from _json_end(report)


def _json_start(report: AuditReport) -> Iterator[str]:
    s = report.summary
    yield "{\n"
    yield from _json_entries(
        {
            "schema_version": JSON_SCHEMA_VERSION,
            "as_of": _iso(report.as_of),
            "sla_seconds": report.sla_seconds,
            "identities": list(report.identities),
            "identities_detected": list(report.identities_detected),
            "source": report.source,
            "folders": [
                {"name": f.name, "role": f.role.value, "scanned": f.scanned, "messages": f.messages}
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
            },
        }
    )


def _json_end(report: AuditReport) -> Iterator[str]:
    """What follows the messages: the threads, the unreadable items and problems."""
    threads = threads_in_order(report.threads)
    yield from _json_lines("threads", threads, _thread_line)
    yield from _json_entries(
        {
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
# for ensure_ascii=False (tests/test_render.py compares the two).
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
        else f'{{"message_id": {_text(reply.message_id)}, "sent_at": {_text(_iso(reply.sent_at))}'
        f', "latency_seconds": {_number(reply.latency_seconds)}}}'
    )
    return (
        f'    {{"message_id": {_text(message.message_id)}, "folder": {_string(message.folder)}'
        f', "uid": {int.__repr__(message.uid)}'
        f', "from": {_string(sender.email) if sender else "null"}'
        f', "from_name": {_string(sender.name if sender else "")}'
        f', "subject": {_string(message.subject)}'
        # When the message reached the mailbox: INTERNALDATE, else Received, else Date.
        f', "received_at": {_text(_iso(message.arrived_at))}'
        f', "status": {_STATUS_JSON[result.status]}'
        f', "reason": {_REASON_JSON[result.reason]}'
        f', "thread_id": {_text(result.thread_id)}, "reply": {reply_json}'
        f', "answered_by_flag": {"true" if result.answered_by_flag else "false"}}}'
    )


def _thread_line(thread: ThreadResult) -> str:
    reply = thread.holding_reply
    holding = (
        "null"
        if reply is None
        else f'{{"to": {_string(reply.to)}, "subject": {_string(reply.subject)}'
        f', "body": {_string(reply.body)}, "language": {_string(reply.language)}'
        f', "promised_by": {_text(_iso(reply.promised_by))}}}'
    )
    correspondent = thread.correspondent
    return (
        f'    {{"thread_id": {_string(thread.thread_id)}, "subject": {_string(thread.subject)}'
        f', "correspondent": {_string(correspondent.email)}'
        f', "correspondent_name": {_string(correspondent.name)}'
        f', "folder": {_string(thread.folder)}, "status": {_STATUS_JSON[thread.status]}'
        f', "waiting_since": {_text(_iso(thread.waiting_since))}'
        f', "waiting_seconds": {_number(thread.waiting_seconds)}'
        f', "answered_late": {"true" if thread.answered_late else "false"}'
        f', "max_latency_seconds": {_number(thread.max_latency_seconds)}'
        f', "holding_reply": {holding}}}'
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
# Spreadsheets run a cell starting with one of these as a formula: a subject such as
# '=HYPERLINK("http://evil", "invoice")' would become a live link or worse when the CSV is
# opened in Excel or LibreOffice (OWASP "CSV Injection"). A leading apostrophe makes the cell
# text and is not shown by spreadsheets; scripts see it, which is the price of safety.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_STARTS) else value
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
        writer.writerow([_csv_cell(cell) for cell in cells])
        return row.getvalue()[:-2] + "\n"

    yield line(CSV_COLUMNS)
    for start in range(0, len(report.messages), _CHUNK):
        yield "".join([line(_csv_row(m)) for m in report.messages[start : start + _CHUNK]])


def _csv_row(result: MessageResult) -> tuple[object, ...]:
    """The cells of CSV_COLUMNS: the JSON item, its reply flattened."""
    message, reply, sender = result.message, result.reply, result.message.from_
    return (
        message.message_id,
        message.folder,
        message.uid,
        sender.email if sender else None,
        sender.name if sender else "",
        message.subject,
        _iso(message.arrived_at),
        result.status.value,
        result.reason.value if result.reason else None,
        result.thread_id,
        reply.message_id if reply else None,
        _iso(reply.sent_at) if reply else None,
        reply.latency_seconds if reply else None,
        result.answered_by_flag,
    )


# --- Shared wording for people --------------------------------------------------------------

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def local_time(moment: datetime | None, tz: tzinfo, as_of: datetime) -> str:
    """'Mon 13 May 09:15' in the owner's zone; with the year when it is not as_of's year.

    Names are spelled out here rather than with strftime, whose %a/%b follow the C locale.
    """
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(tz)
    year = f" {local.year}" if local.year != as_of.astimezone(tz).year else ""
    return (
        f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]}{year} "
        f"{local.hour:02d}:{local.minute:02d}"
    )


def _duration_or_dash(seconds: float | None) -> str:
    return "—" if seconds is None else format_duration(seconds)


def _who(address: Address) -> str:
    name = clean_text(address.name)
    return f"{name} <{address.email}>" if name else address.email


def _subject(subject: str) -> str:
    return clean_text(subject) or "(no subject)"


def summary_line(report: AuditReport) -> str:
    """The headline figures in one sentence."""
    s = report.summary
    late = f" ({s.answered_late} late)" if s.answered_late else ""
    parts = [
        f"{s.customer_messages} customer message{'s' if s.customer_messages != 1 else ''}",
        f"{s.answered} answered{late}",
        f"{s.pending} pending",
        f"{s.overdue} overdue",
    ]
    text = ", ".join(parts) + "."
    if s.median_response_seconds is not None:
        text += f" Response time: median {format_duration(s.median_response_seconds)}"
        if s.p90_response_seconds is not None:
            text += f", 90% within {format_duration(s.p90_response_seconds)}"
        text += "."
    if s.within_sla_ratio is not None:
        text += f" {s.within_sla_ratio:.0%} answered within {format_duration(report.sla_seconds)}."
    if s.answered_unknown_latency:
        text += (
            f" {s.answered_unknown_latency} flagged as answered with no copy of the reply found"
            " (response time unknown)."
        )
    if s.unreadable:
        text += f" {s.unreadable} unreadable."
    return text


def _identities_line(report: AuditReport, escape: Callable[[str], str] = clean_text) -> str:
    if not report.identities:
        return "Your addresses: none known."
    detected = set(report.identities_detected)
    shown = [escape(i) + (" (found in Sent)" if i in detected else "") for i in report.identities]
    return "Your addresses: " + ", ".join(shown) + "."


def waiting_headline(report: AuditReport, listed: Listing) -> str:
    """'12 conversations waiting for an answer, 3 overdue (no answer within 1 d).'"""
    count = listed.waiting_count
    if not count:
        return "Nobody is waiting for an answer."
    people = f"{count} conversation{'s' if count != 1 else ''} waiting for an answer"
    sla = format_duration(report.sla_seconds)
    return f"{people}, {listed.overdue_count} overdue (no answer within {sla})."


# --- Markdown -------------------------------------------------------------------------------

# Backslash-escape what CommonMark/GFM could act on inline: emphasis (*, _), code (`), links
# and images ([ ]; "(" and "!" only act next to them), autolinks and HTML (<, >), entities (&),
# table pipes, strikethrough (~), GitHub math ($), headings (#).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&$])")


def md_escape(text: str) -> str:
    """Mail-derived text as one literal line of Markdown, safe inside a table cell."""
    text = _MD_SPECIAL.sub(r"\\\1", clean_text(text))
    # A leading "+", "-" or "1." would start a list outside a table.
    text = re.sub(r"^([+\-])(?=\s|$)", r"\\\1", text)
    return re.sub(r"^(\d+)\.(?=\s|$)", r"\1\\.", text)


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _fence(body: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    return "`" * max(3, longest + 1)


def render_markdown(report: AuditReport, *, tz: tzinfo = UTC, listed: Listing | None = None) -> str:
    """A report to paste into notes or an issue; local times in `tz` (UTC by default).

    `listed`: the report's threads when it holds none itself (a re-dated snapshot): they
    must all be there, as Markdown lists every one.
    """
    listed = listed or listing(report)
    if not listed.whole:
        raise ValueError("Markdown lists every thread: a partial listing would hide some")
    zone = report.as_of.astimezone(tz).tzname() or ""
    lines = [
        "# Inbox audit",
        "",
        f"**{waiting_headline(report, listed)}**",
        "",
        f"As of {local_time(report.as_of, tz, report.as_of)} {zone} · "
        f"source {md_escape(report.source)} · "
        f"answer within {format_duration(report.sla_seconds)}",
        "",
    ]
    waiting = listed.waiting
    if waiting:
        lines += ["## Waiting for an answer", ""]
        lines += _md_table(
            ("Status", "Who", "Subject", "Waiting for", "Since", "Folder"),
            (
                (
                    t.status.value,
                    md_escape(_who(t.correspondent)),
                    md_escape(_subject(t.subject)),
                    _duration_or_dash(t.waiting_seconds),
                    local_time(t.waiting_since, tz, report.as_of),
                    md_escape(t.folder),
                )
                for t in waiting
            ),
        )
        lines.append("")
    late = listed.late
    if late:
        lines += ["## Answered late", ""]
        lines += _md_table(
            ("Who", "Subject", "Longest response", "Status now", "Folder"),
            (
                (
                    md_escape(_who(t.correspondent)),
                    md_escape(_subject(t.subject)),
                    _duration_or_dash(t.max_latency_seconds),
                    t.status.value,
                    md_escape(t.folder),
                )
                for t in late
            ),
        )
        lines.append("")
    lines += ["## Summary", "", summary_line(report), "", _identities_line(report, md_escape), ""]
    replies = [t for t in waiting if t.holding_reply]
    if replies:
        lines += ["## Holding replies", ""]
        for thread in replies:
            reply = thread.holding_reply
            assert reply is not None  # filtered above; for mypy
            fence = _fence(reply.body)
            lines += [
                f"### {md_escape(_who(thread.correspondent))}",
                "",
                f"To: {md_escape(reply.to)}  ",
                f"Subject: {md_escape(reply.subject)}  ",
                f"Promised by: {local_time(reply.promised_by, tz, report.as_of)}",
                "",
                f"{fence}text",
                reply.body,
                fence,
                "",
            ]
    if report.unreadable:
        lines += ["## Unreadable messages", ""]
        lines += _md_table(
            ("Folder", "UID", "Why"),
            ((md_escape(u.folder), str(u.uid), md_escape(u.reason)) for u in report.unreadable),
        )
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# --- Rich table -----------------------------------------------------------------------------

# rich is imported by the functions that use it, not with this module: the nightly summary
# needs this module's wording but no table, and rich takes tens of milliseconds to load.

_STATUS_STYLE = {Status.OVERDUE: "bold red", Status.PENDING: "yellow"}


def _who_text(address: Address) -> Text:
    from rich.text import Text

    name = clean_text(address.name)
    text = Text(name + "\n" if name else "")
    text.append(address.email, style="dim" if name else "")
    return text


def _waiting_table(threads: Sequence[ThreadResult], tz: tzinfo, as_of: datetime) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title="Waiting for an answer", title_justify="left", box=box.SIMPLE_HEAD, expand=False
    )
    table.add_column("Status", no_wrap=True)
    table.add_column("Who")
    table.add_column("Subject", ratio=1)
    table.add_column("Waiting for", no_wrap=True, justify="right")
    table.add_column("Since", no_wrap=True)
    table.add_column("Folder")
    for t in threads:
        table.add_row(
            Text(t.status.value, style=_STATUS_STYLE.get(t.status, "")),
            _who_text(t.correspondent),
            Text(_subject(t.subject)),
            Text(_duration_or_dash(t.waiting_seconds)),
            Text(local_time(t.waiting_since, tz, as_of)),
            Text(clean_text(t.folder)),
        )
    return table


def _late_table(threads: Sequence[ThreadResult]) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Answered late", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("Who")
    table.add_column("Subject", ratio=1)
    table.add_column("Longest response", no_wrap=True, justify="right")
    table.add_column("Status now", no_wrap=True)
    table.add_column("Folder")
    for t in threads:
        table.add_row(
            _who_text(t.correspondent),
            Text(_subject(t.subject)),
            Text(_duration_or_dash(t.max_latency_seconds)),
            Text(t.status.value, style=_STATUS_STYLE.get(t.status, "")),
            Text(clean_text(t.folder)),
        )
    return table


def _reply_block(
    thread: ThreadResult, reply: HoldingReply, tz: tzinfo, as_of: datetime
) -> RenderableType:
    """A holding reply between two rules rather than in a boxed Panel: lines copied from the
    terminal carry no border characters or indentation, ready to paste into a mail."""
    from rich.console import Group
    from rich.rule import Rule
    from rich.text import Text

    title = Text(f"Holding reply to {_who(thread.correspondent)}", style="bold")
    promise = f"answer promised by {local_time(reply.promised_by, tz, as_of)}"
    return Group(
        Rule(title, align="left"),
        Text.assemble(("To: ", "bold"), reply.to),
        Text.assemble(("Subject: ", "bold"), clean_text(reply.subject)),
        Text(""),
        Text(reply.body),
        Rule(Text(promise, style="dim"), align="left"),
    )


def _more_rows(count: int) -> list[RenderableType]:
    from rich.text import Text

    if count <= MAX_LISTED:
        return []
    more = count - MAX_LISTED
    return [Text(f"… and {more} more (--format markdown or json lists them all)"), Text("")]


def render_table(
    report: AuditReport, *, show_replies: bool, tz: tzinfo, listed: Listing | None = None
) -> RenderableType:
    """The terminal report: who is waiting, who was answered late, the figures, the replies.

    `listed`: the report's threads when it holds none itself (a re-dated snapshot).
    """
    from rich.console import Group
    from rich.text import Text

    listed = listed or listing(report)
    as_of = local_time(report.as_of, tz, report.as_of)
    parts: list[RenderableType] = [
        Text(f"Inbox audit of {clean_text(report.source)}, as of {as_of}"),
        Text(waiting_headline(report, listed), style="bold"),
        Text(""),
    ]
    waiting = listed.waiting
    if waiting:
        parts.append(_waiting_table(waiting[:MAX_LISTED], tz, report.as_of))
        parts += _more_rows(listed.waiting_count)
    late = listed.late
    if late:
        parts.append(_late_table(late[:MAX_LISTED]))
        parts += _more_rows(listed.late_count)
    parts.append(Text(summary_line(report)))
    parts.append(Text(_identities_line(report), style="dim"))
    if show_replies:
        for thread in waiting[:MAX_LISTED]:
            if thread.holding_reply:
                parts += [Text(""), _reply_block(thread, thread.holding_reply, tz, report.as_of)]
    return Group(*parts)
