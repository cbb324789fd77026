"""The owner's summary in words: its headline, the email's plain-text part, the cron summary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from inbox_audit import i18n
from inbox_audit.core.awaiting import AwaitingReply
from inbox_audit.core.figures import (
    Arrival,
    Figures,
    Listing,
    PeriodFigures,
    listing,
    period_figures,
)
from inbox_audit.core.printable import clean_text
from inbox_audit.i18n import _, ngettext
from inbox_audit.model import Address, AuditReport, Status, ThreadResult
from inbox_audit.outputs.mailto import mailto_link, reply_link
from inbox_audit.outputs.text import (
    MAX_LISTED,
    clock,
    day_month,
    duration_or_dash,
    format_duration,
    identity_names,
    incomplete_line,
    latency_text,
    local_time,
    percent,
    period_label,
    previous_period_label,
    problems_said,
    sla_words,
    status_word,
    subject_text,
    zoned_time,
)
from inbox_audit.outputs.trend import text_trend

# Everything here comes from counts, dates and strangers' mail: mail-derived text goes through
# clean_text (control characters and bidi overrides removed), so it stays on its line.

#: Unreadable messages listed by name in "what was audited".
MAX_UNREADABLE_LISTED = 5


def footer() -> str:
    """The last words of every email inbox-audit sends."""
    return _(
        "This message was written by inbox-audit, which only reads your mailbox: "
        "nothing was sent to your customers and no message was changed."
    )


def could_not_audit(source: str) -> str:
    """The failure email's first words: 'inbox-audit could not audit <source>'."""
    return _("inbox-audit could not audit {source}").format(source=source)


# --- Wording --------------------------------------------------------------------------------


