"""The orchestrator: collection, de-duplication, identities, drafts, the as-of cut."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from inbox_audit.core.audit import audit, detect_identities
from inbox_audit.core.figures import threads_in_order
from inbox_audit.errors import FolderNotFound
from inbox_audit.model import (
    Collected,
    Folder,
    FolderRole,
    ListedFolder,
    Message,
    RawMessage,
    Status,
    Unreadable,
)
from inbox_audit.outputs.text import MAX_LISTED
from inbox_audit.settings import Settings
from inbox_audit.sources.read import collect
from inbox_audit.sources.spec import Progress
from tests.builders import PARIS, at, make_message
from tests.store.builders import read, rendered

FOLDERS = (
    Folder("INBOX", FolderRole.INBOX, True),
    Folder("Sent", FolderRole.SENT, True),
    Folder("[Gmail]/All Mail", FolderRole.ALL, True),
)
ROLES = {f.name: f.role for f in FOLDERS}
SETTINGS = Settings(me=("shop@example.com",), sla=timedelta(hours=24))


def run(messages: list[Message], now_hours: float = 100) -> dict[str, Status]:
    report = audit(Collected("test", FOLDERS, tuple(messages), ()), SETTINGS, at(now_hours))
    return {r.message.message_id or "": r.status for r in report.messages}


def test_copies_count_once_with_earliest_arrival_and_all_flags() -> None:
    inbox = make_message(message_id="a@x", hours=5, folder="INBOX")
    everywhere = make_message(
        message_id="a@x", hours=3, folder="[Gmail]/All Mail", flags=frozenset({"\\Answered"})
    )
    report = audit(Collected("t", FOLDERS, (everywhere, inbox), ()), SETTINGS, at(100))
    [only] = report.messages
    assert only.message.folder == "INBOX"  # the more telling folder
    assert only.message.internal_date == at(3)
    assert only.status is Status.ANSWERED and only.answered_by_flag
    assert report.summary.duplicates == 1


def test_draft_never_answers_even_in_all_mail() -> None:
    inbound = make_message(message_id="q@x", hours=0)
    draft = make_message(
        message_id="d@x",
        from_="shop@example.com",
        to=("marie@example.fr",),
        hours=1,
        in_reply_to=("q@x",),
        folder="[Gmail]/All Mail",
        flags=frozenset({"\\Draft", "\\Seen"}),
    )
    assert run([inbound, draft])["q@x"] is Status.OVERDUE
    report = audit(Collected("t", FOLDERS, (inbound, draft), ()), SETTINGS, at(100))
    assert report.summary.drafts == 1  # accounted for, not silently dropped


def test_as_of_in_the_past_sees_the_mailbox_as_it_was() -> None:
    inbound = make_message(message_id="q@x", hours=0)
    reply = make_message(
        message_id="r@x",
        from_="shop@example.com",
        to=("marie@example.fr",),
        hours=30,
        in_reply_to=("q@x",),
        folder="Sent",
    )
    later = make_message(message_id="later@x", hours=50)
    assert run([inbound, reply, later], now_hours=28) == {"q@x": Status.OVERDUE}
    past = audit(Collected("t", FOLDERS, (inbound, reply, later), ()), SETTINGS, at(28))
    assert past.summary.after_as_of == 2
    assert run([inbound, reply, later], now_hours=60)["q@x"] is Status.ANSWERED


def test_messages_without_any_date_are_unreadable() -> None:
    undated = make_message(message_id="u@x", hours=None)
    report = audit(Collected("t", FOLDERS, (undated,), ()), SETTINGS, at(10))
    assert report.messages == ()
    assert [u.reason for u in report.unreadable] == ["no usable date"]
    assert report.summary.unreadable == 1


def test_identities_from_sent_ignore_a_stray_customer_message() -> None:
    mine = [
        make_message(from_="claire@shop.fr", to=(f"c{i}@x.fr",), folder="Sent") for i in range(5)
    ]
    alias = make_message(from_="contact@shop.fr", to=("z@x.fr",), folder="Sent")
    to_alias = make_message(from_="z@x.fr", to=("contact@shop.fr",), folder="INBOX")
    stray = make_message(from_="customer@x.fr", to=("claire@shop.fr",), folder="Sent")
    messages = [*mine, alias, to_alias, stray, *mine, *mine, *mine]
    found = detect_identities(messages, ROLES)
    assert found == ["claire@shop.fr", "contact@shop.fr"]


class _VanishingSource:
    """A source whose second folder is deleted by another client while we read."""

    def list_folders(self) -> list[ListedFolder]:
        return [ListedFolder("INBOX", frozenset()), ListedFolder("Old", frozenset())]

    def message_count(self, folder: str) -> int | None:
        return 1

    def fetch(
        self, folder: str, progress: Progress | None = None
    ) -> Iterator[RawMessage | Unreadable]:
        if folder == "Old":
            raise FolderNotFound("folder 'Old' not found")
        header = b"From: a@x.fr\r\nSubject: Devis\r\nMessage-ID: <1@x>\r\n\r\n"
        yield RawMessage("INBOX", 1, at(0), frozenset(), header)
        yield Unreadable("INBOX", 2, "server sent garbage")

    def close(self) -> None:
        pass


def test_collect_reports_a_vanished_folder_and_goes_on() -> None:
    collected = collect(_VanishingSource(), "test", SETTINGS)
    assert [m.message_id for m in collected.messages] == ["1@x"]
    assert [u.uid for u in collected.unreadable] == [2]
    assert len(collected.problems) == 1 and "Old" in collected.problems[0]
    report = audit(collected, SETTINGS, at(100))
    assert report.problems == collected.problems
    assert report.summary.overdue == 1


def test_holding_reply_names_the_latest_waiting_message_for_threading() -> None:
    first = make_message(message_id="first@x", hours=1, subject="Devis")
    second = make_message(
        message_id="second@x",
        hours=2,
        subject="Re: Devis",
        in_reply_to=("first@x",),
        references=("first@x",),
    )
    report = audit(Collected("t", FOLDERS, (first, second), ()), SETTINGS, at(100))
    [thread] = report.threads
    assert thread.holding_reply is not None
    assert thread.reply_refs == ("first@x", "second@x")
    assert thread.holding_reply.references == ("first@x", "second@x")


@pytest.mark.parametrize(("seed", "layout"), [(11, "plain"), (12, "french")])
@pytest.mark.parametrize("replies", [0, 3, MAX_LISTED])
def test_replies_for_the_first_threads_listed_only_render_the_same(
    tmp_path: Path, seed: int, layout: str, replies: int
) -> None:
    collected, as_of = read(tmp_path, seed, layout, customers=120)
    settings = Settings(sla=timedelta(hours=24), tz=PARIS)
    full = audit(collected, settings, as_of)
    part = audit(collected, settings, as_of, replies=replies)
    waiting = [t for t in threads_in_order(full.threads) if t.holding_reply is not None]
    assert len(waiting) > replies  # some threads lose their reply
    given = {t.thread_id for t in waiting[:replies]}
    assert part.messages == full.messages and part.summary == full.summary
    for mine, theirs in zip(part.threads, full.threads, strict=True):
        kept = theirs if theirs.thread_id in given else replace(theirs, holding_reply=None)
        assert mine == kept
    assert rendered(part, settings, replies) == rendered(full, settings, replies)
