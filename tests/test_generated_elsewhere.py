"""Generated mailboxes with replies sent elsewhere, forwards and colleagues, against their truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.audits import audit_json
from tests.evaluate import messages_without_id, score
from tests.mailgen import generate, write_maildir


@pytest.mark.parametrize("layout", ["plain", "gmail", "french"])
@pytest.mark.parametrize("seed", [31, 32])
def test_replies_elsewhere_answer_and_forwards_and_colleagues_do_not(
    tmp_path: Path, layout: str, seed: int
) -> None:
    box = generate(seed, layout, customers=30, elsewhere=True)
    write_maildir(box, tmp_path / "mail")
    report = audit_json(str(tmp_path / "mail"), box)
    result = score(report, box.truth, messages_without_id(box))
    assert not result.violations, result.explain()
    assert not result.missing, result.explain()
    assert result.overdue_f1 >= 0.99, result.explain()
    assert result.pairing >= 0.99, result.explain()
    # No colleague is listed, and each is counted apart.
    colleagues = {key for key, truth in box.truth.items() if truth.reason_kind == "internal"}
    assert len(colleagues) == 4  # three notes to the owner, one answer to a customer
    listed = {m["message_id"]: m for m in report["messages"]}
    assert {listed[key]["reason"] for key in colleagues} == {"internal"}
    assert report["summary"]["internal"] == 4
    colleague = box.owner[0].replace(box.owner[0].split("@")[0], "", 1)
    assert not [t for t in report["threads"] if t["correspondent"].endswith(colleague)]
