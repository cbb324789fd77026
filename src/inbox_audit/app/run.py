"""One audit run: read the source (through the cache), audit, print, email the report or failure."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, assert_never

from inbox_audit.app import nightly
from inbox_audit.app.config import default_cache_dir
from inbox_audit.app.console import (
    escape,
    print_error,
    progress_bar,
    stderr_console,
    table_console,
    warn,
    worded,
)
from inbox_audit.app.credentials import AuthMethod, Prompt
from inbox_audit.app.credentials import resolve as resolve_secret
from inbox_audit.app.resolve import DraftsPlan, RunConfig
from inbox_audit.core.awaiting import AWAITING_DAYS
from inbox_audit.errors import ConfigError, ExitCode, InboxAuditError
from inbox_audit.i18n import _, ngettext
from inbox_audit.model import AuditReport
from inbox_audit.outputs.data import write_csv, write_json
from inbox_audit.outputs.markdown import render_markdown
from inbox_audit.outputs.notify import NotifyError, SmtpTarget, save_undelivered, send_email
from inbox_audit.outputs.table import render_table
from inbox_audit.outputs.text import problems_said
from inbox_audit.settings import Settings
from inbox_audit.sources.imap import ImapSource
from inbox_audit.sources.spec import ConnectOptions, ImapTarget, LocalTarget
from inbox_audit.sources.tls import prepare_tls
from inbox_audit.store.cache import MailCache, default_cache_path
from inbox_audit.store.cache_errors import CacheUnusable, CacheUnwritable

if TYPE_CHECKING:
    from email.message import EmailMessage

    from inbox_audit.sources.spec import Progress
    from inbox_audit.store.snapshot import Outline
    from inbox_audit.store.sync import Synced

# Modules only some runs need are imported where they are used: the nightly run that finds
# nothing new must start fast (issue #3: 0.5 s in all), and the audit core, the local-store
# reader, the email package and rich each cost tens of ms to import.


class OutputFormat(StrEnum):
    """How the report is printed."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"
    SUMMARY = "summary"  # digest.build_plain_summary: a few lines for cron's MAILTO


@dataclass(frozen=True)
class Shown:
    """What this run's outputs show of a report: what a re-dated snapshot must provide."""

    every_message: bool  # JSON and CSV list every message and thread: no snapshot has them
    replies: int | None  # holding replies of the first N waiting threads (None: all)
    threads: int | None  # threads listed of each kind, waiting and answered late (None: all)


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


def _report(
    run: RunConfig,
    options: ConnectOptions,
    moment: datetime,
    show_progress: bool,
    no_cache: bool,
    shown: Shown,
) -> AuditReport | Outline:
    """Read the source and audit it as of `moment`.

    Over IMAP the mailbox is read through the cache unless `no_cache`. When the cache shows
    the mailbox unchanged since the last audit, that audit's snapshot is re-dated instead of
    auditing every message again, unless the output lists every message (`shown`): then
    only what the outputs show is built (an Outline).
    """
    target, settings = run.target, run.settings
    with progress_bar(show_progress) as progress:
        if isinstance(target, LocalTarget):
            from inbox_audit.core.audit import audit
            from inbox_audit.sources.local import LocalSource
            from inbox_audit.sources.read import collect

            with LocalSource.open(target.path) as local:
                collected = collect(local, target.display(), settings, progress)
                return audit(collected, settings, moment)
        cache_path = None if no_cache else _cache_path(run)
        with open_imap(target, options) as source:
            cache = _open_cache(cache_path) if cache_path is not None else None
            if cache is not None:
                try:
                    return _report_cached(
                        source, target.display(), settings, cache, moment, shown, progress
                    )
                except CacheUnwritable as exc:
                    # Left as it was (each folder is one transaction): read it all instead.
                    warn(_without_cache(cache.path, exc))
                finally:
                    cache.close()
            from inbox_audit.core.audit import audit
            from inbox_audit.sources.read import collect

            collected = collect(source, target.display(), settings, progress)
            return audit(collected, settings, moment)


