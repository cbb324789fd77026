"""The incremental cache against a real Dovecot: after every change to the mailbox, an audit
through the cache prints exactly the report of a cold (--no-cache) audit."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from inbox_audit.model import ListedFolder
from inbox_audit.sources.imap import ImapSource
from inbox_audit.sources.spec import Examine
from inbox_audit.sources.wire import BufferedIMAP4, Inbound
from tests.audits import load
from tests.dovecot import DovecotServer, MailUser
from tests.mailgen import GeneratedMailbox, generate
from tests.store.builders import Spy, invoke, text_audit


def audit(
    dovecot: DovecotServer, user: MailUser, box: GeneratedMailbox, *args: str, code: int = 0
) -> tuple[dict[str, Any], str]:
    result = invoke(dovecot, user, box, "json", *args)
    if code == 0:
        assert result.exit_code in (0, 1), result.stderr + repr(result.exception)
        return json.loads(result.stdout), result.stderr
    assert result.exit_code == code, result.stderr + repr(result.exception)
    return {}, result.stderr


def assert_same_as_cold(
    dovecot: DovecotServer, user: MailUser, box: GeneratedMailbox
) -> tuple[dict[str, Any], str]:
    incremental, stderr = audit(dovecot, user, box)
    cold, _ = audit(dovecot, user, box, "--no-cache")
    assert incremental == cold
    return incremental, stderr


def cache_files() -> list[Path]:
    return sorted((Path(os.environ["XDG_CACHE_HOME"]) / "inbox-audit").glob("*"))


def add_mail(
    dovecot: DovecotServer,
    user: MailUser,
    folder: str,
    box: GeneratedMailbox,
    n: int,
    subject: str,
    **headers: str,
) -> int:
    """Append a customer message (or, with From given, a reply) sent 2 hours before as_of;
    returns its UID."""
    when = box.as_of - timedelta(hours=2, minutes=-n)
    return dovecot.append(user, folder, mail(box, when, n, subject, **headers), [], when)


def mail(box: GeneratedMailbox, sent: datetime, n: int, subject: str, **headers: str) -> bytes:
    when = sent.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    fields = {
        "From": f"Client {n} <client{n}@customer.example>",
        "To": box.owner[0],
        "Subject": subject,
        "Date": when,
        "Message-ID": f"<sync-{n}@customer.example>",
        **headers,
    }
    head = "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    return (head + "\r\nHello, a question about my order.\r\n").encode()


@pytest.fixture(params=[True, False], ids=["condstore", "no-condstore"])
def condstore(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    if not request.param:
        # A server without CONDSTORE: no HIGHESTMODSEQ, so flags are swept every run.
        monkeypatch.setattr(ImapSource, "condstore", property(lambda self: False))
    return bool(request.param)


def test_incremental_report_equals_cold_after_each_change(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch, condstore: bool
) -> None:
    box = generate(11, "plain", customers=15)
    user = load(dovecot, box)
    spy = Spy(monkeypatch)

    # First run: everything is fetched and cached.
    report, stderr = assert_same_as_cold(dovecot, user, box)
    assert "warning" not in stderr
    assert report["messages"]
    assert len(cache_files()) == 1

    # Nothing changed: nothing is fetched (with CONDSTORE, no folder is even opened).
    assert len(spy.fetched) == sum(f["messages"] or 0 for f in report["folders"] if f["scanned"])
    spy.reset()
    assert_same_as_cold(dovecot, user, box)
    assert spy.fetched == []
    if condstore:
        assert spy.examined == []

    def step() -> list[tuple[str, int]]:
        """Cached then cold audits, same reports; what the cached run fetched. The cached
        Markdown run re-audits only what changed (ledger.py); JSON lists every message, so
        its run audits everything from the cache."""
        spy.reset()
        short = text_audit(dovecot, user, box, "markdown")
        fetched = list(spy.fetched)
        assert short == text_audit(dovecot, user, box, "markdown", "--no-cache")
        incremental, _ = audit(dovecot, user, box)
        cold, _ = audit(dovecot, user, box, "--no-cache")
        assert incremental == cold
        return fetched

    # New mail from a customer.
    new_uid = add_mail(dovecot, user, "INBOX", box, 1, "Devis pour 40 bols")
    assert step() == [("INBOX", new_uid)]

    # My reply to it, in Sent.
    reply_uid = add_mail(
        dovecot,
        user,
        "Sent",
        box,
        30,
        "Re: Devis pour 40 bols",
        From=box.owner[0],
        To="client1@customer.example",
        **{"In-Reply-To": "<sync-1@customer.example>", "Message-ID": "<sync-reply@shop.example>"},
    )
    assert step() == [("Sent", reply_uid)]

    # \Answered set on a customer message whose reply copy is not in the mailbox.
    unanswered = add_mail(dovecot, user, "INBOX", box, 2, "Livraison en retard ?")
    before, _ = audit(dovecot, user, box)
    waiting = [m for m in before["messages"] if m["uid"] == unanswered and m["folder"] == "INBOX"]
    assert waiting and waiting[0]["status"] != "answered"
    dovecot.store_flags(user, "INBOX", unanswered, ["\\Answered"])
    assert step() == []
    after, _ = audit(dovecot, user, box)
    flagged = [m for m in after["messages"] if m["uid"] == unanswered and m["folder"] == "INBOX"]
    assert flagged[0]["status"] == "answered"

    # A message moved to Archive: expunged from INBOX, new in Archive.
    dovecot.move(user, "INBOX", new_uid, "Archive")
    archived = dovecot.uids(user, "Archive")[-1]
    assert step() == [("Archive", archived)]

    # A message deleted for good.
    dovecot.expunge(user, "INBOX", dovecot.uids(user, "INBOX")[0])
    assert step() == []

    # Sent deleted and recreated: a new UIDVALIDITY, the folder is read again with a warning.
    sent = len(dovecot.uids(user, "Sent"))
    dovecot.recreate_folder(user, "Sent")
    spy.reset()
    result = invoke(dovecot, user, box, "markdown", "--timezone", "Europe/Paris")
    assert "UIDVALIDITY" in result.stderr and "'Sent'" in result.stderr
    assert [folder for folder, _ in spy.fetched] == ["Sent"] * sent
    assert f"exit {result.exit_code}\n{result.stdout}" == text_audit(
        dovecot, user, box, "markdown", "--no-cache"
    )
    incremental, _ = audit(dovecot, user, box)
    cold, _ = audit(dovecot, user, box, "--no-cache")
    assert incremental == cold

    # Read-only all along: the audits changed no flag, UIDVALIDITY or modseq.
    state = dovecot.snapshot_state(user)
    audit(dovecot, user, box)
    assert dovecot.snapshot_state(user) == state


def test_a_killed_run_leaves_a_cache_the_next_run_completes(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = generate(12, "plain", customers=15)
    user = load(dovecot, box)
    spy = Spy(monkeypatch)

    # Killed in the middle of the first run's second folder.
    inbox = len(dovecot.uids(user, "INBOX"))
    spy.fail_after = inbox + 3
    _, stderr = audit(dovecot, user, box, code=4)
    assert "simulated" in stderr
    assert_same_as_cold(dovecot, user, box)

    # Killed while fetching new mail of an already cached folder.
    for n in range(10):
        add_mail(dovecot, user, "INBOX", box, 10 + n, f"Commande {n}")
    spy.reset()
    spy.fail_after = 4
    audit(dovecot, user, box, code=4)
    spy.reset()
    assert_same_as_cold(dovecot, user, box)
    assert len([f for f in spy.fetched if f[0] == "INBOX"]) >= 10


def test_a_corrupt_cache_is_set_aside_and_rebuilt(dovecot: DovecotServer) -> None:
    box = generate(13, "plain", customers=8)
    user = load(dovecot, box)
    assert_same_as_cold(dovecot, user, box)
    [path] = cache_files()
    # One cache per user, host AND port: test servers on random ports must not share one.
    assert path.name == f"{user.name}@{dovecot.host}_{dovecot.imaps_port}.sqlite"

    path.write_bytes(b"this is not a database" * 100)
    report, stderr = assert_same_as_cold(dovecot, user, box)
    assert "unusable" in stderr
    names = [p.name for p in cache_files()]
    assert path.name in names
    assert any(n.startswith(path.name + ".unusable-") for n in names)

    # One damaged row (a disk error, a foreign tool): found while loading, set aside too.
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE messages SET data = x'00ff17' WHERE uid = (SELECT MIN(uid) FROM messages)"
        )
    db.close()
    again, stderr = audit(dovecot, user, box)
    assert "unusable" in stderr
    assert again == report

    # Written by a future version: set aside too.
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.close()
    again, stderr = audit(dovecot, user, box)
    assert "cache format 99" in stderr
    assert again == report


def test_no_cache_writes_nothing(dovecot: DovecotServer) -> None:
    box = generate(14, "plain", customers=5)
    user = load(dovecot, box)
    audit(dovecot, user, box, "--no-cache")
    assert not (Path(os.environ["XDG_CACHE_HOME"]) / "inbox-audit").exists()


class Paths:
    """How each cached run got its report: "full" (audit_examined), "incremental"
    (incremental.update) or "redated" (neither: the snapshot)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import inbox_audit.core.audit
        import inbox_audit.store.incremental

        self.taken: list[str] = []
        real_audit = inbox_audit.core.audit.audit_examined
        real_update = inbox_audit.store.incremental.update

        def full(*args: Any, **kwargs: Any) -> Any:
            self.taken.append("full")
            return real_audit(*args, **kwargs)

        def update(*args: Any, **kwargs: Any) -> Any:
            found = real_update(*args, **kwargs)
            if found is not None:
                self.taken.append("incremental")
            return found

        monkeypatch.setattr(inbox_audit.core.audit, "audit_examined", full)
        monkeypatch.setattr(inbox_audit.store.incremental, "update", update)

    def cached(
        self, dovecot: DovecotServer, user: MailUser, box: GeneratedMailbox, fmt: str, *args: str
    ) -> str:
        """How a cached run got its report, checked identical to a cold audit's."""
        self.taken.clear()
        cached = text_audit(dovecot, user, box, fmt, *args)
        path = self.taken[0] if self.taken else "redated"
        assert cached == text_audit(dovecot, user, box, fmt, "--no-cache", *args)
        return path


