"""Whole audits over IMAP against a real Dovecot: generated mailboxes, real corpora, read-only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.audits import load, run_cli
from tests.corpora import CORPORA, mail_files, split_messages
from tests.dovecot import Appended, DovecotServer
from tests.evaluate import messages_without_id, score
from tests.mailgen import generate


@pytest.mark.parametrize("layout", ["plain", "gmail", "french"])
def test_generated_mailbox_over_imap(dovecot: DovecotServer, layout: str) -> None:
    box = generate(7, layout)
    user = load(dovecot, box)
    before = dovecot.snapshot_state(user)
    owner = [arg for address in box.owner for arg in ("--me", address)]
    code, report, _ = run_cli(dovecot, user, "--as-of", box.as_of.isoformat(), *owner)

    outcome = score(report, box.truth, messages_without_id(box))
    assert not outcome.violations, outcome.explain()
    assert not outcome.missing, outcome.explain()
    assert outcome.overdue_f1 >= 0.97, outcome.explain()
    assert outcome.pairing >= 0.97, outcome.explain()
    assert code == (1 if report["summary"]["overdue"] else 0)
    summary = report["summary"]
    scanned = sum(f["messages"] or 0 for f in report["folders"] if f["scanned"])
    # Every message of every scanned folder is accounted for, once.
    assert scanned == (
        len(report["messages"])
        + summary["duplicates"]
        + summary["unreadable"]
        + summary["drafts"]
        + summary["after_as_of"]
        + summary["outbound"]
    )
    roles = {folder["name"]: folder["role"] for folder in report["folders"]}
    assert "sent" in roles.values()
    assert not any(f["scanned"] for f in report["folders"] if f["role"] in ("trash", "junk"))
    # Read-only: every flag (\Recent included), UIDVALIDITY and HIGHESTMODSEQ unchanged.
    assert dovecot.snapshot_state(user) == before


def test_identities_detected_from_sent_without_me(dovecot: DovecotServer) -> None:
    box = generate(8, "french")
    user = load(dovecot, box)
    _, report, _ = run_cli(dovecot, user, "--as-of", box.as_of.isoformat())
    assert box.owner[0] in report["identities_detected"]
    outcome = score(report, box.truth, messages_without_id(box))
    assert not outcome.violations, outcome.explain()


@pytest.mark.corpora
@pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora is absent")
def test_real_corpora_loaded_into_dovecot_are_all_accounted_for(dovecot: DovecotServer) -> None:
    folders: dict[str, list[Appended]] = {}
    for path in mail_files():
        corpus = path.relative_to(CORPORA).parts[0]
        for chunk in split_messages(path.read_bytes()):
            body = chunk.partition(b"\n")[2] if chunk.startswith(b"From ") else chunk
            if body.strip():
                folders.setdefault(corpus, []).append(Appended(body))
    user = dovecot.add_user(dovecot.unique_name("corpora"), "pw-Corp-1!", ["INBOX", *folders])
    loaded = sum(len(dovecot.append_many(user, name, items)) for name, items in folders.items())
    before = dovecot.snapshot_state(user)
    now = datetime.now(UTC).isoformat()
    code, report, stderr = run_cli(
        dovecot, user, "--as-of", now, "--me", "owner@jolis-pots.example"
    )
    assert "Traceback" not in stderr
    summary = report["summary"]
    accounted = (
        len(report["messages"])
        + summary["duplicates"]
        + summary["unreadable"]
        + summary["drafts"]
        + summary["after_as_of"]
        + summary["outbound"]
    )
    assert accounted == loaded, (accounted, loaded)
    assert code == (1 if summary["overdue"] else 0)
    assert dovecot.snapshot_state(user) == before


CUSTOMER_ASKS = b"""\
From: Marie Dupont <marie@example.fr>
To: owner@shop.example
Subject: Devis atelier
Message-ID: <devis-1@example.fr>
Date: Mon, 3 Nov 2025 09:00:00 +0100
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Bonjour, pourriez-vous m'envoyer un devis pour l'atelier ?
"""

# Passed on to the accountant, the subject kept (Outlook's "Forward as attachment" habit,
# or a person who erased "TR :"): In-Reply-To names the customer's message all the same.
OWNER_FORWARDS = b"""\
From: Owner <owner@shop.example>
To: compta@cabinet.example
Subject: Devis atelier
Message-ID: <fwd-1@shop.example>
In-Reply-To: <devis-1@example.fr>
Date: Mon, 3 Nov 2025 10:00:00 +0100
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

LS0tLS0tLS0tLSBGb3J3YXJkZWQgbWVzc2FnZSAtLS0tLS0tLS0KRnJvbTogTWFyaWUgRHVwb250
IDxtYXJpZUBleGFtcGxlLmZyPgpTdWJqZWN0OiBEZXZpcyBhdGVsaWVyCgpCb25qb3VyLCBwb3Vy
cmllei12b3VzIG0nZW52b3llciB1biBkZXZpcyBwb3VyIGwnYXRlbGllciA/Cg==
--b1--
"""

# flufl.bounce's simple_20, shortened: a gateway answering under the subject it bounces.
GATEWAY_REPORT = b"""\
From: dsi.spi-internet@banque.example
To: owner@shop.example
Subject: RE: Votre commande : non remis
 (delivery failed)
Message-ID: <ndr-1@banque.example>
Date: Mon, 3 Nov 2025 11:00:00 +0100
Content-Type: text/plain; charset=US-ASCII

***********************************************
Votre message n'a pas pu etre delivre a
duke@ald.banque.example

***********************************************
Your message could not be delivered to
duke@ald.banque.example
"""


def test_body_signs_read_over_imap(dovecot: DovecotServer) -> None:
    # The start of each text, fetched read-only, tells a forward without "Fwd:" from a reply
    # and a delivery report from a person.
    user = dovecot.add_user(dovecot.unique_name("body"), "pw-Body-42!", ["INBOX", "Sent"])
    day = datetime(2025, 11, 3, 8, tzinfo=UTC)
    dovecot.append_many(user, "INBOX", [Appended(CUSTOMER_ASKS, internal_date=day)])
    dovecot.append_many(user, "INBOX", [Appended(GATEWAY_REPORT, internal_date=day)])
    dovecot.append_many(user, "Sent", [Appended(OWNER_FORWARDS, internal_date=day)])
    before = dovecot.snapshot_state(user)
    as_of = "2025-11-10T12:00:00+00:00"
    _, report, _ = run_cli(dovecot, user, "--as-of", as_of, "--me", "owner@shop.example")
    found = {m["message_id"]: m for m in report["messages"]}
    assert found["devis-1@example.fr"]["status"] == "overdue"
    assert found["devis-1@example.fr"]["reply"] is None
    assert found["ndr-1@banque.example"]["reason"] == "bounce"
    assert dovecot.snapshot_state(user) == before
