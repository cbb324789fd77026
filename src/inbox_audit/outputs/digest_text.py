"""The owner's summary in words: its headline, the email's plain-text part, the cron summary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from inbox_audit.core.figures import (
    Arrival,
    Figures,
    Listing,
    PeriodFigures,
    listing,
    period_figures,
)
from inbox_audit.core.holding import clean_text
from inbox_audit.model import AuditReport, Status, ThreadResult
from inbox_audit.outputs.mailto import reply_link
from inbox_audit.outputs.text import (
    DAY_NAMES,
    MAX_LISTED,
    clock,
    day_month,
    duration_or_dash,
    format_duration,
    identity_names,
    local_time,
    plural,
    subject_text,
    zoned_time,
)

# Everything here comes from counts, dates and strangers' mail: mail-derived text goes through
# clean_text (control characters and bidi overrides removed), so it stays on its line.

#: Unreadable messages listed by name in "what was audited".
MAX_UNREADABLE_LISTED = 5

FOOTER = (
    "This message was written by inbox-audit, which only reads your mailbox: "
    "nothing was sent to your customers and no message was changed."
)


# --- Wording --------------------------------------------------------------------------------


def sla_text(seconds: float) -> str:
    """The answer deadline as people say it: '24 h', '4 h', '2 days', '90 min'."""
    total = int(seconds)
    if total >= 2 * 86400 and total % 86400 == 0:
        return f"{total // 86400} days"
    if total >= 3600 and total % 3600 == 0:
        return f"{total // 3600} h"
    if total < 3600 and total % 60 == 0:
        return f"{total // 60} min"
    return format_duration(total)


def _since(moment: datetime, as_of: datetime, tz: tzinfo) -> str:
    """'08:10 today', 'yesterday', 'Monday', or '27 Oct' when older than 6 days."""
    local = moment.astimezone(tz)
    today = as_of.astimezone(tz).date()
    days = (today - local.date()).days
    if days <= 0:
        return f"{clock(local)} today"
    if days == 1:
        return "yesterday"
    if days <= 6:
        return DAY_NAMES[local.weekday()]
    return day_month(local, today.year)


def headline(report: AuditReport, tz: tzinfo, listed: Listing | None = None) -> str:
    """One sentence that says it all; the email's subject. Built from counts and dates only.

    "3 customers have waited more than 24 h — the oldest since Monday (2 more waiting)",
    "2 customers are waiting (none overdue yet)", "No customer is waiting more than 24 h".
    `listed`: the report's threads when it holds none itself (a re-dated snapshot).
    """
    listed = listed or listing(report)
    sla = sla_text(report.sla_seconds)
    overdue = listed.overdue_count
    pending = listed.waiting_count - overdue
    if overdue:
        text = (
            f"1 customer has waited more than {sla}"
            if overdue == 1
            else f"{overdue} customers have waited more than {sla}"
        )
        if listed.oldest_overdue is not None:
            since = _since(listed.oldest_overdue, report.as_of, tz)
            text += f" — since {since}" if overdue == 1 else f" — the oldest since {since}"
        if pending:
            text += f" ({pending} more waiting)"
        return text
    if pending:
        if pending == 1:
            return "1 customer is waiting (not overdue yet)"
        return f"{pending} customers are waiting (none overdue yet)"
    return f"No customer is waiting more than {sla}"


def figures_sentence(figures: Figures, sla: str) -> str:
    """'12 received, 10 answered, median response 3 h, 80% within 24 h, 2 still waiting'."""
    parts = [f"{figures.received} received", f"{figures.answered} answered"]
    if figures.median_response_seconds is not None:
        parts.append(f"median response {format_duration(figures.median_response_seconds)}")
    if figures.within_sla_ratio is not None:
        parts.append(f"{figures.within_sla_ratio:.0%} within {sla}")
    parts.append(f"{figures.still_waiting} still waiting")
    return ", ".join(parts)


def _who(thread: ThreadResult) -> str:
    # The email's own form: unlike outputs.text.who (table, Markdown), the address is cleaned
    # too and an empty one reads "(no address)". Kept apart so that neither report changes.
    name = clean_text(thread.correspondent.name)
    email = clean_text(thread.correspondent.email) or "(no address)"
    return f"{name} <{email}>" if name else email


def late_line(thread: ThreadResult) -> str:
    """'Name <email> — Subject — answered after 1 d 6 h (now pending)'."""
    took = duration_or_dash(thread.max_latency_seconds)
    now = "" if thread.status is Status.ANSWERED else f" (now {thread.status.value})"
    return f"{_who(thread)} — {subject_text(thread.subject)} — answered after {took}{now}"


def audited_lines(report: AuditReport, problems: Sequence[str]) -> list[str]:
    """'What was audited', as plain lines (escaped for HTML by the caller)."""
    s = report.summary
    scanned = [f for f in report.folders if f.scanned]
    skipped = [f for f in report.folders if not f.scanned]
    folders = ", ".join(
        clean_text(f.name) + (f" ({f.messages})" if f.messages is not None else "") for f in scanned
    )
    lines = [
        f"Mailbox: {clean_text(report.source)}",
        f"Folders read: {folders or 'none'}",
    ]
    if skipped:
        lines.append("Not read: " + ", ".join(clean_text(f.name) for f in skipped))
    identities = ", ".join(identity_names(report))
    lines += [
        f"Your addresses: {identities or 'none known'}",
        f"Messages received: {s.customer_messages + s.not_customer} — "
        f"{plural(s.customer_messages, 'from a customer', 'from customers')}, "
        f"{s.not_customer} needing no answer (newsletters, auto-replies, notifications…)",
        f"Copies of one message in several folders, counted once: {s.duplicates}",
        f"Messages that could not be read: {s.unreadable}",
    ]
    for item in report.unreadable[:MAX_UNREADABLE_LISTED]:
        lines.append(f"  - {clean_text(item.folder)} #{item.uid}: {clean_text(item.reason)}")
    if len(report.unreadable) > MAX_UNREADABLE_LISTED:
        lines.append(f"  - … and {len(report.unreadable) - MAX_UNREADABLE_LISTED} more")
    lines += [f"Problem: {clean_text(p)}" for p in problems]
    return lines


def as_of_line(report: AuditReport, tz: tzinfo) -> str:
    """'Audit of <source> as of Thu 5 Nov 10:00 CET. Customers should get an answer within …'"""
    return (
        f"Audit of {clean_text(report.source)} as of {zoned_time(report.as_of, tz)}".rstrip()
        + f". Customers should get an answer within {sla_text(report.sla_seconds)}."
    )


def more(count: int) -> str:
    """The line that stands for the threads past MAX_LISTED."""
    return f"… and {count} more: run inbox-audit by hand to see them all."


# --- Plain text -----------------------------------------------------------------------------


def _text_thread(number: int, thread: ThreadResult, report: AuditReport, tz: tzinfo) -> list[str]:
    status = "OVERDUE" if thread.status is Status.OVERDUE else "pending"
    lines = [
        f"{number}. {_who(thread)}",
        f"   {status}, waiting for {duration_or_dash(thread.waiting_seconds)} "
        f"(since {local_time(thread.waiting_since, tz, report.as_of)})",
        f"   Subject: {subject_text(thread.subject)}",
        f"   Folder: {clean_text(thread.folder)}",
    ]
    reply = thread.holding_reply
    if reply is not None:
        lines += [
            "",
            f"   Suggested holding reply — Subject: {subject_text(reply.subject)}",
            "",
            *(f"      {line}".rstrip() for line in reply.body.splitlines()),
            "",
            f"   Send it in one click: <{reply_link(reply)}>",
        ]
    return [*lines, ""]


def text_body(
    report: AuditReport,
    tz: tzinfo,
    problems: Sequence[str],
    figures: list[PeriodFigures],
    listed: Listing,
) -> str:
    """The email's plain-text part."""
    sla = sla_text(report.sla_seconds)
    lines = [headline(report, tz, listed), "", as_of_line(report, tz), ""]
    waiting = listed.waiting_count
    if waiting:
        lines += [f"WAITING FOR AN ANSWER ({waiting})", ""]
        for number, thread in enumerate(listed.waiting[:MAX_LISTED], 1):
            lines += _text_thread(number, thread, report, tz)
        if waiting > MAX_LISTED:
            lines += [more(waiting - MAX_LISTED), ""]
    late = listed.late_count
    if late:
        lines += [f"ANSWERED LATE ({late})", ""]
        lines += [f"- {late_line(t)}" for t in listed.late[:MAX_LISTED]]
        if late > MAX_LISTED:
            lines.append(more(late - MAX_LISTED))
        lines.append("")
    lines += ["RESPONSE TIMES", ""]
    for period in figures:
        lines += [
            f"{period.label.capitalize()}: {figures_sentence(period.current, sla)}.",
            f"  ({period.previous_label}: {figures_sentence(period.previous, sla)})",
        ]
    lines += ["", "WHAT WAS AUDITED", ""]
    lines += audited_lines(report, problems)
    lines += ["", "-- ", FOOTER]
    return "\n".join(lines) + "\n"


def build_plain_summary(
    report: AuditReport,
    tz: tzinfo,
    *,
    listed: Listing | None = None,
    rows: Sequence[Arrival] | None = None,
) -> str:
    """A compact text summary for stdout (cron mails it through MAILTO): headline, one line per
    waiting conversation (the MAX_LISTED most urgent, as in the email), one line of figures
    per period.

    `listed` and `rows`: the report's threads and `arrivals` when it holds none itself (a
    re-dated snapshot).
    """
    listed = listed or listing(report)
    sla = sla_text(report.sla_seconds)
    lines = [headline(report, tz, listed)]
    for thread in listed.waiting[:MAX_LISTED]:
        lines.append(
            f"{thread.status.value:<8} {duration_or_dash(thread.waiting_seconds):>9}  "
            f"{_who(thread)} — {subject_text(thread.subject)} [{clean_text(thread.folder)}]"
        )
    if listed.waiting_count > MAX_LISTED:
        lines.append(more(listed.waiting_count - MAX_LISTED))
    for period in period_figures(report, tz, rows):
        lines.append(f"{period.label.capitalize()}: {figures_sentence(period.current, sla)}.")
    return "\n".join(lines) + "\n"
