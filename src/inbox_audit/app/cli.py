"""The command line: parse arguments, open the source, run, print, map errors to exit codes."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import gc
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, assert_never

import typer

from inbox_audit import __version__
from inbox_audit.app.config import (
    Flags,
    RunConfig,
    config_home,
    default_cache_dir,
    default_config_path,
    load_config,
    parse_config,
    render_config,
    resolve,
)
from inbox_audit.app.credentials import (
    PASSWORD_ENV,
    AuthMethod,
    Prompt,
    keyring_delete,
    keyring_set,
)
from inbox_audit.app.credentials import resolve as resolve_secret
from inbox_audit.errors import AlreadyRunning, ConfigError, ExitCode, InboxAuditError, UsageError
from inbox_audit.model import AuditReport, FolderRole, Unreadable
from inbox_audit.outputs.notify import NotifyError, SmtpTarget, save_undelivered, send_email
from inbox_audit.outputs.render import render_markdown, render_table, write_csv, write_json
from inbox_audit.settings import Settings, parse_duration
from inbox_audit.sources.imap import ImapSource, prepare_tls
from inbox_audit.sources.spec import ConnectOptions, ImapTarget, LocalTarget, parse_source
from inbox_audit.store.cache import CacheUnusable, MailCache, code_digest, default_cache_path

if TYPE_CHECKING:
    from email.message import EmailMessage

    from rich.console import Console

    from inbox_audit.store.snapshot import Outline

# Modules only some runs need are imported where they are used: the nightly run that finds
# nothing new must start fast (issue #3: 0.5 s in all), and the audit core, the local-store
# reader, the email package, rich (the table, the progress bar, anything printed on stderr)
# and the scheduler each cost tens of ms to import.

EXIT_CODES = (
    "Exit codes: 0 nothing overdue, 1 overdue messages found, 2 usage error, "
    "3 configuration error, 4 mailbox/connection/login error, 5 internal error, "
    "6 report not delivered by email (saved in the state directory), "
    "7 another run is still going."
)

app = typer.Typer(
    name="inbox-audit",
    help="Find the customers still waiting for an answer in a mailbox, and since when.\n\n"
    + EXIT_CODES,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Help text is plain: "[accounts.NAME]" must print as written, not be eaten as markup.
    rich_markup_mode=None,
)


class OutputFormat(StrEnum):
    """How the report is printed."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"
    SUMMARY = "summary"  # digest.build_plain_summary: a few lines for cron's MAILTO


class Language(StrEnum):
    """Languages of the holding replies."""

    FR = "fr"
    EN = "en"


def _stderr() -> Console:
    from rich.console import Console

    # soft_wrap: an error stays one line however narrow the terminal (cron mails, log greps).
    return Console(stderr=True, highlight=False, soft_wrap=True)


def escape(text: str) -> str:
    """rich.markup.escape, imported once something is printed: a quiet run prints nothing."""
    from rich.markup import escape as escape_markup

    return escape_markup(text)


def _fail(error: InboxAuditError) -> NoReturn:
    _print_error(error)
    raise typer.Exit(int(error.exit_code))


def _warn(text: str) -> None:
    _stderr().print(f"[yellow]inbox-audit: warning:[/] {escape(text)}")


def parse_as_of(text: str | None, zone: tzinfo) -> datetime:
    """--as-of: ISO 8601; a time without offset is the owner's local time. Default: now."""
    if text is None:
        return datetime.now(zone)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"invalid --as-of {text!r}", hint="use ISO 8601, e.g. 2026-11-20T09:00:00+01:00"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""
    if not enabled:  # before making a console: --quiet runs do without rich
        yield None
        return
    console = _stderr()
    if not console.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(folder: str, done: int, total: int) -> None:
            if folder not in tasks:
                tasks[folder] = int(bar.add_task(folder.replace("[", "\\["), total=total))
            bar.update(tasks[folder], completed=done, total=total)  # type: ignore[arg-type]

        yield update


