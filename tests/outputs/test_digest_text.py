"""The summary in words: the headline, the text part, the cron summary."""

from __future__ import annotations

import pytest

from inbox_audit.core.printable import clean_text
from inbox_audit.model import Status
from inbox_audit.outputs.digest import build_email
from inbox_audit.outputs.digest_text import build_plain_summary, headline, sla_text
from tests.builders import PARIS
from tests.outputs.digest_reports import (
    DAY,
    JOHN,
    MARIE,
    SAM,
    SENDER,
    TO,
    full_report,
    make_report,
    make_result,
    parts,
)

# --- Headline -------------------------------------------------------------------------------


def test_headline_overdue_counts_threads_and_names_the_oldest_weekday() -> None:
    assert headline(full_report(), PARIS) == (
        "2 customers have waited more than 24 h — the oldest since Monday (1 more waiting)"
    )


def test_headline_counts_distinct_overdue_threads() -> None:
    report = make_report(
        [
            make_result(MARIE, "Devis", 75, Status.OVERDUE, thread_id="t"),
            make_result(MARIE, "Re: Devis", 50, Status.OVERDUE, thread_id="t"),
        ]
    )
    assert headline(report, PARIS) == "1 customer has waited more than 24 h — since Monday"


def test_headline_pending_only() -> None:
    report = make_report(
        [
            make_result(MARIE, "Devis", 5, Status.PENDING),
            make_result(JOHN, "Order", 2, Status.PENDING),
        ]
    )
    assert headline(report, PARIS) == "2 customers are waiting (none overdue yet)"
    one = make_report([make_result(MARIE, "Devis", 5, Status.PENDING)])
    assert headline(one, PARIS) == "1 customer is waiting (not overdue yet)"


def test_headline_nobody_waiting() -> None:
    report = make_report([make_result(MARIE, "Devis", 5, Status.ANSWERED, replied_after_hours=1)])
    assert headline(report, PARIS) == "No customer is waiting more than 24 h"
    assert headline(make_report([]), PARIS) == "No customer is waiting more than 24 h"


@pytest.mark.parametrize(
    ("hours_ago", "sla", "expected"),
    [
        (5, 4 * 3600, "1 customer has waited more than 4 h — since 05:00 today"),
        (30, 4 * 3600, "1 customer has waited more than 4 h — since yesterday"),
        (100, 2 * DAY, "1 customer has waited more than 2 days — since Sunday"),
        (24 * 9, DAY, "1 customer has waited more than 24 h — since 27 Oct"),
        (24 * 400, DAY, "1 customer has waited more than 24 h — since 1 Oct 2025"),
    ],
)
def test_headline_wording_of_sla_and_oldest(hours_ago: float, sla: int, expected: str) -> None:
    report = make_report([make_result(MARIE, "x", hours_ago, Status.OVERDUE)], sla_seconds=sla)
    assert headline(report, PARIS) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (DAY, "24 h"),
        (4 * 3600, "4 h"),
        (2 * DAY, "2 days"),
        (90 * 60, "1 h 30 min"),
        (1800, "30 min"),
    ],
)
def test_sla_text(seconds: int, expected: str) -> None:
    assert sla_text(seconds) == expected


def test_text_part_lists_the_same_waiting_threads_in_order() -> None:
    report = full_report()
    text, _ = parts(build_email(report, to=TO, sender=SENDER, tz=PARIS))
    overdue = [t for t in report.threads if t.status is Status.OVERDUE]
    assert text.count("OVERDUE, waiting for") == len(overdue) == 2
    positions = []
    for thread in report.threads:
        if thread.status in (Status.OVERDUE, Status.PENDING):
            who = clean_text(str(thread.correspondent))
            assert who in text
            positions.append(text.index(who))
    assert positions == sorted(positions)
    assert "OVERDUE, waiting for 3 d 3 h (since Mon 2 Nov 07:00)" in text
    assert "Marie Dupont <marie.dupont@orange.fr>" in text
    assert "ANSWERED LATE (1)" in text
    assert "Paul Martin <paul@exemple.fr> — Facture 2026-114 — answered after 1 d 6 h" in text
    assert "Last 7 days: 6 received, 3 answered, median response 15 h 52 min" in text
    assert "Folders read: INBOX (9), Sent (4)" in text
    assert "Not read: Trash" in text
    assert "INBOX #99: <b>broken</b> header" in text


def test_plain_summary() -> None:
    summary = build_plain_summary(full_report(), PARIS)
    lines = summary.splitlines()
    assert lines[0] == headline(full_report(), PARIS)
    assert lines[1].startswith("overdue    3 d 3 h  Marie Dupont <marie.dupont@orange.fr>")
    assert lines[1].endswith("— Devis cuisine [INBOX]")
    assert lines[2].startswith("overdue")
    assert "\r" not in summary and "<script>alert(1)</script> Bcc:" in lines[2]
    assert lines[3].startswith("pending        5 h  John Smith")
    assert lines[4:] == [
        "Last 24 h: 3 received, 2 answered, median response 1 h 30 min, 100% within 24 h, "
        "1 still waiting.",
        "Last 7 days: 6 received, 3 answered, median response 15 h 52 min, 25% within 24 h, "
        "3 still waiting.",
        "Last 28 days: 7 received, 4 answered, median response 2 h, 40% within 24 h, "
        "3 still waiting.",
    ]


def test_long_lists_are_cut() -> None:
    results = [make_result(SAM, f"Order {i}", 30 + i, Status.OVERDUE) for i in range(60)]
    text, html_text = parts(build_email(make_report(results), to=TO, sender=SENDER, tz=PARIS))
    assert text.count("OVERDUE, waiting for") == 50
    assert "… and 10 more" in text and "… and 10 more" in html_text
