"""The summary and failure emails as HTML that mail clients show alike: tables, inline styles."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import tzinfo

from inbox_audit import i18n
from inbox_audit.core.awaiting import AwaitingReply
from inbox_audit.core.figures import Figures, Listing, PeriodFigures
from inbox_audit.core.printable import clean_text
from inbox_audit.i18n import _
from inbox_audit.model import AuditReport, Status, ThreadResult
from inbox_audit.outputs.digest_text import (
    as_of_line,
    audited_lines,
    could_not_audit,
    footer,
    headline,
    late_line,
    more,
    silence_line,
    sla_text,
)
from inbox_audit.outputs.mailto import mailto_link, reply_link
from inbox_audit.outputs.text import (
    MAX_LISTED,
    duration_or_dash,
    incomplete_line,
    local_time,
    percent_or_dash,
    period_label,
    previous_period_label,
    sla_words,
    subject_text,
)
from inbox_audit.outputs.trend import html_bar, html_trend

# Every mail-derived string goes through `html.escape` after `clean_text` (control characters
# and bidi overrides removed); only our own markup is raw. No script, no style sheet, no remote
# image: Gmail strips <style> in many views and Outlook ignores most CSS, so layout is tables
# with inline styles, `bgcolor` and `width` attributes. The "send the holding reply" link is a
# mailto: URI in which everything outside the unreserved set is percent-encoded (mailto.py).
#
# Phones first: the column is fluid (100 % up to 640 px; Outlook for Windows, which ignores
# max-width, gets a fixed 640-pixel table in a conditional comment), no table has more than
# three columns, bars are sized in percent, and every cell that holds mail text may break a
# long word or address anywhere (overflow-wrap:anywhere also lets a table column shrink).
# Dark mode: every text has its own colour on a background of its own, so a client that
# switches the default text to white never leaves it on our white (color-scheme meta).

_FONT = "font-family:Arial,Helvetica,sans-serif;"
_WRAP = "overflow-wrap:anywhere;word-wrap:break-word;word-break:break-word;"
_TEXT = "#202124"
_RED = "#c62828"
_AMBER = "#b45309"
_GREEN = "#2e7d32"
_GREY = "#e0e0e0"
_MUTED = "#5f6368"
_BLUE = "#1a56c4"
_PAPER = "#ffffff"
_BACK = "#f1f3f4"
_QUOTE = "#f5f5f5"
_PAD = "16px"  # the column's side padding: 24 px would cost a phone an eighth of its width
_COLUMN = 640  # pixels, the widest the column grows


def _h(text: str) -> str:
    """Mail-derived text as one line of HTML text: cleaned, then escaped (quotes included)."""
    return html.escape(clean_text(text), quote=True)


def _heading(text: str) -> str:
    return (
        f'<tr><td style="{_FONT}padding:20px {_PAD} 6px {_PAD};font-size:13px;'
        f'font-weight:bold;letter-spacing:1px;color:{_MUTED};text-transform:uppercase;">'
        f"{text}</td></tr>"
    )


def _row(inner: str, padding: str = f"4px {_PAD}") -> str:
    style = f"{_FONT}{_WRAP}padding:{padding};font-size:14px;line-height:20px;color:{_TEXT};"
    return f'<tr><td style="{style}">{inner}</td></tr>'


def _button(href: str, label: str) -> str:
    # A coloured table cell, not a padded <a>: Outlook ignores padding on inline elements.
    return (
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr>'
        f'<td bgcolor="{_BLUE}" style="background-color:{_BLUE};border-radius:4px;'
        f'padding:10px 14px;">'
        f'<a href="{html.escape(href, quote=True)}" style="{_FONT}color:#ffffff;'
        f'font-size:14px;font-weight:bold;text-decoration:none;">{label}</a>'
        "</td></tr></table>"
    )


def _html_thread(thread: ThreadResult, report: AuditReport, tz: tzinfo) -> str:
    overdue = thread.status is Status.OVERDUE
    colour = _RED if overdue else _AMBER
    waited = duration_or_dash(thread.waiting_seconds)
    name = _h(thread.correspondent.name)
    email = _h(thread.correspondent.email) or html.escape(_("(no address)"))
    who = f"<b>{name}</b> &lt;{email}&gt;" if name else f"<b>{email}</b>"
    state = (_("Overdue: {duration}") if overdue else _("Waiting: {duration}")).format(
        duration=waited
    )
    since = _(" — since {when} · folder {folder}").format(
        when=local_time(thread.waiting_since, tz, report.as_of), folder=clean_text(thread.folder)
    )
    details = (
        f'<span style="color:{colour};font-weight:bold;">{html.escape(state)}</span>'
        f'<span style="color:{_MUTED};">{html.escape(since)}</span>'
    )
    reply_html = ""
    reply = thread.holding_reply
    if reply is not None:
        body = "<br>".join(html.escape(line, quote=True) for line in reply.body.splitlines())
        reply_html = (
            f'<div style="{_FONT}margin-top:10px;font-size:13px;color:{_MUTED};">'
            f"{html.escape(_('Suggested holding reply'))} — <i>{_h(reply.subject)}</i></div>"
            '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
            'style="width:100%;">'
            f'<tr><td bgcolor="{_QUOTE}" style="{_FONT}{_WRAP}background-color:{_QUOTE};'
            f'color:{_TEXT};padding:10px;font-size:14px;line-height:20px;">{body}</td></tr>'
            "</table>"
            '<div style="height:8px;line-height:8px;font-size:8px;">&nbsp;</div>'
            + _button(reply_link(reply), html.escape(_("Send this holding reply")))
        )
    return (
        f'<tr><td style="padding:6px {_PAD};">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="width:100%;">'
        f'<tr><td width="4" bgcolor="{colour}" style="background-color:{colour};width:4px;">'
        "&nbsp;</td>"
        f'<td style="{_FONT}{_WRAP}padding:8px 0 8px 12px;font-size:14px;line-height:20px;'
        f'color:{_TEXT};">'
        f"{who}<br>"
        f'<span style="font-size:15px;">{_h(subject_text(thread.subject))}</span><br>'
        f"{details}{reply_html}</td></tr></table></td></tr>"
    )


def _bar(ratio: float | None, colour: str) -> str:
    """The share `ratio` as a bar (trend.html_bar), or "no answers yet" when there is none."""
    if ratio is None:
        return (
            f'<span style="{_FONT}font-size:12px;color:{_MUTED};">'
            f"{html.escape(_('no answers yet'))}</span>"
        )
    return html_bar(round(max(0.0, min(1.0, ratio)) * 100), colour, _GREY)


def _period_table(period: PeriodFigures, sla: str) -> str:
    """One period beside the one before: a figure per row, three columns (a phone's width)."""
    cell = f"{_FONT}{_WRAP}padding:4px 6px;font-size:13px;border-bottom:1px solid {_GREY};"
    head = f"{_FONT}padding:4px 6px;font-size:12px;text-align:left;"
    now, before = period.current, period.previous
    figures = (
        (_("Received"), str(now.received), str(before.received)),
        (_("Answered"), str(now.answered), str(before.answered)),
        (
            _("Median response"),
            duration_or_dash(now.median_response_seconds),
            duration_or_dash(before.median_response_seconds),
        ),
        (
            _("Within {sla}").format(sla=sla),
            percent_or_dash(now.within_sla_ratio),
            percent_or_dash(before.within_sla_ratio),
        ),
        (_("Still waiting"), str(now.still_waiting), str(before.still_waiting)),
    )
    current_label = period_label(period.days).capitalize()
    previous_label = previous_period_label(period.days).capitalize()
    header = (
        f'<th style="{head}width:40%;"></th>'
        f'<th style="{head}color:{_TEXT};width:30%;">{html.escape(current_label)}</th>'
        f'<th style="{head}color:{_MUTED};width:30%;">{html.escape(previous_label)}</th>'
    )
    rows = "".join(
        f'<tr><td style="{cell}color:{_MUTED};">{html.escape(label)}</td>'
        f'<td style="{cell}color:{_TEXT};font-weight:bold;">{html.escape(current)}</td>'
        f'<td style="{cell}color:{_MUTED};">{html.escape(previous)}</td></tr>'
        for label, current, previous in figures
    )
    return (
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0" width="100%" '
        f'style="width:100%;margin-bottom:10px;"><tr>{header}</tr>{rows}</table>'
    )


def _html_figures(figures: list[PeriodFigures], sla: str) -> str:
    tables = "".join(_period_table(period, sla) for period in figures)
    chart_rows = []
    for period in figures:
        for label, f, colour in (
            (period_label(period.days).capitalize(), period.current, _GREEN),
            (previous_period_label(period.days).capitalize(), period.previous, "#9e9e9e"),
        ):
            chart_rows.append(
                f'<tr><td width="38%" style="{_FONT}{_WRAP}width:38%;padding:3px 8px 3px 0;'
                f'font-size:12px;color:{_TEXT};">{html.escape(label)}</td>'
                f'<td style="padding:3px 0;">{_bar(f.within_sla_ratio, colour)}</td>'
                f'<td width="44" style="{_FONT}width:44px;padding:3px 0 3px 8px;font-size:12px;'
                f'color:{_TEXT};text-align:right;">{percent_or_dash(f.within_sla_ratio)}</td></tr>'
            )
    chart = (
        f'<div style="{_FONT}margin-top:14px;font-size:13px;font-weight:bold;color:{_TEXT};">'
        f"{html.escape(_('Answered within {sla}').format(sla=sla))}</div>"
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0" width="100%" '
        f'style="width:100%;">{"".join(chart_rows)}</table>'
    )
    return _row(tables + chart)


def _html_awaiting(item: AwaitingReply, report: AuditReport, tz: tzinfo) -> str:
    follow = item.follow_up
    name = _h(item.correspondent.name)
    email = _h(item.correspondent.email) or html.escape(_("(no address)"))
    who = f"<b>{name}</b> &lt;{email}&gt;" if name else f"<b>{email}</b>"
    body = "<br>".join(html.escape(line, quote=True) for line in follow.body.splitlines())
    link = mailto_link(item.correspondent.email, follow.subject, follow.body)
    return _row(
        f'{who}<br><span style="font-size:15px;">{_h(subject_text(item.subject))}</span><br>'
        f'<span style="color:{_MUTED};">{html.escape(silence_line(item, report, tz))}</span>'
        f'<div style="{_FONT}margin-top:8px;font-size:13px;color:{_MUTED};">'
        f"{html.escape(_('Suggested follow-up'))} — <i>{_h(follow.subject)}</i></div>"
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">'
        f'<tr><td bgcolor="#f5f5f5" style="{_FONT}background-color:#f5f5f5;padding:10px;'
        f'font-size:14px;line-height:20px;">{body}</td></tr></table>'
        '<div style="height:8px;line-height:8px;font-size:8px;">&nbsp;</div>'
        + _button(link, html.escape(_("Send this follow-up"))),
        f"8px {_PAD}",
    )


def html_body(
    report: AuditReport,
    tz: tzinfo,
    problems: Sequence[str],
    figures: list[PeriodFigures],
    listed: Listing,
    trend: Sequence[Figures] = (),
    awaiting: Sequence[AwaitingReply] = (),
) -> str:
    """The summary email's HTML part: the plain-text part's content, laid out."""
    sla = sla_words(report, sla_text)
    title = headline(report, tz, listed)
    colour = _RED if listed.overdue_count else (_AMBER if listed.waiting_count else _GREEN)
    rows = [
        f'<tr><td style="{_FONT}{_WRAP}padding:20px {_PAD} 4px {_PAD};font-size:20px;'
        f'line-height:26px;font-weight:bold;color:{colour};">{html.escape(title)}</td></tr>',
        _row(
            f'<span style="color:{_MUTED};font-size:13px;">'
            f"{html.escape(as_of_line(report, tz))}</span>"
        ),
    ]
    if (incomplete := incomplete_line(report)) is not None:
        rows.insert(1, _row(f'<strong style="color:{_RED};">{html.escape(incomplete)}</strong>'))
    waiting = listed.waiting_count
    if waiting:
        rows.append(_heading(_("Waiting for an answer ({count})").format(count=waiting)))
        rows += [_html_thread(t, report, tz) for t in listed.waiting[:MAX_LISTED]]
        if waiting > MAX_LISTED:
            rows.append(_row(html.escape(more(waiting - MAX_LISTED))))
    late = listed.late_count
    if late:
        rows.append(_heading(_("Answered late ({count})").format(count=late)))
        items = "".join(
            f'<li style="margin-bottom:4px;">{html.escape(late_line(t))}</li>'
            for t in listed.late[:MAX_LISTED]
        )
        if late > MAX_LISTED:
            items += f"<li>{html.escape(more(late - MAX_LISTED))}</li>"
        rows.append(_row(f'<ul style="margin:0;padding-left:20px;">{items}</ul>'))
    rows.append(_heading(html.escape(_("Response times"))))
    rows.append(_html_figures(figures, sla))
    if trend:
        title = _("Median response, week by week (last {weeks} weeks)").format(weeks=len(trend))
        rows.append(_heading(html.escape(title)))
        rows.append(_row(html_trend(trend, tz)))
    if awaiting:
        title = _("Awaiting their reply ({count})").format(count=len(awaiting))
        rows.append(_heading(html.escape(title)))
        rows += [_html_awaiting(item, report, tz) for item in awaiting[:MAX_LISTED]]
        if len(awaiting) > MAX_LISTED:
            rows.append(_row(html.escape(more(len(awaiting) - MAX_LISTED))))
    rows.append(_heading(html.escape(_("What was audited"))))
    rows.append(
        _row(
            f'<span style="font-size:13px;color:{_MUTED};">'
            + "<br>".join(html.escape(line) for line in audited_lines(report, problems))
            + "</span>"
        )
    )
    rows.append(_footer_row())
    return _page(title, "".join(rows))


def _page(title: str, rows: str) -> str:
    """The page around the content: a fluid column up to 640 pixels, inline styles only."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{i18n.current()}" style="color-scheme:light dark;"><head>'
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        '<meta name="supported-color-schemes" content="light dark">'
        f"<title>{html.escape(title)}</title></head>\n"
        f'<body style="margin:0;padding:0;background-color:{_BACK};color:{_TEXT};'
        '-webkit-text-size-adjust:100%;">\n'
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        f'bgcolor="{_BACK}" style="width:100%;background-color:{_BACK};">'
        '<tr><td align="center" style="padding:12px 6px;">\n'
        # Outlook for Windows (Word's engine) ignores max-width: a fixed column for it alone.
        f'<!--[if mso]><table role="presentation" width="{_COLUMN}" cellpadding="0" '
        'cellspacing="0" border="0"><tr><td><![endif]-->\n'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        f'bgcolor="{_PAPER}" style="width:100%;max-width:{_COLUMN}px;'
        f'background-color:{_PAPER};color:{_TEXT};">\n'
        + rows.replace("</tr><tr>", "</tr>\n<tr>")
        + "\n</table>\n<!--[if mso]></td></tr></table><![endif]-->\n"
        "</td></tr></table>\n</body></html>\n"
    )


def _footer_row() -> str:
    return _row(
        f'<span style="font-size:12px;color:{_MUTED};">{html.escape(footer())}</span>',
        f"16px {_PAD} 20px {_PAD}",
    )


def failure_page(source_text: str, error_text: str, when: str, todo: Sequence[str]) -> str:
    """The failure email's HTML part: what failed, when, and what to do (texts cleaned)."""
    items = "".join(f"<li>{html.escape(step)}</li>" for step in todo)
    rows = "".join(
        [
            f'<tr><td style="{_FONT}{_WRAP}padding:20px {_PAD} 4px {_PAD};font-size:18px;'
            f'line-height:24px;font-weight:bold;color:{_RED};">'
            f"{html.escape(could_not_audit(source_text))}</td></tr>",
            _row(f"<b>{html.escape(_('Error:'))}</b> {html.escape(error_text)}"),
            _row(
                f'<span style="color:{_MUTED};">'
                f"{html.escape(_('When: {when}').format(when=when))}</span>"
            ),
            _heading(html.escape(_("What to do"))),
            _row(f'<ul style="margin:0;padding-left:20px;">{items}</ul>'),
            _footer_row(),
        ]
    )
    return _page(could_not_audit(source_text), rows)
