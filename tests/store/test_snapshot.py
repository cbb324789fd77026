"""A snapshot re-dated to a later moment gives every short format exactly what a full audit of
the same mail gives at that moment (the nightly run's shortcut, snapshot.py)."""

from __future__ import annotations

import dataclasses
import shutil
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from inbox_audit.core.audit import audit
from inbox_audit.core.figures import listing
from inbox_audit.core.worktime import parse_hours
from inbox_audit.model import Collected, Folder, FolderRole, Status
from inbox_audit.outputs.digest_text import build_plain_summary
from inbox_audit.outputs.text import MAX_LISTED
from inbox_audit.settings import Settings, WorkCalendar
from inbox_audit.store import snapshot, thread_rows
from tests.builders import PARIS, at, make_message
from tests.store.builders import WORK, read, rendered, table

# From the audit's own moment to past MAX_AGE: across the SLA of many waiting messages, past
# midnight and a weekend for the holding replies' promises.
LATER = (
    timedelta(0),
    timedelta(minutes=1),
    timedelta(hours=5),
    timedelta(hours=23, minutes=59),
    timedelta(days=1, hours=1),
    timedelta(days=2, hours=7),
    snapshot.MAX_AGE,
)


def outlined(
    taken: snapshot.Snapshot, settings: Settings, moment: datetime, replies: int | None
) -> dict[str, object]:
    """`rendered` from the outline the CLI asks for: MAX_LISTED threads of each kind, all
    for Markdown (`replies` None)."""
    limit = None if replies is None else MAX_LISTED
    shown = snapshot.outline(taken, settings, moment, replies, limit)
    return rendered(shown.report, settings, replies, shown)


@pytest.mark.parametrize(
    ("seed", "layout", "sla_hours", "lang", "calendar"),
    [
        (1, "plain", 24, None, None),
        (2, "gmail", 24, "en", None),
        (3, "french", 4, None, None),
        (4, "plain", 48, "fr", None),
        (5, "gmail", 4, None, None),
        (6, "french", 24, None, None),
        # Working hours, and an SLA in working time: overdue moves only while the shop is open.
        (7, "plain", 4, None, WORK),
        (8, "french", 8, "fr", WORK),
        (9, "gmail", 24, None, WORK),
    ],
)
def test_redated_snapshot_renders_as_a_full_audit(
    tmp_path: Path,
    seed: int,
    layout: str,
    sla_hours: int,
    lang: str | None,
    calendar: WorkCalendar | None,
) -> None:
    collected, as_of = read(tmp_path, seed, layout, customers=40)
    settings = Settings(
        me=(),
        sla=timedelta(hours=sla_hours),
        lang=lang,
        tz=PARIS,
        calendar=calendar,
        sla_business=calendar is not None and sla_hours < 24,
    )  # owner detected from Sent
    first = audit(collected, settings, as_of)
    taken = snapshot.loads(
        snapshot.dumps(snapshot.take(first, snapshot.horizon(collected.messages, as_of)))
    )
    assert taken is not None
    assert not taken.report.messages  # a trimmed copy: the rest is in plain rows
    statuses = set()
    for later in LATER:
        moment = as_of + later
        assert snapshot.usable(taken, moment) == (taken.horizon is None or moment < taken.horizon)
        if not snapshot.usable(taken, moment):
            continue
        full = audit(collected, settings, moment)
        for replies in (None, 0, MAX_LISTED, 3):
            expected = rendered(full, settings, replies)
            assert outlined(taken, settings, moment, replies) == expected, (later, replies)
        whole = listing(full)
        for limit in (0, 1, 2, 5, 17):
            head = snapshot.outline(taken, settings, moment, None, limit).listing
            assert head.waiting == whole.waiting[:limit]
            assert [t.thread_id for t in head.late] == [t.thread_id for t in whole.late[:limit]]
            assert dataclasses.replace(head, waiting=(), late=()) == dataclasses.replace(
                whole, waiting=(), late=()
            )
        statuses |= {t.status for t in full.threads}
    # The moments chosen do exercise waiting threads (pending ones need the longer SLAs).
    assert Status.OVERDUE in statuses
    assert Status.PENDING in statuses or sla_hours < 24


