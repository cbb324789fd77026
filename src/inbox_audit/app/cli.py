"""The command line: parse the options, build the run's settings, call it, map to an exit code."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from datetime import datetime, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

from inbox_audit import __version__
from inbox_audit.app.config import ConfigFile, load_config
from inbox_audit.app.console import escape, print_error, stderr_console, warn
from inbox_audit.app.deadline import deadline_of
from inbox_audit.app.lock import run_lock
from inbox_audit.app.login import smtp_target
from inbox_audit.app.options import (
    _ADDRESS,
    _DIRECTORY,
    _DURATION,
    _MOMENT,
    _URL,
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
    SmtpCaFileOption,
    SourceArg,
    TimeoutOption,
    TimezoneOption,
    VacationOption,
    WorkingHoursOption,
)
from inbox_audit.app.resolve import Flags, RunConfig, resolve
from inbox_audit.app.run import OutputFormat, run_audit
from inbox_audit.app.usage import is_usage_error, usage_text
from inbox_audit.core.awaiting import AWAITING_DAYS
from inbox_audit.errors import (
    AlreadyRunning,
    DeadlineExceeded,
    ExitCode,
    InboxAuditError,
    UsageError,
)
from inbox_audit.i18n import _

# Modules only some runs need are imported where they are used: the nightly run that finds
# nothing new must start fast (issue #3: 0.5 s in all), and the audit core, the local-store
# reader, the email package, rich (the table, the progress bar, anything printed on stderr)
# and the scheduler each cost tens of ms to import. The init wizard is imported by its command.

EXIT_CODES = _(
    "Exit codes: 0 nothing overdue, 1 overdue messages found, 2 usage error, "
    "3 configuration error, 4 mailbox/connection/login error, 5 internal error, "
    "6 report not delivered by email (saved in the state directory), "
    "7 another run is still going."
)


def _translated_help(option: TyperOption | None) -> TyperOption | None:
    if option is not None:
        option.help = _("Show this message and exit.")
    return option


# `ctx: Any`: typer declares it with the Context of its private copy of click.
class _Command(TyperCommand):
    """A command whose --help line is in the owner's language (typer's own is English)."""

    def get_help_option(self, ctx: Any) -> TyperOption | None:
        return _translated_help(super().get_help_option(ctx))


class _Group(TyperGroup):
    """The command groups' side of _Command."""

    def get_help_option(self, ctx: Any) -> TyperOption | None:
        return _translated_help(super().get_help_option(ctx))

    def get_params(self, ctx: Any) -> list[Any]:
        # typer's completion options (add_completion) bring their own English help.
        params: list[Any] = super().get_params(ctx)
        for param in params:
            if param.name == "install_completion":
                param.help = _("Install completion for the current shell.")
            elif param.name == "show_completion":
                param.help = _(
                    "Show completion for the current shell, to copy it or customize the "
                    "installation."
                )
        return params


app = typer.Typer(
    name="inbox-audit",
    cls=_Group,
    help=_("Find the customers still waiting for an answer in a mailbox, and since when.")
    + "\n\n"
    + EXIT_CODES,
    add_completion=True,  # --install-completion / --show-completion (typer's, for bash/zsh/fish)
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Help text is plain: "[accounts.NAME]" must print as written, not be eaten as markup.
    rich_markup_mode=None,
)


class Language(StrEnum):
    """Languages of the holding replies."""

    FR = "fr"
    EN = "en"


def _version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help=_("Print the version and exit."), callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Find the customers still waiting for an answer in a mailbox, and since when."""


def _fail(error: InboxAuditError) -> NoReturn:
    print_error(error)
    raise typer.Exit(int(error.exit_code))


def _interrupted() -> NoReturn:
    """Ctrl-C: one line saying so, and the shell's code for SIGINT (128 + 2)."""
    stderr_console().print("inbox-audit: " + _("interrupted"))
    sys.exit(130)


