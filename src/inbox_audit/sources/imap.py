"""Read a mailbox over IMAP, strictly read-only, turning foreign errors into ours."""

# Round trips are what a distant server costs, so commands go out together wherever the
# protocol allows (RFC 3501 §5.5): the folders with their STATUS (RFC 5819 LIST-STATUS, else
# every STATUS in one write), EXAMINE with its SEARCH, the FLAGS sweep and a first FETCH batch,
# ID beside the next command, LOGOUT without waiting for its answer.
#
# Across folders too: once the caller has said which folders it reads next (`plan`), the next
# folder's EXAMINE (with its SEARCH and first batch) goes out as soon as the current folder's
# last FETCH is sent, and a folder small enough to come whole in its first batch lets the one
# after it go out in the same write. EXAMINE changes the selected mailbox, on which the
# UID FETCHes before it depend: a server that sees such a dependency "MUST execute commands
# to completion in the order given by the client" (RFC 3501 §5.5), and Dovecot runs EXAMINE
# only once every command before it has finished, so all of a folder's responses come before
# the next EXAMINE's (the same order EXAMINE, SEARCH and FETCH of one folder in one write
# already rely on; the tests check it against Dovecot). A failed EXAMINE leaves no mailbox
# selected (RFC 3501 §6.3.1, §6.3.2), so the SEARCH and FETCH sent behind it fail instead of
# reading the folder before. No command of a folder is ever sent after the next folder's
# EXAMINE: `_send_ahead` is only called once the folder has none left to send. A changed
# folder whose new mail all lies in its first batch (an open-ended `likely_new`, sync.py)
# comes whole too; should its caller then want a UID outside that batch after all (a message
# to fetch again), the openings sent ahead are read and dropped, planned again, and the
# folder is examined anew (`_reopen`).

from __future__ import annotations

import collections
import contextlib
import imaplib
import re
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field

from inbox_audit import __version__
from inbox_audit.errors import (
    ConnectionFailed,
    FolderDeleted,
    MailboxError,
)
from inbox_audit.i18n import _
from inbox_audit.model import FolderStatus, ListedFolder, RawMessage, Unreadable
from inbox_audit.sources import listing, session
from inbox_audit.sources.failures import translated
from inbox_audit.sources.fetch import (
    BATCH_SIZE,
    UID_END,
    Fetcher,
    expand_set,
    first_batch,
    values,
)
from inbox_audit.sources.relogin import Relogins
from inbox_audit.sources.spec import (
    Closing,
    ConnectOptions,
    Examine,
    ImapTarget,
    Opened,
    Progress,
)
from inbox_audit.sources.wire import Reply, Wire, nothing

# imaplib refuses response lines over 1 MB: a plain SEARCH asks for UIDs in windows this wide.
_SEARCH_WINDOW = 100_000


