"""Business-time arithmetic: opening hours, holidays, vacations and summer time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inbox_audit.core.worktime import (
    WorkTimeError,
    add_business,
    add_business_days,
    business_seconds,
    day_seconds,
    describe,
    holiday_dates,
    is_open,
    next_open,
    parse_hours,
    parse_vacation,
    subtract_business,
)
from inbox_audit.settings import WorkCalendar, parse_business_duration
from tests.builders import PARIS

TORONTO = ZoneInfo("America/Toronto")


def cal(
    hours: str = "mon-fri 09:00-17:00",
    zone: ZoneInfo = PARIS,
    holidays: str | None = None,
    vacations: tuple[str, ...] = (),
) -> WorkCalendar:
    return WorkCalendar(
        parse_hours(hours), zone, holidays, tuple(parse_vacation(v) for v in vacations)
    )


def at(text: str, zone: ZoneInfo = PARIS) -> datetime:
    """A local wall time "2026-03-02 08:30" in `zone`."""
    return datetime.fromisoformat(text).replace(tzinfo=zone)


H = 3600
SPLIT = "mon-fri 09:00-12:00,14:00-18:00"

# (case, calendar, start, end, business seconds). 2026-03-02 is a Monday.
BUSINESS_CASES = [
    # The examples help desks publish for 9-17 hours.
    ("arrives 08:30, answered 09:15", cal(), "2026-03-02 08:30", "2026-03-02 09:15", 15 * 60),
    ("16:30, answered next day 10:30", cal(), "2026-03-02 16:30", "2026-03-03 10:30", 2 * H),
    ("Saturday, answered Sunday", cal(), "2026-03-07 10:00", "2026-03-08 15:00", 0),
    ("Friday 18:00 to Monday 09:30", cal(), "2026-03-06 18:00", "2026-03-09 09:30", 30 * 60),
    ("within the day", cal(), "2026-03-02 10:00", "2026-03-02 11:30", 90 * 60),
    ("evening to evening", cal(), "2026-03-02 19:00", "2026-03-02 23:00", 0),
    ("evening to next morning", cal(), "2026-03-02 19:00", "2026-03-03 09:45", 45 * 60),
    ("spans a week", cal(), "2026-03-02 09:00", "2026-03-09 09:00", 5 * 8 * H),
    ("answered before it came", cal(), "2026-03-02 11:00", "2026-03-02 10:00", 0),
    ("lunch break left out", cal(SPLIT), "2026-03-02 11:00", "2026-03-02 15:00", 2 * H),
    ("asked and answered at lunch", cal(SPLIT), "2026-03-02 12:10", "2026-03-02 13:50", 0),
    ("weekend to Monday lunch", cal(SPLIT), "2026-03-07 10:00", "2026-03-09 13:00", 3 * H),
    # 2026-05-01 (Friday) is Labour Day in France; 2026-05-08 (Friday) Victory Day.
    ("holiday", cal(holidays="FR"), "2026-04-30 16:00", "2026-05-04 10:00", 2 * H),
    ("holiday not kept", cal(), "2026-04-30 16:00", "2026-05-04 10:00", 10 * H),
    # Good Friday (2026-04-03) is a holiday in Moselle (FR-57), not in the rest of France.
    ("regional holiday", cal(holidays="FR-57"), "2026-04-02 17:00", "2026-04-07 09:00", 0),
    ("not that region's", cal(holidays="FR"), "2026-04-02 17:00", "2026-04-07 09:00", 8 * H),
    (
        "vacation",
        cal(vacations=("2026-08-03..2026-08-21",)),
        "2026-07-31 16:00",
        "2026-08-24 10:00",
        2 * H,
    ),
    ("a day off", cal(vacations=("2026-03-03",)), "2026-03-02 16:00", "2026-03-04 10:00", 2 * H),
    # Summer time starts on 2026-03-29 (Sunday) in Paris: 02:00 -> 03:00.
    (
        "Paris spring, night hours",
        cal("sun 01:00-04:00"),
        "2026-03-29 00:00",
        "2026-03-29 05:00",
        2 * H,
    ),
    # ... and ends on 2026-10-25 (Sunday): 03:00 -> 02:00, an hour lived twice.
    (
        "Paris autumn, night hours",
        cal("sun 01:00-04:00"),
        "2026-10-25 00:00",
        "2026-10-25 05:00",
        4 * H,
    ),
    ("Paris spring, office hours", cal(), "2026-03-27 16:00", "2026-03-30 10:00", 2 * H),
    ("Paris autumn, office hours", cal(), "2026-10-23 16:00", "2026-10-26 10:00", 2 * H),
    # Toronto: summer time starts 2026-03-08, ends 2026-11-01 (both Sundays, at 02:00).
    (
        "Toronto spring",
        cal("sun 00:00-24:00", TORONTO),
        "2026-03-08 00:00",
        "2026-03-09 00:00",
        23 * H,
    ),
    (
        "Toronto autumn",
        cal("sun 00:00-24:00", TORONTO),
        "2026-11-01 00:00",
        "2026-11-02 00:00",
        25 * H,
    ),
    (
        "Toronto weekdays across the change",
        cal("mon-fri 09:00-17:00", TORONTO),
        "2026-03-06 16:00",
        "2026-03-09 10:00",
        2 * H,
    ),
]


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected"),
    [case[1:] for case in BUSINESS_CASES],
    ids=[case[0] for case in BUSINESS_CASES],
)
def test_business_seconds(calendar: WorkCalendar, start: str, end: str, expected: int) -> None:
    zone = calendar.zone
    assert isinstance(zone, ZoneInfo)
    assert business_seconds(calendar, at(start, zone), at(end, zone)) == expected


def test_business_seconds_ignores_the_zone_of_its_arguments() -> None:
    start = at("2026-03-02 08:30").astimezone(UTC)
    end = at("2026-03-02 09:15").astimezone(TORONTO)
    assert business_seconds(cal(), start, end) == 15 * 60


# (case, calendar, start, amount in seconds, expected local end)
ADD_CASES = [
    ("within the day", cal(), "2026-03-02 10:00", 2 * H, "2026-03-02 12:00"),
    ("to closing time", cal(), "2026-03-02 10:00", 7 * H, "2026-03-02 17:00"),
    ("into the next day", cal(), "2026-03-02 16:00", 2 * H, "2026-03-03 10:00"),
    ("from the evening", cal(), "2026-03-02 20:00", 4 * H, "2026-03-03 13:00"),
    ("over the weekend", cal(), "2026-03-06 15:00", 4 * H, "2026-03-09 11:00"),
    ("over lunch", cal(SPLIT), "2026-03-02 11:00", 2 * H, "2026-03-02 15:00"),
    ("over a holiday", cal(holidays="FR"), "2026-04-30 16:00", 2 * H, "2026-05-04 10:00"),
    ("nothing to add", cal(), "2026-03-07 10:00", 0, "2026-03-07 10:00"),
    ("Paris spring", cal(), "2026-03-27 16:00", 2 * H, "2026-03-30 10:00"),
]


@pytest.mark.parametrize(
    ("calendar", "start", "amount", "expected"),
    [case[1:] for case in ADD_CASES],
    ids=[case[0] for case in ADD_CASES],
)
def test_add_business(calendar: WorkCalendar, start: str, amount: int, expected: str) -> None:
    assert add_business(calendar, at(start), amount) == at(expected)


@pytest.mark.parametrize(
    ("calendar", "start", "amount", "expected"),
    [case[1:] for case in ADD_CASES if case[3] > 0],
    ids=[case[0] for case in ADD_CASES if case[3] > 0],
)
def test_subtract_business_undoes_add(
    calendar: WorkCalendar, start: str, amount: int, expected: str
) -> None:
    back = subtract_business(calendar, at(expected), amount)
    # Back to the start, or to the opening time the start waited for.
    assert back == next_open(calendar, at(start))


def test_subtract_business_is_the_overdue_cut() -> None:
    # At Monday 10:00 with a 1 h business SLA, all that came by Monday 09:00 has waited it:
    # the weekend's mail too.
    calendar = cal()
    cut = subtract_business(calendar, at("2026-03-09 10:00"), H)
    assert cut == at("2026-03-09 09:00")
    assert business_seconds(calendar, at("2026-03-07 12:00"), at("2026-03-09 10:00")) == H


def test_add_business_days() -> None:
    calendar = cal("mon-thu 09:00-18:00; fri 09:00-16:00")
    assert day_seconds(calendar) == 9 * H
    assert add_business_days(calendar, at("2026-03-05 12:00"), 1) == at("2026-03-06 12:00")


@pytest.mark.parametrize(
    ("moment", "expected_open", "expected_next"),
    [
        ("2026-03-02 08:59", False, "2026-03-02 09:00"),
        ("2026-03-02 09:00", True, "2026-03-02 09:00"),
        ("2026-03-02 12:30", False, "2026-03-02 14:00"),
        ("2026-03-02 18:00", False, "2026-03-03 09:00"),
        ("2026-03-06 19:00", False, "2026-03-09 09:00"),
        ("2026-03-07 11:00", False, "2026-03-09 09:00"),
    ],
)
def test_is_open_and_next_open(moment: str, expected_open: bool, expected_next: str) -> None:
    calendar = cal(SPLIT)
    assert is_open(calendar, at(moment)) is expected_open
    assert next_open(calendar, at(moment)) == at(expected_next)


def test_a_range_to_midnight_is_open_until_it() -> None:
    calendar = cal("fri 20:00-24:00")
    assert is_open(calendar, at("2026-03-06 23:59"))
    assert not is_open(calendar, at("2026-03-07 00:00"))
    assert business_seconds(calendar, at("2026-03-06 22:00"), at("2026-03-07 02:00")) == 2 * H


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon-fri 09:00-17:00", "mon-fri 09:00-17:00"),
        ("mon-fri 09:00-12:00,14:00-18:00", "mon-fri 09:00-12:00,14:00-18:00"),
        ("mon-thu 09:00-18:00; fri 09:00-16:00", "mon-thu 09:00-18:00; fri 09:00-16:00"),
        ("lun-ven 9h-12h, 14h-18h30", "mon-fri 09:00-12:00,14:00-18:30"),
        ("mon,wed,fri 9:00-12:00", "mon 09:00-12:00; wed 09:00-12:00; fri 09:00-12:00"),
        ("sat-mon 10:00-11:00", "mon 10:00-11:00; sat-sun 10:00-11:00"),
        ("Monday 08:00-24:00", "mon 08:00-24:00"),
        ("mon-fri 9-17", "mon-fri 09:00-17:00"),
    ],
)
def test_parse_hours(text: str, expected: str) -> None:
    assert describe(WorkCalendar(parse_hours(text), PARIS)) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no working hours"),
        ("mon-fri", "no hours after"),
        ("mo-fr 09:00-17:00", "unknown day"),
        ("mon-fri 9.00-17", "invalid time"),
        ("mon-fri 17:00-09:00", "end must come after"),
        ("mon-fri 09:00-13:00,12:00-18:00", "overlapping"),
        ("mon-fri 09:00-17:00; fri 09:00-12:00", "fri is given twice"),
        ("mon 09:00-25:00", "invalid time"),
        ("mon 09:75-10:00", "invalid time"),
        ("mon 09:00", "use a range"),
    ],
)
def test_parse_hours_rejects(text: str, message: str) -> None:
    with pytest.raises(WorkTimeError, match=message):
        parse_hours(text)


def test_parse_vacation() -> None:
    assert parse_vacation("2026-08-03..2026-08-21") == (date(2026, 8, 3), date(2026, 8, 21))
    assert parse_vacation("2026-05-15") == (date(2026, 5, 15), date(2026, 5, 15))
    for bad in ("2026-08-21..2026-08-03", "August", "2026-01-01..2028-01-01"):
        with pytest.raises(WorkTimeError, match="invalid vacation"):
            parse_vacation(bad)


def test_holiday_dates() -> None:
    assert date(2026, 7, 14) in holiday_dates("FR", 2026)
    assert date(2026, 4, 3) in holiday_dates("FR-57", 2026)
    assert date(2026, 4, 3) not in holiday_dates("FR", 2026)
    assert date(2026, 7, 1) in holiday_dates("CA", 2026)
    with pytest.raises(WorkTimeError, match="unknown holiday calendar"):
        holiday_dates("XX", 2026)
    with pytest.raises(WorkTimeError, match="unknown holiday calendar"):
        holiday_dates("FR-99", 2026)


def test_the_calendar_repr_names_what_shapes_it() -> None:
    # The snapshot key is the settings' repr: a change of hours, holidays or vacations
    # must show in it.
    one = cal(SPLIT, holidays="FR", vacations=("2026-08-03..2026-08-21",))
    assert repr(one) != repr(cal(SPLIT, holidays="FR"))
    assert repr(one) != repr(cal(holidays="FR", vacations=("2026-08-03..2026-08-21",)))
    assert repr(one) != repr(cal(SPLIT, vacations=("2026-08-03..2026-08-21",)))
    assert repr(one) == repr(cal(SPLIT, holidays="FR", vacations=("2026-08-03..2026-08-21",)))


# --- Properties -------------------------------------------------------------------------

_moments = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001 (hypothesis draws naive; zoned below)
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
_CALENDARS = [cal(), cal(SPLIT, holidays="FR"), cal("sun 01:00-04:00; wed 00:00-24:00", TORONTO)]


@given(st.sampled_from(_CALENDARS), _moments, _moments, _moments)
def test_business_time_adds_up(
    calendar: WorkCalendar, one: datetime, two: datetime, three: datetime
) -> None:
    a, b, c = sorted((one, two, three))
    assert business_seconds(calendar, a, c) - (
        business_seconds(calendar, a, b) + business_seconds(calendar, b, c)
    ) in (-1, 0, 1)  # whole seconds, each rounded down


@given(st.sampled_from(_CALENDARS), _moments, _moments)
def test_business_time_is_at_most_wall_time(
    calendar: WorkCalendar, start: datetime, end: datetime
) -> None:
    assert 0 <= business_seconds(calendar, start, end) <= max(0, (end - start).total_seconds())


@given(st.sampled_from(_CALENDARS), _moments, st.integers(min_value=1, max_value=200 * H))
def test_adding_lands_in_working_time(calendar: WorkCalendar, start: datetime, amount: int) -> None:
    end = add_business(calendar, start, amount)
    assert business_seconds(calendar, start, end) == amount
    # Inside working hours, or at a closing time: just before it, the owner was working.
    assert is_open(calendar, end - timedelta(seconds=1))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4 business hours", (4.0, "h")),
        ("1 business day", (1.0, "d")),
        ("2 Working Days", (2.0, "d")),
        ("8bh", (8.0, "h")),
        ("1.5 bd", (1.5, "d")),
        ("24h", None),
        ("2d", None),
    ],
)
def test_parse_business_duration(text: str, expected: tuple[float, str] | None) -> None:
    assert parse_business_duration(text) == expected
