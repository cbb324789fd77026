"""Audit settings (a frozen value built once by the CLI) and parsing of durations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta, tzinfo

from dateutil import tz

from inbox_audit.errors import UsageError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """Parse '24h', '4h', '2d', '90m', '1.5d' (a bare number means hours)."""
    match = _DURATION.match(text)
    if not match:
        raise UsageError(
            f"invalid duration {text!r}", hint="use a number and a unit: 4h, 24h, 2d, 90m"
        )
    value = float(match.group(1))
    unit = (match.group(2) or "h").lower()
    seconds = value * _UNIT_SECONDS[unit]
    if seconds <= 0:
        raise UsageError(f"duration must be positive: {text!r}")
    return timedelta(seconds=seconds)


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
