"""The configuration file: checked keys, accounts, precedence flags > file > defaults."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inbox_audit.app.cli import app
from inbox_audit.app.config import (
    Flags,
    default_config_path,
    default_state_dir,
    load_config,
    resolve,
)
from inbox_audit.app.credentials import AuthMethod
from inbox_audit.errors import ConfigError, ExitCode, UsageError
from inbox_audit.sources.spec import ImapTarget, LocalTarget

SHOP = """\
[accounts.shop]
source = "imaps://shop%40example.com@mail.example.com"
me = ["shop@example.com", "Claire@Example.com"]
skip_folders = ["Newsletters"]
sent_folder = "Envoyés"
sla = "4h"
timezone = "Europe/Paris"
password_command = "pass show mail/shop"
"""


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def load(path: Path) -> object:
    return load_config(path, env={})


# --- Locations -------------------------------------------------------------------------------


def test_xdg_locations(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "c"), "XDG_STATE_HOME": str(tmp_path / "s")}
    assert default_config_path(env) == tmp_path / "c" / "inbox-audit" / "config.toml"
    assert default_state_dir(env) == tmp_path / "s" / "inbox-audit"
    # A relative value is invalid per the XDG spec, and ignored.
    home = Path.home()
    assert default_config_path({"XDG_CONFIG_HOME": "rel"}) == (
        home / ".config" / "inbox-audit" / "config.toml"
    )
    assert default_state_dir({}) == home / ".local" / "state" / "inbox-audit"


def test_absent_default_file_is_fine_but_absent_explicit_file_is_not(tmp_path: Path) -> None:
    assert load_config(None, env={"XDG_CONFIG_HOME": str(tmp_path)}) is None
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml", env={})


# --- Checking the file -----------------------------------------------------------------------


def test_a_full_account_resolves(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, SHOP), env={})
    assert config is not None
    run = resolve(Flags(), config, env={"XDG_STATE_HOME": str(tmp_path / "state")})
    assert run.account == "shop"
    assert run.target == ImapTarget("shop@example.com", "mail.example.com", 993, True)
    assert run.settings.sla == timedelta(hours=4)
    assert run.settings.me == ("shop@example.com", "claire@example.com")
    assert run.settings.skip_folders == ("Newsletters",)
    assert run.settings.sent_folder == "Envoyés"
    assert run.state_dir == tmp_path / "state" / "inbox-audit"
    assert run.credentials is not None
    assert run.credentials.password_command == "pass show mail/shop"
    assert run.credentials.keyring_key == "shop"
    assert run.notify is None


@pytest.mark.parametrize(
    ("text", "key", "suggestion"),
    [
        ('[accounts.shop]\nsorce = "x"\n', "accounts.shop.sorce", "did you mean 'source'?"),
        ("[accounts.shop]\nsla_hours = 4\n", "accounts.shop.sla_hours", "did you mean 'sla'?"),
        ('[notfy]\nemail_to = "a@b.c"\n', "notfy", "did you mean 'notify'?"),
        ('[notify]\nemail_too = "a@b.c"\n', "notify.email_too", "did you mean 'email_to'?"),
        ('[accounts.shop]\nemail_to = "a@b.c"\n', "accounts.shop.email_to", "[notify]"),
        ('sla = "4h"\n', "sla", "[accounts.NAME]"),
    ],
)
def test_unknown_key_names_key_file_and_suggestion(
    tmp_path: Path, text: str, key: str, suggestion: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    message = str(caught.value)
    assert f"'{key}'" in message
    assert str(path) in message
    assert suggestion in message
    assert caught.value.exit_code is ExitCode.CONFIG


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[accounts.shop]\nsla = true\n", "'accounts.shop.sla' in"),
        ("[accounts.shop]\nme = [1, 2]\n", "a string or a list of strings"),
        ('[notify]\nonly_if_late = "yes"\n', "true or false"),
        ("accounts = 3\n", "must be a table"),
        ("[accounts]\nshop = 3\n", "'accounts.shop'"),
        ('default_account = "shpo"\n[accounts.shop]\n', "did you mean 'shop'?"),
        ("[accounts.shop\n", "not valid TOML"),
    ],
)
def test_wrong_types_and_syntax(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), env={})
    assert needle in str(caught.value)


def test_wrongly_typed_password_is_not_echoed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "[accounts.a]\nkeyring = 'hunter2-secret'\n"), env={})
    assert "hunter2-secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ('sla = "soon"', "invalid duration 'soon' ('sla' in [accounts.shop] of"),
        ('timezone = "Mars/Olympus"', "Mars/Olympus"),
        ('lang = "de"', "unknown language"),
        ('auth = "kerberos"', "unknown auth method"),
        ('source = "ftp://me@host"', "ftp"),
        ('ca_file = "missing.pem"', "missing.pem is not a readable file"),
    ],
)
def test_bad_values_in_the_file_are_config_errors(tmp_path: Path, line: str, needle: str) -> None:
    key = line.split()[0]
    # The SHOP account, with `key` replaced by the bad line.
    kept = [kept for kept in SHOP.splitlines() if not kept.startswith(f"{key} ")]
    config = load_config(write(tmp_path, "\n".join([*kept, line]) + "\n"), env={})
    with pytest.raises(ConfigError) as caught:
        resolve(Flags(), config, env={})
    assert needle in str(caught.value)
    assert caught.value.exit_code is ExitCode.CONFIG


def test_the_same_bad_value_as_a_flag_is_a_usage_error(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, SHOP), env={})
    with pytest.raises(UsageError):
        resolve(Flags(sla="soon"), config, env={})


def test_relative_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("x", encoding="ascii")
    (tmp_path / "mail.mbox").write_text("", encoding="ascii")
    config = load_config(
        write(tmp_path, '[accounts.local]\nsource = "mail.mbox"\nca_file = "ca.pem"\n'), env={}
    )
    run = resolve(Flags(), config, env={})
    assert run.target == LocalTarget(tmp_path / "mail.mbox")
    assert run.ca_file == tmp_path / "ca.pem"
    assert run.credentials is None


# --- Choosing the account --------------------------------------------------------------------

TWO = (
    SHOP
    + """
