"""Working time: opening hours, holidays and time off, and business-time arithmetic over them."""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from inbox_audit.errors import N_
from inbox_audit.settings import DayHours, WorkCalendar

#: Day names accepted in working hours, Monday first: English and French, three letters.
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FRENCH_DAYS = ("lun", "mar", "mer", "jeu", "ven", "sam", "dim")
_DAY_INDEX = {name: i for names in (DAY_NAMES, _FRENCH_DAYS) for i, name in enumerate(names)}
_TIME = re.compile(r"^(\d{1,2})(?:[:hH](\d{2})?)?$")
_MINUTES_PER_DAY = 24 * 60
#: How far arithmetic looks for working time before giving up: a calendar with none in so
#: long (vacations end to end) has nothing to say about deadlines.
_HORIZON_DAYS = 366 * 5


class WorkTimeError(ValueError):
    """A working-hours, vacation or holiday text that cannot be read (its message says why).

    Its message is an N_() template and its values, so that the app can say it in the owner's
    language; str() is the English.
    """

    def __init__(self, template: str, **values: object) -> None:
        super().__init__(template.format(**values))
        self.template = template
        self.values = values


def is_open_day(calendar: WorkCalendar, day: date) -> bool:
    """Whether `day` (local) has opening hours: not a day off, vacation or holiday."""
    return (
        bool(calendar.week[day.weekday()])
        and day not in calendar.closed_days
        and (calendar.holidays is None or day not in holiday_dates(calendar.holidays, day.year))
    )


def day_seconds(calendar: WorkCalendar) -> int:
    """A business day: the working time of one opening day. When days differ, the length
    most weekdays have (the longer on a tie): 9 h for mon-thu 9-18, fri 9-16."""
    lengths = Counter(sum(end - start for start, end in day) for day in calendar.week if day)
    most = max(lengths.items(), key=lambda item: (item[1], item[0]))[0]
    return most * 60


def describe(calendar: WorkCalendar) -> str:
    """The working hours in the form `parse_hours` reads: "mon-fri 09:00-12:00,14:00-18:00"."""
    groups: list[tuple[list[int], DayHours]] = []
    for index, day in enumerate(calendar.week):
        if not day:
            continue
        last = groups[-1] if groups else None
        if last is not None and last[1] == day and last[0][-1] == index - 1:
            last[0].append(index)
        else:
            groups.append(([index], day))
    return "; ".join(f"{_days_text(days)} {_ranges_text(ranges)}" for days, ranges in groups)


def zone_name(zone: tzinfo) -> str:
    """An IANA zone's name ("Europe/Paris"), or "system" for the system's unnamed zone."""
    return zone.key if isinstance(zone, ZoneInfo) else "system"


def _days_text(days: list[int]) -> str:
    first, last = DAY_NAMES[days[0]], DAY_NAMES[days[-1]]
    return first if len(days) == 1 else f"{first}-{last}"


def _ranges_text(ranges: DayHours) -> str:
    return ",".join(f"{_clock(start)}-{_clock(end)}" for start, end in ranges)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@functools.cache
def holiday_dates(code: str, year: int) -> frozenset[date]:
    """The public holidays of a country ("FR") or subdivision ("FR-57") in one year.

    From the `holidays` package, not a list kept here: Easter-based and regional days move.
    Raises WorkTimeError for a code it does not know.
    """
    import holidays  # loaded only by calendars that use it: ~50 ms

    country, _, subdivision = code.partition("-")
    try:
        found = holidays.country_holidays(country.upper(), subdiv=subdivision or None, years=year)
    except NotImplementedError as exc:  # the package's way of saying "unknown code"
        raise WorkTimeError(
            N_("unknown holiday calendar {code!r}: {reason}"), code=code, reason=str(exc)
        ) from None
    return frozenset(found)


# --- Reading the texts of flags and config ------------------------------------------------


def parse_hours(text: str) -> tuple[DayHours, ...]:
    """Working hours per weekday from "mon-fri 09:00-12:00,14:00-18:00; sat 10:00-12:00".

    Groups are separated by ";"; each names days (a day, a range "mon-fri" or a list
    "mon,wed") then ranges. English or French day names ("lun-ven"); times 9:00, 09:00, 9h,
    9h30; 24:00 ends a day. Days not named are closed.
    """
    week: list[DayHours | None] = [None] * 7
    groups = [group.strip() for group in text.split(";")]
    if not any(groups):
        raise WorkTimeError(N_("no working hours given"))
    for group in groups:
        if not group:
            continue
        days_text, _, ranges_text = group.partition(" ")
        if not ranges_text.strip():
            raise WorkTimeError(
                N_("no hours after {days!r} (like mon-fri 09:00-17:00)"), days=days_text
            )
        ranges = _ranges(ranges_text)
        for day in _days(days_text):
            if week[day] is not None:
                raise WorkTimeError(
                    N_("{day} is given twice in {text!r}"), day=DAY_NAMES[day], text=text
                )
            week[day] = ranges
    return tuple(day or () for day in week)