def test_an_unchanged_mailbox_is_redated_not_audited_again(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch, condstore: bool
) -> None:
    """The nightly shortcut: no new mail, no flag changed, so the last audit's snapshot is
    re-dated, and the output is the full audit's, in every short format, at later moments too.
    Any change to the mail drops the snapshot: the conversations it touches are audited
    again (ledger.py), and the output is still the full audit's."""
    box = generate(15, "gmail", customers=20)
    user = load(dovecot, box)
    paths = Paths(monkeypatch)

    def cached_path(fmt: str, *args: str) -> str:
        return paths.cached(dovecot, user, box, fmt, *args)

    assert cached_path("markdown") == "full"  # builds the cache and the snapshot
    assert cached_path("markdown") == "redated"
    assert cached_path("table", "--show-replies") == "redated"
    assert cached_path("summary") == "redated"
    # Later moments (the next nights), across the SLA of waiting messages.
    for hours in (3, 20, 26, 49):
        moment = (box.as_of + timedelta(hours=hours)).isoformat()
        assert cached_path("markdown", "--as-of", moment) == "redated"
    # Another SLA shapes the audit: a full audit, whose snapshot then serves.
    assert cached_path("summary", "--sla", "4h") == "full"
    assert cached_path("summary", "--sla", "4h") == "redated"
    # JSON lists every message: always a full audit.
    paths.taken.clear()
    audit(dovecot, user, box)
    assert paths.taken == ["full"]

    # A flag changed: the mail changed, the snapshot is gone; the thread is audited again.
    inbox = dovecot.uids(user, "INBOX")
    dovecot.store_flags(user, "INBOX", inbox[-1], ["\\Answered"])
    assert cached_path("markdown") == "incremental"
    assert cached_path("markdown") == "redated"
    # New mail.
    add_mail(dovecot, user, "INBOX", box, 40, "Une question sur ma commande")
    assert cached_path("markdown") == "incremental"
    assert cached_path("markdown") == "redated"
    # Mail deleted.
    dovecot.expunge(user, "INBOX", inbox[0])
    assert cached_path("summary") == "incremental"
    assert cached_path("markdown") == "redated"


