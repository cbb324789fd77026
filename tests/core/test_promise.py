"""The holding reply's promise: the working time it allows, and its wording in each language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dateutil import tz as dateutil_tz

from inbox_audit.core.promise import promise_time, say_promise
from tests.builders import MONTREAL, PARIS, paris


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2026-11-02 07:30", "2026-11-02 17:00"),  # Monday before opening: 9:00 + 4 h
        ("2026-11-03 10:00", "2026-11-03 17:00"),  # Tuesday 10:00 + 4 h = 14:00
        ("2026-11-03 13:00", "2026-11-03 17:00"),  # exactly 17:00
        ("2026-11-03 13:01", "2026-11-04 12:00"),  # 1 min left over to Wednesday
        ("2026-11-03 14:00", "2026-11-04 12:00"),  # 3 h Tuesday + 1 h Wednesday
        ("2026-11-03 15:30", "2026-11-04 12:00"),  # 1 h 30 Tuesday + 2 h 30 Wednesday
        ("2026-11-03 16:59", "2026-11-04 17:00"),  # 1 min Tuesday + 3 h 59 Wednesday
        ("2026-11-03 17:00", "2026-11-04 17:00"),  # after closing: Wednesday 9:00 + 4 h
        ("2026-11-03 23:00", "2026-11-04 17:00"),
        ("2026-11-05 12:00", "2026-11-05 17:00"),  # Thursday noon
        ("2026-11-06 12:00", "2026-11-06 17:00"),  # Friday noon → Friday 17:00
        ("2026-11-06 13:30", "2026-11-09 12:00"),  # 3 h 30 Friday + 30 min Monday
        ("2026-11-06 16:00", "2026-11-09 12:00"),  # Friday 16:00 → Monday noon
        ("2026-11-06 19:00", "2026-11-09 17:00"),  # Friday evening → Monday 17:00
        ("2026-11-07 10:00", "2026-11-09 17:00"),  # Saturday
        ("2026-11-08 22:00", "2026-11-09 17:00"),  # Sunday night
    ],
)
def test_promise_time_across_a_week(as_of: str, expected: str) -> None:
    promised = promise_time(paris(as_of), PARIS)
    assert promised == paris(expected)
    assert promised.tzinfo is PARIS
    assert promised.weekday() < 5 and (promised.hour, promised.minute) in {(12, 0), (17, 0)}


def test_promise_time_is_in_the_owners_zone() -> None:
    # Friday 20:00 UTC is Friday 15:00 in Montréal: 2 h Friday + 2 h Monday → Monday noon.
    as_of = datetime(2026, 11, 6, 20, 0, tzinfo=UTC)
    assert promise_time(as_of, MONTREAL) == datetime(2026, 11, 9, 12, 0, tzinfo=MONTREAL)
    # The same instant is Friday 21:00 in Paris: after closing → Monday 17:00.
    assert promise_time(as_of, PARIS) == paris("2026-11-09 17:00")


def test_promise_time_across_a_daylight_saving_change() -> None:
    # Paris leaves summer time on Sunday 25 October 2026; the promise stays on wall-clock noon.
    promised = promise_time(paris("2026-10-23 16:00"), PARIS)
    assert promised == paris("2026-10-26 12:00")
    assert promised.utcoffset() == timedelta(hours=1)


def test_promise_time_works_with_dateutil_zones() -> None:
    zone = dateutil_tz.gettz("Europe/Paris")
    assert zone is not None
    promised = promise_time(datetime(2026, 11, 3, 9, 0, tzinfo=UTC), zone)  # 10:00 in Paris
    assert promised == paris("2026-11-03 17:00")


def test_promise_time_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        promise_time(datetime(2026, 11, 3, 10, 0), PARIS)  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize(
    ("as_of", "promised", "english", "french"),
    [
        ("2026-11-03 10:00", "2026-11-03 17:00", "by 5 pm today", "d'ici 17 h aujourd'hui"),
        ("2026-11-03 14:00", "2026-11-04 12:00", "by tomorrow noon", "d'ici demain midi"),
        ("2026-11-03 17:30", "2026-11-04 17:00", "by tomorrow 5 pm", "d'ici demain 17 h"),
        ("2026-11-06 16:00", "2026-11-09 12:00", "by Monday noon", "d'ici lundi midi"),
        ("2026-11-07 10:00", "2026-11-09 17:00", "by Monday 5 pm", "d'ici lundi 17 h"),
        ("2026-11-03 10:00", "2026-11-05 12:30", "by Thursday 12:30 pm", "d'ici jeudi 12 h 30"),
        ("2026-11-03 10:00", "2026-11-13 12:00", "by Friday 13 November noon", None),
    ],
)
def test_say_promise(as_of: str, promised: str, english: str, french: str | None) -> None:
    assert say_promise(paris(promised), paris(as_of), PARIS, "en") == english
    if french:
        assert say_promise(paris(promised), paris(as_of), PARIS, "fr") == french