def _days(text: str) -> list[int]:
    days: list[int] = []
    for part in text.lower().split(","):
        first, dash, last = part.strip().partition("-")
        start, end = _day(first), _day(last) if dash else _day(first)
        # A range may wrap the week end: "sat-mon".
        days.extend((start + n) % 7 for n in range((end - start) % 7 + 1))
    return days


def _day(text: str) -> int:
    index = _DAY_INDEX.get(text.strip()[:3])
    if index is None:
        raise WorkTimeError(
            N_("unknown day {text!r}: use mon, tue, … sun (or lun … dim)"), text=text.strip()
        )
    return index


def _ranges(text: str) -> DayHours:
    ranges = []
    for part in text.replace(" ", "").split(","):
        start_text, dash, end_text = part.partition("-")
        if not dash:
            raise WorkTimeError(
                N_("invalid hours {text!r}: use a range like 09:00-12:00"), text=part
            )
        start, end = _minutes(start_text), _minutes(end_text)
        if end <= start:
            raise WorkTimeError(
                N_("invalid hours {text!r}: the end must come after the start"), text=part
            )
        ranges.append((start, end))
    ranges.sort()
    for (_, end), (start, _) in itertools.pairwise(ranges):
        if start < end:
            raise WorkTimeError(N_("overlapping hours in {text!r}"), text=text.strip())
    return tuple(ranges)


def _minutes(text: str) -> int:
    match = _TIME.match(text)
    if not match:
        raise WorkTimeError(N_("invalid time {text!r}: use HH:MM, like 09:00"), text=text)
    minutes = int(match.group(1)) * 60 + int(match.group(2) or 0)
    if int(match.group(2) or 0) >= 60 or minutes > _MINUTES_PER_DAY:
        raise WorkTimeError(N_("invalid time {text!r}"), text=text)
    return minutes


def parse_vacation(text: str) -> tuple[date, date]:
    """An inclusive range of days off, "2026-08-03..2026-08-21", or one day, "2026-05-15"."""
    first, dots, last = text.strip().partition("..")
    try:
        start = date.fromisoformat(first.strip())
        end = date.fromisoformat(last.strip()) if dots else start
    except ValueError:
        raise WorkTimeError(
            N_("invalid vacation {text!r}: use 2026-08-03..2026-08-21 or one day, 2026-05-15"),
            text=text,
        ) from None
    if end < start:
        raise WorkTimeError(N_("invalid vacation {text!r}: it ends before it starts"), text=text)
    if (end - start).days > 366:
        raise WorkTimeError(N_("invalid vacation {text!r}: longer than a year"), text=text)
    return start, end


# --- Arithmetic --------------------------------------------------------------------------


def _local(moment: datetime, zone: tzinfo) -> date:
    return moment.astimezone(zone).date()


