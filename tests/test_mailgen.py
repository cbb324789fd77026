"""The mailbox generator itself: deterministic, parseable, and its truth self-consistent."""

from __future__ import annotations

import filecmp
import mailbox
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from functools import cache
from pathlib import Path

import pytest

from inbox_audit.model import Reason
from tests.mailgen import (
    CUSTOMER_STATUSES,
    LAYOUTS,
    SKIPPED_FOLDER,
    GeneratedMailbox,
    GenMessage,
    encode_words,
    generate,
    imap_utf7,
    maildir_folder,
    reply_subject,
    summarize,
    write_maildir,
)

ROOT = Path(__file__).resolve().parents[1]
SKIPPED = {
    "plain": {"Drafts", "Trash", "Junk"},
    "gmail": {"[Gmail]/Drafts", "[Gmail]/Trash", "[Gmail]/Spam"},
    "french": {"Brouillons", "Corbeille", "Indésirables"},
}
CASES = [(seed, layout) for seed in (1, 2, 3, 11) for layout in LAYOUTS]


@cache
def box_for(seed: int, layout: str) -> GeneratedMailbox:
    return generate(seed, layout)


@cache  # the same bytes are parsed by several tests; nothing mutates the result
def parse(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def first_copies(box: GeneratedMailbox) -> Iterator[tuple[GenMessage, EmailMessage]]:
    """One copy of each logical message, parsed."""
    seen: set[str] = set()
    for copy in box.messages:
        if copy.key not in seen:
            seen.add(copy.key)
            yield copy, parse(copy.data)


def addresses(message: EmailMessage, *names: str) -> set[str]:
    values = [str(v) for name in names for v in message.get_all(name, [])]
    return {email.lower() for _, email in getaddresses(values) if email}


def sender(message: EmailMessage) -> str:
    found = addresses(message, "From")
    assert len(found) == 1, message["From"]
    return found.pop()


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("layout", LAYOUTS)
def test_same_seed_same_bytes(layout: str) -> None:
    assert generate(5, layout) == generate(5, layout)


def test_different_seeds_differ() -> None:
    assert generate(1, "plain").messages != generate(2, "plain").messages


def test_layouts_share_one_logical_mailbox() -> None:
    plain, gmail, french = (box_for(1, layout) for layout in LAYOUTS)
    assert plain.truth == gmail.truth == french.truth
    assert {m.data for m in plain.messages if m.folder == "INBOX"} == {
        m.data for m in gmail.messages if m.folder == "INBOX"
    }


def test_unknown_layout_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown layout"):
        generate(1, "exchange")


# --------------------------------------------------------------------------- well-formed mail


@pytest.mark.parametrize(("seed", "layout"), CASES)
def test_every_message_parses_cleanly(seed: int, layout: str) -> None:
    box = box_for(seed, layout)
    for copy in box.messages:
        assert b"\n" not in copy.data.replace(b"\r\n", b""), "bare LF"
        assert all(len(line) <= 998 for line in copy.data.split(b"\r\n"))
        head = copy.data.split(b"\r\n\r\n", 1)[0]
        assert head.isascii(), "raw 8-bit header"
        message = parse(copy.data)
        assert not message.defects, (copy.key, message.defects)
        for name in ("From", "To", "Cc", "Reply-To", "Subject", "Date"):
            for value in message.get_all(name, []):
                assert not value.defects, (copy.key, name, value.defects)
        if copy.message_id is None:
            assert message["Message-ID"] is None
            assert message["X-Gen-Key"] == copy.key
        else:
            # Exchange folds its long Message-IDs onto a continuation line, as here.
            assert str(message["Message-ID"]).strip() == f"<{copy.message_id}>"
        assert copy.internal_date.tzinfo is not None
        assert box.as_of - timedelta(days=31) <= copy.internal_date <= box.as_of
        sender(message)  # exactly one From address


@pytest.mark.parametrize("layout", LAYOUTS)
def test_message_ids_are_unique(layout: str) -> None:
    box = box_for(1, layout)
    ids = [m.message_id for m, _ in first_copies(box) if m.message_id is not None]
    assert len(ids) == len(set(ids))
    assert set(box.truth) == {m.key for m in box.messages}


def test_encoded_words_round_trip() -> None:
    for text in ("Élodie Lefèvre", "Réservation du 12 décembre", "Ça coûte 20 €" * 6):
        for charset, encoding in (("utf-8", "B"), ("utf-8", "Q"), ("iso-8859-1", "Q")):
            encoded = encode_words(text, charset, encoding)
            assert all(len(word) <= 75 for word in encoded.split(" "))
            message = parse(f"Subject: {encoded}\r\n\r\n".encode())
            assert message["Subject"] == text


def test_reply_prefixes_stack_like_mail_clients() -> None:
    assert reply_subject("Devis", "RE : ", stack=False) == "RE : Devis"
    assert reply_subject("Re: Devis", "Re: ", stack=False) == "Re: Devis"
    assert reply_subject("Re: Devis", "RE: ", stack=False) == "Re: Devis"
    assert reply_subject("Re: Devis", "AW: ", stack=False) == "AW: Re: Devis"
    assert reply_subject("Re: Devis", "Re: ", stack=True) == "Re: Re: Devis"


# --------------------------------------------------------------------------- truth


@pytest.mark.parametrize(("seed", "layout"), CASES)
def test_truth_is_consistent(seed: int, layout: str) -> None:
    box = box_for(seed, layout)
    owner = set(box.owner)
    copies = {m.key: m for m in box.messages}
    parsed = {m.key: p for m, p in first_copies(box)}
    reasons = {r.value for r in Reason}
    for key, truth in box.truth.items():
        message, copy = parsed[key], copies[key]
        folders = {m.folder for m in box.copies(key)}
        from_me = sender(message) in owner
        if truth.status in CUSTOMER_STATUSES:
            assert not from_me
            assert not folders & SKIPPED[layout]
            assert truth.reason_kind is None
        if truth.status == "answered" and truth.reply_message_id is not None:
            reply, reply_copy = parsed[truth.reply_message_id], copies[truth.reply_message_id]
            assert sender(reply) in owner
            assert truth.latency_seconds == int(
                (reply_copy.internal_date - copy.internal_date).total_seconds()
            )
            assert truth.latency_seconds > 0
            reply_folders = {m.folder for m in box.copies(truth.reply_message_id)}
            assert not reply_folders <= SKIPPED[layout]
            customer = addresses(message, "From", "Reply-To")
            assert customer & addresses(reply, "To", "Cc"), "reply not addressed to the customer"
        elif truth.status == "answered":
            assert truth.latency_seconds is None
            assert "\\Answered" in copy.flags
        elif truth.status in ("pending", "overdue"):
            age = box.as_of - copy.internal_date
            assert (age < box.sla) == (truth.status == "pending")
            assert "\\Answered" not in copy.flags
            assert truth.reply_message_id is None
        elif truth.status == "not_customer":
            assert truth.reason_kind in reasons
        else:
            assert truth.status is None
            if truth.reason_kind == SKIPPED_FOLDER:
                visible = folders - SKIPPED[layout]
                assert folders & SKIPPED[layout]
                # Gmail shows drafts in All Mail too, flagged \Draft.
                assert not visible or (visible == {"[Gmail]/All Mail"} and "\\Draft" in copy.flags)
            else:
                assert truth.reason_kind is None
                assert from_me


@pytest.mark.parametrize(("seed", "layout"), CASES)
def test_one_reply_answers_every_earlier_waiting_message(seed: int, layout: str) -> None:
    """No customer message is answered by a reply older than itself, and replies are real."""
    box = box_for(seed, layout)
    outbound = {k for k, t in box.truth.items() if t.status is None}
    for truth in box.truth.values():
        if truth.reply_message_id is not None:
            assert truth.reply_message_id in outbound


def test_small_mailbox_and_short_sla() -> None:
    box = generate(4, "plain", customers=5, sla=timedelta(hours=4))
    statuses = {t.status for t in box.truth.values()}
    assert {"answered", "pending", "overdue", "not_customer"} <= statuses
    for copy in box.messages:
        truth = box.truth[copy.key]
        if truth.status in ("pending", "overdue"):
            age = box.as_of - copy.internal_date
            assert (age < timedelta(hours=4)) == (truth.status == "pending")


def test_as_of_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        generate(1, "plain", as_of=datetime(2026, 11, 20, 9))  # noqa: DTZ001 - the point


# --------------------------------------------------------------------------- scenarios promised


@pytest.mark.parametrize("seed", [1, 2, 3, 11])
def test_scenarios_are_all_present(seed: int) -> None:
    box = box_for(seed, "plain")
    seen: dict[str, int] = {}

    def mark(name: str) -> None:
        seen[name] = seen.get(name, 0) + 1

    owner = set(box.owner)
    raw = {m.key: m.data for m in box.messages}
    customers = {
        sender(message)
        for copy, message in first_copies(box)
        if box.truth[copy.key].status in CUSTOMER_STATUSES
    }
    for copy, message in first_copies(box):
        truth = box.truth[copy.key]
        subject = str(message["Subject"] or "").strip()
        data = raw[copy.key]
        header_names = {name.lower() for name in message}
        if truth.status in CUSTOMER_STATUSES:
            if message["Date"] is None:
                mark("no date")
            else:
                shift = parsedate_to_datetime(str(message["Date"])) - copy.internal_date
                if shift < -timedelta(days=365):
                    mark("clock years behind")
                if shift > timedelta(days=300):
                    mark("clock in the future")
            if copy.message_id is None:
                mark("no message-id")
            if '"' in str(message["From"]) or "," in str(message["From"]).split("<")[0]:
                mark("comma in display name")
            if any(c.isupper() for c in sender(message)) or b"@Wanadoo" in data:
                mark("upper-case address")
            if any(c.isupper() for c in str(message["From"]).split("<")[-1]):
                mark("upper-case address")
            if message["Reply-To"] is not None:
                mark("reply-to")
            if "x-auto-response-suppress" in header_names:
                mark("x-auto-response-suppress on customer mail")
            if subject.startswith(("AW: ", "SV: ", "Antw: ")):
                mark("foreign prefix")
            if truth.status == "answered" and truth.latency_seconds is None:
                mark("answered flag without copy")
        if subject.startswith(("RE : ", "TR : ", "Réf : ")):
            mark("french outlook/notes prefix")
        if truth.status is None and sender(message) in owner:
            forward = subject.startswith(("Fwd: ", "TR : ", "FW: "))
            if forward and not addresses(message, "To", "Cc") & customers:
                mark("forward to colleague")
            if "\\Draft" in copy.flags:
                mark("draft")
            if copy.folder == "INBOX":
                mark("reply found in INBOX")
        if "thread-index" in header_names:
            mark("thread-index")
        if b"?Q?" in data:
            mark("rfc2047 Q")
        if b"?B?" in data:
            mark("rfc2047 B")
        if b"ISO-8859-1" in data or b"iso-8859-1" in data:
            mark("iso-8859-1")
        if re.match(r"((re|aw|sv|antw|réf)\s?:\s*){2,}", subject, re.IGNORECASE):
            mark("prefix stack")
        if truth.status == "not_customer":
            mark(f"reason {truth.reason_kind}")
            if message["Return-Path"] == "<>":
                mark("empty return-path")
        if truth.reason_kind == SKIPPED_FOLDER and copy.folder in ("Trash", "Junk"):
            mark(f"skipped {copy.folder}")
    # A reply without threading headers that still answers its customer message.
    for truth in box.truth.values():
        if truth.reply_message_id:
            reply = parse(raw[truth.reply_message_id])
            if reply["In-Reply-To"] is None and reply["References"] is None:
                mark("answered by unthreaded reply")
    # Two different customers, the same bare subject, only one answered.
    by_subject: dict[str, list[tuple[str, str | None]]] = {}
    for copy, message in first_copies(box):
        truth = box.truth[copy.key]
        if truth.status in CUSTOMER_STATUSES:
            entry = (sender(message), truth.status)
            by_subject.setdefault(str(message["Subject"]).strip(), []).append(entry)
    for subject, entries in by_subject.items():
        people = {person for person, _ in entries}
        statuses = {status for _, status in entries}
        bare = subject in ("Devis", "Question", "Commande") and len(people) >= 2
        if bare and "answered" in statuses and statuses & {"pending", "overdue"}:
            mark("same subject, other customer unanswered")
    expected = {
        "no date", "clock years behind", "clock in the future", "no message-id",
        "comma in display name", "upper-case address", "reply-to",
        "x-auto-response-suppress on customer mail", "foreign prefix",
        "answered flag without copy", "french outlook/notes prefix",
        "forward to colleague", "draft", "reply found in INBOX", "thread-index", "rfc2047 Q",
        "rfc2047 B", "iso-8859-1", "reason mailing_list", "reason bulk", "reason noreply_sender",
        "reason auto_submitted", "reason auto_reply", "reason bounce", "reason receipt",
        "reason calendar", "reason from_me", "reason spam", "empty return-path", "skipped Trash",
        "skipped Junk", "answered by unthreaded reply", "prefix stack",
        "same subject, other customer unanswered",
    }  # fmt: skip
    assert expected <= set(seen), sorted(expected - set(seen))


def test_statuses_cover_every_outcome() -> None:
    counts = summarize(box_for(1, "plain"))
    for name in ("answered", "answered_late", "pending", "overdue", "answered_by_flag_only"):
        assert counts.get(name, 0) >= 1, name
    assert counts["overdue"] >= 8
    assert counts["pending"] >= 4


# --------------------------------------------------------------------------- layouts


def test_gmail_copies_everything_but_spam_and_trash_to_all_mail() -> None:
    box = box_for(1, "gmail")
    all_mail = {m.key: m for m in box.messages if m.folder == "[Gmail]/All Mail"}
    for copy in box.messages:
        if copy.folder in ("[Gmail]/Spam", "[Gmail]/Trash"):
            assert copy.key not in all_mail
        else:
            assert all_mail[copy.key].data == copy.data
            assert all_mail[copy.key].flags == copy.flags
    assert any(m.folder == "[Gmail]/Sent Mail" for m in box.messages)
    assert any(m.folder.startswith("Clients/") for m in box.messages)
    assert not any(m.folder in ("Sent", "Drafts", "Trash", "Envoyés") for m in box.messages)


def test_french_layout_uses_french_names() -> None:
    box = box_for(1, "french")
    assert {"INBOX", "Envoyés", "Brouillons", "Corbeille", "Indésirables", "Archives"} <= set(
        box.folders()
    )
    used = {m.folder for m in box.messages}
    assert {"Envoyés", "Archives/Clients", "Corbeille", "Indésirables"} <= used
    assert not used & {"Sent", "Drafts", "Trash", "Junk", "Archive", "[Gmail]/All Mail"}


def test_plain_layout_has_client_folders_and_replies_outside_sent() -> None:
    box = box_for(1, "plain")
    assert any(f.startswith("Clients/") for f in box.folders())
    reply_folders = {
        m.folder
        for m in box.messages
        if any(t.reply_message_id == m.key for t in box.truth.values())
    }
    assert "Sent" in reply_folders
    assert reply_folders - {"Sent"}, "some replies should be found outside Sent"


# --------------------------------------------------------------------------- Maildir++


def test_imap_utf7() -> None:
    assert imap_utf7("Envoyés") == "Envoy&AOk-s"
    assert imap_utf7("Indésirables") == "Ind&AOk-sirables"
    assert imap_utf7("[Gmail]/All Mail") == "[Gmail]/All Mail"
    assert imap_utf7("A&B") == "A&-B"
    assert imap_utf7("日本語") == "&ZeVnLIqe-"  # RFC 3501 §5.1.3's own example


def test_write_maildir(tmp_path: Path) -> None:
    box = box_for(2, "french")
    write_maildir(box, tmp_path)
    assert maildir_folder("Envoyés") == ".Envoy&AOk-s"
    assert (tmp_path / ".Envoy&AOk-s" / "maildirfolder").exists()
    assert (tmp_path / ".Archives.Clients" / "cur").is_dir()
    store = mailbox.Maildir(tmp_path, create=False)
    assert len(store) == sum(1 for m in box.messages if m.folder == "INBOX")
    for folder in box.folders():
        directory = tmp_path / maildir_folder(folder) if maildir_folder(folder) else tmp_path
        files = sorted((directory / "cur").iterdir())
        expected = [m for m in box.messages if m.folder == folder]
        assert len(files) == len(expected)
        for path in files:
            stamp = int(path.name.split(".")[0])
            assert int(path.stat().st_mtime) == stamp
            assert b"\r\n" not in path.read_bytes()
    # Flags survive in the names: \Seen → S, \Answered → R.
    answered = [m for m in box.messages if m.flags == ("\\Answered", "\\Seen")]
    assert answered
    assert any(p.name.endswith(":2,RS") for p in tmp_path.glob("**/cur/*"))


def test_write_maildir_is_deterministic(tmp_path: Path) -> None:
    box = box_for(3, "gmail")
    write_maildir(box, tmp_path / "a")
    write_maildir(box, tmp_path / "b")
    comparison = filecmp.dircmp(tmp_path / "a", tmp_path / "b")
    assert not comparison.diff_files and not comparison.left_only and not comparison.right_only
    assert (tmp_path / "a" / ".[Gmail].All Mail" / "cur").is_dir()


# --------------------------------------------------------------------------- the demo


def test_demo_store_is_what_the_script_writes(tmp_path: Path) -> None:
    """demo/ is committed: it must be exactly what scripts/make_demo.py produces."""
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_demo.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    committed = ROOT / "demo"
    # Files only: git keeps no empty directory (new/, tmp/), and readers do without them.
    made = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    kept = {p.relative_to(committed) for p in committed.rglob("*") if p.is_file()}
    assert kept == made, "demo/ is stale: run python3 scripts/make_demo.py"
    for relative in sorted(made):
        assert (tmp_path / relative).read_bytes() == (committed / relative).read_bytes(), (
            f"demo/{relative} is stale: run python3 scripts/make_demo.py"
        )


def test_demo_truth_reads_like_a_shop() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_demo
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    box = make_demo.build()
    assert 50 <= len({m.key for m in box.messages}) <= 90
    counts = summarize(box)
    assert counts["overdue"] >= 3 and counts["pending"] >= 2 and counts["answered_late"] >= 1
    assert box.as_of == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert box.owner == ("claire@atelier-lumiere.fr", "contact@atelier-lumiere.fr")
