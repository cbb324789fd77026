"""`inbox-audit init` (stdin fed through CliRunner, real Dovecot): a private config that works."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inbox_audit.app.config import load_config
from inbox_audit.app.credentials import KEYRING_SERVICE
from inbox_audit.app.init import system_zone_name
from inbox_audit.i18n import choose
from tests.app.builders import OWNER, MemoryKeyring, headless_init_args, invoke
from tests.dovecot import DovecotServer, MailUser
from tests.smtpd import SmtpServer, make_smtp_server, smtp_server  # noqa: F401  (fixtures)


def sent_mail(n: int, sender: str) -> bytes:
    return (
        f"From: Shop <{sender}>\r\nTo: client{n}@example.net\r\nSubject: Re: order {n}\r\n"
        f"Date: Mon, 2 Nov 2026 10:0{n}:00 +0100\r\nMessage-ID: <s{n}@shop.example>\r\n\r\nok\r\n"
    ).encode()


def test_init_tests_the_login_detects_and_writes_a_private_config(
    dovecot: DovecotServer, mail_user: MailUser, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    for n in range(3):
        dovecot.append(mail_user, "Sent", sent_mail(n, OWNER), flags=("\\Seen",))
    # Once: a customer's message filed in Sent by mistake is not "you".
    dovecot.append(mail_user, "Sent", sent_mail(7, "stray@example.net"))
    answers = [
        f"127.0.0.1:{dovecot.imaps_port}",  # server
        mail_user.name,  # user
        "",  # log in with: password
        mail_user.password,  # password (hidden)
        "shop",  # account name
        "",  # addresses: the detected ones
        "America/New_York",  # time zone
        "fr",  # language
        "",  # SLA: 24h
        "mon-fri 09:00-12:00,14:00-18:00",  # working hours
        "",  # holidays: FR, French's default
        "none",  # email the report to: nobody
        "",  # keep the password in: the keyring (there is one)
    ]
    code, stdout, stderr = invoke(
        tmp_path,
        "init",
        "--ca-file",
        str(dovecot.ca_file),
        input="\n".join(answers) + "\n",
    )
    assert code == 0, stderr
    assert mail_user.password not in stdout + stderr
    assert "Sent folder: Sent; your addresses: owner@shop.example" in stderr
    assert "the password is kept in the OS keyring" in stderr
    path = tmp_path / "xdg" / "inbox-audit" / "config.toml"
    assert path.stat().st_mode & 0o777 == 0o600
    assert mail_user.password not in path.read_text(encoding="utf-8")
    config = load_config(path, env={})
    assert config is not None
    shop = config.accounts["shop"]
    assert shop.me == (OWNER,)
    assert shop.sent_folder == "Sent"
    assert shop.sla == "24h"
    assert (shop.timezone, shop.lang, shop.holidays) == ("America/New_York", "fr", "FR")
    assert shop.working_hours == "mon-fri 09:00-12:00,14:00-18:00"
    assert shop.password_file is None and shop.password_command is None
    assert config.notify.email_to is None
    assert memory_keyring.store == {(KEYRING_SERVICE, "shop"): mail_user.password}

    # The written file and the stored password are enough for an audit.
    code, stdout, stderr = invoke(tmp_path, "audit", "--format", "json", "--quiet")
    assert code == 0, stderr
    assert OWNER in json.loads(stdout)["identities"]


def test_init_with_a_wrong_password_writes_nothing(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    answers = [f"127.0.0.1:{dovecot.imaps_port}", mail_user.name, "", "Wr0ng-pw"]
    code, _, stderr = invoke(
        tmp_path, "init", "--ca-file", str(dovecot.ca_file), input="\n".join(answers) + "\n"
    )
    assert code == 4
    assert "login refused" in stderr
    assert not (tmp_path / "xdg" / "inbox-audit" / "config.toml").exists()


def test_init_does_not_replace_a_file_without_asking(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("# mine\n", encoding="utf-8")
    code, _, stderr = invoke(tmp_path, "init", "--config", str(path), input="n\n")
    assert code == 2
    assert "nothing written" in stderr
    assert path.read_text(encoding="utf-8") == "# mine\n"


def test_init_without_input_needs_the_server(tmp_path: Path) -> None:
    code, _, stderr = invoke(tmp_path, "init", "--no-input")
    assert code == 2
    assert "init --no-input needs --server" in stderr


def test_init_without_input_never_takes_the_password_from_argv(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INBOX_AUDIT_PASSWORD", raising=False)
    code, _, stderr = invoke(
        tmp_path, "init", "--no-input", "--server", "127.0.0.1:1", "--user", mail_user.name
    )
    assert code == 3
    assert "needs the password in INBOX_AUDIT_PASSWORD or --password-command" in stderr


def headless_init(
    tmp_path: Path, dovecot: DovecotServer, mail_user: MailUser, *extra: str
) -> tuple[int, str, str]:
    return invoke(tmp_path, *headless_init_args(dovecot, mail_user), "--me", OWNER, *extra)


def test_headless_init_keeps_the_password_in_a_private_file_checked_at_every_run(
    dovecot: DovecotServer,
    mail_user: MailUser,
    no_keyring: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,  # noqa: F811  (the fixture)
) -> None:
    monkeypatch.setenv("INBOX_AUDIT_PASSWORD", mail_user.password)
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    smtp = f"smtp://127.0.0.1:{smtp_server.port}"
    code, stdout, stderr = headless_init(
        tmp_path, dovecot, mail_user, "--email-to", "boss@shop.example", "--smtp", smtp
    )
    assert code == 0, stderr
    assert "no OS keyring here" in stderr
    secret = tmp_path / "xdg" / "inbox-audit" / "secrets" / "shop.password"
    assert f"the password is kept in {secret} (mode 0600" in stderr
    assert secret.stat().st_mode & 0o777 == 0o600
    assert secret.read_text(encoding="utf-8") == mail_user.password + "\n"
    config = load_config(tmp_path / "xdg" / "inbox-audit" / "config.toml", env={})
    assert config is not None
    shop = config.accounts["shop"]
    assert shop.password_file == secret
    assert (shop.lang, shop.holidays, shop.timezone) == ("fr", "FR", "Europe/Paris")
    assert shop.working_hours == "mon-fri 09:00-18:00"
    # The test summary really went out, to the owner, through the configured server.
    (received,) = smtp_server.received
    assert received.rcpt_tos == ("boss@shop.example",)
    assert received.parse()["Subject"].startswith("inbox-audit: ")
    assert "test summary sent to boss@shop.example" in stderr

    # Without the environment variable the file is the password; widened, it is refused.
    monkeypatch.delenv("INBOX_AUDIT_PASSWORD")
    code, stdout, stderr = invoke(tmp_path, "audit", "--quiet", "--format", "summary")
    assert code == 0, stderr
    secret.chmod(0o644)
    code, stdout, stderr = invoke(tmp_path, "audit", "--quiet")
    assert code == 3
    assert f"refused until you run: chmod 600 {secret}" in stderr
    assert stderr.count("\n") <= 2 and stdout == ""
    # Refused even when the environment holds the password: the leak is the file.
    monkeypatch.setenv("INBOX_AUDIT_PASSWORD", mail_user.password)
    code, _, stderr = invoke(tmp_path, "audit", "--quiet")
    assert code == 3 and "chmod 600" in stderr


def test_headless_init_with_a_password_command(
    dovecot: DovecotServer,
    mail_user: MailUser,
    no_keyring: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("INBOX_AUDIT_PASSWORD", raising=False)
    script = tmp_path / "secret-tool"
    script.write_text(f"#!/bin/sh\necho '{mail_user.password}'\n", encoding="utf-8")
    script.chmod(0o700)
    command = f"{script} lookup service mail"
    code, _, stderr = headless_init(
        tmp_path, dovecot, mail_user, "--password-command", command, "--email-to", "none"
    )
    assert code == 0, stderr
    assert f"the password is kept in password_command ({command})" in stderr
    config = load_config(tmp_path / "xdg" / "inbox-audit" / "config.toml", env={})
    assert config is not None
    assert config.accounts["shop"].password_command == command
    assert not (tmp_path / "xdg" / "inbox-audit" / "secrets").exists()
    code, _, stderr = invoke(tmp_path, "audit", "--quiet", "--format", "summary")
    assert code == 0, stderr


def test_asking_for_the_keyring_where_there_is_none(
    dovecot: DovecotServer,
    mail_user: MailUser,
    no_keyring: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INBOX_AUDIT_PASSWORD", mail_user.password)
    code, _, stderr = headless_init(tmp_path, dovecot, mail_user, "--store", "keyring")
    assert code == 3
    assert "there is no OS keyring here" in stderr
    assert not (tmp_path / "xdg" / "inbox-audit" / "config.toml").exists()


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--working-hours", "9 to 5", "invalid working hours"),
        ("--holidays", "France", "invalid holidays"),
        ("--timezone", "Paris", "unknown time zone"),
        ("--lang", "de", "'de' is not one of: fr, en"),
    ],
)
def test_init_checks_the_shape_of_its_answers(
    dovecot: DovecotServer,
    mail_user: MailUser,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    flag: str,
    value: str,
    message: str,
) -> None:
    monkeypatch.setenv("INBOX_AUDIT_PASSWORD", mail_user.password)
    code, _, stderr = headless_init(tmp_path, dovecot, mail_user, flag, value)
    assert code == 2, stderr
    assert message in stderr


def test_system_zone_and_locale_language(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "localtime").symlink_to("/usr/share/zoneinfo/Europe/Paris")
    assert system_zone_name({}, tmp_path) == "Europe/Paris"
    assert system_zone_name({"TZ": ":America/Montreal"}, tmp_path) == "America/Montreal"
    assert system_zone_name({}, tmp_path / "nothing") == "UTC"
    # init's default language is the locale's, as i18n chooses it for the whole program.
    assert choose(None, {"LANG": "fr_CA.UTF-8"}) == "fr"
    assert choose(None, {"LC_ALL": "C", "LANG": "fr_FR.UTF-8"}) == "en"
    assert choose(None, {}) == "en"


@pytest.mark.parametrize("printed", ["right", "wrong"])
def test_interactive_init_without_a_keyring_asks_for_a_command_and_runs_it(
    dovecot: DovecotServer,
    mail_user: MailUser,
    no_keyring: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    printed: str,
) -> None:
    monkeypatch.delenv("INBOX_AUDIT_PASSWORD", raising=False)
    dovecot.append(mail_user, "Sent", sent_mail(1, OWNER), flags=("\\Seen",))
    dovecot.append(mail_user, "Sent", sent_mail(2, OWNER), flags=("\\Seen",))
    script = tmp_path / "pass"
    secret = mail_user.password if printed == "right" else "stale-password"
    script.write_text(f"#!/bin/sh\necho '{secret}'\n", encoding="utf-8")
    script.chmod(0o700)
    answers = [
        f"127.0.0.1:{dovecot.imaps_port}",
        mail_user.name,
        "",  # password
        mail_user.password,
        "shop",
        "",  # the detected addresses
        "Europe/Paris",
        "en",
        "",
        "",
        "",
        "none",
        "command",  # keep the password in: (command/file), no keyring offered
        f"{script} show mail/shop",
    ]
    code, _, stderr = invoke(
        tmp_path, "init", "--ca-file", str(dovecot.ca_file), input="\n".join(answers) + "\n"
    )
    path = tmp_path / "xdg" / "inbox-audit" / "config.toml"
    assert "no OS keyring here" in stderr
    assert "(command/file)" in stderr
    if printed == "wrong":
        assert code == 3
        assert "does not print the password that logged in" in stderr
        assert not path.exists()
        return
    assert code == 0, stderr
    config = load_config(path, env={})
    assert config is not None
    assert config.accounts["shop"].password_command == f"{script} show mail/shop"
