"""Attacks on the incremental audit: small mailboxes, one change each, where a message's
verdict (or a figure) is coupled to other messages outside the obvious links. Each checks that
`incremental.update` either declines (None) or gives what a full audit of the same mail
gives, field for field (tests/store/builders.py's `assert_same_snapshot`)."""

from __future__ import annotations

import contextlib
import dataclasses
import random
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from inbox_audit.core.audit import audit_examined
from inbox_audit.core.figures import listing
from inbox_audit.model import Collected, Folder, FolderRole, Message, Status, Unreadable
from inbox_audit.settings import Settings
from inbox_audit.store import incremental, snapshot
from inbox_audit.store.cache import MailCache
from inbox_audit.store.cache_errors import CacheUnusable
from inbox_audit.store.ledger_feed import KeptChange
from inbox_audit.store.sync import Synced
from inbox_audit.store.thread_rows import thread_of
from tests.builders import PARIS, make_message
from tests.store.builders import Mirror, assert_same_snapshot

ME = "shop@example.com"
SHOP = f"Shop <{ME}>"
FOLDERS = (
    Folder("INBOX", FolderRole.INBOX, True),
    Folder("Archive", FolderRole.ARCHIVE, True),
    Folder("Sent", FolderRole.SENT, True),
    Folder("All", FolderRole.ALL, True),
)
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SETTINGS = Settings(me=(ME,), sla=timedelta(hours=24), tz=PARIS)


def msg(when: datetime | None, **kwargs: object) -> Message:
    """make_message at an absolute time (INTERNALDATE and Date), in UTC as parsed."""
    m = make_message(**kwargs)  # type: ignore[arg-type]
    when = None if when is None else when.astimezone(UTC)
    return dataclasses.replace(m, date=when, internal_date=when)


def reply_to(question: Message, when: datetime, **kwargs: object) -> Message:
    """The owner's answer (in Sent) to `question`, citing it."""
    assert question.from_ is not None
    fields: dict[str, object] = {
        "from_": SHOP,
        "to": (question.from_.email,),
        "subject": "Re: " + question.subject,
        "folder": "Sent",
        "in_reply_to": (question.message_id or "",),
        "references": (question.message_id or "",),
        "flags": frozenset({"\\Seen"}),
    }
    fields.update(kwargs)
    return msg(when, **fields)


def filler(count: int, end: datetime = NOW) -> list[Message]:
    """Unrelated answered conversations, so that one change is a small part of the mail."""
    out = []
    for n in range(count):
        q = msg(
            end - timedelta(days=2, hours=n),
            from_=f"Client {n} <client{n}@example.org>",
            subject=f"Commande {n}",
            message_id=f"fill-q{n}@example.org",
        )
        out += [q, reply_to(q, end - timedelta(days=1, hours=n + 5), message_id=f"fill-r{n}@x")]
    return out


def start(
    tmp_path: Path,
    messages: Iterable[Message],
    settings: Settings = SETTINGS,
    as_of: datetime = NOW,
) -> Mirror:
    """A mirror of `messages` with the ledger of a full audit as of `as_of`."""
    mirror = Mirror(tmp_path, Collected("test", FOLDERS, tuple(messages), ()))
    report, found = audit_examined(mirror.collected(), settings, as_of)
    incremental.rebuild(mirror.cache, mirror.collected(), report, found, settings)
    return mirror


def check(
    mirror: Mirror,
    moment: datetime,
    settings: Settings = SETTINGS,
    *,
    served: bool | None = True,
) -> snapshot.Snapshot | None:
    """Update; compare with a full audit; rebuild after a decline. `served`: whether the
    update must serve (True), must decline (False), or may do either (None)."""
    got = incremental.update(mirror.cache, mirror.synced(), settings, moment)
    full, found = audit_examined(mirror.collected(), settings, moment)
    if served is not None:
        assert (got is not None) == served
    if got is None:
        incremental.rebuild(mirror.cache, mirror.collected(), full, found, settings)
        return None
    want = snapshot.take(full, snapshot.horizon(mirror.collected().messages, moment))
    assert_same_snapshot(got, want, settings)
    assert mirror.cache.dirty() == []
    return got


def _get(mirror: Mirror, message_id: str) -> Message:
    return next(m for m in mirror.mail.values() if m.message_id == message_id)


# --- the horizon ------------------------------------------------------------------------------