def _report(
    run: RunConfig,
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
    if isinstance(target, ImapTarget):
        prepare_tls(run.ca_file)
    options = _connect_options(run)
    with _progress(show_progress) as progress:
        if isinstance(target, LocalTarget):
            from inbox_audit.core.audit import audit
            from inbox_audit.sources.local import LocalSource
            from inbox_audit.sources.read import collect

            with LocalSource.open(target.path) as local:
                collected = collect(local, target.display(), settings, progress)
                return audit(collected, settings, moment)
        cache_path = None if no_cache else _cache_path(run)
        with ImapSource.connect(target, options) as source:
            cache = _open_cache(cache_path) if cache_path is not None else None
            if cache is None:
                from inbox_audit.core.audit import audit
                from inbox_audit.sources.read import collect

                collected = collect(source, target.display(), settings, progress)
                return audit(collected, settings, moment)
            try:
                return _report_cached(
                    source, target.display(), settings, cache, moment, shown, progress
                )
            finally:
                cache.close()


def _report_cached(
    source: ImapSource,
    display: str,
    settings: Settings,
    cache: MailCache,
    moment: datetime,
    shown: Shown,
    progress: Callable[[str, int, int], None] | None,
) -> AuditReport | Outline:
    from inbox_audit.store import snapshot
    from inbox_audit.store.sync import load_or_rebuild, sync

    synced, cache = sync(source, display, settings, cache, _warn, progress)
    key = snapshot.key(synced.folders, settings, code_digest())
    if not shown.every_message and not synced.problems:
        with contextlib.suppress(CacheUnusable):  # then the full read below rebuilds it
            data = cache.snapshot(key)
            kept = snapshot.loads(data) if data is not None else None
            if kept is not None and snapshot.usable(kept, moment):
                return snapshot.outline(kept, settings, moment, shown.replies, shown.threads)
            # Some mail changed: audit again only the conversations it touches.
            from inbox_audit.store import incremental

            kept = incremental.update(cache, synced, settings, moment)
            if kept is not None:
                return snapshot.outline(kept, settings, moment, shown.replies, shown.threads)
    collected, cache = load_or_rebuild(source, synced, settings, cache, _warn, progress)
    from inbox_audit.core.audit import audit_examined

    report, found = audit_examined(collected, settings, moment)
    if not synced.problems:
        taken = snapshot.take(report, snapshot.horizon(collected.messages, moment))
        try:
            cache.save_snapshot(key, snapshot.dumps(taken))
            from inbox_audit.store import incremental

            if incremental.stale(cache, collected.folders, settings, moment):
                incremental.rebuild(cache, collected, report, found, settings)
        except CacheUnusable as exc:
            _warn(f"could not save the audit in the cache {cache.path} ({exc})")
    return report


@dataclasses.dataclass(frozen=True)
class Shown:
    """What this run's outputs show of a report: what a re-dated snapshot must provide."""

    every_message: bool  # JSON and CSV list every message and thread: no snapshot has them
    replies: int | None  # holding replies of the first N waiting threads (None: all)
    threads: int | None  # threads listed of each kind, waiting and answered late (None: all)


def _shown(fmt: OutputFormat | None, show_replies: bool, emailed: bool) -> Shown:
    from inbox_audit.outputs.render import MAX_LISTED

    if fmt in (OutputFormat.MARKDOWN, OutputFormat.JSON, OutputFormat.CSV):
        replies = None  # every waiting thread's reply
    elif (fmt is OutputFormat.TABLE and show_replies) or emailed:
        replies = MAX_LISTED  # those of the threads listed
    else:
        replies = 0  # the summary, a table without --show-replies
    threads = None if replies is None else MAX_LISTED  # the table, summary and email list these
    return Shown(fmt in (OutputFormat.JSON, OutputFormat.CSV), replies, threads)


def _cache_path(run: RunConfig) -> Path | None:
    """The account's cache file: $XDG_CACHE_HOME/inbox-audit/<account or user@host:port>.sqlite."""
    if not isinstance(run.target, ImapTarget):
        return None  # local files are read whole: nothing to save
    # The port too: two servers on one host (test servers on random ports, a provider's
    # second IMAP endpoint) are two mailboxes, and one's cache must never answer for the other.
    target = run.target
    name = run.account or f"{target.user}@{target.host}:{target.port}"
    return default_cache_path(default_cache_dir(), name)


def _open_cache(path: Path) -> MailCache | None:
    try:
        return MailCache.open(path, _warn)
    except (OSError, CacheUnusable) as exc:
        # A cache that cannot be written must not stop the audit: read everything instead.
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        _warn(f"cannot use the cache {path} ({reason}); reading the whole mailbox")
        return None


def _render(
    report: AuditReport,
    outline: Outline | None,
    fmt: OutputFormat,
    show_replies: bool,
    zone: tzinfo,
) -> None:
    """Print `report`; `outline`: what it shows of its threads and messages when it holds none
    itself (a re-dated snapshot)."""
    listed = None if outline is None else outline.listing
    if fmt is OutputFormat.TABLE:
        from rich.console import Console

        console = Console(highlight=False)
        if not console.is_terminal:
            # Piped or run by cron: no terminal width to fit, so use a readable one.
            console = Console(highlight=False, width=120)
        console.print(render_table(report, show_replies=show_replies, tz=zone, listed=listed))
        return
    # JSON and CSV are written as they are produced: at 100,000 messages the whole text
    # would take 150 MB more.
    if fmt is OutputFormat.JSON or fmt is OutputFormat.CSV:
        assert outline is None, "JSON and CSV list every message: never from a snapshot"
        if fmt is OutputFormat.CSV:
            write_csv(report, sys.stdout)
        else:
            write_json(report, sys.stdout)
    elif fmt is OutputFormat.MARKDOWN:
        sys.stdout.write(render_markdown(report, tz=zone, listed=listed))
    elif fmt is OutputFormat.SUMMARY:
        from inbox_audit.outputs.digest import build_plain_summary

        rows = None if outline is None else outline.arrivals
        sys.stdout.write(build_plain_summary(report, zone, listed=listed, rows=rows))
    else:
        assert_never(fmt)
    sys.stdout.flush()


def _prompt() -> Prompt | None:
    """A hidden prompt when someone is at the keyboard; None under cron."""
    if not sys.stdin.isatty():
        return None
    import getpass

    return getpass.getpass


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
    )


