"""PeriodStats → JSON, CSV and Markdown: `inbox-audit stats` for scripts and wikis."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import tzinfo
from typing import Any

from inbox_audit.core.figures import Figures
from inbox_audit.core.stats import PeriodStats, Waited
from inbox_audit.i18n import _, ngettext
from inbox_audit.outputs.data import awaiting_dict, buckets_dict, csv_cell, first_response_dict, iso
from inbox_audit.outputs.digest_text import sla_text
from inbox_audit.outputs.text import (
    bucket_labels,
    day_month,
    duration_or_dash,
    percent_or_dash,
    period_label,
    previous_period_label,
    subject_text,
)

#: Bumped when a key of the stats JSON changes meaning or disappears (adding keys is not).
STATS_SCHEMA_VERSION = 1


def _figures_dict(f: Figures) -> dict[str, Any]:
    return {
        "start": iso(f.start),
        "end": iso(f.end),
        "received": f.received,
        "answered": f.answered,
        "still_waiting": f.still_waiting,
        "median_response_seconds": f.median_response_seconds,
        "mean_response_seconds": f.mean_response_seconds,
        "p90_response_seconds": f.p90_response_seconds,
        "median_business_response_seconds": f.median_business_seconds,
        "mean_business_response_seconds": f.mean_business_seconds,
        "p90_business_response_seconds": f.p90_business_seconds,
        "within_sla_ratio": f.within_sla_ratio,
        "buckets": buckets_dict(f.buckets),
        "business_buckets": buckets_dict(f.business_buckets),
    }


def _waited_dict(w: Waited) -> dict[str, Any]:
    return {
        "name": w.name,
        "messages": w.messages,
        "longest_wait_seconds": w.longest_seconds,
        "still_waiting": w.still_waiting,
    }


def stats_dict(stats: PeriodStats) -> dict[str, Any]:
    """The stats as plain data: the JSON document."""
    return {
        "schema_version": STATS_SCHEMA_VERSION,
        "complete": stats.complete,
        "start": iso(stats.start),
        "end": iso(stats.end),
        "sla_seconds": stats.sla_seconds,
        "responses": _figures_dict(stats.figures),
        "first_response": {"exchanges": stats.first_response.count}
        | first_response_dict(stats.first_response),
        "mail": {"external": stats.external, "internal": stats.internal},
        "customers_kept_waiting": [_waited_dict(w) for w in stats.customers],
        "domains_kept_waiting": [_waited_dict(w) for w in stats.domains],
        "windows": [
            {
                "days": p.days,
                "current": _figures_dict(p.current),
                "previous": _figures_dict(p.previous),
            }
            for p in stats.windows
        ],
        "weekly_trend": [_figures_dict(week) for week in stats.trend],
        "awaiting_days": stats.awaiting_days,
        "awaiting_reply": [awaiting_dict(a) for a in stats.awaiting],
    }


def render_stats_json(stats: PeriodStats) -> str:
    """The stats as indented JSON, UTC datetimes, UTF-8 text."""
    return json.dumps(stats_dict(stats), ensure_ascii=False, indent=2) + "\n"


def _csv_rows(stats: PeriodStats) -> Iterator[tuple[object, ...]]:
    """(section, label, start, end, key, value): one figure a row, long form."""
    data = stats_dict(stats)

    def figures(section: str, label: object, f: dict[str, Any]) -> Iterator[tuple[object, ...]]:
        for key, value in f.items():
            if key in ("start", "end"):
                continue
            if isinstance(value, dict):
                for bucket, count in value.items():
                    yield section, label, f["start"], f["end"], f"{key}:{bucket}", count
            else:
                yield section, label, f["start"], f["end"], key, value

    yield "period", "", data["start"], data["end"], "complete", stats.complete
    yield from figures("responses", "", data["responses"])
    for key, value in data["first_response"].items():
        yield "first_response", "", data["start"], data["end"], key, value
    for key, value in data["mail"].items():
        yield "mail", "", data["start"], data["end"], key, value
    for section in ("customers_kept_waiting", "domains_kept_waiting"):
        for w in data[section]:
            for key in ("messages", "longest_wait_seconds", "still_waiting"):
                yield section, w["name"], data["start"], data["end"], key, w[key]
    for window in data["windows"]:
        yield from figures("window", f"{window['days']}d", window["current"])
        yield from figures("window_previous", f"{window['days']}d", window["previous"])
    for week in data["weekly_trend"]:
        yield from figures("week", "", week)
    for a in data["awaiting_reply"]:
        for key in ("correspondent", "subject", "last_sent_at", "silent_business_days"):
            yield "awaiting_reply", a["thread_id"], data["start"], data["end"], key, a[key]


STATS_CSV_COLUMNS = ("section", "label", "start", "end", "key", "value")


def render_stats_csv(stats: PeriodStats) -> str:
    """The stats in long form, one figure a row (cells guarded against spreadsheet formulas)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(STATS_CSV_COLUMNS)
    for row in _csv_rows(stats):
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue()


