"""The TOML configuration file, and the merge flags > file > defaults into one frozen RunConfig.

    default_account = "shop"            # optional when there is one account
    state_dir = "~/.local/state/inbox-audit"

    [accounts.shop]
    source = "imaps://shop@example.com@mail.example.com"
    me = ["shop@example.com", "claire@example.com"]
    sla = "24h"
    password_command = "pass show mail/shop"

    [notify]
    email_to = "claire@example.com"
    smtp = "smtps://shop@example.com@mail.example.com"
    only_if_late = true

Every key is checked: an unknown one is an error naming it, the file and a likely meant one.
Values from the file that are wrong are configuration errors (exit 3); the same values given
as flags are usage errors (exit 2).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Any, TypeVar

from dateutil import tz

from inbox_audit.app.credentials import PASSWORD_ENV, AuthMethod, CredentialSpec
from inbox_audit.errors import ConfigError, UsageError
from inbox_audit.outputs.notify import SMTP_PASSWORD_ENV, SmtpTarget, parse_smtp_url
from inbox_audit.settings import Settings, parse_duration
from inbox_audit.sources.spec import ImapTarget, LocalTarget, parse_source

T = TypeVar("T")
R = TypeVar("R")

LANGUAGES = ("fr", "en")
DEFAULT_SLA = "24h"
DEFAULT_TIMEOUT = 30.0

# key -> (kind, what it is). Kinds: str, strs (a string or a list of strings), bool, number.
_ACCOUNT_KEYS: dict[str, tuple[str, str]] = {
    "source": ("str", "imaps://USER@HOST[:PORT], imap://... or a path to mail on disk"),
    "me": ("strs", "your addresses"),
    "skip_folders": ("strs", "folders not to scan"),
    "sent_folder": ("str", "the Sent folder's name"),
    "sla": ("str", "answer within, e.g. 24h"),
    "timezone": ("str", "an IANA zone, e.g. Europe/Paris"),
    "ca_file": ("str", "a PEM file to trust"),
    "lang": ("str", "holding replies' language: fr or en"),
    "allow_plaintext": ("bool", "allow imap:// without STARTTLS"),
    "timeout": ("number", "seconds"),
    "auth": ("str", "password or oauth2"),
    "password": ("str", "the password in clear (discouraged)"),
    "password_command": ("str", "a command printing the password"),
    "token_command": ("str", "a command printing an OAuth2 access token"),
    "keyring": ("bool", "look in the OS keyring"),
}
_NOTIFY_KEYS: dict[str, tuple[str, str]] = {
    "email_to": ("strs", "who gets the report"),
    "email_from": ("str", "the report's sender"),
    "smtp": ("str", "smtp://[USER@]HOST[:PORT] or smtps://..."),
    "smtp_ca_file": ("str", "a PEM file to trust"),
    "only_if_late": ("bool", "send only when something is overdue"),
    "smtp_password": ("str", "the SMTP password in clear (discouraged)"),
    "smtp_password_command": ("str", "a command printing the SMTP password"),
    "keyring": ("bool", "look in the OS keyring for the SMTP password"),
}
_TOP_KEYS: dict[str, tuple[str, str]] = {
    "default_account": ("str", "the account used without --account"),
    "state_dir": ("str", "where undelivered reports and the lock live"),
    "accounts": ("table", "[accounts.NAME] sections"),
    "notify": ("table", "the [notify] section"),
}
_SECRET_KEYS = ("password", "smtp_password")


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    """$XDG_CONFIG_HOME/inbox-audit/config.toml, else ~/.config/inbox-audit/config.toml."""
    return _xdg(env, "XDG_CONFIG_HOME", ".config") / "config.toml"


def default_state_dir(env: Mapping[str, str] | None = None) -> Path:
    """$XDG_STATE_HOME/inbox-audit, else ~/.local/state/inbox-audit."""
    return _xdg(env, "XDG_STATE_HOME", ".local/state")


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """$XDG_CACHE_HOME/inbox-audit, else ~/.cache/inbox-audit."""
    return _xdg(env, "XDG_CACHE_HOME", ".cache")


def config_home(env: Mapping[str, str] | None = None) -> Path:
    """$XDG_CONFIG_HOME, else ~/.config (systemd user units live under it too)."""
    return _base(env, "XDG_CONFIG_HOME", ".config")


def _xdg(env: Mapping[str, str] | None, variable: str, fallback: str) -> Path:
    return _base(env, variable, fallback) / "inbox-audit"


def _base(env: Mapping[str, str] | None, variable: str, fallback: str) -> Path:
    value = (os.environ if env is None else env).get(variable, "")
    # XDG Base Directory spec: a relative path in the variable is invalid and ignored.
    return Path(value) if value and Path(value).is_absolute() else Path.home() / fallback


# --- The file ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountConfig:
    """One [accounts.NAME] section, type-checked; values are parsed when the account is used."""

    name: str
    source: str | None = None
    me: tuple[str, ...] | None = None
    skip_folders: tuple[str, ...] | None = None
    sent_folder: str | None = None
    sla: str | None = None
    timezone: str | None = None
    ca_file: Path | None = None
    lang: str | None = None
    allow_plaintext: bool | None = None
    timeout: float | None = None
    auth: str | None = None
    password: str = field(default="", repr=False)
    password_command: str | None = None
    token_command: str | None = None
    keyring: bool | None = None


@dataclass(frozen=True)
class NotifyConfig:
    """The [notify] section."""

    email_to: str | None = None
    email_from: str | None = None
    smtp: str | None = None
    smtp_ca_file: Path | None = None
    only_if_late: bool | None = None
    smtp_password: str = field(default="", repr=False)
    smtp_password_command: str | None = None
    keyring: bool | None = None


@dataclass(frozen=True)
class ConfigFile:
    """A parsed, checked configuration file."""

    path: Path
    accounts: dict[str, AccountConfig]
    notify: NotifyConfig = NotifyConfig()
    default_account: str | None = None
    state_dir: Path | None = None


def load_config(
    path: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    warn: Callable[[str], None] | None = None,
) -> ConfigFile | None:
    """Read `path` (given with --config: must exist) or the default file (may be absent)."""
    explicit = path is not None
    where = (path if path is not None else default_config_path(env)).expanduser()
    try:
        data = where.read_bytes()
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"config file {where} not found") from None
        return None
    except IsADirectoryError:
        raise ConfigError(f"config file {where} is a directory") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {where}: {exc.strerror}") from None
    import tomllib  # here: a run without a config file does without it

    try:
        text = data.decode("utf-8")
        document = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ConfigError(f"config file {where} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message names line and column, never the content (which may be a secret).
        raise ConfigError(f"config file {where} is not valid TOML: {exc}") from None
    config = parse_config(document, where)
    if warn is not None and _holds_secret(config):
        mode = _mode(where)
        if mode is not None and mode & 0o044:
            warn(
                f"{where} holds a password and is readable by other users "
                f"(mode {mode:04o}); run: chmod 600 {where}"
            )
    return config


def _mode(path: Path) -> int | None:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return None


def _holds_secret(config: ConfigFile) -> bool:
    return bool(config.notify.smtp_password) or any(a.password for a in config.accounts.values())


def parse_config(document: Mapping[str, Any], path: Path) -> ConfigFile:
    """Check every key and type of a parsed TOML document."""
    _check_keys(document, _TOP_KEYS, path, "")
    default = _typed(document, "default_account", "str", path, "")
    state_dir = _typed(document, "state_dir", "str", path, "")
    accounts_table = document.get("accounts", {})
    if not isinstance(accounts_table, dict):
        raise ConfigError(f"'accounts' in {path} must be a table: [accounts.NAME]")
    accounts: dict[str, AccountConfig] = {}
    for name, section in accounts_table.items():
        context = f"accounts.{name}"
        if not isinstance(section, dict):
            raise ConfigError(f"'{context}' in {path} must be a table: [{context}]")
        _check_keys(section, _ACCOUNT_KEYS, path, context)
        values = {
            key: _typed(section, key, kind, path, context)
            for key, (kind, _) in _ACCOUNT_KEYS.items()
        }
        for key in ("ca_file",):
            if values[key] is not None:
                values[key] = _path(values[key], path)
        for key in ("me", "skip_folders"):
            if values[key] is not None:
                values[key] = tuple(values[key])
        values["password"] = values["password"] or ""
        accounts[name] = AccountConfig(name=name, **values)
    notify_table = document.get("notify", {})
    if not isinstance(notify_table, dict):
        raise ConfigError(f"'notify' in {path} must be a table: [notify]")
    _check_keys(notify_table, _NOTIFY_KEYS, path, "notify")
    nv = {
        key: _typed(notify_table, key, kind, path, "notify")
        for key, (kind, _) in _NOTIFY_KEYS.items()
    }
    if nv["email_to"] is not None:
        nv["email_to"] = ", ".join(nv["email_to"])
    if nv["smtp_ca_file"] is not None:
        nv["smtp_ca_file"] = _path(nv["smtp_ca_file"], path)
    nv["smtp_password"] = nv["smtp_password"] or ""
    if default is not None and default not in accounts:
        raise ConfigError(
            f"default_account {default!r} in {path} names no [accounts.{default}] section"
            + _did_you_mean(default, accounts)
        )
    return ConfigFile(
        path=path,
        accounts=accounts,
        notify=NotifyConfig(**nv),
        default_account=default,
        state_dir=_path(state_dir, path) if state_dir is not None else None,
    )


def _check_keys(
    table: Mapping[str, Any], known: Mapping[str, object], path: Path, context: str
) -> None:
    for key in table:
        if key in known:
            continue
        dotted = f"{context}.{key}" if context else key
        elsewhere = _where_else(key, context)
        suggestion = elsewhere or _did_you_mean(key, known)
        raise ConfigError(
            f"unknown key '{dotted}' in {path}{suggestion}",
            hint="valid keys here: " + ", ".join(known),
        )


def _where_else(key: str, context: str) -> str:
    if key in _NOTIFY_KEYS and context != "notify":
        return " (it belongs in the [notify] section)"
    if key in _ACCOUNT_KEYS and not context.startswith("accounts."):
        return " (it belongs in an [accounts.NAME] section)"
    return ""


def _did_you_mean(word: str, choices: Mapping[str, object] | list[str]) -> str:
    import difflib  # only a mistake needs it

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        # "sla_hours" is too far from "sla" for difflib, but plainly meant it.
        close = [c for c in choices if len(c) >= 3 and (word.startswith(c) or c.startswith(word))]
    return f" (did you mean '{close[0]}'?)" if close else ""


def _typed(table: Mapping[str, Any], key: str, kind: str, path: Path, context: str) -> Any:
    value = table.get(key)
    if value is None:
        return None
    dotted = f"{context}.{key}" if context else key
    if kind == "str" and isinstance(value, str):
        return value
    if kind == "strs":
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "table" and isinstance(value, dict):
        return value
    expected = {
        "str": "a string",
        "strs": "a string or a list of strings",
        "bool": "true or false",
        "number": "a number",
        "table": "a table",
    }[kind]
    # The value itself is not shown: it might be a password put under the wrong key.
    raise ConfigError(f"'{dotted}' in {path} must be {expected}")


def _path(text: str, config_path: Path) -> Path:
    """A path from the file: ~ expanded, relative to the file's own directory."""
    candidate = Path(text).expanduser()
    return candidate if candidate.is_absolute() else config_path.parent / candidate