def _smtp_target(run: RunConfig) -> SmtpTarget | None:
    """The SMTP server with its password, resolved before the audit so a missing one is told
    at once rather than after minutes of reading mail."""
    if run.notify is None:
        return None
    target = run.notify.smtp
    if run.notify.credentials is None:
        return target
    secret = resolve_secret(run.notify.credentials, prompt=_prompt())
    return dataclasses.replace(target, password=secret.value)


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


def _deliver(message: EmailMessage, run: RunConfig, smtp: SmtpTarget) -> bool:
    """Send; when that fails, say why on stderr and keep the message in the state dir."""
    assert run.notify is not None
    try:
        send_email(message, smtp, ca_file=run.notify.smtp_ca_file, timeout=run.timeout)
    except InboxAuditError as error:
        _print_error(error)
        try:
            saved = save_undelivered(message, run.state_dir, datetime.now(UTC))
        except NotifyError as save_error:
            _print_error(save_error)
        else:
            _stderr().print(f"inbox-audit: the undelivered email was saved to {escape(str(saved))}")
        return False
    return True


def _fail_and_notify(error: InboxAuditError, run: RunConfig, smtp: SmtpTarget | None) -> NoReturn:
    """The audit could not run: tell the owner by email too, then exit with the error's code."""
    from inbox_audit.outputs.digest import build_failure_email

    _print_error(error)
    if run.notify is not None and smtp is not None:
        message = build_failure_email(
            error=str(error),
            hint=error.hint,
            source=run.target.display(),
            to=run.notify.email_to,
            sender=_sender(run, None),
            now=datetime.now(run.zone),
        )
        if _deliver(message, run, smtp):
            _stderr().print(f"inbox-audit: the owner was told by email ({run.notify.email_to})")
    # The original error's code: it is the cause; an undelivered notice is reported above.
    raise typer.Exit(int(error.exit_code))


