"""The second core's work, in forked helpers: reading the later half of a big IMAP mailbox
over its own connection and classifying what it read, and writing part of a big JSON
report."""

from __future__ import annotations

import contextlib
import marshal
import mmap
import os
import select
import shutil
import signal
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, TextIO

from inbox_audit import classify, rows
from inbox_audit.audit import Collected, counted_folders, read_folder
from inbox_audit.errors import FolderNotFound
from inbox_audit.gcpause import no_gc_pauses
from inbox_audit.imap_source import ImapSource
from inbox_audit.model import Address, Folder, Message, RawMessage, Reason, Unreadable
from inbox_audit.settings import Settings
from inbox_audit.source import Progress

# A cold audit is CPU-bound in this process: reading the wire and parsing cost ~33 µs a
# message, more than the server's ~20 µs, so the second core is idle part of the time. A
# helper with its own connection fetches and parses half the mail and hands each message
# back for ~5 µs on each side: the read of 100k messages goes from 3.55 to ~3.1 s, both
# cores then busy (docs/performance.md). A helper that only fetched, leaving all parsing
# here, was slower: this process became the bottleneck. Under SPLIT_AT messages, the fork,
# TLS handshake and login cost more than they save.
SPLIT_AT = 5_000

#: Messages per record the helper writes: few writes, and little held before each.
_RECORD = 1_000
_LENGTH = struct.Struct("<I")
_COUNTS = struct.Struct("<qq")  # (done, total + 1) per piece in shared memory; 0: not begun
# After the counts in shared memory, where the two sides of the classifying have come (see
# _Helper.meet), each written by one side only: the helper's count of verdicts written, and
# this process's start + 1 (0: not begun). Native: a word written whole, not byte by byte.
_WORD = struct.Struct("@q")
_MEETING = 2 * _WORD.size
#: Messages classified between two looks at how far the other side has come.
_CHUNK = 256


@dataclass(frozen=True)
class Piece:
    """What one process reads of a folder: every message, or only these UIDs."""

    folder: str
    uids: tuple[int, ...] | None = None


@contextlib.contextmanager
def reading(
    source: ImapSource,
    connect: Callable[[], ImapSource],
    display: str,
    settings: Settings,
    progress: Progress | None = None,
) -> Iterator[tuple[Collected, classify.ClassifyAll]]:
    """What `audit.collect` reads, in the same order, and a way to classify its messages.

    When the mailbox is big and the OS can fork, a helper process logs in with `connect`,
    reads the later half, and stays until the audit classifies: it classifies the messages
    it read (hundreds of milliseconds at 100k messages), meanwhile this process classifies
    the others. Both work out what they can of it ahead, while they wait for each other
    (classify.surely_plain). If the helper fails in any way, this process does its work
    itself.
    """
    helper: _Helper | None = None
    try:
        with no_gc_pauses():
            folders = counted_folders(source, settings)
            ours, theirs = plan(source, folders, SPLIT_AT if _can_fork() else None)
            gathered = _Gathered()
            shown = _Shown(progress)
            helper = _Helper.start(connect, theirs) if theirs else None
            for piece in ours:
                gathered.read(source, piece, shown.ours(helper))
            # The helper reads for a while yet (it hands each message over too): this
            # process's wait is when it works out which of its own are surely plain.
            plain = _SurelyPlain(gathered.messages[:])
            helped = helper.finish(shown.theirs(helper), plain.step) if helper else None
            if helper is not None and helped is None:  # the helper failed: its half is read here
                helper.stop()
                helper = None
                alone = _Shown(progress)
                for piece in theirs:
                    gathered.read(source, piece, alone.ours(None))
            if helped is not None:
                gathered.extend(helped)
            collected = Collected(
                display,
                tuple(folders),
                tuple(gathered.messages),
                tuple(gathered.unreadable),
                tuple(dict.fromkeys(gathered.problems)),  # a split folder gone: said once
            )
        if helper is None or helped is None:
            yield collected, classify.classify_all
        else:
            theirs_read = collected.messages[len(collected.messages) - len(helped.messages) :]
            yield collected, _Classifier(helper, theirs_read, plain.known())
    finally:
        if helper is not None:
            helper.stop()