# --- The merge -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Flags:
    """What the command line said; None means "not given" (then the file, then the default)."""

    source: str | None = None
    account: str | None = None
    me: tuple[str, ...] | None = None
    sla: str | None = None
    sent_folder: str | None = None
    skip_folders: tuple[str, ...] | None = None
    timezone: str | None = None
    ca_file: Path | None = None
    lang: str | None = None
    allow_plaintext: bool | None = None
    timeout: float | None = None
    email_to: str | None = None
    email_from: str | None = None
    smtp: str | None = None
    smtp_ca_file: Path | None = None
    only_if_late: bool | None = None
    state_dir: Path | None = None


@dataclass(frozen=True)
class NotifyPlan:
    """Where the report goes, resolved."""

    email_to: str
    email_from: str | None  # None: the first identity of the report, else the IMAP user
    smtp: SmtpTarget
    smtp_ca_file: Path | None
    only_if_late: bool
    credentials: CredentialSpec | None  # None: the SMTP server takes no login


@dataclass(frozen=True)
class RunConfig:
    """Everything one `audit` run needs, built once, frozen."""

    target: ImapTarget | LocalTarget
    account: str | None
    settings: Settings
    ca_file: Path | None
    allow_plaintext: bool
    timeout: float
    credentials: CredentialSpec | None  # None for a local source
    notify: NotifyPlan | None
    state_dir: Path
    config_path: Path | None

    @property
    def zone(self) -> tzinfo:
        return self.settings.tz