def test_a_future_dated_message_deleted_leaves_no_horizon(tmp_path: Path) -> None:
    """A message dated after the moment sets the horizon; once it is deleted, a full audit
    has no horizon (or a later one): the update must say the same."""
    future = msg(NOW + timedelta(days=1), message_id="future@x", subject="Plus tard")
    mirror = start(tmp_path, [*filler(10), future])
    check(mirror, NOW + timedelta(hours=1))
    mirror.remove(_get(mirror, "future@x"))
    got = check(mirror, NOW + timedelta(hours=2))
    assert got is not None and got.horizon is None


def test_two_future_messages_one_deleted_moves_the_horizon_later(tmp_path: Path) -> None:
    soon = msg(NOW + timedelta(hours=5), message_id="soon@x", subject="Bientôt")
    later = msg(NOW + timedelta(days=1), message_id="later@x", subject="Plus tard")
    mirror = start(tmp_path, [*filler(10), soon, later])
    mirror.remove(_get(mirror, "soon@x"))
    got = check(mirror, NOW + timedelta(hours=1))
    assert got is not None and got.horizon == NOW + timedelta(days=1)
    # ... and the moment may now pass where the deleted one was.
    check(mirror, NOW + timedelta(hours=6))


def test_a_reply_dated_after_the_moment_then_the_moment_passes_it(tmp_path: Path) -> None:
    q = msg(NOW - timedelta(hours=3), message_id="q@x", subject="Devis")
    mirror = start(tmp_path, [*filler(10), q])
    mirror.add(reply_to(q, NOW + timedelta(hours=2), message_id="r@x"))
    check(mirror, NOW + timedelta(hours=1))  # the reply is not there yet: still waiting
    check(mirror, NOW + timedelta(hours=3), served=False)  # past it: a full audit


# --- the moment and the SLA -------------------------------------------------------------------


def test_the_moment_moves_across_the_sla_in_the_owners_zone_over_a_dst_change(
    tmp_path: Path,
) -> None:
    """The CLI's moment is in the owner's zone (datetime.now(zone)). Paris leaves summer time
    on 2026-10-25 at 03:00: 24 hours before 12:00 CET is 11:00 CEST the day before, not
    12:00. A customer who wrote at 12:30 CEST has waited 24.5 hours: overdue."""
    as_of = datetime(2026, 10, 25, 12, 0, tzinfo=PARIS)
    waiting = msg(
        datetime(2026, 10, 24, 12, 30, tzinfo=PARIS).astimezone(UTC),
        message_id="wait@x",
        subject="Toujours là ?",
    )
    mirror = start(tmp_path, [*filler(10, as_of), waiting], as_of=as_of - timedelta(hours=2))
    mirror.add(msg(as_of - timedelta(hours=1), message_id="other@x", subject="Autre chose"))
    check(mirror, as_of)


def test_the_moment_moves_across_the_sla_without_a_change(tmp_path: Path) -> None:
    q = msg(NOW - timedelta(hours=20), message_id="q@x", subject="Devis")
    mirror = start(tmp_path, [*filler(10), q])
    check(mirror, NOW + timedelta(hours=5))
    check(mirror, NOW + timedelta(days=5))  # past MAX_AGE of a snapshot too


def test_message_rows_age_out_of_the_kept_days(tmp_path: Path) -> None:
    old = msg(NOW - timedelta(days=59, hours=12), message_id="old@x", subject="Ancien")
    mirror = start(tmp_path, [*filler(10), old])
    mirror.add(msg(NOW + timedelta(days=1), message_id="new@x", subject="Nouveau"))
    check(mirror, NOW + timedelta(days=1, hours=1))


# --- identities and the owner's name ----------------------------------------------------------


def test_detected_identities_move_when_sent_mail_changes(tmp_path: Path) -> None:
    """Without --me: the owner is detected from Sent. A customer's message filed in Sent
    counts when it is a fifth of Sent: deleting the owner's replies makes it one."""
    settings = Settings(me=(), sla=timedelta(hours=24), tz=PARIS)
    stray = msg(
        NOW - timedelta(days=3), from_="Paul <paul@example.org>", to=("x@example.org",),
        folder="Sent", message_id="stray@x", subject="Stray",
    )  # fmt: skip
    mirror = start(tmp_path, [*filler(6), stray], settings)
    for n in range(5):
        mirror.remove(_get(mirror, f"fill-r{n}@x"))
    check(mirror, NOW + timedelta(hours=1), settings, served=None)


