"""`inbox-audit init`: ask (or take from flags), log in, keep the secret, write, send a test."""

from __future__ import annotations

import contextlib
import os
import re
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from inbox_audit.app.config import (
    default_config_path,
    load_config,
    parse_config,
    render_config,
)
from inbox_audit.app.console import escape, stderr_console
from inbox_audit.app.credentials import (
    PASSWORD_ENV,
    AuthMethod,
    keyring_set,
    keyring_usable,
    run_command,
    write_private,
)
from inbox_audit.app.login import open_imap
from inbox_audit.errors import ConfigError, ExitCode, UsageError
from inbox_audit.i18n import _, choose, ngettext
from inbox_audit.model import FolderRole, Unreadable
from inbox_audit.outputs.notify import SMTP_PASSWORD_ENV, parse_smtp_url
from inbox_audit.settings import parse_duration
from inbox_audit.sources.spec import ConnectOptions, ImapTarget, parse_source

if TYPE_CHECKING:
    from inbox_audit.sources.imap import ImapSource

#: Where the nightly job finds the password: the choices init offers.
STORES = ("keyring", "command", "file")
DEFAULT_HOURS = "mon-fri 09:00-18:00"
_DAYS = r"(mon|tue|wed|thu|fri|sat|sun)"
_SPAN = r"([01]\d|2[0-4]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d"
# Only the shape is checked here; the audit's own parser reads the meaning.
_HOURS = re.compile(rf"^{_DAYS}(-{_DAYS})?(,{_DAYS}(-{_DAYS})?)* {_SPAN}(,{_SPAN})*$")
_HOLIDAYS = re.compile(r"^([A-Z]{2}(-[A-Z0-9]{1,3})?)?$")


@dataclass(frozen=True)
class Answers:
    """What the flags answered; None: ask (or take the default with --no-input)."""

    config_path: Path | None = None
    ca_file: Path | None = None
    timeout: float = 30.0
    no_input: bool = False  # take the defaults rather than ask
    force: bool = False  # replace an existing file without asking
    server: str | None = None  # HOST[:PORT]
    user: str | None = None
    auth: str | None = None  # password | oauth2
    token_command: str | None = None
    store: str | None = None  # keyring | command | file
    password_command: str | None = None
    account: str | None = None
    me: tuple[str, ...] | None = None
    timezone: str | None = None
    lang: str | None = None
    sla: str | None = None
    working_hours: str | None = None
    holidays: str | None = None
    email_to: str | None = None
    smtp: str | None = None
    smtp_ca_file: Path | None = None
    test_email: bool = True


@dataclass(frozen=True)
class Written:
    """What init did: the file, where the password lives, and the test email's outcome."""

    path: Path
    store: str  # "keyring (SecretService)", "password_file ~/.config/...", "password_command"
    emailed_to: str | None
    exit_code: ExitCode


class _Asker:
    """Each question: the flag's answer, else a prompt, else (with --no-input) the default."""

    def __init__(self, answers: Answers, path: Path) -> None:
        self.answers = answers
        self.path = path  # the config file being written

    def __call__(self, question: str, given: str | None, default: str | None, flag: str) -> str:
        if given is not None:
            return given.strip()
        if self.answers.no_input:
            if default is None:
                raise UsageError(_("init --no-input needs {flag}").format(flag=flag))
            return default
        try:
            typed = typer.prompt(
                question,
                default=default,
                show_default=bool(default),
                err=True,
            )
        except typer.Abort:
            raise UsageError(
                _("no answer to {question!r}").format(question=question),
                hint=_("give {flag}").format(flag=flag),
            ) from None
        return str(typed).strip()

    def secret(self, question: str, env_var: str) -> str:
        from_env = os.environ.get(env_var)
        if from_env:
            return from_env
        if self.answers.no_input:
            raise ConfigError(
                _("init --no-input needs the password in {variable} or --password-command").format(
                    variable=env_var
                ),
                hint=_("never on the command line"),
            )
        try:
            return str(typer.prompt(question, hide_input=True, err=True))
        except typer.Abort:
            raise UsageError(
                _("no answer to {question!r}").format(question=question),
                hint=_("set {variable}").format(variable=env_var),
            ) from None

    def confirm(self, question: str, default: bool) -> bool:
        if self.answers.no_input:
            return default
        try:
            return typer.confirm(question, default=default, err=True)
        except typer.Abort:
            return default


