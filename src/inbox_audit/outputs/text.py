"""The wording every report people read shares: waits, local times, names, counts, headlines."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo

from inbox_audit.core.figures import Listing
from inbox_audit.core.holding import clean_text
from inbox_audit.model import Address, AuditReport

#: Threads listed per section in the table, the summary and the email: the most urgent
#: first. Past that a list helps nobody, and a table of 10,000 rows takes rich a minute.
MAX_LISTED = 50

# Names are spelled out here rather than with strftime, whose %a/%b follow the C locale.
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


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


def duration_or_dash(seconds: float | None) -> str:
    """format_duration, or '—' for a wait or latency that is not known."""
    return "—" if seconds is None else format_duration(seconds)


def day_month(local: datetime, this_year: int) -> str:
    """'27 Oct', or '27 Oct 2025' when not in `this_year`."""
    year = f" {local.year}" if local.year != this_year else ""
    return f"{local.day} {MONTHS[local.month - 1]}{year}"


def clock(local: datetime) -> str:
    """'09:15'."""
    return f"{local.hour:02d}:{local.minute:02d}"


def local_time(moment: datetime | None, tz: tzinfo, as_of: datetime) -> str:
    """'Mon 13 May 09:15' in the owner's zone; with the year when it is not as_of's year."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(tz)
    this_year = as_of.astimezone(tz).year
    return f"{DAY_NAMES[local.weekday()][:3]} {day_month(local, this_year)} {clock(local)}"


def zoned_time(moment: datetime, tz: tzinfo) -> str:
    """local_time with the zone's abbreviation: 'Thu 5 Nov 10:00 CET' (a space, then nothing,
    for a zone without a name)."""
    zone = moment.astimezone(tz).tzname() or ""
    return f"{local_time(moment, tz, moment)} {zone}"


def plural(count: int, one: str, many: str) -> str:
    """'1 conversation', '3 conversations'."""
    return f"{count} {one if count == 1 else many}"


def who(address: Address) -> str:
    """'Name <email>', or the bare address when there is no name."""
    name = clean_text(address.name)
    return f"{name} <{address.email}>" if name else address.email


def subject_text(subject: str) -> str:
    """A subject as one line of text; '(no subject)' for none."""
    return clean_text(subject) or "(no subject)"


def identity_names(report: AuditReport, escape: Callable[[str], str] = clean_text) -> list[str]:
    """The owner's addresses, each escaped, those found in Sent said so."""
    detected = set(report.identities_detected)
    return [escape(i) + (" (found in Sent)" if i in detected else "") for i in report.identities]


def identities_line(report: AuditReport, escape: Callable[[str], str] = clean_text) -> str:
    """'Your addresses: a@x.fr, b@x.fr (found in Sent).'"""
    if not report.identities:
        return "Your addresses: none known."
    return "Your addresses: " + ", ".join(identity_names(report, escape)) + "."


def summary_line(report: AuditReport) -> str:
    """The headline figures in one sentence."""
    s = report.summary
    late = f" ({s.answered_late} late)" if s.answered_late else ""
    parts = [
        plural(s.customer_messages, "customer message", "customer messages"),
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


def waiting_headline(report: AuditReport, listed: Listing) -> str:
    """'12 conversations waiting for an answer, 3 overdue (no answer within 1 d).'"""
    count = listed.waiting_count
    if not count:
        return "Nobody is waiting for an answer."
    people = plural(count, "conversation", "conversations") + " waiting for an answer"
    sla = format_duration(report.sla_seconds)
    return f"{people}, {listed.overdue_count} overdue (no answer within {sla})."


# A lone surrogate: what a header's undecodable bytes become once decoded (surrogateescape).
# UTF-8 cannot carry one: left in, an email or a link could not be encoded and the night's
# report would be lost.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8_safe(text: str) -> str:
    """`text` with each lone surrogate shown as U+FFFD, so that UTF-8 can carry it."""
    return _LONE_SURROGATE.sub("\ufffd", text)
