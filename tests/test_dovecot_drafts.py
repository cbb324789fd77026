"""--save-drafts against a real Dovecot: drafts that thread, once, and nothing else touched."""

from __future__ import annotations

import email
import email.policy
import shutil
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from tests.audits import run_cli
from tests.dovecot import Appended, DovecotServer, MailUser, start_server

AS_OF = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
HOSTILE_SUBJECT = "=?utf-8?q?Devis=0D=0ABcc:_x@evil.example?= <b>urgent</b>"


def customer(
    n: int,
    *,
    name: str = "Marie Dupont",
    subject: str = "Devis pour une table",
    to: str = "Atelier <shop@example.fr>",
    extra: str = "",
) -> bytes:
    return (
        f"From: {name} <client{n}@example.com>\r\n"
        f"To: {to}\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <c{n}.req@example.com>\r\n"
        f"References: <c{n}.root@example.com>\r\n"
        f"In-Reply-To: <c{n}.root@example.com>\r\n"
        f"Date: Mon, 16 Nov 2026 10:00:00 +0100\r\n"
        f"{extra}"
        f"\r\nBonjour, combien pour une table ?\r\n"
    ).encode()


def sent(n: int, subject: str = "Re: Hello", date: str = "Mon, 3 Aug 2026") -> bytes:
    return (
        f"From: Claire Martin <shop@example.fr>\r\n"
        f"To: someone{n}@example.net\r\n"
        f"Subject: {subject} {n}\r\n"
        f"Message-ID: <s{n}@example.fr>\r\n"
        f"Date: {date} 10:00:00 +0100\r\n"
        f"\r\nMerci.\r\n"
    ).encode()


def mailbox(dovecot: DovecotServer, layout: str = "plain") -> tuple[MailUser, str]:
    """An account with 2 overdue customers, one pending, a Sent folder signed Claire, and a
    quote sent a week ago that awaits the other side's reply (a follow-up)."""
    user = dovecot.add_user(dovecot.unique_name("drafts"), "pw-Drafts-1!", layout)
    sent_folder = "[Gmail]/Sent Mail" if layout == "gmail" else "Sent"
    day = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    dovecot.append_many(
        user,
        "INBOX",
        [
            Appended(customer(1), ("\\Seen",), day),
            Appended(
                customer(2, name="Contact form", extra="Reply-To: Paul <paul@example.org>\r\n"),
                (),
                day,
            ),
            Appended(customer(3, subject="Question"), (), AS_OF - timedelta(hours=2)),
        ],
    )
    old = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)  # long before: awaits nothing any more
    sent_mail = [Appended(sent(n), ("\\Seen",), old) for n in (1, 2)]
    quote = sent(9, "Votre devis", "Tue, 10 Nov 2026")
    sent_mail.append(Appended(quote, ("\\Seen",), datetime(2026, 11, 10, 9, 0, tzinfo=UTC)))
    dovecot.append_many(user, sent_folder, sent_mail)
    return user, "[Gmail]/Drafts" if layout == "gmail" else "Drafts"


def answer_every_customer(dovecot: DovecotServer, user: MailUser) -> None:
    """The owner's replies to the three customers, in Sent, as of AS_OF."""
    replies = [
        (
            f"From: Claire Martin <shop@example.fr>\r\nTo: client{n}@example.com\r\n"
            f"Subject: Re: x\r\nMessage-ID: <r{n}@example.fr>\r\n"
            f"In-Reply-To: <c{n}.req@example.com>\r\n"
            f"Date: Fri, 20 Nov 2026 08:00:00 +0100\r\n\r\nVoici.\r\n"
        ).encode()
        for n in (1, 2, 3)
    ]
    dovecot.append_many(user, "Sent", [Appended(r, ("\\Seen",), AS_OF) for r in replies])


def audit(
    dovecot: DovecotServer, user: MailUser, state: Path, *args: str
) -> tuple[int, dict[str, Any], str]:
    """The CLI's JSON audit as of AS_OF, the shop's address as --me, the state in `state`."""
    me = ("--me", "shop@example.fr")
    return run_cli(
        dovecot, user, "--as-of", AS_OF.isoformat(), *me, "--state-dir", str(state), *args
    )


def client(dovecot: DovecotServer, user: MailUser) -> IMAPClient:
    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    imap = IMAPClient(dovecot.host, port=dovecot.imaps_port, ssl_context=context)
    imap.login(user.name, user.password)
    return imap


def drafts_in(dovecot: DovecotServer, user: MailUser, folder: str) -> dict[int, Any]:
    """uid -> (flags, parsed message), read by a real client library and the email parser."""
    with client(dovecot, user) as imap:
        imap.select_folder(folder, readonly=True)
        fetched = imap.fetch(imap.search("ALL"), ["FLAGS", "BODY.PEEK[]"])
    return {
        uid: (
            set(data[b"FLAGS"]) - {b"\\Recent"},
            email.message_from_bytes(data[b"BODY[]"], policy=email.policy.default),
        )
        for uid, data in fetched.items()
    }


