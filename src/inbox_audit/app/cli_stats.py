"""The command line's stats command: response-time figures for a period."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from inbox_audit.app.cli import (
    _ADDRESS,
    _AWAITING_HELP,
    _DIRECTORY,
    _DURATION,
    _FILE,
    _FOLDER,
    _MOMENT,
    _NAME,
    _SECONDS,
    _ZONE,
    HolidaysOption,
    InternalDomainOption,
    Language,
    VacationOption,
    WorkingHoursOption,
    _Command,
    _fail,
    _interrupted,
    app,
    parse_as_of,
)
from inbox_audit.app.config import load_config
from inbox_audit.app.console import warn
from inbox_audit.app.deadline import deadline_of
from inbox_audit.app.lock import run_lock
from inbox_audit.app.resolve import Flags, resolve
from inbox_audit.app.run import StatsFormat, run_stats
from inbox_audit.core.awaiting import AWAITING_DAYS
from inbox_audit.errors import AlreadyRunning, DeadlineExceeded, InboxAuditError, UsageError
from inbox_audit.i18n import _

# --- stats: the figures owners compare ------------------------------------------------------


@app.command(
    "stats",
    cls=_Command,
    help=_(
        "Response-time figures for a period: median, mean and 90th percentile, first "
        "responses, the share within the SLA, a histogram, 1/7/28-day windows beside the "
        "period before, a weekly trend, who was kept waiting longest, and the conversations "
        "awaiting their reply.\n\n"
        "The period ends at --until (the mailbox as it was then; default now) and starts at "
        "--since (default 28 days before). Reads the mailbox like audit, through the same "
        "cache; exit code 0 when the figures are told."
    ),
)
def stats_command(
    source: Annotated[
        str | None,
        typer.Argument(
            help=_(
                "imaps://USER@HOST[:PORT], imap://USER@HOST[:PORT] (STARTTLS), "
                "or a path to an mbox file or Maildir folder. "
                "Default: the config file's default (or only) account."
            ),
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar=_MOMENT,
            help=_("Start of the period, ISO 8601 (default: 28 days before its end)."),
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until", metavar=_MOMENT, help=_("End of the period, ISO 8601 (default: now).")
        ),
    ] = None,
    weeks: Annotated[
        int, typer.Option("--weeks", help=_("Weeks of the weekly trend."), min=1, max=520)
    ] = 12,
    awaiting_days: Annotated[
        int, typer.Option("--awaiting-days", help=_AWAITING_HELP, min=1)
    ] = AWAITING_DAYS,
    output_format: Annotated[
        StatsFormat,
        typer.Option("--format", help=_("Output on stdout."), case_sensitive=False),
    ] = StatsFormat.TABLE,
    config_path: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar=_FILE,
            help=_("Configuration file (default: $XDG_CONFIG_HOME/inbox-audit/config.toml)."),
            dir_okay=False,
        ),
    ] = None,
    account: Annotated[
        str | None,
        typer.Option(
            "--account", metavar=_NAME, help=_("Audit this [accounts.NAME] of the config.")
        ),
    ] = None,
    me: Annotated[
        list[str] | None,
        typer.Option(
            "--me",
            metavar=_ADDRESS,
            help=_("Your address or alias (repeatable). Also detected from Sent."),
        ),
    ] = None,
    sla: Annotated[
        str | None,
        typer.Option(
            "--sla",
            metavar=_DURATION,
            help=_("Answer within this long: 24h, 4h, 2d... [default: 24h]"),
        ),
    ] = None,
    lang: Annotated[
        Language | None,
        typer.Option("--lang", help=_("Follow-ups in this language (default: the customer's).")),
    ] = None,
    sent_folder: Annotated[
        str | None,
        typer.Option(
            "--sent-folder", metavar=_FOLDER, help=_("Name of the Sent folder, if not detected.")
        ),
    ] = None,
    skip_folder: Annotated[
        list[str] | None,
        typer.Option(
            "--skip-folder", metavar=_FOLDER, help=_("A folder not to scan (repeatable).")
        ),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            metavar=_ZONE,
            help=_("Your time zone, e.g. Europe/Paris (default: system)."),
        ),
    ] = None,
    internal_domain: InternalDomainOption = None,
    working_hours: WorkingHoursOption = None,
    holidays: HolidaysOption = None,
    vacation: VacationOption = None,
    ca_file: Annotated[
        Path | None,
        typer.Option(
            "--ca-file",
            metavar=_FILE,
            help=_("Also trust this CA or certificate (PEM)."),
            dir_okay=False,
        ),
    ] = None,
    allow_plaintext: Annotated[
        bool,
        typer.Option("--allow-plaintext", help=_("Allow imap:// without STARTTLS (unsafe).")),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            metavar=_SECONDS,
            help=_("Seconds to wait on connect and each read. [default: 30]"),
            min=1,
        ),
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir",
            metavar=_DIRECTORY,
            help=_("The lock file's directory."),
            file_okay=False,
        ),
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help=_(
                "Read the whole mailbox and write no cache "
                "(default: only what changed since the last run, cached in "
                "$XDG_CACHE_HOME/inbox-audit or ~/.cache/inbox-audit)."
            ),
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help=_("No progress bar."))] = False,
) -> None:
    """Figures for a period (its help, in the owner's language, is the decorator's)."""
    try:
        config = load_config(config_path, warn=warn)
        flags = Flags(
            source=source,
            account=account,
            me=tuple(me) if me else None,
            sla=sla,
            sent_folder=sent_folder,
            skip_folders=tuple(skip_folder) if skip_folder else None,
            timezone=timezone,
            internal_domains=tuple(internal_domain) if internal_domain else None,
            working_hours=working_hours,
            holidays=holidays,
            vacation=tuple(vacation) if vacation else None,
            ca_file=ca_file,
            lang=lang.value if lang else None,
            allow_plaintext=True if allow_plaintext else None,
            timeout=timeout,
            state_dir=state_dir,
        )
        run = resolve(flags, config)
        moment = parse_as_of(until, run.zone)
        start = None if since is None else parse_as_of(since, run.zone)
        if start is not None and start >= moment:
            raise UsageError(
                _("--since {value} is not before the end of the period").format(value=since),
                hint=_("give --since earlier than --until (default: now)"),
            )
    except InboxAuditError as error:
        _fail(error)
    try:
        with run_lock(run), deadline_of(run.deadline):
            code = run_stats(
                run, moment, start, output_format, weeks, awaiting_days, quiet, no_cache
            )
    except (AlreadyRunning, DeadlineExceeded) as error:
        _fail(error)
    except KeyboardInterrupt:
        _interrupted()
    raise typer.Exit(int(code))