def say(text: str) -> None:
    stderr_console().print(f"inbox-audit: {escape(text)}")


def write_first_config(answers: Answers) -> Written:
    """Ask, test the login, detect, keep the secret, write the config file (0600, no secret in
    it), then send a real summary. An InboxAuditError says why nothing was written."""
    from urllib.parse import quote

    path = (answers.config_path or default_config_path()).expanduser()
    ask = _Asker(answers, path)
    if (
        path.exists()
        and not answers.force
        and not ask.confirm(_("{path} exists. Replace it?").format(path=path), False)
    ):
        raise UsageError(
            _("{path} exists; nothing written").format(path=path),
            hint=_("use --force or --config OTHER.toml"),
        )
    for name, file in (("--ca-file", answers.ca_file), ("--smtp-ca-file", answers.smtp_ca_file)):
        if file is not None and not file.is_file():
            raise ConfigError(
                _("{option} {path} is not a readable file").format(option=name, path=file)
            )
    server = ask(_("IMAP server (host or host:port)"), answers.server, None, "--server")
    host, _colon, port_text = server.rpartition(":") if server.count(":") == 1 else (server, "", "")
    host = host or server
    port = int(port_text) if port_text.isdigit() else 993
    user = ask(_("User name"), answers.user, None, "--user")
    scheme = "imap" if port == 143 else "imaps"  # 143: STARTTLS; anything else: TLS
    source = f"{scheme}://{quote(user, safe='')}@{host}:{port}"
    target = parse_source(source)
    assert isinstance(target, ImapTarget)
    auth = AuthMethod(
        _choice(
            ask(_("Log in with (password or oauth2)"), answers.auth, "password", "--auth"),
            ("password", "oauth2"),
        )
    )
    password = token = ""
    token_command = None
    if auth is AuthMethod.OAUTH2:
        token_command = ask(
            _("Command printing an access token"), answers.token_command, None, "--token-command"
        )
        token = run_command(token_command, "token_command")
    elif answers.password_command:
        password = run_command(answers.password_command, "--password-command")
    else:
        password = ask.secret(_("Password"), PASSWORD_ENV)
    options = ConnectOptions(
        password=password, oauth2_token=token, ca_file=answers.ca_file, timeout=answers.timeout
    )
    say(_("logging in to {server}...").format(server=target.display()))
    with open_imap(target, options) as imap:
        sent, addresses, folders = detect(imap)
    say(
        ngettext(
            "login works; {count} folder; Sent folder: {sent}; your addresses: {addresses}",
            "login works; {count} folders; Sent folder: {sent}; your addresses: {addresses}",
            folders,
        ).format(
            count=folders,
            sent=sent or _("not found"),
            addresses=", ".join(addresses) or _("none found"),
        )
    )
    account = ask(_("Account name"), answers.account, "mail", "--account")
    default_me = ", ".join(addresses or ([user] if "@" in user else []))
    me_given = ", ".join(answers.me) if answers.me is not None else None
    me_text = ask(_("Your addresses (comma separated)"), me_given, default_me or None, "--me")
    me = tuple(a.strip().lower() for a in me_text.split(",") if a.strip())
    zone = ask(_("Your time zone"), answers.timezone, system_zone_name(), "--timezone")
    from inbox_audit.app.time_settings import parse_zone

    parse_zone(zone)
    lang = _choice(
        ask(_("Language (fr or en)"), answers.lang, choose(None, os.environ), "--lang"),
        ("fr", "en"),
    )
    sla = ask(_("Answer customers within"), answers.sla, "24h", "--sla")
    parse_duration(sla)
    hours = ask(_("Working hours"), answers.working_hours, DEFAULT_HOURS, "--working-hours")
    if not _HOURS.match(hours.lower()):
        raise UsageError(
            _("invalid working hours {hours!r}").format(hours=hours),
            hint=_('e.g. "mon-fri 09:00-12:00,14:00-18:00"'),
        )
    holidays = ask(
        _("Public holidays of (country code, empty: none)"),
        answers.holidays,
        "FR" if lang == "fr" else "",
        "--holidays",
    ).upper()
    if not _HOLIDAYS.match(holidays):
        raise UsageError(
            _("invalid holidays {holidays!r}").format(holidays=holidays),
            hint=_("a country code, e.g. FR or GB"),
        )
    email_to = ask(
        _("Email the nightly summary to (none: no email)"),
        answers.email_to,
        me[0] if me else _("none"),
        "--email-to",
    )
    email_to = "" if email_to.lower() in ("none", "-", _("none").lower()) else email_to
    smtp = None
    if email_to:
        default_smtp = f"smtps://{quote(user, safe='')}@{host}"
        smtp = ask(_("SMTP server for it"), answers.smtp, default_smtp, "--smtp")
        parse_smtp_url(smtp)
    store, command = _store(ask, answers, auth, password)
    secret_keys, store_text = _keep_secret(store, account, password, command, path)
    smtp_keys: dict[str, str] = {}
    if smtp is not None:
        smtp_user, smtp_host = parse_smtp_url(smtp).user, parse_smtp_url(smtp).host
        if smtp_user:
            same = (smtp_user, smtp_host) == (user, host)
            smtp_keys = _smtp_secret(ask, store, f"{smtp_user}@{smtp_host}", same, secret_keys)
            if store == "keyring" and same:
                keyring_set(f"smtp:{smtp_user}@{smtp_host}", password)
    text = render_config(
        account=account,
        source=source,
        me=me,
        sent_folder=sent,
        sla=sla,
        ca_file=answers.ca_file.resolve() if answers.ca_file else None,
        email_to=email_to or None,
        smtp=smtp,
        timezone=zone,
        lang=lang,
        working_hours=hours,
        holidays=holidays or None,
        auth=auth.value if auth is AuthMethod.OAUTH2 else None,
        token_command=token_command,
        secrets=secret_keys,
        smtp_ca_file=answers.smtp_ca_file.resolve() if answers.smtp_ca_file else None,
        smtp_secrets=smtp_keys,
    )
    import tomllib

    parse_config(tomllib.loads(text), path)  # what we write, we can read
    try:
        write_private(path, text)
    except OSError as exc:
        raise ConfigError(
            _("cannot write {path}: {reason}").format(path=path, reason=exc.strerror)
        ) from None
    say(
        _("wrote {path} (mode 0600); the password is kept in {store}").format(
            path=path, store=store_text
        )
    )
    if not email_to or not answers.test_email:
        return Written(path, store_text, None, ExitCode.OK)
    return replace(
        Written(path, store_text, email_to, ExitCode.OK), exit_code=send_test(path, account)
    )


