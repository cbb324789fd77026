"""core/drafts: the holding replies as RFC 5322 drafts, and the rule of what to save or remove."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta

from inbox_audit.core.audit import audit
from inbox_audit.core.awaiting import awaiting_reply
from inbox_audit.core.drafts import (
    Drafts,
    Found,
    Kept,
    compose,
    describe,
    reconcile,
    wait_key,
)
from inbox_audit.core.folders import drafts_folder
from inbox_audit.model import AuditReport, Collected, Folder, FolderRole, Message
from inbox_audit.settings import DraftMode, Settings
from tests.builders import at, make_message

SETTINGS = Settings(me=("shop@example.com", "contact@example.com"), tz=at(0).tzinfo)  # type: ignore[arg-type]
FOLDERS = (
    Folder("INBOX", FolderRole.INBOX, True),
    Folder("Sent", FolderRole.SENT, True),
    Folder("Drafts", FolderRole.DRAFTS, False),
)


def report_of(*messages: Message, hours: float = 48) -> AuditReport:
    collected = Collected("test", FOLDERS, tuple(messages), ())
    return audit(collected, SETTINGS, at(hours))


def parsed(data: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def test_a_draft_answers_the_last_waiting_message_from_the_address_written_to() -> None:
    first = make_message(message_id="a@c", to=("contact@example.com",), hours=0)
    second = make_message(
        message_id="b@c",
        to=("contact@example.com",),
        in_reply_to=("a@c",),
        references=("a@c",),
        hours=1,
    )
    owner_reply = make_message(
        from_="Claire Martin <shop@example.com>", to=("x@y.fr",), folder="Sent", hours=-5
    )
    report = report_of(first, second, owner_reply)
    drafts = compose(report, DraftMode.OVERDUE, at(48))
    assert len(drafts.wanted) == 1
    draft = drafts.wanted[0]
    message = parsed(draft.data)
    assert message["From"] == "Claire Martin <contact@example.com>"
    assert message["To"] == "Marie Dupont <marie@example.fr>"
    assert message["In-Reply-To"] == "<b@c>"
    assert message["References"] == "<a@c> <b@c>"
    assert message["Subject"] == "Re: Devis"
    assert message["Message-ID"] == draft.message_id
    assert draft.key == wait_key(first) and draft.key in draft.message_id
    assert message.get_content_type() == "text/plain"
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    assert b"\r\n" in draft.data and b"\n" not in draft.data.replace(b"\r\n", b"")
    assert "Bonjour Marie," in message.get_content()


def test_overdue_only_unless_all_and_every_wait_is_known() -> None:
    overdue = make_message(from_="a@x.fr", message_id="o@x", hours=0)
    pending = make_message(from_="b@x.fr", subject="Autre", message_id="p@x", hours=40)
    report = report_of(overdue, pending)
    only = compose(report, DraftMode.OVERDUE, at(48))
    every = compose(report, DraftMode.ALL, at(48))
    assert [d.to for d in only.wanted] == ["a@x.fr"]
    assert sorted(d.to for d in every.wanted) == ["a@x.fr", "b@x.fr"]
    assert only.waiting == every.waiting == {d.key for d in every.wanted}


def test_the_same_wait_keeps_its_key_and_a_new_wait_gets_another() -> None:
    first = make_message(message_id="w1@x", hours=0)
    later = compose(report_of(first, hours=60), DraftMode.OVERDUE, at(60))
    now = compose(report_of(first), DraftMode.OVERDUE, at(48))
    assert later.wanted[0].key == now.wanted[0].key
    assert later.wanted[0].data != now.wanted[0].data  # re-dated, same key
    other = make_message(message_id="w2@x", hours=0)
    assert wait_key(other) != wait_key(first)


def test_reply_to_wins_unless_it_is_mine() -> None:
    form = make_message(
        from_="Formulaire <no-reply@example.com>",
        reply_to=("Paul Martin <paul@example.org>",),
        message_id="f@x",
    )
    mine = make_message(
        from_="lea@example.org", reply_to=("shop@example.com",), subject="Q", message_id="g@x"
    )
    tos = sorted(d.to for d in compose(report_of(form, mine), DraftMode.ALL, at(48)).wanted)
    assert tos == ["Paul Martin <paul@example.org>", "lea@example.org"]


def test_hostile_names_subjects_and_ids_add_no_header() -> None:
    hostile = make_message(
        from_="Eve\r\nBcc: victim@evil.example <eve@example.org>",
        subject="Devis\r\nBcc: x@evil.example =?utf-8?q?=0D=0AX-Injected:_1?= <b>",
        message_id="ok@x\r\nX-Injected: 1",
        references=("good@x", "bad id@x", "<x>@y"),
    )
    drafts = compose(report_of(hostile), DraftMode.OVERDUE, at(48))
    message = parsed(drafts.wanted[0].data)
    names = [name.lower() for name in message]
    assert "bcc" not in names and "x-injected" not in names
    assert len(names) == len(set(names))
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    # Kept as text (behind an invisible word joiner), never decoded into a line break.
    assert "=\u2060?utf-8?q?=0D=0AX-Injected:_1?=" in message["Subject"]
    assert len(message["To"].addresses) == 1
    assert message["In-Reply-To"] is None  # the malformed id is not cited
    assert message["References"] == "<good@x>"


def test_an_encoded_word_in_a_decoded_name_stays_text() -> None:
    # What a name like "=?utf-8?q?=3D=3Futf-8=3Fq=3F=3D0D...?=" decodes to.
    sly = make_message(from_="=?utf-8?q?=0D=0AX-Injected:_1?= <sly@example.org>")
    data = compose(report_of(sly), DraftMode.OVERDUE, at(48)).wanted[0].data
    assert b"\r\nX-Injected" not in data
    message = parsed(data)
    assert "x-injected" not in [name.lower() for name in message]
    assert message["To"].addresses[0].display_name.replace("\u2060", "") == (
        "=?utf-8?q?=0D=0AX-Injected:_1?="
    )


def test_an_address_that_cannot_be_written_safely_is_skipped() -> None:
    odd = make_message(from_="Odd <=?utf-8?q?=0D=0A?=@example.org>")
    drafts = compose(report_of(odd), DraftMode.OVERDUE, at(48))
    assert drafts.wanted == () and "cannot be written safely" in drafts.skipped[0]


def test_no_identity_no_draft_but_a_reason() -> None:
    collected = Collected("test", FOLDERS, (make_message(to=("x@y.fr",)),), ())
    report = audit(collected, Settings(tz=at(0).tzinfo), at(48))  # type: ignore[arg-type]
    drafts = compose(report, DraftMode.OVERDUE, at(48))
    assert drafts.wanted == () and len(drafts.waiting) == 1
    assert "no address of yours" in drafts.skipped[0]


def test_describe_shows_each_message() -> None:
    drafts = compose(report_of(make_message()), DraftMode.OVERDUE, at(48)).wanted
    text = describe(drafts)
    assert text.startswith("--- draft 1 of 1 ---\n") and "\r" not in text
    assert "Subject: Re: Devis" in text


# --- reconcile: the one rule of idempotence -------------------------------------------------


def drafts_for(*keys: str, waiting: tuple[str, ...] = ()) -> Drafts:
    wanted = compose(report_of(make_message()), DraftMode.OVERDUE, at(48)).wanted[0]
    from dataclasses import replace

    return Drafts(
        tuple(replace(wanted, key=k) for k in keys), frozenset(keys) | frozenset(waiting), ()
    )


def test_reconcile_saves_new_waits_only() -> None:
    plan = reconcile(
        drafts_for("new", "there", "gone"), {"gone": Kept(uid=3)}, {"there": Found.TOUCHED}
    )
    assert [d.key for d in plan.append] == ["new"]
    assert plan.record == {"there": Kept(), "gone": Kept(uid=3)}  # gone: never again
    assert plan.remove == ()


def test_reconcile_removes_only_untouched_drafts_of_answered_threads() -> None:
    record = {"a": Kept(uid=1), "b": Kept(uid=2), "c": Kept(uid=3), "pending": Kept(uid=4)}
    found = {"a": Found.UNTOUCHED, "b": Found.TOUCHED, "pending": Found.UNTOUCHED}
    plan = reconcile(drafts_for(waiting=("pending",)), record, found)
    assert plan.remove == ("a",)
    assert plan.record == {"pending": Kept(uid=4)}  # still waiting, not drafted this run
    assert len(plan.notes) == 1 and "edited" in plan.notes[0]


# --- the folder -----------------------------------------------------------------------------


def test_drafts_folder_prefers_the_drafts_over_outboxes_and_subfolders() -> None:
    def folder(name: str) -> Folder:
        return Folder(name, FolderRole.DRAFTS, False)

    assert drafts_folder([folder("Outbox"), folder("Drafts/Old"), folder("Drafts")]) == "Drafts"
    assert drafts_folder([folder("INBOX.Boîte d'envoi"), folder("INBOX.Brouillons")]) == (
        "INBOX.Brouillons"
    )
    assert drafts_folder([folder("[Gmail]/Drafts")]) == "[Gmail]/Drafts"
    assert drafts_folder([folder("Outbox"), Folder("INBOX", FolderRole.INBOX, True)]) is None
    assert drafts_folder([]) is None


def test_a_late_promise_is_dated_now() -> None:
    drafts = compose(report_of(make_message()), DraftMode.OVERDUE, at(48) + timedelta(hours=1))
    assert parsed(drafts.wanted[0].data)["Date"].datetime == at(49)


def test_a_follow_up_draft_threads_under_the_owners_last_message() -> None:
    quote = make_message(
        from_="Claire Martin <contact@example.com>",
        to=("Léa Hébert <lea@example.fr>",),
        subject="Votre devis n°12",
        message_id="q12@example.com",
        references=("ask@example.fr",),
        folder="Sent",
        hours=0,
    )
    report = report_of(quote, hours=24 * 7)
    follow_ups = awaiting_reply(report.awaiting or (), report.as_of, 3, None, report.owner)
    drafts = compose(report, DraftMode.OVERDUE, at(24 * 7), follow_ups)
    assert len(drafts.wanted) == 1 and drafts.waiting == {drafts.wanted[0].key}
    message = parsed(drafts.wanted[0].data)
    assert message["From"] == "Claire Martin <contact@example.com>"  # the address it came from
    assert message["To"] == "Léa Hébert <lea@example.fr>"
    assert message["In-Reply-To"] == "<q12@example.com>"
    assert message["References"] == "<ask@example.fr> <q12@example.com>"
    assert message["Subject"] == "Re: Votre devis n°12"
    assert "revenir vers vous" in message.get_content()
    # The same silence keeps its key; the owner's next message starts another.
    later = report_of(quote, hours=24 * 9)
    still = awaiting_reply(later.awaiting or (), later.as_of, 3, None, later.owner)
    again = compose(later, DraftMode.OVERDUE, at(24 * 9), still)
    assert again.wanted[0].key == drafts.wanted[0].key
    assert again.wanted[0].data != drafts.wanted[0].data  # dated anew
