"""`inbox-audit stats` over IMAP against a real Dovecot: the same figures as a local read,
through the cache, every format, and the mailbox left as it was."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from inbox_audit.app.cli import app
from tests.audits import load
from tests.dovecot import DovecotServer
from tests.mailgen import generate, write_maildir


def test_stats_over_imap_match_a_local_read_and_change_nothing(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    box = generate(11, "french")
    user = load(dovecot, box)
    before = dovecot.snapshot_state(user)
    common = ["--until", box.as_of.isoformat(), "--timezone", "Europe/Paris", "-q"]
    common += [arg for address in box.owner for arg in ("--me", address)]
    imap = [dovecot.url(user), "--ca-file", str(dovecot.ca_file), *common]
    env = {"INBOX_AUDIT_PASSWORD": user.password}

    def stats(*args: str) -> str:
        result = CliRunner().invoke(app, ["stats", *args], env=env)
        assert result.exit_code == 0, result.stderr + repr(result.exception)
        assert user.password not in result.stdout + result.stderr
        return result.stdout

    first = json.loads(stats(*imap, "--format", "json"))  # an empty cache: fetched
    again = json.loads(stats(*imap, "--format", "json"))  # from the cache
    write_maildir(box, tmp_path / "mail")
    local = json.loads(stats(str(tmp_path / "mail"), *common, "--format", "json"))
    assert first == again
    # The same mail read over IMAP and from files gives the same figures.
    assert first["responses"] == local["responses"]
    assert first["first_response"] == local["first_response"]
    assert first["weekly_trend"] == local["weekly_trend"]
    assert first["customers_kept_waiting"] == local["customers_kept_waiting"]
    assert first["responses"]["received"] > 20 and first["complete"] is True
    # The generated owner sends quotes; those left unanswered await the customer.
    assert all(a["silent_business_days"] >= 3 for a in first["awaiting_reply"])

    rows = list(csv.DictReader(io.StringIO(stats(*imap, "--format", "csv"))))
    received = [r for r in rows if r["section"] == "responses" and r["key"] == "received"]
    assert [int(r["value"]) for r in received] == [first["responses"]["received"]]
    markdown = stats(*imap, "--format", "markdown")
    assert markdown.startswith("# Response times,") and "## Week by week" in markdown
    table = stats(*imap)
    assert "How long customers waited" in table and "█" in table
    assert dovecot.snapshot_state(user) == before
