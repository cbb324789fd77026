"""The wording every report people read shares: waits, local times, names, counts, headlines."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo

from inbox_audit import i18n
from inbox_audit.core.figures import Listing
from inbox_audit.core.printable import clean_text
from inbox_audit.i18n import _, ngettext
from inbox_audit.model import Address, AuditReport, Status

#: Threads listed per section in the table, the summary and the email: the most urgent
#: first. Past that a list helps nobody, and a table of 10,000 rows takes rich a minute.
MAX_LISTED = 50


def format_duration(seconds: float) -> str:
    """A wait a person reads at a glance, two units at most: '3 d 4 h', '5 h 12 min', '45 s'
    ('3 j 4 h' in French).

    Truncates (never rounds up a wait into the next unit).
    """
    if seconds < 0:
        return "-" + format_duration(-seconds)
    total = int(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        if hours:
            return _("{days} d {hours} h").format(days=days, hours=hours)
        return _("{days} d").format(days=days)
    if hours:
        if minutes:
            return _("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
        return _("{hours} h").format(hours=hours)
    if minutes:
        return _("{minutes} min").format(minutes=minutes)
    return _("{seconds} s").format(seconds=secs)


def duration_or_dash(seconds: float | None) -> str:
    """format_duration, or '—' for a wait or latency that is not known."""
    return "—" if seconds is None else format_duration(seconds)


def latency_text(seconds: float | None, business: float | None) -> str:
    """A response time, with its working time beside it when working hours are set:
    '2 d 15 h (30 min working time)'; '—' when not known."""
    if seconds is None or business is None:
        return duration_or_dash(seconds)
    return _("{duration} ({working} working time)").format(
        duration=format_duration(seconds), working=format_duration(business)
    )


def sla_words(report: AuditReport, say: Callable[[float], str] = format_duration) -> str:
    """The SLA as `say` words a duration, '4 h of working time' when it counts working time."""
    words = say(report.sla_seconds)
    return _("{duration} of working time").format(duration=words) if report.sla_business else words


def day_month(local: datetime, this_year: int) -> str:
    """'27 Oct', or '27 Oct 2025' when not in `this_year` ('27 oct.' in French)."""
    return i18n.day_month(local, year=local.year != this_year)


def clock(local: datetime) -> str:
    """'09:15'."""
    return f"{local.hour:02d}:{local.minute:02d}"


def local_time(moment: datetime | None, tz: tzinfo, as_of: datetime) -> str:
    """'Mon 13 May 09:15' in the owner's zone ('lun. 13 mai 09:15'); with the year when it is
    not as_of's year."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(tz)
    return i18n.date_time(local, year=local.year != as_of.astimezone(tz).year)


def zoned_time(moment: datetime, tz: tzinfo) -> str:
    """local_time with the zone's abbreviation: 'Thu 5 Nov 10:00 CET' (a space, then nothing,
    for a zone without a name)."""
    zone = moment.astimezone(tz).tzname() or ""
    return f"{local_time(moment, tz, moment)} {zone}"


def percent(ratio: float) -> str:
    """'80%' ('80 %' in French)."""
    return i18n.percent(ratio)


def percent_or_dash(ratio: float | None) -> str:
    """percent, or '—' for a share of nothing (no answer in the period)."""
    return "—" if ratio is None else percent(ratio)


def period_label(days: int) -> str:
    """'last 24 h', 'last 7 days': a period of figures (core.figures.PeriodFigures.days)."""
    if days == 1:
        return _("last 24 h")
    return ngettext("last {count} day", "last {count} days", days).format(count=days)


def previous_period_label(days: int) -> str:
    """'the 24 h before', 'the 7 days before': the period before `period_label(days)`."""
    if days == 1:
        return _("the 24 h before")
    return ngettext("the {count} day before", "the {count} days before", days).format(count=days)


def bucket_labels() -> tuple[str, ...]:
    """core.figures.BUCKETS' labels in the owner's language, in its order ('1–3 d' is
    '1–3 j' in French); tests/outputs/test_text.py holds the English to BUCKETS'."""
    return (_("< 1 h"), _("1–4 h"), _("4–24 h"), _("1–3 d"), _("3–7 d"), _("> 7 d"))


def status_word(status: Status) -> str:
    """A status as the owner reads it: 'overdue', 'pending', 'answered'."""
    words = {
        Status.OVERDUE: _("overdue"),
        Status.PENDING: _("pending"),
        Status.ANSWERED: _("answered"),
        Status.NOT_CUSTOMER: _("not a customer"),
    }
    return words[status]


def who(address: Address) -> str:
    """'Name <email>', or the bare address when there is no name."""
    name = clean_text(address.name)
    return f"{name} <{address.email}>" if name else address.email


