"""The weekly trend as a chart mail clients show alike (an HTML table of bars) and as text.

Gmail, Outlook (Word's renderer) and Apple Mail all draw tables with `bgcolor` cells; none
runs a script, and Gmail and Outlook drop or block remote images and most CSS. So each week
is a table row whose bar is a cell of a percentage width: fluid, no fixed width, no image.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import tzinfo

from inbox_audit.core.figures import Figures
from inbox_audit.i18n import _
from inbox_audit.outputs.text import day_month, duration_or_dash

_FONT = "font-family:Arial,Helvetica,sans-serif;"
_BAR = "#1565c0"  # not the buttons' blue: a screenshot tells the bars apart
_TRACK = "#eeeeee"
_MUTED = "#666666"
#: Characters of the longest bar in the text version.
TEXT_WIDTH = 24


def week_label(week: Figures, tz: tzinfo) -> str:
    """'from 3 Nov': the week's first day on the owner's wall clock."""
    start = week.start.astimezone(tz)
    end = week.end.astimezone(tz)
    return day_month(start, end.year)


def trend_value(week: Figures) -> float | None:
    """What the trend plots: the week's median response time in business time (the wall
    clock until working hours are configured)."""
    return week.median_business_seconds


def _scale(trend: Sequence[Figures]) -> float:
    return max((v for w in trend if (v := trend_value(w)) is not None), default=0.0)


def _ratio(week: Figures, top: float) -> float | None:
    value = trend_value(week)
    if value is None:
        return None
    return value / top if top > 0 else 0.0


def text_trend(trend: Sequence[Figures], tz: tzinfo) -> list[str]:
    """One line a week: its start, a bar of '█' as long as its median response, the median
    and the counts. Weeks without an answer show '·'."""
    top = _scale(trend)
    lines = []
    for week in trend:
        ratio = _ratio(week, top)
        bar = "·" if ratio is None else "█" * max(1, round(ratio * TEXT_WIDTH))
        lines.append(
            f"{week_label(week, tz):>7}  {bar:<{TEXT_WIDTH}}  "
            f"{duration_or_dash(trend_value(week)):>11}  "
            + _("({answered} answered of {received})").format(
                answered=week.answered, received=week.received
            )
        )
    return lines


def html_bar(filled: int, colour: str, track: str) -> str:
    """A full-width bar: a table of two cells, `filled` percent in `colour`, the rest in
    `track` (the email's bars, the trend's and the SLA's)."""
    cells = ""
    for width, fill in ((filled, colour), (100 - filled, track)):
        if width > 0:  # a zero-width cell still shows in some clients
            cells += (
                f'<td width="{width}%" height="12" bgcolor="{fill}" '
                f'style="width:{width}%;height:12px;background-color:{fill};'
                'font-size:0;line-height:0;">&nbsp;</td>'
            )
    return (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
        f'border="0" style="width:100%;"><tr>{cells}</tr></table>'
    )


def html_trend(trend: Sequence[Figures], tz: tzinfo) -> str:
    """The trend as a table: one row a week (label, bar, median), bars in percent widths."""
    top = _scale(trend)
    rows = []
    cell = f"{_FONT}font-size:12px;line-height:16px;padding:2px 0;"
    for week in trend:
        ratio = _ratio(week, top)
        percent = 0 if ratio is None else max(1, round(ratio * 100))
        if percent:
            bar = html_bar(percent, _BAR, _TRACK)
        else:
            none = html.escape(_("no answers"))
            bar = f'<span style="{_FONT}font-size:12px;color:{_MUTED};">{none}</span>'
        rows.append(
            f'<tr><td width="22%" style="{cell}padding-right:8px;white-space:nowrap;">'
            f"{html.escape(week_label(week, tz))}</td>"
            f'<td width="56%" style="padding:2px 0;">{bar}</td>'
            f'<td width="22%" style="{cell}padding-left:8px;white-space:nowrap;">'
            f"{html.escape(duration_or_dash(trend_value(week)))}"
            f'<span style="color:{_MUTED};"> · {week.answered}/{week.received}</span></td></tr>'
        )
    return (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        f'style="width:100%;">{"".join(rows)}</table>'
    )