def others(state: dict[str, Any], folder: str) -> dict[str, Any]:
    return {name: value for name, value in state.items() if name != folder}


@pytest.mark.parametrize("layout", ["plain", "gmail"])
def test_drafts_thread_once_and_nothing_else_changes(
    dovecot: DovecotServer, tmp_path: Path, layout: str
) -> None:
    user, folder = mailbox(dovecot, layout)
    before = dovecot.snapshot_state(user)
    # Without the flag, nothing at all changes: not even Drafts.
    _, report, _ = audit(dovecot, user, tmp_path)
    assert dovecot.snapshot_state(user) == before
    assert report["summary"]["overdue"] == 2 and report["summary"]["pending"] == 1

    _, _, stderr = audit(dovecot, user, tmp_path, "--save-drafts")
    assert "3 new drafts saved" in stderr
    after = dovecot.snapshot_state(user)
    assert others(after, folder) == others(before, folder)  # flags, HIGHESTMODSEQ, UIDVALIDITY
    drafts = drafts_in(dovecot, user, folder)
    assert len(drafts) == 3
    by_to = {
        message["To"].addresses[0].addr_spec: (flags, message) for flags, message in drafts.values()
    }
    # Reply-To wins; the quote awaiting its answer gets a follow-up.
    assert set(by_to) == {"client1@example.com", "paul@example.org", "someone9@example.net"}
    _, follow_up = by_to["someone9@example.net"]
    assert follow_up["In-Reply-To"] == "<s9@example.fr>"
    assert follow_up["References"] == "<s9@example.fr>"
    assert follow_up["Subject"] == "Re: Votre devis 9"
    assert "revenir vers vous" in follow_up.get_body(("plain",)).get_content()
    flags, marie = by_to["client1@example.com"]
    assert flags == {b"\\Draft", b"\\Seen"}
    assert marie["From"].addresses[0].display_name == "Claire Martin"
    assert marie["From"].addresses[0].addr_spec == "shop@example.fr"
    assert marie["Subject"] == "Re: Devis pour une table"
    # Threading: In-Reply-To is the customer's Message-ID, References ends with it.
    assert marie["In-Reply-To"] == "<c1.req@example.com>"
    assert marie["References"].split() == ["<c1.root@example.com>", "<c1.req@example.com>"]
    assert marie["Message-ID"].startswith("<") and marie["Date"] is not None
    body = marie.get_body(("plain",))
    assert body["Content-Transfer-Encoding"] == "quoted-printable"
    assert body.get_content_charset() == "utf-8"
    assert "Bonjour Marie," in body.get_content() and "excuses" in body.get_content()

    # A second run adds none.
    _, _, stderr = audit(dovecot, user, tmp_path, "--save-drafts")
    assert "0 new drafts saved" in stderr
    assert drafts_in(dovecot, user, folder).keys() == drafts.keys()
    assert others(dovecot.snapshot_state(user), folder) == others(before, folder)


def test_edited_deleted_and_answered_drafts(dovecot: DovecotServer, tmp_path: Path) -> None:
    user, folder = mailbox(dovecot)
    audit(dovecot, user, tmp_path, "--save-drafts-all")
    drafts = drafts_in(dovecot, user, folder)
    assert len(drafts) == 4  # pending too, and the follow-up
    uid_of = {m["To"].addresses[0].addr_spec: uid for uid, (_, m) in drafts.items()}

    # The owner edits Marie's draft as clients do: a modified copy appended, the original
    # deleted; and deletes Paul's.
    _, original = drafts[uid_of["client1@example.com"]]
    edited = original.as_bytes().replace(b"Bonjour Marie", b"Salut Marie")
    with client(dovecot, user) as imap:
        imap.append(folder, edited, ["\\Draft", "\\Seen"])
        imap.select_folder(folder)
        imap.add_flags([uid_of["client1@example.com"], uid_of["paul@example.org"]], ["\\Deleted"])
        imap.uid_expunge([uid_of["client1@example.com"], uid_of["paul@example.org"]])
    kept = drafts_in(dovecot, user, folder)

    _, _, stderr = audit(dovecot, user, tmp_path, "--save-drafts-all")
    assert "0 new drafts saved" in stderr, stderr
    assert drafts_in(dovecot, user, folder).keys() == kept.keys()  # neither re-created

    # Now every thread is answered: the untouched draft (client3's) goes; the edited stays.
    answer_every_customer(dovecot, user)
    before = dovecot.snapshot_state(user)
    _, report, stderr = audit(dovecot, user, tmp_path, "--save-drafts-all")
    assert report["summary"]["overdue"] == 0, stderr
    assert "1 draft of an answered thread removed" in stderr
    left = {m["To"].addresses[0].addr_spec: m for _, m in drafts_in(dovecot, user, folder).values()}
    # The edited one stays, and so does the follow-up: that quote still awaits its answer.
    assert sorted(left) == ["client1@example.com", "someone9@example.net"]
    assert "Salut Marie" in left["client1@example.com"].get_body(("plain",)).get_content()
    assert others(dovecot.snapshot_state(user), folder) == others(before, folder)