def _report_cached(
    source: ImapSource,
    display: str,
    settings: Settings,
    cache: MailCache,
    moment: datetime,
    shown: Shown,
    progress: Progress | None,
) -> AuditReport | Outline:
    from inbox_audit.store import snapshot
    from inbox_audit.store.sync import load_or_rebuild, sync

    synced = sync(source, display, settings, cache, warn, progress)
    key = snapshot.key(synced.folders, settings)
    if not shown.every_message and not synced.problems:
        kept = _kept_report(synced, settings, cache, key, moment, shown)
        if kept is not None:
            return kept
    collected = load_or_rebuild(source, synced, settings, cache, warn, progress)
    from inbox_audit.core.audit import audit_examined

    report, found = audit_examined(collected, settings, moment)
    if not synced.problems:
        horizon = snapshot.horizon(collected.messages, moment)
        try:
            # One expression: neither the snapshot nor its bytes outlive their saving (the
            # ledger's rebuild below is the peak of the runs that make one).
            cache.save_snapshot(key, snapshot.dumps(snapshot.take(report, horizon)))
            from inbox_audit.store import incremental

            if incremental.stale(cache, collected.folders, settings, moment):
                incremental.rebuild(cache, collected, report, found, settings)
        except (CacheUnusable, CacheUnwritable) as exc:
            warn(
                _("could not save the audit in the cache {path} ({reason})").format(
                    path=cache.path, reason=exc
                )
            )
    return report


def _kept_report(
    synced: Synced,
    settings: Settings,
    cache: MailCache,
    key: str,
    moment: datetime,
    shown: Shown,
) -> Outline | None:
    """The report from what the cache kept of the last audits, without auditing every
    message: the snapshot re-dated, or the ledger brought up to date. None when a full audit
    is needed (then what was read here is freed before it)."""
    from inbox_audit.store import snapshot

    with contextlib.suppress(CacheUnusable):  # then the full read rebuilds it
        data = cache.snapshot(key)
        kept = snapshot.loads(data) if data is not None else None
        if kept is not None and snapshot.usable(kept, moment):
            return snapshot.outline(kept, settings, moment, shown.replies, shown.threads)
        # Some mail changed: audit again only the conversations it touches.
        from inbox_audit.store import incremental

        kept = incremental.update(cache, synced, settings, moment)
        if kept is not None:
            return snapshot.outline(kept, settings, moment, shown.replies, shown.threads)
    return None


def _save_drafts(
    run: RunConfig,
    plan: DraftsPlan,
    options: ConnectOptions,
    report: AuditReport,
    now: datetime,
    awaiting_days: int,
) -> None:
    """Save the waiting threads' holding replies, and the follow-ups of the conversations
    awaiting their reply, as drafts (or show them, --dry-run). Whatever goes wrong here is a
    warning: the audit is done and reported."""
    from inbox_audit.core.awaiting import awaiting_reply
    from inbox_audit.core.drafts import compose, describe, reconcile
    from inbox_audit.core.folders import drafts_folder
    from inbox_audit.sources import drafts as writer

    follow_ups = awaiting_reply(
        report.awaiting or (), now, awaiting_days, run.settings.lang, report.owner
    )
    drafts = compose(report, plan.mode, now, follow_ups)
    for line in drafts.skipped:
        warn(_("no draft for {thread}").format(thread=line))
    target = run.target
    if isinstance(target, LocalTarget):
        record_path, folder = plan.directory / RECORD_NAME, None
    else:
        record_path = run.state_dir / "drafts" / f"{_account_name(run, target)}.json"
        folder = plan.folder or drafts_folder(report.folders)
        if folder is None:
            warn(_("no Drafts folder found, no draft saved: name it with --drafts-folder"))
            return
    record = writer.load_record(record_path)
    if plan.dry_run:
        new = reconcile(drafts, record, {}).append
        where = str(plan.directory) if folder is None else repr(folder)
        # On stderr, like every other remark: stdout stays the report (--format json | jq).
        said = ngettext(
            "{count} draft would be saved in {where}",
            "{count} drafts would be saved in {where}",
            len(new),
        )
        sys.stderr.write("inbox-audit: " + said.format(count=len(new), where=where) + "\n")
        if new:
            sys.stderr.write(describe(new) + "\n")
        return
    try:
        if folder is None:
            outcome = writer.save_to_dir(plan.directory, drafts, record)
        else:
            assert isinstance(target, ImapTarget)
            outcome = writer.save_to_imap(target, options, folder, drafts, record, now)
        writer.save_record(record_path, outcome.record)
    except (InboxAuditError, OSError) as error:
        text = str(error) if isinstance(error, InboxAuditError) else f"{record_path}: {error}"
        warn(_("drafts not saved: {reason}").format(reason=text))
        return
    for note in outcome.notes:
        warn(note)
    where = str(plan.directory) if folder is None else repr(folder)
    written, removed = len(outcome.written), outcome.removed
    said = ngettext(
        "{count} new draft saved in {where}", "{count} new drafts saved in {where}", written
    ).format(count=written, where=escape(where))
    if removed:
        said += ", " + ngettext(
            "{count} draft of an answered thread removed",
            "{count} drafts of answered threads removed",
            removed,
        ).format(count=removed)
    stderr_console().print("inbox-audit: " + said)