def plan(
    source: ImapSource, folders: Sequence[Folder], split_at: int | None
) -> tuple[list[Piece], list[Piece]]:
    """This process's pieces and the helper's: the scanned folders in order, cut in two
    halves by message count (the folder across the middle by UID). No helper pieces below
    `split_at` messages, or when it is None."""
    scanned = [f for f in folders if f.scanned]
    total = sum(f.messages or 0 for f in scanned)
    if split_at is None or total < split_at:
        return [Piece(f.name) for f in scanned], []
    half = total // 2
    ours: list[Piece] = []
    theirs: list[Piece] = []
    before = 0  # messages in the folders already planned
    for folder in scanned:
        count = folder.messages or 0
        if before >= half:
            theirs.append(Piece(folder.name))
        elif before + count <= half:
            ours.append(Piece(folder.name))
        else:
            try:
                _, uids = source.examine(folder.name)
            except FolderNotFound:  # gone already: reading it says so, as audit.collect does
                ours.append(Piece(folder.name))
            else:
                cut = half - before
                ours.append(Piece(folder.name, tuple(uids[:cut])))
                theirs.append(Piece(folder.name, tuple(uids[cut:])))
        before += count
    return ours, theirs


def _can_fork() -> bool:
    # fork() is Linux's and macOS's; only Linux is where the scheduled runs happen
    # (schedule.py installs systemd units), and macOS frameworks are not fork-safe.
    return sys.platform == "linux" and hasattr(os, "fork")


def _fetched(
    source: ImapSource, piece: Piece, progress: Progress | None
) -> Iterator[RawMessage | Unreadable]:
    if piece.uids is None:
        yield from source.fetch(piece.folder, progress)
    else:
        source.examine(piece.folder)  # inside the generator: a folder gone is read as one
        yield from source.fetch_uids(piece.folder, piece.uids, progress)