def test_owner_name_changes_with_mail_elsewhere(tmp_path: Path) -> None:
    """The replies' signature is the name most often on the owner's mail: a few replies
    signed otherwise, added in an unrelated conversation, change it for every thread."""
    q = msg(NOW - timedelta(hours=3), message_id="q@x", subject="Devis")
    mirror = start(tmp_path, [*filler(12), q])
    other = msg(NOW - timedelta(days=4), from_="Zoé <zoe@example.org>", subject="Atelier",
                message_id="z@x")  # fmt: skip
    mirror.add(other)
    for n in range(13):
        mirror.add(reply_to(other, NOW - timedelta(days=3, hours=-n), from_=f"Anne <{ME}>",
                            message_id=f"anne{n}@x"))  # fmt: skip
    got = check(mirror, NOW + timedelta(hours=1), served=None)
    if got is not None:
        assert got.report.owner == "Anne"


# --- duplicates, drafts, flags ------------------------------------------------------------------


def test_a_copy_in_all_mail_carries_the_answered_flag(tmp_path: Path) -> None:
    q = msg(NOW - timedelta(hours=30), message_id="q@x", subject="Devis")
    mirror = start(tmp_path, [*filler(10), q])
    mirror.add(dataclasses.replace(q, flags=frozenset({"\\Answered"})), "All")
    check(mirror, NOW + timedelta(hours=1))
    mirror.remove(_get(mirror, "q@x"))  # the INBOX copy goes: All Mail's stays, flagged
    check(mirror, NOW + timedelta(hours=2))


def test_a_reply_copied_in_inbox_and_sent_then_one_copy_deleted(tmp_path: Path) -> None:
    q = msg(NOW - timedelta(hours=30), message_id="q@x", subject="Devis")
    r = reply_to(q, NOW - timedelta(hours=2), message_id="r@x")
    mirror = start(tmp_path, [*filler(10), q, r])
    mirror.copy(_get(mirror, "r@x"), "INBOX")  # Bcc to self: a copy in INBOX too
    check(mirror, NOW + timedelta(hours=1))
    sent_copy = next(
        m for m in mirror.mail.values() if m.message_id == "r@x" and m.folder == "Sent"
    )
    mirror.remove(sent_copy)
    check(mirror, NOW + timedelta(hours=2))


def test_a_reply_without_message_id_copied_across_folders(tmp_path: Path) -> None:
    q = msg(NOW - timedelta(hours=30), message_id="q@x", subject="Devis")
    r = dataclasses.replace(reply_to(q, NOW - timedelta(hours=2)), message_id=None)
    mirror = start(tmp_path, [*filler(10), q, r])
    mirror.copy(next(m for m in mirror.mail.values() if m.message_id is None), "All")
    check(mirror, NOW + timedelta(hours=1))
    sent = next(m for m in mirror.mail.values() if m.message_id is None and m.folder == "Sent")
    mirror.flag(sent, "\\Draft")
    check(mirror, NOW + timedelta(hours=2))


def test_the_reply_becomes_a_draft_then_the_customer_waits(tmp_path: Path) -> None:
    q = msg(NOW - timedelta(hours=30), message_id="q@x", subject="Devis")
    mirror = start(
        tmp_path, [*filler(10), q, reply_to(q, NOW - timedelta(hours=2), message_id="r@x")]
    )
    mirror.flag(_get(mirror, "r@x"), "\\Draft")
    got = check(mirror, NOW + timedelta(hours=1))
    assert got is not None and got.report.summary.overdue == 1


def test_an_undated_message_among_others(tmp_path: Path) -> None:
    q = msg(NOW - timedelta(hours=3), message_id="q@x", subject="Devis")
    mirror = start(tmp_path, [*filler(10), q])
    undated = dataclasses.replace(q, message_id="u@x", date=None, internal_date=None)
    mirror.add(undated)
    got = check(mirror, NOW + timedelta(hours=1))
    assert got is not None and got.report.summary.unreadable == 1
    mirror.remove(_get(mirror, "u@x"))
    check(mirror, NOW + timedelta(hours=2))


# --- threading ---------------------------------------------------------------------------------


def test_an_earlier_message_joins_a_thread_and_renames_it(tmp_path: Path) -> None:
    """A thread is named after its first message: an older message citing the same parent
    renames it; the old thread row must go."""
    q = msg(NOW - timedelta(hours=30), message_id="q@x", subject="Devis",
            references=("parent@x",))  # fmt: skip
    mirror = start(tmp_path, [*filler(10), q])
    earlier = msg(NOW - timedelta(hours=40), message_id="e@x", subject="Devis",
                  references=("parent@x",))  # fmt: skip
    mirror.add(earlier)
    check(mirror, NOW + timedelta(hours=1))
    mirror.remove(_get(mirror, "e@x"))
    check(mirror, NOW + timedelta(hours=2))