#: A local source's drafts directory keeps what was saved there in this file.
RECORD_NAME = ".inbox-audit-drafts.json"


def _account_name(run: RunConfig, target: ImapTarget) -> str:
    """The account's name for its files: the configured name, else user@host:port."""
    # The port too: two servers on one host (test servers on random ports, a provider's
    # second IMAP endpoint) are two mailboxes, and one's cache must never answer for the other.
    return run.account or f"{target.user}@{target.host}:{target.port}"


def _cache_path(run: RunConfig) -> Path | None:
    """The account's cache file: $XDG_CACHE_HOME/inbox-audit/<account or user@host:port>.sqlite."""
    if not isinstance(run.target, ImapTarget):
        return None  # local files are read whole: nothing to save
    return default_cache_path(default_cache_dir(), _account_name(run, run.target))


def _open_cache(path: Path) -> MailCache | None:
    try:
        return MailCache.open(path, warn)
    except (OSError, CacheUnusable, CacheUnwritable) as exc:
        # A cache that cannot be written must not stop the audit: read everything instead.
        warn(_without_cache(path, exc))
        return None


def _without_cache(path: Path, exc: Exception) -> str:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return _(
        "cannot write the cache {path} ({reason}); reading the whole mailbox without it"
    ).format(path=path, reason=reason)


def open_imap(target: ImapTarget, options: ConnectOptions) -> ImapSource:
    """Log in to the IMAP server (a context manager): the one place the app connects, for the
    audit and for init's login test."""
    return ImapSource.connect(target, options)


def _prompt() -> Prompt | None:
    """A hidden prompt when someone is at the keyboard; None under cron."""
    if not sys.stdin.isatty():
        return None
    import getpass

    return getpass.getpass


def _login_options(run: RunConfig) -> ConnectOptions:
    """How to log in, asked once a run: the audit and the drafts' writer both use it."""
    if isinstance(run.target, ImapTarget):
        prepare_tls(run.ca_file)
    return _connect_options(run)


def _connect_options(run: RunConfig) -> ConnectOptions:
    """The IMAP login's secret (env, command, keyring, prompt) and how to connect."""
    password = token = ""
    if run.credentials is not None:
        secret = resolve_secret(run.credentials, prompt=_prompt())
        if secret.auth is AuthMethod.OAUTH2:
            token = secret.value
        else:
            password = secret.value
    return ConnectOptions(
        password=password,
        oauth2_token=token,
        ca_file=run.ca_file,
        allow_plaintext=run.allow_plaintext,
        timeout=run.timeout,
        warn=warn,
    )