class _Gathered:
    """Messages, unreadable items and problems, in reading order."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.unreadable: list[Unreadable] = []
        self.problems: list[str] = []

    def read(self, source: ImapSource, piece: Piece, progress: Progress | None) -> None:
        read_folder(
            piece.folder,
            _fetched(source, piece, progress),
            self.messages.append,
            self.unreadable.append,
            self.problems,
        )

    def extend(self, other: _Gathered) -> None:
        self.messages.extend(other.messages)
        self.unreadable.extend(other.unreadable)
        self.problems.extend(other.problems)


# --- the helper process ---------------------------------------------------------------------


class _Helper:
    """A forked process reading `pieces` on its own connection. It writes length-prefixed
    marshal records to an unnamed temporary file (no pipe to fill and block on) and its
    progress to shared memory; this process reads the records once its own half is read.
    Then it waits for a question on a pipe: what to classify its messages by (see meet())."""

    def __init__(
        self,
        pid: int,
        files: tuple[IO[bytes], IO[bytes]],
        shared: mmap.mmap,
        pieces: list[Piece],
        pipes: tuple[int, int],
    ):
        self.pieces = pieces
        self._pid: int | None = pid
        self._file, self._verdicts = files
        self._shared = shared
        # Pipes' ends: the question, written here; the answer's end, read here, which the
        # helper closes once it writes no more verdicts (or dies).
        self._question: int | None = pipes[0]
        self._answer: int | None = pipes[1]

    @classmethod
    def start(cls, connect: Callable[[], ImapSource], pieces: list[Piece]) -> _Helper | None:
        """The running helper; None if it could not be started (this process reads all)."""
        files: list[IO[bytes]] = []
        shared: mmap.mmap | None = None
        fds: list[int] = []
        try:
            for _ in range(2):  # the records, the verdicts
                files.append(tempfile.TemporaryFile())  # noqa: SIM115 - closed in stop()
            shared = mmap.mmap(-1, _COUNTS.size * len(pieces) + _MEETING)
            fds.extend(os.pipe())  # the question
            fds.extend(os.pipe())  # the answer
            (records, verdicts), memory = [f.fileno() for f in files], shared
            asked, ask, answer, answered = fds

            def work() -> None:
                for end in (ask, answer):  # this process's ends: the helper must not hold them
                    os.close(end)
                read = _read_pieces(connect, pieces, records, memory)
                _answer(read, asked, answered, verdicts, memory)

            pid = _fork(work)
        except OSError:  # no temporary space, memory, descriptor or process left: one reader
            for fd in fds:
                os.close(fd)
            if shared is not None:
                shared.close()
            for file in files:
                file.close()
            return None
        for end in (asked, answered):  # the helper's ends
            os.close(end)
        return cls(pid, (files[0], files[1]), shared, pieces, (ask, answer))

    def progress(self) -> Iterator[tuple[Piece, int, int]]:
        """(piece, done, total) of each piece the helper has started."""
        for index, piece in enumerate(self.pieces):
            done, begun = _COUNTS.unpack_from(self._shared, index * _COUNTS.size)
            if begun:
                yield piece, done, begun - 1

    def finish(self, report: Callable[[], None], meanwhile: Callable[[], bool]) -> _Gathered | None:
        """Everything the helper read, read back as it writes, once it has written its last
        record; None if it failed before that (exited without it). While no record is there,
        `meanwhile` does a bit of other work (False: none left)."""
        gathered = _Gathered()
        addresses: dict[tuple[str, str], Address] = {}
        flags: dict[tuple[str, ...], frozenset[str]] = {}
        offset = 0
        ended = False
        while True:
            exited = self._exited()  # before reading: what it wrote before exiting is there
            size = os.fstat(self._file.fileno()).st_size
            while offset + _LENGTH.size <= size:
                (length,) = _LENGTH.unpack(os.pread(self._file.fileno(), _LENGTH.size, offset))
                if offset + _LENGTH.size + length > size:
                    break  # written in part so far
                data = os.pread(self._file.fileno(), length, offset + _LENGTH.size)
                offset += _LENGTH.size + length
                ended = _take(marshal.loads(data), gathered, addresses, flags)
            if ended and not exited:
                report()  # its counts as they ended
                return gathered  # it waits for its question now
            if exited:
                # Its last record written, what it read is whole, whatever became of it after
                # (failing to classify leaves that to meet()).
                return gathered if ended else None
            report()
            if not meanwhile():
                time.sleep(0.002)  # the helper is still reading: its next record comes soon

    def ask(self, me: frozenset[str], sent_folders: frozenset[str]) -> None:
        """Have the helper classify what it read, by these addresses and Sent folders, from
        the first message on (see meet())."""
        if self._question is not None:
            question, self._question = self._question, None
            # A helper gone (a broken pipe) does nothing: meet() then does it all here.
            with contextlib.suppress(OSError):
                _put(question, marshal.dumps((tuple(me), tuple(sent_folders))))
            os.close(question)

    def meet(
        self, read: Sequence[Message], me: frozenset[str], sent_folders: frozenset[str]
    ) -> list[classify.Verdict]:
        """The verdicts of `read` (this process's copies of what the helper read, in its
        order), as ask() had them classified. This process classifies from the last back
        until it meets the helper; whatever the helper left undone is done here too. The
        helper has ended after this."""
        stolen: list[list[classify.Verdict]] = []
        end = len(read)
        # How far each has come is only a hint: a stale or torn read of it costs some work
        # done twice or left to the end, never a wrong verdict (the file is what counts).
        while end > _WORD.unpack_from(self._shared, self._meeting)[0]:
            start = max(0, end - _CHUNK)
            stolen.append(classify.classify_all(read[start:end], me, sent_folders))
            end = start
            _WORD.pack_into(self._shared, self._meeting + _WORD.size, end + 1)
        self._answered()  # it stops before its next chunk, or has stopped
        # The helper writes its verdicts in order, from the first: whatever is in the file
        # once it has stopped was written in full, and is the helper's verdict on that message.
        codes = os.pread(self._verdicts.fileno(), end, 0)
        if max(codes, default=0) >= len(_VERDICTS):
            codes = b""  # not what the helper writes: not to be trusted
        head = [_VERDICTS[code] for code in codes]
        # What the helper left undone (it failed, or stopped early on a torn read): done here.
        head += classify.classify_all(read[len(codes) : end], me, sent_folders)
        return head + [verdict for part in reversed(stolen) for verdict in part]

    @property
    def _meeting(self) -> int:
        return _COUNTS.size * len(self.pieces)

    def _answered(self) -> None:
        """Return once the helper writes no more verdicts: it closed its end of the answer
        pipe, done or dead. Not waiting for it to end: a process of 100s of MB takes tens of
        milliseconds to go."""
        if self._answer is not None:
            answer, self._answer = self._answer, None
            _read_to_end(answer)  # it writes nothing there: the end of the pipe is the answer
            os.close(answer)

    def stop(self) -> None:
        """End the helper if it still runs (done, or this process failed or was interrupted)."""
        if self._pid is not None and not self._exited():
            _end(self._pid)
            self._pid = None
        for end in (self._question, self._answer):
            if end is not None:
                os.close(end)
        self._question = self._answer = None
        self._file.close()
        self._verdicts.close()
        self._shared.close()

    def _exited(self) -> bool:
        """Whether the helper has ended (and is reaped)."""
        if self._pid is None:
            return True
        pid, _ = os.waitpid(self._pid, os.WNOHANG)
        if pid == 0:
            return False
        self._pid = None
        return True


class _SurelyPlain:
    """Which of `messages` are surely plain (classify.surely_plain), worked out a chunk at a
    time while this process waits."""

    def __init__(self, messages: list[Message]) -> None:
        self._messages = messages
        self._plain: list[bool] = []

    def step(self) -> bool:
        """Work out one more chunk; False once all are known."""
        done = len(self._plain)
        if done >= len(self._messages):
            return False
        self._plain += classify.surely_plain(self._messages[done : done + _CHUNK])
        return True

    def known(self) -> dict[int, bool]:
        """What is known so far, by message identity."""
        return {id(m): known for m, known in zip(self._messages, self._plain, strict=False)}


class _Classifier:
    """classify.classify_all's verdicts, where the helper classifies the messages it read
    (`theirs`: this process's copies, in the helper's order) while this process classifies
    the others, then meets it in the rest (see _Helper.meet). `plain`: what surely_plain
    said of some of the others, by identity."""

    def __init__(self, helper: _Helper, theirs: Sequence[Message], plain: dict[int, bool]) -> None:
        self._helper: _Helper | None = helper
        self._theirs = theirs
        self._plain = plain

    def __call__(
        self, messages: Sequence[Message], me: frozenset[str], sent_folders: frozenset[str]
    ) -> list[classify.Verdict]:
        helper, self._helper = self._helper, None
        if helper is None:  # asked already: its answer was for those addresses
            return classify.classify_all(messages, me, sent_folders)
        # By identity: these very objects, not equal ones (a copy merged by the audit's
        # de-duplication is classified here, as any message the helper did not read).
        position = {id(m): index for index, m in enumerate(self._theirs)}
        helper.ask(me, sent_folders)
        mine = [m for m in messages if id(m) not in position]
        plain = self._plain
        ours = iter(classify.classify_all(mine, me, sent_folders, [plain.get(id(m)) for m in mine]))
        theirs = helper.meet(self._theirs, me, sent_folders)
        return [
            next(ours) if (index := position.get(id(m))) is None else theirs[index]
            for m in messages
        ]


def _take(
    record: Any,
    into: _Gathered,
    addresses: dict[tuple[str, str], Address],
    flags: dict[tuple[str, ...], frozenset[str]],
) -> bool:
    """Add one helper record to `into`; True for the record that ends the stream."""
    kind, payload = record
    if kind == "messages":
        append = into.messages.append
        for folder, uid, tags, values in payload:
            shared = flags.get(tags)
            if shared is None:
                shared = flags[tags] = frozenset(tags)
            append(rows.message(folder, uid, shared, values, addresses))
    elif kind == "unreadable":
        into.unreadable.extend(Unreadable(*item) for item in payload)
    elif kind == "problem":
        into.problems.append(payload)
    return bool(kind == "end")  # a record is marshal data: Any to mypy


def _fork(work: Callable[[], object]) -> int:
    """os.fork(), the child running `work` only: it exits with 0 once `work` returns, 1 on
    any failure (the parent then does that work itself), and without running anything of the
    parent's (no atexit handlers, no flushing of the stdout buffers it inherited)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends it at once, quietly
            work()
            code = 0
        except BaseException:  # any failure: the exit status says it
            pass
        os._exit(code)
    return pid


