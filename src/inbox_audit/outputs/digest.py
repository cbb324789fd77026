"""AuditReport → the owner's summary email (plain text + HTML), the failure email, a plain summary.

Pure: no I/O, no clock. "Now" is `report.as_of` (or the `now` given for the failure email).

Safety rules, because everything shown comes from strangers' mail:

- Headers hold only our own words (the headline) and the owner's configured To/From: no name,
  subject or folder from mail ever reaches a header, so a subject holding CR/LF cannot add one.
- In HTML, every mail-derived string goes through `html.escape` after `clean_text` (control
  characters and bidi overrides removed); only our own markup is raw. No script, no style
  sheet, no remote image: Gmail strips <style> in many views and Outlook ignores most CSS, so
  layout is tables with inline styles, `bgcolor` and `width` attributes.
- The one-click "send the holding reply" link is a `mailto:` URI (RFC 6068) in which every
  character outside the unreserved set is percent-encoded, so it stays one valid URI whatever
  the subject holds.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

from inbox_audit.core.figures import (
    Arrival,
    Figures,
    Listing,
    PeriodFigures,
    listing,
    period_figures,
)
from inbox_audit.core.holding import clean_text
from inbox_audit.errors import ConfigError
from inbox_audit.model import AuditReport, HoldingReply, Status, ThreadResult
from inbox_audit.outputs.render import MAX_LISTED, format_duration, local_time

if TYPE_CHECKING:
    from email.message import EmailMessage

# The email package is imported by the functions that build messages: the nightly summary
# builds none, and the package takes tens of milliseconds to load.

#: Unreadable messages listed by name in "what was audited".
MAX_UNREADABLE_LISTED = 5

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WAITING = (Status.OVERDUE, Status.PENDING)

_FOOTER = (
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
        return f"{local.hour:02d}:{local.minute:02d} today"
    if days == 1:
        return "yesterday"
    if days <= 6:
        return _DAYS[local.weekday()]
    year = f" {local.year}" if local.year != today.year else ""
    return f"{local.day} {_MONTHS[local.month - 1]}{year}"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


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


def _figures_sentence(figures: Figures, sla: str) -> str:
    parts = [f"{figures.received} received", f"{figures.answered} answered"]
    if figures.median_response_seconds is not None:
        parts.append(f"median response {format_duration(figures.median_response_seconds)}")
    if figures.within_sla_ratio is not None:
        parts.append(f"{figures.within_sla_ratio:.0%} within {sla}")
    parts.append(f"{figures.still_waiting} still waiting")
    return ", ".join(parts)


def _who(thread: ThreadResult) -> str:
    name = clean_text(thread.correspondent.name)
    email = clean_text(thread.correspondent.email) or "(no address)"
    return f"{name} <{email}>" if name else email


def _subject(text: str) -> str:
    return clean_text(text) or "(no subject)"


# --- mailto: --------------------------------------------------------------------------------

# An address a mail client will take as one recipient. Anything else (a comma, a quoted local
# part, spaces) is left out of the link: the owner fills in To rather than risk a wrong one.
_NOT_IN_ADDRESS = r"\s\x00-\x1f\x7f@,;:<>()\[\]\"\\"
_PLAIN_ADDRESS = re.compile(rf"[^{_NOT_IN_ADDRESS}]+@[^{_NOT_IN_ADDRESS}]+")


def mailto_link(to: str, subject: str, body: str) -> str:
    """A `mailto:` URI pre-filled with To, Subject and body (RFC 6068).

    Everything but unreserved characters is percent-encoded as UTF-8 (RFC 6068 §2): spaces
    become %20 (never "+", which mail clients keep as a plus), line breaks %0D%0A (§5), and
    "&", "?", "#" or "%" in a subject cannot start another field.
    """
    from urllib.parse import quote

    address = to if _PLAIN_ADDRESS.fullmatch(to) else ""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    query = "subject={}&body={}".format(
        quote(clean_text(subject), safe=""), quote("\r\n".join(lines), safe="")
    )
    return f"mailto:{quote(address, safe='@')}?{query}"


def _reply_link(reply: HoldingReply) -> str:
    return mailto_link(reply.to, reply.subject, reply.body)


# --- Plain text -----------------------------------------------------------------------------


def _text_thread(number: int, thread: ThreadResult, report: AuditReport, tz: tzinfo) -> list[str]:
    status = "OVERDUE" if thread.status is Status.OVERDUE else "pending"
    waited = format_duration(thread.waiting_seconds) if thread.waiting_seconds is not None else "—"
    lines = [
        f"{number}. {_who(thread)}",
        f"   {status}, waiting for {waited} "
        f"(since {local_time(thread.waiting_since, tz, report.as_of)})",
        f"   Subject: {_subject(thread.subject)}",
        f"   Folder: {clean_text(thread.folder)}",
    ]
    reply = thread.holding_reply
    if reply is not None:
        lines += [
            "",
            f"   Suggested holding reply — Subject: {_subject(reply.subject)}",
            "",
            *(f"      {line}".rstrip() for line in reply.body.splitlines()),
            "",
            f"   Send it in one click: <{_reply_link(reply)}>",
        ]
    return [*lines, ""]


def _late_line(thread: ThreadResult) -> str:
    took = (
        format_duration(thread.max_latency_seconds)
        if thread.max_latency_seconds is not None
        else "—"
    )
    now = "" if thread.status is Status.ANSWERED else f" (now {thread.status.value})"
    return f"{_who(thread)} — {_subject(thread.subject)} — answered after {took}{now}"


def _audited_lines(report: AuditReport, problems: Sequence[str]) -> list[str]:
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
    detected = set(report.identities_detected)
    identities = ", ".join(
        clean_text(i) + (" (found in Sent)" if i in detected else "") for i in report.identities
    )
    lines += [
        f"Your addresses: {identities or 'none known'}",
        f"Messages received: {s.customer_messages + s.not_customer} — "
        f"{_plural(s.customer_messages, 'from a customer', 'from customers')}, "
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


def _as_of_line(report: AuditReport, tz: tzinfo) -> str:
    zone = report.as_of.astimezone(tz).tzname() or ""
    return (
        f"Audit of {clean_text(report.source)} as of "
        f"{local_time(report.as_of, tz, report.as_of)} {zone}".rstrip()
        + f". Customers should get an answer within {sla_text(report.sla_seconds)}."
    )


def _more(count: int) -> str:
    return f"… and {count} more: run inbox-audit by hand to see them all."


def _text_body(
    report: AuditReport,
    tz: tzinfo,
    problems: Sequence[str],
    figures: list[PeriodFigures],
    listed: Listing,
) -> str:
    sla = sla_text(report.sla_seconds)
    lines = [headline(report, tz, listed), "", _as_of_line(report, tz), ""]
    waiting = listed.waiting_count
    if waiting:
        lines += [f"WAITING FOR AN ANSWER ({waiting})", ""]
        for number, thread in enumerate(listed.waiting[:MAX_LISTED], 1):
            lines += _text_thread(number, thread, report, tz)
        if waiting > MAX_LISTED:
            lines += [_more(waiting - MAX_LISTED), ""]
    late = listed.late_count
    if late:
        lines += [f"ANSWERED LATE ({late})", ""]
        lines += [f"- {_late_line(t)}" for t in listed.late[:MAX_LISTED]]
        if late > MAX_LISTED:
            lines.append(_more(late - MAX_LISTED))
        lines.append("")
    lines += ["RESPONSE TIMES", ""]
    for period in figures:
        lines += [
            f"{period.label.capitalize()}: {_figures_sentence(period.current, sla)}.",
            f"  ({period.previous_label}: {_figures_sentence(period.previous, sla)})",
        ]
    lines += ["", "WHAT WAS AUDITED", ""]
    lines += _audited_lines(report, problems)
    lines += ["", "-- ", _FOOTER]
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
        waited = (
            format_duration(thread.waiting_seconds) if thread.waiting_seconds is not None else "—"
        )
        lines.append(
            f"{thread.status.value:<8} {waited:>9}  {_who(thread)} — "
            f"{_subject(thread.subject)} [{clean_text(thread.folder)}]"
        )
    if listed.waiting_count > MAX_LISTED:
        lines.append(_more(listed.waiting_count - MAX_LISTED))
    for period in period_figures(report, tz, rows):
        lines.append(f"{period.label.capitalize()}: {_figures_sentence(period.current, sla)}.")
    return "\n".join(lines) + "\n"


# --- HTML -----------------------------------------------------------------------------------

_FONT = "font-family:Arial,Helvetica,sans-serif;"
_RED = "#c62828"
_AMBER = "#ef6c00"
_GREEN = "#2e7d32"
_GREY = "#e0e0e0"
_MUTED = "#666666"
_BLUE = "#1a56c4"
_BAR_WIDTH = 160  # pixels for 100 %


def _h(text: str) -> str:
    """Mail-derived text as one line of HTML text: cleaned, then escaped (quotes included)."""
    return html.escape(clean_text(text), quote=True)


def _heading(text: str) -> str:
    return (
        f'<tr><td style="{_FONT}padding:20px 24px 6px 24px;font-size:13px;font-weight:bold;'
        f'letter-spacing:1px;color:{_MUTED};text-transform:uppercase;">{text}</td></tr>'
    )


def _row(inner: str, padding: str = "4px 24px") -> str:
    style = f"{_FONT}padding:{padding};font-size:14px;line-height:20px;"
    return f'<tr><td style="{style}">{inner}</td></tr>'


def _button(href: str, label: str) -> str:
    # A coloured table cell, not a padded <a>: Outlook ignores padding on inline elements.
    return (
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr>'
        f'<td bgcolor="{_BLUE}" style="background-color:{_BLUE};border-radius:4px;'
        f'padding:8px 14px;">'
        f'<a href="{html.escape(href, quote=True)}" style="{_FONT}color:#ffffff;'
        f'font-size:14px;font-weight:bold;text-decoration:none;">{label}</a>'
        "</td></tr></table>"
    )


def _html_thread(thread: ThreadResult, report: AuditReport, tz: tzinfo) -> str:
    overdue = thread.status is Status.OVERDUE
    colour = _RED if overdue else _AMBER
    waited = format_duration(thread.waiting_seconds) if thread.waiting_seconds is not None else "—"
    name = _h(thread.correspondent.name)
    email = _h(thread.correspondent.email) or "(no address)"
    who = f"<b>{name}</b> &lt;{email}&gt;" if name else f"<b>{email}</b>"
    details = (
        f'<span style="color:{colour};font-weight:bold;">'
        f"{'Overdue' if overdue else 'Waiting'}: {html.escape(waited)}</span>"
        f'<span style="color:{_MUTED};"> — since '
        f"{html.escape(local_time(thread.waiting_since, tz, report.as_of))}"
        f" · folder {_h(thread.folder)}</span>"
    )
    reply_html = ""
    reply = thread.holding_reply
    if reply is not None:
        body = "<br>".join(html.escape(line, quote=True) for line in reply.body.splitlines())
        reply_html = (
            f'<div style="{_FONT}margin-top:10px;font-size:13px;color:{_MUTED};">'
            f"Suggested holding reply — <i>{_h(reply.subject)}</i></div>"
            '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">'
            f'<tr><td bgcolor="#f5f5f5" style="{_FONT}background-color:#f5f5f5;padding:10px;'
            f'font-size:14px;line-height:20px;">{body}</td></tr></table>'
            '<div style="height:8px;line-height:8px;font-size:8px;">&nbsp;</div>'
            + _button(_reply_link(reply), "Send this holding reply")
        )
    return (
        '<tr><td style="padding:6px 24px;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">'
        f'<tr><td width="4" bgcolor="{colour}" style="background-color:{colour};width:4px;">'
        "&nbsp;</td>"
        f'<td style="{_FONT}padding:8px 12px;font-size:14px;line-height:20px;">'
        f"{who}<br>"
        f'<span style="font-size:15px;">{_h(_subject(thread.subject))}</span><br>'
        f"{details}{reply_html}</td></tr></table></td></tr>"
    )


def _bar(ratio: float | None, colour: str) -> str:
    """A horizontal bar as a fixed-width table of two coloured cells (no CSS needed)."""
    if ratio is None:
        return f'<span style="{_FONT}font-size:12px;color:{_MUTED};">no answers yet</span>'
    filled = round(max(0.0, min(1.0, ratio)) * _BAR_WIDTH)
    cells = ""
    for width, fill in ((filled, colour), (_BAR_WIDTH - filled, _GREY)):
        if width > 0:  # a zero-width cell still shows in some clients
            cells += (
                f'<td width="{width}" height="12" bgcolor="{fill}" '
                f'style="width:{width}px;height:12px;background-color:{fill};'
                'font-size:0;line-height:0;">&nbsp;</td>'
            )
    return (
        f'<table role="presentation" width="{_BAR_WIDTH}" cellpadding="0" cellspacing="0" '
        f'border="0" style="width:{_BAR_WIDTH}px;"><tr>{cells}</tr></table>'
    )


def _percent(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio:.0%}"


def _html_figures(figures: list[PeriodFigures], sla: str) -> str:
    cell = f"{_FONT}padding:4px 6px;font-size:13px;border-bottom:1px solid {_GREY};"
    head = f'style="{_FONT}padding:4px 6px;font-size:12px;color:{_MUTED};text-align:left;"'
    header = "".join(
        f"<th {head}>{label}</th>"
        for label in (
            "",
            "Received",
            "Answered",
            "Median response",
            f"Within {html.escape(sla)}",
            "Still waiting",
        )
    )
    rows = []
    for period in figures:
        for label, f, strong in (
            (period.label.capitalize(), period.current, True),
            (period.previous_label.capitalize(), period.previous, False),
        ):
            median = (
                format_duration(f.median_response_seconds)
                if f.median_response_seconds is not None
                else "—"
            )
            style = "" if strong else f"color:{_MUTED};"
            values = (
                label,
                str(f.received),
                str(f.answered),
                median,
                _percent(f.within_sla_ratio),
                str(f.still_waiting),
            )
            rows.append(
                "<tr>"
                + "".join(
                    f'<td style="{cell}{style}">{html.escape(value)}</td>' for value in values
                )
                + "</tr>"
            )
    table = (
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0" width="100%">'
        f"<tr>{header}</tr>{''.join(rows)}</table>"
    )
    chart_rows = []
    for period in figures:
        for label, f, colour in (
            (period.label.capitalize(), period.current, _GREEN),
            (period.previous_label.capitalize(), period.previous, "#9e9e9e"),
        ):
            chart_rows.append(
                f'<tr><td style="{_FONT}padding:3px 8px 3px 0;font-size:12px;'
                f'white-space:nowrap;">{html.escape(label)}</td>'
                f'<td style="padding:3px 0;">{_bar(f.within_sla_ratio, colour)}</td>'
                f'<td style="{_FONT}padding:3px 0 3px 8px;font-size:12px;">'
                f"{_percent(f.within_sla_ratio)}</td></tr>"
            )
    chart = (
        f'<div style="{_FONT}margin-top:14px;font-size:13px;font-weight:bold;">'
        f"Answered within {html.escape(sla)}</div>"
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0">'
        f"{''.join(chart_rows)}</table>"
    )
    return _row(table + chart)


def _html_body(
    report: AuditReport,
    tz: tzinfo,
    problems: Sequence[str],
    figures: list[PeriodFigures],
    listed: Listing,
) -> str:
    sla = sla_text(report.sla_seconds)
    title = headline(report, tz, listed)
    colour = _RED if listed.overdue_count else (_AMBER if listed.waiting_count else _GREEN)
    rows = [
        f'<tr><td style="{_FONT}padding:20px 24px 4px 24px;font-size:20px;line-height:26px;'
        f'font-weight:bold;color:{colour};">{html.escape(title)}</td></tr>',
        _row(
            f'<span style="color:{_MUTED};font-size:13px;">'
            f"{html.escape(_as_of_line(report, tz))}</span>"
        ),
    ]
    waiting = listed.waiting_count
    if waiting:
        rows.append(_heading(f"Waiting for an answer ({waiting})"))
        rows += [_html_thread(t, report, tz) for t in listed.waiting[:MAX_LISTED]]
        if waiting > MAX_LISTED:
            rows.append(_row(html.escape(_more(waiting - MAX_LISTED))))
    late = listed.late_count
    if late:
        rows.append(_heading(f"Answered late ({late})"))
        items = "".join(f"<li>{html.escape(_late_line(t))}</li>" for t in listed.late[:MAX_LISTED])
        if late > MAX_LISTED:
            items += f"<li>{html.escape(_more(late - MAX_LISTED))}</li>"
        rows.append(_row(f'<ul style="margin:0;padding-left:20px;">{items}</ul>'))
    rows.append(_heading("Response times"))
    rows.append(_html_figures(figures, sla))
    rows.append(_heading("What was audited"))
    rows.append(
        _row(
            f'<span style="font-size:13px;color:{_MUTED};">'
            + "<br>".join(html.escape(line) for line in _audited_lines(report, problems))
            + "</span>"
        )
    )
    rows.append(
        _row(
            f'<span style="font-size:12px;color:{_MUTED};">{html.escape(_FOOTER)}</span>',
            "16px 24px 20px 24px",
        )
    )
    return _page(title, "".join(rows))


def _page(title: str, rows: str) -> str:
    """The page around the content: a centred 640-pixel column, inline styles only."""
    return (
        "<!DOCTYPE html>\n"
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head>\n"
        '<body style="margin:0;padding:0;background-color:#f4f4f4;">\n'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'bgcolor="#f4f4f4"><tr><td align="center" style="padding:16px 8px;">\n'
        '<table role="presentation" width="640" cellpadding="0" cellspacing="0" border="0" '
        'bgcolor="#ffffff" style="width:640px;max-width:100%;background-color:#ffffff;">\n'
        + rows.replace("</tr><tr>", "</tr>\n<tr>")
        + "\n</table>\n</td></tr></table>\n</body></html>\n"
    )


# --- The messages ---------------------------------------------------------------------------


def _check_addresses(value: str, what: str, *, single: bool) -> list[str]:
    """The owner's configured To/From: one line, each entry an address with an '@'."""
    from email.utils import getaddresses

    if any(ch in value for ch in "\r\n\0"):
        raise ConfigError(f"invalid {what} address: it contains a line break")
    pairs = getaddresses([value])
    addresses = [address for _, address in pairs]
    if not addresses or any("@" not in a for a in addresses) or (single and len(pairs) != 1):
        expected = "one address" if single else "addresses separated by commas"
        raise ConfigError(f"invalid {what} address {value!r}", hint=f"give {expected}")
    return addresses