def test_a_message_in_the_middle_of_subject_threading(tmp_path: Path) -> None:
    """A reply without headers pairs with the latest earlier message of the subject: a
    message that arrives late but dated in between takes the link."""
    a = msg(NOW - timedelta(days=3), message_id="a@x", subject="Devis cuisine")
    answer = msg(NOW - timedelta(days=1), from_=SHOP, to=("marie@example.fr",),
                 subject="Re: Devis cuisine", folder="Sent", message_id="ans@x")  # fmt: skip
    mirror = start(tmp_path, [*filler(10), a, answer])
    middle = msg(NOW - timedelta(days=2), message_id="mid@x", subject="RE: Devis cuisine")
    mirror.add(middle)
    check(mirror, NOW + timedelta(hours=1))
    reminder = msg(NOW - timedelta(hours=5), message_id="rem@x", subject="Devis cuisine")
    mirror.add(reminder)
    check(mirror, NOW + timedelta(hours=2))
    mirror.remove(_get(mirror, "a@x"))
    check(mirror, NOW + timedelta(hours=3))


def test_message_id_reused_by_a_different_message(tmp_path: Path) -> None:
    q = msg(NOW - timedelta(hours=30), message_id="same@x", subject="Devis")
    mirror = start(
        tmp_path, [*filler(10), q, reply_to(q, NOW - timedelta(hours=20), message_id="r@x")]
    )
    other = msg(NOW - timedelta(hours=3), from_="Paul <paul@example.org>", message_id="same@x",
                subject="Autre")  # fmt: skip
    mirror.add(other)
    check(mirror, NOW + timedelta(hours=1))
    mirror.remove(_get(mirror, "r@x"))
    check(mirror, NOW + timedelta(hours=2))


def test_conversation_id_ties_a_thread(tmp_path: Path) -> None:
    q = msg(NOW - timedelta(hours=30), message_id="q@x", subject="Devis", conversation_id="c1")
    r = dataclasses.replace(
        reply_to(q, NOW - timedelta(hours=2), message_id="r@x", subject="Votre devis"),
        in_reply_to=(), references=(), conversation_id="c1",
    )  # fmt: skip
    mirror = start(tmp_path, [*filler(10), q])
    mirror.add(r)
    check(mirror, NOW + timedelta(hours=1))
    mirror.remove(_get(mirror, "r@x"))
    check(mirror, NOW + timedelta(hours=2))


def test_contact_form_relayed_to_me(tmp_path: Path) -> None:
    """A contact form sends from the owner to the owner, the customer in Reply-To."""
    form = msg(NOW - timedelta(hours=30), from_=SHOP, to=(ME,), reply_to=("jean@client.org",),
               subject="Formulaire de contact", message_id="form@x")  # fmt: skip
    mirror = start(tmp_path, [*filler(10), form])
    answer = msg(NOW - timedelta(hours=2), from_=SHOP, to=("jean@client.org",),
                 subject="Re: Formulaire de contact", folder="Sent", message_id="fa@x")  # fmt: skip
    mirror.add(answer)
    check(mirror, NOW + timedelta(hours=1))
    mirror.move(_get(mirror, "fa@x"), "INBOX")  # the answer filed in INBOX instead
    check(mirror, NOW + timedelta(hours=2))


def test_language_hints_of_a_waiting_thread(tmp_path: Path) -> None:
    q = msg(NOW - timedelta(hours=3), message_id="q@x", subject="Quote", language_hints=("en",))
    mirror = start(tmp_path, [*filler(10), q])
    mirror.add(msg(NOW - timedelta(hours=1), message_id="q2@x", subject="Re: Quote",
                   references=("q@x",), language_hints=("fr",)))  # fmt: skip
    got = check(mirror, NOW + timedelta(hours=1))
    assert got is not None
    mirror.remove(_get(mirror, "q@x"))
    check(mirror, NOW + timedelta(hours=2))


