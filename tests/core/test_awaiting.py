"""Awaiting their reply: which conversations the owner wrote last in, and the follow-ups."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from inbox_audit.core.audit import audit
from inbox_audit.core.awaiting import KEPT_DAYS, asks, awaiting_reply
from inbox_audit.model import Collected, Folder, FolderRole, Message
from inbox_audit.settings import Settings
from tests.builders import at, make_message

FOLDERS = (Folder("INBOX", FolderRole.INBOX, True), Folder("Sent", FolderRole.SENT, True))
SETTINGS = Settings(me=("shop@example.com",), sla=timedelta(hours=24))
ME = "Claire <shop@example.com>"
DAY = 24.0


def awaiting(messages: list[Message], now_hours: float, days: int = 3) -> list[str]:
    """The subjects awaiting a reply at `now_hours`, as the JSON and the email list them."""
    report = audit(Collected("t", FOLDERS, tuple(messages), ()), SETTINGS, at(now_hours))
    return [a.subject for a in awaiting_reply(report.awaiting or (), report.as_of, days)]


def sent(
    subject: str,
    hours: float,
    to: tuple[str, ...] = ("Marie Dupont <marie@x.fr>",),
    **kw: Any,
) -> Message:
    """A message of the owner's in Sent."""
    return make_message(from_=ME, to=to, subject=subject, hours=hours, folder="Sent", **kw)


def test_a_quote_sent_unasked_awaits_after_three_days_not_before() -> None:
    quote = sent("Votre devis n°12", 0)
    assert awaiting([quote], now_hours=3 * DAY - 1) == []
    assert awaiting([quote], now_hours=3 * DAY) == ["Votre devis n°12"]
    assert awaiting([quote], now_hours=5 * DAY, days=6) == []


def test_their_answer_ends_the_wait() -> None:
    quote = sent("Votre devis", 0, message_id="q@x")
    answer = make_message(
        from_="Marie Dupont <marie@x.fr>", subject="Re: Votre devis", hours=30,
        in_reply_to=("q@x",), references=("q@x",),
    )  # fmt: skip
    assert awaiting([quote, answer], now_hours=10 * DAY) == []


def test_an_out_of_office_is_no_answer() -> None:
    quote = sent("Invoice 2026-14", 0, message_id="q@x", to=("bob@corp.example",))
    away = make_message(
        from_="bob@corp.example", subject="Automatic reply: Invoice 2026-14", hours=0.1,
        in_reply_to=("q@x",), auto_headers=(("auto-submitted", "auto-replied"),),
    )  # fmt: skip
    assert awaiting([quote, away], now_hours=4 * DAY) == ["Invoice 2026-14"]


def test_an_answer_to_their_question_awaits_nothing_but_a_quote_does() -> None:
    question = make_message(
        from_="Marie Dupont <marie@x.fr>", subject="Délai de livraison ?", hours=0,
        message_id="c@x",
    )  # fmt: skip
    answer = sent("Re: Délai de livraison ?", 2, in_reply_to=("c@x",))
    asked = make_message(
        from_="Paul <paul@y.fr>", subject="Demande de devis", hours=0, message_id="d@x"
    )
    quote = sent("Re: Demande de devis", 2, to=("Paul <paul@y.fr>",), in_reply_to=("d@x",))
    assert awaiting([question, answer, asked, quote], now_hours=6 * DAY) == ["Re: Demande de devis"]


@pytest.mark.parametrize(
    ("to", "cc"),
    [
        ((ME,), ()),  # a note to self
        ((), ()),  # mail to no one (all Bcc)
        (("shop@example.com",), ("Claire <shop@example.com>",)),
    ],
)
def test_notes_to_self_and_mail_to_no_one_await_nothing(
    to: tuple[str, ...], cc: tuple[str, ...]
) -> None:
    assert awaiting([sent("Devis à faire", 0, to=to, cc=cc)], now_hours=9 * DAY) == []


def test_the_owners_automated_mail_awaits_nothing() -> None:
    receipt = sent(
        "Facture 88 — confirmation", 0, auto_headers=(("auto-submitted", "auto-generated"),)
    )
    assert awaiting([receipt], now_hours=9 * DAY) == []


