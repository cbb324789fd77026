"""Date and Received header values → aware UTC datetimes, tolerant of what mailers write."""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from dateutil import parser as dateutil_parser

from inbox_audit.core.words import unstructured

# Dates outside this range are clock or parser accidents (epoch 0, year 2036 typos...).
_MIN_YEAR = 1980
_MAX_YEAR = 2100

#: Zone names seen in Date headers, in minutes east of UTC. Python's parser knows only the
#: US ones of RFC 822 §5; the rest would silently become UTC.
_ZONES = {
    "ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0, "west": 60, "bst": 60,
    "cet": 60, "cest": 120, "met": 60, "mest": 120, "mez": 60, "mesz": 120,
    "eet": 120, "eest": 180, "msk": 180, "ist": 330, "sgt": 480, "hkt": 480,
    "jst": 540, "kst": 540, "aest": 600, "aedt": 660, "nzst": 720, "nzdt": 780,
    "ast": -240, "adt": -180, "est": -300, "edt": -240, "cst": -360, "cdt": -300,
    "mst": -420, "mdt": -360, "pst": -480, "pdt": -420, "akst": -540, "akdt": -480,
    "hst": -600, "brt": -180, "art": -180,
}  # fmt: skip
_NUMERIC_ZONE = re.compile(r"(?<![\d:])[+-]\d{4}\b")
_COMMENT = re.compile(r"\(([^()]*)\)")
_ZONE_NAME = re.compile(r"\b([A-Za-z]{1,4})\b\s*$")
#: Localised weekday and month names dateutil does not know (fr, de, es, it, nl).
_LOCAL_MONTHS = {
    "janv": "jan", "févr": "feb", "fevr": "feb", "mars": "mar", "avr": "apr", "mai": "may",
    "juin": "jun", "juil": "jul", "août": "aug", "aout": "aug", "déc": "dec", "dez": "dec",
    "mär": "mar", "mrz": "mar", "okt": "oct", "ene": "jan", "abr": "apr", "ago": "aug",
    "dic": "dec", "gen": "jan", "mag": "may", "giu": "jun", "lug": "jul", "set": "sep",
    "ott": "oct", "mrt": "mar", "mei": "may",
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+")
_LEADING_WEEKDAY = re.compile(r"^[^\W\d_]{2,}\.?,?\s+(?=\d)")
_DATEUTIL_DEFAULT = datetime(1900, 1, 1, tzinfo=UTC)  # a missing year fails the range check
_DATEUTIL_ZONES = {name.upper(): minutes * 60 for name, minutes in _ZONES.items()}


def parse_date(text: str) -> datetime | None:
    """An RFC 5322 date (or a common deviation from it) as an aware UTC datetime."""
    # The common form, as most mailers write it, needs no clean-up of its whitespace first.
    value = _common_date(text)
    if value is None:
        text = " ".join(text.split())
        if not text:
            return None
        value = _common_date(text) or _rfc5322_date(text) or _lenient_date(text)
    if value is None or not _MIN_YEAR <= value.year <= _MAX_YEAR:
        return None
    return value


# Nearly every Date is RFC 5322 §3.3's own form, "Tue, 1 May 2001 09:00:00 +0200", maybe
# with a zone comment. For exactly that form the result is what parsedate_to_datetime gives,
# without its generic tokenising; anything else goes the long way.
_COMMON_DATE = re.compile(
    r"(?:[A-Za-z]{3}, )?(\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [12]\d{3}) "
    r"(\d\d:\d\d(?::\d\d)?) ([+-]\d{4})(?: \([^()]*\))?",
    re.ASCII,  # other scripts' digits go the long way
)
_MONTH_NUMBERS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def _common_date(text: str) -> datetime | None:
    match = _COMMON_DATE.fullmatch(text)
    if match is None:
        return None
    day, time, zone = match.groups()
    to_utc = _zoneto_utc(zone)
    if to_utc is None:
        return None
    # The local time read as UTC through one ISO 8601 string (C code, a third of the cost of
    # int() on each part and the constructor), then shifted to UTC; "HH:MM" has no seconds.
    try:
        value = datetime.fromisoformat(_iso_day(day) + time + "+00:00")
    except ValueError:  # 31 Feb, 25:00...
        return None
    return value + to_utc


# A mailbox spans a few thousand days: each is spelled out once.
@functools.lru_cache(maxsize=8192)
def _iso_day(day: str) -> str:
    """ "1 May 2001" as "2001-05-01T"."""
    number, month, year = day.split(" ")
    return f"{year}-{_MONTH_NUMBERS[month]:02d}-{int(number):02d}T"


@functools.cache  # at most 2 x 10,000 zone texts
def _zoneto_utc(zone: str) -> timedelta | None:
    """What to add to a local time in `zone` ("+0200") to get UTC; None if no valid offset."""
    minutes = int(zone[1:3]) * 60 + int(zone[3:5])
    if minutes >= 24 * 60:
        return None  # timezone() refuses it; the long way decides what the date means
    # -0000 means "UTC, zone unknown" (RFC 5322 §3.3): no shift either way.
    return timedelta(minutes=-minutes if zone[0] == "+" else minutes)


def _normalise_zone(text: str) -> str:
    """Drop comments; turn a named zone (in a comment or not) into a numeric offset."""
    comments = _COMMENT.findall(text)
    text = " ".join(_COMMENT.sub(" ", text).split())
    if _NUMERIC_ZONE.search(text):
        return text
    named = _ZONE_NAME.search(text)
    if named and named.group(1).lower() in _ZONES:
        return text[: named.start()] + _offset(_ZONES[named.group(1).lower()])
    for comment in comments:  # "Tue, 1 May 2001 09:00:00 (PST)"
        zone = comment.strip().lower()
        if zone in _ZONES:
            return f"{text} {_offset(_ZONES[zone])}"
    return text


def _offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{rest:02d}"


def _rfc5322_date(text: str) -> datetime | None:
    try:
        # A date without zone, or with -0000 (RFC 5322 §3.3: "no information"), is UTC.
        return to_utc(parsedate_to_datetime(_normalise_zone(text)))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _lenient_date(text: str) -> datetime | None:
    # A localised weekday ("mar.", "Di,") can read as a month: drop it.
    cleaned = _LEADING_WEEKDAY.sub("", _normalise_zone(text))
    cleaned = _WORD.sub(lambda m: _LOCAL_MONTHS.get(m.group(0).lower(), m.group(0)), cleaned)
    with warnings.catch_warnings():
        # dateutil warns about zone names it cannot resolve; the result is then naive
        # (treated as UTC), which is the best we can do.
        warnings.simplefilter("ignore")
        try:
            value = dateutil_parser.parse(
                cleaned, default=_DATEUTIL_DEFAULT, tzinfos=_DATEUTIL_ZONES, fuzzy=True
            )
        except (ValueError, OverflowError, TypeError, LookupError):
            return None
    try:
        return to_utc(value)
    except (ValueError, OverflowError):
        return None


def to_utc(value: datetime) -> datetime:
    """`value` in UTC; a naive one is taken to be in UTC already."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def first_date(values: Sequence[str]) -> datetime | None:
    """The first Date value that parses; `values` holds one or more."""
    for value in values:
        # parse_date collapses whitespace itself; unique dates would only churn the cache.
        parsed = parse_date(unstructured(value) if "=?" in value else value)
        if parsed is not None:
            return parsed
    return None


def received_date(values: Sequence[str]) -> datetime | None:
    """The date of the topmost Received field: when the message reached this mailbox."""
    # RFC 5321 §4.4: each relay prepends its Received line, so the topmost one is the
    # delivery into this mailbox; its date follows the last ";".
    if not values or ";" not in values[0]:
        return None
    return parse_date(values[0].rpartition(";")[2])