class RoundTrips:
    """Counts a run's round trips: a write that follows a read waited for the server; writes
    in a row (pipelined commands) count once. The LOGOUT written last counts too."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self.read = False
        real_send, real_check = BufferedIMAP4.send, Inbound.check
        trips = self

        def send(imap: BufferedIMAP4, data: bytes) -> None:
            if trips.read:
                trips.count += 1
                trips.read = False
            real_send(imap, data)

        def check(inbound: Inbound) -> socket.socket:
            trips.read = True
            return real_check(inbound)

        monkeypatch.setattr(BufferedIMAP4, "send", send)
        monkeypatch.setattr(Inbound, "check", check)

    def of(self, run: Callable[[], object]) -> int:
        self.count, self.read = 0, False
        run()
        return self.count


def with_client_folders(
    dovecot: DovecotServer, count: int
) -> tuple[GeneratedMailbox, MailUser, list[str]]:
    """A small generated mailbox plus `count` folders "Clients/Cnn", one question in each."""
    box = generate(16, "plain", customers=10)
    user = load(dovecot, box)
    extra = [f"Clients/C{n:02d}" for n in range(count)]
    for n, folder in enumerate(extra):
        dovecot.create_folder(user, folder)
        add_mail(dovecot, user, folder, box, 100 + n, f"Question {n}")
    return box, user, extra


def test_round_trips_grow_with_the_changed_folders_only(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    box, user, extra = with_client_folders(dovecot, 22)
    assert len(dovecot.list_folders(user)) == 30
    trips = RoundTrips(monkeypatch)

    def run(*args: str) -> Callable[[], object]:
        return lambda: text_audit(dovecot, user, box, "markdown", *args)

    # Login, the folders with their STATUS (LIST-STATUS), every folder opened and fetched
    # (EXAMINE, SEARCH and FETCH; each folder comes whole in that first batch, so the next
    # one's are sent with it: all in one write), LOGOUT. Not one round trip for each of the
    # 26 folders read (less Drafts, Trash, Junk and Clients, \Noselect).
    cold = trips.of(run("--no-cache"))
    assert cold <= 4
    assert trips.of(run()) == cold  # the first run, building the cache
    # Nothing new: login, the folders with their STATUS, LOGOUT (not waited for).
    assert trips.of(run()) <= 3
    # New mail in 3 folders: each one's new mail comes whole in its first batch (fewer new
    # UIDs than a batch, by STATUS), so the changed folders' openings all go in one write.
    for n, folder in enumerate(["INBOX", extra[0], extra[1]]):
        add_mail(dovecot, user, folder, box, 200 + n, f"Order {n}")
    nightly = trips.of(run())
    assert nightly <= 4
    for n, folder in enumerate([extra[2], extra[3], extra[4], extra[5], extra[6], "INBOX"]):
        add_mail(dovecot, user, folder, box, 210 + n, f"Order {n}")
    assert trips.of(run()) == nightly  # not one more for each changed folder
    # Without LIST-STATUS, every STATUS goes in one write: one round trip more.
    real_list = ImapSource.list_folders

    def plain_list(source: ImapSource) -> list[ListedFolder]:
        source._capabilities -= {"LIST-STATUS"}
        return real_list(source)

    monkeypatch.setattr(ImapSource, "list_folders", plain_list)
    assert trips.of(run()) <= 4
    assert trips.of(run("--no-cache")) <= 5


def test_the_first_run_keeps_the_ledger_the_first_night_with_new_mail_uses(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first run fetches everything and keeps the ledger too: the first nightly run that
    finds mail changed audits only what changed (a ledger left to that run would cost it a
    full audit, a fifth of a first run). Every later change is incremental."""
    box = generate(17, "plain", customers=20)
    user = load(dovecot, box)
    paths = Paths(monkeypatch)
    spy = Spy(monkeypatch)

    def kept() -> tuple[int, int, int]:
        """The ledgers (totals), the copies booked and the copies cached in the cache file."""
        [path] = cache_files()
        with sqlite3.connect(path) as db:
            counts = [
                db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("ledger_state", "ledger", "messages")
            ]
        db.close()
        return counts[0], counts[1], counts[2]

    assert paths.cached(dovecot, user, box, "summary") == "full"
    ledgers, booked, cached = kept()
    assert (ledgers, booked) == (1, cached) and cached > 0
    assert paths.cached(dovecot, user, box, "summary") == "redated"

    new_uid = add_mail(dovecot, user, "INBOX", box, 50, "Une question sur ma commande")
    spy.reset()
    assert paths.cached(dovecot, user, box, "summary") == "incremental"
    assert spy.fetched == [("INBOX", new_uid)]  # only the new message is fetched
    assert kept() == (1, cached + 1, cached + 1)

    add_mail(dovecot, user, "INBOX", box, 51, "Re: Une question sur ma commande")
    assert paths.cached(dovecot, user, box, "summary") == "incremental"
    assert paths.cached(dovecot, user, box, "markdown") == "redated"
    dovecot.store_flags(user, "INBOX", new_uid, ["\\Answered"])
    assert paths.cached(dovecot, user, box, "markdown") == "incremental"


