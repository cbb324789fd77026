"""PeriodStats → what `inbox-audit stats` shows in a terminal: tables, bars, histogram, trend."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING

from inbox_audit.core.figures import Figures
from inbox_audit.core.printable import clean_text
from inbox_audit.core.stats import PeriodStats, Waited
from inbox_audit.i18n import _, ngettext
from inbox_audit.outputs.digest_text import sla_text
from inbox_audit.outputs.stats_data import counted
from inbox_audit.outputs.text import (
    bucket_labels,
    clock,
    day_month,
    duration_or_dash,
    percent_or_dash,
    period_label,
    previous_period_label,
    subject_text,
)
from inbox_audit.outputs.trend import trend_value, week_label

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table
    from rich.text import Text

# rich is imported by the functions that use it (outputs/table.py does the same): the other
# formats need none of it.

#: Cells of the longest bar.
BAR_WIDTH = 30
_SPARKS = "▁▂▃▄▅▆▇█"


def bar(value: float, top: float, width: int = BAR_WIDTH) -> str:
    """A bar of '█' (with a '▌' for the last half cell) `value / top` of `width` long."""
    if top <= 0 or value <= 0:
        return ""
    halves = max(1, round(value / top * width * 2))
    return "█" * (halves // 2) + ("▌" if halves % 2 else "")


def sparkline(values: Sequence[float | None]) -> str:
    """One character a value, its height the value's share of the largest ('·': none)."""
    top = max((v for v in values if v is not None), default=0.0)
    chars = []
    for value in values:
        if value is None:
            chars.append("·")
        else:
            index = 0 if top <= 0 else round(value / top * (len(_SPARKS) - 1))
            chars.append(_SPARKS[index])
    return "".join(chars)


def _table(title: str, *columns: str) -> Table:
    from rich.table import Table

    table = Table(title=title, title_justify="left", title_style="bold", box=None, pad_edge=False)
    for index, column in enumerate(columns):
        # Names and bars (the unnamed columns) read from the left, figures from the right.
        left = index == 0 or not column
        table.add_column(column, justify="left" if left else "right", no_wrap=index != 0)
    return table


def _figures_table(stats: PeriodStats) -> Table:
    f, first = stats.figures, stats.first_response
    table = _table(_("Response times"), "", _("wall clock"), _("business time"))
    table.add_row(
        _("median"), duration_or_dash(f.median_response_seconds),
        duration_or_dash(f.median_business_seconds),
    )  # fmt: skip
    table.add_row(
        _("mean"), duration_or_dash(f.mean_response_seconds),
        duration_or_dash(f.mean_business_seconds),
    )  # fmt: skip
    table.add_row(
        _("90th percentile"), duration_or_dash(f.p90_response_seconds),
        duration_or_dash(f.p90_business_seconds),
    )  # fmt: skip
    table.add_row(
        ngettext(
            "first response, median ({count} exchange)",
            "first response, median ({count} exchanges)",
            first.count,
        ).format(count=first.count),
        duration_or_dash(first.median), duration_or_dash(first.business_median),
    )  # fmt: skip
    table.add_row(
        _("first response, 90th percentile"),
        duration_or_dash(first.p90), duration_or_dash(first.business_p90),
    )  # fmt: skip
    return table


def _counts_line(stats: PeriodStats) -> Text:
    from rich.text import Text

    f = stats.figures
    # The share in bold, wherever the language puts it.
    before, _share, after = _("{percent} answered within {sla}").partition("{percent}")
    return Text.assemble(
        _(
            "{received} received ({external} external, {internal} internal) · "
            "{answered} answered · {waiting} still waiting · "
        ).format(**counted(stats)),
        before.format(sla=sla_text(stats.sla_seconds)),
        (percent_or_dash(f.within_sla_ratio), "bold"),
        after.format(sla=sla_text(stats.sla_seconds)),
    )


def _histogram(f: Figures) -> Table:
    table = _table(
        _("How long customers waited"),
        "", "", _("wall"), "", _("business"),
    )  # fmt: skip
    top = float(max((*f.buckets, *f.business_buckets), default=0))
    for label, wall, business in zip(bucket_labels(), f.buckets, f.business_buckets, strict=True):
        table.add_row(
            label,
            f"[cyan]{bar(wall, top, BAR_WIDTH // 2)}[/]",
            str(wall),
            f"[green]{bar(business, top, BAR_WIDTH // 2)}[/]",
            str(business),
        )
    return table


