"""The command line's stats command: response-time figures for a period."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from inbox_audit.app.cli import (
    Language,
    _Command,
    _fail,
    app,
    parse_as_of,
    run_locked,
)
from inbox_audit.app.config import load_config
from inbox_audit.app.console import warn
from inbox_audit.app.options import (
    _DIRECTORY,
    _DURATION,
    _MOMENT,
    AccountOption,
    AllowPlaintextOption,
    AwaitingDaysOption,
    CaFileOption,
    ConfigPathOption,
    HolidaysOption,
    InternalDomainOption,
    MeOption,
    NoCacheOption,
    QuietOption,
    SentFolderOption,
    SkipFolderOption,
    SourceArg,
    TimeoutOption,
    TimezoneOption,
    VacationOption,
    WorkingHoursOption,
)
from inbox_audit.app.resolve import Flags, resolve
from inbox_audit.app.stats_run import StatsFormat, run_stats
from inbox_audit.core.awaiting import AWAITING_DAYS
from inbox_audit.errors import InboxAuditError, UsageError
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
    source: SourceArg = None,
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
    awaiting_days: AwaitingDaysOption = AWAITING_DAYS,
    output_format: Annotated[
        StatsFormat,
        typer.Option("--format", help=_("Output on stdout."), case_sensitive=False),
    ] = StatsFormat.TABLE,
    config_path: ConfigPathOption = None,
    account: AccountOption = None,
    me: MeOption = None,
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
    sent_folder: SentFolderOption = None,
    skip_folder: SkipFolderOption = None,
    timezone: TimezoneOption = None,
    internal_domain: InternalDomainOption = None,
    working_hours: WorkingHoursOption = None,
    holidays: HolidaysOption = None,
    vacation: VacationOption = None,
    ca_file: CaFileOption = None,
    allow_plaintext: AllowPlaintextOption = False,
    timeout: TimeoutOption = None,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir",
            metavar=_DIRECTORY,
            help=_("The lock file's directory."),
            file_okay=False,
        ),
    ] = None,
    no_cache: NoCacheOption = False,
    quiet: QuietOption = False,
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
    run_locked(
        run,
        lambda: run_stats(run, moment, start, output_format, weeks, awaiting_days, quiet, no_cache),
    )
