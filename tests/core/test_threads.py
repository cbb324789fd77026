"""Threading: headers first, provider ids next, subject + correspondent + window last."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from inbox_audit.core.threads import (
    base_subject,
    build_threads,
    correspondents,
    is_forward,
    message_time,
    munged_subject,
    senders,
    strip_subject,
)
from inbox_audit.model import Message
from tests.builders import at, make_message

ME = frozenset({"shop@example.com"})
WINDOW = timedelta(days=21)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Devis", "devis"),
        ("Re: Devis", "devis"),
        ("RE : Devis", "devis"),
        ("Réf : Devis", "devis"),
        ("TR : Re: Devis", "devis"),
        ("AW: WG: Angebot", "angebot"),
        ("SV: Fråga", "fråga"),
        ("Antw: Vraag", "vraag"),
        ("Fwd: Re: Re: RE: Question", "question"),
        ("Re[2]: Question", "question"),
        ("Re^3: Question", "question"),
        ("[Boutique] Re: Commande 42", "commande 42"),
        ("Re: [Boutique] Commande 42", "commande 42"),
        ("[Fwd: Commande 42]", "commande 42"),
        ("Commande 42 (fwd)", "commande 42"),
        ("  Re:   Livraison   express ", "livraison express"),
        ("Re：お問い合わせ", "お問い合わせ"),
        ("[ticket]", "[ticket]"),
        ("Reminder: meeting", "reminder: meeting"),
        ("Re:", ""),
        ("", ""),
    ],
)
def test_base_subject(subject: str, expected: str) -> None:
    assert base_subject(subject) == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Devis cuisine", "Devis cuisine"),
        ("Re: Devis cuisine", "Devis cuisine"),
        ("RE : Re: TR : Devis", "Devis"),
        ("Réf. : commande 1234", "commande 1234"),
        ("Fwd: Fw: AW: WG: SV: VS: Antw: Hello", "Hello"),
        ("[acme-clients] Re: [acme-clients] Question", "Question"),
        ("Re[2]: Question", "Question"),
        ("Re^3: Question", "Question"),
        ("Re(4): Question", "Question"),
        ("Question (fwd)", "Question"),
        ("[Fwd: Re: Devis]", "Devis"),
        ("[list]", "[list]"),  # a blob alone is the subject (RFC 5256 step 4)
        ("Re:", ""),
        ("", ""),
        ("Tram: horaires", "Tram: horaires"),  # "tr" only as a whole word
        ("Reprise: horaires", "Reprise: horaires"),
        ("Re:  multi\r\n line\tsubject ", "multi line subject"),
        ("RE： 質問", "質問"),
    ],
)
def test_strip_subject_keeps_case_for_display(subject: str, expected: str) -> None:
    assert strip_subject(subject) == expected


def test_reply_time_is_date_unless_clock_is_ahead() -> None:
    sent = make_message(from_="shop@example.com", hours=5, date_hours=4, folder="Sent")
    assert message_time(sent, ME) == sent.date
    ahead = make_message(from_="shop@example.com", hours=5, date_hours=30, folder="Sent")
    assert message_time(ahead, ME) == ahead.internal_date
    # A customer's clock never matters: arrival is the server's.
    customer = make_message(hours=5, date_hours=-5000)
    assert message_time(customer, ME) == customer.internal_date


def _groups(messages: list[Message], window: timedelta = WINDOW) -> set[frozenset[str]]:
    return {frozenset(m.key for m in t.messages) for t in build_threads(messages, ME, window)}


def test_references_and_missing_parents_join_threads() -> None:
    first = make_message(message_id="a@x")
    reply = make_message(from_="shop@example.com", hours=1, in_reply_to=("a@x",), folder="Sent")
    # Two customers' messages that cite the same absent message are one thread.
    ghost1 = make_message(from_="p@x.fr", hours=2, references=("gone@x",), subject="Rdv")
    ghost2 = make_message(from_="q@x.fr", hours=3, references=("gone@x", "z@x"), subject="Rdv")
    other = make_message(from_="p@x.fr", hours=4, subject="Autre chose")
    groups = _groups([first, reply, ghost1, ghost2, other])
    assert frozenset({first.key, reply.key}) in groups
    assert frozenset({ghost1.key, ghost2.key}) in groups
    assert frozenset({other.key}) in groups


def test_message_id_match_is_case_insensitive_and_trimmed() -> None:
    first = make_message(message_id="ABC@Host")
    reply = make_message(from_="shop@example.com", hours=1, references=(" abc@host",))
    assert frozenset({first.key, reply.key}) in _groups([first, reply])


def test_conversation_id_joins_messages_without_references() -> None:
    first = make_message(conversation_id="ti:00aa", subject="Question")
    reply = make_message(
        from_="shop@example.com", hours=1, conversation_id="ti:00aa", subject="Autre"
    )
    assert frozenset({first.key, reply.key}) in _groups([first, reply])


def test_subject_fallback_needs_shared_correspondent() -> None:
    marie = make_message(from_="marie@example.fr", subject="Devis", hours=0)
    paul = make_message(from_="paul@example.com", subject="Devis", hours=1)
    # The owner's phone dropped In-Reply-To: only subject + correspondent + time link it.
    to_paul = make_message(
        from_="shop@example.com", to=("paul@example.com",), subject="RE: Devis", hours=3
    )
    groups = _groups([marie, paul, to_paul])
    assert frozenset({paul.key, to_paul.key}) in groups
    assert frozenset({marie.key}) in groups


def test_subject_fallback_uses_reply_to_and_respects_window() -> None:
    form = make_message(
        from_="site@shop.example", reply_to=("client@example.org",), subject="Contact", hours=0
    )
    answer = make_message(
        from_="shop@example.com", to=("client@example.org",), subject="Re: Contact", hours=2
    )
    assert frozenset({form.key, answer.key}) in _groups([form, answer])
    late = make_message(
        from_="shop@example.com", to=("client@example.org",), subject="Re: Contact", hours=24 * 40
    )
    assert frozenset({form.key}) in _groups([form, late])


def test_subject_fallback_not_used_when_headers_resolve() -> None:
    old = make_message(from_="marie@example.fr", subject="Devis", hours=0, message_id="old@x")
    new = make_message(from_="marie@example.fr", subject="Devis", hours=24 * 19, message_id="new@x")
    reply_to_new = make_message(
        from_="shop@example.com",
        to=("marie@example.fr",),
        subject="Re: Devis",
        hours=24 * 19 + 1,
        in_reply_to=("new@x",),
    )
    groups = _groups([old, new, reply_to_new])
    # The reply cites `new`; `new` is a fresh request (no reply prefix) that repeats the
    # subject of `old` weeks later: two conversations.
    assert frozenset({new.key, reply_to_new.key}) in groups
    assert frozenset({old.key}) in groups


def test_customer_reply_without_headers_joins_by_subject() -> None:
    ask = make_message(from_="marie@example.fr", subject="Devis", hours=0)
    answer = make_message(
        from_="shop@example.com", to=("marie@example.fr",), subject="Re: Devis", hours=2
    )
    follow_up = make_message(from_="marie@example.fr", subject="RE: Devis", hours=5)
    assert frozenset({ask.key, answer.key, follow_up.key}) in _groups([ask, answer, follow_up])


def test_thread_id_is_stable_and_ordered_by_time() -> None:
    a = make_message(message_id="root@x", hours=0)
    b = make_message(from_="shop@example.com", hours=2, in_reply_to=("root@x",))
    first = build_threads([b, a], ME, WINDOW)
    second = build_threads([a, b], ME, WINDOW)
    assert first[0].thread_id == second[0].thread_id
    assert [m.key for m in first[0].messages] == [a.key, b.key]


def test_fresh_reminder_within_days_joins_the_first_request() -> None:
    first = make_message(from_="marie@example.fr", subject="Devis", hours=0)
    reminder = make_message(from_="marie@example.fr", subject="Devis", hours=26)
    assert frozenset({first.key, reminder.key}) in _groups([first, reminder])


def test_fresh_message_after_a_reply_chain_is_a_new_request() -> None:
    first = make_message(from_="n@x.fr", subject="Question", hours=0)
    again = make_message(from_="n@x.fr", subject="Re: Re: Question", hours=72)
    fresh = make_message(from_="n@x.fr", subject="Question", hours=150)
    groups = _groups([first, again, fresh])
    assert frozenset({fresh.key}) in groups
    assert frozenset({first.key, again.key}) in groups


def test_same_subject_five_days_later_is_a_new_request() -> None:
    first = make_message(from_="j@x.de", subject="Anfrage", hours=0)
    later = make_message(from_="j@x.de", subject="Anfrage", hours=24 * 5)
    assert frozenset({later.key}) in _groups([first, later])


def test_long_chains_and_shared_subjects_scale() -> None:
    # 20,000 same-subject messages from one sender used to recurse and scan quadratically.
    many = [make_message(from_="c@x.fr", subject="Devis", hours=i * 0.01) for i in range(20_000)]
    threads = build_threads(many, ME, WINDOW)
    assert sum(len(t.messages) for t in threads) == 20_000


def test_automated_mail_is_never_linked_by_subject() -> None:
    first = make_message(from_="news@brand.example", subject="Newsletter", hours=0)
    second = make_message(from_="news@brand.example", subject="Newsletter", hours=1)
    threads = build_threads([first, second], ME, WINDOW, frozenset({first.key, second.key}))
    assert len(threads) == 2
    assert len(build_threads([first, second], ME, WINDOW)) == 1


def test_keys_and_times_given_are_the_ones_used() -> None:
    # The audit hands over the keys and times it has worked out: they are what the threads
    # carry and what they are ordered by, not worked out again.
    a = make_message(from_="c@x.fr", subject="Devis", hours=0)
    b = make_message(from_="shop@example.com", subject="Re: Devis", hours=1, in_reply_to=("m-a@x",))
    a = dataclasses.replace(a, message_id="m-a@x")
    keys = [m.key for m in (a, b)]
    [worked_out] = build_threads([a, b], ME, WINDOW)
    [given] = build_threads([a, b], ME, WINDOW, keys=keys, times=[at(2), at(0)])
    assert worked_out.messages == (a, b) and worked_out.times == (at(0), at(1))
    assert given.messages == (b, a) and given.times == (at(0), at(2))
    assert given.keys == (b.key, a.key)


def test_ranks_place_every_message_in_thread_order() -> None:
    # Each message's rank is its place among all of them: oldest first, keys breaking ties,
    # undated last (the audit lists its results in that order without sorting them).
    messages = [
        make_message(from_="a@x.fr", subject="Devis", hours=5),
        make_message(from_="b@x.fr", subject="Devis", hours=1),
        make_message(from_="a@x.fr", subject="Re: Devis", hours=3),
        make_message(from_="c@x.fr", subject="Autre", hours=None),
        make_message(from_="b@x.fr", subject="Question", hours=1),
    ]
    threads = build_threads(messages, ME, WINDOW)
    placed = {rank: m for t in threads for m, rank in zip(t.messages, t.ranks, strict=True)}
    assert sorted(placed) == list(range(len(messages)))
    dated = sorted((m for m in messages if m.arrived_at), key=lambda m: (m.arrived_at, m.key))
    assert [placed[rank] for rank in sorted(placed)] == [*dated, messages[3]]


@pytest.mark.parametrize(
    ("from_", "to", "cc", "reply_to", "parties"),
    [
        ("shop@example.com", ("c@x.fr",), (), (), {"c@x.fr"}),
        ("shop@example.com", ("shop@example.com",), (), ("c@x.fr",), {"c@x.fr"}),
        ("shop@example.com", ("c@x.fr",), ("d@x.fr",), (), {"c@x.fr", "d@x.fr"}),
        ("c@x.fr", ("shop@example.com",), (), (), {"c@x.fr"}),
        ("noreply@site.fr", ("shop@example.com",), (), ("c@x.fr",), {"c@x.fr"}),
        (None, ("shop@example.com",), (), (), set()),
    ],
)
def test_parties_and_senders_with_and_without_their_shortcuts(
    from_: str | None,
    to: tuple[str, ...],
    cc: tuple[str, ...],
    reply_to: tuple[str, ...],
    parties: set[str],
) -> None:
    # The usual messages skip the sets (mine to one person, a customer's without Reply-To):
    # the same addresses as the general way.
    message = make_message(from_=from_, to=to, cc=cc, reply_to=reply_to)
    assert correspondents(message, ME) == frozenset(parties)
    assert set(senders(message)) == set(reply_to) | ({from_} if from_ else set())


def test_customer_reply_without_headers_continues_my_reply_not_their_new_request() -> None:
    first = make_message(from_="a@x.fr", subject="Groupe", hours=0, message_id="one@x")
    answer = make_message(
        from_="shop@example.com",
        to=("a@x.fr",),
        subject="Re: Groupe",
        hours=2,
        in_reply_to=("one@x",),
    )
    new_request = make_message(from_="a@x.fr", subject="Groupe", hours=18)
    # Android Mail dropped In-Reply-To; the "Re: Re:" answers my reply, not the new request.
    follow_up = make_message(from_="a@x.fr", subject="Re: Re: Groupe", hours=28)
    groups = _groups([first, answer, new_request, follow_up])
    assert frozenset({first.key, answer.key, follow_up.key}) in groups
    assert frozenset({new_request.key}) in groups


@pytest.mark.parametrize(
    ("subject", "spelled"),
    [
        ("Problème de livraison", "problxxme de livraison"),  # è is two UTF-8 bytes
        ("ProblXXme de livraison", "problxxme de livraison"),  # as Cyrus stores it
        ("Re: Commande n°12 – fenêtre", "commande nxx12 xxx fenxxtre"),
        ("Devis", None),  # plain ASCII: munging leaves it alone
        ("Taxe", None),
    ],
)
def test_munged_subject(subject: str, spelled: str | None) -> None:
    assert munged_subject(base_subject(subject)) == spelled


def test_munged_subject_meets_the_accented_one() -> None:
    """Cyrus' munge8bit turned the customer's raw UTF-8 subject into X's; the owner's reply,
    encoded by the client (RFC 2047), kept its accents and lost In-Reply-To on the way."""
    helene = make_message(from_="helene@client.fr", subject="ProblXXme de livraison")
    reply = make_message(
        from_="shop@example.com",
        to=("helene@client.fr",),
        subject="Re: Problème de livraison",
        hours=2,
        folder="Sent",
    )
    # The other way round too: my raw 8-bit reply munged, the customer's encoded subject not.
    zoe = make_message(from_="zoe@client.fr", subject="Réclamation", hours=3)
    to_zoe = make_message(
        from_="shop@example.com", to=("zoe@client.fr",), subject="RE: RXXclamation", hours=4
    )
    groups = _groups([helene, reply, zoe, to_zoe])
    assert frozenset({helene.key, reply.key}) in groups
    assert frozenset({zoe.key, to_zoe.key}) in groups


def test_munged_spelling_never_joins_what_the_exact_text_keeps_apart() -> None:
    # Two accented subjects of the same munged spelling stay apart: both are exact text.
    first = make_message(from_="ivan@client.ru", subject="Отчёт", hours=0)
    other = make_message(
        from_="shop@example.com", to=("ivan@client.ru",), subject="Re: Заказ", hours=1
    )
    assert munged_subject(base_subject(first.subject)) == munged_subject(
        base_subject(other.subject)
    )
    # Another customer's accented subject never meets my munged reply to someone else.
    marie = make_message(from_="marie@client.fr", subject="Problème", hours=2)
    to_paul = make_message(
        from_="shop@example.com", to=("paul@client.fr",), subject="Re: ProblXXme", hours=3
    )
    # ASCII X's that are no munging: "Taxxe" with no accented partner stays alone.
    taxxe = make_message(from_="marie@client.fr", subject="Taxxe", hours=4)
    groups = _groups([first, other, marie, to_paul, taxxe])
    assert frozenset({first.key}) in groups
    assert frozenset({other.key}) in groups
    assert frozenset({marie.key}) in groups
    assert frozenset({to_paul.key}) in groups
    assert frozenset({taxxe.key}) in groups


@pytest.mark.parametrize(
    ("subject", "forward"),
    [
        ("Fwd: Devis", True),
        ("FW: Devis", True),
        ("TR : Devis", True),
        ("WG: Anfrage", True),
        ("RV: Presupuesto", True),
        ("I: Preventivo", True),
        ("Doorst: Offerte", True),
        ("ENC: Orçamento", True),
        ("[Atelier] Fwd: Devis", True),
        ("Fwd: Re: Devis", True),  # forwards a reply
        ("Devis (fwd)", True),  # Pine
        ("[Fwd: Devis]", True),  # Netscape
        ("Re: Devis", False),
        ("Re: Fwd: Devis", False),  # answers a forward
        ("Re: Devis (fwd)", False),
        ("RE : TR : Devis", False),
        ("AW: Anfrage", False),
        ("Devis", False),
        ("Information pour votre stage", False),
        ("Trésorerie: point mensuel", False),
    ],
)
def test_is_forward_reads_the_outermost_prefix(subject: str, forward: bool) -> None:
    assert is_forward(subject) is forward


GMAIL_FORWARD = (
    "---------- Forwarded message --------- From: Marie Dupont <marie@example.fr> Date: Mon,"
    " Mar 3, 2025 at 10:12 AM Subject: Devis To: <shop@example.com>"
)
OUTLOOK_FR = (
    "De : Marie Dupont <marie@example.fr> Envoyé : lundi 3 mars 2025 10:12 À :"
    " shop@example.com Objet : Devis"
)


@pytest.mark.parametrize(
    ("subject", "text", "forward"),
    [
        ("Devis", GMAIL_FORWARD, True),
        ("Devis", "-------- Forwarded Message -------- Subject: Devis Date: Mon, 3 Mar", True),
        ("Devis", "Begin forwarded message: From: Marie Dupont <marie@example.fr>", True),
        ("Devis", "Début du message réexpédié : De: Marie <marie@example.fr>", True),
        ("Devis", "-------- Message transféré -------- Sujet : Devis", True),
        ("Anfrage", "-------- Weitergeleitete Nachricht -------- Betreff: Anfrage", True),
        ("Presupuesto", "---------- Mensaje reenviado --------- De: Ana", True),
        ("Preventivo", "---------- Messaggio inoltrato --------- Da: Luca", True),
        ("Devis", OUTLOOK_FR, True),
        ("Devis", "From: Marie Dupont Sent: Monday, March 3, 2025 10:12 AM To: Shop", True),
        ("Anfrage", "Von: Max Muster Gesendet: Montag, 3. März 2025 10:12 An: Shop", True),
        ("Devis", "________________________________ " + OUTLOOK_FR, True),
        ("Re: Devis", GMAIL_FORWARD, True),  # the marker opens the text whatever the subject
        # An empty reply in Outlook opens with the header block too: the subject decides.
        ("RE : Devis", OUTLOOK_FR, False),
        # Replies quote under "Original Message"; the marker only counts at the very start.
        ("Devis", "-------- Original Message -------- Subject: Devis", False),
        ("Devis", "-----Original Message----- From: Marie Sent: Monday To: Shop", False),
        ("Devis", "Bonjour, voici le devis. " + GMAIL_FORWARD, False),
        ("Devis", "Bonjour, je vous transfère le message de ma sœur : elle a une question.", False),
        ("Devis", "Forwarding is not what I asked: please answer me directly.", False),
        ("Devis", "De : ma part, merci ! Envoyez-moi le devis.", False),
        ("Devis", "", False),
        ("Fwd: Devis", "", True),
    ],
)
def test_is_forward_reads_the_subject_and_the_start_of_the_text(
    subject: str, text: str, forward: bool
) -> None:
    assert is_forward(subject, text) is forward
