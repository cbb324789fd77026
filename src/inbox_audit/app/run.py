"""One audit run: read the source (through the cache), audit, print, email the report or failure."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, assert_never

from inbox_audit.app import nightly
from inbox_audit.app.console import print_error, stderr_console, table_console, warn
from inbox_audit.app.login import login_options
from inbox_audit.app.mailing import deliver, notify_failure, sender
from inbox_audit.app.nightly import Night
from inbox_audit.app.reading import Shown, read_report
from inbox_audit.app.resolve import RunConfig
from inbox_audit.core.awaiting import AWAITING_DAYS
from inbox_audit.errors import ExitCode, InboxAuditError
from inbox_audit.i18n import _, ngettext
from inbox_audit.model import AuditReport
from inbox_audit.outputs.data import write_csv, write_json
from inbox_audit.outputs.markdown import render_markdown
from inbox_audit.outputs.notify import SmtpTarget
from inbox_audit.outputs.table import render_table
from inbox_audit.outputs.text import problems_said

if TYPE_CHECKING:
    from inbox_audit.store.snapshot import Outline

# Modules only some runs need are imported where they are used (the digest, the drafts): the
# nightly run that finds nothing new must start fast (issue #3: 0.5 s in all), and the email
# package and rich each cost tens of ms to import.


class OutputFormat(StrEnum):
    """How the report is printed."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"
    SUMMARY = "summary"  # digest.build_plain_summary: a few lines for cron's MAILTO


def _shown(fmt: OutputFormat | None, show_replies: bool, emailed: bool) -> Shown:
    from inbox_audit.outputs.text import MAX_LISTED

    if fmt in (OutputFormat.MARKDOWN, OutputFormat.JSON, OutputFormat.CSV):
        replies = None  # every waiting thread's reply
    elif (fmt is OutputFormat.TABLE and show_replies) or emailed:
        replies = MAX_LISTED  # those of the threads listed
    else:
        replies = 0  # the summary, a table without --show-replies
    threads = None if replies is None else MAX_LISTED  # the table, summary and email list these
    return Shown(fmt in (OutputFormat.JSON, OutputFormat.CSV), replies, threads)


def _render(
    report: AuditReport,
    outline: Outline | None,
    fmt: OutputFormat,
    show_replies: bool,
    zone: tzinfo,
    awaiting_days: int,
    lang: str | None,
) -> None:
    """Print `report`; `outline`: what it shows of its threads and messages when it holds none
    itself (a re-dated snapshot)."""
    listed = None if outline is None else outline.listing
    if fmt is OutputFormat.TABLE:
        table = render_table(report, show_replies=show_replies, tz=zone, listed=listed)
        table_console().print(table)
        return
    # JSON and CSV are written as they are produced: at 100,000 messages the whole text
    # would take 150 MB more.
    if fmt is OutputFormat.JSON or fmt is OutputFormat.CSV:
        assert outline is None, "JSON and CSV list every message: never from a snapshot"
        if fmt is OutputFormat.CSV:
            write_csv(report, sys.stdout)
        else:
            write_json(report, sys.stdout, awaiting_days, lang)
    elif fmt is OutputFormat.MARKDOWN:
        sys.stdout.write(render_markdown(report, tz=zone, listed=listed))
    elif fmt is OutputFormat.SUMMARY:
        from inbox_audit.outputs.digest_text import build_plain_summary

        rows = None if outline is None else outline.arrivals
        sys.stdout.write(build_plain_summary(report, zone, listed=listed, rows=rows))
    else:
        assert_never(fmt)
    sys.stdout.flush()


def run_audit(
    run: RunConfig,
    moment: datetime,
    smtp: SmtpTarget | None,
    output_format: OutputFormat | None,
    show_replies: bool,
    quiet: bool,
    no_cache: bool = False,
    awaiting_days: int = AWAITING_DAYS,
    scheduled: bool = False,
) -> ExitCode:
    """Read, audit, print, email; the exit code. A failure to audit is told on stderr and
    emailed too (when SMTP is set). `scheduled`: the nightly job, whose outcome and missed
    nights are kept in the state directory."""
    night = Night(run.state_dir, moment.astimezone(run.zone)) if scheduled else None
    code = _audit_and_send(
        run, moment, smtp, output_format, show_replies, quiet, no_cache, awaiting_days, night
    )
    if night is not None:
        night.save(code)
    return code


def _audit_and_send(
    run: RunConfig,
    moment: datetime,
    smtp: SmtpTarget | None,
    output_format: OutputFormat | None,
    show_replies: bool,
    quiet: bool,
    no_cache: bool,
    awaiting_days: int,
    night: Night | None,
) -> ExitCode:
    try:
        fmt = output_format or (None if run.notify else OutputFormat.TABLE)
        shown = _shown(fmt, show_replies, emailed=run.notify is not None and smtp is not None)
        if run.drafts is not None:
            # A draft cites the customer's message (its Message-ID, References, To): only a
            # full audit holds the messages; a re-dated snapshot has the threads alone. And
            # every waiting thread may get one: each needs its reply.
            shown = replace(shown, every_message=True, replies=None)
        options = login_options(run)
        result = read_report(run, options, moment, not quiet, no_cache, shown)
    except InboxAuditError as error:
        return notify_failure(error, run, smtp, night)
    report = result if isinstance(result, AuditReport) else result.report
    outline = None if isinstance(result, AuditReport) else result
    if fmt is not None:
        _render(report, outline, fmt, show_replies, run.zone, awaiting_days, run.settings.lang)
    for problem in problems_said(report):  # the report says so too, in every format
        warn(_("incomplete report: {problem}").format(problem=problem))
    if run.drafts is not None:
        from inbox_audit.app.drafting import save_drafts

        save_drafts(run, run.drafts, options, report, moment, awaiting_days)
    if report.unreadable and not quiet:
        stderr_console().print(
            "inbox-audit: "
            + ngettext(
                "{count} message could not be read and was skipped "
                "(listed under 'unreadable' in --format json)",
                "{count} messages could not be read and were skipped "
                "(listed under 'unreadable' in --format json)",
                len(report.unreadable),
            ).format(count=len(report.unreadable))
        )
    code = ExitCode.OVERDUE_FOUND if report.summary.overdue else ExitCode.OK
    if night is None and not quiet:
        # The owner at the terminal hears of the nights the nightly email did not go out.
        for line in nightly.missed_lines(run.state_dir):
            warn(line)
    if run.notify is None or smtp is None:
        return code
    missed = night.missed() if night is not None else []
    if run.notify.only_if_late and not report.summary.overdue and not missed:
        if not quiet:
            stderr_console().print(
                "inbox-audit: " + _("nothing overdue: no email sent (--only-if-late)")
            )
        return code
    from inbox_audit.outputs.digest import build_email

    try:
        message = build_email(
            report,
            to=run.notify.email_to,
            sender=sender(run, report),
            tz=run.zone,
            problems=missed,
            listed=None if outline is None else outline.listing,
            rows=None if outline is None else outline.arrivals,
            awaiting_days=awaiting_days,
            lang=run.settings.lang,
        )
    except InboxAuditError as error:
        print_error(error)
        return error.exit_code
    if not deliver(message, run, smtp, night):
        return ExitCode.NOT_DELIVERED
    return code