@dataclass(frozen=True)
class _Origin:
    """Where a value came from, to blame the right thing: a flag (exit 2) or the file (3)."""

    flag: str
    key: str | None = None  # set when the value came from the file
    config: ConfigFile | None = None
    section: str = ""

    def describe(self) -> str:
        """'--ca-file', or "'ca_file' in [accounts.shop] of /home/me/.config/...": for errors."""
        if self.config is None or self.key is None:
            return self.flag
        where = f"[{self.section}] of {self.config.path}" if self.section else str(self.config.path)
        return f"'{self.key}' in {where}"

    def parse(self, parse: Callable[[T], R], value: T) -> R:
        try:
            return parse(value)
        except UsageError as exc:
            if self.config is None or self.key is None:
                raise
            raise ConfigError(f"{exc} ({self.describe()})", hint=exc.hint) from None


def _pick(
    flag_value: T | None,
    flag: str,
    file_value: T | None,
    key: str,
    config: ConfigFile | None,
    section: str,
) -> tuple[T | None, _Origin]:
    if flag_value is not None:
        return flag_value, _Origin(flag)
    if file_value is not None:
        return file_value, _Origin(flag, key, config, section)
    return None, _Origin(flag)


def choose_account(
    config: ConfigFile | None, name: str | None, source: str | None
) -> AccountConfig | None:
    """--account NAME; else, without SOURCE, the default or only account; else none."""
    if name is not None:
        if config is None:
            raise UsageError(
                f"--account {name}: there is no config file",
                hint=f"create {default_config_path()} with an [accounts.{name}] section",
            )
        if name not in config.accounts:
            raise UsageError(
                f"no account {name!r} in {config.path}" + _did_you_mean(name, config.accounts),
                hint="accounts: " + (", ".join(config.accounts) or "none"),
            )
        return config.accounts[name]
    if source is not None:
        return None  # an ad-hoc SOURCE: the accounts' settings are not mixed in
    if config is None or not config.accounts:
        where = config.path if config is not None else default_config_path()
        raise UsageError(
            "no SOURCE given and no account configured",
            hint=f"give SOURCE (imaps://USER@HOST), or add an [accounts.NAME] section to {where}",
        )
    if config.default_account is not None:
        return config.accounts[config.default_account]
    if len(config.accounts) == 1:
        return next(iter(config.accounts.values()))
    raise UsageError(
        f"{config.path} has several accounts: choose one with --account",
        hint="accounts: " + ", ".join(config.accounts) + " (or set default_account)",
    )