def parse_as_of(text: str | None, zone: tzinfo) -> datetime:
    """--as-of: ISO 8601; a time without offset is the owner's local time. Default: now."""
    if text is None:
        return datetime.now(zone)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            _("invalid --as-of {value!r}").format(value=text),
            hint=_("use ISO 8601, e.g. 2026-11-20T09:00:00+01:00"),
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


@app.command(
    "audit",
    cls=_Command,
    epilog=EXIT_CODES,
    help=_(
        "Audit a mailbox: who is waiting for an answer, and since when.\n\n"
        "The mailbox is only read: folders are opened read-only and no flag is changed, "
        "unless --save-drafts asks to save the holding replies as drafts (in the Drafts "
        "folder only). "
        "The IMAP password comes from INBOX_AUDIT_PASSWORD, the config file's "
        "password_command, the OS keyring (inbox-audit password set), else a hidden prompt. "
        "Flags override the config file, which overrides the defaults.\n\n"
        "A run at the terminal prints its report; it is emailed only with --email-to, --email "
        "(as the config's [notify] says) or --scheduled (the nightly job). If the audit cannot "
        "run (login refused, server unreachable, TLS failure) a failure email is sent instead "
        "and the exit code is the error's. An email that cannot be sent is saved in the state "
        "directory (exit 6)."
    ),
)
def audit_command(
    source: SourceArg = None,
    config_path: ConfigPathOption = None,
    account: AccountOption = None,
    me: MeOption = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar=_MOMENT, help=_("Audit as of this ISO 8601 moment (default: now).")
        ),
    ] = None,
    sla: Annotated[
        str | None,
        typer.Option(
            "--sla",
            metavar=_DURATION,
            help=_(
                "Answer within this long: 24h, 4h, 2d... or in working time: "
                '"4 business hours", "1 business day", 8bh, 1bd. [default: 24h]'
            ),
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            help=_(
                "Output on stdout; 'summary' is a few lines for cron's MAILTO. "
                "Default: table, or nothing when the report is emailed (--email-to)."
            ),
            case_sensitive=False,
        ),
    ] = None,
    show_replies: Annotated[
        bool, typer.Option("--show-replies", help=_("Show the suggested holding replies."))
    ] = False,
    lang: Annotated[
        Language | None,
        typer.Option(
            "--lang", help=_("Holding replies in this language (default: the customer's).")
        ),
    ] = None,
    sent_folder: SentFolderOption = None,
    skip_folder: SkipFolderOption = None,
    internal_domain: InternalDomainOption = None,
    timezone: TimezoneOption = None,
    working_hours: WorkingHoursOption = None,
    holidays: HolidaysOption = None,
    vacation: VacationOption = None,
    ca_file: CaFileOption = None,
    allow_plaintext: AllowPlaintextOption = False,
    timeout: TimeoutOption = None,
    deadline: Annotated[
        str | None,
        typer.Option(
            "--deadline",
            metavar=_DURATION,
            help=_("Stop the whole run after this long: 15m, 1h... [default: 15m]"),
        ),
    ] = None,
    email_to: Annotated[
        str | None,
        typer.Option(
            "--email-to",
            metavar=_ADDRESS,
            help=_("Email the report to this address (commas for several). One message per run."),
        ),
    ] = None,
    email_from: Annotated[
        str | None,
        typer.Option(
            "--email-from",
            metavar=_ADDRESS,
            help=_(
                "Sender of the report (default: the first --me or detected address, "
                "else the IMAP user)."
            ),
        ),
    ] = None,
    smtp: Annotated[
        str | None,
        typer.Option(
            "--smtp",
            metavar=_URL,
            help=_(
                "smtp://[USER@]HOST[:PORT] (STARTTLS when offered) or smtps://[USER@]HOST"
                "[:PORT]. The password comes from INBOX_AUDIT_SMTP_PASSWORD, never the URL."
            ),
        ),
    ] = None,
    smtp_ca_file: SmtpCaFileOption = None,
    only_if_late: Annotated[
        bool | None,
        typer.Option(
            "--only-if-late/--always-email",
            help=_("Email only when something is overdue (a failure is always emailed)."),
            show_default=False,
        ),
    ] = None,
    email: Annotated[
        bool,
        typer.Option(
            "--email",
            help=_(
                "Email the report as the config's [notify] section says (a manual run "
                "otherwise only prints it)."
            ),
        ),
    ] = False,
    scheduled: Annotated[
        bool,
        typer.Option(
            "--scheduled",
            help=_(
                "Run as the nightly job: email as [notify] says, print nothing, and keep "
                "the outcome and any undelivered night in the state directory."
            ),
        ),
    ] = False,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir",
            metavar=_DIRECTORY,
            help=_(
                "Undelivered reports and the lock file "
                "(default: $XDG_STATE_HOME/inbox-audit or ~/.local/state/inbox-audit)."
            ),
            file_okay=False,
        ),
    ] = None,
    no_cache: NoCacheOption = False,
    save_drafts: Annotated[
        bool,
        typer.Option(
            "--save-drafts",
            help=_(
                "Save the holding reply of each overdue thread as a draft in your Drafts "
                "folder (a local source: as .eml files in --drafts-dir). The only write."
            ),
        ),
    ] = False,
    save_drafts_all: Annotated[
        bool,
        typer.Option("--save-drafts-all", help=_("Like --save-drafts, for pending threads too.")),
    ] = False,
    drafts_folder: Annotated[
        str | None,
        typer.Option("--drafts-folder", help=_("The Drafts folder, when it is not found.")),
    ] = None,
    drafts_dir: Annotated[
        Path | None,
        typer.Option(
            "--drafts-dir",
            help=_("Where a local source's drafts go (default: the state directory's drafts/)."),
            file_okay=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help=_("Show the drafts --save-drafts would save; save none.")),
    ] = False,
    quiet: QuietOption = False,
    awaiting_days: AwaitingDaysOption = AWAITING_DAYS,
) -> None:
    """Audit a mailbox (its help, in the owner's language, is the decorator's)."""
    try:
        config = load_config(config_path, warn=warn)
        flags = Flags(
            source=source,
            account=account,
            me=tuple(me) if me else None,
            sla=sla,
            sent_folder=sent_folder,
            skip_folders=tuple(skip_folder) if skip_folder else None,
            internal_domains=tuple(internal_domain) if internal_domain else None,
            timezone=timezone,
            working_hours=working_hours,
            holidays=holidays,
            vacation=tuple(vacation) if vacation else None,
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
            email=True if email or (scheduled and _notify_configured(config)) else None,
            deadline=deadline,
            save_drafts="all" if save_drafts_all else "overdue" if save_drafts else None,
            drafts_folder=drafts_folder,
            drafts_dir=drafts_dir,
            dry_run=dry_run,
        )
        run = resolve(flags, config)
        moment = parse_as_of(as_of, run.zone)
        smtp_server = smtp_target(run)
    except InboxAuditError as error:
        _fail(error)
    run_locked(
        run,
        lambda: run_audit(
            run,
            moment,
            smtp_server,
            output_format,
            show_replies,
            quiet or scheduled,
            no_cache,
            awaiting_days,
            scheduled,
        ),
    )


