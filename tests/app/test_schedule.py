"""`inbox-audit init` (stdin fed through CliRunner, real Dovecot) and `inbox-audit schedule`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from typer.testing import CliRunner

from inbox_audit.app.cli import app
from inbox_audit.app.config import load_config
from inbox_audit.app.credentials import KEYRING_SERVICE
from inbox_audit.app.schedule import Job, crontab_entry, parse_time, systemd_units
from tests.app.test_credentials import MemoryKeyring
from tests.dovecot import DovecotServer, MailUser

OWNER = "owner@shop.example"


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def invoke(tmp_path: Path, *args: str, input: str | None = None) -> tuple[int, str, str]:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "XDG_STATE_HOME": str(tmp_path / "state")}
    result = CliRunner().invoke(app, list(args), input=input, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result.exit_code, result.stdout, result.stderr


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
        mail_user.password,  # password (hidden)
        "shop",  # account name
        "",  # addresses: the detected ones
        "",  # SLA: 24h
        "",  # email the report to: nobody
        "y",  # store the password in the keyring
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
    assert "login works; Sent folder: Sent; your addresses: owner@shop.example" in stderr
    path = tmp_path / "xdg" / "inbox-audit" / "config.toml"
    assert path.stat().st_mode & 0o777 == 0o600
    assert mail_user.password not in path.read_text(encoding="utf-8")
    config = load_config(path, env={})
    assert config is not None
    shop = config.accounts["shop"]
    assert shop.me == (OWNER,)
    assert shop.sent_folder == "Sent"
    assert shop.sla == "24h"
    assert memory_keyring.store == {(KEYRING_SERVICE, "shop"): mail_user.password}

    # The written file and the stored password are enough for an audit.
    code, stdout, stderr = invoke(tmp_path, "audit", "--format", "json", "--quiet")
    assert code == 0, stderr
    assert OWNER in json.loads(stdout)["identities"]


def test_init_with_a_wrong_password_writes_nothing(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    answers = [f"127.0.0.1:{dovecot.imaps_port}", mail_user.name, "Wr0ng-pw"]
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


# --- schedule ---------------------------------------------------------------------------------


def test_crontab_and_units_quote_and_escape() -> None:
    job = Job(
        command=("/opt/my tools/inbox-audit", "audit", "--config", "/home/me/100%.toml"),
        hour=7,
        minute=5,
        path="/opt/my tools:/usr/bin:/bin",
    )
    line = crontab_entry(job).splitlines()[-1]
    assert line.startswith("5 7 * * * PATH='/opt/my tools:/usr/bin:/bin' '/opt/my tools/")
    assert "100\\%.toml" in line  # a bare % is a newline to cron
    units = systemd_units(job)
    service = units["inbox-audit.service"]
    assert 'ExecStart="/opt/my tools/inbox-audit" audit --config /home/me/100%%.toml' in service
    assert "SuccessExitStatus=1" in service
    assert "OnCalendar=*-*-* 07:05:00" in units["inbox-audit.timer"]


@pytest.mark.parametrize("text", ["7", "24:00", "07:60", "noon"])
def test_bad_times(text: str) -> None:
    from inbox_audit.errors import UsageError

    with pytest.raises(UsageError):
        parse_time(text)


def write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "xdg" / "inbox-audit" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[accounts.shop]\nsource = "imaps://shop@mail.example.com"\n' + extra, "utf-8")
    return path


def test_schedule_prints_cron_and_systemd_and_installs_nothing(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    code, stdout, stderr = invoke(tmp_path, "schedule", "--at", "06:30")
    assert code == 0, stderr
    cron = next(line for line in stdout.splitlines() if line.startswith("30 6 * * * PATH="))
    assert f"audit --config {path} --quiet --format summary" in cron
    assert "MAILTO" in stdout
    assert "[Timer]" in stdout and "OnCalendar=*-*-* 06:30:00" in stdout
    assert not (tmp_path / "xdg" / "systemd").exists()


def test_schedule_with_notify_section_needs_no_summary(tmp_path: Path) -> None:
    write_config(tmp_path, '[notify]\nemail_to = "a@b.example"\nsmtp = "smtp://localhost"\n')
    code, stdout, _ = invoke(tmp_path, "schedule")
    assert code == 0
    assert "--format summary" not in stdout
    assert "0 7 * * *" in stdout


def test_schedule_install_after_confirmation(tmp_path: Path) -> None:
    write_config(tmp_path)
    units = tmp_path / "xdg" / "systemd" / "user"
    code, _, stderr = invoke(tmp_path, "schedule", "--install", input="n\n")
    assert code == 0
    assert "nothing installed" in stderr
    assert not units.exists()
    code, _, stderr = invoke(tmp_path, "schedule", "--install", input="y\n")
    assert code == 0, stderr
    assert sorted(p.name for p in units.iterdir()) == [
        "inbox-audit-shop.service",
        "inbox-audit-shop.timer",
    ]
    assert "systemctl --user enable --now inbox-audit-shop.timer" in stderr


def test_schedule_without_config(tmp_path: Path) -> None:
    code, stdout, stderr = invoke(tmp_path, "schedule")
    assert code == 2
    assert stdout == ""
    assert "inbox-audit init" in stderr
