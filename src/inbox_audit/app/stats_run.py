"""One `stats` run: read and audit the source as of the period's end, print the period's figures."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from typing import assert_never

from inbox_audit.app.console import print_error, table_console
from inbox_audit.app.login import login_options
from inbox_audit.app.reading import Shown, read_report
from inbox_audit.app.resolve import RunConfig
from inbox_audit.errors import ExitCode, InboxAuditError
from inbox_audit.model import AuditReport


class StatsFormat(StrEnum):
    """How `stats` prints its figures."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"


def run_stats(
    run: RunConfig,
    moment: datetime,
    start: datetime | None,
    fmt: StatsFormat,
    weeks: int,
    awaiting_days: int,
    quiet: bool,
    no_cache: bool = False,
) -> ExitCode:
    """Read and audit as of `moment` (the period's end), print the period's figures; the exit
    code (OK: the figures are told, whatever they are)."""
    from inbox_audit.core.stats import period_stats

    try:
        # The figures read every message (first responses, who waited): never a snapshot;
        # and no holding reply, which they never show.
        options = login_options(run)
        result = read_report(run, options, moment, not quiet, no_cache, Shown(True, 0, None))
        assert isinstance(result, AuditReport), "every message is read: never an outline"
    except InboxAuditError as error:
        print_error(error)
        return error.exit_code
    stats = period_stats(result, run.zone, start, weeks, awaiting_days, run.settings.lang)
    if fmt is StatsFormat.TABLE:
        from inbox_audit.outputs.stats_table import render_stats

        table_console().print(render_stats(stats, run.zone))
        return ExitCode.OK
    from inbox_audit.outputs import stats_data

    if fmt is StatsFormat.JSON:
        text = stats_data.render_stats_json(stats)
    elif fmt is StatsFormat.CSV:
        text = stats_data.render_stats_csv(stats)
    elif fmt is StatsFormat.MARKDOWN:
        text = stats_data.render_stats_markdown(stats, run.zone)
    else:
        assert_never(fmt)
    sys.stdout.write(text)
    sys.stdout.flush()
    return ExitCode.OK
