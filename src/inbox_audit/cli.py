"""The command line: parse arguments, open the source, run, print, map errors to exit codes."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from dateutil import tz
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from inbox_audit import __version__
from inbox_audit.audit import Collected, audit, collect
from inbox_audit.errors import ConfigError, ExitCode, InboxAuditError, UsageError
from inbox_audit.imap_source import ImapSource
from inbox_audit.local_source import LocalSource
from inbox_audit.model import AuditReport
from inbox_audit.render import render_csv, render_json, render_markdown, render_table
from inbox_audit.settings import Settings, parse_duration
from inbox_audit.source import ConnectOptions, ImapTarget, LocalTarget, parse_source

PASSWORD_ENV = "INBOX_AUDIT_PASSWORD"

app = typer.Typer(
    name="inbox-audit",
    help="Find the customers still waiting for an answer in a mailbox, and since when.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    """How the report is printed."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"


class Language(StrEnum):
    """Languages of the holding replies."""

    FR = "fr"
    EN = "en"


def _stderr() -> Console:
    # soft_wrap: an error stays one line however narrow the terminal (cron mails, log greps).
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(error: InboxAuditError) -> NoReturn:
    console = _stderr()
    console.print(f"[bold red]inbox-audit: error:[/] {_escape(str(error))}")
    if error.hint:
        console.print(f"  hint: {_escape(error.hint)}")
    raise typer.Exit(int(error.exit_code))


def _escape(text: str) -> str:
    return text.replace("[", "\\[")


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


def _zone(name: str | None) -> tzinfo:
    if name is None:
        return tz.tzlocal()
    zone = tz.gettz(name)
    if zone is None:
        raise UsageError(f"unknown time zone {name!r}", hint="use an IANA name like Europe/Paris")
    return zone


def _password(target: ImapTarget) -> str:
    """INBOX_AUDIT_PASSWORD, else a hidden prompt when someone is at the keyboard."""
    password = os.environ.get(PASSWORD_ENV)
    if password:
        return password
    if sys.stdin.isatty():
        return getpass.getpass(f"Password for {target.user}@{target.host}: ")
    raise ConfigError(
        f"no password for {target.user}@{target.host}",
        hint=f"set {PASSWORD_ENV} in the environment (never on the command line)",
    )


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""
    console = _stderr()
    if not enabled or not console.is_terminal:
        yield None
        return
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


def _read(
    target: ImapTarget | LocalTarget,
    options: ConnectOptions,
    settings: Settings,
    show_progress: bool,
) -> Collected:
    with _progress(show_progress) as progress:
        if isinstance(target, ImapTarget):
            with ImapSource.connect(target, options) as source:
                return collect(source, target.display(), settings, progress)
        with LocalSource.open(target.path) as local:
            return collect(local, target.display(), settings, progress)


def _render(report: AuditReport, fmt: OutputFormat, show_replies: bool, zone: tzinfo) -> None:
    if fmt is OutputFormat.TABLE:
        console = Console(highlight=False)
        if not console.is_terminal:
            # Piped or run by cron: no terminal width to fit, so use a readable one.
            console = Console(highlight=False, width=120)
        console.print(render_table(report, show_replies=show_replies, tz=zone))
        return
    if fmt is OutputFormat.JSON:
        text = render_json(report)
    elif fmt is OutputFormat.CSV:
        text = render_csv(report)
    else:
        text = render_markdown(report, tz=zone)
    sys.stdout.write(text)
    sys.stdout.flush()


@app.command("audit")
def audit_command(
    source: Annotated[
        str,
        typer.Argument(
            help="imaps://USER@HOST[:PORT], imap://USER@HOST[:PORT] (STARTTLS), "
            "or a path to an mbox file or Maildir folder.",
            show_default=False,
        ),
    ],
    me: Annotated[
        list[str] | None,
        typer.Option("--me", help="Your address or alias (repeatable). Also detected from Sent."),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Audit as of this ISO 8601 moment (default: now).")
    ] = None,
    sla: Annotated[
        str, typer.Option("--sla", help="Answer within this long: 24h, 4h, 2d...")
    ] = "24h",
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.", case_sensitive=False)
    ] = OutputFormat.TABLE,
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
        float, typer.Option("--timeout", help="Seconds to wait on connect and each read.", min=1)
    ] = 30.0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Audit a mailbox: who is waiting for an answer, and since when.

    The mailbox is only read: folders are opened read-only and no flag is changed.
    The IMAP password comes from INBOX_AUDIT_PASSWORD, else a hidden prompt.

    Exit codes: 0 nothing overdue, 1 overdue messages found, 2 usage error,
    3 configuration error, 4 mailbox/connection/login error, 5 internal error.
    """
    try:
        zone = _zone(timezone)
        settings = Settings(
            sla=parse_duration(sla),
            me=tuple(address.strip().lower() for address in me or ()),
            sent_folder=sent_folder,
            skip_folders=tuple(skip_folder or ()),
            lang=lang.value if lang else None,
            tz=zone,
        )
        moment = parse_as_of(as_of, zone)
        target = parse_source(source)
        if ca_file is not None and not ca_file.is_file():
            raise ConfigError(f"--ca-file {ca_file} is not a readable file")
        options = ConnectOptions(
            password=_password(target) if isinstance(target, ImapTarget) else "",
            ca_file=ca_file,
            allow_plaintext=allow_plaintext,
            timeout=timeout,
        )
        collected = _read(target, options, settings, not quiet)
        report = audit(collected, settings, moment)
    except InboxAuditError as error:
        _fail(error)
    _render(report, output_format, show_replies, zone)
    if report.unreadable and not quiet:
        _stderr().print(
            f"inbox-audit: {len(report.unreadable)} message(s) could not be read and were "
            "skipped (listed under 'unreadable' in --format json)"
        )
    raise typer.Exit(int(ExitCode.OVERDUE_FOUND if report.summary.overdue else ExitCode.OK))


@app.command("version")
def version_command() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    """Console entry point: no traceback ever reaches the user."""
    try:
        app()
    except KeyboardInterrupt:
        _stderr().print("inbox-audit: interrupted")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # a bug: one line, and a way to report it
        _stderr().print(
            f"[bold red]inbox-audit: internal error:[/] {type(exc).__name__}: {_escape(str(exc))}"
        )
        _stderr().print("  hint: please report this with the command you ran (no password)")
        sys.exit(int(ExitCode.INTERNAL))