def _render(
    report: AuditReport,
    outline: Outline | None,
    fmt: OutputFormat,
    show_replies: bool,
    zone: tzinfo,
    awaiting_days: int = AWAITING_DAYS,
    lang: str | None = None,
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


def smtp_target(run: RunConfig) -> SmtpTarget | None:
    """The SMTP server with its password, resolved before the audit so a missing one is told
    at once rather than after minutes of reading mail."""
    if run.notify is None:
        return None
    target = run.notify.smtp
    if run.notify.credentials is None:
        return target
    secret = resolve_secret(run.notify.credentials, prompt=_prompt())
    return replace(target, password=secret.value)


def _sender(run: RunConfig, report: AuditReport | None) -> str:
    """--email-from, else the first --me / detected identity, else the IMAP user, else To."""
    assert run.notify is not None
    if run.notify.email_from:
        return run.notify.email_from
    candidates = [*run.settings.me, *(report.identities if report else ())]
    if isinstance(run.target, ImapTarget):
        candidates.append(run.target.user)
    for candidate in candidates:
        if "@" in candidate and not any(c in candidate for c in "\r\n,"):
            return candidate
    from email.utils import getaddresses

    return getaddresses([run.notify.email_to])[0][1]


def _deliver(
    message: EmailMessage, run: RunConfig, smtp: SmtpTarget, night: Night | None = None
) -> bool:
    """Send; when that fails, say why on stderr and keep the message in the state dir (and,
    for the scheduled job, the night to mention in the next email and to `schedule --check`)."""
    assert run.notify is not None
    try:
        send_email(message, smtp, ca_file=run.notify.smtp_ca_file, timeout=run.timeout)
    except InboxAuditError as error:
        print_error(error)
        if night is not None:
            night.undelivered(error)
        try:
            saved = save_undelivered(message, run.state_dir, datetime.now(UTC))
        except NotifyError as save_error:
            print_error(save_error)
        else:
            stderr_console().print(
                "inbox-audit: "
                + _("the undelivered email was saved to {path}").format(path=escape(str(saved)))
            )
        return False
    return True


def _notify_failure(
    error: InboxAuditError, run: RunConfig, smtp: SmtpTarget | None, night: Night | None
) -> ExitCode:
    """The audit could not run: say why, tell the owner by email too; the error's exit code."""
    from inbox_audit.outputs.digest import build_failure_email

    print_error(error)
    if night is not None:
        night.failed(error)
    if run.notify is not None and smtp is not None:
        said, hint = worded(error)
        message = build_failure_email(
            error=said,
            hint=hint,
            source=run.target.display(),
            to=run.notify.email_to,
            sender=_sender(run, None),
            now=datetime.now(run.zone),
        )
        if _deliver(message, run, smtp, night):
            stderr_console().print(
                "inbox-audit: "
                + _("the owner was told by email ({address})").format(
                    address=escape(run.notify.email_to)
                )
            )
            if night is not None:
                night.delivered(run.notify.email_to)
    # The original error's code: it is the cause; an undelivered notice is reported above.
    return error.exit_code


def _check_sound(report: AuditReport) -> None:
    """Say what an empty source held, and refuse a report that cannot be right: with none of
    the owner's addresses known, every message would be a customer's, every reply unseen."""
    s = report.summary
    read = s.customer_messages + s.not_customer + s.outbound + s.duplicates + s.drafts
    read += s.after_as_of
    if read == 0:
        if s.unreadable:
            warn(
                ngettext(
                    "read 0 messages from {source} ({count} could not be read)",
                    "read 0 messages from {source} ({count} could not be read)",
                    s.unreadable,
                ).format(source=report.source, count=s.unreadable)
            )
        else:
            warn(_("read 0 messages from {source}").format(source=report.source))
    if not report.identities:
        raise ConfigError(
            _("none of your addresses is known, so no reply of yours can be recognised")
            if read == 0
            else _(
                "none of your addresses is known, so no reply of yours can be recognised"
                " (no Sent folder shows them)"
            ),
            hint=_("give yours with --me ADDRESS (repeatable), or me = [...] in the config file"),
        )


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
            # full audit holds the messages; a re-dated snapshot has the threads alone.
            shown = replace(shown, every_message=True)
        options = _login_options(run)
        result = _report(run, options, moment, not quiet, no_cache, shown)
        report = result if isinstance(result, AuditReport) else result.report
        _check_sound(report)
    except InboxAuditError as error:
        return _notify_failure(error, run, smtp, night)
    outline = None if isinstance(result, AuditReport) else result
    if fmt is not None:
        _render(report, outline, fmt, show_replies, run.zone, awaiting_days, run.settings.lang)
    for problem in problems_said(report):  # the report says so too, in every format
        warn(_("incomplete report: {problem}").format(problem=problem))
    if run.drafts is not None:
        _save_drafts(run, run.drafts, options, report, moment, awaiting_days)
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
        for line in nightly.missed_lines(nightly.missed_nights(run.state_dir), run.state_dir):
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
            sender=_sender(run, report),
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
    if not _deliver(message, run, smtp, night):
        return ExitCode.NOT_DELIVERED
    if night is not None:
        night.delivered(run.notify.email_to)
    return code


class Night:
    """The scheduled run's record: what `schedule --check` reports and the next email tells."""

    def __init__(self, state_dir: Path, moment: datetime) -> None:
        self.state_dir = state_dir
        self.moment = moment
        self.emailed_to: str | None = None
        self.problems: list[str] = []

    def missed(self) -> list[str]:
        return nightly.missed_lines(nightly.missed_nights(self.state_dir), self.state_dir)

    def delivered(self, to: str) -> None:
        nightly.forget_missed_nights(self.state_dir)
        self.emailed_to = to

    def undelivered(self, error: InboxAuditError) -> None:
        nightly.add_missed_night(self.state_dir, self.moment.date())
        self.failed(error)

    def failed(self, error: InboxAuditError) -> None:
        said, hint = worded(error)
        self.problems.append(said + (_(" (hint: {hint})").format(hint=hint) if hint else ""))

    def save(self, code: ExitCode) -> None:
        outcome = nightly.Outcome(
            at=self.moment.isoformat(),
            exit_code=int(code),
            emailed_to=self.emailed_to,
            problems=tuple(self.problems),
        )
        nightly.save_outcome(self.state_dir, outcome)


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
        # The figures read every message (first responses, who waited): never a snapshot.
        options = _login_options(run)
        result = _report(run, options, moment, not quiet, no_cache, Shown(True, None, None))
        assert isinstance(result, AuditReport), "every message is read: never an outline"
        _check_sound(result)
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
