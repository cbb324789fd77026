"""When the holding reply promises an answer, and how it words the promise."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

from inbox_audit.core.worktime import WorkTimeError, add_business, day_intervals, is_open
from inbox_audit.settings import WorkCalendar

WORKDAY_START = time(9, 0)
WORKDAY_END = time(17, 0)
#: Working time the owner gets before the promised answer.
MIN_WORKING_TIME = timedelta(hours=4)
#: When answers are promised: noon or end of day, Monday to Friday.
PROMISE_SLOTS = (time(12, 0), time(17, 0))


def _next_workday_start(day: datetime) -> datetime:
    day = datetime.combine(day.date() + timedelta(days=1), WORKDAY_START)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def promise_time(as_of: datetime, tz: tzinfo, calendar: WorkCalendar | None = None) -> datetime:
    """The first noon or 17:00 on a weekday after at least 4 working hours (Mon–Fri 9:00–17:00).

    With the owner's `calendar`, its working hours, holidays and vacations instead: the first
    noon (when open just before it) or closing time after 4 hours of its working time, so
    never a moment the shop is closed (`calendar_promise`).

    Worked in the owner's wall-clock time, so a daylight-saving change in between does not move
    the promise off noon. Tuesday 10:00 → Tuesday 17:00; Tuesday 14:00 → Wednesday noon;
    Friday 16:00 → Monday noon; Saturday → Monday 17:00. Public holidays are not known.
    """
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("as_of must be timezone-aware")
    if calendar is not None:
        try:
            return calendar_promise(as_of, calendar)
        except WorkTimeError:  # vacations end to end for years: the weekday promise then
            pass
    now = as_of.astimezone(tz).replace(tzinfo=None, fold=0)
    if now.weekday() >= 5 or now.time() >= WORKDAY_END:
        now = _next_workday_start(now)
    elif now.time() < WORKDAY_START:
        now = datetime.combine(now.date(), WORKDAY_START)
    remaining = MIN_WORKING_TIME
    while True:
        left_today = datetime.combine(now.date(), WORKDAY_END) - now
        if remaining <= left_today:
            due = now + remaining
            break
        remaining -= left_today
        now = _next_workday_start(now)
    slot = next(s for s in PROMISE_SLOTS if due.time() <= s)  # due is at most WORKDAY_END
    return datetime.combine(due.date(), slot, tzinfo=tz)


def calendar_promise(as_of: datetime, calendar: WorkCalendar) -> datetime:
    """`promise_time` in the owner's calendar (see there), in its zone."""
    due = add_business(calendar, as_of, MIN_WORKING_TIME.total_seconds())
    zone = calendar.zone
    day = due.astimezone(zone).date()
    # The day's closing times, and noon when open just before it: a promise "by noon"
    # reads better than "by 11:30", and one at a closing time is kept before leaving.
    noon = datetime.combine(day, PROMISE_SLOTS[0], tzinfo=zone)
    slots = [noon] if is_open(calendar, noon - timedelta(seconds=1)) else []
    slots += [close.astimezone(zone) for _, close in day_intervals(calendar, day)]
    # `due` ends a stretch of working time: its own range's closing time is at or after it.
    return min(slot for slot in slots if slot >= due)


_WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
}

_MONTHS = {
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ),
}  # fmt: skip


def say_promise(promised_by: datetime, as_of: datetime, tz: tzinfo, lang: str) -> str:
    """'by tomorrow noon', 'by Monday 5 pm', 'd'ici jeudi midi', 'd'ici 17 h aujourd'hui'."""
    local = promised_by.astimezone(tz)
    days_ahead = (local.date() - as_of.astimezone(tz).date()).days
    if lang == "fr":
        hour = "midi" if local.hour == 12 and local.minute == 0 else _french_hour(local)
        if days_ahead == 0:
            return f"d'ici {hour} aujourd'hui"
        day = "demain" if days_ahead == 1 else _WEEKDAYS["fr"][local.weekday()]
        if days_ahead > 6:
            day += f" {local.day} {_MONTHS['fr'][local.month - 1]}"
        return f"d'ici {day} {hour}"
    hour = "noon" if local.hour == 12 and local.minute == 0 else _english_hour(local)
    if days_ahead == 0:
        return f"by {hour} today"
    day = "tomorrow" if days_ahead == 1 else _WEEKDAYS["en"][local.weekday()]
    if days_ahead > 6:
        day += f" {local.day} {_MONTHS['en'][local.month - 1]}"
    return f"by {day} {hour}"


# One audit writes every reply with the same as_of and tz objects: the last promise per
# language is remembered, for those very objects (dateutil's tzlocal cannot be hashed).
_LAST_PROMISE: dict[str, tuple[datetime, tzinfo, WorkCalendar | None, datetime, str]] = {}


def promised(
    as_of: datetime, tz: tzinfo, language: str, calendar: WorkCalendar | None
) -> tuple[datetime, str]:
    """promise_time() and its wording by say_promise()."""
    last = _LAST_PROMISE.get(language)
    if last is not None and last[0] is as_of and last[1] is tz and last[2] is calendar:
        return last[3], last[4]
    promised_by = promise_time(as_of, tz, calendar)
    wording = say_promise(promised_by, as_of, tz, language)
    _LAST_PROMISE[language] = (as_of, tz, calendar, promised_by, wording)
    return promised_by, wording


def _french_hour(moment: datetime) -> str:
    return f"{moment.hour} h" + (f" {moment.minute:02d}" if moment.minute else "")


def _english_hour(moment: datetime) -> str:
    hour12 = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour12}:{moment.minute:02d} {suffix}" if moment.minute else f"{hour12} {suffix}"