class ImapSource(Closing):
    """A mailbox on an IMAP server, opened read-only (EXAMINE, BODY.PEEK)."""

    def __init__(
        self,
        client: session.Client,
        target: ImapTarget,
        capabilities: frozenset[str],
        options: ConnectOptions,
    ) -> None:
        self._client = client
        self._wire = Wire(client.connection)
        self._target = target
        self._capabilities = capabilities
        self._gmail = "X-GM-EXT-1" in capabilities
        self._condstore = "CONDSTORE" in capabilities
        self._selected: str | None = None
        self._fetcher: Fetcher | None = None  # the examined folder's, maybe a batch in flight
        self._uidvalidity = 0  # the examined folder's
        self._first: tuple[bytes, range] | None = None  # that batch: its tag and UIDs
        self._listing: list[str] = []  # the selectable folders listed
        self._statuses: dict[str, FolderStatus | Reply] = {}  # known, not yet handed out
        self._hints: dict[str, FolderStatus] = {}  # the last STATUS seen of each folder
        self._counted = False  # message_count asked for every listed folder's already
        self._plan: collections.deque[str | Examine] = collections.deque()  # not yet sent
        self._ahead: collections.deque[_Opening] = collections.deque()  # sent, not yet read
        self._closed = False
        self._probe: bytes | None = None  # the X-GM-THRID probe, its answer not yet read
        self._options = options  # to log in again (`_relogging`), to warn
        self._relogins = Relogins(target, options)

    def __repr__(self) -> str:
        return f"ImapSource({self._target.display()})"

    @classmethod
    def connect(cls, target: ImapTarget, options: ConnectOptions) -> ImapSource:
        """Connect (implicit TLS or STARTTLS), log in, and identify (RFC 2971)."""
        client, listed = session.connect(target, options)
        try:
            with translated(target, options, _("connecting")):
                source = cls(client, target, listed, options)
                if source._gmail:
                    source._probe_gmail()
                if "ID" in listed:
                    # Courtesy only (some providers want it): sent with the next command, its
                    # answer (or refusal) ignored.
                    args = f'("name" "inbox-audit" "version" "{__version__}")'
                    source._wire.ignore(source._wire.send(b"ID " + args.encode("ascii"))[0])
                return source
        except BaseException:
            session.shutdown(client)
            raise

    def close(self) -> None:
        """LOGOUT, without waiting for the answer (RFC 3501 §6.1.3: only BYE and OK)."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):  # the connection may already be gone
            self._wire.send(b"LOGOUT")
        session.shutdown(self._client)

    # --- MailSource ----------------------------------------------------------------------

    def list_folders(self) -> list[ListedFolder]:
        """Every folder; with LIST-STATUS (RFC 5819), each one's STATUS comes along."""
        command = b'LIST "" "*"'
        if "LIST-STATUS" in self._capabilities:
            # An extended LIST (RFC 5258) returns only the attributes asked for: the same as
            # a plain LIST's, then (RFC 5258 §4 CHILDREN, RFC 6154 §2 SPECIAL-USE).
            special = b" SPECIAL-USE" if "SPECIAL-USE" in self._capabilities else b""
            items = b"STATUS (" + self._status_items() + b")"
            command += b" RETURN (CHILDREN" + special + b" " + items + b")"
        folders: list[ListedFolder] = []
        statuses: dict[str, FolderStatus] = {}

        def untagged(text: bytes, literals: list[bytes]) -> None:
            kind = text[2:8].upper()
            if kind == b"LIST (" or kind.startswith(b"LIST "):
                folders.append(listing.listed_or_unparsed(text[7:], literals))
            elif kind.startswith(b"STATUS"):
                name, status = listing.status_of(values(text[9:], literals))
                statuses[name] = status

        with self._translated(_("listing folders")):
            reply = self._wire.wait(self._wire.send(command)[0], untagged)
            _check(reply, "LIST")
            self._gmail_checked()
        self._listing = [folder.name for folder in folders if folder.selectable]
        self._counted = False
        self._statuses = dict(statuses)
        self._hints = statuses
        return folders

    def message_count(self, folder: str) -> int | None:
        if folder not in self._statuses:
            names = [folder]
            if not self._counted:
                # No LIST-STATUS: the first count asks for every listed folder's at once (a
                # reader wants them all, and each asked alone costs a round trip).
                self._counted = True
                names += [n for n in self._listing if n != folder and n not in self._statuses]
            self._ask(names)
        return self._handed(folder).messages

    def fetch(
        self, folder: str, progress: Progress | None = None
    ) -> Generator[RawMessage | Unreadable, None, None]:
        """Every message of the folder in UID order; closing the generator early is fine."""
        with self._relogging(folder):
            opened = self._open(folder, self._all_likely(folder))
            yield from self._fetch_selected(folder, opened.uids, progress)

    def plan(self, steps: Sequence[str | Examine]) -> None:
        """The folders about to be read, in this order: a name for `fetch`, an `Examine` for
        `examine`. Each one's opening is then sent ahead (see the top of this module)."""
        self._discard_ahead()
        self._plan = collections.deque(steps)

    # --- incremental sync (see sync.py) --------------------------------------------------

    @property
    def condstore(self) -> bool:
        """Whether the server keeps modification sequences (RFC 7162 CONDSTORE)."""
        return self._condstore

    def statuses(self, folders: Sequence[str]) -> dict[str, FolderStatus]:
        """STATUS MESSAGES UIDNEXT UIDVALIDITY (and HIGHESTMODSEQ with CONDSTORE) of these
        folders: those the listing brought, the others asked in one write."""
        self._ask([name for name in folders if name not in self._statuses])
        return {name: self._handed(name) for name in folders}

    def examine(
        self,
        folder: str,
        flags: bool = False,
        changed_since: int | None = None,
        likely_new: range | None = None,
    ) -> Opened:
        """Open the folder read-only: its UIDVALIDITY, every UID it holds and, with `flags`,
        the FLAGS of its messages (only of those changed after modseq `changed_since`, RFC
        7162 §3.1.4). The first UIDs of `likely_new` are fetched meanwhile.

        Later calls of `fetch_uids` read this folder.
        """
        with self._relogging(folder):
            return self._open(folder, likely_new or range(0), flags, changed_since)

    def fetch_uids(
        self, folder: str, uids: Sequence[int], progress: Progress | None = None
    ) -> Generator[RawMessage | Unreadable, None, None]:
        """Like `fetch`, for these UIDs (sorted) of the examined folder only."""
        if self._selected != folder or (self._ahead and self._first is None):
            # A bug in the caller; once the next folder's EXAMINE is sent, this one's can
            # only be read from the first batch, asked for with its own EXAMINE.
            raise RuntimeError(f"examine({folder!r}) first")
        with self._relogging(folder):
            yield from self._fetch_selected(folder, uids, progress)

    # --- internals -------------------------------------------------------------------------

    def _probe_gmail(self) -> None:
        """Ask for X-GM-THRID once, of a UID no mailbox holds: Gmail answers OK (and nothing),
        a server that announces X-GM-EXT-1 without it answers BAD, and every FETCH of the
        audit would fail. Sent with the login's next command, read with the listing's answer:
        no round trip of its own. CLOSE after EXAMINE expunges nothing (RFC 3501 §6.4.2)."""
        probe = b"UID FETCH 4294967295 (X-GM-THRID)"
        examine, self._probe, close = self._wire.send(b'EXAMINE "INBOX"', probe, b"CLOSE")
        self._wire.ignore(examine)
        self._wire.ignore(close)

    def _gmail_checked(self) -> None:
        """Read the probe's answer (it came before the listing's); without X-GM-THRID, read
        without the provider's conversation ids (threads then come from the headers alone)."""
        if self._probe is None:
            return
        reply, self._probe = self._wire.wait(self._probe, nothing), None
        if not reply.ok:
            self._gmail = False
            if self._options.warn is not None:
                self._options.warn(
                    _(
                        "{host} announces Gmail's extensions (X-GM-EXT-1) but refused "
                        "X-GM-THRID; reading without Gmail's conversation ids"
                    ).format(host=self._target.host)
                )

    def _status_items(self) -> bytes:
        return b"MESSAGES UIDNEXT UIDVALIDITY" + (b" HIGHESTMODSEQ" if self._condstore else b"")

    def _ask(self, folders: Sequence[str]) -> None:
        """STATUS of these folders, all in one write; kept in `_statuses` till handed out."""
        if not folders:
            return
        items = b" (" + self._status_items() + b")"
        named: dict[str, FolderStatus] = {}
        unnamed: list[FolderStatus] = []

        def untagged(text: bytes, literals: list[bytes]) -> None:
            if text[2:9].upper() == b"STATUS ":
                name, status = listing.status_of(values(text[9:], literals))
                if name in named or name not in folders:
                    unnamed.append(status)  # a name spelled otherwise: matched by order
                else:
                    named[name] = status

        with self._translated(_("reading folder statuses")):
            tags = self._wire.send(
                *(b"STATUS " + listing.mailbox(name) + items for name in folders)
            )
            replies = self._wire.wait_all(tags, untagged)
        for name, reply in zip(folders, replies, strict=True):
            status = named.get(name) or (unnamed.pop(0) if unnamed and reply.ok else None)
            if status is not None:
                self._hints[name] = status
            self._statuses[name] = status if status is not None and reply.ok else reply

    def _handed(self, folder: str) -> FolderStatus:
        """A folder's STATUS known from a listing or `_ask`, handed out once."""
        status = self._statuses.pop(folder)
        if isinstance(status, Reply):
            with self._translated(_("reading folder {folder!r}").format(folder=folder), folder):
                _check(status, "STATUS")
                raise imaplib.IMAP4.error("STATUS failed: the server sent no STATUS")
        return status

    def _all_likely(self, folder: str) -> range:
        """The UIDs likely to hold the folder's messages, by its last STATUS (`fetch`)."""
        hint = self._hints.get(folder)
        if hint is None:
            return range(1, 1 << 31)
        return range(1, hint.uidnext if hint.messages else 1)

    def _opening(
        self,
        folder: str,
        likely: range,
        flags: bool = False,
        changed_since: int | None = None,
    ) -> _Opening:
        """EXAMINE, UID SEARCH, maybe the FLAGS sweep and a first FETCH batch, unsent."""
        fetcher = Fetcher(self._wire, folder, self._gmail)
        commands = [b"EXAMINE " + listing.mailbox(folder), *self._searches(folder)]
        if flags:
            since = b"" if changed_since is None else b" (CHANGEDSINCE %d)" % changed_since
            commands.append(b"UID FETCH 1:* (UID FLAGS)" + since)
            fetcher.flags = {}
        hint = self._hints.get(folder)
        first = first_batch(likely, hint.messages if hint is not None else None)
        messages = hint.messages if hint is not None else BATCH_SIZE
        if first is not None and first.start > 1 and hint is not None:
            # Only mail from the first batch's UID on comes: by STATUS, no more than this.
            messages = min(messages, max(hint.uidnext - first.start, 0))
        if first is not None:
            commands.append(fetcher.command(first))
        return _Opening(folder, commands, fetcher, first, messages)

    def _send(self, opening: _Opening) -> None:
        opening.tags = self._wire.send(*opening.commands)
        if opening.first is not None:
            opening.fetcher.expect(opening.tags[-1], opening.first)

    def _send_ahead(self) -> None:
        """Send the planned openings that come next; called once the current folder has no
        command left to send. Each one after the first only when the one before comes whole
        in its first batch, and up to two batches' worth of messages in flight."""
        in_flight = sum(opening.messages for opening in self._ahead)
        with self._wire.together():
            while self._plan and not self._closed:
                if self._ahead and not (self._ahead[-1].whole and in_flight < 2 * BATCH_SIZE):
                    return
                step = self._plan[0]
                try:
                    if isinstance(step, str):
                        opening = self._opening(step, self._all_likely(step))
                    else:
                        likely = step.likely_new
                        opening = self._opening(step.folder, likely, step.flags, step.changed_since)
                except imaplib.IMAP4.error:  # a name no command can carry: `_open` says so
                    return
                self._plan.popleft()
                opening.step = step
                self._send(opening)
                self._ahead.append(opening)
                in_flight += opening.messages

    def _discard_ahead(self, replan: bool = False) -> None:
        """Read and drop the answers to openings sent ahead that are not wanted now; with
        `replan`, they are to be sent again later."""
        ahead, self._ahead = self._ahead, collections.deque()
        if replan:
            self._plan.extendleft(reversed([o.step for o in ahead if o.step is not None]))
        if self._closed:
            return
        read = True
        try:
            for opening in ahead:
                # The first batch's reply is read by `drain`, the others' here.
                for tag in opening.tags[:-1] if opening.first is not None else opening.tags:
                    opening.fetcher.wait(tag)
                read = read and opening.fetcher.drain()
        except (OSError, imaplib.IMAP4.error):
            read = False
        if not read:
            raise self._lost()

    def _skip_plan(self, folder: str) -> None:
        """Past the planned steps up to this folder's, when the plan names it."""
        names = [step if isinstance(step, str) else step.folder for step in self._plan]
        if folder in names:
            for _ in range(names.index(folder) + 1):
                self._plan.popleft()

    def _lost(self) -> ConnectionFailed:
        """Drop a connection whose answers could not be read, rather than misread it later."""
        self._closed = True
        session.shutdown(self._client)
        return ConnectionFailed(_("connection to {host} lost").format(host=self._target.host))

    def _open(
        self,
        folder: str,
        likely: range,
        flags: bool = False,
        changed_since: int | None = None,
    ) -> Opened:
        """EXAMINE, UID SEARCH, maybe the FLAGS sweep and a first FETCH batch: one write,
        or none when it was sent ahead."""
        self._release()
        opening = self._opening(folder, likely, flags, changed_since)
        ahead = self._ahead[0] if self._ahead else None
        if ahead is not None and not self._closed and ahead.commands == opening.commands:
            opening = self._ahead.popleft()
        else:
            self._discard_ahead()  # not the folder planned: its answers are read, unused
            self._skip_plan(folder)
        fetcher, first = opening.fetcher, opening.first
        examined = _Examined()
        with self._translated(_("opening folder {folder!r}").format(folder=folder), folder):
            with self._wire.together():
                if not opening.tags:
                    self._send(opening)
                if opening.whole:
                    self._send_ahead()
            tags = list(opening.tags)
            if first is not None:
                self._first = (tags.pop(), first)
            replies = [fetcher.wait(tag, examined.untagged) for tag in tags]
            failed = [r for r in replies[1:] if not r.ok]
            if not replies[0].ok or (failed and examined.exists):
                self._first = None
                if not fetcher.drain():  # the first batch's answer too: stay in step
                    self._lost()
                _check(replies[0], "EXAMINE")
                _check(failed[0], "UID SEARCH or FETCH")
        got, fetcher.flags = fetcher.flags, None
        self._selected, self._fetcher, self._uidvalidity = folder, fetcher, examined.uidvalidity
        return Opened(examined.uidvalidity, sorted(set(examined.uids)), got or {})

    def _searches(self, folder: str) -> list[bytes]:
        if "ESEARCH" in self._capabilities:
            # RFC 4731: the answer comes as compact ranges ("1:100000"), not 100k numbers.
            return [b"UID SEARCH RETURN (ALL) ALL"]
        # Plain SEARCH answers with one line; imaplib refuses lines over 1 MB, so ask in
        # windows of UIDs when the folder is big (the last one open: mail may have come).
        hint = self._hints.get(folder)
        top = hint.uidnext if hint is not None and hint.uidnext > 1 else 1
        lows = range(1, top, _SEARCH_WINDOW)
        windows = [b"%d:%d" % (low, low + _SEARCH_WINDOW - 1) for low in lows[:-1]]
        windows.append(b"%d:*" % (lows[-1] if lows else 1))
        return [b"UID SEARCH UID " + window for window in windows]

    def _fetch_selected(
        self, folder: str, uids: Sequence[int], progress: Progress | None
    ) -> Generator[RawMessage | Unreadable, None, None]:
        fetcher = self._fetcher
        assert fetcher is not None  # set with _selected
        first, self._first = self._first, None
        if first is not None and self._ahead and any(uid not in first[1] for uid in uids):
            with self._translated(_("reading folder {folder!r}").format(folder=folder), folder):
                self._reopen(folder, fetcher)
            first = None
        total = len(uids)
        if progress is not None:
            progress(folder, 0, total)
        batches = fetcher.batches(uids, first, self._send_ahead)
        done = 0
        broken = False
        try:
            while True:
                # Read a whole batch before yielding, so a consumer's exception never lands
                # inside the error translation; at most two batches are held in memory.
                try:
                    with self._translated(
                        _("reading folder {folder!r}").format(folder=folder), folder
                    ):
                        batch = next(batches, None)
                except MailboxError:
                    broken = True
                    raise
                if batch is None:
                    break
                yield from batch
                done += fetcher.last_size
                if progress is not None:
                    progress(folder, done, total)
        finally:
            # A consumer that stops early leaves commands in flight: read their responses
            # so the session stays in step. After a server or network error, or if that
            # fails, drop the connection rather than misread it later.
            if broken or not fetcher.drain():
                self._closed = True
                session.shutdown(self._client)

    def _reopen(self, folder: str, fetcher: Fetcher) -> None:
        """Examine the folder again, its first batch dropped, when UIDs outside that batch
        are wanted after the next folder's EXAMINE went out behind it (see the top)."""
        if not fetcher.drain():
            raise self._lost()
        self._discard_ahead(replan=True)
        examined = _Examined()
        reply = self._wire.wait(
            self._wire.send(b"EXAMINE " + listing.mailbox(folder))[0], examined.untagged
        )
        _check(reply, "EXAMINE")
        if examined.uidvalidity != self._uidvalidity:  # recreated meanwhile: other messages
            raise imaplib.IMAP4.error(f"EXAMINE failed: {folder} has a new UIDVALIDITY")

    def _release(self) -> None:
        """Read what is still owed for the folder examined before (a first batch unread)."""
        fetcher, self._fetcher, self._first, self._selected = self._fetcher, None, None, None
        if fetcher is not None and not fetcher.drain():
            raise self._lost()

    @contextlib.contextmanager
    def _relogging(self, folder: str) -> Iterator[None]:
        """A folder deleted while it is read ends the session (Dovecot: "* BYE Mailbox was
        deleted under us"): log in again, with the same credentials, so that the folders
        after it are read, and let the caller mark that one not read. A connection lost while
        a folder is read (EOF, a reset, a timeout; never a login refused: that comes only
        from `connect`) is logged in again too, and `Reconnected` has the caller read that
        folder again from its start (`spec.read_whole`). A few times per run only
        (relogin.py); a login that fails then is the run's error."""
        try:
            yield
        except (FolderDeleted, ConnectionFailed) as exc:
            self._relogins.spend(folder, exc)
            self._log_in_again()
            if isinstance(exc, FolderDeleted):
                raise
            raise self._relogins.reconnected(folder, exc) from exc

    def _log_in_again(self) -> None:
        """A new session in place of the one ended; what was sent ahead on the old session is
        sent again on the new one, in order."""
        self._closed = True
        session.shutdown(self._client)
        self._plan.extendleft(reversed([o.step for o in self._ahead if o.step is not None]))
        self._ahead.clear()
        self._selected, self._fetcher, self._first, self._probe = None, None, None, None
        self._client = session.connect(self._target, self._options)[0]
        self._wire = Wire(self._client.connection)
        self._closed = False

    @contextlib.contextmanager
    def _translated(self, doing: str, folder: str | None = None) -> Iterator[None]:
        with translated(self._target, None, doing, folder):
            yield