def _print_error(error: InboxAuditError) -> None:
    console = _stderr()
    console.print(f"[bold red]inbox-audit: error:[/] {escape(str(error))}")
    if error.hint:
        console.print(f"  hint: {escape(error.hint)}")


@contextmanager
def _run_lock(run: RunConfig) -> Iterator[None]:
    """One audit of a given mailbox at a time: a cron run that outlasts its interval must not
    be joined by the next one. flock is released by the kernel even if the process dies; the
    file is removed at the end, so the state dir does not fill with them."""
    name = re.sub(r"[^A-Za-z0-9@._-]+", "_", run.account or run.target.display())
    path = run.state_dir / f"audit-{name[:100]}.lock"
    try:
        run.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = _locked(path, run)
    except OSError as exc:
        # A state dir that cannot be written must not stop the audit itself.
        _warn(f"cannot create the lock file {path} ({exc.strerror}); running without it")
        yield
        return
    try:
        yield
    finally:
        path.unlink(missing_ok=True)  # still holding the lock: nobody else has it
        os.close(fd)


def _locked(path: Path, run: RunConfig) -> int:
    """An open, flock-ed descriptor on `path`; AlreadyRunning when another process has it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            raise AlreadyRunning(
                f"another inbox-audit run of {run.target.display()} is still going"
                + (f" (pid {holder})" if holder.isdigit() else ""),
                hint=f"wait for it to finish; the lock is {path}",
            ) from None
        try:
            held, named = os.fstat(fd), path.stat()
            same = (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino)
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
            return fd
        # The previous holder removed the file between our open and our flock: the lock we
        # got is on a deleted file that a newcomer would not see. Start again.
        os.close(fd)


@app.command("audit", epilog=EXIT_CODES)
def audit_command(
    source: Annotated[
        str | None,
        typer.Argument(
            help="imaps://USER@HOST[:PORT], imap://USER@HOST[:PORT] (STARTTLS), "
            "or a path to an mbox file or Maildir folder. "
            "Default: the config file's default (or only) account.",
            show_default=False,
        ),
    ] = None,
    config_path: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Configuration file (default: $XDG_CONFIG_HOME/inbox-audit/config.toml).",
            dir_okay=False,
        ),
    ] = None,
    account: Annotated[
        str | None, typer.Option("--account", help="Audit this [accounts.NAME] of the config.")
    ] = None,
    me: Annotated[
        list[str] | None,
        typer.Option("--me", help="Your address or alias (repeatable). Also detected from Sent."),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Audit as of this ISO 8601 moment (default: now).")
    ] = None,
    sla: Annotated[
        str | None,
        typer.Option("--sla", help="Answer within this long: 24h, 4h, 2d... [default: 24h]"),
    ] = None,
    output_format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            help="Output on stdout; 'summary' is a few lines for cron's MAILTO. "
            "Default: table, or nothing when the report is emailed (--email-to).",
            case_sensitive=False,
        ),
    ] = None,
    show_replies: Annotated[
        bool, typer.Option("--show-replies", help="Show the suggested holding replies.")
    ] = False,
    lang: Annotated[
        Language | None,
        typer.Option("--lang", help="Holding replies in this language (default: the customer's)."),
    ] = None,
    sent_folder: Annotated[
        str | None, typer.Option("--sent-folder", help="Name of the Sent folder, if not detected.")
    ] = None,
    skip_folder: Annotated[
        list[str] | None,
        typer.Option("--skip-folder", help="A folder not to scan (repeatable)."),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help="Your time zone, e.g. Europe/Paris (default: system)."),
    ] = None,
    ca_file: Annotated[
        Path | None,
        typer.Option("--ca-file", help="Also trust this CA or certificate (PEM).", dir_okay=False),
    ] = None,
    allow_plaintext: Annotated[
        bool,
        typer.Option("--allow-plaintext", help="Allow imap:// without STARTTLS (unsafe)."),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout", help="Seconds to wait on connect and each read. [default: 30]", min=1
        ),
    ] = None,
    email_to: Annotated[
        str | None,
        typer.Option(
            "--email-to",
            help="Email the report to this address (commas for several). One message per run.",
        ),
    ] = None,
    email_from: Annotated[
        str | None,
        typer.Option(
            "--email-from",
            help="Sender of the report (default: the first --me or detected address, "
            "else the IMAP user).",
        ),
    ] = None,
    smtp: Annotated[
        str | None,
        typer.Option(
            "--smtp",
            help="smtp://[USER@]HOST[:PORT] (STARTTLS when offered) or smtps://[USER@]HOST"
            "[:PORT]. The password comes from INBOX_AUDIT_SMTP_PASSWORD, never the URL.",
        ),
    ] = None,
    smtp_ca_file: Annotated[
        Path | None,
        typer.Option("--smtp-ca-file", help="Also trust this CA for SMTP (PEM).", dir_okay=False),
    ] = None,
    only_if_late: Annotated[
        bool | None,
        typer.Option(
            "--only-if-late/--always-email",
            help="Email only when something is overdue (a failure is always emailed).",
            show_default=False,
        ),
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir",
            help="Undelivered reports and the lock file "
            "(default: $XDG_STATE_HOME/inbox-audit or ~/.local/state/inbox-audit).",
            file_okay=False,
        ),
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Read the whole mailbox and write no cache "
            "(default: only what changed since the last run, cached in "
            "$XDG_CACHE_HOME/inbox-audit or ~/.cache/inbox-audit).",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Audit a mailbox: who is waiting for an answer, and since when.

    The mailbox is only read: folders are opened read-only and no flag is changed.
    The IMAP password comes from INBOX_AUDIT_PASSWORD, the config file's password_command,
    the OS keyring (inbox-audit password set), else a hidden prompt. Flags override the
    config file, which overrides the defaults.

    With --email-to the report is emailed; if the audit cannot run (login refused, server
    unreachable, TLS failure) a failure email is sent instead and the exit code is the
    error's. An email that cannot be sent is saved in the state directory (exit 6).
    """
    try:
        config = load_config(config_path, warn=_warn)
        flags = Flags(
            source=source,
            account=account,
            me=tuple(me) if me else None,
            sla=sla,
            sent_folder=sent_folder,
            skip_folders=tuple(skip_folder) if skip_folder else None,
            timezone=timezone,
            ca_file=ca_file,
            lang=lang.value if lang else None,
            allow_plaintext=True if allow_plaintext else None,
            timeout=timeout,
            email_to=email_to,
            email_from=email_from,
            smtp=smtp,
            smtp_ca_file=smtp_ca_file,
            only_if_late=only_if_late,
            state_dir=state_dir,
        )
        run = resolve(flags, config)
        moment = parse_as_of(as_of, run.zone)
        smtp_target = _smtp_target(run)
    except InboxAuditError as error:
        _fail(error)
    try:
        # Held until the email is sent: an overlapping run must not send a second one.
        with _run_lock(run):
            code = _run(run, moment, smtp_target, output_format, show_replies, quiet, no_cache)
    except AlreadyRunning as error:
        _fail(error)  # the run that holds the lock reports; no email from this one
    raise typer.Exit(int(code))


