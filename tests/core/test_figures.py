"""The period figures: each period's counts, median and share within the SLA, and the one before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inbox_audit.core.figures import PeriodFigures, period_figures
from inbox_audit.model import Status
from inbox_audit.outputs.text import period_label
from tests.builders import PARIS
from tests.outputs.digest_reports import (
    AS_OF,
    JOHN,
    MARIE,
    full_report,
    make_report,
    make_result,
)


def _numbers(period: PeriodFigures) -> tuple[object, ...]:
    c, p = period.current, period.previous
    return (
        period.days,
        (c.received, c.answered, c.median_response_seconds, c.within_sla_ratio, c.still_waiting),
        (p.received, p.answered, p.median_response_seconds, p.within_sla_ratio, p.still_waiting),
    )


def test_period_figures_exact() -> None:
    figures = period_figures(full_report(), PARIS)
    assert [_numbers(p) for p in figures] == [
        # 24 h: John pending, Lucie in 1.5 h, the \\Answered one (no latency) | Eve overdue.
        (1, (3, 2, 5400, 1.0, 1), (1, 0, None, 0.0, 1)),
        # 7 days: + Marie overdue, Paul late (30.25 h): 1 in time of 4 decided | Sam in 2 h.
        (7, (6, 3, (5400 + 108900) / 2, 0.25, 3), (1, 1, 7200, 1.0, 0)),
        # 28 days: + Sam (2 h): 2 in time of 5 decided | the 40-day-old one in 5 h.
        (28, (7, 4, 7200, 0.4, 3), (1, 1, 18000, 1.0, 0)),
    ]
    assert [period_label(p.days) for p in figures] == ["last 24 h", "last 7 days", "last 28 days"]
    assert figures[0].current.end == AS_OF
    assert figures[0].previous.end == figures[0].current.start == AS_OF - timedelta(days=1)


def test_period_figures_count_wall_clock_days_across_dst() -> None:
    # Summer time ended in Paris on Sunday 25 Oct 2026: the week before Thursday 29 Oct
    # 10:00 CET starts on Thursday 22 Oct 10:00 CEST, 169 hours earlier.
    as_of = datetime(2026, 10, 29, 9, 0, tzinfo=UTC)
    inside = make_result(MARIE, "x", 168.5, Status.ANSWERED, replied_after_hours=1, as_of=as_of)
    outside = make_result(JOHN, "y", 169.5, Status.ANSWERED, replied_after_hours=1, as_of=as_of)
    report = make_report([inside, outside], as_of=as_of)
    week = period_figures(report, PARIS)[1]
    assert (week.current.received, week.previous.received) == (1, 1)
    assert week.current.start == datetime(2026, 10, 22, 8, 0, tzinfo=UTC)


def test_message_at_the_boundary_belongs_to_the_later_period() -> None:
    report = make_report([make_result(MARIE, "x", 24, Status.OVERDUE)])
    day = period_figures(report, UTC)[0]
    assert (day.current.received, day.previous.received) == (0, 1)
