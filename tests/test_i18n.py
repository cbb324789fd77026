"""The owner's language: chosen from the config or the locale; French dates, numbers, words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from inbox_audit import i18n
from inbox_audit.outputs.text import format_duration, local_time, percent
from tests.builders import PARIS
from tests.i18n_fixtures import english_words, speaking

THURSDAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # 09:00 in Paris


@pytest.mark.parametrize(
    ("configured", "environ", "expected"),
    [
        ("fr", {"LANG": "en_US.UTF-8"}, "fr"),
        (None, {"LANG": "fr_FR.UTF-8"}, "fr"),
        (None, {"LC_ALL": "fr_CA.UTF-8", "LANG": "en_GB.UTF-8"}, "fr"),
        (None, {"LC_MESSAGES": "fr_BE", "LANG": "en_US"}, "fr"),
        (None, {"LC_ALL": "C", "LANG": "fr_FR.UTF-8"}, "en"),  # LC_ALL decides, even "C"
        (None, {"LANG": "de_DE.UTF-8"}, "en"),  # a language we do not speak: English
        (None, {}, "en"),
        ("klingon", {"LANG": "fr_FR"}, "fr"),  # an unknown configured one: the locale's
        ("EN", {"LANG": "fr_FR"}, "en"),
    ],
)
def test_choose(configured: str | None, environ: dict[str, str], expected: str) -> None:
    assert i18n.choose(configured, environ) == expected


def test_french_dates_durations_and_percents() -> None:
    with speaking("fr"):
        assert local_time(THURSDAY, PARIS, THURSDAY) == "ven. 20 nov. 09:00"
        assert local_time(THURSDAY, PARIS, datetime(2027, 1, 2, tzinfo=UTC)) == (
            "ven. 20 nov. 2026 09:00"
        )
        assert format_duration(2 * 86400 + 15 * 3600) == "2 j 15 h"
        assert percent(0.5) == "50\u00a0%"
    assert local_time(THURSDAY, PARIS, THURSDAY) == "Fri 20 Nov 09:00"
    assert format_duration(2 * 86400 + 15 * 3600) == "2 d 15 h"
    assert percent(0.5) == "50%"


def test_a_message_and_its_plural() -> None:
    with speaking("fr"):
        assert i18n._("yesterday") == "hier"
        assert i18n.ngettext("{count} day", "{count} days", 1).format(count=1) == "1 jour"
        assert i18n.ngettext("{count} day", "{count} days", 2).format(count=2) == "2 jours"
        assert i18n._("a message nobody wrote") == "a message nobody wrote"  # falls back
    assert i18n._("yesterday") == "yesterday"


def test_the_word_check_sees_english() -> None:
    assert english_words("3 clients attendent depuis 2 j") == set()
    assert english_words("3 customers are waiting") == {"customers", "waiting"}
    assert english_words("Re: the order", ["Re: the order"]) == set()