def _end(pid: int) -> None:
    """Kill and reap a helper still running: this process failed or was interrupted first."""
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def _read_pieces(
    connect: Callable[[], ImapSource], pieces: list[Piece], fd: int, shared: mmap.mmap
) -> list[Message]:
    """The reading helper's work: every piece's records, then the one that ends them. The
    messages it read, in order."""
    read: list[Message] = []
    with connect() as source:
        for index, piece in enumerate(pieces):
            _send_piece(source, piece, index, fd, shared, read.append)
    _write(fd, ("end", None))
    return read


def _answer(
    read: list[Message], question: int, answered: int, verdicts: int, shared: mmap.mmap
) -> None:
    """The classifying helper's work (see _Helper.meet). Until asked, it works out what it
    can without the owner's addresses (classify.surely_plain). Once asked: the verdict of
    each message read, from the first on, as one byte (its index in _VERDICTS) each, until it
    meets this process's work; then it closes `answered`. No question (the pipe closed
    unwritten): nothing."""
    plain: list[bool | None] = []
    asking = select.poll()  # the question pipe: readable once written (or closed)
    asking.register(question, select.POLLIN)
    while len(plain) < len(read) and not asking.poll(0):
        plain += classify.surely_plain(read[len(plain) : len(plain) + _CHUNK])
    plain += [None] * (len(read) - len(plain))  # asked before the end: classify_all does it
    asked = _read_to_end(question)
    if not asked:
        return
    me, sent_folders = (frozenset(names) for names in marshal.loads(asked))
    meeting = len(shared) - _MEETING
    start = 0
    while True:
        (stop,) = _WORD.unpack_from(shared, meeting + _WORD.size)
        end = min(start + _CHUNK, stop - 1 if stop else len(read))
        if end <= start:
            break
        found = classify.classify_all(read[start:end], me, sent_folders, plain[start:end])
        os.pwrite(verdicts, bytes([_VERDICT_CODES[verdict] for verdict in found]), start)
        start = end
        _WORD.pack_into(shared, meeting, start)
    os.close(answered)  # after the last verdict written: meet() reads the file now


