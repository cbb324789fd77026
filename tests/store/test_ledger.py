"""The incremental audit (ledger.py, incremental.py): after any change to the cached mail, the
snapshot it updates is the one a full audit of the same mail takes, field for field."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inbox_audit.core.audit import audit_examined
from inbox_audit.core.awaiting import Bounce
from inbox_audit.model import (
    Address,
    Awaited,
    Folder,
    FolderRole,
    Message,
    MessageResult,
    ReplyRef,
    Status,
    Unreadable,
)
from inbox_audit.settings import Settings
from inbox_audit.store import incremental, ledger, snapshot
from inbox_audit.store.cache import MailCache
from tests.builders import PARIS
from tests.store.builders import (
    OPEN,
    WORK,
    Mirror,
    assert_same_snapshot,
    read,
    rendered,
    stored_ledger,
)


def _role(mirror: Mirror, role: FolderRole) -> Folder:
    return next(f for f in mirror.folders if f.role is role)


def _changes(mirror: Mirror, rng: random.Random, as_of: datetime) -> list[Callable[[], None]]:
    """Realistic changes between two runs; each picks its messages when it runs."""
    inbox = _role(mirror, FolderRole.INBOX).name
    sent = _role(mirror, FolderRole.SENT).name
    archive = next((f.name for f in mirror.folders if f.role is FolderRole.ARCHIVE), inbox)

    def pick(folder: str, test: Callable[[Message], bool] = lambda m: True) -> Message:
        found = sorted((m for m in mirror.mail.values() if m.folder == folder and test(m)),
                       key=lambda m: m.uid)  # fmt: skip
        return rng.choice(found)

    def customer_follow_up() -> None:  # a customer answers the owner (threaded by headers)
        mine = pick(sent, lambda m: bool(m.to) and m.message_id is not None)
        when = as_of - timedelta(minutes=rng.randint(5, 600))
        follow_up = f"follow-{rng.random()}@customer.example"
        mirror.add(_answer(mine, inbox, mine.to[0], follow_up, when, flags=frozenset()))

    def owner_reply() -> None:  # the owner answers a customer (in Sent)
        theirs = pick(inbox, lambda m: m.from_ is not None and m.message_id is not None)
        arrived = theirs.arrived_at or as_of
        when = min(as_of, arrived + timedelta(hours=rng.choice((1, 20, 30, 70))))
        owner = next(iter(m.from_ for m in mirror.mail.values() if m.folder == sent and m.from_))
        reply = f"reply-{rng.random()}@shop.example"
        mirror.add(
            _answer(theirs, sent, owner, reply, when, flags=frozenset({"\\Seen"}),
                    reply_to=(), auto_headers=())
        )  # fmt: skip

    def reminder_without_headers() -> None:  # same subject again, no threading headers
        theirs = pick(inbox, lambda m: m.from_ is not None)
        when = as_of - timedelta(minutes=rng.randint(5, 300))
        mirror.add(
            dataclasses.replace(
                theirs,
                message_id=f"again-{rng.random()}@customer.example",
                in_reply_to=(),
                references=(),
                date=when,
                internal_date=when,
                received_at=None,
                flags=frozenset(),
            )
        )

    def fresh(sender: str, subject: str, message_id: str, **changes: Any) -> None:
        """A new conversation from `sender`, shaped like a message of the inbox."""
        theirs = pick(inbox, lambda m: m.from_ is not None)
        when = as_of - timedelta(minutes=rng.randint(5, 3000))
        assert theirs.from_ is not None
        mirror.add(
            _fresh(
                theirs,
                message_id,
                when,
                from_=dataclasses.replace(theirs.from_, email=sender),
                subject=subject,
                **changes,
            )
        )

    def new_customer() -> None:
        fresh(
            f"new{rng.random()}@example.org",
            f"Question {rng.randint(1, 99)}",
            f"new-{rng.random()}@example.org",
        )

    def colleague_note() -> None:  # someone at the owner's own domain writes: internal
        owner = next(iter(m.from_ for m in mirror.mail.values() if m.folder == sent and m.from_))
        fresh(
            f"colleague{rng.randint(1, 3)}@{owner.email.rpartition('@')[2]}",
            f"Planning {rng.randint(1, 99)}",
            f"colleague-{rng.random()}@shop.example",
            reply_to=(),  # not a contact form's relay
        )

    def owner_quote() -> None:  # the owner writes first: it awaits their reply
        theirs = pick(inbox, lambda m: m.from_ is not None)
        owner = next(iter(m.from_ for m in mirror.mail.values() if m.folder == sent and m.from_))
        when = as_of - timedelta(days=rng.randint(0, 70), minutes=rng.randint(5, 600))
        mirror.add(_quote(theirs, sent, owner, f"Devis n°{rng.randint(1, 999)}", when))

    def bounce() -> None:  # a bounce of the owner's latest message, unthreaded
        mine = max(
            (m for m in mirror.mail.values() if m.folder == sent and m.to and m.arrived_at),
            key=lambda m: (m.arrived_at, m.uid),
        )
        when = (mine.arrived_at or as_of) + timedelta(minutes=rng.choice((1, 30, 600)))
        mirror.add(_bounce(mine, inbox, min(when, as_of), named=rng.random() < 0.5))

    def same_person_elsewhere() -> None:  # someone the owner wrote to, in another thread
        mine = pick(sent, lambda m: bool(m.to) and m.to[0].email != "")
        theirs = pick(inbox, lambda m: m.from_ is not None)
        when = as_of - timedelta(minutes=rng.randint(5, 3000))
        mirror.add(_elsewhere(theirs, mine.to[0], when))

    return [
        owner_quote,
        bounce,
        same_person_elsewhere,
        customer_follow_up,
        owner_reply,
        colleague_note,
        reminder_without_headers,
        new_customer,
        lambda: mirror.remove(pick(inbox)),  # deleted
        lambda: mirror.remove(pick(sent)),  # a reply deleted: its customer waits again
        lambda: mirror.flag(pick(inbox), "\\Answered"),
        lambda: mirror.flag(pick(sent), "\\Draft"),  # now a draft: answers nobody
        lambda: mirror.copy(pick(inbox), archive),  # copied: a duplicate
        lambda: mirror.move(pick(inbox), archive),
    ]


def _answer(
    original: Message,
    folder: str,
    sender: Address,
    message_id: str,
    when: datetime,
    **fields: Any,
) -> Message:
    """A message from `sender` answering `original`: to its sender, citing it, sent `when`."""
    return dataclasses.replace(
        original,
        folder=folder,
        from_=sender,
        to=(original.from_,) if original.from_ else (),
        cc=(),
        subject="Re: " + original.subject,
        message_id=message_id,
        in_reply_to=(original.message_id or "",),
        references=(original.message_id or "",),
        date=when,
        internal_date=when,
        received_at=None,
        **fields,
    )


def _fresh(like: Message, message_id: str, when: datetime, **fields: Any) -> Message:
    """`like` made a new message of its own: citing nothing, sent `when`, unread."""
    return dataclasses.replace(
        like,
        message_id=message_id,
        in_reply_to=(),
        references=(),
        conversation_id=None,
        date=when,
        internal_date=when,
        received_at=None,
        flags=frozenset(),
        **fields,
    )


def _quote(like: Message, folder: str, owner: Address, subject: str, when: datetime) -> Message:
    """The owner's new message to `like`'s sender, opening a conversation."""
    message = _fresh(
        like,
        f"quote-{when.timestamp()}-{subject}@shop.example",
        when,
        folder=folder,
        from_=owner,
        to=(like.from_,) if like.from_ else (),
        cc=(),
        reply_to=(),
        subject=subject,
        auto_headers=(),
    )
    return dataclasses.replace(message, flags=frozenset({"\\Seen"}))


def _bounce(mine: Message, folder: str, when: datetime, named: bool) -> Message:
    """MAILER-DAEMON's report that `mine` never arrived, citing nothing; it names the failed
    recipient, or only comes fast."""
    failed = (("x-failed-recipients", mine.to[0].email),) if named else ()
    return _fresh(
        mine,
        f"bounce-{when.timestamp()}@mx.example",
        when,
        folder=folder,
        from_=Address("mailer-daemon@mx.example", "Mail Delivery System"),
        to=(mine.from_,) if mine.from_ else (),
        cc=(),
        reply_to=(),
        subject="Undelivered Mail Returned to Sender",
        auto_headers=failed,
    )


def _elsewhere(like: Message, sender: Address, when: datetime) -> Message:
    """A new request from `sender`, in a conversation of its own."""
    return _fresh(
        like,
        f"other-{when.timestamp()}@customer.example",
        when,
        from_=sender,
        reply_to=(),
        subject=f"Autre question {when.timestamp()}",
        auto_headers=(),
    )


@pytest.mark.parametrize(
    ("seed", "layout", "sla_hours", "business"),
    [
        (21, "plain", 24, False),
        (22, "gmail", 4, False),
        (23, "french", 48, False),
        (24, "gmail", 24, False),
        # Working hours: business latencies in the kept figures, overdue in working time.
        (25, "plain", 8, True),
    ],
)
def test_each_change_updates_the_snapshot_a_full_audit_takes(
    tmp_path: Path, seed: int, layout: str, sla_hours: int, business: bool
) -> None:
    collected, as_of = read(tmp_path, seed, layout, customers=50)
    settings = Settings(
        me=(),
        sla=timedelta(hours=sla_hours),
        tz=PARIS,
        calendar=WORK if business else None,
        sla_business=business,
    )
    mirror = Mirror(tmp_path, collected)
    report, found = audit_examined(mirror.collected(), settings, as_of)
    incremental.rebuild(mirror.cache, mirror.collected(), report, found, settings)

    rng = random.Random(seed)
    changes = _changes(mirror, rng, as_of)
    used = 0
    for step in range(30):
        batch = rng.choice((1, 1, 1, 3))
        for _ in range(batch):
            rng.choice(changes)()
        moment = as_of + timedelta(minutes=37 * step)
        got = incremental.update(mirror.cache, mirror.synced(), settings, moment)
        full, found = audit_examined(mirror.collected(), settings, moment)
        if got is None:  # a full audit is needed: it stores the ledger again
            incremental.rebuild(mirror.cache, mirror.collected(), full, found, settings)
            continue
        used += 1
        want = snapshot.take(full, snapshot.horizon(mirror.collected().messages, moment))
        assert_same_snapshot(got, want, settings)
        # What the update stored (only the rows that changed) is what a rebuild stores.
        fresh = MailCache.open(tmp_path / f"rebuilt-{step}.sqlite", pytest.fail)
        OPEN.append(fresh)
        incremental.rebuild(fresh, mirror.collected(), full, found, settings)
        assert stored_ledger(mirror.cache.path) == stored_ledger(fresh.path)
        later = moment + timedelta(hours=step % 30)
        if snapshot.usable(got, later):
            shown = snapshot.outline(got, settings, later)  # every kept thread: Markdown's
            expected, _ = audit_examined(mirror.collected(), settings, later)
            assert rendered(shown.report, settings, None, shown) == rendered(
                expected, settings, None
            )
        # Nothing changed since: the snapshot is current, and an update is a no-op.
        assert mirror.cache.dirty() == []
    assert used >= 22  # the incremental path served most nights


def test_the_awaiting_list_follows_new_mail_as_a_full_audit_does(tmp_path: Path) -> None:
    """Night after night of new mail, the ledger's awaiting list is the full audit's: a quote
    joins it, the customer's reply ends it, a bounce ends another, and a third ends when its
    correspondent writes in another conversation."""
    collected, as_of = read(tmp_path, 27, "plain", customers=20)
    settings = Settings(me=(), tz=PARIS)
    mirror = Mirror(tmp_path, collected)
    report, found = audit_examined(mirror.collected(), settings, as_of)
    incremental.rebuild(mirror.cache, mirror.collected(), report, found, settings)
    inbox, sent = _role(mirror, FolderRole.INBOX).name, _role(mirror, FolderRole.SENT).name
    owner = next(m.from_ for m in mirror.mail.values() if m.folder == sent and m.from_)
    people = sorted(
        {m.from_ for m in mirror.mail.values() if m.folder == inbox and m.from_},
        key=lambda a: a.email,
    )
    like = next(m for m in mirror.mail.values() if m.folder == inbox)
    night = [0]

    def awaited_after(change: Callable[[datetime], object]) -> list[str]:
        night[0] += 1
        moment = as_of + timedelta(hours=night[0])
        change(moment - timedelta(minutes=30))
        got = incremental.update(mirror.cache, mirror.synced(), settings, moment)
        assert got is not None  # the incremental path, not a full audit
        full = audit_examined(mirror.collected(), settings, moment)[0]
        assert got.report.awaiting == full.awaiting
        return [a.subject for a in got.report.awaiting or ()]

    def quote(person: Address, subject: str) -> Callable[[datetime], Message]:
        like_theirs = dataclasses.replace(like, from_=person)
        return lambda when: mirror.add(_quote(like_theirs, sent, owner, subject, when))

    def sent_last(subject: str) -> Message:
        return max((m for m in mirror.mail.values() if m.subject == subject), key=lambda m: m.uid)

    assert "Devis n°1" in awaited_after(quote(people[0], "Devis n°1"))
    answer = _answer(sent_last("Devis n°1"), inbox, people[0], "answer-1@x.example", as_of)
    assert "Devis n°1" not in awaited_after(
        lambda when: mirror.add(dataclasses.replace(answer, date=when, internal_date=when))
    )

    assert "Devis n°2" in awaited_after(quote(people[1], "Devis n°2"))
    assert "Devis n°2" not in awaited_after(
        lambda when: mirror.add(_bounce(sent_last("Devis n°2"), inbox, when, named=True))
    )

    assert "Devis n°3" in awaited_after(quote(people[2], "Devis n°3"))
    assert "Devis n°3" not in awaited_after(
        lambda when: mirror.add(_elsewhere(like, people[2], when))
    )
    # The customer's answer deleted: the quote awaits it again.
    assert "Devis n°1" in awaited_after(lambda when: mirror.remove(sent_last(answer.subject)))


def test_new_owner_address_in_sent_sends_back_to_a_full_audit(tmp_path: Path) -> None:
    """The owner's identities come from all Sent mail: when a change moves them, every
    verdict may move, so the update declines (the caller audits everything)."""
    collected, as_of = read(tmp_path, 25, "plain", customers=20)
    settings = Settings(me=(), tz=PARIS)
    mirror = Mirror(tmp_path, collected)
    report, found = audit_examined(mirror.collected(), settings, as_of)
    incremental.rebuild(mirror.cache, mirror.collected(), report, found, settings)
    sent = _role(mirror, FolderRole.SENT).name
    mine = next(m for m in mirror.mail.values() if m.folder == sent and m.from_)
    assert mine.from_ is not None
    other = dataclasses.replace(mine.from_, email="second-address@shop.example")
    for n in range(3):  # three messages from a new address in Sent: detected as mine
        mirror.add(dataclasses.replace(mine, from_=other, message_id=f"x{n}@shop.example"))
    assert incremental.update(mirror.cache, mirror.synced(), settings, as_of) is None


def test_a_moment_before_the_ledger_or_past_its_horizon_declines(tmp_path: Path) -> None:
    collected, as_of = read(tmp_path, 26, "plain", customers=10)
    settings = Settings(me=(), tz=PARIS)
    mirror = Mirror(tmp_path, collected)
    report, found = audit_examined(mirror.collected(), settings, as_of)
    incremental.rebuild(mirror.cache, mirror.collected(), report, found, settings)
    synced = mirror.synced()
    assert incremental.update(mirror.cache, synced, settings, as_of - timedelta(hours=1)) is None
    later = incremental.update(mirror.cache, synced, settings, as_of + timedelta(hours=1))
    assert later is not None
    # Another SLA: another ledger.
    assert incremental.update(mirror.cache, synced, Settings(sla=timedelta(hours=2)), as_of) is None
    # A message dated after the moment: once the moment passes it, only a full audit knows.
    theirs = next(m for m in mirror.mail.values() if m.folder == "INBOX" and m.from_)
    future = as_of + timedelta(days=1)
    mirror.add(
        dataclasses.replace(theirs, message_id="future@x", date=future, internal_date=future)
    )
    assert incremental.update(mirror.cache, mirror.synced(), settings, as_of + timedelta(hours=2))
    beyond = as_of + timedelta(days=2)
    assert incremental.update(mirror.cache, mirror.synced(), settings, beyond) is None


def test_links_tie_what_the_audit_ties() -> None:
    """Copies, Message-IDs cited or own, conversation ids, and subject + correspondent."""
    from tests.builders import make_message

    me = frozenset({"shop@example.com"})
    question = make_message(subject="Devis", message_id="q@x")
    reply = make_message(
        from_="shop@example.com", to=("marie@example.fr",), subject="RE: Devis",
        in_reply_to=("Q@X",), message_id="r@x",
    )  # fmt: skip
    unrelated = make_message(from_="paul@example.fr", subject="Devis", message_id="p@x")
    assert set(ledger.links(question, me)) & set(ledger.links(reply, me))
    assert not set(ledger.links(question, me)) & set(ledger.links(unrelated, me))
    copy = dataclasses.replace(question, folder="Archive", uid=999)
    assert set(ledger.links(question, me)) & set(ledger.links(copy, me))
    assert all(isinstance(link, int) for link in ledger.links(question, me))


def test_a_stored_part_gives_the_same_part_back() -> None:
    """Every field, and the moments of a kept row to their zone and microsecond, as the
    snapshot lists them."""
    utc = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    precise = datetime(2026, 3, 2, 9, 30, 5, 123456, tzinfo=UTC)
    offset = datetime(2026, 3, 1, 22, 0, tzinfo=timezone(timedelta(hours=-5)))
    since = utc - timedelta(days=30)

    def row(result: MessageResult) -> tuple[datetime, snapshot.MessageRow]:
        kept = snapshot.kept(result, since)[1]
        assert kept is not None
        return kept[0], kept

    ana = Message("INBOX", 7, None, (), (), Address("ana@x.fr", "Ana"), (), (), (), "Devis",
                  offset, None, offset, frozenset(), None)  # fmt: skip
    reply = ReplyRef("<r@shop>", utc, 3600, 1800)
    answered = row(MessageResult(ana, Status.ANSWERED, None, "t1", reply))
    bob = dataclasses.replace(ana, uid=8, internal_date=precise, from_=None)
    waiting = row(MessageResult(bob, Status.OVERDUE, None, "t2", None, answered_by_flag=True))
    parts = [
        ledger.Part(
            "result",
            addressed=("shop@x.fr",),
            later=precise,
            thread_id="t1",
            status=Status.ANSWERED,
            latency=3600,
            row=answered,
            business_latency=1800,
        ),
        ledger.Part("result", thread_id="t2", status=Status.OVERDUE, arrived=utc, row=waiting),
        ledger.Part("outbound", "shop@x.fr", owner_name="Shop"),
        ledger.Part("result", thread_id="t3", status=Status.NOT_CUSTOMER, internal=True),
        ledger.Part(
            "outbound",
            "shop@x.fr",
            owner_name="Shop",
            awaited=Awaited("t3", "Devis", Address("ana@x.fr", "Ana"), offset, ("fr",), True),
        ),
        ledger.Part(
            "result", status=Status.ANSWERED, by_flag=True, voice=(precise, ("a@x.fr", "b@x.fr"))
        ),
        ledger.Part("result", status=Status.NOT_CUSTOMER, bounce=Bounce(utc, ("a@x.fr",), "x")),
        ledger.failed(Unreadable("Sent", 3, "no header")),
    ]
    # Every field off its default in some part: one `_part_bytes` left out comes back as that.
    defaults = ledger.Part._field_defaults
    fields = ledger.Part._fields
    assert [f for f in fields if all(getattr(p, f) == defaults.get(f) for p in parts)] == []
    for part in parts:
        assert incremental._part(incremental._part_bytes(part)) == part
    # Equal moments may lie in other zones: the row's keep theirs.
    for part, message in ((parts[0], ana), (parts[1], bob)):
        back = incremental._part(incremental._part_bytes(part))
        assert back is not None and back.row is not None
        arrived, _, _, _, folder, uid = back.row[1]
        assert message.arrived_at is not None
        assert arrived == message.arrived_at
        assert arrived.utcoffset() == message.arrived_at.utcoffset()
        assert (folder, uid) == (message.folder, message.uid)
    awaiting = next(part for part in parts if part.awaited is not None)
    kept = incremental._part(incremental._part_bytes(awaiting))
    assert kept is not None and kept.awaited is not None
    assert kept.awaited.last_sent_at.utcoffset() == timedelta(hours=-5)  # as the email shows it
    assert incremental._part(b"not marshal") is None


@given(
    st.lists(st.integers(0, 30), max_size=60),
    st.data(),
    st.lists(st.integers(0, 30), max_size=10),
)
def test_figures_less_those_taken_out_plus_those_put_in(
    values: list[int], data: st.DataObject, added: list[int]
) -> None:
    """The totals' sorted figures after a night: any sub-multiset taken out (runs of equal
    values, the last one, none), the new ones merged in; a figure never held is refused."""
    values.sort()
    taken = data.draw(st.lists(st.sampled_from(range(len(values))), unique=True)) if values else []
    out = Counter(values[i] for i in taken)
    want = sorted((Counter(values) - out + Counter(added)).elements())
    assert list(ledger._replaced(tuple(values), out, list(added))) == want
    missing = Counter({max(values, default=0) + 1: 1})
    with pytest.raises(ValueError, match="lost track"):
        ledger._replaced(tuple(values), out + missing, list(added))
