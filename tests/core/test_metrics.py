"""The rules the audit and the re-dated snapshot share: the deadline, lateness, the summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from inbox_audit.core.metrics import (
    deadline,
    is_late,
    late_count,
    percentile,
    summary_of,
    waiting_status,
    with_waiting,
)
from inbox_audit.model import Status

SLA = timedelta(hours=24)


@pytest.mark.parametrize(
    "latencies", [[], [10.0], [86_399.0, 86_400.0, 86_401.0], [0.0, 5.0, 86_400.0, 86_400.0]]
)
def test_late_count_counts_what_is_late(latencies: list[float]) -> None:
    sla = SLA.total_seconds()
    assert late_count(latencies, sla) == sum(is_late(latency, sla) for latency in latencies)


def test_the_deadline_is_in_absolute_time() -> None:
    """On the night summer time starts, 24 h before 12:00 on the wall clock is 25 h ago."""
    moment = datetime(2026, 3, 29, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))
    cut = deadline(moment, SLA)
    assert cut == datetime(2026, 3, 28, 10, 0, tzinfo=UTC)
    assert waiting_status(cut, cut) is Status.OVERDUE  # exactly the SLA is overdue
    assert waiting_status(cut + timedelta(seconds=1), cut) is Status.PENDING
    assert waiting_status(None, cut) is Status.PENDING


def test_a_summary_re_dated_is_the_summary_of_the_new_counts() -> None:
    counts: dict[str, Any] = {
        "customer_messages": 9,
        "answered": 5,
        "answered_unknown_latency": 1,
        "not_customer": 2,
        "unreadable": 0,
        "duplicates": 0,
        "drafts": 0,
        "after_as_of": 0,
        "outbound": 3,
    }
    latencies = [60, 3_600, 90_000, 200_000]  # two late
    before = summary_of(latencies, SLA, pending=4, overdue=0, **counts)
    after = summary_of(latencies, SLA, pending=1, overdue=3, **counts)
    assert (before.answered_late, before.within_sla_ratio) == (2, 2 / 4)
    assert after.within_sla_ratio == 2 / 7
    assert with_waiting(before, 1, 3) == after


def test_percentile() -> None:
    assert percentile([], 0.5) is None
    assert percentile([10.0], 0.9) == 10.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([0.0, 10.0], 0.9) == 9.0
