"""Pairing replies with the customer messages they answer, and the resulting statuses."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from inbox_audit.core.metrics import (
    deadline,
    message_result,
    result_of,
    summarize,
    thread_results,
)
from inbox_audit.core.pairing import answers, has_flag, pair_thread, replies_to, response_for
from inbox_audit.core.threads import Thread, build_threads
from inbox_audit.model import Message, MessageResult, Reason, Status
from tests.builders import addr, at, make_message

ME = frozenset({"shop@example.com"})
SLA = timedelta(hours=24)


def run(
    messages: list[Message], reasons: dict[str, Reason | None] | None = None, now_hours: float = 100
) -> dict[str, MessageResult]:
    found = reasons or {}
    verdicts = {
        m.key: found.get(m.key, Reason.FROM_ME if m.from_ and m.from_.email in ME else None)
        for m in messages
    }
    results = {}
    for thread in build_threads(messages, ME, timedelta(days=21)):
        answered = answers(thread, verdicts, ME)
        for response in pair_thread(thread, verdicts, ME):
            key = response.inbound.key
            results[key] = message_result(response, at(now_hours), SLA)
            # The audit's shortcut gives the same result without the Response.
            assert results[key] == result_of(
                response.inbound,
                verdicts[key],
                thread.thread_id,
                answered.get(key),
                at(now_hours),
                deadline(at(now_hours), SLA),
            )
    return results


def test_one_reply_answers_every_earlier_message_of_its_thread() -> None:
    first = make_message(message_id="a@x", hours=0)
    again = make_message(message_id="b@x", hours=5, in_reply_to=("a@x",))
    reply = make_message(
        from_="shop@example.com", to=("marie@example.fr",), hours=6, in_reply_to=("b@x",)
    )
    after = make_message(message_id="c@x", hours=8, in_reply_to=(reply.message_id or "",))
    results = run([first, again, reply, after], now_hours=40)
    assert results[first.key].status is Status.ANSWERED
    first_reply, again_reply = results[first.key].reply, results[again.key].reply
    assert first_reply is not None and first_reply.latency_seconds == 6 * 3600
    assert again_reply is not None and again_reply.latency_seconds == 3600
    # Written after the answer: waiting again, 32 h > SLA.
    assert results[after.key].status is Status.OVERDUE
    # My own mail gets a verdict too: not a customer's (the audit counts it as outgoing).
    assert results[reply.key].status is Status.NOT_CUSTOMER
    assert results[reply.key].reason is Reason.FROM_ME


def test_pending_and_overdue_boundary_is_the_sla() -> None:
    young = make_message(hours=0, subject="A", from_="a@x.fr")
    old = make_message(hours=-24, subject="B", from_="b@x.fr")
    results = run([young, old], now_hours=0)
    assert results[young.key].status is Status.PENDING
    assert results[old.key].status is Status.OVERDUE  # exactly the SLA: overdue


def test_answered_flag_without_reply_copy() -> None:
    flagged = make_message(hours=0, flags=frozenset({"\\Seen", "\\Answered"}))
    results = run([flagged], now_hours=100)
    assert results[flagged.key].status is Status.ANSWERED
    assert results[flagged.key].reply is None
    assert results[flagged.key].answered_by_flag


def test_forward_to_a_colleague_is_not_an_answer() -> None:
    inbound = make_message(message_id="a@x", hours=0)
    forward = make_message(
        from_="shop@example.com",
        to=("compta@example.com",),
        subject="TR : Devis",
        hours=1,
        references=("a@x",),
    )
    note = make_message(
        from_="shop@example.com", to=("shop@example.com",), hours=2, references=("a@x",)
    )
    results = run([inbound, forward, note], now_hours=30)
    assert results[inbound.key].status is Status.OVERDUE
    # Forwarded with the customer in copy: that is an answer.
    cc = make_message(
        from_="shop@example.com",
        to=("compta@example.com",),
        cc=("marie@example.fr",),
        subject="Fwd: Devis",
        hours=3,
        references=("a@x",),
    )
    assert run([inbound, cc], now_hours=30)[inbound.key].status is Status.ANSWERED


def test_reply_with_slightly_early_clock_still_answers_what_it_cites() -> None:
    inbound = make_message(message_id="a@x", hours=1)
    reply = make_message(
        from_="shop@example.com",
        to=("marie@example.fr",),
        hours=1.1,
        date_hours=0.95,
        in_reply_to=("a@x",),
    )
    result = run([inbound, reply], now_hours=50)[inbound.key]
    assert result.status is Status.ANSWERED
    # The owner's clock was behind: the reply is timed by the server's copy, 6 min later.
    assert result.reply is not None and result.reply.latency_seconds == 6 * 60


def test_reply_dated_years_early_still_answers_what_it_quotes() -> None:
    inbound = make_message(message_id="a@x", hours=10)
    reply = make_message(
        from_="shop@example.com",
        to=("marie@example.fr",),
        hours=10.5,
        date_hours=-3 * 365 * 24,
        in_reply_to=("a@x",),
    )
    result = run([inbound, reply], now_hours=50)[inbound.key]
    assert result.status is Status.ANSWERED
    assert result.reply is not None and result.reply.latency_seconds == 30 * 60


def test_reply_answers_only_the_customers_it_is_addressed_to() -> None:
    # Two customers answer the same newsletter (absent from the mailbox); I answer Alice.
    alice = make_message(from_="alice@x.fr", subject="Re: Lettre", hours=0, references=("nl@x",))
    bernard = make_message(
        from_="bernard@x.fr", subject="Re: Lettre", hours=1, references=("nl@x",)
    )
    to_alice = make_message(
        from_="shop@example.com",
        to=("alice@x.fr",),
        subject="Re: Lettre",
        hours=2,
        in_reply_to=(alice.message_id or "",),
    )
    results = run([alice, bernard, to_alice], now_hours=40)
    assert results[alice.key].status is Status.ANSWERED
    assert results[bernard.key].status is Status.OVERDUE


def test_message_to_a_supplier_in_the_thread_is_no_answer() -> None:
    inbound = make_message(message_id="a@x", hours=0)
    plumber = make_message(
        from_="shop@example.com",
        to=("plombier@example.org",),
        subject="Re: Devis",  # no forward prefix, yet not to the customer
        hours=1,
        references=("a@x",),
    )
    assert run([inbound, plumber], now_hours=30)[inbound.key].status is Status.OVERDUE


def test_contact_form_messages_are_two_customers() -> None:
    lina = make_message(
        from_="Formulaire <noreply@site.fr>",
        reply_to=("lina@gmail.com",),
        subject="Nouveau message depuis le site",
        hours=0,
        message_id="lina@x",
    )
    marc = make_message(
        from_="Formulaire <noreply@site.fr>",
        reply_to=("marc@gmail.com",),
        subject="Nouveau message depuis le site",
        hours=1,
    )
    to_lina = make_message(
        from_="shop@example.com",
        to=("lina@gmail.com",),
        subject="Re: Nouveau message depuis le site",
        hours=3,
        in_reply_to=("lina@x",),
    )
    results = run([lina, marc, to_lina], now_hours=40)
    assert results[lina.key].status is Status.ANSWERED
    assert results[marc.key].status is Status.OVERDUE


def test_not_customer_messages_are_never_answered_or_waiting() -> None:
    news = make_message(from_="news@shop.example", hours=0, subject="Promo")
    results = run([news], {news.key: Reason.MAILING_LIST}, now_hours=100)
    assert results[news.key].status is Status.NOT_CUSTOMER
    assert results[news.key].reason is Reason.MAILING_LIST


def test_two_customers_same_subject_never_share_an_answer() -> None:
    marie = make_message(from_="marie@example.fr", subject="Devis", hours=0)
    paul = make_message(from_="paul@example.com", subject="Devis", hours=1)
    to_paul = make_message(
        from_="shop@example.com", to=("paul@example.com",), subject="Re: Devis", hours=2
    )
    results = run([marie, paul, to_paul], now_hours=30)
    assert results[paul.key].status is Status.ANSWERED
    assert results[marie.key].status is Status.OVERDUE


def test_summary_and_thread_order() -> None:
    answered_fast = make_message(message_id="f@x", from_="a@x.fr", subject="A", hours=0)
    reply_fast = make_message(
        from_="shop@example.com", to=("a@x.fr",), in_reply_to=("f@x",), hours=1
    )
    answered_late = make_message(message_id="l@x", from_="b@x.fr", subject="B", hours=0)
    reply_late = make_message(
        from_="shop@example.com", to=("b@x.fr",), in_reply_to=("l@x",), hours=30
    )
    overdue_old = make_message(from_="c@x.fr", subject="C", hours=10)
    overdue_older = make_message(from_="d@x.fr", subject="D", hours=5)
    pending = make_message(from_="e@x.fr", subject="E", hours=90)
    msgs = [
        answered_fast,
        reply_fast,
        answered_late,
        reply_late,
        overdue_old,
        overdue_older,
        pending,
    ]
    results = list(run(msgs, now_hours=100).values())
    summary = summarize(results, SLA, unreadable=2, duplicates=1)
    assert summary.customer_messages == 5
    assert (summary.answered, summary.answered_late) == (2, 1)
    assert (summary.pending, summary.overdue) == (1, 2)
    assert summary.median_response_seconds == (3600 + 30 * 3600) / 2
    # Decided: 2 answered with latency + 2 overdue; 1 within the SLA.
    assert summary.within_sla_ratio == 0.25
    assert summary.unreadable == 2
    threads = thread_results(results, at(100), SLA)
    subjects = [t.subject for t in threads]
    assert subjects[:3] == ["D", "C", "E"]  # overdue longest first, then pending
    assert subjects[3] == "B"  # answered late before answered in time
    assert threads[0].waiting_seconds == 95 * 3600
    assert threads[3].answered_late and not threads[4].answered_late


def test_my_own_auto_reply_answers_nobody() -> None:
    inbound = make_message(message_id="a@x", hours=0)
    vacation = make_message(
        from_="shop@example.com",
        to=("marie@example.fr",),
        subject="Absence : Devis",
        hours=0.01,
        in_reply_to=("a@x",),
    )
    verdicts = {inbound.key: None, vacation.key: Reason.FROM_ME}
    [thread] = build_threads([inbound, vacation], ME, timedelta(days=21))
    responses = pair_thread(thread, verdicts, ME, automated=frozenset({vacation.key}))
    [response] = [r for r in responses if r.inbound == inbound]
    assert response.reply is None
    [answered] = [r for r in pair_thread(thread, verdicts, ME) if r.inbound == inbound]
    assert answered.reply == vacation


def test_a_thread_built_by_hand_is_paired_too() -> None:
    # Threads from build_threads carry keys and times; one without them is worked out anew.
    inbound = make_message(message_id="a@x", hours=0)
    reply = make_message(
        from_="shop@example.com", to=("marie@example.fr",), hours=3, in_reply_to=("a@x",)
    )
    verdicts = {inbound.key: None, reply.key: Reason.FROM_ME}
    [built] = build_threads([inbound, reply], ME, timedelta(days=21))
    by_hand = Thread(built.thread_id, built.messages)
    assert by_hand == built
    assert pair_thread(by_hand, verdicts, ME) == pair_thread(built, verdicts, ME)
    [answered] = [r for r in pair_thread(by_hand, verdicts, ME) if r.inbound == inbound]
    assert answered.reply == reply


def test_answers_and_response_make_pair_thread() -> None:
    inbound = make_message(message_id="a@x", hours=0, flags=frozenset({"\\Answered"}))
    other = make_message(message_id="b@x", hours=1, in_reply_to=("a@x",))
    reply = make_message(
        from_="shop@example.com", to=("marie@example.fr",), hours=0.5, in_reply_to=("a@x",)
    )
    verdicts = {inbound.key: None, other.key: None, reply.key: Reason.FROM_ME}
    [thread] = build_threads([inbound, other, reply], ME, timedelta(days=21))
    answered = answers(thread, verdicts, ME)
    assert answered == {inbound.key: (reply, reply.date)}
    expected = [
        response_for(m, verdicts[m.key], thread.thread_id, answered.get(m.key))
        for m in thread.messages
    ]
    assert pair_thread(thread, verdicts, ME) == expected


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (frozenset(), False),
        (frozenset({"\\Seen"}), False),
        (frozenset({"\\Seen", "\\Answered"}), True),
        (frozenset({"\\ANSWERED"}), True),
    ],
)
def test_has_flag_ignores_case(flags: frozenset[str], expected: bool) -> None:
    assert has_flag(flags, "\\answered") is expected


# ------------------------------------------------- a reply that cites the message it answers


@pytest.mark.parametrize(
    ("customer", "sent_to"),
    [
        # A list the customer posted to (mutt, Pine, Gnus reply to the list).
        ("Jean Martin <jean.martin@gmail.com>", ("ateliers@lists.poterie.example",)),
        # A shared or group address the customer wrote through.
        ("claire@studio-nord.de", ("team@studio-nord.de",)),
        # The same person's work address.
        ("paul.leroy@orange.fr", ("p.leroy@leroy-batiment.fr",)),
        # A +tag or dated address that changes with every message (TMDA, SpamGourmet...).
        ("lucie+1035412@tmda.example", ("lucie+1035999@tmda.example",)),
        # Their assistant.
        ("Dr Anne Roux <anne.roux@cabinet-roux.fr>", ("secretariat@cabinet-roux.fr",)),
    ],
)
def test_a_reply_that_names_the_message_answers_it_wherever_it_was_sent(
    customer: str, sent_to: tuple[str, ...]
) -> None:
    inbound = make_message(from_=customer, subject="Stage de tournage", hours=0)
    reply = make_message(
        from_="shop@example.com",
        to=sent_to,
        subject="Re: Stage de tournage",
        hours=3,
        in_reply_to=(inbound.message_id or "",),
        references=(inbound.message_id or "",),
    )
    result = run([inbound, reply], now_hours=40)[inbound.key]
    assert result.status is Status.ANSWERED
    assert result.reply is not None and result.reply.latency_seconds == 3 * 3600


def test_a_reply_found_through_references_only_answers_whom_it_is_sent_to() -> None:
    # Jean posts to the list; Léa answers him there; I answer Léa's message, to the list.
    jean = make_message(from_="jean@gmail.com", to=("ateliers@lists.example",), hours=0)
    lea = make_message(
        from_="lea@free.fr",
        to=("ateliers@lists.example",),
        subject="Re: Devis",
        hours=1,
        in_reply_to=(jean.message_id or "",),
        references=(jean.message_id or "",),
    )
    mine = make_message(
        from_="shop@example.com",
        to=("ateliers@lists.example",),
        subject="Re: Devis",
        hours=2,
        in_reply_to=(lea.message_id or "",),
        references=(jean.message_id or "", lea.message_id or ""),
    )
    results = run([jean, lea, mine], now_hours=40)
    assert results[lea.key].status is Status.ANSWERED
    # Jean's message is only in References: a weak link, and my reply is not addressed to him.
    assert results[jean.key].status is Status.OVERDUE
    # The same reply in copy to him answers him too.
    to_both = dataclasses.replace(mine, cc=(addr("jean@gmail.com"),))
    assert run([jean, lea, to_both], now_hours=40)[jean.key].status is Status.ANSWERED


@pytest.mark.parametrize(
    "subject",
    [
        "Fwd: Devis",
        "Fw: Devis",
        "FW: Devis",
        "TR : Devis",
        "TR: RE: Devis",
        "WG: Devis",
        "RV: Devis",
        "I: Devis",
        "Doorst: Devis",
        "ENC: Devis",
        "转发: Devis",
        "[Atelier] Fwd: Devis",
        "Devis (fwd)",
        "[Fwd: Devis]",
    ],
)
def test_a_forward_to_someone_else_is_no_answer_even_when_it_names_the_message(
    subject: str,
) -> None:
    inbound = make_message(message_id="a@x", hours=0)
    # Gmail writes In-Reply-To and References on forwards too.
    forward = make_message(
        from_="shop@example.com",
        to=("compta@cabinet-expert.fr",),
        subject=subject,
        hours=1,
        in_reply_to=("a@x",),
        references=("a@x",),
    )
    assert run([inbound, forward], now_hours=30)[inbound.key].status is Status.OVERDUE
    # Forwarded to the customer herself (her file, a document): an answer.
    to_her = dataclasses.replace(forward, to=(addr("marie@example.fr"),))
    assert run([inbound, to_her], now_hours=30)[inbound.key].status is Status.ANSWERED


@pytest.mark.parametrize(
    "text",
    [
        "---------- Forwarded message --------- From: Marie Dupont <marie@example.fr> Date: lun."
        " 3 mars 2025 à 10:12 Subject: Devis To: <shop@example.com>",
        "-------- Message transféré -------- Sujet : Devis Date : Mon, 3 Mar 2025 10:12:00"
        " +0100 De : Marie Dupont <marie@example.fr>",
        "De : Marie Dupont <marie@example.fr> Envoyé : lundi 3 mars 2025 10:12 À :"
        " shop@example.com Objet : Devis",
    ],
    ids=["gmail", "thunderbird-fr", "outlook-fr"],
)
def test_a_forward_known_from_its_text_is_no_answer(text: str) -> None:
    # Some clients and people keep the subject as it was when they forward: the marker
    # that opens the text still says it.
    inbound = make_message(message_id="a@x", subject="Devis", hours=0)
    forward = make_message(
        from_="shop@example.com",
        to=("compta@cabinet-expert.fr",),
        subject="Devis",
        hours=1,
        in_reply_to=("a@x",),
        text_start=text,
    )
    assert run([inbound, forward], now_hours=30)[inbound.key].status is Status.OVERDUE
    # The same text under a reply's own words is a reply quoting the message.
    reply = dataclasses.replace(forward, text_start="Bonjour Marie, voici le devis. " + text)
    assert run([inbound, reply], now_hours=30)[inbound.key].status is Status.ANSWERED


def test_a_reply_to_a_forward_is_a_reply() -> None:
    inbound = make_message(from_="jean@gmail.com", subject="Fwd: Tarifs 2027", hours=0)
    reply = make_message(
        from_="shop@example.com",
        to=("ateliers@lists.example",),
        subject="Re: Fwd: Tarifs 2027",
        hours=1,
        in_reply_to=(inbound.message_id or "",),
    )
    assert run([inbound, reply], now_hours=30)[inbound.key].status is Status.ANSWERED


def test_replies_to_reads_in_reply_to_only_and_never_a_forwards() -> None:
    reply = make_message(from_="shop@example.com", in_reply_to=("A@X",), references=("r@x", "A@X"))
    assert replies_to(reply) == frozenset({"a@x"})
    assert replies_to(dataclasses.replace(reply, in_reply_to=())) == frozenset()
    assert replies_to(dataclasses.replace(reply, subject="Fwd: Devis")) == frozenset()


def test_a_colleagues_answer_to_the_customer_answers_her() -> None:
    inbound = make_message(message_id="a@x", hours=0)
    # Paul, at the shop, answers Marie with the owner in copy.
    paul = make_message(
        from_="paul@example.com",
        to=("marie@example.fr",),
        cc=("shop@example.com",),
        subject="Re: Devis",
        hours=2,
        in_reply_to=("a@x",),
    )
    reasons: dict[str, Reason | None] = {paul.key: Reason.INTERNAL}
    result = run([inbound, paul], reasons, now_hours=40)[inbound.key]
    assert result.status is Status.ANSWERED
    assert result.reply is not None and result.reply.message_id == paul.message_id
    # Paul writing to the owner about it, even by Reply, answers nobody.
    to_me = dataclasses.replace(paul, to=(addr("shop@example.com"),), cc=())
    reasons = {to_me.key: Reason.INTERNAL}
    assert run([inbound, to_me], reasons, now_hours=40)[inbound.key].status is Status.OVERDUE
    # Nor does a colleague's message with no visible recipient (all Bcc).
    hidden = dataclasses.replace(paul, to=(), cc=())
    reasons = {hidden.key: Reason.INTERNAL}
    assert run([inbound, hidden], reasons, now_hours=40)[inbound.key].status is Status.OVERDUE
