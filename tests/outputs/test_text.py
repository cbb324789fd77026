"""The shared wording: waits, local times, names, the headline figures."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from inbox_audit.core.figures import listing
from inbox_audit.model import Address
from inbox_audit.outputs.digest_text import audited_lines
from inbox_audit.outputs.markdown import md_escape
from inbox_audit.outputs.text import (
    duration_or_dash,
    format_duration,
    identities_line,
    local_time,
    subject_text,
    summary_line,
    waiting_headline,
    who,
    zoned_time,
)
from tests.builders import PARIS
from tests.outputs.reports import AS_OF, empty_report, make_report


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0 s"),
        (45.9, "45 s"),
        (60, "1 min"),
        (3599, "59 min"),
        (3600, "1 h"),
        (5 * 3600 + 12 * 60 + 59, "5 h 12 min"),
        (86400, "1 d"),
        (3 * 86400 + 4 * 3600 + 59 * 60, "3 d 4 h"),
        (45 * 86400 + 3600, "45 d 1 h"),
        (-90, "-1 min"),
    ],
)
def test_format_duration(seconds: float, expected: str) -> None:
    assert format_duration(seconds) == expected


def test_duration_or_dash() -> None:
    assert duration_or_dash(None) == "—"
    assert duration_or_dash(0) == "0 s"
    assert duration_or_dash(90061) == "1 d 1 h"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 2, 6, 0, tzinfo=UTC), "Mon 2 Nov 07:00"),  # CET, UTC+1
        (datetime(2026, 7, 5, 6, 5, tzinfo=UTC), "Sun 5 Jul 08:05"),  # CEST, UTC+2
        (datetime(2025, 12, 31, 23, 30, tzinfo=UTC), "Thu 1 Jan 00:30"),  # as_of's year there
        (datetime(2025, 12, 31, 22, 30, tzinfo=UTC), "Wed 31 Dec 2025 23:30"),
        (datetime(2026, 11, 2, 6, 0), "Mon 2 Nov 07:00"),  # naive: read as UTC  # noqa: DTZ001
        (None, "—"),
    ],
)
def test_local_time(moment: datetime | None, expected: str) -> None:
    assert local_time(moment, PARIS, AS_OF) == expected


def test_zoned_time_names_the_zone_of_that_moment() -> None:
    assert zoned_time(AS_OF, PARIS) == "Thu 5 Nov 10:00 CET"
    assert zoned_time(datetime(2026, 7, 1, 8, tzinfo=UTC), PARIS) == "Wed 1 Jul 10:00 CEST"
    assert zoned_time(AS_OF, timezone(timedelta(hours=-3))) == "Thu 5 Nov 06:00 UTC-03:00"


def test_who_and_subject_are_one_line_of_text() -> None:
    assert who(Address("marie@example.fr", "Marie\r\nDupont")) == "Marie Dupont <marie@example.fr>"
    assert who(Address("marie@example.fr", " \t")) == "marie@example.fr"
    assert subject_text("Re:\tDevis\ncuisine") == "Re: Devis cuisine"
    assert subject_text("\x00 \n") == "(no subject)"


def test_identities_line() -> None:
    report = make_report()
    assert identities_line(report) == (
        "Your addresses: contact@shop.example, shop@example.com (found in Sent)."
    )
    assert identities_line(report, md_escape) == (
        "Your addresses: contact@shop.example, shop@example.com (found in Sent)."
    )
    odd = dataclasses.replace(report, identities=("a_b@x.example",), identities_detected=())
    assert identities_line(odd, md_escape) == "Your addresses: a\\_b@x.example."
    assert identities_line(empty_report()) == "Your addresses: none known."


def test_summary_line() -> None:
    assert summary_line(make_report()) == (
        "6 customer messages, 3 answered (1 late), 1 pending, 2 overdue. Response time: median"
        " 15 h 52 min, 90% within 1 d 4 h. 50% answered within 1 d. 1 flagged as answered with"
        " no copy of the reply found (response time unknown). 1 unreadable."
    )
    assert summary_line(empty_report()) == (
        "0 customer messages, 0 answered, 0 pending, 0 overdue."
    )
    # Colleagues' mail is counted apart, here and in the email's "what was audited".
    report = make_report()
    with_colleagues = dataclasses.replace(
        report, summary=dataclasses.replace(report.summary, not_customer=3, internal=2)
    )
    assert summary_line(with_colleagues).endswith(
        " 2 messages from colleagues set apart. 1 unreadable."
    )
    audited = audited_lines(with_colleagues, ())
    received = next(i for i, line in enumerate(audited) if line.startswith("Messages received"))
    assert audited[received + 1] == (
        "Of those needing no answer, 2 from colleagues (your own domains)"
    )
    assert not any("colleague" in line for line in audited_lines(report, ()))


def test_waiting_headline() -> None:
    report = make_report()
    assert waiting_headline(report, listing(report)) == (
        "3 conversations waiting for an answer, 2 overdue (no answer within 1 d)."
    )
    one = dataclasses.replace(report, threads=report.threads[:1])  # John, pending
    assert waiting_headline(one, listing(one)) == (
        "1 conversation waiting for an answer, 0 overdue (no answer within 1 d)."
    )
    empty = empty_report()
    assert waiting_headline(empty, listing(empty)) == "Nobody is waiting for an answer."


def test_bucket_labels_are_the_core_buckets_in_each_language() -> None:
    from inbox_audit.core.figures import BUCKETS
    from inbox_audit.outputs.text import bucket_labels
    from tests.i18n_fixtures import speaking

    with speaking("en"):
        assert bucket_labels() == tuple(label for label, _ in BUCKETS)
    with speaking("fr"):
        french = bucket_labels()
    assert len(french) == len(BUCKETS) and french[3] == "1–3\u00a0j"


def test_a_folder_not_read_is_said_in_the_owners_language() -> None:
    """The incomplete-report line and the email's problems word each unread folder when shown
    (the report keeps English for JSON); a reason marked in the sources is translated too."""
    from inbox_audit.core.folders import problem
    from inbox_audit.model import Folder, FolderRole
    from inbox_audit.outputs.text import incomplete_line
    from tests.i18n_fixtures import speaking

    unread = Folder(
        "Devis[2026", FolderRole.OTHER, False,
        unread="the server's LIST response for it could not be parsed",
    )  # fmt: skip
    report = empty_report()
    report = dataclasses.replace(
        report, folders=(*report.folders, unread), problems=(problem(unread),)
    )
    with speaking("en"):
        english = incomplete_line(report)
    with speaking("fr"):
        french = incomplete_line(report)
        email = "\n".join(audited_lines(report, ()))
    assert english is not None and "could not be read" in english and "Devis[2026" in english
    assert french is not None and "Devis[2026" in french
    assert "n'a pas pu être lu" in french and "illisible" in french
    assert "could not" not in french and "could not" not in email
    assert "n'a pas pu être lu" in email