def resolve(
    flags: Flags, config: ConfigFile | None, *, env: Mapping[str, str] | None = None
) -> RunConfig:
    """Merge flags > config file > defaults into a RunConfig; every value checked here."""
    account = choose_account(config, flags.account, flags.source)
    acc = account or AccountConfig(name="")
    section = f"accounts.{acc.name}" if account else ""

    def pick(
        flag_value: T | None, flag: str, file_value: T | None, key: str
    ) -> tuple[T | None, _Origin]:
        return _pick(flag_value, flag, file_value, key, config, section)

    source, origin = pick(flags.source, "SOURCE", acc.source, "source")
    if source is None:
        raise ConfigError(
            f"account {acc.name!r} has no 'source' in {config.path if config else 'the config'}",
            hint='add source = "imaps://USER@HOST"',
        )
    target = origin.parse(parse_source, _local_relative(source, origin))

    zone_name, origin = pick(flags.timezone, "--timezone", acc.timezone, "timezone")
    zone = origin.parse(parse_zone, zone_name)
    sla_text, origin = pick(flags.sla, "--sla", acc.sla, "sla")
    sla = origin.parse(parse_duration, sla_text or DEFAULT_SLA)
    lang, origin = pick(flags.lang, "--lang", acc.lang, "lang")
    if lang is not None:
        origin.parse(_check_lang, lang)
    me, _ = pick(flags.me, "--me", acc.me, "me")
    skip, _ = pick(flags.skip_folders, "--skip-folder", acc.skip_folders, "skip_folders")
    sent, _ = pick(flags.sent_folder, "--sent-folder", acc.sent_folder, "sent_folder")
    settings = Settings(
        sla=sla,
        me=tuple(address.strip().lower() for address in me or ()),
        sent_folder=sent,
        skip_folders=tuple(skip or ()),
        lang=lang,
        tz=zone,
    )
    ca_file, origin = pick(flags.ca_file, "--ca-file", acc.ca_file, "ca_file")
    if ca_file is not None:
        _check_file(ca_file, origin)
    allow_plaintext, _ = pick(
        flags.allow_plaintext, "--allow-plaintext", acc.allow_plaintext, "allow_plaintext"
    )
    timeout, origin = pick(flags.timeout, "--timeout", acc.timeout, "timeout")
    if timeout is not None:
        origin.parse(_check_timeout, timeout)

    credentials = None
    if isinstance(target, ImapTarget):
        auth_text, origin = pick(None, "auth", acc.auth, "auth")
        auth = origin.parse(_auth_method, auth_text or AuthMethod.PASSWORD.value)
        use_keyring = acc.keyring if acc.keyring is not None else True
        credentials = CredentialSpec(
            label=f"{target.user}@{target.host}",
            env_var=PASSWORD_ENV,
            auth=auth,
            password=acc.password,
            password_command=acc.password_command,
            token_command=acc.token_command,
            keyring_key=(acc.name or f"{target.user}@{target.host}") if use_keyring else None,
        )

    state_dir = flags.state_dir or (config.state_dir if config else None) or default_state_dir(env)
    return RunConfig(
        target=target,
        account=account.name if account else None,
        settings=settings,
        ca_file=ca_file,
        allow_plaintext=bool(allow_plaintext),
        timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
        credentials=credentials,
        notify=_notify_plan(flags, config),
        state_dir=state_dir.expanduser(),
        config_path=config.path if config else None,
    )


