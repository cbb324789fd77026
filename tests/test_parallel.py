"""Reading a mailbox over two connections (parallel.py): the same Collected as one reader,
whatever the helper process does; and the rows it hands messages back in (rows.py)."""

from __future__ import annotations

import dataclasses
import io
import marshal
import mmap
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest

from inbox_audit import classify as classify_module
from inbox_audit import parallel, rows
from inbox_audit.audit import Collected, audit, collect
from inbox_audit.classify import ClassifyAll, classify_all
from inbox_audit.errors import ConnectionFailed, FolderNotFound
from inbox_audit.headers import parse_message
from inbox_audit.imap_source import ImapSource
from inbox_audit.model import (
    Address,
    AuditReport,
    Folder,
    FolderRole,
    Message,
    RawMessage,
    Reason,
)
from inbox_audit.render import json_around, json_halves, json_message_list, render_json
from inbox_audit.settings import Settings
from tests.builders import make_message
from tests.dovecot import Appended, DovecotServer, MailUser
from tests.mailgen import DEFAULT_AS_OF, generate
from tests.test_dovecot_audit import load, run_cli
from tests.test_render import make_report

AS_OF = "2026-03-02T09:00:00+00:00"

# --------------------------------------------------------------------------------- the plan


class _Listing:
    """Just what plan() asks a source: the UIDs of the folder it cuts."""

    def __init__(self, uids: dict[str, list[int]]) -> None:
        self.uids = uids
        self.examined: list[str] = []

    def examine(self, folder: str) -> tuple[int, list[int]]:
        self.examined.append(folder)
        if folder not in self.uids:
            raise FolderNotFound(f"no folder {folder!r}")
        return 1, self.uids[folder]


def _folder(name: str, count: int | None, scanned: bool = True) -> Folder:
    return Folder(name, FolderRole.OTHER, scanned, count)


def _plan(
    folders: Sequence[Folder], uids: dict[str, list[int]], split_at: int | None = 1
) -> tuple[list[parallel.Piece], list[parallel.Piece], list[str]]:
    source = _Listing(uids)
    ours, theirs = parallel.plan(cast(ImapSource, source), folders, split_at)
    return ours, theirs, source.examined


def test_plan_cuts_the_folder_across_the_middle_by_uid() -> None:
    folders = [_folder("A", 30), _folder("Trash", 500, scanned=False), _folder("B", 60)]
    b_uids = list(range(100, 160))
    ours, theirs, examined = _plan(folders, {"B": b_uids})
    # 90 messages: 45 each; A's 30 and B's first 15 UIDs here, B's other 45 in the helper.
    assert ours == [parallel.Piece("A"), parallel.Piece("B", tuple(b_uids[:15]))]
    assert theirs == [parallel.Piece("B", tuple(b_uids[15:]))]
    assert examined == ["B"]


def test_plan_cuts_at_a_folder_boundary_without_asking_for_uids() -> None:
    folders = [_folder("A", 50), _folder("B", 20), _folder("C", 30)]
    ours, theirs, examined = _plan(folders, {})
    assert ours == [parallel.Piece("A")]
    assert theirs == [parallel.Piece("B"), parallel.Piece("C")]
    assert examined == []


def test_plan_keeps_small_mailboxes_and_no_fork_in_one_process() -> None:
    folders = [_folder("A", 50), _folder("B", None), _folder("C", 30)]
    for split_at in (81, None):
        ours, theirs, examined = _plan(folders, {}, split_at)
        assert ours == [parallel.Piece("A"), parallel.Piece("B"), parallel.Piece("C")]
        assert (theirs, examined) == ([], [])


def test_plan_leaves_a_folder_gone_meanwhile_to_the_reading() -> None:
    ours, theirs, examined = _plan([_folder("A", 10), _folder("Gone", 30)], {})
    assert ours == [parallel.Piece("A"), parallel.Piece("Gone")]
    assert theirs == []
    assert examined == ["Gone"]


# ---------------------------------------------------------------------------------- the rows


