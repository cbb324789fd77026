"""Tests for dates: Date values as mailers write them → aware UTC datetimes, or None."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from inbox_audit.core import dates
from inbox_audit.core.dates import parse_date
from inbox_audit.core.words import unstructured
from tests.builders import utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tue, 14 May 2024 09:12:44 +0000", utc(2024, 5, 14, 9, 12, 44)),
        ("Tue, 14 May 2024 11:12:44 +0200", utc(2024, 5, 14, 9, 12, 44)),
        ("Tue, 14 May 2024 09:12:44 -0000", utc(2024, 5, 14, 9, 12, 44)),
        ("Tue, 14 May 2024 09:12:44", utc(2024, 5, 14, 9, 12, 44)),  # naive → UTC
        ("Sat, 23 Sep 2000 21:20:00 -0700 (PDT)", utc(2000, 9, 24, 4, 20)),
        ("Sat, 23 Sep 2000 21:20:00 (PST)", utc(2000, 9, 24, 5, 20)),
        ("Sat 23 Sep 2000 21:20:00 PST", utc(2000, 9, 24, 5, 20)),  # no comma
        ("Fri, 12 Mar 99 16:05:00 EST", utc(1999, 3, 12, 21, 5)),  # two-digit year
        ("Mon, 1 Jan 01 00:00:00 +0000", utc(2001, 1, 1)),
        ("Mon, 10 Jun 2024 10:00:00 CEST", utc(2024, 6, 10, 8, 0)),
        ("Mon, 10 Jun 2024 10:00:00 +0200 (CEST)", utc(2024, 6, 10, 8, 0)),
        ("Di, 11 Jun 2024 10:00:00 MESZ", utc(2024, 6, 11, 8, 0)),
        ("mar. 11 juin 2024 10:00:00 +0200", utc(2024, 6, 11, 8, 0)),
        ("2024-06-11 10:00:00 +02:00", utc(2024, 6, 11, 8, 0)),
        ("11 Jun 2024 10:00 GMT", utc(2024, 6, 11, 10, 0)),
        ("  Tue,\n 14 May 2024\n 09:12:44 +0000 ", utc(2024, 5, 14, 9, 12, 44)),
        ("Tue,  14 May 2024 09:12:44 +0000", utc(2024, 5, 14, 9, 12, 44)),
        ("Tue, 14 May 2024 09:12:44 +0000 (GMT  \t)", utc(2024, 5, 14, 9, 12, 44)),
        ("Tue, 14 May 2024\t09:12:44 +0000", utc(2024, 5, 14, 9, 12, 44)),
    ],
)
def test_parse_date(text: str, expected: datetime) -> None:
    parsed = parse_date(text)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not a date",
        "Thu, 1 Jan 1970 00:00:00 +0000",  # epoch: a clock accident
        "Mon, 1 Jan 2999 00:00:00 +0000",
        "Tue, 31 Feb 2024 09:00:00 +0000",
        "Tue, 1 May 99999 09:00:00 +0000",
        "Monday",  # no year: never "today"
        "Tue, 14 May 2024 99:99:99 +0000",
    ],
)
def test_parse_date_rejects(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(
    "value",
    [
        "Tue, 1 May 2001 09:00:00 +0200",
        "1 May 2001 09:00 -0000",
        "Tue, 1 May 1979 09:00:00 +0200",  # common form, out of range: the next value
        "Tue, 31 Feb 2001 09:00:00 +0200",
        "Tue, 1 May 2001 09:00:00 +0200 (=?utf-8?q?CEST=28x=29?=)",
        "Tue, 1 May 2001 24:00:00 +0099",
    ],
)
def test_first_date_is_the_first_value_parse_date_reads(value: str) -> None:
    later = "Wed, 2 May 2001 10:00:00 +0000"
    expected = parse_date(unstructured(value) if "=?" in value else value)
    assert dates.first_date([value, later]) == (expected or parse_date(later))