def _run(
    run: RunConfig,
    moment: datetime,
    smtp: SmtpTarget | None,
    output_format: OutputFormat | None,
    show_replies: bool,
    quiet: bool,
    no_cache: bool = False,
) -> ExitCode:
    """Read, audit, print, email. A failure to audit is emailed too (when SMTP is set)."""
    try:
        fmt = output_format or (None if run.notify else OutputFormat.TABLE)
        shown = _shown(fmt, show_replies, emailed=run.notify is not None and smtp is not None)
        result = _report(run, moment, not quiet, no_cache, shown)
    except InboxAuditError as error:
        _fail_and_notify(error, run, smtp)
    outline = None if isinstance(result, AuditReport) else result
    report = result if isinstance(result, AuditReport) else result.report
    if fmt is not None:
        _render(report, outline, fmt, show_replies, run.zone)
    if report.unreadable and not quiet:
        _stderr().print(
            f"inbox-audit: {len(report.unreadable)} message(s) could not be read and were "
            "skipped (listed under 'unreadable' in --format json)"
        )
    code = ExitCode.OVERDUE_FOUND if report.summary.overdue else ExitCode.OK
    if run.notify is None or smtp is None:
        return code
    if run.notify.only_if_late and not report.summary.overdue:
        if not quiet:
            _stderr().print("inbox-audit: nothing overdue: no email sent (--only-if-late)")
        return code
    from inbox_audit.outputs.digest import build_email

    try:
        message = build_email(
            report,
            to=run.notify.email_to,
            sender=_sender(run, report),
            tz=run.zone,
            listed=None if outline is None else outline.listing,
            rows=None if outline is None else outline.arrivals,
        )
    except InboxAuditError as error:
        _fail(error)
    return code if _deliver(message, run, smtp) else ExitCode.NOT_DELIVERED