def _odd_messages() -> list[Message]:
    paris = timezone(timedelta(hours=1))
    someone = Address("a@example.com", "Ann \u00e9 \U0001f600")
    base = Message(
        folder="Clients/\u00c9t\u00e9",
        uid=7,
        message_id="x@y",
        in_reply_to=("p@q",),
        references=("r@s", "p@q"),
        from_=someone,
        reply_to=(someone, Address("b@example.com", "")),
        to=(Address("me@shop.fr", "Me"),),
        cc=(),
        subject="Re: \u00e7a \x00 \ud800",  # lone surrogate: marshal keeps what str holds
        date=datetime(2026, 2, 1, 10, 0, tzinfo=UTC),
        received_at=datetime(2026, 2, 1, 10, 0, 1, 5, tzinfo=UTC),  # microseconds
        internal_date=datetime(2026, 2, 1, 11, 0, tzinfo=paris),  # not UTC
        flags=frozenset({"\\Seen", "$Label1"}),
        conversation_id="gm:123",
        auto_headers=(("list-id", "<l.example>"), ("precedence", "bulk")),
        language_hints=("fr",),
    )
    bare = Message(
        folder="INBOX",
        uid=1,
        message_id=None,
        in_reply_to=(),
        references=(),
        from_=None,
        reply_to=(),
        to=(),
        cc=(),
        subject="",
        date=None,
        received_at=None,
        internal_date=datetime(1980, 1, 1, tzinfo=UTC),
        flags=frozenset(),
        conversation_id=None,
    )
    return [base, bare]


def _round_trip(message: Message, addresses: dict[tuple[str, str], Address]) -> Message:
    values = marshal.loads(marshal.dumps(rows.row(message)))
    return rows.message(message.folder, message.uid, message.flags, values, addresses)


def test_rows_give_back_equal_messages() -> None:
    box = generate(3, "gmail")
    messages = _odd_messages() + [
        parse_message(RawMessage(m.folder, i, m.internal_date, frozenset(m.flags), m.data))
        for i, m in enumerate(box.messages)
    ]
    addresses: dict[tuple[str, str], Address] = {}
    for message in messages:
        back = _round_trip(message, addresses)
        assert back == message
        assert repr(back) == repr(message)
        for moment, original in zip(
            (back.date, back.received_at, back.internal_date),
            (message.date, message.received_at, message.internal_date),
            strict=True,
        ):
            assert (moment and moment.utcoffset()) == (original and original.utcoffset())
    # One object per distinct address, however many messages name it.
    assert len({id(a) for a in addresses.values()}) == len(addresses)


def test_rows_refuse_a_time_no_row_holds() -> None:
    values = list(rows.row(_odd_messages()[1]))
    values[10] = 10**15
    with pytest.raises(ValueError):
        rows.message("INBOX", 1, frozenset(), tuple(values), {})


# ------------------------------------------------------------------ against a real Dovecot


def _mailbox(dovecot: DovecotServer) -> MailUser:
    """A generated mailbox in several folders, plus a folder holding a message with no
    header at all (unreadable) between ordinary ones."""
    user = load(dovecot, generate(11, "french", customers=30))
    dovecot.create_folder(user, "Divers")
    ordinary = b"From: a@example.com\r\nSubject: hello\r\nMessage-ID: <d1@x>\r\n\r\nhi\r\n"
    dovecot.append_many(
        user,
        "Divers",
        [
            Appended(ordinary, (), None),
            Appended(b"\r\nno header at all\r\n", (), None),
            Appended(ordinary.replace(b"d1@x", b"d2@x"), ("\\Seen",), None),
        ],
    )
    return user


def _collect_both(
    dovecot: DovecotServer,
    user: MailUser,
    monkeypatch: pytest.MonkeyPatch,
    progress: Callable[[str, int, int], None] | None = None,
    connect: Callable[[], ImapSource] | None = None,
) -> tuple[Collected, Collected, ClassifyAll]:
    """(one reader's Collected, two readers' Collected, their way to classify) of the same
    mailbox; the helper logs in with `connect` when given."""
    target, options = dovecot.target(user), dovecot.options(user)
    settings = Settings()
    with ImapSource.connect(target, options) as source:
        alone = collect(source, "box", settings)
    monkeypatch.setattr(parallel, "SPLIT_AT", 1)
    with (
        ImapSource.connect(target, options) as source,
        parallel.reading(
            source,
            connect or (lambda: ImapSource.connect(target, options)),
            "box",
            settings,
            progress,
        ) as (split, classify),
    ):
        return alone, split, classify


def _shown(message: Message) -> tuple[str, list[str]]:
    return repr(dataclasses.replace(message, flags=frozenset())), sorted(message.flags)


