"""Whole audits of generated, messy mailboxes checked against their ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from inbox_audit.app.cli import app
from tests.audits import audit_json
from tests.evaluate import messages_without_id, score
from tests.mailgen import Truth, generate, write_maildir

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("layout", ["plain", "gmail", "french"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_maildir_meets_the_bar(tmp_path: Path, layout: str, seed: int) -> None:
    box = generate(seed, layout)
    write_maildir(box, tmp_path / "mail")
    report = audit_json(str(tmp_path / "mail"), box)
    result = score(report, box.truth, messages_without_id(box))
    assert not result.violations, result.explain()
    assert result.overdue_f1 >= 0.97, result.explain()
    assert result.pairing >= 0.97, result.explain()
    assert not result.missing, result.explain()


def test_demo_mailbox_matches_its_truth() -> None:
    data = json.loads((REPO / "demo" / "truth.json").read_text(encoding="utf-8"))
    truth = {key: Truth(**value) for key, value in data["truth"].items()}
    args = ["audit", str(REPO / "demo" / "mailbox"), "--format", "json", "--as-of", data["as_of"]]
    result = CliRunner().invoke(app, args)
    report = json.loads(result.stdout)
    outcome = score(report, truth)
    assert not outcome.violations and not outcome.missing and not outcome.errors, outcome.explain()
    assert outcome.overdue_f1 == 1.0
    assert result.exit_code == 1


@pytest.mark.parametrize("locale", ["C.UTF-8", "en_US.UTF-8", "fr_FR.UTF-8"])
def test_demo_customers_get_holding_replies_in_their_own_language(locale: str) -> None:
    # Issue 13: "Atelier découverte samedi ?" from a gmail.com address got an English reply.
    data = json.loads((REPO / "demo" / "truth.json").read_text(encoding="utf-8"))
    args = ["audit", str(REPO / "demo" / "mailbox"), "--format", "json", "--as-of", data["as_of"]]
    result = CliRunner().invoke(app, args, env={"LC_ALL": locale, "LANG": locale})
    threads = json.loads(result.stdout)["threads"]
    languages = {
        t["correspondent_name"]: t["holding_reply"]["language"]
        for t in threads
        if t["holding_reply"] is not None
    }
    assert languages == {
        "Thomas Girard": "fr",
        "Lucie Caron": "fr",
        "Nathalie Roché": "fr",
        "Sophie Lemaire": "fr",
        "Inès Morel": "fr",
        "Julien Fabre": "fr",
        "Emma Clarke": "en",
    }
