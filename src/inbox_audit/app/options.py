"""The command line's shared pieces: the options' value names in --help (in the owner's
language) and the options several commands declare alike, each declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from inbox_audit.i18n import _

# The options' value names in --help, in the owner's language (typer's own are English).
_FILE = _("<file>")
_DIRECTORY = _("<directory>")
_NAME = _("<name>")
_ADDRESS = _("<address>")
_MOMENT = _("<moment>")
_DURATION = _("<duration>")
_FOLDER = _("<folder>")
_ZONE = _("<zone>")
_AWAITING_HELP = _("Business days of silence after which a conversation awaits their reply.")
_HOURS = _("<hours>")
_COUNTRY = _("<country>")
_DAYS = _("<days>")

_URL = _("<url>")
_SECONDS = _("<seconds>")
_DOMAIN = _("<domain>")

# Options several commands share (audit and stats; init for the CA files), declared once.
SourceArg = Annotated[
    str | None,
    typer.Argument(
        help=_(
            "imaps://USER@HOST[:PORT], imap://USER@HOST[:PORT] (STARTTLS), "
            "or a path to an mbox file or Maildir folder. "
            "Default: the config file's default (or only) account."
        ),
        show_default=False,
    ),
]

ConfigPathOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar=_FILE,
        help=_("Configuration file (default: $XDG_CONFIG_HOME/inbox-audit/config.toml)."),
        dir_okay=False,
    ),
]

AccountOption = Annotated[
    str | None,
    typer.Option("--account", metavar=_NAME, help=_("Audit this [accounts.NAME] of the config.")),
]

MeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--me",
        metavar=_ADDRESS,
        help=_("Your address or alias (repeatable). Also detected from Sent."),
    ),
]

SentFolderOption = Annotated[
    str | None,
    typer.Option(
        "--sent-folder", metavar=_FOLDER, help=_("Name of the Sent folder, if not detected.")
    ),
]

SkipFolderOption = Annotated[
    list[str] | None,
    typer.Option("--skip-folder", metavar=_FOLDER, help=_("A folder not to scan (repeatable).")),
]

TimezoneOption = Annotated[
    str | None,
    typer.Option(
        "--timezone",
        metavar=_ZONE,
        help=_("Your time zone, e.g. Europe/Paris (default: system)."),
    ),
]

CaFileOption = Annotated[
    Path | None,
    typer.Option(
        "--ca-file",
        metavar=_FILE,
        help=_("Also trust this CA or certificate (PEM)."),
        dir_okay=False,
    ),
]

SmtpCaFileOption = Annotated[
    Path | None,
    typer.Option(
        "--smtp-ca-file",
        metavar=_FILE,
        help=_("Also trust this CA for SMTP (PEM)."),
        dir_okay=False,
    ),
]

AllowPlaintextOption = Annotated[
    bool,
    typer.Option("--allow-plaintext", help=_("Allow imap:// without STARTTLS (unsafe).")),
]

TimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        metavar=_SECONDS,
        help=_("Seconds to wait on connect and each read. [default: 30]"),
        min=1,
    ),
]

NoCacheOption = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help=_(
            "Read the whole mailbox and write no cache "
            "(default: only what changed since the last run, cached in "
            "$XDG_CACHE_HOME/inbox-audit or ~/.cache/inbox-audit)."
        ),
    ),
]

QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help=_("No progress bar."))]

AwaitingDaysOption = Annotated[int, typer.Option("--awaiting-days", help=_AWAITING_HELP, min=1)]

InternalDomainOption = Annotated[
    list[str] | None,
    typer.Option(
        "--internal-domain",
        metavar=_DOMAIN,
        help=_("Your colleagues' domain (repeatable), besides your addresses' own."),
    ),
]

WorkingHoursOption = Annotated[
    str | None,
    typer.Option(
        "--working-hours",
        metavar=_HOURS,
        help=_(
            'When you work: "mon-fri 09:00-12:00,14:00-18:00" (groups separated by ;). '
            "Response times are then also counted in working time."
        ),
    ),
]

HolidaysOption = Annotated[
    str | None,
    typer.Option(
        "--holidays",
        metavar=_COUNTRY,
        help=_("Public holidays off: a country (FR) or region (FR-57)."),
    ),
]

VacationOption = Annotated[
    list[str] | None,
    typer.Option(
        "--vacation",
        metavar=_DAYS,
        help=_("Days off: 2026-08-03..2026-08-21 or one day (repeatable)."),
    ),
]
