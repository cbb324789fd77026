"""The command line: parse the options, build the run's settings, call it, map to an exit code."""

from __future__ import annotations

import gc
import sys
from datetime import datetime, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

from inbox_audit import __version__
from inbox_audit.app.config import config_home, load_config
from inbox_audit.app.console import escape, print_error, stderr_console, warn
from inbox_audit.app.credentials import keyring_delete, keyring_set
from inbox_audit.app.deadline import deadline_of
from inbox_audit.app.lock import run_lock
from inbox_audit.app.resolve import Flags, resolve
from inbox_audit.app.run import OutputFormat, StatsFormat, run_audit, run_stats, smtp_target
from inbox_audit.core.awaiting import AWAITING_DAYS
from inbox_audit.errors import (
    AlreadyRunning,
    ConfigError,
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


app = typer.Typer(
    name="inbox-audit",
    cls=_Group,
    help=_("Find the customers still waiting for an answer in a mailbox, and since when.")
    + "\n\n"
    + EXIT_CODES,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Help text is plain: "[accounts.NAME]" must print as written, not be eaten as markup.
    rich_markup_mode=None,
)


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
_URL = _("<url>")
_SECONDS = _("<seconds>")
_DOMAIN = _("<domain>")


class Language(StrEnum):
    """Languages of the holding replies."""

    FR = "fr"
    EN = "en"


def _fail(error: InboxAuditError) -> NoReturn:
    print_error(error)
    raise typer.Exit(int(error.exit_code))


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
        "The mailbox is only read: folders are opened read-only and no flag is changed. "
        "The IMAP password comes from INBOX_AUDIT_PASSWORD, the config file's "
        "password_command, the OS keyring (inbox-audit password set), else a hidden prompt. "
        "Flags override the config file, which overrides the defaults.\n\n"
        "With --email-to the report is emailed; if the audit cannot run (login refused, "
        "server unreachable, TLS failure) a failure email is sent instead and the exit code "
        "is the error's. An email that cannot be sent is saved in the state directory (exit 6)."
    ),
)
def audit_command(
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
            help=_("Answer within this long: 24h, 4h, 2d... [default: 24h]"),
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
    internal_domain: Annotated[
        list[str] | None,
        typer.Option(
            "--internal-domain",
            metavar=_DOMAIN,
            help=_("Your colleagues' domain (repeatable), besides your addresses' own."),
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
    smtp_ca_file: Annotated[
        Path | None,
        typer.Option(
            "--smtp-ca-file",
            metavar=_FILE,
            help=_("Also trust this CA for SMTP (PEM)."),
            dir_okay=False,
        ),
    ] = None,
    only_if_late: Annotated[
        bool | None,
        typer.Option(
            "--only-if-late/--always-email",
            help=_("Email only when something is overdue (a failure is always emailed)."),
            show_default=False,
        ),
    ] = None,
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
    awaiting_days: Annotated[
        int, typer.Option("--awaiting-days", help=_AWAITING_HELP, min=1)
    ] = AWAITING_DAYS,
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
            deadline=deadline,
        )
        run = resolve(flags, config)
        moment = parse_as_of(as_of, run.zone)
        smtp_server = smtp_target(run)
    except InboxAuditError as error:
        _fail(error)
    try:
        # Held until the email is sent: an overlapping run must not send a second one.
        with run_lock(run), deadline_of(run.deadline):
            code = run_audit(
                run,
                moment,
                smtp_server,
                output_format,
                show_replies,
                quiet,
                no_cache,
                awaiting_days,
            )
    except AlreadyRunning as error:
        _fail(error)  # the run that holds the lock reports; no email from this one
    except DeadlineExceeded as error:
        _fail(error)  # past the reading (emailing the report, saving it): said here
    except KeyboardInterrupt:
        _interrupted()  # typer would turn it into a silent exit 130
    raise typer.Exit(int(code))


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


# --- password: the OS keyring ---------------------------------------------------------------

password_app = typer.Typer(
    cls=_Group,
    help=_("Store or forget a password in the OS keyring (service 'inbox-audit')."),
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(password_app, name="password")


_KEY_HELP = _(
    "An account name of the config file, USER@HOST for a SOURCE given on the command line, "
    "or smtp:USER@HOST for the SMTP login."
)


def _check_key(key: str, config_path: Path | None) -> None:
    """A name that is neither an account nor USER@HOST is most likely a typo."""
    if "@" in key:
        return
    config = load_config(config_path, warn=warn)
    accounts = list(config.accounts) if config else []
    if key not in accounts:
        import difflib

        close = difflib.get_close_matches(key, accounts, n=1)
        raise UsageError(
            _("no account {name!r} in the config file").format(name=key)
            + (_(" (did you mean {name!r}?)").format(name=close[0]) if close else ""),
            hint=_("give an account name, USER@HOST, or smtp:USER@HOST"),
        )


@password_app.command(
    "set",
    cls=_Command,
    help=_("Ask for a password (hidden, twice) and store it in the OS keyring."),
)
def password_set(
    key: Annotated[str, typer.Argument(metavar="ACCOUNT", help=_KEY_HELP, show_default=False)],
    config_path: Annotated[
        Path | None, typer.Option("--config", help=_("Configuration file."), dir_okay=False)
    ] = None,
) -> None:
    """Store a password in the OS keyring."""
    try:
        _check_key(key, config_path)
        secret = typer.prompt(
            _("Password for {key}").format(key=key),
            hide_input=True,
            confirmation_prompt=True,
            err=True,
        )
        if not secret:
            raise UsageError(_("the password is empty; nothing stored"))
        backend = keyring_set(key, secret)
    except InboxAuditError as error:
        _fail(error)
    stderr_console().print(
        "inbox-audit: "
        + _("password for {key} stored in {backend}").format(
            key=escape(key), backend=escape(backend)
        )
    )


@password_app.command(
    "delete", cls=_Command, help=_("Remove a stored password from the OS keyring.")
)
def password_delete(
    key: Annotated[str, typer.Argument(metavar="ACCOUNT", help=_KEY_HELP, show_default=False)],
) -> None:
    """Remove a stored password from the OS keyring."""
    try:
        found = keyring_delete(key)
    except InboxAuditError as error:
        _fail(error)
    if not found:
        _fail(UsageError(_("no password stored for {key!r}").format(key=key)))
    stderr_console().print(
        "inbox-audit: " + _("password for {key} deleted").format(key=escape(key))
    )


# --- init: write a first config file --------------------------------------------------------


@app.command(
    "init",
    cls=_Command,
    help=_(
        "Write a first config file: asks for the server and user, tests the login, detects "
        "the Sent folder and your addresses, proposes a 24 h SLA. The file is private (0600) "
        "and holds no password."
    ),
)
def init_command(
    config_path: Annotated[
        Path | None,
        typer.Option(
            "--config", help=_("Write this file (default: the usual config file)."), dir_okay=False
        ),
    ] = None,
    ca_file: Annotated[
        Path | None,
        typer.Option(
            "--ca-file", help=_("Also trust this CA or certificate (PEM)."), dir_okay=False
        ),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help=_("Seconds to wait."), min=1)] = 30.0,
) -> None:
    """Write a first config file."""
    from inbox_audit.app.init import write_first_config

    try:
        path = write_first_config(config_path, ca_file, timeout)
    except InboxAuditError as error:
        _fail(error)
    stderr_console().print(
        "inbox-audit: "
        + _("wrote {path} (mode 0600). Next: inbox-audit audit, then inbox-audit schedule").format(
            path=escape(str(path))
        )
    )


# --- schedule: cron / systemd ---------------------------------------------------------------


@app.command(
    "schedule",
    cls=_Command,
    help=_(
        "Print a crontab line and a systemd user timer that run the audit every day.\n\n"
        "The job runs `inbox-audit audit` for an account of the config file, with the PATH it "
        "needs (cron's default finds neither this program nor `pass`). Nothing is installed "
        "unless --install is given and confirmed."
    ),
)
def schedule_command(
    account: Annotated[
        str | None,
        typer.Option("--account", help=_("The account to audit (default: the default).")),
    ] = None,
    config_path: Annotated[
        Path | None, typer.Option("--config", help=_("Configuration file."), dir_okay=False)
    ] = None,
    at: Annotated[str, typer.Option("--at", help=_("Time of day, HH:MM."))] = "07:00",
    install_units: Annotated[
        bool,
        typer.Option(
            "--install",
            help=_("Also write the systemd user units (asks first) under ~/.config/systemd/user."),
        ),
    ] = False,
) -> None:
    """Print (and maybe install) the daily job."""
    from inbox_audit.app.schedule import daily_job, install, instructions

    try:
        config = load_config(config_path, warn=warn)
        if config is None:
            raise UsageError(
                _("a scheduled audit needs a config file with an account"),
                hint=_("run: inbox-audit init"),
            )
        job = daily_job(config, resolve(Flags(account=account), config), account, at)
    except InboxAuditError as error:
        _fail(error)
    unit_dir = config_home() / "systemd" / "user"
    sys.stdout.write(instructions(job, unit_dir))
    sys.stdout.flush()
    if not install_units:
        return
    question = _("Install the systemd user timer in {directory}?").format(directory=unit_dir)
    if not typer.confirm(question, default=False, err=True):
        stderr_console().print("inbox-audit: " + _("nothing installed"))
        return
    try:
        install(job, unit_dir)
    except OSError as exc:
        _fail(
            ConfigError(
                _("cannot write {path}: {reason}").format(path=unit_dir, reason=exc.strerror)
            )
        )
    timer = f"{job.name}.timer"
    stderr_console().print(
        "inbox-audit: "
        + _("installed {timer}; enable it with: {command}").format(
            timer=timer,
            command=f"systemctl --user daemon-reload && systemctl --user enable --now {timer}",
        )
    )


@app.command("version", cls=_Command, help=_("Print the version."))
def version_command() -> None:
    """Print the version."""
    typer.echo(__version__)


# --- the entry point -------------------------------------------------------------------------


def main() -> None:
    """Console entry point: no traceback ever reaches the user."""
    _gc_policy()
    try:
        app()
    except KeyboardInterrupt:
        _interrupted()
    except SystemExit:
        raise
    except Exception as exc:  # a bug: one line, and a way to report it
        stderr_console().print(
            f"[bold red]inbox-audit: {escape(_('internal error:'))}[/] "
            f"{type(exc).__name__}: {escape(str(exc))}"
        )
        stderr_console().print(
            "  " + _("hint: please report this with the command you ran (no password)")
        )
        sys.exit(int(ExitCode.INTERNAL))


def _interrupted() -> NoReturn:
    """Ctrl-C: one line saying so, and the shell's code for SIGINT (128 + 2)."""
    stderr_console().print("inbox-audit: " + _("interrupted"))
    sys.exit(130)


def _gc_policy() -> None:
    """The run's one garbage-collection policy, set once here rather than around each step."""
    # An audit builds 100,000s of acyclic objects (messages, results, rows) and keeps them to
    # the end: with the default thresholds, a young-generation pass every 700 allocations and
    # the older passes rescan them all (a fifth of the parse time at 100,000 messages). Rarer
    # passes keep the collector for the few real cycles (rich, typer) at a fraction of the cost.
    gc.freeze()  # what the imports built is never garbage
    gc.set_threshold(100_000, 50, 100)