def _new_message(*, subject: str, to: str, sender: str, date: datetime) -> EmailMessage:
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import format_datetime, make_msgid

    _check_addresses(to, "recipient", single=False)
    (address,) = _check_addresses(sender, "sender", single=True)
    domain = address.rpartition("@")[2].strip().strip(">")
    if not re.fullmatch(r"[A-Za-z0-9.-]+", domain):
        domain = "inbox-audit.invalid"  # an internationalised domain: keep Message-ID ASCII
    message = EmailMessage(policy=SMTP)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(date)
    # The domain is given so make_msgid does not look up this host's name (I/O).
    message["Message-ID"] = make_msgid(idstring="inbox-audit", domain=domain)
    # RFC 3834: automatic mail. Vacation responders do not answer it, and when the report
    # lands in the audited mailbox the next audit classifies it as automated, not a customer.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"  # the same for Exchange/Outlook
    return message


def _with_parts(message: EmailMessage, text: str, html_text: str) -> EmailMessage:
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html_text, subtype="html", charset="utf-8")
    return message


def build_email(
    report: AuditReport,
    *,
    to: str,
    sender: str,
    tz: tzinfo,
    problems: Sequence[str] = (),
    listed: Listing | None = None,
    rows: Sequence[Arrival] | None = None,
) -> EmailMessage:
    """The owner's summary: one multipart/alternative message, text and HTML, UTF-8.

    Subject "inbox-audit: <headline>"; dated `report.as_of` in `tz`. `to` and `sender` come
    from the owner's configuration (ConfigError when they are not addresses); `problems` are
    lines about what could not be audited (a folder that could not be opened...). `listed`
    and `rows`: the report's threads and `arrivals` when it holds none itself (a re-dated
    snapshot).
    """
    listed = listed or listing(report)
    figures = period_figures(report, tz, rows)
    message = _new_message(
        subject=f"inbox-audit: {headline(report, tz, listed)}",
        to=to,
        sender=sender,
        date=report.as_of.astimezone(tz),
    )
    return _with_parts(
        message,
        _text_body(report, tz, problems, figures, listed),
        _html_body(report, tz, problems, figures, listed),
    )


