"""Manual runs show, the scheduled run sends: [notify] no longer redirects a manual `audit`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from inbox_audit.app import nightly
from tests.app.builders import default_config, invoke
from tests.smtpd import SmtpServer, make_smtp_server, smtp_server  # noqa: F401  (fixtures)

DEMO = Path(__file__).resolve().parents[2] / "demo" / "mailbox"
AS_OF = ("--as-of", "2026-11-20T09:00:00+01:00")


def shop(tmp_path: Path, port: int) -> None:
    default_config(
        tmp_path,
        f'[accounts.shop]\nsource = "{DEMO}"\nme = ["claire@atelier-lumiere.fr"]\n'
        f'timezone = "Europe/Paris"\n\n[notify]\nemail_to = "claire@atelier-lumiere.fr"\n'
        f'smtp = "smtp://127.0.0.1:{port}"\n',
    )


def test_a_manual_run_prints_and_sends_nothing(
    tmp_path: Path,
    smtp_server: SmtpServer,  # noqa: F811  (the fixture)
) -> None:
    shop(tmp_path, smtp_server.port)
    code, stdout, stderr = invoke(tmp_path, "audit", *AS_OF, "--quiet")
    assert code == 1, stderr
    assert "Thomas Girard" in stdout
    assert smtp_server.received == []
    assert not (tmp_path / "state" / "inbox-audit" / nightly.LAST_RUN).exists()


def test_email_when_asked(
    tmp_path: Path,
    smtp_server: SmtpServer,  # noqa: F811  (the fixture)
) -> None:
    shop(tmp_path, smtp_server.port)
    code, _, stderr = invoke(tmp_path, "audit", *AS_OF, "--quiet", "--email")
    assert code == 1, stderr
    (received,) = smtp_server.received
    assert received.rcpt_tos == ("claire@atelier-lumiere.fr",)


def test_the_scheduled_run_sends_prints_nothing_and_keeps_its_outcome(
    tmp_path: Path,
    smtp_server: SmtpServer,  # noqa: F811  (the fixture)
) -> None:
    shop(tmp_path, smtp_server.port)
    state = tmp_path / "state" / "inbox-audit"
    nightly.add_missed_night(state, date(2026, 11, 18))
    nightly.add_missed_night(state, date(2026, 11, 19))
    code, stdout, stderr = invoke(tmp_path, "audit", *AS_OF, "--scheduled")
    assert code == 1, stderr
    assert stdout == "" and stderr == ""
    (received,) = smtp_server.messages
    text = received.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "not emailed on Wed 18 Nov 2026, Thu 19 Nov 2026" in text
    outcome = json.loads((state / nightly.LAST_RUN).read_text(encoding="utf-8"))
    assert outcome["emailed_to"] == "claire@atelier-lumiere.fr"
    assert outcome["problems"] == [] and outcome["exit_code"] == 1
    assert nightly.missed_nights(state) == []  # told once


def test_a_scheduled_run_that_cannot_send_keeps_the_night(tmp_path: Path) -> None:
    from tests.smtpd import free_port

    shop(tmp_path, free_port())  # nobody listens there
    state = tmp_path / "state" / "inbox-audit"
    code, _, stderr = invoke(tmp_path, "audit", *AS_OF, "--scheduled")
    assert code == 6
    assert "saved to" in stderr
    assert nightly.missed_nights(state) == [date(2026, 11, 20)]
    assert len(list((state / "undelivered").glob("report-*.eml"))) == 1
    outcome = nightly.load_outcome(state)
    assert outcome is not None and outcome.emailed_to is None
    assert outcome.exit_code == 6 and "127.0.0.1" in outcome.problems[0]


def test_a_manual_run_mentions_the_missed_nights(tmp_path: Path) -> None:
    from tests.smtpd import free_port

    shop(tmp_path, free_port())
    state = tmp_path / "state" / "inbox-audit"
    nightly.add_missed_night(state, date(2026, 11, 19))
    code, stdout, stderr = invoke(tmp_path, "audit", *AS_OF, "--format", "summary")
    assert code == 1 and stdout
    assert "the nightly summary was not emailed on Thu 19 Nov 2026" in stderr
    assert nightly.missed_nights(state) == [date(2026, 11, 19)]  # still for the next email