def _windows(stats: PeriodStats) -> Table:
    table = _table(
        _("Beside the period before"),
        "",
        _("received"),
        _("answered"),
        _("median"),
        _("within SLA"),
        "",
    )
    for period in stats.windows:
        for label, p, style in (
            (period_label(period.days), period.current, "bold"),
            (previous_period_label(period.days), period.previous, "dim"),
        ):
            ratio = p.within_sla_ratio
            table.add_row(
                f"[{style}]{label}[/]",
                str(p.received),
                str(p.answered),
                duration_or_dash(p.median_response_seconds),
                percent_or_dash(ratio),
                f"[{'green' if style == 'bold' else 'grey50'}]"
                f"{bar(ratio or 0.0, 1.0, BAR_WIDTH // 2)}[/]",
            )
    return table


def _trend(stats: PeriodStats, tz: tzinfo) -> Table:
    values = [trend_value(week) for week in stats.trend]
    title = (
        _("Median response (business), week by week: {sparkline}").format(
            sparkline=f"[bold blue]{sparkline(values)}[/]"
        )
        if values
        else _("Median response, week by week")
    )
    table = _table(title, _("week from"), "", _("median"), _("answered"), _("received"))
    top = max((v for v in values if v is not None), default=0.0)
    for week, value in zip(stats.trend, values, strict=True):
        table.add_row(
            week_label(week, tz),
            f"[blue]{bar(value or 0.0, top)}[/]",
            duration_or_dash(value),
            str(week.answered),
            str(week.received),
        )
    return table


def _waited(title: str, items: Sequence[Waited]) -> Table:
    from rich.text import Text

    table = _table(title, "", _("longest wait"), "", _("messages"), _("still waiting"))
    top = float(max((w.longest_seconds for w in items), default=0))
    for w in items:
        table.add_row(
            Text(clean_text(w.name)),
            duration_or_dash(w.longest_seconds),
            f"[red]{bar(w.longest_seconds, top, BAR_WIDTH // 2)}[/]",
            str(w.messages),
            str(w.still_waiting),
        )
    return table


def _awaiting(stats: PeriodStats, tz: tzinfo) -> Table:
    from rich.text import Text

    days = stats.awaiting_days
    table = _table(
        ngettext(
            "Awaiting their reply (silent {days}+ business day): {count}",
            "Awaiting their reply (silent {days}+ business days): {count}",
            days,
        ).format(days=days, count=len(stats.awaiting)),
        _("who"),
        _("subject"),
        _("silent"),
        _("follow-up in"),
    )
    for a in stats.awaiting:
        sent = a.last_sent_at.astimezone(tz)
        table.add_row(
            Text(clean_text(a.correspondent.email)),
            Text(subject_text(a.subject)),
            _("{days} d, since {date}").format(
                days=a.silent_business_days, date=day_month(sent, stats.end.year)
            ),
            a.follow_up.language,
        )
    return table


def render_stats(stats: PeriodStats, tz: tzinfo) -> RenderableType:
    """Everything `stats` shows, as one rich renderable."""
    from rich.console import Group
    from rich.text import Text

    start, end = stats.start.astimezone(tz), stats.end.astimezone(tz)
    parts: list[RenderableType] = [
        Text(
            _("Figures from {start} {start_time} to {end} {end_time}").format(
                start=day_month(start, end.year),
                start_time=clock(start),
                end=day_month(end, end.year),
                end_time=clock(end),
            ),
            style="bold",
        )
    ]
    if not stats.complete:
        parts.append(
            Text(_("Incomplete: some mail could not be read (see inbox-audit audit)."), "bold red")
        )
    parts += [
        _counts_line(stats),
        Text(""),
        _figures_table(stats),
        Text(""),
        _histogram(stats.figures),
        Text(""),
        _windows(stats),
        Text(""),
        _trend(stats, tz),
        Text(""),
        _waited(_("Customers kept waiting longest"), stats.customers),
        Text(""),
        _waited(_("Domains kept waiting longest"), stats.domains),
        Text(""),
        _awaiting(stats, tz),
    ]
    return Group(*parts)
