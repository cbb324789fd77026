"""Find a secret (IMAP/SMTP password or OAuth2 access token) without keeping it in plain text.

Order, first found wins: the environment variable, the config file's plain `password`
(discouraged; warned about when the file is readable by others), `password_command`,
`password_file` (a file readable by its owner only, for servers with no keyring), the OS
keyring, then a hidden prompt when someone is at the keyboard. OAuth2 access tokens come from
`token_command` only: they expire within the hour, so a stored one would be useless.

A secret never reaches a repr, a log, an error message or argv; a failing command is named
in the error, its output never (it might be half a password).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import stat
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from inbox_audit.dirs import private_dir
from inbox_audit.errors import ConfigError
from inbox_audit.i18n import _

PASSWORD_ENV = "INBOX_AUDIT_PASSWORD"
#: The keyring "service" every inbox-audit secret is stored under; the key is the account.
KEYRING_SERVICE = "inbox-audit"
#: Seconds a password_command / token_command may take (a gpg-agent may ask for a PIN).
COMMAND_TIMEOUT = 60.0

#: prompt(text) -> what was typed, hidden; given by the CLI only when stdin is a terminal.
Prompt = Callable[[str], str]


class AuthMethod(StrEnum):
    """How the IMAP login proves who we are."""

    PASSWORD = "password"  # LOGIN or AUTHENTICATE PLAIN
    OAUTH2 = "oauth2"  # AUTHENTICATE XOAUTH2 / OAUTHBEARER (RFC 7628) with an access token


@dataclass(frozen=True)
class CredentialSpec:
    """Where the secret of one login may come from (built by config, read here)."""

    label: str  # "shop@mail.example.com": prompts and messages
    env_var: str = PASSWORD_ENV
    auth: AuthMethod = AuthMethod.PASSWORD
    password: str = field(default="", repr=False)  # a plain password from the config file
    password_command: str | None = None
    token_command: str | None = None
    keyring_key: str | None = None  # None: the keyring is not consulted
    setting_prefix: str = ""  # "smtp_" for the [notify] section's keys, in messages
    password_file: Path | None = None  # mode 0600, owned by us: checked at every run


@dataclass(frozen=True)
class Secret:
    """A password or an access token, and where it came from (never the value in a repr)."""

    value: str = field(repr=False)
    auth: AuthMethod
    origin: str  # "INBOX_AUDIT_PASSWORD", "password_command", "keyring", "prompt"...


def resolve(
    spec: CredentialSpec,
    *,
    env: Mapping[str, str] | None = None,
    prompt: Prompt | None = None,
) -> Secret:
    """The first secret found, in the documented order; ConfigError when there is none."""
    environ = os.environ if env is None else env
    # Checked first, whatever else holds a password tonight: a file others can read is a
    # leak to stop now, not the night the environment variable is gone.
    from_file = (
        read_secret_file(spec.password_file, f"{spec.setting_prefix}password_file")
        if spec.password_file is not None
        else None
    )
    if spec.auth is AuthMethod.OAUTH2:
        if not spec.token_command:
            raise ConfigError(
                _("no token_command for the OAuth2 login of {account}").format(account=spec.label),
                hint=_(
                    'set token_command = "..." in the account: a command that prints '
                    "a fresh access token"
                ),
            )
        token = run_command(spec.token_command, f"{spec.setting_prefix}token_command")
        return Secret(token, AuthMethod.OAUTH2, "token_command")
    from_env = environ.get(spec.env_var)
    if from_env:
        return Secret(from_env, AuthMethod.PASSWORD, spec.env_var)
    if spec.password:
        return Secret(spec.password, AuthMethod.PASSWORD, "config file")
    if spec.password_command:
        name = f"{spec.setting_prefix}password_command"
        return Secret(run_command(spec.password_command, name), AuthMethod.PASSWORD, name)
    if from_file:
        return Secret(from_file, AuthMethod.PASSWORD, f"{spec.setting_prefix}password_file")
    if spec.keyring_key is not None:
        stored = keyring_get(spec.keyring_key)
        if stored:
            return Secret(stored, AuthMethod.PASSWORD, "keyring")
    if prompt is not None:
        typed = prompt(_("Password for {account}: ").format(account=spec.label))
        if typed:
            return Secret(typed, AuthMethod.PASSWORD, "prompt")
    keyring_step = (
        _(", or store it with: {command}").format(
            command=f"inbox-audit password set {shlex.quote(spec.keyring_key)}"
        )
        if spec.keyring_key is not None
        else ""
    )
    raise ConfigError(
        _("no password for {account}").format(account=spec.label),
        hint=_(
            "set {variable} in the environment (never on the command line), "
            "{setting} in the config file"
        ).format(variable=spec.env_var, setting=f"{spec.setting_prefix}password_command")
        + keyring_step,
    )


def read_secret_file(path: Path, setting: str) -> str:
    """The first line of a secrets file that only its owner (us) can read or write."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(
            _("{setting} {path} not found").format(setting=setting, path=path),
            hint=_("run inbox-audit init again, or fix the path"),
        ) from None
    except OSError as exc:
        raise ConfigError(
            _("cannot read {setting} {path}: {reason}").format(
                setting=setting, path=path, reason=exc.strerror
            )
        ) from None
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise ConfigError(
            _(
                "{setting} {path} is open to other users (mode {mode}); "
                "refused until you run: {command}"
            ).format(
                setting=setting,
                path=path,
                mode=f"{mode:04o}",
                command=f"chmod 600 {shlex.quote(str(path))}",
            )
        )
    if info.st_uid != os.getuid():
        raise ConfigError(
            _("{setting} {path} belongs to another user; refused").format(
                setting=setting, path=path
            )
        )
    try:
        first = path.read_text(encoding="utf-8").partition("\n")[0].rstrip("\r")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else _("not UTF-8 text")
        raise ConfigError(
            _("cannot read {setting} {path}: {reason}").format(
                setting=setting, path=path, reason=reason
            )
        ) from None
    if not first:
        raise ConfigError(
            _("{setting} {path} is empty on its first line").format(setting=setting, path=path)
        )
    return first


