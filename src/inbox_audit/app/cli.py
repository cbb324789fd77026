"""The command line: parse the options, build the run's settings, call it, map to an exit code."""

from __future__ import annotations

import gc
import sys
from datetime import datetime, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from inbox_audit import __version__
from inbox_audit.app.config import ConfigFile, config_home, load_config
from inbox_audit.app.console import escape, print_error, stderr_console, warn
from inbox_audit.app.credentials import keyring_delete, keyring_set
from inbox_audit.app.lock import run_lock
from inbox_audit.app.resolve import Flags, resolve
from inbox_audit.app.run import OutputFormat, run_audit, smtp_target
from inbox_audit.errors import AlreadyRunning, ExitCode, InboxAuditError, UsageError

# Modules only some runs need are imported where they are used: the nightly run that finds
# nothing new must start fast (issue #3: 0.5 s in all), and the audit core, the local-store
# reader, the email package, rich (the table, the progress bar, anything printed on stderr)
# and the scheduler each cost tens of ms to import. The init wizard is imported by its command.

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
            "--version", help="Print the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Find the customers still waiting for an answer in a mailbox, and since when."""


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
            f"invalid --as-of {text!r}", hint="use ISO 8601, e.g. 2026-11-20T09:00:00+01:00"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


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
    email: Annotated[
        bool,
        typer.Option(
            "--email",
            help="Email the report as the config's [notify] section says (a manual run "
            "otherwise only prints it).",
        ),
    ] = False,
    scheduled: Annotated[
        bool,
        typer.Option(
            "--scheduled",
            help="Run as the nightly job: email as [notify] says, print nothing, and keep "
            "the outcome and any undelivered night in the state directory.",
        ),
    ] = False,
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

    A run at the terminal prints its report; it is emailed only with --email-to, --email
    (as the config's [notify] says) or --scheduled (the nightly job). If the audit cannot
    run (login refused, server unreachable, TLS failure) a failure email is sent instead and
    the exit code is the error's. An email that cannot be sent is saved in the state
    directory (exit 6).
    """
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
            email_to=email_to,
            email_from=email_from,
            smtp=smtp,
            smtp_ca_file=smtp_ca_file,
            only_if_late=only_if_late,
            state_dir=state_dir,
            email=True if email or (scheduled and _notify_configured(config)) else None,
        )
        run = resolve(flags, config)
        moment = parse_as_of(as_of, run.zone)
        smtp_server = smtp_target(run)
    except InboxAuditError as error:
        _fail(error)
    try:
        # Held until the email is sent: an overlapping run must not send a second one.
        with run_lock(run):
            code = run_audit(
                run,
                moment,
                smtp_server,
                output_format,
                show_replies,
                quiet or scheduled,
                no_cache,
                scheduled,
            )
    except AlreadyRunning as error:
        _fail(error)  # the run that holds the lock reports; no email from this one
    raise typer.Exit(int(code))


def _notify_configured(config: ConfigFile | None) -> bool:
    return config is not None and config.notify.email_to is not None


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
    config = load_config(config_path, warn=warn)
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
    stderr_console().print(f"inbox-audit: password for {escape(key)} stored in {escape(backend)}")


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
    stderr_console().print(f"inbox-audit: password for {escape(key)} deleted")


# --- init: write a first config file --------------------------------------------------------


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
    no_input: Annotated[
        bool,
        typer.Option(
            "--no-input",
            help="Ask nothing: take the answers from the flags, the defaults for the rest "
            "(the password from INBOX_AUDIT_PASSWORD or --password-command).",
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    server: Annotated[str | None, typer.Option("--server", help="IMAP HOST[:PORT].")] = None,
    user: Annotated[str | None, typer.Option("--user", help="IMAP user name.")] = None,
    auth: Annotated[str | None, typer.Option("--auth", help="password or oauth2.")] = None,
    token_command: Annotated[
        str | None,
        typer.Option("--token-command", help="OAuth2: a command printing an access token."),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="Where the nightly job finds the password: keyring, command "
            "(--password-command) or file (a private file, mode 0600). "
            "Default: the keyring when there is one, else file.",
        ),
    ] = None,
    password_command: Annotated[
        str | None,
        typer.Option(
            "--password-command",
            help="A command printing the password (pass, gopass, secret-tool, systemd-creds).",
        ),
    ] = None,
    account: Annotated[str | None, typer.Option("--account", help="The account's name.")] = None,
    me: Annotated[
        list[str] | None, typer.Option("--me", help="Your address (repeatable; default: detected).")
    ] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="Your time zone (default: the system's).")
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="fr or en (default: LANG's).")] = None,
    sla: Annotated[str | None, typer.Option("--sla", help="Answer within (default 24h).")] = None,
    working_hours: Annotated[
        str | None,
        typer.Option("--working-hours", help='e.g. "mon-fri 09:00-12:00,14:00-18:00".'),
    ] = None,
    holidays: Annotated[
        str | None, typer.Option("--holidays", help="Public holidays of a country code, e.g. FR.")
    ] = None,
    email_to: Annotated[
        str | None,
        typer.Option("--email-to", help="Email the nightly summary here (empty: no email)."),
    ] = None,
    smtp: Annotated[
        str | None, typer.Option("--smtp", help="smtp://[USER@]HOST[:PORT] or smtps://...")
    ] = None,
    smtp_ca_file: Annotated[
        Path | None,
        typer.Option("--smtp-ca-file", help="Also trust this CA for SMTP (PEM).", dir_okay=False),
    ] = None,
    test_email: Annotated[
        bool,
        typer.Option("--test-email/--no-test-email", help="Send a real summary at the end."),
    ] = True,
) -> None:
    """Write a first config file, then test it for real: logs in, detects the folders, the
    Sent folder and your addresses, keeps the password where the nightly job will find it
    (the OS keyring, a command, or a private file on a server with no keyring), and sends
    a real summary. The config file is private (0600) and holds no password."""
    # Every option is the answer of the same name (app/init.py's Answers).
    answers = dict(locals())
    from inbox_audit.app.init import Answers, write_first_config

    answers["me"] = tuple(me) if me else None
    try:
        written = write_first_config(Answers(**answers))
    except InboxAuditError as error:
        _fail(error)
    stderr_console().print(
        "inbox-audit: next: inbox-audit audit (prints the report), then "
        f"inbox-audit schedule --install --config {escape(str(written.path))}"
    )
    if written.exit_code not in (ExitCode.OK, ExitCode.OVERDUE_FOUND):
        raise typer.Exit(int(written.exit_code))


# --- schedule: cron / systemd ---------------------------------------------------------------


@app.command("schedule")
def schedule_command(
    account: Annotated[
        str | None, typer.Option("--account", help="The account to audit (default: the default).")
    ] = None,
    config_path: Annotated[
        Path | None, typer.Option("--config", help="Configuration file.", dir_okay=False)
    ] = None,
    at: Annotated[str, typer.Option("--at", help="Time of day, HH:MM.")] = "07:00",
    install_job: Annotated[
        bool,
        typer.Option(
            "--install",
            help="Install the job in your crontab (the rest of it kept, the previous one backed "
            "up in the state directory), or as a systemd user timer with --systemd.",
        ),
    ] = False,
    uninstall_job: Annotated[
        bool, typer.Option("--uninstall", help="Remove the installed job.")
    ] = False,
    systemd: Annotated[
        bool, typer.Option("--systemd", help="A systemd user timer rather than cron.")
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Run the installed job once the way cron (or systemd) would: empty "
            "environment, no terminal; say what the owner receives.",
        ),
    ] = False,
) -> None:
    """Run the audit every day: print, install, remove or check the job.

    The job runs `inbox-audit audit --scheduled` for an account of the config file (it emails
    the summary as [notify] says; without [notify], it prints a summary for cron to mail),
    with the PATH it needs (cron's default finds neither this program nor `pass`). Without
    --install, --uninstall or --check, the crontab line and the systemd units are printed.
    """
    from inbox_audit.app import install
    from inbox_audit.app.schedule import daily_job, instructions

    try:
        if sum((install_job, uninstall_job, check)) > 1:
            raise UsageError("give one of --install, --uninstall, --check")
        config = load_config(config_path, warn=warn)
        if config is None:
            raise UsageError(
                "a scheduled audit needs a config file with an account",
                hint="run: inbox-audit init",
            )
        flags = Flags(account=account, email=True if _notify_configured(config) else None)
        run = resolve(flags, config)
        job = daily_job(config, run, account, at)
        unit_dir = config_home() / "systemd" / "user"
        if check:
            lines, code = install.check(job, systemd, unit_dir, run.state_dir)
            sys.stdout.write("".join(line + "\n" for line in lines))
            raise typer.Exit(code)
        if not (install_job or uninstall_job):
            sys.stdout.write(instructions(job, unit_dir))
            sys.stdout.flush()
            return
        told = install.apply(job, uninstall_job, systemd, unit_dir, run.state_dir)
    except InboxAuditError as error:
        _fail(error)
    for line in told:
        stderr_console().print(f"inbox-audit: {escape(line)}")


@app.command("version")
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
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def demo_command(ctx: typer.Context) -> None:
    """Audit the bundled demo mailbox (a small French/English shop, as of 20 Nov 2026 09:00
    Paris): no account needed. Extra options go to `audit`, e.g. --format json."""
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
        app()
    except KeyboardInterrupt:
        stderr_console().print("inbox-audit: interrupted")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # a bug: one line, and a way to report it
        stderr_console().print(
            f"[bold red]inbox-audit: internal error:[/] {type(exc).__name__}: {escape(str(exc))}"
        )
        stderr_console().print("  hint: please report this with the command you ran (no password)")
        sys.exit(int(ExitCode.INTERNAL))


def _gc_policy() -> None:
    """The run's one garbage-collection policy, set once here rather than around each step."""
    # An audit builds 100,000s of acyclic objects (messages, results, rows) and keeps them to
    # the end: with the default thresholds, a young-generation pass every 700 allocations and
    # the older passes rescan them all (a fifth of the parse time at 100,000 messages). Rarer
    # passes keep the collector for the few real cycles (rich, typer) at a fraction of the cost.
    gc.freeze()  # what the imports built is never garbage
    gc.set_threshold(100_000, 50, 100)
