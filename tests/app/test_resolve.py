"""One run's settings: flags > config file > defaults, each value checked and blamed right."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from inbox_audit.app.config import load_config
from inbox_audit.app.credentials import AuthMethod
from inbox_audit.app.resolve import Flags, resolve
from inbox_audit.errors import ConfigError, ExitCode, UsageError
from inbox_audit.sources.spec import ImapTarget, LocalTarget
from tests.app.builders import SHOP, write_config


def test_a_full_account_resolves(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, SHOP), env={})
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


# --- Values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ('sla = "soon"', "invalid duration 'soon' ('sla' in [accounts.shop] of"),
        ('timezone = "Mars/Olympus"', "Mars/Olympus"),
        ('lang = "de"', "unknown language"),
        ('auth = "kerberos"', "unknown auth method"),
        ('source = "ftp://me@host"', "ftp"),
        ('ca_file = "missing.pem"', "missing.pem is not a readable file"),
        ('internal_domains = ["gmail.com"]', "gmail.com is a public mail domain"),
        ('internal_domains = ["not a domain"]', "invalid internal domain 'not a domain'"),
    ],
)
def test_bad_values_in_the_file_are_config_errors(tmp_path: Path, line: str, needle: str) -> None:
    key = line.split()[0]
    # The SHOP account, with `key` replaced by the bad line.
    kept = [kept for kept in SHOP.splitlines() if not kept.startswith(f"{key} ")]
    config = load_config(write_config(tmp_path, "\n".join([*kept, line]) + "\n"), env={})
    with pytest.raises(ConfigError) as caught:
        resolve(Flags(), config, env={})
    assert needle in str(caught.value)
    assert caught.value.exit_code is ExitCode.CONFIG


def test_the_same_bad_value_as_a_flag_is_a_usage_error(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, SHOP), env={})
    with pytest.raises(UsageError):
        resolve(Flags(sla="soon"), config, env={})


def test_relative_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("x", encoding="ascii")
    (tmp_path / "mail.mbox").write_text("", encoding="ascii")
    config = load_config(
        write_config(tmp_path, '[accounts.local]\nsource = "mail.mbox"\nca_file = "ca.pem"\n'),
        env={},
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
    config = load_config(write_config(tmp_path, TWO), env={})
    with pytest.raises(UsageError, match="several accounts"):
        resolve(Flags(), config, env={})
    run = resolve(Flags(account="perso"), config, env={})
    assert run.settings.sla == timedelta(days=2)
    assert run.credentials is not None and run.credentials.keyring_key is None


def test_default_account(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, 'default_account = "perso"\n' + TWO), env={})
    assert resolve(Flags(), config, env={}).account == "perso"


def test_unknown_account_suggests(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, TWO), env={})
    with pytest.raises(UsageError, match="did you mean 'shop'"):
        resolve(Flags(account="shp"), config, env={})


def test_no_source_and_no_account(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no SOURCE given and no account configured"):
        resolve(Flags(), None, env={})


def test_account_with_a_source_flag_keeps_the_account_settings(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, SHOP), env={})
    run = resolve(Flags(source="imaps://other@mail.example.net", account="shop"), config, env={})
    assert run.target == ImapTarget("other", "mail.example.net", 993, True)
    assert run.settings.sla == timedelta(hours=4)
    assert run.credentials is not None and run.credentials.keyring_key == "shop"


def test_adhoc_source_ignores_account_settings(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, SHOP), env={})
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
    config = load_config(write_config(tmp_path, text), env={})
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
    run = resolve(Flags(email=True), load_config(write_config(tmp_path, text), env={}), env={})
    assert run.notify is not None and run.notify.credentials is not None
    spec = run.notify.credentials
    assert spec.env_var == "INBOX_AUDIT_SMTP_PASSWORD"
    assert spec.password_command == "pass show mail/smtp"
    assert spec.keyring_key == "smtp:shop@example.com@mail.example.com"
    assert spec.auth is AuthMethod.PASSWORD


def test_bad_email_address_in_the_file(tmp_path: Path) -> None:
    text = SHOP + '\n[notify]\nemail_to = "claire"\nsmtp = "smtp://relay"\n'
    with pytest.raises(ConfigError, match="invalid recipient address 'claire'"):
        resolve(Flags(email=True), load_config(write_config(tmp_path, text), env={}), env={})


def test_notify_section_emails_only_when_asked(tmp_path: Path) -> None:
    text = SHOP + '\n[notify]\nemail_to = "a@shop.example"\nsmtp = "smtp://relay"\n'
    config = load_config(write_config(tmp_path, text), env={})
    assert resolve(Flags(), config, env={}).notify is None  # a manual run prints
    plan = resolve(Flags(email=True), config, env={}).notify
    assert plan is not None and plan.email_to == "a@shop.example"
    flag_only = resolve(Flags(email_to="b@shop.example"), config, env={}).notify
    assert flag_only is not None and flag_only.email_to == "b@shop.example"


def test_email_without_a_recipient_is_a_usage_error(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, SHOP), env={})
    with pytest.raises(UsageError, match="--email: no recipient"):
        resolve(Flags(email=True), config, env={})


# --- The owner's language (issue 13) -----------------------------------------------------------


def test_the_file_lang_is_the_owner_language_and_an_account_lang_forces(tmp_path: Path) -> None:
    kept = [line for line in SHOP.splitlines() if not line.startswith("lang ")]
    config = load_config(write_config(tmp_path, 'lang = "fr"\n' + "\n".join(kept) + "\n"), env={})
    settings = resolve(Flags(), config, env={"LANG": "en_US.UTF-8"}).settings
    assert (settings.lang, settings.owner_lang) == (None, "fr")
    forced = resolve(Flags(lang="en"), config, env={}).settings
    assert (forced.lang, forced.owner_lang) == ("en", "fr")
    account = load_config(write_config(tmp_path, "\n".join([*kept, 'lang = "en"']) + "\n"), env={})
    assert resolve(Flags(), account, env={"LANG": "fr_FR.UTF-8"}).settings.lang == "en"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "fr_CA"}, "fr"),
        ({"LC_ALL": "fr_BE.UTF-8", "LANG": "en_GB.UTF-8"}, "fr"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "fr_FR.UTF-8"}, "en"),
        ({"LC_MESSAGES": "fr_FR.UTF-8", "LANG": "C"}, "fr"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_without_config_lang_the_locale_is_the_owner_language(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    kept = [line for line in SHOP.splitlines() if not line.startswith("lang ")]
    config = load_config(write_config(tmp_path, "\n".join(kept) + "\n"), env={})
    assert resolve(Flags(), config, env=env).settings.owner_lang == expected


def test_internal_domains_from_the_file_or_the_flags(tmp_path: Path) -> None:
    text = SHOP + 'internal_domains = ["@Cabinet-Compta.fr", "studio-nord.de."]\n'
    config = load_config(write_config(tmp_path, text), env={})
    run = resolve(Flags(), config, env={})
    assert run.settings.internal_domains == ("cabinet-compta.fr", "studio-nord.de")
    # The flag overrides the file, as every flag does.
    run = resolve(Flags(internal_domains=("compta.example",)), config, env={})
    assert run.settings.internal_domains == ("compta.example",)
    # A webmail given as a flag is a usage error: all its users would be colleagues.
    with pytest.raises(UsageError, match=r"outlook\.fr is a public mail domain"):
        resolve(Flags(internal_domains=("outlook.fr",)), config, env={})