def _choice(value: str, choices: tuple[str, ...]) -> str:
    value = value.strip().lower()
    if value not in choices:
        raise UsageError(
            _("{value!r} is not one of: {choices}").format(value=value, choices=", ".join(choices))
        )
    return value


def _store(
    ask: _Asker, answers: Answers, auth: AuthMethod, password: str
) -> tuple[str, str | None]:
    """Where the nightly job finds the password: the OS keyring when there is one, else what
    works on a server with no desktop (a command, or a private file); and the command."""
    if auth is AuthMethod.OAUTH2:
        return "command", None  # the token_command is the store
    backend = keyring_usable()
    if answers.password_command and answers.store is None:
        return "command", answers.password_command
    if backend is None:
        say(
            _(
                "no OS keyring here (no desktop session): the password can live in a private "
                "file (mode 0600), or come from a command such as {examples}"
            ).format(
                examples="`pass show mail/shop`, `gopass show -o mail/shop`, "
                "`secret-tool lookup service mail`, "
                "`systemd-creds decrypt ~/.config/inbox-audit/imap.cred -`"
            )
        )
    default = "keyring" if backend else ("command" if answers.password_command else "file")
    offered = STORES if backend else STORES[1:]
    store = _choice(
        ask(
            _("Keep the password in ({choices})").format(choices="/".join(offered)),
            answers.store,
            default,
            "--store",
        ),
        offered if answers.store is None else STORES,
    )
    if store == "keyring" and backend is None:
        raise ConfigError(
            _("there is no OS keyring here"), hint=_("use --store file or --store command")
        )
    command = answers.password_command
    if store == "command" and not command:
        command = ask(_("Command printing the password"), None, None, "--password-command")
        # The command must give the password that just logged in, tonight as now.
        if run_command(command, "password_command") != password:
            raise ConfigError(
                _("password_command {command!r} does not print the password that logged in").format(
                    command=command
                )
            )
    return store, command


