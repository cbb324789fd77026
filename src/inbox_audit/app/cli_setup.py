"""The command line's setup commands: password (keyring), init (first config), schedule (job)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from inbox_audit.app.cli import (
    _Command,
    _fail,
    _Group,
    _notify_configured,
    app,
)
from inbox_audit.app.config import config_home, load_config
from inbox_audit.app.console import escape, stderr_console, warn
from inbox_audit.app.credentials import keyring_delete, keyring_set
from inbox_audit.app.options import (
    _ADDRESS,
    _COUNTRY,
    _DURATION,
    _FILE,
    _HOURS,
    _NAME,
    _SECONDS,
    _URL,
    _ZONE,
    CaFileOption,
    SmtpCaFileOption,
)
from inbox_audit.app.resolve import Flags, resolve
from inbox_audit.errors import ExitCode, InboxAuditError, UsageError
from inbox_audit.i18n import _

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


# --- init: a first config file, and the nightly job's secrets -------------------------------


@app.command(
    "init",
    cls=_Command,
    help=_(
        "Write a first config file, then test it for real: logs in, detects the folders, the "
        "Sent folder and your addresses, keeps the password where the nightly job will find it "
        "(the OS keyring, a command, or a private file on a server with no keyring), and sends "
        "a real summary. The config file is private (0600) and holds no password."
    ),
)
def init_command(
    config_path: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar=_FILE,
            help=_("Write this file (default: the usual config file)."),
            dir_okay=False,
        ),
    ] = None,
    ca_file: CaFileOption = None,
    timeout: Annotated[
        float,
        typer.Option("--timeout", metavar=_SECONDS, help=_("Seconds to wait."), min=1),
    ] = 30.0,
    no_input: Annotated[
        bool,
        typer.Option(
            "--no-input",
            help=_(
                "Ask nothing: take the answers from the flags, the defaults for the rest "
                "(the password from INBOX_AUDIT_PASSWORD or --password-command)."
            ),
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help=_("Replace an existing file."))] = False,
    server: Annotated[
        str | None, typer.Option("--server", metavar=_("<host>"), help=_("IMAP HOST[:PORT]."))
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", metavar=_NAME, help=_("IMAP user name."))
    ] = None,
    auth: Annotated[
        str | None, typer.Option("--auth", metavar="password|oauth2", help=_("How to log in."))
    ] = None,
    token_command: Annotated[
        str | None,
        typer.Option(
            "--token-command",
            metavar=_("<command>"),
            help=_("OAuth2: a command printing an access token."),
        ),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            metavar="keyring|command|file",
            help=_(
                "Where the nightly job finds the password: `keyring` (the OS keyring), "
                "`command` (--password-command) or `file` (a private file, mode 0600). "
                "Default: `keyring` when there is one, else `file`."
            ),
        ),
    ] = None,
    password_command: Annotated[
        str | None,
        typer.Option(
            "--password-command",
            metavar=_("<command>"),
            help=_("A command printing the password (pass, gopass, secret-tool, systemd-creds)."),
        ),
    ] = None,
    account: Annotated[
        str | None, typer.Option("--account", metavar=_NAME, help=_("The account's name."))
    ] = None,
    me: Annotated[
        list[str] | None,
        typer.Option(
            "--me", metavar=_ADDRESS, help=_("Your address (repeatable; default: detected).")
        ),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone", metavar=_ZONE, help=_("Your time zone (default: the system's).")
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option("--lang", metavar="fr|en", help=_("Your language (default: the locale's).")),
    ] = None,
    sla: Annotated[
        str | None,
        typer.Option("--sla", metavar=_DURATION, help=_("Answer within (default: 24h).")),
    ] = None,
    working_hours: Annotated[
        str | None,
        typer.Option(
            "--working-hours",
            metavar=_HOURS,
            help=_('Your working hours, e.g. "mon-fri 09:00-12:00,14:00-18:00".'),
        ),
    ] = None,
    holidays: Annotated[
        str | None,
        typer.Option(
            "--holidays",
            metavar=_COUNTRY,
            help=_("Public holidays of a country code, e.g. FR."),
        ),
    ] = None,
    email_to: Annotated[
        str | None,
        typer.Option(
            "--email-to",
            metavar=_ADDRESS,
            help=_("Email the nightly summary here (empty: no email)."),
        ),
    ] = None,
    smtp: Annotated[
        str | None,
        typer.Option("--smtp", metavar=_URL, help=_("smtp://[USER@]HOST[:PORT] or smtps://...")),
    ] = None,
    smtp_ca_file: SmtpCaFileOption = None,
    test_email: Annotated[
        bool,
        typer.Option("--test-email/--no-test-email", help=_("Send a real summary at the end.")),
    ] = True,
) -> None:
    """Write and test a first config file (its help, in the owner's language, is the
    decorator's)."""
    # Every option is the answer of the same name (app/init.py's Answers).
    answers = dict(locals())
    from inbox_audit.app.init import Answers, write_first_config

    answers["me"] = tuple(me) if me else None
    try:
        written = write_first_config(Answers(**answers))
    except InboxAuditError as error:
        _fail(error)
    stderr_console().print(
        "inbox-audit: "
        + _(
            "next: inbox-audit audit (prints the report), then "
            "inbox-audit schedule --install --config {path}"
        ).format(path=escape(str(written.path)))
    )
    if written.exit_code not in (ExitCode.OK, ExitCode.OVERDUE_FOUND):
        raise typer.Exit(int(written.exit_code))


# --- schedule: cron / systemd ---------------------------------------------------------------


@app.command(
    "schedule",
    cls=_Command,
    help=_(
        "Run the audit every day: print, install, remove or check the job.\n\n"
        "The job runs `inbox-audit audit --scheduled` for an account of the config file (it "
        "emails the summary as [notify] says; without [notify], it prints a summary for cron "
        "to mail), with the PATH it needs (cron's default finds neither this program nor "
        "`pass`). Without --install, --uninstall or --check, the crontab line and the systemd "
        "units are printed."
    ),
)
def schedule_command(
    account: Annotated[
        str | None,
        typer.Option(
            "--account", metavar=_NAME, help=_("The account to audit (default: the default).")
        ),
    ] = None,
    config_path: Annotated[
        Path | None,
        typer.Option("--config", metavar=_FILE, help=_("Configuration file."), dir_okay=False),
    ] = None,
    at: Annotated[
        str, typer.Option("--at", metavar=_("<HH:MM>"), help=_("Time of day, HH:MM."))
    ] = "07:00",
    install_job: Annotated[
        bool,
        typer.Option(
            "--install",
            help=_(
                "Install the job in your crontab (the rest of it kept, the previous one backed "
                "up in the state directory), or as a systemd user timer with --systemd."
            ),
        ),
    ] = False,
    uninstall_job: Annotated[
        bool, typer.Option("--uninstall", help=_("Remove the installed job."))
    ] = False,
    systemd: Annotated[
        bool, typer.Option("--systemd", help=_("A systemd user timer rather than cron."))
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help=_(
                "Run the installed job once the way cron (or systemd) would: empty "
                "environment, no terminal; say what the owner receives."
            ),
        ),
    ] = False,
) -> None:
    """Print, install, remove or check the daily job (its help is the decorator's)."""
    from inbox_audit.app import install
    from inbox_audit.app.schedule import daily_job, instructions

    try:
        if sum((install_job, uninstall_job, check)) > 1:
            raise UsageError(_("give one of --install, --uninstall, --check"))
        config = load_config(config_path, warn=warn)
        if config is None:
            raise UsageError(
                _("a scheduled audit needs a config file with an account"),
                hint=_("run: inbox-audit init"),
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
