"""A snapshot re-dated to a later moment gives every short format exactly what a full audit of
the same mail gives at that moment (the nightly run's shortcut, snapshot.py)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from inbox_audit import snapshot
from inbox_audit.audit import Collected, audit, collect
from inbox_audit.cache import code_digest
from inbox_audit.digest import build_email, build_plain_summary, period_figures
from inbox_audit.local_source import LocalSource
from inbox_audit.model import AuditReport, Folder, FolderRole, Status
from inbox_audit.render import MAX_LISTED, render_markdown, render_table
from inbox_audit.settings import Settings
from tests.builders import at, make_message
from tests.mailgen import generate, write_maildir

PARIS = ZoneInfo("Europe/Paris")
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


def rendered(report: AuditReport, settings: Settings, replies: int | None) -> dict[str, object]:
    """The outputs a snapshot re-dated with `replies` holding replies serves, as text (the
    email's parts without Date/ID)."""
    outputs: dict[str, object] = {
        "summary": build_plain_summary(report, PARIS),
        "table": table(report, settings, show_replies=False),
        "figures": period_figures(report, PARIS),
        "summary figures": report.summary,
        "exit": report.summary.overdue > 0,
    }
    if replies is None or replies >= MAX_LISTED:
        mail = build_email(report, to="owner@example.com", sender="audit@example.com", tz=PARIS)
        outputs["email subject"] = mail["Subject"]
        outputs["email parts"] = [
            part.get_content() for part in mail.walk() if not part.is_multipart()
        ]
        outputs["table with replies"] = table(report, settings, show_replies=True)
    if replies is None:
        outputs["markdown"] = render_markdown(report, tz=PARIS)
        # All of a full report's threads are in JSON only; the other outputs show these.
        outputs["threads"] = [
            t
            for t in report.threads
            if t.status in (Status.PENDING, Status.OVERDUE) or t.answered_late
        ]
    return outputs


def table(report: AuditReport, settings: Settings, show_replies: bool) -> str:
    console = Console(file=io.StringIO(), width=120, highlight=False, color_system=None)
    console.print(render_table(report, show_replies=show_replies, tz=settings.tz))
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


def read(tmp_path: Path, seed: int, layout: str, customers: int) -> tuple[Collected, datetime]:
    box = generate(seed, layout, customers=customers)
    root = tmp_path / f"{seed}-{layout}"
    write_maildir(box, root)
    with LocalSource.open(root) as source:
        return collect(source, "test", Settings(me=box.owner)), box.as_of


@pytest.mark.parametrize(
    ("seed", "layout", "sla_hours", "lang"),
    [
        (1, "plain", 24, None),
        (2, "gmail", 24, "en"),
        (3, "french", 4, None),
        (4, "plain", 48, "fr"),
        (5, "gmail", 4, None),
        (6, "french", 24, None),
    ],
)
def test_redated_snapshot_renders_as_a_full_audit(
    tmp_path: Path, seed: int, layout: str, sla_hours: int, lang: str | None
) -> None:
    collected, as_of = read(tmp_path, seed, layout, customers=40)
    settings = Settings(
        me=(), sla=timedelta(hours=sla_hours), lang=lang, tz=PARIS
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
            redated = snapshot.redate(taken, settings, moment, replies)
            expected = rendered(full, settings, replies)
            assert rendered(redated, settings, replies) == expected, (later, replies)
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
    assert rendered(snapshot.redate(taken, settings, at(29.9)), settings, None) == rendered(
        audit(collected, settings, at(29.9)), settings, None
    )


def test_the_key_changes_with_what_shapes_the_audit() -> None:
    code = code_digest()
    folders = (
        Folder("INBOX", FolderRole.INBOX, True, 10),
        Folder("Sent", FolderRole.SENT, True, 4),
    )
    base = snapshot.key(folders, Settings(tz=PARIS), code)
    # The zone and language are applied when re-dating: the same snapshot serves them.
    assert snapshot.key(folders, Settings(tz=ZoneInfo("UTC"), lang="en"), code) == base
    assert snapshot.key(folders, Settings(sla=timedelta(hours=4)), code) != base
    assert snapshot.key(folders, Settings(me=("a@b.c",)), code) != base
    assert snapshot.key(folders[:1], Settings(), code) != base
    assert (
        snapshot.key((folders[0], Folder("Sent", FolderRole.SENT, True, 5)), Settings(), code)
        != base
    )
    assert snapshot.key(folders, Settings(), "other code") != base


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