def _read_to_end(fd: int) -> bytes:
    parts = []
    while part := os.read(fd, 1 << 16):
        parts.append(part)
    return b"".join(parts)


def _send_piece(
    source: ImapSource,
    piece: Piece,
    index: int,
    fd: int,
    counts: mmap.mmap,
    kept: Callable[[Message], object],
) -> None:
    messages: list[tuple[Any, ...]] = []
    unreadable: list[tuple[str, int, str]] = []
    problems: list[str] = []

    def keep(message: Message) -> None:
        kept(message)
        messages.append((message.folder, message.uid, tuple(message.flags), rows.row(message)))
        if len(messages) >= _RECORD:
            flush()

    def skip(item: Unreadable) -> None:
        unreadable.append((item.folder, item.uid, item.reason))

    def flush() -> None:
        if messages:
            _write(fd, ("messages", messages))
            messages.clear()
        if unreadable:
            _write(fd, ("unreadable", unreadable))
            unreadable.clear()

    def progress(folder: str, done: int, total: int) -> None:
        _COUNTS.pack_into(counts, index * _COUNTS.size, done, total + 1)

    read_folder(piece.folder, _fetched(source, piece, progress), keep, skip, problems)
    flush()
    for problem in problems:
        _write(fd, ("problem", problem))


def _write(fd: int, record: tuple[str, Any]) -> None:
    data = marshal.dumps(record)
    _put(fd, _LENGTH.pack(len(data)) + data)


