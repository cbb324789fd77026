"""`inbox-audit schedule`: the crontab line and systemd units of the daily audit."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_audit.app.schedule import Job, crontab_entry, parse_time, systemd_units
from tests.app.builders import MINE, default_config, fake_tools, invoke, nightly_job_config


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
    state = tmp_path / "state" / "inbox-audit"
    assert f"audit --config {path} --state-dir {state} --quiet --format summary" in cron
    assert "MAILTO" in stdout
    assert "[Timer]" in stdout and "OnCalendar=*-*-* 06:30:00" in stdout
    assert not (tmp_path / "xdg" / "systemd").exists()


def test_schedule_with_notify_section_needs_no_summary(tmp_path: Path) -> None:
    write_config(tmp_path, '[notify]\nemail_to = "a@b.example"\nsmtp = "smtp://localhost"\n')
    code, stdout, _ = invoke(tmp_path, "schedule")
    assert code == 0
    assert "--format summary" not in stdout
    assert "--scheduled" in stdout
    assert "0 7 * * *" in stdout


def test_install_keeps_the_rest_of_the_crontab_backs_it_up_and_is_idempotent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path)
    table = fake_tools(tmp_path, monkeypatch, MINE)
    code, _, stderr = invoke(tmp_path, "schedule", "--install", "--at", "06:15")
    assert code == 0, stderr
    assert "installed in your crontab" in stderr
    text = table.read_text(encoding="utf-8")
    assert text.startswith(MINE)  # the owner's own lines, untouched
    (line,) = [x for x in text.splitlines() if x.startswith("15 6 * * * PATH=")]
    assert "audit --config" in line
    (backup,) = (tmp_path / "state" / "inbox-audit").glob("crontab.backup-*")
    assert backup.read_text(encoding="utf-8") == MINE
    assert backup.stat().st_mode & 0o777 == 0o600

    # Again: nothing changes, no second backup.
    code, _, stderr = invoke(tmp_path, "schedule", "--install", "--at", "06:15")
    assert code == 0 and "already in your crontab" in stderr
    assert table.read_text(encoding="utf-8") == text
    # Another time replaces the job rather than adding a second one.
    code, _, _ = invoke(tmp_path, "schedule", "--install", "--at", "22:00")
    text = table.read_text(encoding="utf-8")
    assert code == 0 and "0 22 * * * PATH=" in text and "15 6 * * *" not in text
    assert text.count("inbox-audit-shop") == 2  # BEGIN and END markers, once

    code, _, stderr = invoke(tmp_path, "schedule", "--uninstall")
    assert code == 0 and "removed from your crontab" in stderr
    assert table.read_text(encoding="utf-8") == MINE
    code, _, stderr = invoke(tmp_path, "schedule", "--uninstall")
    assert code == 0 and "was not in your crontab" in stderr


def test_install_into_an_empty_crontab_and_without_cron(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path)
    table = fake_tools(tmp_path, monkeypatch, None)
    code, _, stderr = invoke(tmp_path, "schedule", "--install")
    assert code == 0, stderr
    assert "previous crontab" not in stderr
    assert table.read_text(encoding="utf-8").startswith("# BEGIN inbox-audit-shop ")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    code, _, stderr = invoke(tmp_path, "schedule", "--install")
    assert code == 3
    assert "no crontab command here" in stderr and "--systemd" in stderr


def test_install_and_uninstall_a_systemd_timer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path)
    fake_tools(tmp_path, monkeypatch, None)
    units = tmp_path / "xdg" / "systemd" / "user"
    code, _, stderr = invoke(tmp_path, "schedule", "--install", "--systemd")
    assert code == 0, stderr
    assert sorted(p.name for p in units.iterdir()) == [
        "inbox-audit-shop.service",
        "inbox-audit-shop.timer",
    ]
    log = (tmp_path / "systemctl.log").read_text(encoding="utf-8").splitlines()
    assert log == ["--user daemon-reload", "--user enable --now inbox-audit-shop.timer"]
    assert not (tmp_path / "crontab.txt").exists()
    code, _, stderr = invoke(tmp_path, "schedule", "--uninstall", "--systemd")
    assert code == 0 and "removed inbox-audit-shop.timer" in stderr
    assert list(units.iterdir()) == []


def test_systemd_without_a_user_session_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path)
    fake_tools(tmp_path, monkeypatch, None)
    (tmp_path / "bin" / "systemctl").write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    code, _, stderr = invoke(tmp_path, "schedule", "--install", "--systemd")
    assert code == 0, stderr
    assert "then run: systemctl --user daemon-reload && systemctl --user enable" in stderr


def test_check_needs_an_installed_job(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(tmp_path)
    fake_tools(tmp_path, monkeypatch, MINE)
    code, _, stderr = invoke(tmp_path, "schedule", "--check")
    assert code == 3
    assert "inbox-audit-shop is not in your crontab" in stderr
    assert "schedule --install" in stderr


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
    assert f"audit --config {path} --account perso --state-dir " in cron
    assert cron.endswith("--quiet --format summary")
    assert "inbox-audit-perso.service" in stdout and "inbox-audit-perso.timer" in stdout


@pytest.mark.parametrize("scheduler", [[], ["--systemd"]], ids=["cron", "systemd"])
def test_check_runs_the_job_as_cron_and_says_what_the_owner_gets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheduler: list[str]
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    mailbox = nightly_job_config(tmp_path)
    fake_tools(tmp_path, monkeypatch, MINE)
    assert invoke(tmp_path, "schedule", "--install", *scheduler)[0] == 0
    code, stdout, stderr = invoke(tmp_path, "schedule", "--check", *scheduler)
    assert code == 0, stdout + stderr
    how = "as systemd runs inbox-audit-shop.service" if scheduler else "as cron runs it"
    assert f"ran the installed job {how}" in stdout and ": exit 0" in stdout
    assert "OK: nothing overdue, so no email tonight" in stdout

    # The mailbox unreadable and the SMTP server down: nothing reaches the owner, and the
    # check says both errors.
    for sub in ("cur", "new", "tmp"):
        (mailbox / sub).rmdir()
    (mailbox / "notes.txt").write_text("not mail", encoding="utf-8")
    code, stdout, stderr = invoke(tmp_path, "schedule", "--check", *scheduler)
    assert code == 4, stdout + stderr
    assert "NOTHING reached the owner" in stdout
    assert str(mailbox) in stdout and "127.0.0.1:1" in stdout
