"""`inbox-audit schedule`: the crontab line and systemd units of the daily audit."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_audit.app.schedule import Job, crontab_entry, parse_time, systemd_units
from tests.app.builders import default_config, invoke


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
    return default_config(
        tmp_path, '[accounts.shop]\nsource = "imaps://shop@mail.example.com"\n' + extra
    )


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


def test_a_job_for_one_of_several_accounts_names_it(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[accounts.perso]\nsource = "imaps://me@imap.example.org"\n')
    code, stdout, stderr = invoke(tmp_path, "schedule", "--account", "perso")
    assert code == 0, stderr
    cron = next(line for line in stdout.splitlines() if line.startswith("0 7 * * * PATH="))
    assert f"audit --config {path} --account perso --quiet --format summary" in cron
    assert "inbox-audit-perso.service" in stdout and "inbox-audit-perso.timer" in stdout