def test_hostile_names_and_subjects_inject_no_header(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    user = dovecot.add_user(dovecot.unique_name("hostile"), "pw-Hostile-1!", "plain")
    hostile = [
        # An encoded word that decodes to CR LF and a Bcc in the name and the subject.
        customer(
            1,
            name="=?utf-8?q?Eve=0D=0ABcc:_victim@evil.example?=",
            subject="=?utf-8?q?Devis=0D=0ABcc:_x@evil.example?=",
        ),
        customer(2, name='"Mallory <script>" ', subject=HOSTILE_SUBJECT),
        customer(3, name="=?utf-8?b?" + "RXZlDQpYLUluamVjdGVkOiB5ZXM=" + "?="),
        # Encoded words that decode to text looking like an encoded word of CR LF + header.
        customer(
            4,
            name="=?utf-8?q?=3D=3Futf-8=3Fq=3F=3D0D=3D0AX-Injected:_1=3F=3D?=",
            subject="=?utf-8?q?=3D=3Futf-8=3Fq=3F=3D0D=3D0ABcc:_x@evil.example=3F=3D?=",
        ),
    ]
    day = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    dovecot.append_many(user, "INBOX", [Appended(m, (), day) for m in hostile])
    audit(dovecot, user, tmp_path, "--save-drafts")
    drafts = drafts_in(dovecot, user, "Drafts")
    assert len(drafts) == 4
    for _, message in drafts.values():
        names = [name.lower() for name in message]
        assert "bcc" not in names and "x-injected" not in names
        assert len(names) == len(set(names))
        assert len(message["To"].addresses) == 1
        assert "\n" not in str(message["Subject"]) and "\r" not in str(message["To"])
    subjects = sorted(str(m["Subject"]) for _, m in drafts.values())
    assert "Re: Devis Bcc: x@evil.example" in subjects


def test_dry_run_writes_nothing_and_shows_the_drafts(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    user, _ = mailbox(dovecot)
    before = dovecot.snapshot_state(user)
    _, _, stderr = audit(dovecot, user, tmp_path, "--save-drafts", "--dry-run")
    assert "3 drafts would be saved in 'Drafts'" in stderr
    assert "In-Reply-To: <c1.req@example.com>" in stderr
    assert dovecot.snapshot_state(user) == before


def test_a_drafts_folder_that_refuses_the_append_is_a_warning(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    user, folder = mailbox(dovecot)
    maildir = dovecot.root / "home" / user.name / "Maildir" / folder
    if not maildir.is_dir():
        pytest.skip(f"no maildir at {maildir}")
    for sub in ("tmp", "new", "cur"):
        (maildir / sub).chmod(0o555)
    try:
        before = dovecot.snapshot_state(user)
        code, report, stderr = audit(dovecot, user, tmp_path, "--save-drafts")
    finally:
        for sub in ("tmp", "new", "cur"):
            (maildir / sub).chmod(0o700)
    assert code == 1 and report["summary"]["overdue"] == 2  # the audit is complete
    assert f"warning: the draft could not be saved in {folder!r}" in stderr
    assert "0 new drafts saved" in stderr
    assert dovecot.snapshot_state(user) == before


class _WithoutUidplus(DovecotServer):
    """Dovecot advertising its usual capabilities but UIDPLUS (RFC 4315)."""

    def _config(self, internal: tuple[str, str], login: tuple[str, str]) -> str:
        capabilities = (
            "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT LITERAL+ MULTIAPPEND "
            "UNSELECT CHILDREN NAMESPACE LIST-EXTENDED CONDSTORE ESEARCH LIST-STATUS MOVE "
            "SPECIAL-USE"
        )
        config = super()._config(internal, login)
        return config.replace(
            "protocol imap {", f"protocol imap {{\n  imap_capability = {capabilities}"
        )


@pytest.fixture(scope="module")
def without_uidplus(dovecot: DovecotServer) -> Iterator[DovecotServer]:
    server = start_server(_WithoutUidplus, "dovecot-no-uidplus")
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


def test_without_uidplus_a_stale_draft_is_left_and_said(
    without_uidplus: DovecotServer, tmp_path: Path
) -> None:
    server = without_uidplus
    user, folder = mailbox(server)
    with client(server, user) as imap:
        assert b"UIDPLUS" not in imap.capabilities()
    _, _, stderr = audit(server, user, tmp_path, "--save-drafts")
    assert "3 new drafts saved" in stderr
    drafts = drafts_in(server, user, folder)
    answer_every_customer(server, user)
    before = server.snapshot_state(user)
    code, report, stderr = audit(server, user, tmp_path, "--save-drafts")
    assert code == 0 and report["summary"]["overdue"] == 0
    assert "the server has no UIDPLUS" in stderr and "delete them yourself" in stderr
    assert drafts_in(server, user, folder).keys() == drafts.keys()
    assert server.snapshot_state(user) == before