def run_locked(run: RunConfig, command: Callable[[], ExitCode]) -> NoReturn:
    """Run `command` holding the run's lock, within its deadline, and exit with its code."""
    try:
        # Held to the end, the audit's email included: an overlapping run must not send a
        # second one.
        with run_lock(run), deadline_of(run.deadline):
            code = command()
    except AlreadyRunning as error:
        _fail(error)  # the run that holds the lock reports; no email from this one
    except DeadlineExceeded as error:
        _fail(error)  # past the reading (emailing the report, saving it): said here
    except KeyboardInterrupt:
        _interrupted()  # typer would turn it into a silent exit 130
    raise typer.Exit(int(code))


def _notify_configured(config: ConfigFile | None) -> bool:
    return config is not None and config.notify.email_to is not None


# The stats command (app/cli_stats.py) and the setup commands (password, init, schedule:
# app/cli_setup.py) register themselves on `app` here, between audit and version, which is
# their place in --help.
from inbox_audit.app import cli_setup, cli_stats  # noqa: E402, F401


@app.command("version", cls=_Command, help=_("Print the version."))
def version_command() -> None:
    """Print the version."""
    typer.echo(__version__)


#: The demo's moment and owner: demo/EXPECTED.md is what the audit finds then.
DEMO_ARGS = (
    "--as-of",
    "2026-11-20T09:00:00+01:00",
    "--timezone",
    "Europe/Paris",
    "--me",
    "claire@atelier-lumiere.fr",
    "--show-replies",
)


