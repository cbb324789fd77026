"""The time settings: the zone, the working calendar (hours, holidays, vacation) and the SLA."""

from __future__ import annotations

from datetime import date, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import tz

from inbox_audit.app.origin import Origin
from inbox_audit.core.worktime import (
    WorkTimeError,
    day_seconds,
    holiday_dates,
    parse_hours,
    parse_vacation,
)
from inbox_audit.errors import UsageError
from inbox_audit.i18n import _, marked
from inbox_audit.settings import (
    DayHours,
    WorkCalendar,
    parse_business_duration,
    parse_duration,
)

# Value parsers raise UsageError; Origin.parse turns it into a ConfigError for file values.


def parse_zone(name: str | None) -> tzinfo:
    """An IANA zone name; None is the system's zone."""
    if name is None:
        return tz.tzlocal()
    zone = tz.gettz(name)
    if zone is None:
        raise _unknown_zone(name)
    return zone


def parse_zone_info(name: str) -> ZoneInfo:
    """An IANA zone, for the working-hours calendar (zoneinfo: exact across DST changes)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _unknown_zone(name) from None


def _unknown_zone(name: str) -> UsageError:
    return UsageError(
        _("unknown time zone {name!r}").format(name=name),
        hint=_("use an IANA name like Europe/Paris"),
    )


def work_calendar(
    hours: tuple[str | None, Origin],
    holidays: tuple[str | None, Origin],
    vacation: tuple[tuple[str, ...] | None, Origin],
    zone: tzinfo,
) -> WorkCalendar | None:
    """The working calendar from --working-hours, --holidays and --vacation (None: none)."""
    (hours_text, hours_origin), (code, code_origin), (days, days_origin) = hours, holidays, vacation
    if hours_text is None:
        for value, origin in ((code, code_origin), (days, days_origin)):
            if value:
                origin.parse(_needs_hours, origin.describe())
        return None
    return WorkCalendar(
        hours_origin.parse(parse_working_hours, hours_text),
        zone,
        None if code is None else code_origin.parse(parse_holidays, code),
        tuple(days_origin.parse(parse_days_off, text) for text in days or ()),
    )


def _needs_hours(what: str) -> None:
    raise UsageError(
        _("{what} needs working hours").format(what=what),
        hint=_('add --working-hours "mon-fri 09:00-17:00"'),
    )


def parse_working_hours(text: str) -> tuple[DayHours, ...]:
    """--working-hours "mon-fri 09:00-12:00,14:00-18:00; sat 10:00-12:00"."""
    try:
        return parse_hours(text)
    except WorkTimeError as exc:
        raise UsageError(
            _("invalid working hours: {reason}").format(reason=_worded(exc)),
            hint=_('like "mon-fri 09:00-12:00,14:00-18:00"'),
        ) from None


def parse_holidays(text: str) -> str:
    """--holidays FR or FR-57: a country, optionally a region, the `holidays` package knows."""
    code = text.strip().upper()
    try:
        holiday_dates(code, 2024)  # any year: an unknown code fails in every one
    except WorkTimeError as exc:
        raise UsageError(
            _worded(exc), hint=_("use a country code like FR, BE, CA, or FR-57")
        ) from None
    return code


def parse_days_off(text: str) -> tuple[date, date]:
    """--vacation 2026-08-03..2026-08-21, or one day 2026-05-15."""
    try:
        return parse_vacation(text)
    except WorkTimeError as exc:
        raise UsageError(_worded(exc)) from None


def _worded(error: WorkTimeError) -> str:
    """The core's reason, in the owner's language."""
    return marked(error.template).format(**error.values)


def parse_sla(text: str, calendar: WorkCalendar | None) -> tuple[timedelta, bool]:
    """--sla: wall-clock ("24h", "2d") or business time ("4 business hours", "1 business
    day", "8bh", "1bd"), with whether it is business time. A business day is the working
    time of one opening day (worktime.day_seconds)."""
    business = parse_business_duration(text)
    if business is None:
        return parse_duration(text), False
    if calendar is None:
        raise UsageError(
            _("a business-time SLA ({sla!r}) needs working hours").format(sla=text.strip()),
            hint=_('add --working-hours "mon-fri 09:00-17:00", or give the SLA as 24h'),
        )
    amount, unit = business
    return timedelta(seconds=amount * (3600 if unit == "h" else day_seconds(calendar))), True