def _md(text: str) -> str:
    return subject_text(text).replace("|", "\\|").replace("`", "'")


def counted(stats: PeriodStats) -> dict[str, int]:
    """The counts the headline of the stats names (Markdown and terminal), by placeholder."""
    f = stats.figures
    return {
        "received": f.received,
        "external": stats.external,
        "internal": stats.internal,
        "answered": f.answered,
        "waiting": f.still_waiting,
    }


def render_stats_markdown(stats: PeriodStats, tz: tzinfo) -> str:
    """The stats as Markdown tables."""
    f = stats.figures
    sla = sla_text(stats.sla_seconds)
    start, end = stats.start.astimezone(tz), stats.end.astimezone(tz)
    wall, business = _("wall clock"), _("business time")

    def row(*cells: object) -> str:
        return "|" + "".join(f" {cell} |" if cell != "" else " |" for cell in cells)

    def head(*cells: str) -> list[str]:
        return [row(*cells), row(*["---"] * len(cells))]

    lines = [
        "# "
        + _("Response times, {start} – {end}").format(
            start=day_month(start, end.year), end=day_month(end, end.year)
        ),
        "",
    ]
    if not stats.complete:
        lines += [_("**Incomplete:** some mail could not be read; see `inbox-audit audit`."), ""]
    first = stats.first_response
    lines += [
        *head("", wall, business),
        *(
            row(label, duration_or_dash(clock_time), duration_or_dash(business_time))
            for label, clock_time, business_time in (
                (_("median response"), f.median_response_seconds, f.median_business_seconds),
                (_("mean response"), f.mean_response_seconds, f.mean_business_seconds),
                (_("90th percentile"), f.p90_response_seconds, f.p90_business_seconds),
                (_("first response, median"), first.median, first.business_median),
                (_("first response, 90th percentile"), first.p90, first.business_p90),
            )
        ),
        "",
        _(
            "{received} received ({external} external, {internal} internal), "
            "{answered} answered, {waiting} still waiting; {percent} answered within {sla}."
        ).format(**counted(stats), percent=percent_or_dash(f.within_sla_ratio), sla=sla),
        "",
        "## " + _("Response times"),
        "",
        *head(_("bucket"), wall, business),
    ]
    for label, walled, worked in zip(bucket_labels(), f.buckets, f.business_buckets, strict=True):
        lines.append(row(label, walled, worked))
    lines += ["", "## " + _("Periods"), ""]
    lines += head(_("period"), _("received"), _("answered"), _("median"), _("within SLA"))
    for period in stats.windows:
        for label, p in (
            (period_label(period.days), period.current),
            (previous_period_label(period.days), period.previous),
        ):
            lines.append(
                row(
                    label,
                    p.received,
                    p.answered,
                    duration_or_dash(p.median_response_seconds),
                    percent_or_dash(p.within_sla_ratio),
                )
            )
    lines += ["", "## " + _("Week by week"), ""]
    lines += head(_("week from"), _("received"), _("answered"), _("median (business)"))
    for week in stats.trend:
        lines.append(
            row(
                day_month(week.start.astimezone(tz), end.year),
                week.received,
                week.answered,
                duration_or_dash(week.median_business_seconds),
            )
        )
    for title, items in (
        (_("Customers kept waiting longest"), stats.customers),
        (_("Domains kept waiting longest"), stats.domains),
    ):
        lines += ["", f"## {title}", ""]
        lines += head(_("who"), _("messages"), _("longest wait"), _("still waiting"))
        lines += [
            row(_md(w.name), w.messages, duration_or_dash(w.longest_seconds), w.still_waiting)
            for w in items
        ]
    days = stats.awaiting_days
    lines += [
        "",
        "## "
        + ngettext(
            "Awaiting their reply (silent {days}+ business day)",
            "Awaiting their reply (silent {days}+ business days)",
            days,
        ).format(days=days),
        "",
        *head(_("who"), _("subject"), _("silent"), _("follow-up")),
    ]
    for a in stats.awaiting:
        silent = a.silent_business_days
        lines.append(
            row(
                _md(a.correspondent.email),
                _md(a.subject),
                ngettext("{count} business day", "{count} business days", silent).format(
                    count=silent
                ),
                _md(a.follow_up.subject),
            )
        )
    return "\n".join(lines) + "\n"