def _instant(day: date, minutes: int, zone: tzinfo) -> datetime:
    """The absolute moment of a local wall time (24:00 is the next midnight)."""
    extra, minutes = divmod(minutes, _MINUTES_PER_DAY)
    local = datetime.combine(day + timedelta(days=extra), time(minutes // 60, minutes % 60))
    # A wall time in a gap (spring forward) or a repeated hour (fall back) takes the offset
    # in force before the change (PEP 495, fold=0): a range's length is the real time between
    # its ends, so a 01:00-04:00 range lasts 2 h on the spring day and 4 h on the autumn one.
    return local.replace(tzinfo=zone).astimezone(UTC)


Interval = tuple[datetime, datetime]

# Each day's intervals, per calendar in use: an audit times 100,000s of replies over the same
# few hundred days, and working a day out costs ~4 zone conversions (100 µs a reply uncached).
# Keyed by identity, as the system zone (dateutil's tzlocal) cannot be hashed; the calendar is
# kept in the entry, so that its id is not reused while cached.
_DAYS: dict[int, tuple[WorkCalendar, dict[date, tuple[Interval, ...]]]] = {}
_CALENDARS_CACHED = 8


def day_intervals(calendar: WorkCalendar, day: date) -> tuple[Interval, ...]:
    """The working intervals (UTC) of one local day, in order: none on a closed day."""
    entry = _DAYS.get(id(calendar))
    if entry is None or entry[0] is not calendar:
        if len(_DAYS) >= _CALENDARS_CACHED:
            _DAYS.clear()
        entry = _DAYS[id(calendar)] = (calendar, {})
    days = entry[1]
    found = days.get(day)
    if found is None:
        found = days[day] = _work_out(calendar, day)
    return found


def _work_out(calendar: WorkCalendar, day: date) -> tuple[Interval, ...]:
    if not is_open_day(calendar, day):
        return ()
    zone = calendar.zone
    return tuple(
        (_instant(day, s, zone), _instant(day, e, zone)) for s, e in calendar.week[day.weekday()]
    )


def intervals(
    calendar: WorkCalendar, start: datetime, *, backward: bool = False
) -> Iterator[Interval]:
    """The working intervals (UTC, start < end) from the local day of `start` on, in time
    order (or in reverse with `backward`), for at most _HORIZON_DAYS days. Not clipped."""
    day = _local(start, calendar.zone)
    step = timedelta(days=-1 if backward else 1)
    for _ in range(_HORIZON_DAYS):
        found = day_intervals(calendar, day)
        yield from reversed(found) if backward else found
        day += step


def business_seconds(calendar: WorkCalendar, start: datetime, end: datetime) -> int:
    """Working time between two moments, in whole seconds: 0 when `end` is not after
    `start` or when no working time lies between them."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return 0
    total = timedelta()
    last_day = _local(end, calendar.zone)
    day = _local(start, calendar.zone)
    while day <= last_day:
        for open_at, close_at in day_intervals(calendar, day):
            low, high = max(open_at, start), min(close_at, end)
            if low < high:
                total += high - low
        day += timedelta(days=1)
    return int(total.total_seconds())


def add_business(calendar: WorkCalendar, start: datetime, seconds: float) -> datetime:
    """The moment `seconds` of working time after `start` (UTC). A positive amount always
    ends inside working hours or at a closing time, never while the owner is away.

    Raises WorkTimeError when there is not that much working time within _HORIZON_DAYS.
    """
    moment = start.astimezone(UTC)
    left = timedelta(seconds=seconds)
    if left <= timedelta():
        return moment
    for open_at, close_at in intervals(calendar, moment):
        low = max(open_at, moment)
        if low >= close_at:
            continue
        if left <= close_at - low:
            return low + left
        left -= close_at - low
    raise WorkTimeError(N_("no working time in the calendar for years ahead"))


def subtract_business(calendar: WorkCalendar, end: datetime, seconds: float) -> datetime:
    """The latest moment with `seconds` of working time between it and `end` (UTC): what
    arrived at or before it has waited that long at `end`.

    Raises WorkTimeError when there is not that much working time within _HORIZON_DAYS.
    """
    moment = end.astimezone(UTC)
    left = timedelta(seconds=seconds)
    if left <= timedelta():
        return moment
    for open_at, close_at in intervals(calendar, moment, backward=True):
        high = min(close_at, moment)
        if high <= open_at:
            continue
        if left <= high - open_at:
            return high - left
        left -= high - open_at
    raise WorkTimeError(N_("no working time in the calendar for years before"))


def add_business_days(calendar: WorkCalendar, start: datetime, days: float) -> datetime:
    """`start` plus `days` business days (`day_seconds` each)."""
    return add_business(calendar, start, days * day_seconds(calendar))


def is_open(calendar: WorkCalendar, moment: datetime) -> bool:
    """Whether `moment` falls in working hours (an opening time is in, a closing time out)."""
    moment = moment.astimezone(UTC)
    day = _local(moment, calendar.zone)
    # A range ending at 24:00 belongs to the day before.
    for d in (day - timedelta(days=1), day):
        if any(low <= moment < high for low, high in day_intervals(calendar, d)):
            return True
    return False


def next_open(calendar: WorkCalendar, moment: datetime) -> datetime:
    """`moment` when in working hours, else the next opening time (UTC)."""
    moment = moment.astimezone(UTC)
    for open_at, close_at in intervals(calendar, moment - timedelta(days=1)):
        if close_at > moment:
            return max(open_at, moment)
    raise WorkTimeError(N_("no working time in the calendar for years ahead"))
