"""What the scheduled job leaves in the state directory: its last outcome and its missed nights.

`schedule --check` reads the outcome to say what the owner received; the nights whose email
could not be sent are listed in the next email that goes through, then forgotten.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path

from inbox_audit import i18n
from inbox_audit.app.console import worded
from inbox_audit.app.credentials import write_private
from inbox_audit.errors import ExitCode, InboxAuditError
from inbox_audit.i18n import _, ngettext

LAST_RUN = "last-run.json"
MISSED = "missed-nights.json"


@dataclass(frozen=True)
class Outcome:
    """How the last scheduled run ended, as the owner would see it."""

    at: str  # ISO 8601, the run's moment
    exit_code: int
    emailed_to: str | None  # who got an email (the report or the failure notice); None: nobody
    problems: tuple[str, ...] = ()  # what went wrong, each with its hint


def save_outcome(state_dir: Path, outcome: Outcome) -> None:
    """Replace the last outcome; a state directory that cannot be written is not worth a
    failed run (the exit code and stderr still say it)."""
    _write(state_dir / LAST_RUN, json.dumps(asdict(outcome), indent=1))


def load_outcome(state_dir: Path) -> Outcome | None:
    """The last scheduled run's outcome, None when there was none (or it is unreadable)."""
    try:
        data = json.loads((state_dir / LAST_RUN).read_text(encoding="utf-8"))
        return Outcome(**{**data, "problems": tuple(data.get("problems", ()))})
    except (OSError, ValueError, TypeError):
        return None


def outcome_stamp(state_dir: Path) -> int | None:
    """When the last outcome was written (ns), to tell a new one from the one before."""
    try:
        return (state_dir / LAST_RUN).stat().st_mtime_ns
    except OSError:
        return None


def missed_nights(state_dir: Path) -> list[date]:
    """The dates of the scheduled runs whose email was not delivered, oldest first."""
    try:
        data = json.loads((state_dir / MISSED).read_text(encoding="utf-8"))
        return sorted({date.fromisoformat(day) for day in data if isinstance(day, str)})
    except (OSError, ValueError, TypeError):
        return []


def add_missed_night(state_dir: Path, day: date) -> None:
    """Remember that the report of `day` did not reach the owner."""
    days = {*missed_nights(state_dir), day}
    _write(state_dir / MISSED, json.dumps(sorted(d.isoformat() for d in days)))


def forget_missed_nights(state_dir: Path) -> None:
    """The owner was told: the next email starts afresh."""
    (state_dir / MISSED).unlink(missing_ok=True)


def missed_lines(state_dir: Path) -> list[str]:
    """The email's lines about the nights it replaces ([] when there were none)."""
    days = missed_nights(state_dir)
    if not days:
        return []
    return [
        ngettext(
            "the nightly summary was not emailed on {days}: that report is in {path}",
            "the nightly summary was not emailed on {days}: those reports are in {path}",
            len(days),
        ).format(days=", ".join(i18n.day(d) for d in days), path=state_dir / "undelivered")
    ]


class Night:
    """The scheduled run's record: what `schedule --check` reports and the next email tells."""

    def __init__(self, state_dir: Path, moment: datetime) -> None:
        self.state_dir = state_dir
        self.moment = moment
        self.emailed_to: str | None = None
        self.problems: list[str] = []

    def missed(self) -> list[str]:
        return missed_lines(self.state_dir)

    def delivered(self, to: str) -> None:
        forget_missed_nights(self.state_dir)
        self.emailed_to = to

    def undelivered(self, error: InboxAuditError) -> None:
        add_missed_night(self.state_dir, self.moment.date())
        self.failed(error)

    def failed(self, error: InboxAuditError) -> None:
        said, hint = worded(error)
        self.problems.append(said + (_(" (hint: {hint})").format(hint=hint) if hint else ""))

    def save(self, code: ExitCode) -> None:
        outcome = Outcome(
            at=self.moment.isoformat(),
            exit_code=int(code),
            emailed_to=self.emailed_to,
            problems=tuple(self.problems),
        )
        save_outcome(self.state_dir, outcome)


def _write(path: Path, text: str) -> None:
    with contextlib.suppress(OSError):  # the run's own output already tells what happened
        write_private(path, text)
