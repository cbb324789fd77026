"""The TOML configuration file: where it lives, its checked keys, and the text of a new one.

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
Values are only type-checked here; app/resolve.py parses them when an account is used.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inbox_audit import i18n
from inbox_audit.errors import ConfigError
from inbox_audit.i18n import _

# key -> (kind, what it is). Kinds: str, strs (a string or a list of strings), bool, number,
# drafts (true, false or "all").
_ACCOUNT_KEYS: dict[str, tuple[str, str]] = {
    "source": ("str", "imaps://USER@HOST[:PORT], imap://... or a path to mail on disk"),
    "me": ("strs", "your addresses"),
    "skip_folders": ("strs", "folders not to scan"),
    "internal_domains": ("strs", "your colleagues' domains, besides your addresses'"),
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
    "password_file": ("str", "a file (mode 0600) holding the password"),
    "working_hours": ("str", 'e.g. "mon-fri 09:00-12:00,14:00-18:00"'),
    "holidays": ("str", "public holidays of a country (FR) or region (FR-57)"),
    "deadline": ("str", "the whole run's time limit, e.g. 15m"),
    "vacation": ("strs", 'days off, e.g. ["2026-08-03..2026-08-21"]'),
    "save_drafts": ("drafts", 'save holding replies as drafts: true (overdue threads) or "all"'),
    "drafts_folder": ("str", "the Drafts folder's name, when it is not found automatically"),
    "drafts_dir": ("str", "where a local source's drafts are written as .eml files"),
}
#: Account keys that may also stand at the top of the file, for every account.
_SHARED_KEYS = ("sla", "timezone", "working_hours", "holidays", "vacation")
_NOTIFY_KEYS: dict[str, tuple[str, str]] = {
    "email_to": ("strs", "who gets the report"),
    "email_from": ("str", "the report's sender"),
    "smtp": ("str", "smtp://[USER@]HOST[:PORT] or smtps://..."),
    "smtp_ca_file": ("str", "a PEM file to trust"),
    "only_if_late": ("bool", "send only when something is overdue"),
    "smtp_password": ("str", "the SMTP password in clear (discouraged)"),
    "smtp_password_command": ("str", "a command printing the SMTP password"),
    "keyring": ("bool", "look in the OS keyring for the SMTP password"),
    "smtp_password_file": ("str", "a file (mode 0600) holding the SMTP password"),
}
_TOP_KEYS: dict[str, tuple[str, str]] = {
    "default_account": ("str", "the account used without --account"),
    "state_dir": ("str", "where undelivered reports and the lock live"),
    "accounts": ("table", "[accounts.NAME] sections"),
    "notify": ("table", "the [notify] section"),
    "lang": ("str", "the language inbox-audit speaks to you: fr or en"),
    **{key: _ACCOUNT_KEYS[key] for key in _SHARED_KEYS},
}


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
    password_file: Path | None = None
    working_hours: str | None = None
    holidays: str | None = None
    deadline: str | None = None
    internal_domains: tuple[str, ...] | None = None
    vacation: tuple[str, ...] | None = None
    save_drafts: str | None = None  # "overdue" (save_drafts = true), "all", or "" (false)
    drafts_folder: str | None = None
    drafts_dir: Path | None = None


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
    smtp_password_file: Path | None = None


@dataclass(frozen=True)
class ConfigFile:
    """A parsed, checked configuration file."""

    path: Path
    accounts: dict[str, AccountConfig]
    notify: NotifyConfig = NotifyConfig()
    default_account: str | None = None
    state_dir: Path | None = None
    lang: str | None = None  # the owner's language (i18n.py); an account's lang: its replies'
    # The _SHARED_KEYS set at the top of the file: what an account, or no account, inherits.
    shared: AccountConfig = AccountConfig(name="")


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
            raise ConfigError(_("config file {path} not found").format(path=where)) from None
        return None
    except IsADirectoryError:
        raise ConfigError(_("config file {path} is a directory").format(path=where)) from None
    except OSError as exc:
        said = _("cannot read config file {path}: {reason}").format(path=where, reason=exc.strerror)
        raise ConfigError(said) from None
    import tomllib  # here: a run without a config file does without it

    try:
        text = data.decode("utf-8")
        document = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ConfigError(_("config file {path} is not UTF-8 text").format(path=where)) from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message names line and column, never the content (which may be a secret).
        said = _("config file {path} is not valid TOML: {reason}").format(
            path=where, reason=_toml_reason(exc)
        )
        raise ConfigError(said) from None
    config = parse_config(document, where)
    if warn is not None and _holds_secret(config):
        mode = _mode(where)
        if mode is not None and mode & 0o044:
            warn(
                _(
                    "{path} holds a password and is readable by other users "
                    "(mode {mode:04o}); run: chmod 600 {path}"
                ).format(path=where, mode=mode)
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
        raise ConfigError(
            _("'accounts' in {path} must be a table: [accounts.NAME]").format(path=path)
        )
    shared_values = {
        key: _typed(document, key, _ACCOUNT_KEYS[key][0], path, "") for key in _SHARED_KEYS
    }
    if shared_values["vacation"] is not None:
        shared_values["vacation"] = tuple(shared_values["vacation"])
    shared = AccountConfig(name="", **shared_values)
    accounts: dict[str, AccountConfig] = {}
    for name, section in accounts_table.items():
        context = f"accounts.{name}"
        if not isinstance(section, dict):
            raise ConfigError(
                _("'{key}' in {path} must be a table: [{key}]").format(key=context, path=path)
            )
        _check_keys(section, _ACCOUNT_KEYS, path, context)
        values = {
            key: _typed(section, key, kind, path, context)
            for key, (kind, _) in _ACCOUNT_KEYS.items()
        }
        for key in ("ca_file", "password_file", "drafts_dir"):
            if values[key] is not None:
                values[key] = file_path(values[key], path)
        for key in ("me", "skip_folders", "internal_domains", "vacation"):
            if values[key] is not None:
                values[key] = tuple(values[key])
        for key in _SHARED_KEYS:  # the account's own value, else the file's
            if values[key] is None:
                values[key] = shared_values[key]
        values["password"] = values["password"] or ""
        accounts[name] = AccountConfig(name=name, **values)
    notify_table = document.get("notify", {})
    if not isinstance(notify_table, dict):
        raise ConfigError(_("'notify' in {path} must be a table: [notify]").format(path=path))
    _check_keys(notify_table, _NOTIFY_KEYS, path, "notify")
    nv = {
        key: _typed(notify_table, key, kind, path, "notify")
        for key, (kind, _) in _NOTIFY_KEYS.items()
    }
    if nv["email_to"] is not None:
        nv["email_to"] = ", ".join(nv["email_to"])
    for key in ("smtp_ca_file", "smtp_password_file"):
        if nv[key] is not None:
            nv[key] = file_path(nv[key], path)
    nv["smtp_password"] = nv["smtp_password"] or ""
    if default is not None and default not in accounts:
        raise ConfigError(
            _("default_account {name!r} in {path} names no [accounts.{name}] section").format(
                name=default, path=path
            )
            + did_you_mean(default, accounts)
        )
    return ConfigFile(
        path=path,
        accounts=accounts,
        notify=NotifyConfig(**nv),
        default_account=default,
        state_dir=file_path(state_dir, path) if state_dir is not None else None,
        lang=_typed(document, "lang", "str", path, ""),
        shared=shared,
    )


def _check_keys(
    table: Mapping[str, Any], known: Mapping[str, object], path: Path, context: str
) -> None:
    for key in table:
        if key in known:
            continue
        dotted = f"{context}.{key}" if context else key
        elsewhere = _where_else(key, context)
        suggestion = elsewhere or did_you_mean(key, known)
        raise ConfigError(
            _("unknown key '{key}' in {path}").format(key=dotted, path=path) + suggestion,
            hint=_("valid keys here: {keys}").format(keys=", ".join(known)),
        )


def _toml_reason(exc: ValueError) -> str:
    """tomllib's reason ("Expected ']' ... (at line 2, column 3)"): its English words as they
    are in English; in another language, where the mistake is, which is what helps most."""
    found = re.search(r"\(at line (\d+), column (\d+)\)$", str(exc))
    if i18n.current() == "en" or found is None:
        return str(exc)
    return _("syntax error at line {line}, column {column}").format(
        line=found.group(1), column=found.group(2)
    )


def _where_else(key: str, context: str) -> str:
    if key in _NOTIFY_KEYS and context != "notify":
        return _(" (it belongs in the [notify] section)")
    if key in _ACCOUNT_KEYS and not context.startswith("accounts."):
        return _(" (it belongs in an [accounts.NAME] section)")
    return ""


def did_you_mean(word: str, choices: Mapping[str, object] | list[str]) -> str:
    """ " (did you mean 'x'?)" for the choice `word` most likely meant, else ""."""
    import difflib  # only a mistake needs it

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        # "sla_hours" is too far from "sla" for difflib, but plainly meant it.
        close = [c for c in choices if len(c) >= 3 and (word.startswith(c) or c.startswith(word))]
    return _(" (did you mean '{word}'?)").format(word=close[0]) if close else ""


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
    if kind == "drafts" and (isinstance(value, bool) or value == "all"):
        return "all" if value == "all" else ("overdue" if value else "")
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "table" and isinstance(value, dict):
        return value
    expected = {
        "str": _("'{key}' in {path} must be a string"),
        "strs": _("'{key}' in {path} must be a string or a list of strings"),
        "bool": _("'{key}' in {path} must be true or false"),
        "number": _("'{key}' in {path} must be a number"),
        "table": _("'{key}' in {path} must be a table"),
        "drafts": _("'{key}' in {path} must be true, false or \"all\""),
    }[kind]
    # The value itself is not shown: it might be a password put under the wrong key.
    raise ConfigError(expected.format(key=dotted, path=path))


def file_path(text: str, config_path: Path) -> Path:
    """A path from the file: ~ expanded, relative to the file's own directory."""
    candidate = Path(text).expanduser()
    return candidate if candidate.is_absolute() else config_path.parent / candidate


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
    timezone: str | None = None,
    lang: str | None = None,
    working_hours: str | None = None,
    holidays: str | None = None,
    auth: str | None = None,
    token_command: str | None = None,
    secrets: Mapping[str, str] | None = None,
    smtp_ca_file: Path | None = None,
    smtp_secrets: Mapping[str, str] | None = None,
) -> str:
    """The text of a new config file holding one account. No secret ever goes in it:
    `secrets` and `smtp_secrets` are where to find them (password_command, password_file)."""
    lines = [
        "# inbox-audit configuration (written by `inbox-audit init`).",
        "# Keys: see `inbox-audit audit --help`; flags given on the command line win.",
        "",
        f"[accounts.{_toml_key(account)}]",
        f"source = {_toml_string(source)}",
        "me = [" + ", ".join(_toml_string(address) for address in me) + "]",
    ]
    optional = {
        "sent_folder": sent_folder,
        "sla": sla,
        "timezone": timezone,
        "lang": lang,
        "working_hours": working_hours,
        "holidays": holidays,
        "ca_file": str(ca_file) if ca_file is not None else None,
        "auth": auth,
        "token_command": token_command,
        **(secrets or {}),
    }
    lines += [f"{key} = {_toml_string(value)}" for key, value in optional.items() if value]
    if not secrets and auth is None:
        lines += [
            "# The password: INBOX_AUDIT_PASSWORD, else this command, else the OS keyring",
            f"# (inbox-audit password set {account}), else a prompt.",
            '# password_command = "pass show mail/imap"',
        ]
    if email_to:
        lines += ["", "[notify]", f"email_to = {_toml_string(email_to)}"]
        notify = {
            "smtp": smtp,
            "smtp_ca_file": str(smtp_ca_file) if smtp_ca_file is not None else None,
            **(smtp_secrets or {}),
        }
        lines += [f"{key} = {_toml_string(value)}" for key, value in notify.items() if value]
        lines.append("only_if_late = false")
    return "\n".join(lines) + "\n"


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _toml_string(name)