def test_a_bounced_message_awaits_nothing() -> None:
    quote = sent("Votre devis", 0, message_id="q@x", to=("marie@typo.example",))
    bounce = make_message(
        from_="MAILER-DAEMON@mx.example", subject="Undelivered Mail Returned to Sender",
        hours=0.1, in_reply_to=("q@x",), references=("q@x",),
    )  # fmt: skip
    assert awaiting([quote, bounce], now_hours=9 * DAY) == []


def test_a_corrected_resend_awaits_one_reply() -> None:
    first = sent("Facture pro forma", 0, to=("Marie Dupont <marie@typo.example>",))
    again = sent("Facture pro forma", 0.2, to=("Marie Dupont <marie@x.fr>",))
    report = audit(Collected("t", FOLDERS, (first, again), ()), SETTINGS, at(9 * DAY))
    found = awaiting_reply(report.awaiting or (), report.as_of)
    assert [a.correspondent.email for a in found] == ["marie@x.fr"]


def test_old_silences_are_dropped() -> None:
    quote = sent("Votre devis", 0)
    assert awaiting([quote], now_hours=KEPT_DAYS * DAY - 1) == ["Votre devis"]
    assert awaiting([quote], now_hours=KEPT_DAYS * DAY + 1) == []


def test_follow_up_in_the_customers_language_signed_by_the_owner() -> None:
    fr = sent("Votre devis n°7", 0, to=("Marie Dupont <marie@orange.fr>",))
    en = sent("Your quote 7", 0, to=("James Whitfield <james@studio.co.uk>",))
    reply = make_message(from_=ME, subject="x", hours=-50, folder="Sent", to=("a@b.c",))
    report = audit(Collected("t", FOLDERS, (fr, en, reply), ()), SETTINGS, at(4 * DAY))
    items = awaiting_reply(report.awaiting or (), at(4 * DAY), signature=report.owner)
    found = {a.correspondent.email: a for a in items}
    french = found["marie@orange.fr"].follow_up
    english = found["james@studio.co.uk"].follow_up
    assert french.language == "fr" and english.language == "en"
    assert (
        french.body.startswith("Bonjour Marie,") and "«\u00a0Votre devis n°7\u00a0»" in french.body
    )
    assert english.body.startswith("Hello James,") and "“Your quote 7”" in english.body
    assert french.subject == "Re: Votre devis n°7"
    assert found["marie@orange.fr"].silent_business_days == 4
    assert report.owner == "Claire"
    assert french.body.endswith("Claire") and english.body.endswith("Claire")
    forced = awaiting_reply(report.awaiting or (), at(4 * DAY), lang="en")
    assert {a.follow_up.language for a in forced} == {"en"}


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("FACTURE n°12", True),
        ("Re: Votre devis", True),
        ("Quotation for the tiles", True),
        ("Pouvez-vous confirmer la date ?", True),
        ("Re: Date d'expédition ?", False),
        ("Re: Merci", False),
        ("Photos de l'atelier", False),
    ],
)
def test_what_expects_an_answer(subject: str, expected: bool) -> None:
    assert asks(subject) is expected


def test_a_new_request_from_them_elsewhere_ends_the_wait() -> None:
    quote = sent("Votre devis", 0)
    fresh = make_message(from_="Marie Dupont <marie@x.fr>", subject="Autre question", hours=30)
    assert awaiting([quote, fresh], now_hours=9 * DAY) == []


@pytest.mark.parametrize(
    ("subject", "failed", "after_hours", "kept"),
    [
        ("Undelivered Mail Returned to Sender", None, 0.05, False),  # names nothing, at once
        ("Undelivered Mail Returned to Sender", None, 2, True),  # names nothing, hours later
        ("Non remis : Votre devis", None, 20, False),  # names the subject
        ("Delivery Status Notification (Failure)", "marie@x.fr", 30, False),
        ("Delivery Status Notification (Failure)", "paul@y.fr", 0.05, True),  # someone else's
    ],
)
def test_bounces_without_references_are_matched_by_their_headers(
    subject: str, failed: str | None, after_hours: float, kept: bool
) -> None:
    quote = sent("Votre devis", 0)
    bounce = make_message(
        from_="MAILER-DAEMON@mx.example", subject=subject, hours=after_hours,
        auto_headers=(("x-failed-recipients", failed),) if failed else (),
    )  # fmt: skip
    assert awaiting([quote, bounce], now_hours=9 * DAY) == (["Votre devis"] if kept else [])