def _keep_secret(
    store: str, account: str, password: str, command: str | None, config_path: Path
) -> tuple[dict[str, str], str]:
    """Keep the IMAP password in `store`: the config keys to write, and a phrase for the user."""
    if store == "command":
        if command is None:
            return {}, "token_command"
        return {"password_command": command}, f"password_command ({command})"
    if store == "keyring":
        backend = keyring_set(account, password)
        return {}, _("the OS keyring ({backend})").format(backend=backend)
    file = secrets_dir(config_path) / f"{account}.password"
    _write_secret(file, password)
    return {"password_file": str(file)}, _("{path} (mode 0600, checked at every run)").format(
        path=file
    )


def _smtp_secret(
    ask: _Asker, store: str, login: str, same: bool, imap_keys: dict[str, str]
) -> dict[str, str]:
    """The SMTP login's config keys: the IMAP password's when it is the same login, else
    asked and kept in the same kind of store (a private file for a command store)."""
    if same:
        # The keyring's SMTP entry is written by the caller, which holds the password.
        return {f"smtp_{key}": value for key, value in imap_keys.items()}
    secret = ask.secret(_("SMTP password for {login}").format(login=login), SMTP_PASSWORD_ENV)
    if store == "keyring":
        keyring_set(f"smtp:{login}", secret)
        return {}
    file = secrets_dir(ask.path) / f"smtp-{login}.password"
    _write_secret(file, secret)
    return {"smtp_password_file": str(file)}


def _write_secret(file: Path, secret: str) -> None:
    try:
        write_private(file, secret + "\n")
    except OSError as exc:
        raise ConfigError(
            _("cannot write {path}: {reason}").format(path=file, reason=exc.strerror)
        ) from None


def secrets_dir(config_path: Path) -> Path:
    """Beside the config file: one private folder for the secrets files."""
    return config_path.resolve().parent / "secrets"


def send_test(path: Path, account: str) -> ExitCode:
    """Run the audit as configured and email its summary: the test the nightly job will pass."""
    from datetime import datetime

    from inbox_audit.app.login import smtp_target
    from inbox_audit.app.resolve import Flags, resolve
    from inbox_audit.app.run import run_audit

    config = load_config(path)
    run = resolve(Flags(account=account, email=True), config)
    assert run.notify is not None
    say(
        _("sending a test summary to {to} through {server}...").format(
            to=run.notify.email_to, server=run.notify.smtp.display()
        )
    )
    smtp = smtp_target(run)
    notify = replace(run.notify, only_if_late=False)  # the test is sent whatever it finds
    run = replace(run, notify=notify)
    code = run_audit(run, datetime.now(run.zone), smtp, None, False, True)
    if code is ExitCode.NOT_DELIVERED:
        say(
            _(
                "the test summary was NOT sent (see above); fix the [notify] section, then run: "
                "{command}"
            ).format(command=f"inbox-audit audit --email --config {path}")
        )
    elif code in (ExitCode.OK, ExitCode.OVERDUE_FOUND):
        say(_("test summary sent to {to}: check that it arrived").format(to=notify.email_to))
    return code


def detect(source: ImapSource) -> tuple[str | None, list[str], int]:
    """The Sent folder, the addresses that sent from it (most used first), the folder count."""
    from inbox_audit.core.folders import assign_roles
    from inbox_audit.core.headers import UnparsableMessage, parse_message

    folders = assign_roles(source.list_folders())
    sent = next((f.name for f in folders if f.role is FolderRole.SENT), None)
    if sent is None:
        return None, [], len(folders)
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
    return sent, mine or [address for address, _count in senders.most_common(1)], len(folders)


def system_zone_name(env: dict[str, str] | None = None, root: Path = Path("/")) -> str:
    """The system's IANA zone name: $TZ, /etc/timezone, the /etc/localtime link; else UTC."""
    from dateutil import tz

    environ = os.environ if env is None else env
    candidates = [environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append((root / "etc/timezone").read_text(encoding="utf-8").strip())
    try:
        link = str((root / "etc/localtime").readlink())
    except OSError:
        link = ""
    if "zoneinfo/" in link:
        candidates.append(link.split("zoneinfo/", 1)[1])
    for name in candidates:
        if name and "/" in name and tz.gettz(name) is not None:
            return name
    return "UTC"