@dataclass
class _Opening:
    """A folder's opening commands, sent (`tags`) or not yet, and the fetcher of its answers."""

    folder: str
    commands: list[bytes]
    fetcher: Fetcher
    first: range | None  # the UIDs its first FETCH batch asks for
    messages: int  # about as many as that batch brings (by the folder's STATUS)
    tags: list[bytes] = field(default_factory=list)
    step: str | Examine | None = None  # the planned step it was sent ahead for

    @property
    def whole(self) -> bool:
        """Its first batch asks for every message: no command of the folder follows it."""
        return self.first is not None and self.first.stop == UID_END


@dataclass
class _Examined:
    """What EXAMINE and UID SEARCH answer (RFC 3501 §6.3.2, §7.3.1; RFC 4731 ESEARCH)."""

    exists: int = 0
    uidvalidity: int = 0
    uids: list[int] = field(default_factory=list)

    def untagged(self, text: bytes, literals: list[bytes]) -> None:
        if found := _EXISTS.match(text):
            self.exists = int(found.group(1))
        elif found := _UIDVALIDITY.match(text):
            self.uidvalidity = int(found.group(1))
        elif text[:10].upper() == b"* ESEARCH ":
            if found := _ESEARCH_ALL.search(text):
                self.uids.extend(expand_set(found.group(1)))
        elif text[:9].upper() == b"* SEARCH ":
            self.uids.extend(int(n) for n in text[9:].split())


_EXISTS = re.compile(rb"\* (\d+) EXISTS", re.IGNORECASE)
_UIDVALIDITY = re.compile(rb"\* OK \[UIDVALIDITY (\d+)\]", re.IGNORECASE)
_ESEARCH_ALL = re.compile(rb" ALL ([0-9:,]+)", re.IGNORECASE)


def _check(reply: Reply, command: str) -> None:
    if not reply.ok:
        raise imaplib.IMAP4.error(f"{command} failed: {reply.text.strip() or 'no reason given'}")