def test_a_snapshot_is_not_used_before_its_moment_or_too_late() -> None:
    report = audit(Collected("t", (), (), ()), Settings(), at(10))
    taken = snapshot.take(report, horizon=None)
    assert snapshot.usable(taken, at(10))
    assert not snapshot.usable(taken, at(9.9))
    assert snapshot.usable(taken, at(10) + snapshot.MAX_AGE)
    assert not snapshot.usable(taken, at(10.1) + snapshot.MAX_AGE)


def test_a_message_dated_after_the_audit_ends_the_snapshot_before_it_counts() -> None:
    """A message from the future (a wrong clock) was left out; once its time comes, the audit
    counts it, so the snapshot must not answer any more."""
    folders = (Folder("INBOX", FolderRole.INBOX, True),)
    early = make_message(subject="Devis", hours=0)
    future = make_message(from_="paul@example.org", subject="Commande", hours=30)
    collected = Collected("t", folders, (early, future), ())
    report = audit(collected, Settings(), at(10))
    assert report.summary.after_as_of == 1
    taken = snapshot.take(report, snapshot.horizon(collected.messages, at(10)))
    assert taken.horizon == at(30)
    assert snapshot.usable(taken, at(29.9))
    assert not snapshot.usable(taken, at(30))
    # Just before that moment, the re-dated report is the full one.
    settings = Settings()
    assert outlined(taken, settings, at(29.9), None) == rendered(
        audit(collected, settings, at(29.9)), settings, None
    )


def test_the_key_changes_with_what_shapes_the_audit(monkeypatch: pytest.MonkeyPatch) -> None:
    folders = (
        Folder("INBOX", FolderRole.INBOX, True, 10),
        Folder("Sent", FolderRole.SENT, True, 4),
    )
    base = snapshot.key(folders, Settings(tz=PARIS))
    # The zone and language are applied when re-dating: the same snapshot serves them.
    assert snapshot.key(folders, Settings(tz=ZoneInfo("UTC"), lang="en")) == base
    assert snapshot.key(folders, Settings(sla=timedelta(hours=4))) != base
    assert snapshot.key(folders, Settings(me=("a@b.c",))) != base
    assert snapshot.key(folders[:1], Settings()) != base
    assert snapshot.key((folders[0], Folder("Sent", FolderRole.SENT, True, 5)), Settings()) != base
    hours = Settings(tz=PARIS, calendar=WORK)
    assert snapshot.key(folders, hours) != base
    for other in (
        WorkCalendar(parse_hours("mon-fri 09:00-17:00"), PARIS, "FR"),
        WorkCalendar(WORK.week, PARIS),
        WorkCalendar(WORK.week, PARIS, "FR", ((date(2026, 8, 3), date(2026, 8, 21)),)),
        WorkCalendar(WORK.week, ZoneInfo("America/Toronto"), "FR"),
    ):
        assert snapshot.key(folders, Settings(tz=PARIS, calendar=other)) != snapshot.key(
            folders, hours
        )
    business = dataclasses.replace(hours, sla_business=True)
    assert snapshot.key(folders, business) != snapshot.key(folders, hours)
    monkeypatch.setattr(snapshot, "audit_code", lambda: "other code")
    assert snapshot.key(folders, Settings()) != base


PACKAGE = Path(snapshot.__file__).parents[1]