def _shorten(text: str, limit: int) -> str:
    text = clean_text(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def build_failure_email(
    *,
    error: str,
    hint: str | None,
    source: str,
    to: str,
    sender: str,
    now: datetime,
) -> EmailMessage:
    """'inbox-audit could not audit <source>: <error>', with what to do, text and HTML."""
    if now.tzinfo is None:  # the CLI passes an aware moment; read a naive one as UTC
        now = now.replace(tzinfo=UTC)
    source_text = clean_text(source)
    error_text = clean_text(error) or "unknown error"
    # The subject holds cleaned, shortened text: no line break can reach the header.
    subject = (
        f"inbox-audit: could not audit {_shorten(source_text, 60)}: {_shorten(error_text, 100)}"
    )
    steps = [
        hint and clean_text(hint),
        "Run the same inbox-audit command by hand to see the problem and try a fix.",
        "Nothing was changed in your mailbox. The next scheduled run will try again.",
    ]
    todo = [step for step in steps if step]
    first = f"inbox-audit could not audit {source_text}: {error_text}"
    when = f"{local_time(now, now.tzinfo or UTC, now)} {now.tzname() or ''}".rstrip()
    text = "\n".join(
        [
            first,
            "",
            f"When: {when}",
            "",
            "What to do:",
            *(f"- {s}" for s in todo),
            "",
            "-- ",
            _FOOTER,
        ]
    )
    items = "".join(f"<li>{html.escape(step)}</li>" for step in todo)
    rows = "".join(
        [
            f'<tr><td style="{_FONT}padding:20px 24px 4px 24px;font-size:18px;line-height:24px;'
            f'font-weight:bold;color:{_RED};">inbox-audit could not audit '
            f"{html.escape(source_text)}</td></tr>",
            _row(f"<b>Error:</b> {html.escape(error_text)}"),
            _row(f'<span style="color:{_MUTED};">When: {html.escape(when)}</span>'),
            _heading("What to do"),
            _row(f'<ul style="margin:0;padding-left:20px;">{items}</ul>'),
            _row(
                f'<span style="font-size:12px;color:{_MUTED};">{html.escape(_FOOTER)}</span>',
                "16px 24px 20px 24px",
            ),
        ]
    )
    message = _new_message(subject=subject, to=to, sender=sender, date=now)
    return _with_parts(message, text + "\n", _page("inbox-audit could not audit", rows))