def subject_text(subject: str) -> str:
    """A subject as one line of text; '(no subject)' for none."""
    return clean_text(subject) or _("(no subject)")


def identity_names(report: AuditReport, escape: Callable[[str], str] = clean_text) -> list[str]:
    """The owner's addresses, each escaped, those found in Sent said so."""
    detected = set(report.identities_detected)
    found = _(" (found in Sent)")
    return [escape(i) + (found if i in detected else "") for i in report.identities]


def identities_line(report: AuditReport, escape: Callable[[str], str] = clean_text) -> str:
    """'Your addresses: a@x.fr, b@x.fr (found in Sent).'"""
    if not report.identities:
        return _("Your addresses: none known.")
    return _("Your addresses: {addresses}.").format(
        addresses=", ".join(identity_names(report, escape))
    )


def summary_line(report: AuditReport) -> str:
    """The headline figures in one sentence."""
    s = report.summary
    messages = ngettext(
        "{count} customer message", "{count} customer messages", s.customer_messages
    ).format(count=s.customer_messages)
    if s.answered_late:
        answered = _("{count} answered ({late} late)").format(
            count=s.answered, late=s.answered_late
        )
    else:
        answered = _("{count} answered").format(count=s.answered)
    parts = [
        messages,
        answered,
        _("{count} pending").format(count=s.pending),
        _("{count} overdue").format(count=s.overdue),
    ]
    text = ", ".join(parts) + "."
    if s.median_response_seconds is not None:
        text += " " + _times(
            s.median_response_seconds,
            s.p90_response_seconds,
            _("Response time: median {median}, 90% within {p90}."),
            _("Response time: median {median}."),
        )
    if s.median_business_response_seconds is not None:
        text += " " + _times(
            s.median_business_response_seconds,
            s.p90_business_response_seconds,
            _("In working time: median {median}, 90% within {p90}."),
            _("In working time: median {median}."),
        )
    if s.within_sla_ratio is not None:
        text += " " + _("{percent} answered within {sla}.").format(
            percent=percent(s.within_sla_ratio), sla=sla_words(report)
        )
    if s.answered_unknown_latency:
        text += " " + _(
            "{count} flagged as answered with no copy of the reply found (response time unknown)."
        ).format(count=s.answered_unknown_latency)
    if s.internal:
        text += " " + ngettext(
            "{count} message from a colleague set apart.",
            "{count} messages from colleagues set apart.",
            s.internal,
        ).format(count=s.internal)
    if s.unreadable:
        text += " " + _("{count} unreadable.").format(count=s.unreadable)
    return text


def _times(median: float, p90: float | None, both: str, alone: str) -> str:
    """The sentence `both` (median and 90th percentile) or `alone` (the median only)."""
    if p90 is None:
        return alone.format(median=format_duration(median))
    return both.format(median=format_duration(median), p90=format_duration(p90))


def problems_said(report: AuditReport) -> list[str]:
    """Each folder not read in full, in the owner's language (`report.problems` keeps the
    English words, for JSON); the report's own words when no folder says why."""
    said = [
        _("folder {name} could not be read: {reason}").format(
            name=clean_text(repr(folder.name)), reason=clean_text(i18n.marked(folder.unread))
        )
        for folder in report.folders
        if folder.unread
    ]
    if report.problems and not said:
        return [clean_text(problem) for problem in report.problems]
    return said


def incomplete_line(report: AuditReport) -> str | None:
    """What a report that is not complete says first, in every format; None when complete."""
    if not report.problems:
        return None
    said = "; ".join(problems_said(report))
    return _("INCOMPLETE REPORT: {problems}. Its mail is not counted below.").format(problems=said)


def waiting_headline(report: AuditReport, listed: Listing) -> str:
    """'12 conversations waiting for an answer, 3 overdue (no answer within 1 d).'"""
    count = listed.waiting_count
    if not count:
        return _("Nobody is waiting for an answer.")
    return ngettext(
        "{count} conversation waiting for an answer, {overdue} overdue (no answer within {sla}).",
        "{count} conversations waiting for an answer, {overdue} overdue (no answer within {sla}).",
        count,
    ).format(count=count, overdue=listed.overdue_count, sla=sla_words(report))


# A lone surrogate: what a header's undecodable bytes become once decoded (surrogateescape).
# UTF-8 cannot carry one: left in, an email or a link could not be encoded and the night's
# report would be lost.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8_safe(text: str) -> str:
    """`text` with each lone surrogate shown as U+FFFD, so that UTF-8 can carry it."""
    return _LONE_SURROGATE.sub("\ufffd", text)