def _notify_plan(flags: Flags, config: ConfigFile | None) -> NotifyPlan | None:
    file = config.notify if config else NotifyConfig()

    def pick(
        flag_value: T | None, flag: str, file_value: T | None, key: str
    ) -> tuple[T | None, _Origin]:
        return _pick(flag_value, flag, file_value, key, config, "notify")

    email_to, to_origin = pick(flags.email_to, "--email-to", file.email_to, "email_to")
    if email_to is None:
        return None
    to_origin.parse(lambda v: _check_addresses(v, "recipient", single=False), email_to)
    email_from, origin = pick(flags.email_from, "--email-from", file.email_from, "email_from")
    if email_from is not None:
        origin.parse(lambda v: _check_addresses(v, "sender", single=True), email_from)
    smtp_url, origin = pick(flags.smtp, "--smtp", file.smtp, "smtp")
    if smtp_url is None:
        raise UsageError(
            "--email-to needs an SMTP server",
            hint="add --smtp smtp://HOST:PORT (or smtps://USER@HOST), or smtp in [notify]",
        )
    smtp = origin.parse(parse_smtp_url, smtp_url)
    ca_file, origin = pick(flags.smtp_ca_file, "--smtp-ca-file", file.smtp_ca_file, "smtp_ca_file")
    if ca_file is not None:
        _check_file(ca_file, origin)
    only, _ = pick(flags.only_if_late, "--only-if-late", file.only_if_late, "only_if_late")
    credentials = None
    if smtp.user:
        use_keyring = file.keyring if file.keyring is not None else True
        credentials = CredentialSpec(
            label=f"{smtp.user} on {smtp.host}",
            env_var=SMTP_PASSWORD_ENV,
            password=file.smtp_password,
            password_command=file.smtp_password_command,
            keyring_key=f"smtp:{smtp.user}@{smtp.host}" if use_keyring else None,
            setting_prefix="smtp_",
        )
    return NotifyPlan(
        email_to=email_to,
        email_from=email_from,
        smtp=smtp,
        smtp_ca_file=ca_file,
        only_if_late=bool(only),
        credentials=credentials,
    )