def _same(alone: Collected, split: Collected) -> None:
    assert split == alone
    # repr too (an equal datetime in another zone would print differently), flags aside:
    # a set's order of iteration depends on how it was built, not on what it holds.
    assert [_shown(m) for m in split.messages] == [_shown(m) for m in alone.messages]
    assert split.unreadable and all("no header" in u.reason for u in split.unreadable)


def test_two_readers_collect_what_one_does(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = _mailbox(dovecot)
    before = dovecot.snapshot_state(user)
    forks: list[parallel.Piece] = []
    start = parallel._Helper.start

    def spied(connect: Any, pieces: list[parallel.Piece]) -> parallel._Helper | None:
        forks.extend(pieces)
        return start(connect, pieces)

    monkeypatch.setattr(parallel._Helper, "start", spied)
    alone, split, _ = _collect_both(dovecot, user, monkeypatch)
    _same(alone, split)
    assert forks, "the helper process was not used"
    # Read-only on both connections: flags (\Recent too), UIDVALIDITY, HIGHESTMODSEQ as before.
    assert dovecot.snapshot_state(user) == before


def test_progress_adds_up_both_halves(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = _mailbox(dovecot)
    shown: dict[str, tuple[int, int]] = {}

    def progress(folder: str, done: int, total: int) -> None:
        assert 0 <= done <= total
        shown[folder] = (done, total)

    alone, split, _ = _collect_both(dovecot, user, monkeypatch, progress)
    _same(alone, split)
    counts = {f.name: f.messages for f in split.folders if f.scanned}
    assert shown == {name: (count, count) for name, count in counts.items()}


def test_a_helper_that_cannot_log_in_leaves_its_half_to_us(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = _mailbox(dovecot)

    def refused() -> ImapSource:
        raise ConnectionFailed("too many connections (simulated)")

    alone, split, classify = _collect_both(dovecot, user, monkeypatch, connect=refused)
    assert classify is classify_all  # no helper to ask
    _same(alone, split)


@pytest.mark.parametrize("how", ["raises", "killed"])
def test_a_helper_that_dies_half_way_leaves_its_half_to_us(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    user = _mailbox(dovecot)
    send = parallel._send_piece

    # In the helper only (it runs after fork): the first piece is written, then it dies.
    def dying(source: ImapSource, piece: parallel.Piece, index: int, *rest: Any) -> None:
        send(source, piece, index, *rest)
        if how == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        raise ConnectionFailed("connection lost (simulated)")

    finished: list[object] = []
    finish = parallel._Helper.finish

    def spied(helper: parallel._Helper, *args: Any) -> Any:
        finished.append(result := finish(helper, *args))
        return result

    monkeypatch.setattr(parallel, "_send_piece", dying)
    monkeypatch.setattr(parallel._Helper, "finish", spied)
    alone, split, _ = _collect_both(dovecot, user, monkeypatch)
    _same(alone, split)
    assert finished == [None]  # its records were thrown away, its half read here


def test_an_interrupted_audit_ends_its_helper(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = _mailbox(dovecot)
    helpers: list[tuple[parallel._Helper, int]] = []
    start = parallel._Helper.start

    def kept(connect: Any, pieces: list[parallel.Piece]) -> parallel._Helper | None:
        helper = start(connect, pieces)
        assert helper is not None and helper._pid is not None
        helpers.append((helper, helper._pid))
        return helper

    class Interrupted(Exception):
        pass

    def progress(folder: str, done: int, total: int) -> None:
        raise Interrupted

    monkeypatch.setattr(parallel._Helper, "start", kept)
    monkeypatch.setattr(parallel, "SPLIT_AT", 1)
    target, options = dovecot.target(user), dovecot.options(user)
    with (
        ImapSource.connect(target, options) as source,
        pytest.raises(Interrupted),
        parallel.reading(
            source, lambda: ImapSource.connect(target, options), "box", Settings(), progress
        ),
    ):
        pass
    [(helper, pid)] = helpers
    assert helper._pid is None  # stopped and waited for
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


# ----------------------------------------------------------- classifying what the helper read


def _classify_both(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch, *, helper_first: bool
) -> tuple[list[Any], list[Any], AuditReport, AuditReport]:
    """Read a mailbox through two readers and classify it through the helper: (the helper's
    way's verdicts, this process's alone, the audits both ways). With
    `helper_first`, this process waits for the helper to end before it meets it (so that
    the helper's verdicts are the ones used, whatever the timing)."""
    user = _mailbox(dovecot)
    target, options = dovecot.target(user), dovecot.options(user)
    monkeypatch.setattr(parallel, "SPLIT_AT", 1)
    monkeypatch.setattr(parallel, "_CHUNK", 3)  # many meetings, even in a small mailbox
    meet = parallel._Helper.meet

    def waiting(helper: parallel._Helper, *args: Any) -> Any:
        if helper_first and helper._pid is not None:
            os.waitpid(helper._pid, 0)
            helper._pid = None
        return meet(helper, *args)

    monkeypatch.setattr(parallel._Helper, "meet", waiting)
    settings = Settings()
    with ImapSource.connect(target, options) as source:
        with parallel.reading(
            source, lambda: ImapSource.connect(target, options), "box", settings
        ) as (collected, classify):
            assert isinstance(classify, parallel._Classifier)
            senders = [m.from_.email for m in collected.messages if m.from_]
            # Some of each kind of message are "mine"; those in Divers are not.
            me = frozenset(senders[::7]) - {"a@example.com"}
            sent = frozenset(
                [f.name for f in collected.folders if f.role is FolderRole.SENT] + ["Divers"]
            )
            # A copy is not one of the objects the helper read: classified here.
            messages = [*collected.messages[::-1], dataclasses.replace(collected.messages[-1])]
            verdicts = classify(messages, me, sent)
            # Asked again, by other addresses: worked out here, not from the first answer.
            assert classify(messages, frozenset(), sent) == classify_all(
                messages, frozenset(), sent
            )
        with parallel.reading(
            source, lambda: ImapSource.connect(target, options), "box", settings
        ) as (again, classify):
            # A day after the last message: every message there, some overdue.
            as_of = max(m.arrived_at for m in again.messages if m.arrived_at) + timedelta(days=1)
            split = audit(again, settings, as_of, classify)
    alone = classify_all(messages, me, sent)
    return verdicts, alone, split, audit(again, settings, as_of)


@pytest.mark.parametrize("helper_first", [True, False])
def test_the_helper_classifies_what_it_read_as_this_process_would(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch, helper_first: bool
) -> None:
    verdicts, alone, split, one = _classify_both(dovecot, monkeypatch, helper_first=helper_first)
    assert verdicts == alone
    assert {reason for reason, _ in alone} >= {None, Reason.FROM_ME, Reason.IN_SENT_FOLDER}
    assert split == one
    assert split.summary.customer_messages and split.summary.outbound


def test_while_the_helper_reads_this_process_works_out_what_it_can(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A helper slow to start its read: meanwhile this process has worked out which of its
    # own messages are surely plain, and its classifying is told so, to the same verdicts.
    read_pieces = parallel._read_pieces

    def slow(*args: Any) -> list[Message]:
        time.sleep(1)
        return read_pieces(*args)

    told: list[list[bool | None]] = []
    classify_all_ = classify_module.classify_all

    def spied(
        messages: Sequence[Message],
        me: frozenset[str],
        sent: frozenset[str],
        plain: Sequence[bool | None] | None = None,
    ) -> list[Any]:
        if plain is not None and os.getpid() == parent:
            told.append(list(plain))
        return classify_all_(messages, me, sent, plain)

    parent = os.getpid()
    monkeypatch.setattr(parallel, "_read_pieces", slow)
    monkeypatch.setattr(classify_module, "classify_all", spied)
    verdicts, alone, split, one = _classify_both(dovecot, monkeypatch, helper_first=True)
    assert verdicts == alone
    assert split == one
    # This process's own messages, and the copy made after the read (not worked out ahead).
    assert told[0].count(None) == 1 and True in told[0] and len(told[0]) > 2


@pytest.mark.parametrize("how", ["dies", "stops early", "garbles"])
def test_a_helper_that_fails_to_classify_leaves_it_to_us(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    answer = parallel._answer

    # In the helper only: it classifies a few messages, then fails in its way.
    def failing(
        read: list[Message], question: int, answered: int, verdicts: int, shared: Any
    ) -> None:
        if how == "dies":
            os.kill(os.getpid(), signal.SIGKILL)
        answer(read[:5], question, answered, verdicts, shared)
        if how == "garbles":
            os.pwrite(verdicts, b"\xff" * len(read), 0)
        raise ConnectionFailed("simulated")

    monkeypatch.setattr(parallel, "_answer", failing)
    verdicts, alone, split, one = _classify_both(dovecot, monkeypatch, helper_first=True)
    assert verdicts == alone
    assert split == one


def _mixed_messages() -> list[Message]:
    """A customer's mail, mine (Sent and elsewhere), a newsletter, a bounce, a stranger in
    Sent: every kind of verdict."""
    return [
        make_message(),
        make_message(from_="Shop <shop@example.com>", folder="Sent", to=("marie@example.fr",)),
        make_message(from_="Shop <shop@example.com>", subject="Absent until Monday",
                     auto_headers=(("auto-submitted", "auto-replied"),)),
        make_message(from_="News <news@brand.example>", auto_headers=(("list-id", "<n.x>"),)),
        make_message(from_="MAILER-DAEMON@mx.example", subject="Undelivered Mail"),
        make_message(from_="Paul <paul@example.org>", folder="Sent"),
    ] * 3  # fmt: skip


@pytest.mark.parametrize("prepared", ["all", "part", "none"])
def test_the_helper_prepares_what_it_can_before_it_is_asked(
    monkeypatch: pytest.MonkeyPatch, prepared: str
) -> None:
    """_answer, run here in a thread: until the question comes it works out which messages
    are surely plain; the verdicts are classify_all's however far it came, and it closes
    its end of the answer pipe after the last one."""
    read = _mixed_messages()
    me, sent = frozenset({"shop@example.com"}), frozenset({"Sent"})
    monkeypatch.setattr(parallel, "_CHUNK", 4)
    done: list[int] = []  # messages prepared
    first_chunk = threading.Event()
    asked = threading.Event()
    surely_plain = classify_module.surely_plain

    def watched(messages: Sequence[Message]) -> list[bool]:
        if prepared == "part" and done:
            first_chunk.set()
            assert asked.wait(10)  # the question comes while it prepares
        found = surely_plain(messages)
        done.append(len(messages))
        return found

    monkeypatch.setattr(classify_module, "surely_plain", watched)
    question, ask = os.pipe()
    answer, answered = os.pipe()
    shared = mmap.mmap(-1, parallel._MEETING)
    with tempfile.TemporaryFile() as verdicts:
        if prepared == "none":
            parallel._put(ask, marshal.dumps((tuple(me), tuple(sent))))
            os.close(ask)
        helper = threading.Thread(
            target=parallel._answer, args=(read, question, answered, verdicts.fileno(), shared)
        )
        helper.start()
        if prepared != "none":
            if prepared == "part":
                assert first_chunk.wait(10)
            else:
                while sum(done) < len(read):
                    time.sleep(0.001)
            parallel._put(ask, marshal.dumps((tuple(me), tuple(sent))))
            os.close(ask)
            asked.set()
        assert os.read(answer, 1) == b""  # closed: every verdict is written
        helper.join(10)
        codes = os.pread(verdicts.fileno(), len(read) + 1, 0)
    for fd in (question, answer):
        os.close(fd)
    # "part": asked during its second chunk, which it finishes, then no more.
    expected = {"all": len(read), "part": 2 * parallel._CHUNK, "none": 0}[prepared]
    assert sum(done) == expected
    assert [parallel._VERDICTS[code] for code in codes] == classify_all(read, me, sent)


def test_cli_cold_audit_through_two_readers_matches_the_cache(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = _mailbox(dovecot)
    monkeypatch.setattr(parallel, "SPLIT_AT", 1)
    started: list[parallel.Ahead | None] = []
    write_ahead = parallel.write_ahead

    def spied(part: Any, out: Any) -> parallel.Ahead | None:
        started.append(ahead := write_ahead(part, out))
        return ahead

    monkeypatch.setattr(parallel, "write_ahead", spied)
    as_of = DEFAULT_AS_OF.isoformat()  # the generated mail's: every message there
    _, cold, _ = run_cli(dovecot, user, "--as-of", as_of, "--no-cache")
    assert len(started) == 1 and started[0] is not None  # its list of messages, written ahead
    _, cached, _ = run_cli(dovecot, user, "--as-of", as_of)  # through the cache, one reader
    assert cold == cached
    assert cold["unreadable"] and cold["messages"] and cold["threads"]


# ------------------------------------------------------------------------ writing in halves


def _text_out() -> tuple[io.TextIOWrapper, io.BytesIO]:
    raw = io.BytesIO()
    return io.TextIOWrapper(raw, encoding="utf-8", newline=""), raw


def _spy_forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    forks: list[int] = []
    real = os.fork

    def fork() -> int:
        pid = real()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    return forks


def test_written_halves_are_the_json_document(monkeypatch: pytest.MonkeyPatch) -> None:
    report = make_report()
    big = dataclasses.replace(report, messages=report.messages * 1500, threads=report.threads * 700)
    forks = _spy_forks(monkeypatch)
    out, raw = _text_out()
    parallel.write_halves(*json_halves(big), out)
    out.flush()
    assert raw.getvalue().decode("utf-8") == render_json(big)
    assert len(forks) == 1


def test_halves_without_a_byte_stream_are_written_here(monkeypatch: pytest.MonkeyPatch) -> None:
    forks = _spy_forks(monkeypatch)
    out = io.StringIO()
    parallel.write_halves(["a", "b"], (piece for piece in ["c", "d"]), out)
    assert out.getvalue() == "abcd"
    assert forks == []


def test_a_half_the_helper_cannot_encode_fails_here_as_one_writer_would() -> None:
    first = ["{", '"ok": 1,']
    second = ['"bad": "\ud800"', "}"]  # a lone surrogate: UTF-8 cannot encode it
    alone, alone_raw = _text_out()
    with pytest.raises(UnicodeEncodeError):
        for piece in [*first, *second]:
            alone.write(piece)
    out, raw = _text_out()
    with pytest.raises(UnicodeEncodeError):
        parallel.write_halves(first, iter(second), out)
    alone.flush()
    out.flush()
    assert raw.getvalue() == alone_raw.getvalue() == b'{"ok": 1,'


def test_a_killed_writer_leaves_its_half_to_us(monkeypatch: pytest.MonkeyPatch) -> None:
    forks = _spy_forks(monkeypatch)
    parent = os.getpid()

    def second() -> Iterator[str]:
        yield "c"
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        yield "d"

    out, raw = _text_out()
    parallel.write_halves(["a", "b"], second(), out)
    out.flush()
    assert raw.getvalue() == b"abcd"
    assert len(forks) == 1


# ------------------------------------------------------------------------ writing ahead


def test_a_part_written_ahead_lands_in_its_place(monkeypatch: pytest.MonkeyPatch) -> None:
    # The message list of a JSON report, started before the rest of it is known (as the CLI
    # does once the audit has its messages), then written around: the whole document.
    report = make_report()
    big = dataclasses.replace(report, messages=report.messages * 1500, threads=report.threads * 700)
    forks = _spy_forks(monkeypatch)
    out, raw = _text_out()
    ahead = parallel.write_ahead(json_message_list(big.messages), out)
    assert ahead is not None and len(forks) == 1
    before, after = json_around(big)
    parallel.write_around(before, ahead, json_message_list(big.messages), after, out)
    out.flush()
    assert raw.getvalue().decode("utf-8") == render_json(big)
    with pytest.raises(ChildProcessError):
        os.waitpid(forks[0], os.WNOHANG)  # reaped


@pytest.mark.parametrize("how", ["killed", "cannot encode"])
def test_a_part_the_helper_fails_to_write_ahead_is_written_here(
    monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    parent = os.getpid()

    def part() -> Iterator[str]:
        yield "c"
        if os.getpid() != parent:
            if how == "killed":
                os.kill(os.getpid(), signal.SIGKILL)
            yield "\ud800"  # a lone surrogate: the helper cannot encode it in UTF-8
        yield "d"

    out, raw = _text_out()
    ahead = parallel.write_ahead(part(), out)
    assert ahead is not None
    parallel.write_around(["a", "b"], ahead, part(), ["e"], out)
    out.flush()
    assert raw.getvalue() == b"abcde"


def test_a_list_started_for_other_messages_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    # What the CLI starts ahead is used only for the very messages of the report it prints.
    from inbox_audit.cli import _ListedAhead

    monkeypatch.setattr(parallel, "SPLIT_AT", 1)
    forks = _spy_forks(monkeypatch)
    report = make_report()
    listed = _ListedAhead()
    listed(list(report.messages))
    assert len(forks) == 1
    assert listed.take([dataclasses.replace(m) for m in report.messages]) is None
    with pytest.raises(ChildProcessError):
        os.waitpid(forks[0], os.WNOHANG)  # ended and reaped
    listed(list(report.messages))
    taken = listed.take(report.messages)
    assert taken is not None
    taken.stop()
    listed.stop()  # nothing left to end