[accounts.perso]
source = "imaps://me@imap.example.org"
sla = "2d"
keyring = false
"""
)


def test_several_accounts_need_a_choice(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, TWO), env={})
    with pytest.raises(UsageError, match="several accounts"):
        resolve(Flags(), config, env={})
    run = resolve(Flags(account="perso"), config, env={})
    assert run.settings.sla == timedelta(days=2)
    assert run.credentials is not None and run.credentials.keyring_key is None


def test_default_account(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'default_account = "perso"\n' + TWO), env={})
    assert resolve(Flags(), config, env={}).account == "perso"


def test_unknown_account_suggests(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, TWO), env={})
    with pytest.raises(UsageError, match="did you mean 'shop'"):
        resolve(Flags(account="shp"), config, env={})


def test_no_source_and_no_account(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no SOURCE given and no account configured"):
        resolve(Flags(), None, env={})


def test_account_with_a_source_flag_keeps_the_account_settings(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, SHOP), env={})
    run = resolve(Flags(source="imaps://other@mail.example.net", account="shop"), config, env={})
    assert run.target == ImapTarget("other", "mail.example.net", 993, True)
    assert run.settings.sla == timedelta(hours=4)
    assert run.credentials is not None and run.credentials.keyring_key == "shop"


def test_adhoc_source_ignores_account_settings(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, SHOP), env={})
    run = resolve(Flags(source="imaps://other@mail.example.net"), config, env={})
    assert run.account is None
    assert run.settings.sla == timedelta(hours=24)
    assert run.credentials is not None
    assert run.credentials.keyring_key == "other@mail.example.net"
    assert run.credentials.password_command is None


# --- Precedence ------------------------------------------------------------------------------


def test_flags_override_the_file_which_overrides_defaults(tmp_path: Path) -> None:
    text = SHOP + '\n[notify]\nemail_to = "a@shop.example"\nsmtp = "smtp://relay"\n'
    text += "only_if_late = true\n"
    config = load_config(write(tmp_path, text), env={})
    run = resolve(
        Flags(sla="1h", me=("x@y.z",), email_to="b@shop.example", only_if_late=False),
        config,
        env={},
    )
    assert run.settings.sla == timedelta(hours=1)
    assert run.settings.me == ("x@y.z",)
    assert run.settings.sent_folder == "Envoyés"  # from the file
    assert run.timeout == 30.0  # the default
    assert run.notify is not None
    assert run.notify.email_to == "b@shop.example"
    assert run.notify.smtp.host == "relay"
    assert run.notify.only_if_late is False
    assert run.notify.credentials is None  # no user in the SMTP URL: no login


def test_smtp_user_gets_smtp_credentials(tmp_path: Path) -> None:
    text = SHOP + (
        '\n[notify]\nemail_to = "a@shop.example"\n'
        'smtp = "smtps://shop%40example.com@mail.example.com"\n'
        'smtp_password_command = "pass show mail/smtp"\n'
    )
    run = resolve(Flags(), load_config(write(tmp_path, text), env={}), env={})
    assert run.notify is not None and run.notify.credentials is not None
    spec = run.notify.credentials
    assert spec.env_var == "INBOX_AUDIT_SMTP_PASSWORD"
    assert spec.password_command == "pass show mail/smtp"
    assert spec.keyring_key == "smtp:shop@example.com@mail.example.com"
    assert spec.auth is AuthMethod.PASSWORD


def test_bad_email_address_in_the_file(tmp_path: Path) -> None:
    text = SHOP + '\n[notify]\nemail_to = "claire"\nsmtp = "smtp://relay"\n'
    with pytest.raises(ConfigError, match="invalid recipient address 'claire'"):
        resolve(Flags(), load_config(write(tmp_path, text), env={}), env={})


# --- Secrets in the file ---------------------------------------------------------------------


def test_password_in_a_readable_file_is_warned_about(tmp_path: Path) -> None:
    path = write(tmp_path, '[accounts.a]\nsource = "imaps://a@b.c"\npassword = "pw-in-file-9"\n')
    warnings: list[str] = []
    load_config(path, env={}, warn=warnings.append)
    assert warnings == []  # 0600
    path.chmod(0o644)
    config = load_config(path, env={}, warn=warnings.append)
    (warning,) = warnings
    assert str(path) in warning and "chmod 600" in warning
    assert "pw-in-file-9" not in warning
    assert config is not None
    assert "pw-in-file-9" not in repr(config)


def test_readable_file_without_password_is_not_warned_about(tmp_path: Path) -> None:
    path = write(tmp_path, SHOP)
    path.chmod(0o644)
    warnings: list[str] = []
    load_config(path, env={}, warn=warnings.append)
    assert warnings == []


# --- Through the CLI -------------------------------------------------------------------------


def cli(*args: str, tmp_path: Path) -> tuple[int, str, str]:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "XDG_STATE_HOME": str(tmp_path / "state")}
    result = CliRunner().invoke(app, list(args), env=env)
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stdout, result.stderr


def test_cli_unknown_key_exits_3_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[accounts.shop]\nsorce = "imaps://a@b.c"\n')
    code, stdout, stderr = cli("audit", "--config", str(path), tmp_path=tmp_path)
    assert code == 3
    assert stdout == ""
    first = stderr.splitlines()[0]
    assert first.startswith("inbox-audit: error: unknown key 'accounts.shop.sorce'")
    assert str(path) in first and "did you mean 'source'?" in first


def test_cli_uses_the_default_location(tmp_path: Path) -> None:
    path = tmp_path / "xdg" / "inbox-audit" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('[accounts.shop]\nsource = "imaps://me@127.0.0.1:1"\ntimeout = 2\n', "utf-8")
    code, _, stderr = cli("audit", "--quiet", tmp_path=tmp_path)
    assert code == 3  # it got as far as looking for a password: the account was used
    assert "no password for me@127.0.0.1" in stderr


def test_cli_password_warning_then_run(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[accounts.shop]\nsource = "imaps://me@127.0.0.1:1"\npassword = "pw-in-file-9"\n'
        "timeout = 2\n",
        "utf-8",
    )
    path.chmod(0o640)
    code, _, stderr = cli("audit", "--config", str(path), "--quiet", tmp_path=tmp_path)
    assert code == 4  # the file's password was used; nobody listens on port 1
    assert "readable by other users" in stderr
    assert "pw-in-file-9" not in stderr