@pytest.mark.parametrize(
    ("changed", "kept"),
    [
        ("outputs/render.py", True),
        ("outputs/digest.py", True),
        ("app/cli.py", True),
        ("sources/imap.py", True),
        ("store/cache.py", True),  # what it stores is versioned apart (cache.CACHE_FORMAT)
        ("core/metrics.py", False),
        ("core/threads.py", False),
        ("model.py", False),
        ("settings.py", False),
        ("store/snapshot.py", False),
        ("store/ledger.py", False),
        ("store/incremental.py", False),
    ],
)
def test_the_audit_code_is_the_core_s_and_the_kept_rows(
    tmp_path: Path, changed: str, kept: bool
) -> None:
    """A change to the outputs, the sources or the app keeps the snapshot and the ledger; one
    to the rules of the audit, or to the rows they keep, drops them."""
    copy = tmp_path / "inbox_audit"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert snapshot.code_digest(copy, snapshot.AUDIT_CODE) == snapshot.audit_code()
    with (copy / changed).open("a", encoding="utf-8") as file:
        file.write("\n# changed\n")
    same = snapshot.code_digest(copy, snapshot.AUDIT_CODE) == snapshot.audit_code()
    assert same == kept


def test_damaged_bytes_are_no_snapshot() -> None:
    report = audit(Collected("t", (), (), ()), Settings(), at(10))
    data = snapshot.dumps(snapshot.take(report, horizon=None))
    assert snapshot.loads(data) is not None
    assert snapshot.loads(data[: len(data) // 2]) is None
    assert snapshot.loads(b"not a pickle") is None
    assert snapshot.loads(snapshot.dumps(report)) is None  # type: ignore[arg-type]


def test_long_lists_stop_at_the_most_urgent_threads() -> None:
    """The table and the summary list the MAX_LISTED longest waits, then count the rest: a
    mailbox with thousands of unanswered customers still prints in a blink."""
    folders = (Folder("INBOX", FolderRole.INBOX, True),)
    messages = tuple(
        make_message(from_=f"client{n}@example.org", subject=f"Question {n}", hours=n / 10)
        for n in range(MAX_LISTED + 7)
    )
    report = audit(Collected("t", folders, messages, ()), Settings(tz=PARIS), at(100))
    assert report.summary.overdue == MAX_LISTED + 7
    text = table(report, Settings(tz=PARIS), show_replies=True)
    assert "client0@example.org" in text  # the longest wait is listed
    assert f"client{MAX_LISTED + 6}@example.org" not in text  # the shortest is counted
    assert "… and 7 more" in text
    assert text.count("Holding reply to") == MAX_LISTED
    summary = build_plain_summary(report, PARIS)
    assert "client0@example.org" in summary
    assert f"client{MAX_LISTED + 6}@example.org" not in summary
    assert "… and 7 more" in summary


def crowded() -> tuple[Collected, datetime]:
    """More waiting and answered-late threads than are listed, with ties: three customers
    wrote within each second, and every late answer took exactly 30 h."""
    me = "shop@example.com"
    messages = []
    for n in range(90):
        who = f"Client {n} <client{n}@example.org>"
        group, place = divmod(n, 3)
        # 150 h to 199 h: past the SLA or not at the moments re-dated to, some crossing it.
        hours = 150 + group * 1.7 + place * 0.3 / 3600
        if n < 60:
            first = make_message(from_=who, subject=f"Commande {n}", hours=10 + n * 0.01)
            reply = make_message(
                from_=me,
                to=(who,),
                subject=f"Re: Commande {n}",
                hours=40 + n * 0.01,
                in_reply_to=(first.message_id or "",),
                folder="Sent",
            )
            messages += [first, reply]
            if n < 30:  # writes again in the same thread: waiting and answered late
                messages.append(
                    make_message(
                        from_=who,
                        subject=f"Re: Commande {n}",
                        hours=hours,
                        in_reply_to=(reply.message_id or "",),
                    )
                )
                continue
        messages.append(make_message(from_=who, subject=f"Question {n}", hours=hours))
    folders = (Folder("INBOX", FolderRole.INBOX, True), Folder("Sent", FolderRole.SENT, True))
    return Collected("t", folders, tuple(messages), ()), at(200)


def test_an_outline_lists_the_most_urgent_threads_as_a_full_audit_does() -> None:
    collected, as_of = crowded()
    settings = Settings(me=("shop@example.com",), tz=PARIS)
    first = audit(collected, settings, as_of)
    assert sum(t.answered_late for t in first.threads) == 60
    assert sum(t.status is not Status.ANSWERED for t in first.threads) == 90
    taken = snapshot.take(first, snapshot.horizon(collected.messages, as_of))
    # Fractions of a second: waits that differ by less than one are counted the same.
    for later in (
        timedelta(0),
        timedelta(seconds=0.4),
        timedelta(hours=5, seconds=0.9),
        timedelta(hours=23, minutes=59, seconds=59.5),
        timedelta(days=2, hours=7, seconds=0.1),
    ):
        moment = as_of + later
        full = audit(collected, settings, moment)
        for replies in (None, 0, MAX_LISTED):
            expected = rendered(full, settings, replies)
            assert outlined(taken, settings, moment, replies) == expected, (later, replies)


def test_re_dating_counts_waits_in_absolute_time_across_a_clock_change() -> None:
    """On the night summer time starts, 24 h before 12:00 on the wall clock is 25 h ago: a
    message that has waited 23.5 h is not overdue yet, whatever the zone of `as_of`."""
    folders = (Folder("INBOX", FolderRole.INBOX, True),)
    arrived = datetime(2026, 3, 28, 10, 30, tzinfo=UTC)
    message = dataclasses.replace(
        make_message(subject="Devis"), internal_date=arrived, date=arrived
    )
    collected = Collected("t", folders, (message,), ())
    settings = Settings(tz=PARIS)
    moment = datetime(2026, 3, 29, 12, 0, tzinfo=PARIS)  # 23.5 h after it arrived
    taken = snapshot.take(audit(collected, settings, moment - timedelta(hours=1)), None)
    full = audit(collected, settings, moment)
    assert (full.summary.pending, full.summary.overdue) == (1, 0)
    assert outlined(taken, settings, moment, None) == rendered(full, settings, None)
    assert outlined(taken, settings, moment, 0) == rendered(full, settings, 0)


def test_a_moment_in_the_repeated_hour_before_the_snapshot_is_not_usable(tmp_path: Path) -> None:
    """When summer time ends, 02:00–03:00 happens twice: the first 02:40 comes 50 minutes
    before the second 02:30, though its wall clock reads later."""
    collected, _ = read(tmp_path, 7, "plain", customers=5)
    second = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=PARIS)
    first = datetime(2026, 10, 25, 2, 40, fold=0, tzinfo=PARIS)
    taken = snapshot.take(audit(collected, Settings(me=(), tz=PARIS), second), None)
    assert not snapshot.usable(taken, first)
    assert snapshot.usable(taken, second.astimezone(UTC) + timedelta(minutes=5))


def test_language_signs_are_kept_as_the_same_bytes_and_given_back() -> None:
    from inbox_audit.core.language import NO_SIGNS, LanguageSigns

    def words() -> str:  # a new string each time, as the parser makes them
        return " ".join(["Bonjour,", "je", "voudrais", "un", "devis"])

    signs = LanguageSigns(("fr",), ("Devis",), (words(),))
    # Equal signs, one of them of interned strings: the same bytes (the ledger's totals and a
    # full audit's snapshot are compared row for row).
    shared = LanguageSigns(("fr",), ("Devis",), (sys.intern(words()),))
    assert thread_rows.signs_bytes(signs) == thread_rows.signs_bytes(shared)
    assert thread_rows.signs_of(thread_rows.signs_bytes(signs)) == signs
    assert thread_rows.signs_bytes(NO_SIGNS) == b""
    assert thread_rows.signs_of(b"") == NO_SIGNS
    assert thread_rows.signs_bytes(LanguageSigns(texts=("x",))) != thread_rows.signs_bytes(NO_SIGNS)