@app.command(
    "demo",
    cls=_Command,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    help=_(
        "Audit the bundled demo mailbox (a small French/English shop, as of 20 Nov 2026 09:00 "
        "Paris): no account needed. Extra options go to `audit`, e.g. --format json."
    ),
)
def demo_command(ctx: typer.Context) -> None:
    """Audit the bundled demo mailbox (its help, in the owner's language, is the decorator's)."""
    from importlib.resources import as_file, files

    with as_file(files("inbox_audit") / "demo_mailbox") as mailbox:
        command = typer.main.get_command(app)
        code = command.main(
            ["audit", str(mailbox), *DEMO_ARGS, *ctx.args],
            prog_name="inbox-audit",
            standalone_mode=False,
        )
    # Exit 1 only means "overdue messages found": that is the demo's point, not a failure.
    raise typer.Exit(0 if code in (None, 0, 1) else int(code))


# --- the entry point -------------------------------------------------------------------------


def main() -> None:
    """Console entry point: no traceback ever reaches the user."""
    _gc_policy()
    try:
        # Not standalone: typer's parser errors come back here, to be told in the owner's
        # language (typer prints click's English words itself otherwise).
        code = typer.main.get_command(app).main(args=spelled(sys.argv[1:]), standalone_mode=False)
    except KeyboardInterrupt:
        _interrupted()
    except typer.Abort:
        sys.stderr.write(_("Aborted!") + "\n")
        sys.exit(1)
    except SystemExit:
        raise
    except typer.TyperException as exc:
        if not is_usage_error(exc):
            sys.stderr.write(_("Error: {message}").format(message=exc.format_message()) + "\n")
            sys.exit(1)
        sys.stderr.write(usage_text(exc))
        sys.exit(int(ExitCode.USAGE))
    except Exception as exc:  # a bug: one line, and a way to report it
        stderr_console().print(
            f"[bold red]inbox-audit: {escape(_('internal error:'))}[/] "
            f"{type(exc).__name__}: {escape(str(exc))}"
        )
        stderr_console().print(
            "  " + _("hint: please report this with the command you ran (no password)")
        )
        sys.exit(int(ExitCode.INTERNAL))
    sys.exit(code if isinstance(code, int) else 0)


# Issue #17 writes `--save-drafts=all`; a typer option takes a value always or never, so the
# two spellings with a value are the flags they mean.
_SPELLINGS = {"--save-drafts=all": "--save-drafts-all", "--save-drafts=overdue": "--save-drafts"}


def spelled(argv: list[str]) -> list[str]:
    """The command line with `--save-drafts=all|overdue` written as the flags they mean."""
    return [_SPELLINGS.get(arg, arg) for arg in argv]


def _gc_policy() -> None:
    """The run's one garbage-collection policy, set once here rather than around each step."""
    # An audit builds 100,000s of acyclic objects (messages, results, rows) and keeps them to
    # the end: with the default thresholds, a young-generation pass every 700 allocations and
    # the older passes rescan them all (a fifth of the parse time at 100,000 messages). Rarer
    # passes keep the collector for the few real cycles (rich, typer) at a fraction of the cost.
    gc.freeze()  # what the imports built is never garbage
    gc.set_threshold(100_000, 50, 100)
