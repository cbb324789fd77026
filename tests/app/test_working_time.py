"""Working hours from the command line and the config file, through to every format: a local
mbox, and a real Dovecot with the cache (a change of hours never serves a stale report)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from inbox_audit.app.cli import app
from tests.app.builders import write_config
from tests.dovecot import Appended, DovecotServer, MailUser

runner = CliRunner()
ME = "shop@atelier.fr"
# 2026-03-06 is a Friday. Ana writes on Friday at 18:00 (the shop closes at 18:00) and gets
# her answer on Monday at 09:30: 30 min of working time, 2 d 15 h 30 min on the wall clock.
# Bob writes on Saturday and waits.
MESSAGES = (
    ("ana@client.fr", ME, "Devis", "2026-03-06T18:00:00+01:00", "a1", None),
    (ME, "ana@client.fr", "Re: Devis", "2026-03-09T09:30:00+01:00", "r1", "a1"),
    ("bob@client.fr", ME, "Question", "2026-03-07T10:00:00+01:00", "b1", None),
)
AS_OF = "2026-03-09T10:00:00+01:00"
HOURS = "mon-fri 09:00-12:00,14:00-18:00"


def raw(sender: str, to: str, subject: str, when: str, ident: str, parent: str | None) -> bytes:
    moment = datetime.fromisoformat(when)
    lines = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Date: {moment.strftime('%a, %d %b %Y %H:%M:%S %z')}",
        f"Message-ID: <{ident}@test>",
        *([f"In-Reply-To: <{parent}@test>"] if parent else []),
        "",
        "Bonjour",
        "",
    ]
    return "\r\n".join(lines).encode()


@pytest.fixture
def mbox(tmp_path: Path) -> Path:
    path = tmp_path / "shop.mbox"
    with path.open("wb") as out:
        for message in MESSAGES:
            moment = datetime.fromisoformat(message[3]).astimezone(UTC)
            out.write(f"From x {moment.strftime('%a %b %d %H:%M:%S %Y')}\n".encode())
            out.write(raw(*message).replace(b"\r\n", b"\n") + b"\n")
    return path


def audit(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["audit", "--me", ME, "--as-of", AS_OF, *args])
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stdout, result.stderr


def audit_hours(mbox: Path, *args: str) -> tuple[int, str, str]:
    """`audit` of `mbox` in Paris with HOURS."""
    return audit(str(mbox), "--timezone", "Europe/Paris", "--working-hours", HOURS, *args)


def by_sender(report: dict[str, Any], sender: str) -> dict[str, Any]:
    return next(m for m in report["messages"] if m["from"] == sender)


def test_business_latency_in_json(mbox: Path) -> None:
    code, out, _ = audit_hours(mbox, "--format", "json")
    report = json.loads(out)
    reply = by_sender(report, "ana@client.fr")["reply"]
    assert reply["latency_seconds"] == 2 * 86400 + 15 * 3600 + 30 * 60
    assert reply["business_latency_seconds"] == 30 * 60
    assert report["summary"]["median_business_response_seconds"] == 30 * 60
    assert report["summary"]["p90_business_response_seconds"] == 30 * 60
    assert report["settings"] == {
        "working_hours": {
            "hours": HOURS,
            "timezone": "Europe/Paris",
            "holidays": None,
            "vacations": [],
        },
        "sla_clock": "wall",
    }
    # A wall-clock SLA of 24 h: Bob, waiting since Saturday, is overdue.
    assert by_sender(report, "bob@client.fr")["status"] == "overdue"
    assert code == 1


def test_without_working_hours_nothing_changes(mbox: Path) -> None:
    _, out, _ = audit(str(mbox), "--format", "json", "--timezone", "Europe/Paris")
    report = json.loads(out)
    assert "settings" not in report
    assert "median_business_response_seconds" not in report["summary"]
    assert "business_latency_seconds" not in by_sender(report, "ana@client.fr")["reply"]
    _, csv_out, _ = audit(str(mbox), "--format", "csv", "--timezone", "Europe/Paris")
    assert "business_latency_seconds" not in csv_out


@pytest.mark.parametrize(
    ("sla", "bob", "code"),
    [
        # Bob has waited one hour of working time (Monday 09:00-10:00): within 4 business
        # hours, but not within half of one.
        ("4 business hours", "pending", 0),
        ("1bd", "pending", 0),
        ("0.5bh", "overdue", 1),
        ("24h", "overdue", 1),
    ],
)
def test_the_sla_clock_decides_overdue(mbox: Path, sla: str, bob: str, code: int) -> None:
    done, out, _ = audit_hours(mbox, "--format", "json", "--sla", sla)
    report = json.loads(out)
    assert by_sender(report, "bob@client.fr")["status"] == bob
    assert report["settings"]["sla_clock"] == ("wall" if sla == "24h" else "business")
    assert done == code


def test_holidays_and_vacation_stop_the_clock(mbox: Path) -> None:
    # Monday 9 March off: Ana's answer came with no working time in between.
    _, out, _ = audit_hours(
        mbox,
        "--format",
        "json",
        "--holidays",
        "fr-57",
        "--vacation",
        "2026-03-09",
        "--vacation",
        "2026-08-03..2026-08-21",
    )
    report = json.loads(out)
    assert by_sender(report, "ana@client.fr")["reply"]["business_latency_seconds"] == 0
    assert report["settings"]["working_hours"]["holidays"] == "FR-57"
    assert report["settings"]["working_hours"]["vacations"] == [
        "2026-03-09..2026-03-09",
        "2026-08-03..2026-08-21",
    ]


def test_table_and_markdown_show_working_time(mbox: Path) -> None:
    for fmt in ("table", "markdown", "summary"):
        _, out, _ = audit_hours(mbox, "--format", fmt, "--sla", "4bh")
        assert "working time" in out, (fmt, out)


def test_the_holding_reply_promises_an_open_time(mbox: Path) -> None:
    _, out, _ = audit_hours(mbox, "--format", "json", "--lang", "fr")
    bob = next(t for t in json.loads(out)["threads"] if t["correspondent"] == "bob@client.fr")
    # Monday 10:00 + 4 working hours: 12:00, then 14:00-16:00; kept by closing time.
    assert bob["holding_reply"]["promised_by"] == "2026-03-09T17:00:00+00:00"
    assert "d'ici 18 h aujourd'hui" in bob["holding_reply"]["body"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--working-hours", "mon-fri 9h-25h"], "invalid working hours"),
        (["--working-hours", "weekdays 09:00-17:00"], "unknown day"),
        (["--working-hours", HOURS, "--holidays", "XX"], "unknown holiday calendar"),
        (["--working-hours", HOURS, "--vacation", "2026-08-21..2026-08-03"], "invalid vacation"),
        (["--sla", "4 business hours"], "needs working hours"),
        (["--holidays", "FR"], "--holidays needs working hours"),
        (["--vacation", "2026-08-03"], "--vacation needs working hours"),
        (["--working-hours", HOURS, "--timezone", "Mars/Olympus"], "Mars/Olympus"),
    ],
)
def test_bad_values_are_usage_errors(mbox: Path, args: list[str], needle: str) -> None:
    code, out, err = audit(str(mbox), *args)
    assert code == 2
    assert out == ""
    assert needle in err
    assert len([line for line in err.splitlines() if line.strip()]) <= 2


def test_config_keys_at_the_top_and_per_account(tmp_path: Path, mbox: Path) -> None:
    config = write_config(
        tmp_path,
        f'working_hours = "{HOURS}"\n'
        'timezone = "Europe/Paris"\n'
        'sla = "4 business hours"\n'
        f'[accounts.shop]\nsource = "{mbox}"\nholidays = "FR"\n'
        'vacation = ["2026-08-03..2026-08-21"]\n',
    )
    code, out, err = audit("--config", str(config), "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["settings"]["working_hours"] == {
        "hours": HOURS,
        "timezone": "Europe/Paris",
        "holidays": "FR",
        "vacations": ["2026-08-03..2026-08-21"],
    }
    assert report["settings"]["sla_clock"] == "business"
    assert report["sla_seconds"] == 4 * 3600


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ('working_hours = "mon-fri"', "working_hours"),
        ('holidays = "ZZ"', "unknown holiday calendar"),
        ('vacation = ["soon"]', "invalid vacation"),
        ('sla = "1 business day"', "needs working hours"),
    ],
)
def test_bad_config_values_are_config_errors(
    tmp_path: Path, mbox: Path, line: str, needle: str
) -> None:
    hours = "" if "working_hours" in line or "sla" in line else f'working_hours = "{HOURS}"\n'
    config = write_config(tmp_path, f'[accounts.shop]\nsource = "{mbox}"\n{hours}{line}\n')
    code, out, err = audit("--config", str(config))
    assert code == 3
    assert out == ""
    assert needle in err and str(config) in err


def test_a_change_of_hours_is_never_served_from_the_cache(
    dovecot: DovecotServer, mail_user: MailUser
) -> None:
    # The nightly shortcut re-dates the last audit when the mailbox is unchanged and the
    # settings are the same: the working hours are settings.
    for sender, to, subject, when, ident, parent in MESSAGES:
        folder = "Sent" if sender == ME else "INBOX"
        moment = datetime.fromisoformat(when)
        dovecot.append_many(
            mail_user, folder, [Appended(raw(sender, to, subject, when, ident, parent), (), moment)]
        )

    def run(fmt: str, *args: str) -> str:
        result = runner.invoke(
            app,
            [
                "audit",
                dovecot.url(mail_user),
                "--ca-file",
                str(dovecot.ca_file),
                "--me",
                ME,
                "--as-of",
                AS_OF,
                "--timezone",
                "Europe/Paris",
                "--format",
                fmt,
                *args,
            ],
            env={"INBOX_AUDIT_PASSWORD": mail_user.password},
        )
        assert result.exit_code in (0, 1), result.stderr
        return result.stdout

    def latency(*args: str) -> Any:
        report = json.loads(run("json", *args))
        return by_sender(report, "ana@client.fr")["reply"].get("business_latency_seconds")

    assert latency() is None
    assert latency("--working-hours", HOURS) == 30 * 60
    assert latency("--working-hours", "mon-fri 08:00-18:00") == 90 * 60
    assert latency("--working-hours", "mon-fri 08:00-18:00", "--vacation", "2026-03-09") == 0
    assert latency("--working-hours", HOURS) == 30 * 60
    assert latency() is None

    # Markdown re-dates the kept snapshot when nothing changed: never one of other hours.
    # Ana, answered after 2 d 15 h on the wall clock, is listed as answered late.
    assert "working time" not in run("markdown")
    assert "(30 min working time)" in run("markdown", "--working-hours", HOURS)
    assert "(30 min working time)" in run("markdown", "--working-hours", HOURS)
    assert "(1 h 30 min working time)" in run("markdown", "--working-hours", "mon-fri 08:00-18")
    assert "working time" not in run("markdown")


def test_stats_counts_working_time_from_its_own_flags(mbox: Path) -> None:
    """`stats` takes --working-hours/--holidays/--vacation like `audit`: Ana's answer is
    30 min of working time (2 d 15 h 30 min on the wall clock); without the flags the two
    clocks agree."""
    common = ["stats", str(mbox), "--me", ME, "--until", AS_OF, "--since", "2026-03-01"]
    common += ["--timezone", "Europe/Paris", "--format", "json"]
    plain = runner.invoke(app, common)
    assert plain.exit_code == 0, plain.stderr
    worked = runner.invoke(app, [*common, "--working-hours", HOURS, "--holidays", "FR"])
    assert worked.exit_code == 0, worked.stderr
    wall = 2 * 86400 + 15 * 3600 + 30 * 60
    responses = json.loads(plain.stdout)["responses"]
    assert responses["median_response_seconds"] == wall
    assert responses["median_business_response_seconds"] == wall
    responses = json.loads(worked.stdout)["responses"]
    assert responses["median_response_seconds"] == wall
    assert responses["median_business_response_seconds"] == 30 * 60
    bad = runner.invoke(app, [*common, "--working-hours", "someday 9-5"])
    assert bad.exit_code == 2 and "Traceback" not in bad.stderr