def sla_text(seconds: float) -> str:
    """The answer deadline as people say it: '24 h', '4 h', '2 days', '90 min'."""
    total = int(seconds)
    if total >= 2 * 86400 and total % 86400 == 0:
        days = total // 86400
        return ngettext("{count} day", "{count} days", days).format(count=days)
    if total >= 3600 and total % 3600 == 0:
        return _("{hours} h").format(hours=total // 3600)
    if total < 3600 and total % 60 == 0:
        return _("{minutes} min").format(minutes=total // 60)
    return format_duration(total)


def _since(moment: datetime, as_of: datetime, tz: tzinfo) -> str:
    """'08:10 today', 'yesterday', 'Monday', or '27 Oct' when older than 6 days."""
    local = moment.astimezone(tz)
    today = as_of.astimezone(tz).date()
    days = (today - local.date()).days
    if days <= 0:
        return _("{time} today").format(time=clock(local))
    if days == 1:
        return _("yesterday")
    if days <= 6:
        return i18n.weekday(local)
    return day_month(local, today.year)


def headline(report: AuditReport, tz: tzinfo, listed: Listing | None = None) -> str:
    """One sentence that says it all; the email's subject. Built from counts and dates only.

    "3 customers have waited more than 24 h — the oldest since Monday (2 more waiting)",
    "2 customers are waiting (none overdue yet)", "No customer is waiting more than 24 h".
    `listed`: the report's threads when it holds none itself (a re-dated snapshot).
    """
    listed = listed or listing(report)
    sla = sla_words(report, sla_text)
    overdue = listed.overdue_count
    pending = listed.waiting_count - overdue
    if overdue:
        text = ngettext(
            "{count} customer has waited more than {sla}",
            "{count} customers have waited more than {sla}",
            overdue,
        ).format(count=overdue, sla=sla)
        if listed.oldest_overdue is not None:
            since = _since(listed.oldest_overdue, report.as_of, tz)
            text += (
                _(" — since {when}") if overdue == 1 else _(" — the oldest since {when}")
            ).format(when=since)
        if pending:
            text += _(" ({count} more waiting)").format(count=pending)
        return text
    if pending:
        return ngettext(
            "{count} customer is waiting (not overdue yet)",
            "{count} customers are waiting (none overdue yet)",
            pending,
        ).format(count=pending)
    return _("No customer is waiting more than {sla}").format(sla=sla)


def figures_sentence(figures: Figures, sla: str) -> str:
    """'12 received, 10 answered, median response 3 h, 80% within 24 h, 2 still waiting'."""
    parts = [
        _("{count} received").format(count=figures.received),
        _("{count} answered").format(count=figures.answered),
    ]
    if figures.median_response_seconds is not None:
        parts.append(
            _("median response {duration}").format(
                duration=format_duration(figures.median_response_seconds)
            )
        )
    if figures.within_sla_ratio is not None:
        parts.append(
            _("{percent} within {sla}").format(percent=percent(figures.within_sla_ratio), sla=sla)
        )
    parts.append(_("{count} still waiting").format(count=figures.still_waiting))
    return ", ".join(parts)


def _who(thread: ThreadResult) -> str:
    return _who_address(thread.correspondent)


def _who_address(address: Address) -> str:
    # The email's own form: unlike outputs.text.who (table, Markdown), the address is cleaned
    # too and an empty one reads "(no address)". Kept apart so that neither report changes.
    name = clean_text(address.name)
    email = clean_text(address.email) or _("(no address)")
    return f"{name} <{email}>" if name else email


def late_line(thread: ThreadResult) -> str:
    """'Name <email> — Subject — answered after 1 d 6 h (now pending)'."""
    took = latency_text(thread.max_latency_seconds, thread.max_business_latency_seconds)
    text = _("{who} — {subject} — answered after {duration}").format(
        who=_who(thread), subject=subject_text(thread.subject), duration=took
    )
    if thread.status is Status.ANSWERED:
        return text
    return text + _(" (now {status})").format(status=status_word(thread.status))


def audited_lines(report: AuditReport, problems: Sequence[str]) -> list[str]:
    """'What was audited', as plain lines (escaped for HTML by the caller)."""
    s = report.summary
    scanned = [f for f in report.folders if f.scanned]
    skipped = [f for f in report.folders if not f.scanned and f.unread is None]
    unread = [f for f in report.folders if f.unread is not None]
    folders = ", ".join(
        clean_text(f.name) + (f" ({f.messages})" if f.messages is not None else "") for f in scanned
    )
    lines = [
        _("Mailbox: {source}").format(source=clean_text(report.source)),
        _("Folders read: {folders}").format(folders=folders or _("none")),
    ]
    if unread:
        lines.append(
            _("Could not be read: {folders}").format(
                folders=", ".join(clean_text(f.name) for f in unread)
            )
        )
    if skipped:
        lines.append(
            _("Not read: {folders}").format(folders=", ".join(clean_text(f.name) for f in skipped))
        )
    identities = ", ".join(identity_names(report))
    received = s.customer_messages + s.not_customer
    lines += [
        _("Your addresses: {addresses}").format(addresses=identities or _("none known")),
        ngettext(
            "Messages received: {count} — {customers} from a customer, {other} needing no answer"
            " (newsletters, auto-replies, notifications…)",
            "Messages received: {count} — {customers} from customers, {other} needing no answer"
            " (newsletters, auto-replies, notifications…)",
            s.customer_messages,
        ).format(count=received, customers=s.customer_messages, other=s.not_customer),
    ]
    if s.internal:  # counted among those needing no answer: colleagues are not customers
        lines.append(
            ngettext(
                "Of those needing no answer, {count} from a colleague (your own domains)",
                "Of those needing no answer, {count} from colleagues (your own domains)",
                s.internal,
            ).format(count=s.internal)
        )
    lines += [
        _("Copies of one message in several folders, counted once: {count}").format(
            count=s.duplicates
        ),
        _("Messages that could not be read: {count}").format(count=s.unreadable),
    ]
    for item in report.unreadable[:MAX_UNREADABLE_LISTED]:
        reason = clean_text(i18n.marked(item.reason))
        lines.append(f"  - {clean_text(item.folder)} #{item.uid}: {reason}")
    if len(report.unreadable) > MAX_UNREADABLE_LISTED:
        lines.append(
            "  - "
            + _("… and {count} more").format(count=len(report.unreadable) - MAX_UNREADABLE_LISTED)
        )
    lines += [
        _("Problem: {problem}").format(problem=p)
        for p in (*problems_said(report), *map(clean_text, problems))
    ]
    return lines


def as_of_line(report: AuditReport, tz: tzinfo) -> str:
    """'Audit of <source> as of Thu 5 Nov 10:00 CET. Customers should get an answer within …'"""
    when = zoned_time(report.as_of, tz).rstrip()
    return _("Audit of {source} as of {when}. Customers should get an answer within {sla}.").format(
        source=clean_text(report.source), when=when, sla=sla_words(report, sla_text)
    )


def more(count: int) -> str:
    """The line that stands for the threads past MAX_LISTED."""
    return _("… and {count} more: run inbox-audit by hand to see them all.").format(count=count)


# --- Plain text -----------------------------------------------------------------------------


def _text_thread(number: int, thread: ThreadResult, report: AuditReport, tz: tzinfo) -> list[str]:
    status = status_word(thread.status)
    if thread.status is Status.OVERDUE:
        status = status.upper()
    waiting = _("{status}, waiting for {duration} (since {when})").format(
        status=status,
        duration=duration_or_dash(thread.waiting_seconds),
        when=local_time(thread.waiting_since, tz, report.as_of),
    )
    lines = [
        f"{number}. {_who(thread)}",
        f"   {waiting}",
        "   " + _("Subject: {subject}").format(subject=subject_text(thread.subject)),
        "   " + _("Folder: {folder}").format(folder=clean_text(thread.folder)),
    ]
    reply = thread.holding_reply
    if reply is not None:
        lines += [
            "",
            "   "
            + _("Suggested holding reply — Subject: {subject}").format(
                subject=subject_text(reply.subject)
            ),
            "",
            *(f"      {line}".rstrip() for line in reply.body.splitlines()),
            "",
            "   " + _("Send it in one click: <{link}>").format(link=reply_link(reply)),
        ]
    return [*lines, ""]


def silence_line(item: AwaitingReply, report: AuditReport, tz: tzinfo) -> str:
    """'silent for 5 business days (since Mon 3 Nov 10:00)'."""
    count = item.silent_business_days
    days = ngettext("{count} business day", "{count} business days", count).format(count=count)
    when = local_time(item.last_sent_at, tz, report.as_of)
    return _("silent for {days} (since {when})").format(days=days, when=when)


def awaiting_lines(awaiting: Sequence[AwaitingReply], report: AuditReport, tz: tzinfo) -> list[str]:
    """The email's "awaiting their reply" section in plain text (nothing when none waits)."""
    if not awaiting:
        return []
    lines = [_("AWAITING THEIR REPLY ({count})").format(count=len(awaiting)), ""]
    for number, item in enumerate(awaiting[:MAX_LISTED], 1):
        follow = item.follow_up
        link = mailto_link(item.correspondent.email, follow.subject, follow.body)
        lines += [
            f"{number}. {_who_address(item.correspondent)} — {subject_text(item.subject)}",
            f"   {silence_line(item, report, tz)}",
            "",
            "   "
            + _("Suggested follow-up — Subject: {subject}").format(
                subject=subject_text(follow.subject)
            ),
            "",
            *(f"      {line}".rstrip() for line in follow.body.splitlines()),
            "",
            "   " + _("Send it in one click: <{link}>").format(link=link),
            "",
        ]
    if len(awaiting) > MAX_LISTED:
        lines += [more(len(awaiting) - MAX_LISTED), ""]
    return lines


def text_body(
    report: AuditReport,
    tz: tzinfo,
    problems: Sequence[str],
    figures: list[PeriodFigures],
    listed: Listing,
    trend: Sequence[Figures] = (),
    awaiting: Sequence[AwaitingReply] = (),
) -> str:
    """The email's plain-text part."""
    sla = sla_words(report, sla_text)
    lines = [headline(report, tz, listed), "", as_of_line(report, tz), ""]
    if (incomplete := incomplete_line(report)) is not None:
        lines[1:1] = ["", incomplete]
    waiting = listed.waiting_count
    if waiting:
        lines += [_("WAITING FOR AN ANSWER ({count})").format(count=waiting), ""]
        for number, thread in enumerate(listed.waiting[:MAX_LISTED], 1):
            lines += _text_thread(number, thread, report, tz)
        if waiting > MAX_LISTED:
            lines += [more(waiting - MAX_LISTED), ""]
    late = listed.late_count
    if late:
        lines += [_("ANSWERED LATE ({count})").format(count=late), ""]
        lines += [f"- {late_line(t)}" for t in listed.late[:MAX_LISTED]]
        if late > MAX_LISTED:
            lines.append(more(late - MAX_LISTED))
        lines.append("")
    lines += [_("RESPONSE TIMES"), ""]
    for period in figures:
        lines += [
            f"{period_label(period.days).capitalize()}: {figures_sentence(period.current, sla)}.",
            f"  ({previous_period_label(period.days)}: {figures_sentence(period.previous, sla)})",
        ]
    if trend:
        title = _("MEDIAN RESPONSE, WEEK BY WEEK (last {weeks} weeks)").format(weeks=len(trend))
        lines += ["", title, ""]
        lines += text_trend(trend, tz)
    lines += ["", *awaiting_lines(awaiting, report, tz)]
    lines += [_("WHAT WAS AUDITED"), ""]
    lines += audited_lines(report, problems)
    lines += ["", "-- ", footer()]
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
    sla = sla_words(report, sla_text)
    lines = [headline(report, tz, listed)]
    # The status column as wide as its longest word in the owner's language (8 at least).
    width = max(8, *(len(status_word(s)) for s in (Status.OVERDUE, Status.PENDING)))
    if (incomplete := incomplete_line(report)) is not None:
        lines.append(incomplete)
    for thread in listed.waiting[:MAX_LISTED]:
        lines.append(
            f"{status_word(thread.status):<{width}} {duration_or_dash(thread.waiting_seconds):>9}  "
            f"{_who(thread)} — {subject_text(thread.subject)} [{clean_text(thread.folder)}]"
        )
    if listed.waiting_count > MAX_LISTED:
        lines.append(more(listed.waiting_count - MAX_LISTED))
    for period in period_figures(report, tz, rows):
        lines.append(
            f"{period_label(period.days).capitalize()}: {figures_sentence(period.current, sla)}."
        )
    return "\n".join(lines) + "\n"