def test_a_folder_deleted_before_its_examine_sent_ahead_is_reported_alone(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder deleted between LIST and its EXAMINE, sent ahead in the middle of the
    folders' pipelined openings: the first run reports it and reads the rest, as a cold
    audit that opens one folder at a time does."""
    box, user, extra = with_client_folders(dovecot, 6)
    gone = extra[3]
    real_plan = ImapSource.plan

    def delete_then(ahead: bool) -> None:
        def plan(source: ImapSource, steps: Sequence[str | Examine]) -> None:
            dovecot.delete_folder(user, gone)  # after LIST and STATUS, before any EXAMINE
            if ahead:
                real_plan(source, steps)

        monkeypatch.setattr(ImapSource, "plan", plan)

    delete_then(ahead=False)
    one_by_one, _ = audit(dovecot, user, box, "--no-cache")
    dovecot.create_folder(user, gone)  # as it was (Dovecot then lists it elsewhere)
    add_mail(dovecot, user, gone, box, 103, "Question 3")
    delete_then(ahead=True)
    first_run, _ = audit(dovecot, user, box)
    for report in (first_run, one_by_one):
        report["folders"].sort(key=lambda folder: folder["name"])
    assert first_run == one_by_one
    [problem] = first_run["problems"]
    assert problem.startswith(f"folder {gone!r} could not be read")
    read = {message["folder"] for message in first_run["messages"]}
    assert gone not in read
    assert {"INBOX", *extra} - {gone} <= read


def cached_rows() -> list[tuple[Any, ...]]:
    """Every message row and folder state of the one cache file."""
    [path] = cache_files()
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT * FROM messages ORDER BY folder, uid").fetchall()
        rows += db.execute("SELECT * FROM folders ORDER BY name").fetchall()
    db.close()
    return rows


def test_changed_folders_read_chained_or_one_by_one_cache_the_same(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """New mail in three folders and, in each, a message the last run failed to fetch (a UID
    below the first batch, wanted once the next folder's opening went out behind it): the
    chained nightly run examines the folder again and fetches it, and caches exactly what a
    run that opens one folder at a time does; both report as a cold audit."""
    box, user, extra = with_client_folders(dovecot, 4)
    changed = ["INBOX", extra[1], extra[2]]
    audit(dovecot, user, box)  # the first run: the cache
    [path] = cache_files()
    retried: list[tuple[str, int]] = []
    with sqlite3.connect(path) as db:
        for folder in changed:
            [uid] = db.execute(
                "SELECT MIN(uid) FROM messages WHERE folder = ?", (folder,)
            ).fetchone()
            db.execute("UPDATE messages SET retry = 1 WHERE folder = ? AND uid = ?", (folder, uid))
            retried.append((folder, uid))
    db.close()
    for n, folder in enumerate(changed):
        add_mail(dovecot, user, folder, box, 200 + n, f"Order {n}")
    before = tmp_path / "before.sqlite"
    before.write_bytes(path.read_bytes())
    spy = Spy(monkeypatch)
    reopened: list[str] = []
    real_reopen = ImapSource._reopen

    def reopen(source: ImapSource, folder: str, *args: Any) -> None:
        reopened.append(folder)
        real_reopen(source, folder, *args)

    monkeypatch.setattr(ImapSource, "_reopen", reopen)

    chained, _ = assert_same_as_cold(dovecot, user, box)
    assert set(retried) <= set(spy.fetched)
    assert len(reopened) >= len(changed) - 1  # all but the last had the next one's sent
    rows = cached_rows()
    assert all(row[5] == 0 for row in rows if len(row) == 6)  # nothing left to fetch again

    path.write_bytes(before.read_bytes())
    real_plan = ImapSource.plan
    monkeypatch.setattr(ImapSource, "plan", lambda source, steps: real_plan(source, []))
    spy.reset()
    reopened.clear()
    one_by_one, _ = audit(dovecot, user, box)
    assert set(retried) <= set(spy.fetched)
    assert not reopened
    assert one_by_one == chained
    assert cached_rows() == rows