def write_private(path: Path, text: str) -> None:
    """Create or replace `path` with mode 0600 (never readable by others, even for a moment),
    in a folder made 0700; OSError when that cannot be done."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(out.fileno(), 0o600)  # an existing file keeps its mode through O_TRUNC
        out.write(text)


def run_command(command: str, setting: str, timeout: float = COMMAND_TIMEOUT) -> str:
    """Run `command` (split like a shell would, but no shell) and return its first line.

    Errors name the setting and the command, never what it printed: stderr of `pass` or
    `gpg` can hold part of the secret, and the output is the secret.
    """
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise ConfigError(
            _("{setting} {command!r} cannot be parsed: {reason}").format(
                setting=setting, command=command, reason=exc
            )
        ) from None
    if not argv:
        raise ConfigError(_("{setting} is empty").format(setting=setting))
    try:
        done = _run(argv, timeout)
    except FileNotFoundError:
        raise ConfigError(
            _("{setting} {command!r}: program {program!r} not found").format(
                setting=setting, command=command, program=argv[0]
            ),
            hint=_("give the full path, or install the program"),
        ) from None
    except PermissionError:
        raise ConfigError(
            _("{setting} {command!r}: {program!r} cannot be run").format(
                setting=setting, command=command, program=argv[0]
            )
        ) from None
    except subprocess.TimeoutExpired:
        raise ConfigError(
            _("{setting} {command!r} did not finish within {seconds:g}s").format(
                setting=setting, command=command, seconds=timeout
            ),
            hint=_("does it wait for a passphrase? unlock the agent first"),
        ) from None
    except OSError as exc:
        raise ConfigError(
            _("{setting} {command!r} could not start: {reason}").format(
                setting=setting, command=command, reason=exc.strerror
            )
        ) from None
    if done.returncode != 0:
        raise ConfigError(
            _("{setting} {command!r} failed with exit status {status}").format(
                setting=setting, command=command, status=done.returncode
            ),
            hint=_("run it by hand to see why (its output is never shown here)"),
        )
    first = done.stdout.decode("utf-8", "replace").partition("\n")[0].rstrip("\r")
    if not first:
        raise ConfigError(
            _("{setting} {command!r} printed nothing on its first line").format(
                setting=setting, command=command
            )
        )
    return first


def _run(argv: list[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    """Run `argv` in a process group of its own, killed whole after `timeout` seconds.

    `subprocess.run` kills only the command itself: a child it started (a shell's, gpg-agent's
    pinentry) would live on, and keep its output pipe, and so this run, waiting."""
    with subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,  # never eat the CLI's stdin (prompts, `init`)
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    ) as process:
        try:
            out, err = process.communicate(timeout=timeout)
        except BaseException:  # the timeout, or Ctrl-C: nothing of it may outlive the run
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
    return subprocess.CompletedProcess(argv, process.returncode, out, err)


# --- OS keyring ---------------------------------------------------------------------------
# Imported lazily: `keyring` probes for backends (D-Bus, KWallet) on import.


def keyring_get(key: str) -> str | None:
    """The stored secret, or None when there is none or no usable keyring."""
    import keyring
    import keyring.errors

    try:
        return keyring.get_password(KEYRING_SERVICE, key)
    except keyring.errors.KeyringError:
        return None  # no backend (a server, cron without D-Bus): fall through to the next way
    except Exception:  # backends raise their own errors (D-Bus, locked wallet); same outcome
        return None


def keyring_usable() -> str | None:
    """The OS keyring's name when one works here; None on a server with no desktop session
    (keyring then falls back to its "fail" backend, priority 0)."""
    import keyring

    try:
        backend = keyring.get_keyring()
        priority = float(backend.priority)
    except Exception:  # a backend probing D-Bus may raise anything: no usable keyring
        return None
    if priority <= 0:
        return None
    return str(getattr(backend, "name", type(backend).__name__))


def keyring_set(key: str, secret: str) -> str:
    """Store the secret; returns the backend's name. ConfigError when no keyring works."""
    import keyring
    import keyring.errors

    try:
        keyring.set_password(KEYRING_SERVICE, key, secret)
    except keyring.errors.KeyringError as exc:
        raise ConfigError(
            _("cannot store the password in the OS keyring: {reason}").format(
                reason=_first_line(exc)
            ),
            hint=_("use password_command, or {variable} in the environment").format(
                variable=PASSWORD_ENV
            ),
        ) from None
    backend = keyring.get_keyring()
    return str(getattr(backend, "name", type(backend).__name__))


def keyring_delete(key: str) -> bool:
    """Forget the stored secret; False when there was none."""
    import keyring
    import keyring.errors

    try:
        keyring.delete_password(KEYRING_SERVICE, key)
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.KeyringError as exc:
        raise ConfigError(
            _("cannot use the OS keyring: {reason}").format(reason=_first_line(exc))
        ) from None
    return True


def _first_line(exc: BaseException) -> str:
    # keyring's messages run on with advice about packages; the first sentence says it.
    text = str(exc).strip().partition("\n")[0]
    sentence = text.split(". ", 1)[0].rstrip(".")
    return sentence[:200] or type(exc).__name__