def _put(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:  # os.write may write less than asked (a pipe holds 64 KiB)
        view = view[os.write(fd, view) :]


# Each verdict travels as one byte: its index here.
_VERDICTS: tuple[classify.Verdict, ...] = tuple(
    (reason, auto) for reason in (None, *Reason) for auto in (False, True)
)
_VERDICT_CODES = {verdict: code for code, verdict in enumerate(_VERDICTS)}


class _Shown:
    """One progress line per folder, whoever reads it: a folder cut in two shows both
    halves' counts added up."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._counts: dict[tuple[str, bool], tuple[int, int]] = {}

    def ours(self, helper: _Helper | None) -> Progress | None:
        if self._progress is None:
            return None

        def update(folder: str, done: int, total: int) -> None:
            self._show(folder, False, done, total)
            if helper is not None:
                self._helper(helper)

        return update

    def theirs(self, helper: _Helper) -> Callable[[], None]:
        return lambda: self._helper(helper) if self._progress is not None else None

    def _helper(self, helper: _Helper) -> None:
        for piece, done, total in helper.progress():
            if self._counts.get((piece.folder, True)) != (done, total):
                self._show(piece.folder, True, done, total)

    def _show(self, folder: str, helper: bool, done: int, total: int) -> None:
        assert self._progress is not None
        self._counts[(folder, helper)] = (done, total)
        halves = [self._counts.get((folder, side)) for side in (False, True)]
        self._progress(
            folder,
            sum(half[0] for half in halves if half),
            sum(half[1] for half in halves if half),
        )


# --- writing ----------------------------------------------------------------------------------


def write_halves(first: Iterable[str], second: Iterable[str], out: TextIO) -> None:
    """Write the text of `first`, then of `second`, to `out`. A forked helper produces
    `second` meanwhile (write_ahead); if it fails, `second` is produced here."""
    with no_gc_pauses():
        write_around(first, write_ahead(second, out), second, (), out)


def write_around(
    before: Iterable[str],
    ahead: Ahead | None,
    part: Iterable[str],
    after: Iterable[str],
    out: TextIO,
) -> None:
    """Write `before`, `part` and `after` to `out`: `part` as `ahead` produced it (see
    write_ahead), or produced here if that failed or there is no `ahead`. `ahead` is
    ended after this."""
    try:
        _write_all(out, before)
        # Produced while the helper works on `part`, rather than after waiting for it.
        rest = list(after) if ahead is not None else after
        if ahead is None or not ahead.write_into(out):
            _write_all(out, part)
        _write_all(out, rest)
    finally:
        if ahead is not None:
            ahead.stop()


def write_ahead(part: Iterable[str], out: TextIO) -> Ahead | None:
    """Start producing the text of `part` in a forked helper, as bytes in `out`'s encoding,
    while this process goes on with other work; None when no helper can be started (`part`
    is to be written here). `part`'s iterator runs only in the helper's copy of this
    process: here it is still whole, for the case the helper fails."""
    if not _can_fork() or getattr(out, "buffer", None) is None:
        return None
    try:
        file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by Ahead.stop()
    except OSError:  # no temporary space: one writer
        return None
    encoding, errors = out.encoding, out.errors or "strict"
    try:
        pid = _fork(lambda: _encode(part, file, encoding, errors))
    except OSError:
        file.close()
        return None
    return Ahead(pid, file)


class Ahead:
    """A part of the output that a forked helper produces (write_ahead)."""

    def __init__(self, pid: int, file: IO[bytes]) -> None:
        self._pid: int | None = pid
        self._file = file

    def write_into(self, out: TextIO) -> bool:
        """Wait for the helper and copy what it produced to `out`; False, with nothing
        written, if it failed."""
        pid, self._pid = self._pid, None
        if pid is None:
            return False
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            return False
        buffer: IO[bytes] = getattr(out, "buffer")  # noqa: B009 - write_ahead checked it
        out.flush()
        self._file.seek(0)
        shutil.copyfileobj(self._file, buffer)
        buffer.flush()
        return True

    def stop(self) -> None:
        """End the helper if it still runs (this process failed or was interrupted first)."""
        if self._pid is not None:
            _end(self._pid)
            self._pid = None
        self._file.close()


def _write_all(out: TextIO, *parts: Iterable[str]) -> None:
    for part in parts:
        for piece in part:
            out.write(piece)


def _encode(pieces: Iterable[str], file: IO[bytes], encoding: str, errors: str) -> None:
    """The writing helper's work: the text encoded as `out` would encode it (a character it
    cannot encode fails the helper, and this process then meets it where one writer would)."""
    for piece in pieces:
        file.write(piece.encode(encoding, errors))
    file.flush()
