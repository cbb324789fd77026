"""The configuration file: where it is, checked keys and types, secrets kept out of messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_audit.app.config import default_config_path, default_state_dir, load_config
from inbox_audit.errors import ConfigError, ExitCode
from tests.app.builders import SHOP, default_config, invoke, write_config

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


@pytest.mark.parametrize(
    ("text", "key", "suggestion"),
    [
        ('[accounts.shop]\nsorce = "x"\n', "accounts.shop.sorce", "did you mean 'source'?"),
        ("[accounts.shop]\nsla_hours = 4\n", "accounts.shop.sla_hours", "did you mean 'sla'?"),
        ('[notfy]\nemail_to = "a@b.c"\n', "notfy", "did you mean 'notify'?"),
        ('[notify]\nemail_too = "a@b.c"\n', "notify.email_too", "did you mean 'email_to'?"),
        ('[accounts.shop]\nemail_to = "a@b.c"\n', "accounts.shop.email_to", "[notify]"),
        ('me = "a@b.c"\n', "me", "[accounts.NAME]"),
    ],
)
def test_unknown_key_names_key_file_and_suggestion(
    tmp_path: Path, text: str, key: str, suggestion: str
) -> None:
    path = write_config(tmp_path, text)
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
        load_config(write_config(tmp_path, text), env={})
    assert needle in str(caught.value)


def test_wrongly_typed_password_is_not_echoed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, "[accounts.a]\nkeyring = 'hunter2-secret'\n"), env={})
    assert "hunter2-secret" not in str(caught.value)


# --- Secrets in the file ---------------------------------------------------------------------


def test_password_in_a_readable_file_is_warned_about(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, '[accounts.a]\nsource = "imaps://a@b.c"\npassword = "pw-in-file-9"\n'
    )
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
    path = write_config(tmp_path, SHOP)
    path.chmod(0o644)
    warnings: list[str] = []
    load_config(path, env={}, warn=warnings.append)
    assert warnings == []


# --- Through the CLI -------------------------------------------------------------------------


def test_cli_unknown_key_exits_3_with_one_line(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[accounts.shop]\nsorce = "imaps://a@b.c"\n')
    code, stdout, stderr = invoke(tmp_path, "audit", "--config", str(path))
    assert code == 3
    assert stdout == ""
    first = stderr.splitlines()[0]
    assert first.startswith("inbox-audit: error: unknown key 'accounts.shop.sorce'")
    assert str(path) in first and "did you mean 'source'?" in first


def test_cli_uses_the_default_location(tmp_path: Path) -> None:
    default_config(tmp_path, '[accounts.shop]\nsource = "imaps://me@127.0.0.1:1"\ntimeout = 2\n')
    code, _, stderr = invoke(tmp_path, "audit", "--quiet")
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
    code, _, stderr = invoke(tmp_path, "audit", "--config", str(path), "--quiet")
    assert code == 4  # the file's password was used; nobody listens on port 1
    assert "readable by other users" in stderr
    assert "pw-in-file-9" not in stderr