# --- Value parsers (UsageError; _Origin turns them into ConfigError for file values) ---------


def parse_zone(name: str | None) -> tzinfo:
    """An IANA zone name; None is the system's zone."""
    if name is None:
        return tz.tzlocal()
    zone = tz.gettz(name)
    if zone is None:
        raise UsageError(f"unknown time zone {name!r}", hint="use an IANA name like Europe/Paris")
    return zone


def _local_relative(source: str, origin: _Origin) -> str:
    """A relative mail path in the file is relative to the file, like every path there."""
    if origin.config is None or "://" in source or ":" in source.split("/")[0]:
        return source
    return str(_path(source, origin.config.path))


def _check_lang(lang: str) -> None:
    if lang not in LANGUAGES:
        raise UsageError(f"unknown language {lang!r}", hint="use fr or en")


def _check_file(path: Path, origin: _Origin) -> None:
    # A configuration error whichever way it was given (the file named does not exist).
    if not path.is_file():
        raise ConfigError(f"{origin.describe()} {path} is not a readable file")


def _check_timeout(value: float) -> None:
    if value < 1:
        raise UsageError(f"timeout must be at least 1 second, not {value:g}")


def _auth_method(text: str) -> AuthMethod:
    try:
        return AuthMethod(text)
    except ValueError:
        raise UsageError(f"unknown auth method {text!r}", hint="use password or oauth2") from None


def _check_addresses(value: str, what: str, *, single: bool) -> None:
    """Same rules as digest's headers, checked before the audit runs rather than after."""
    if any(ch in value for ch in "\r\n\0"):
        raise UsageError(f"invalid {what} address: it contains a line break")
    from email.utils import getaddresses  # the email package: only runs that send mail

    pairs = getaddresses([value])
    if not pairs or any("@" not in a for _, a in pairs) or (single and len(pairs) != 1):
        expected = "one address" if single else "addresses separated by commas"
        raise UsageError(f"invalid {what} address {value!r}", hint=f"give {expected}")


# --- Writing a new file (inbox-audit init) ---------------------------------------------------


def _toml_string(text: str) -> str:
    # A JSON string is a valid TOML basic string: the same escapes (\", \\, \n, \uXXXX).
    return json.dumps(text, ensure_ascii=False)


def render_config(
    *,
    account: str,
    source: str,
    me: tuple[str, ...],
    sent_folder: str | None,
    sla: str,
    ca_file: Path | None = None,
    email_to: str | None = None,
    smtp: str | None = None,
) -> str:
    """The text of a new config file holding one account (no secret ever goes in it)."""
    lines = [
        "# inbox-audit configuration (written by `inbox-audit init`).",
        "# Keys: see `inbox-audit audit --help`; flags given on the command line win.",
        "",
        f"[accounts.{_toml_key(account)}]",
        f"source = {_toml_string(source)}",
        "me = [" + ", ".join(_toml_string(address) for address in me) + "]",
    ]
    if sent_folder is not None:
        lines.append(f"sent_folder = {_toml_string(sent_folder)}")
    lines.append(f"sla = {_toml_string(sla)}")
    if ca_file is not None:
        lines.append(f"ca_file = {_toml_string(str(ca_file))}")
    lines += [
        "# The password: INBOX_AUDIT_PASSWORD, else this command, else the OS keyring",
        f"# (inbox-audit password set {account}), else a prompt.",
        '# password_command = "pass show mail/imap"',
    ]
    if email_to:
        lines += ["", "[notify]", f"email_to = {_toml_string(email_to)}"]
        if smtp:
            lines.append(f"smtp = {_toml_string(smtp)}")
        lines.append("only_if_late = false")
    return "\n".join(lines) + "\n"


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _toml_string(name)