def test_a_nightly_update_stores_only_the_rows_and_threads_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kept rows and threads are stored one by one: a reply to one customer rewrites that
    thread and its messages' rows, not the forty others (issue 12: the nightly write in
    proportion to what changed)."""
    q = msg(NOW - timedelta(hours=30), message_id="q@x", subject="Devis", from_="Ana <ana@x.fr>")
    others = [
        msg(NOW - timedelta(hours=n), message_id=f"w{n}@x", subject=f"Stock {n}",
            from_=f"Client {n} <waits{n}@x.fr>")
        for n in (5, 26, 40)
    ]  # fmt: skip
    mirror = start(tmp_path, [*filler(40), q, *others])
    stored: list[KeptChange] = []
    save = MailCache.save_ledger

    def spy(cache: MailCache, *args: Any, **kwargs: Any) -> None:
        key, replaced, rows, state, *rest = args

        def seen() -> tuple[bytes, KeptChange]:
            totals, kept = state()
            change = KeptChange(
                list(kept.rows_out), list(kept.rows_in), list(kept.threads_out),
                list(kept.threads_in),
            )  # fmt: skip
            stored.append(change)
            return totals, change

        save(cache, key, replaced, rows, seen, *rest, **kwargs)

    monkeypatch.setattr(MailCache, "save_ledger", spy)
    mirror.add(reply_to(q, NOW - timedelta(hours=2), message_id="r@x"))
    got = check(mirror, NOW)
    assert got is not None and got.late_threads  # the reply came after the SLA
    (change,) = stored
    threads = [thread for thread, _ in change.threads_in]
    assert threads == [thread_of(got.late_threads[0])[0]]  # the thread answered, and no other
    assert [copy for copy, _ in change.rows_in] == [(q.folder, q.uid)]
    assert not list(change.rows_out) and not list(change.threads_out)
    # What was written reads back as what a full audit gives, the next night too.
    mirror.add(msg(NOW + timedelta(hours=1), message_id="q3@x", subject="Autre", from_="b@x.fr"))
    assert check(mirror, NOW + timedelta(hours=2)) is not None


def test_a_kept_thread_lost_from_the_file_sends_back_to_a_full_audit(tmp_path: Path) -> None:
    """The kept rows and threads are counted with the ledger: one lost (a damaged file, a
    hand-made edit) is noticed, and a full audit rebuilds it."""
    q = msg(NOW - timedelta(hours=30), message_id="q@x", subject="Devis")
    mirror = start(tmp_path, [*filler(5), q])
    with contextlib.closing(sqlite3.connect(mirror.cache.path)) as db, db:
        assert db.execute("DELETE FROM ledger_threads").rowcount == 1
    mirror.add(msg(NOW - timedelta(hours=1), message_id="q2@x", subject="Autre"))
    check(mirror, NOW, served=False)
    check(mirror, NOW + timedelta(hours=1))  # rebuilt whole, it serves again


def test_a_kept_row_unreadable_in_the_file_sends_back_to_a_full_audit(tmp_path: Path) -> None:
    """Counted right but unreadable (foreign bytes): the update declines, and the ledger is
    stale for the full audit that follows, which rebuilds it (else it would decline every
    night)."""
    q = msg(NOW - timedelta(hours=30), message_id="q@x", subject="Devis")
    mirror = start(tmp_path, [*filler(5), q])
    with contextlib.closing(sqlite3.connect(mirror.cache.path)) as db, db:
        assert db.execute("UPDATE ledger_rows SET row = x'00'").rowcount >= 1
    assert incremental.stale(mirror.cache, mirror.synced().folders, SETTINGS, NOW)
    mirror.add(msg(NOW - timedelta(hours=1), message_id="q2@x", subject="Autre"))
    check(mirror, NOW, served=False)
    assert not incremental.stale(mirror.cache, mirror.synced().folders, SETTINGS, NOW)
    check(mirror, NOW + timedelta(hours=1))


@pytest.mark.parametrize("damage", ["x'00'", "CAST(substr(row, 1, 19) || x'00' AS BLOB)"])
def test_a_kept_thread_unreadable_in_the_file_is_never_listed(tmp_path: Path, damage: str) -> None:
    """Counted right but unreadable, in its head (what it is sorted by) or after: the night
    that would list it declines, and the ledger is stale for the full audit that follows,
    which rebuilds it. Threads are decoded only when listed, so a night may carry it on."""
    q = msg(NOW - timedelta(hours=30), message_id="q@x", subject="Devis")
    mirror = start(tmp_path, [*filler(5), q])
    with contextlib.closing(sqlite3.connect(mirror.cache.path)) as db, db:
        assert db.execute(f"UPDATE ledger_threads SET row = {damage}").rowcount == 1
    assert incremental.stale(mirror.cache, mirror.synced().folders, SETTINGS, NOW)
    mirror.add(msg(NOW - timedelta(hours=1), message_id="q2@x", subject="Autre"))
    got = incremental.update(mirror.cache, mirror.synced(), SETTINGS, NOW)
    if got is not None:  # carried on undecoded: listing it gives up, for a full audit
        with pytest.raises(CacheUnusable):
            snapshot.outline(got, SETTINGS, NOW)
    assert incremental.stale(mirror.cache, mirror.synced().folders, SETTINGS, NOW)
    full, found = audit_examined(mirror.collected(), SETTINGS, NOW)
    incremental.rebuild(mirror.cache, mirror.collected(), full, found, SETTINGS)
    assert not incremental.stale(mirror.cache, mirror.synced().folders, SETTINGS, NOW)
    check(mirror, NOW + timedelta(hours=1))


def test_undecodable_text_in_a_waiting_thread_is_kept_as_it_came(tmp_path: Path) -> None:
    """Header bytes no charset decodes come as lone surrogates: the ledger's kept rows and
    threads store them and give them back (SQLite text could not hold them)."""
    odd = "Devis \udc80\udcff " + "\u2028日本"
    q = msg(NOW - timedelta(hours=30), message_id="q@x", subject=odd, from_=f"{odd} <a@x.fr>")
    mirror = start(tmp_path, [*filler(5), q])
    mirror.add(msg(NOW - timedelta(hours=2), message_id="q2@x", subject="Re: " + odd,
                   references=("q@x",), from_="a@x.fr"))  # fmt: skip
    got = check(mirror, NOW)
    assert got is not None and any(odd in thread_of(row)[1] for row in got.waiting_threads)


def test_a_sent_message_moves_to_inbox(tmp_path: Path) -> None:
    q = msg(NOW - timedelta(hours=30), message_id="q@x", subject="Devis")
    mirror = start(
        tmp_path, [*filler(10), q, reply_to(q, NOW - timedelta(hours=3), message_id="r@x")]
    )
    mirror.move(_get(mirror, "r@x"), "INBOX")
    check(mirror, NOW + timedelta(hours=1))


def test_a_folder_read_whole_again(tmp_path: Path) -> None:
    """UIDVALIDITY changed: the folder is cleared and read again under new UIDs."""
    mirror = start(tmp_path, [*filler(10), msg(NOW - timedelta(hours=3), message_id="q@x")])
    inbox = sorted((m for m in mirror.mail.values() if m.folder == "INBOX"), key=lambda m: m.uid)
    with mirror.cache.folder_update("INBOX") as writer:
        writer.clear()
    for m in inbox:
        del mirror.mail[(m.folder, m.uid)]
    for m in inbox:
        mirror.add(m)
    check(mirror, NOW + timedelta(hours=1), served=None)


def test_two_runs_within_the_hour_that_repeats_when_summer_time_ends(tmp_path: Path) -> None:
    """On 2026-10-25 Paris lives 02:00-03:00 twice; datetime.now(zone) says which with
    `fold`. 02:10 (the second time) is after 02:50 (the first), but 60 days before it on the
    wall clock is earlier: a message that had aged out of the kept days comes back in."""
    first = datetime(2026, 10, 25, 2, 50, tzinfo=PARIS)  # 00:50 UTC
    second = datetime(2026, 10, 25, 2, 10, fold=1, tzinfo=PARIS)  # 01:10 UTC
    assert first.astimezone(UTC) < second.astimezone(UTC)  # (compared as is: wall clock)
    aged = msg(datetime(2026, 8, 26, 0, 30, tzinfo=UTC), message_id="aged@x", subject="Ancien")
    mirror = start(tmp_path, [*filler(10, first), aged], as_of=first)
    mirror.add(msg(first - timedelta(hours=1), message_id="other@x", subject="Autre chose"))
    check(mirror, second, served=False)


def test_a_moment_earlier_in_time_but_later_on_the_wall_clock(tmp_path: Path) -> None:
    """02:10 the second time (01:10 UTC), then --as-of 02:50 (the first time: 00:50 UTC):
    the moment went back 20 minutes, though the wall clock says forward. A message of
    01:00 UTC was there at the first moment, not at the second."""
    first = datetime(2026, 10, 25, 2, 10, fold=1, tzinfo=PARIS)
    second = datetime(2026, 10, 25, 2, 50, tzinfo=PARIS)
    assert second.astimezone(UTC) < first.astimezone(UTC)
    between = msg(datetime(2026, 10, 25, 1, 0, tzinfo=UTC), message_id="b@x", subject="Entre")
    mirror = start(tmp_path, [*filler(10, first), between], as_of=first)
    check(mirror, second, served=False)


# --- unreadable items, and random changes of every kind ------------------------------------------


class Box(Mirror):
    """A Mirror that also holds unreadable items (cached with no message) and sets flags."""

    def __init__(self, tmp_path: Path, collected: Collected) -> None:
        super().__init__(tmp_path, collected)
        self.unreadable: dict[tuple[str, int], str] = {}

    def collected(self) -> Collected:
        base = super().collected()
        order = {f.name: i for i, f in enumerate(self.folders)}
        failed = sorted(self.unreadable, key=lambda copy: (order[copy[0]], copy[1]))
        items = tuple(Unreadable(f, u, self.unreadable[(f, u)]) for f, u in failed)
        return dataclasses.replace(base, unreadable=items)

    def add_unreadable(self, folder: str, reason: str = "unparsable") -> tuple[str, int]:
        copy = (folder, self.next_uid)
        self.next_uid += 1
        self._unreadable(copy, reason)
        return copy

    def _unreadable(self, copy: tuple[str, int], reason: str) -> None:
        self.mail.pop(copy, None)
        self.unreadable[copy] = reason
        with self.cache.folder_update(copy[0]) as writer:
            writer.add_unreadable(Unreadable(copy[0], copy[1], reason), frozenset(), False)

    def spoil(self, message: Message) -> None:
        """The same UID, now unreadable (parsed again by newer code, say)."""
        self._unreadable((message.folder, message.uid), "unparsable")

    def mend(self, copy: tuple[str, int], message: Message) -> None:
        """The unreadable item at `copy`, now read."""
        del self.unreadable[copy]
        message = dataclasses.replace(message, folder=copy[0], uid=copy[1])
        self.mail[copy] = message
        with self.cache.folder_update(copy[0]) as writer:
            writer.add(message)

    def drop(self, copy: tuple[str, int]) -> None:
        del self.unreadable[copy]
        with self.cache.folder_update(copy[0]) as writer:
            writer.remove([copy[1]])

    def synced(self) -> Synced:
        count = Counter(f for f, _ in [*self.mail, *self.unreadable])
        folders = tuple(dataclasses.replace(f, messages=count[f.name]) for f in self.folders)
        return Synced("test", folders, ())


def test_unreadable_items_come_go_and_get_read(tmp_path: Path) -> None:
    q = msg(NOW - timedelta(hours=30), message_id="q@x", subject="Devis")
    box = Box(tmp_path, Collected("test", FOLDERS, (*filler(10), q), ()))
    report, found = audit_examined(box.collected(), SETTINGS, NOW)
    incremental.rebuild(box.cache, box.collected(), report, found, SETTINGS)
    first = box.add_unreadable("INBOX")
    box.add_unreadable("Archive")
    got = check(box, NOW + timedelta(hours=1))
    assert got is not None and got.report.summary.unreadable == 2
    box.mend(first, reply_to(q, NOW - timedelta(hours=1), folder="INBOX", message_id="r@x"))
    check(box, NOW + timedelta(hours=2))
    box.spoil(_get(box, "q@x"))  # the customer's message, unreadable now: the reply stays
    check(box, NOW + timedelta(hours=3))
    box.drop(next(iter(box.unreadable)))
    check(box, NOW + timedelta(hours=4))


_PEOPLE = ("Marie <marie@example.fr>", "Paul <paul@example.org>", "Jean <jean@client.org>")
_SUBJECTS = ("Devis", "Re: Devis", "Livraison", "RE: Livraison", "Question", "")


def _random_changes(
    box: Box, rng: random.Random, now: Callable[[], datetime]
) -> list[Callable[[], None]]:
    """Changes of every kind, on a few people and subjects so that they collide."""

    def some(test: Callable[[Message], bool] = lambda m: True) -> Message | None:
        found = sorted((m for m in box.mail.values() if test(m)), key=lambda m: m.key)
        return rng.choice(found) if found else None

    def when() -> datetime | None:
        return now() + timedelta(hours=rng.choice((-70, -30, -23, -5, -1, 1, 20)))

    def ids() -> dict[str, object]:
        known = [m.message_id for m in box.mail.values() if m.message_id]
        pick = rng.random()
        cite = rng.choice(sorted(known)) if known and rng.random() < 0.4 else None
        return {
            "message_id": None if pick < 0.15 else rng.choice(sorted(known)) if pick < 0.25
            else f"n{rng.random()}@x",
            "references": (cite,) if cite else (),
            "conversation_id": rng.choice((None, None, "c1", "c2")),
        }  # fmt: skip

    def customer() -> None:
        box.add(msg(when(), from_=rng.choice(_PEOPLE), subject=rng.choice(_SUBJECTS),
                    language_hints=(rng.choice(("fr", "en")),), **ids()))  # fmt: skip

    def contact_form() -> None:
        person = rng.choice(_PEOPLE)
        box.add(msg(when(), from_=SHOP, to=(ME,), reply_to=(person,),
                    subject=rng.choice(_SUBJECTS), **ids()))  # fmt: skip

    def answer() -> None:
        theirs = some(lambda m: m.folder != "Sent" and m.from_ is not None)
        if theirs is None or theirs.from_ is None:
            return
        to = theirs.reply_to[0].email if theirs.reply_to else theirs.from_.email
        name = rng.choice(("Shop", "Shop", "Anne"))
        headers = ids() if rng.random() < 0.5 else {"in_reply_to": (theirs.message_id or "",)}
        fields = {"message_id": f"a{rng.random()}@x", **headers}
        box.add(msg(when(), from_=f"{name} <{ME}>", to=(to,), folder=rng.choice(("Sent", "All")),
                    subject="Re: " + theirs.subject, **fields))  # fmt: skip

    def copy() -> None:
        if (m := some()) is not None:
            box.copy(m, rng.choice(("INBOX", "Archive", "Sent", "All")))

    def move() -> None:
        if (m := some()) is not None:
            box.move(m, rng.choice(("INBOX", "Archive", "Sent")))

    def remove() -> None:
        if (m := some()) is not None:
            box.remove(m)

    def flags() -> None:
        if (m := some()) is not None:
            box.set_flags(
                m, frozenset(rng.sample(("\\Draft", "\\Answered", "\\Seen"), rng.randint(0, 2)))
            )

    def undated() -> None:
        box.add(msg(None, from_=rng.choice(_PEOPLE), subject=rng.choice(_SUBJECTS), **ids()))

    def unreadable() -> None:
        box.add_unreadable(rng.choice(("INBOX", "Sent")))

    def mend() -> None:
        if box.unreadable:
            copy = rng.choice(sorted(box.unreadable))
            box.mend(copy, msg(when(), from_=rng.choice(_PEOPLE), subject="Devis", **ids()))

    def spoil() -> None:
        if (m := some()) is not None:
            box.spoil(m)

    return [customer, customer, contact_form, answer, answer, copy, move, remove, remove, flags,
            undated, unreadable, mend, spoil]  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_changes_on_colliding_conversations(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    moment = [NOW]
    box = Box(tmp_path, Collected("test", FOLDERS, tuple(filler(40)), ()))
    report, found = audit_examined(box.collected(), SETTINGS, NOW)
    incremental.rebuild(box.cache, box.collected(), report, found, SETTINGS)
    changes = _random_changes(box, rng, lambda: moment[0])
    served = 0
    for _ in range(80):
        for _ in range(rng.choice((0, 1, 1, 2))):
            rng.choice(changes)()
        moment[0] += timedelta(hours=rng.choice((0, 1, 3, 13)))
        served += check(box, moment[0], served=None) is not None
    assert served >= 20


def test_a_thread_waits_since_its_earliest_arrival_whatever_the_message_order(
    tmp_path: Path,
) -> None:
    """A contact form relayed from my own address is ordered by its Date, which may be well
    before its arrival; the customer's follow-up arrived earlier. The thread is overdue
    through the follow-up: re-dating (the nightly path) must say so too, and name it after
    the customer who has waited longest."""
    form = dataclasses.replace(
        msg(NOW - timedelta(hours=50), from_=SHOP, to=(ME,), reply_to=("jean@client.org",),
            subject="Devis", message_id="form@x"),
        internal_date=NOW - timedelta(hours=10),
    )  # fmt: skip
    follow_up = msg(NOW - timedelta(hours=30), from_="Jean <jean@client.org>",
                    subject="Re: Devis", message_id="c@x", references=("form@x",))  # fmt: skip
    mirror = start(tmp_path, [*filler(10), form], as_of=NOW - timedelta(hours=5))
    mirror.add(follow_up)
    check(mirror, NOW)
    full, _ = audit_examined(mirror.collected(), SETTINGS, NOW)
    waiting = [t for t in full.threads if t.waiting_since is not None]
    assert [(t.status, t.waiting_since) for t in waiting] == [
        (Status.OVERDUE, NOW - timedelta(hours=30))
    ]
    taken = snapshot.take(full, snapshot.horizon(mirror.collected().messages, NOW))
    for later in (NOW, NOW + timedelta(hours=1)):
        shown = snapshot.outline(taken, SETTINGS, later)  # every kept thread
        expected, _ = audit_examined(mirror.collected(), SETTINGS, later)
        whole = listing(expected)
        assert shown.listing.waiting == whole.waiting
        assert [t.thread_id for t in shown.listing.late] == [t.thread_id for t in whole.late]
        assert shown.report.summary == expected.summary
