"""Audit settings (a frozen value built once by the CLI) and parsing of durations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo
from enum import StrEnum

from dateutil import tz

from inbox_audit.errors import N_, UsageError


class DraftMode(StrEnum):
    """Which waiting threads get a draft: `--save-drafts` (overdue) or `--save-drafts=all`."""

    OVERDUE = "overdue"
    ALL = "all"


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """Parse '24h', '4h', '2d', '90m', '1.5d' (a bare number means hours)."""
    match = _DURATION.match(text)
    if not match:
        raise UsageError(
            N_("invalid duration {text!r}"),
            hint=N_("use a number and a unit: 4h, 24h, 2d, 90m"),
            values={"text": text},
        )
    value = float(match.group(1))
    unit = (match.group(2) or "h").lower()
    seconds = value * _UNIT_SECONDS[unit]
    if seconds <= 0:
        raise UsageError(N_("duration must be positive: {text!r}"), values={"text": text})
    return timedelta(seconds=seconds)


_BUSINESS = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(?:(?:business|working)\s+(hour|day)s?|b(h|d))\s*$", re.IGNORECASE
)


def parse_business_duration(text: str) -> tuple[float, str] | None:
    """Parse a business-time SLA, '4 business hours', '1 business day', '8bh', '1bd'
    ('working' for 'business' too): (amount, "h" or "d"); None for any other text."""
    match = _BUSINESS.match(text)
    if not match:
        return None
    value = float(match.group(1))
    if value <= 0:
        raise UsageError(N_("duration must be positive: {text!r}"), values={"text": text})
    return value, (match.group(2) or match.group(3)).lower()[0]


#: One day's opening ranges, in minutes after local midnight: ((540, 720), (840, 1080)).
DayHours = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class WorkCalendar:
    """When the owner works: opening ranges per weekday in a zone, minus closed days.

    `closed_days` are the owner's days off and vacations, already spread into dates;
    `holidays` is a country code for the `holidays` package ("FR", "FR-57"), resolved per
    year when needed (core/worktime.py holiday_dates). Everything is in `zone`'s local time.
    """

    week: tuple[DayHours, ...]  # seven entries, Monday first
    zone: tzinfo
    holidays: str | None = None
    vacations: tuple[tuple[date, date], ...] = ()  # inclusive ranges, in the order given
    closed_days: frozenset[date] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The vacations are what the repr (the snapshot key) shows of the closed days.
        days = frozenset(
            start + timedelta(days=n)
            for start, end in self.vacations
            for n in range((end - start).days + 1)
        )
        object.__setattr__(self, "closed_days", days)


@dataclass(frozen=True)
class Settings:
    """What the pure core needs to know besides the mail itself."""

    sla: timedelta = timedelta(hours=24)
    me: tuple[str, ...] = ()  # lower-cased addresses given with --me
    sent_folder: str | None = None  # --sent-folder override
    skip_folders: tuple[str, ...] = ()  # folders never scanned, besides Drafts/Trash/Junk
    lang: str | None = None  # force the holding replies' language ("fr" / "en")
    tz: tzinfo = field(default_factory=tz.tzlocal)  # owner's zone, for promises and display
    # How far apart a customer message and a reply without threading headers may be and still
    # be paired by subject and correspondent.
    subject_window: timedelta = timedelta(days=21)
    # The owner's own language ("fr" / "en"): holding replies to customers whose language the
    # signs cannot tell are written in it (config `lang`, else the locale).
    owner_lang: str = "en"
    # Domains whose mail is a colleague's, besides those of `me` (--internal-domain).
    internal_domains: tuple[str, ...] = ()
    # When the owner works (core/worktime.py does the arithmetic); None: the clock never stops.
    calendar: WorkCalendar | None = None
    # Whether the SLA counts working time only ("4 business hours"); needs a calendar.
    sla_business: bool = False
    # The owner's holding-reply templates, (language, text) pairs from the config directory
    # (core.templates.PLACEHOLDERS); none: the built-in wording.
    templates: tuple[tuple[str, str], ...] = ()

    @property
    def sla_calendar(self) -> WorkCalendar | None:
        """The calendar the SLA is counted in: None when it is wall-clock time."""
        return self.calendar if self.sla_business else None