# --- password: the OS keyring ---------------------------------------------------------------

password_app = typer.Typer(
    help="Store or forget a password in the OS keyring (service 'inbox-audit').",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(password_app, name="password")

_KEY_HELP = (
    "An account name of the config file, USER@HOST for a SOURCE given on the command line, "
    "or smtp:USER@HOST for the SMTP login."
)


def _check_key(key: str, config_path: Path | None) -> None:
    """A name that is neither an account nor USER@HOST is most likely a typo."""
    if "@" in key:
        return
    config = load_config(config_path, warn=_warn)
    accounts = list(config.accounts) if config else []
    if key not in accounts:
        import difflib

        close = difflib.get_close_matches(key, accounts, n=1)
        raise UsageError(
            f"no account {key!r} in the config file"
            + (f" (did you mean {close[0]!r}?)" if close else ""),
            hint="give an account name, USER@HOST, or smtp:USER@HOST",
        )


@password_app.command("set")
def password_set(
    key: Annotated[str, typer.Argument(metavar="ACCOUNT", help=_KEY_HELP, show_default=False)],
    config_path: Annotated[
        Path | None, typer.Option("--config", help="Configuration file.", dir_okay=False)
    ] = None,
) -> None:
    """Ask for a password (hidden, twice) and store it in the OS keyring."""
    try:
        _check_key(key, config_path)
        secret = typer.prompt(
            f"Password for {key}", hide_input=True, confirmation_prompt=True, err=True
        )
        if not secret:
            raise UsageError("the password is empty; nothing stored")
        backend = keyring_set(key, secret)
    except InboxAuditError as error:
        _fail(error)
    _stderr().print(f"inbox-audit: password for {escape(key)} stored in {escape(backend)}")


@password_app.command("delete")
def password_delete(
    key: Annotated[str, typer.Argument(metavar="ACCOUNT", help=_KEY_HELP, show_default=False)],
) -> None:
    """Remove a stored password from the OS keyring."""
    try:
        found = keyring_delete(key)
    except InboxAuditError as error:
        _fail(error)
    if not found:
        _fail(UsageError(f"no password stored for {key!r}"))
    _stderr().print(f"inbox-audit: password for {escape(key)} deleted")


# --- init: write a first config file --------------------------------------------------------


def _detect(source: ImapSource) -> tuple[str | None, list[str]]:
    """The Sent folder, and the addresses that sent from it (most used first)."""
    from inbox_audit.core.folders import assign_roles
    from inbox_audit.core.headers import UnparsableMessage, parse_message

    folders = assign_roles(source.list_folders())
    sent = next((f.name for f in folders if f.role is FolderRole.SENT), None)
    if sent is None:
        return None, []
    senders: Counter[str] = Counter()
    for item in source.fetch(sent):
        if isinstance(item, Unreadable):
            continue
        try:
            message = parse_message(item)
        except UnparsableMessage:
            continue
        if message.from_ is not None and message.from_.email:
            senders[message.from_.email] += 1
    # An address seen once may be a customer's message filed in Sent by mistake.
    mine = [address for address, count in senders.most_common() if count >= 2]
    return sent, mine or [address for address, _ in senders.most_common(1)]


def _write_private(path: Path, text: str) -> None:
    """Create or replace `path` with mode 0600 (never readable by others, even for a moment)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(out.fileno(), 0o600)  # an existing file keeps its mode through O_TRUNC
        out.write(text)


@app.command("init")
def init_command(
    config_path: Annotated[
        Path | None,
        typer.Option(
            "--config", help="Write this file (default: the usual config file).", dir_okay=False
        ),
    ] = None,
    ca_file: Annotated[
        Path | None,
        typer.Option("--ca-file", help="Also trust this CA or certificate (PEM).", dir_okay=False),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait.", min=1)] = 30.0,
) -> None:
    """Write a first config file: asks for the server and user, tests the login, detects
    the Sent folder and your addresses, proposes a 24 h SLA. The file is private (0600) and
    holds no password."""
    import tomllib
    from urllib.parse import quote

    path = (config_path or default_config_path()).expanduser()
    try:
        if path.exists() and not typer.confirm(f"{path} exists. Replace it?", default=False):
            raise UsageError(f"{path} exists; nothing written", hint="use --config OTHER.toml")
        if ca_file is not None and not ca_file.is_file():
            raise ConfigError(f"--ca-file {ca_file} is not a readable file")
        server = typer.prompt("IMAP server (host or host:port)").strip()
        host, _, port_text = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
        host = host or server
        port = int(port_text) if port_text.isdigit() else 993
        user = typer.prompt("User name").strip()
        scheme = "imap" if port == 143 else "imaps"  # 143: STARTTLS; anything else: TLS
        source = f"{scheme}://{quote(user, safe='')}@{host}:{port}"
        target = parse_source(source)
        assert isinstance(target, ImapTarget)
        password = os.environ.get(PASSWORD_ENV) or typer.prompt("Password", hide_input=True)
        options = ConnectOptions(password=password, ca_file=ca_file, timeout=timeout)
        _stderr().print(f"inbox-audit: logging in to {escape(target.display())}...")
        with ImapSource.connect(target, options) as imap:
            sent, addresses = _detect(imap)
        _stderr().print(
            f"inbox-audit: login works; Sent folder: {escape(sent or 'not found')}; "
            f"your addresses: {escape(', '.join(addresses) or 'none found')}"
        )
        account = typer.prompt("Account name", default="mail").strip()
        default_me = ", ".join(addresses or ([user] if "@" in user else []))
        me_text = typer.prompt("Your addresses (comma separated)", default=default_me)
        me = tuple(a.strip().lower() for a in me_text.split(",") if a.strip())
        sla = typer.prompt("Answer customers within", default="24h").strip()
        parse_duration(sla)
        email_to = typer.prompt(
            "Email the report to (empty: print it)", default="", show_default=False
        ).strip()
        smtp = None
        if email_to:
            smtp = typer.prompt(
                "SMTP server", default=f"smtps://{quote(user, safe='')}@{host}"
            ).strip()
        text = render_config(
            account=account,
            source=source,
            me=me,
            sent_folder=sent,
            sla=sla,
            ca_file=ca_file.resolve() if ca_file else None,
            email_to=email_to or None,
            smtp=smtp,
        )
        parse_config(tomllib.loads(text), path)  # what we write, we can read
        if typer.confirm("Store the password in the OS keyring?", default=True):
            try:
                backend = keyring_set(account, password)
            except ConfigError as error:
                _warn(f"{error}; set password_command in {path} instead")
            else:
                _stderr().print(f"inbox-audit: password stored in {escape(backend)}")
        _write_private(path, text)
    except InboxAuditError as error:
        _fail(error)
    except OSError as exc:
        _fail(ConfigError(f"cannot write {path}: {exc.strerror}"))
    _stderr().print(
        f"inbox-audit: wrote {escape(str(path))} (mode 0600). "
        "Next: inbox-audit audit, then inbox-audit schedule"
    )


# --- schedule: cron / systemd ---------------------------------------------------------------


def _executable() -> str:
    """This program's absolute path: cron's PATH would not find a virtualenv's script."""
    beside = Path(sys.executable).parent / "inbox-audit"
    if beside.exists():
        return str(beside)
    import shutil

    return shutil.which("inbox-audit") or "inbox-audit"


@app.command("schedule")
def schedule_command(
    account: Annotated[
        str | None, typer.Option("--account", help="The account to audit (default: the default).")
    ] = None,
    config_path: Annotated[
        Path | None, typer.Option("--config", help="Configuration file.", dir_okay=False)
    ] = None,
    at: Annotated[str, typer.Option("--at", help="Time of day, HH:MM.")] = "07:00",
    install: Annotated[
        bool,
        typer.Option(
            "--install",
            help="Also write the systemd user units (asks first) under ~/.config/systemd/user.",
        ),
    ] = False,
) -> None:
    """Print a crontab line and a systemd user timer that run the audit every day.

    The job runs `inbox-audit audit` for an account of the config file, with the PATH it
    needs (cron's default finds neither this program nor `pass`). Nothing is installed
    unless --install is given and confirmed.
    """
    from inbox_audit.app.schedule import Job, crontab_entry, parse_time, systemd_units

    try:
        config = load_config(config_path, warn=_warn)
        if config is None:
            raise UsageError(
                "a scheduled audit needs a config file with an account",
                hint="run: inbox-audit init",
            )
        run = resolve(Flags(account=account), config)
        hour, minute = parse_time(at)
    except InboxAuditError as error:
        _fail(error)
    # The file's absolute path: cron and systemd do not see this shell's XDG_CONFIG_HOME.
    command = [_executable(), "audit", "--config", str(config.path.resolve())]
    if account is not None or len(config.accounts) > 1:
        command += ["--account", str(run.account)]
    command.append("--quiet")
    if run.notify is None:
        command += ["--format", "summary"]
    directories = [str(Path(command[0]).parent), "/usr/local/bin", "/usr/bin", "/bin"]
    job = Job(
        command=tuple(command),
        hour=hour,
        minute=minute,
        path=":".join(dict.fromkeys(directories)),
        name=f"inbox-audit-{run.account}" if run.account else "inbox-audit",
        mailto_hint=run.notify is None,
    )
    units = systemd_units(job)
    unit_dir = config_home() / "systemd" / "user"
    out = [crontab_entry(job)]
    for name, text in units.items():
        out.append(f"# systemd user unit: {unit_dir / name}\n{text}")
    timer = f"{job.name}.timer"
    out.append(f"# then: systemctl --user daemon-reload && systemctl --user enable --now {timer}\n")
    sys.stdout.write("\n".join(out))
    sys.stdout.flush()
    if not install:
        return
    if not typer.confirm(f"Install the systemd user timer in {unit_dir}?", default=False, err=True):
        _stderr().print("inbox-audit: nothing installed")
        return
    try:
        unit_dir.mkdir(parents=True, exist_ok=True)
        for name, text in units.items():
            (unit_dir / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(ConfigError(f"cannot write {unit_dir}: {exc.strerror}"))
    _stderr().print(
        f"inbox-audit: installed {timer}; enable it with: "
        f"systemctl --user daemon-reload && systemctl --user enable --now {timer}"
    )


@app.command("version")
def version_command() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    """Console entry point: no traceback ever reaches the user."""
    _gc_policy()
    try:
        app()
    except KeyboardInterrupt:
        _stderr().print("inbox-audit: interrupted")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # a bug: one line, and a way to report it
        _stderr().print(
            f"[bold red]inbox-audit: internal error:[/] {type(exc).__name__}: {escape(str(exc))}"
        )
        _stderr().print("  hint: please report this with the command you ran (no password)")
        sys.exit(int(ExitCode.INTERNAL))


def _gc_policy() -> None:
    """The run's one garbage-collection policy, set once here rather than around each step."""
    # An audit builds 100,000s of acyclic objects (messages, results, rows) and keeps them to
    # the end: with the default thresholds, a young-generation pass every 700 allocations and
    # the older passes rescan them all (a fifth of the parse time at 100,000 messages). Rarer
    # passes keep the collector for the few real cycles (rich, typer) at a fraction of the cost.
    gc.freeze()  # what the imports built is never garbage
    gc.set_threshold(100_000, 50, 100)
