"""Read a mailbox over IMAP, strictly read-only, turning foreign errors into ours."""

from __future__ import annotations

import collections
import contextlib
import functools
import imaplib
import io
import itertools
import re
import socket
import ssl
import threading
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn, cast

from imapclient import IMAPClient
from imapclient.exceptions import LoginError
from imapclient.response_parser import parse_fetch_response

from inbox_audit import __version__
from inbox_audit.core.fields import HEADER_FIELDS
from inbox_audit.errors import (
    ConfigError,
    ConnectionFailed,
    FolderNotFound,
    LoginFailed,
    MailboxError,
    TLSFailed,
)
from inbox_audit.model import FolderStatus, ListedFolder, RawMessage, Unreadable
from inbox_audit.sources.spec import ConnectOptions, ImapTarget, Progress

#: UIDs per UID FETCH command: big enough to keep the link busy, small enough to bound memory.
BATCH_SIZE = 2000
# RFC 7162 §4: clients should keep command lines under 8192 octets.
_MAX_SET_CHARS = 7000

# BODY.PEEK never sets \Seen (RFC 3501 §6.4.5); ENVELOPE lacks References (§7.4.2), hence
# the header fields.
_HEADER_ITEM = "BODY.PEEK[HEADER.FIELDS (" + " ".join(f.upper() for f in HEADER_FIELDS) + ")]"
_ITEMS = f"(UID FLAGS INTERNALDATE {_HEADER_ITEM})"
_GMAIL_ITEMS = f"(UID FLAGS INTERNALDATE X-GM-THRID {_HEADER_ITEM})"

_UNSELECTABLE = frozenset({"\\noselect", "\\nonexistent"})
_MISSING_FOLDER = re.compile(
    r"NONEXISTENT|doesn't exist|does not exist|not exist|no such|unknown mailbox|not found",
    re.IGNORECASE,
)
# An IMAP atom: anything but atom-specials (RFC 3501 §9), ASCII only.
_ATOM = re.compile(r"[!#$&\'+-\[^-z|}~]+")


class ImapSource:
    """A mailbox on an IMAP server, opened read-only (EXAMINE, BODY.PEEK)."""

    def __init__(self, client: IMAPClient, target: ImapTarget) -> None:
        self._client = client
        self._target = target
        self._gmail = client.has_capability("X-GM-EXT-1")
        self._condstore = bool(client.has_capability("CONDSTORE"))
        self._selected: str | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"ImapSource({self._target.display()})"

    @classmethod
    def connect(cls, target: ImapTarget, options: ConnectOptions) -> ImapSource:
        """Connect (implicit TLS or STARTTLS), identify (RFC 2971) and log in."""
        context = _tls_context(options)
        with _translated(target, options, "connecting"):
            client = IMAPClient(
                target.host,
                port=target.port,
                ssl=target.implicit_tls,
                ssl_context=context,
                timeout=options.timeout,
            )
        # imapclient turns on imaplib's per-line debug log; it would format every fetched
        # line (and the header bytes) for nothing.
        client._imap.debug = 0
        try:
            with _translated(target, options, "connecting"):
                if not target.implicit_tls:
                    _starttls(client, target, options, context)
                _login(client, target, options)
                if client.has_capability("ID"):
                    # Courtesy only (some providers want it); a refusal changes nothing.
                    with contextlib.suppress(imaplib.IMAP4.error):
                        client.id_({"name": "inbox-audit", "version": __version__})
                return cls(client, target)
        except BaseException:
            _shutdown(client)
            raise

    def __enter__(self) -> ImapSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._client.logout()
        except Exception:  # the connection may already be gone; nothing left to release
            _shutdown(self._client)

    # --- MailSource ----------------------------------------------------------------------

    def list_folders(self) -> list[ListedFolder]:
        with self._translated("listing folders"):
            listed = self._client.list_folders()
        folders = []
        for flags, delimiter, name in listed:
            attributes = frozenset(_text(flag).lower() for flag in flags)
            folders.append(
                ListedFolder(
                    name=str(name),
                    attributes=attributes,
                    delimiter=_text(delimiter) if delimiter else None,
                    selectable=not (attributes & _UNSELECTABLE),
                )
            )
        return folders

    def message_count(self, folder: str) -> int | None:
        with self._translated(f"reading folder {folder!r}", folder):
            status = self._client.folder_status(folder, ["MESSAGES"])
        count = status.get(b"MESSAGES")
        return count if isinstance(count, int) else None

    def fetch(
        self, folder: str, progress: Progress | None = None
    ) -> Generator[RawMessage | Unreadable, None, None]:
        """Every message of the folder in UID order; closing the generator early is fine."""
        with self._translated(f"opening folder {folder!r}", folder):
            selected = self._client.select_folder(folder, readonly=True)
            exists = selected.get(b"EXISTS", 0)
            uids = self._all_uids(selected.get(b"UIDNEXT")) if exists else []
        self._selected = folder
        yield from self._fetch_selected(folder, uids, progress)

    # --- incremental sync (see sync.py) --------------------------------------------------

    @property
    def condstore(self) -> bool:
        """Whether the server keeps modification sequences (RFC 7162 CONDSTORE)."""
        return self._condstore

    def status(self, folder: str) -> FolderStatus:
        """STATUS MESSAGES UIDNEXT UIDVALIDITY (and HIGHESTMODSEQ with CONDSTORE)."""
        items = ["MESSAGES", "UIDNEXT", "UIDVALIDITY"]
        if self._condstore:
            items.append("HIGHESTMODSEQ")
        with self._translated(f"reading folder {folder!r}", folder):
            status = self._client.folder_status(folder, items)
        modseq = status.get(b"HIGHESTMODSEQ")
        return FolderStatus(
            messages=_int(status.get(b"MESSAGES")),
            uidnext=_int(status.get(b"UIDNEXT")),
            uidvalidity=_int(status.get(b"UIDVALIDITY")),
            # RFC 7162 §3.1.2.1: 0 means the mailbox does not support persistent modseqs.
            highestmodseq=modseq if isinstance(modseq, int) and modseq > 0 else None,
        )

    def examine(self, folder: str) -> tuple[int, list[int]]:
        """Open the folder read-only: its UIDVALIDITY and every UID it holds, sorted.

        Later calls of `flags` and `fetch_uids` read this folder.
        """
        self._selected = None
        with self._translated(f"opening folder {folder!r}", folder):
            selected = self._client.select_folder(folder, readonly=True)
            uidvalidity = _int(selected.get(b"UIDVALIDITY"))
            exists = selected.get(b"EXISTS", 0)
            uids = self._all_uids(selected.get(b"UIDNEXT")) if exists else []
        self._selected = folder
        return uidvalidity, uids

    def flags(self, folder: str, changed_since: int | None = None) -> dict[int, frozenset[str]]:
        """FLAGS of the examined folder's messages: all of them, or only those whose flags
        changed after modseq `changed_since` (RFC 7162 §3.1.4, CHANGEDSINCE)."""
        self._check_selected(folder)
        args = ["FETCH", "1:*", "(UID FLAGS)"]
        if changed_since is not None:
            args.append(f"(CHANGEDSINCE {changed_since})")
        imap = self._client._imap
        with self._translated(f"reading flags of folder {folder!r}", folder):
            # Raw: imapclient's fetch() insists on a list of UIDs; "1:*" keeps the line short.
            typ, data = imap._command_complete("FETCH", imap._command("UID", *args))
            _check(typ, data, "UID FETCH FLAGS")
            typ, data = imap._untagged_response(typ, data, "FETCH")
            fetched = parse_fetch_response(data, False, True)
        return {
            uid: frozenset(_text(flag) for flag in flags)
            for uid, items in fetched.items()
            if isinstance(uid, int) and isinstance(flags := items.get(b"FLAGS"), tuple)
        }

    def fetch_uids(
        self, folder: str, uids: Sequence[int], progress: Progress | None = None
    ) -> Generator[RawMessage | Unreadable, None, None]:
        """Like `fetch`, for these UIDs (sorted) of the examined folder only."""
        self._check_selected(folder)
        yield from self._fetch_selected(folder, uids, progress)

    def _check_selected(self, folder: str) -> None:
        if self._selected != folder:
            raise RuntimeError(f"examine({folder!r}) first")  # a bug in the caller

    def _fetch_selected(
        self, folder: str, uids: Sequence[int], progress: Progress | None
    ) -> Generator[RawMessage | Unreadable, None, None]:
        total = len(uids)
        if progress is not None:
            progress(folder, 0, total)
        fetcher = _Pipeline(self._client._imap, folder, self._gmail, _batches(uids))
        done = 0
        broken = False
        try:
            while True:
                # Read a whole batch before yielding, so a consumer's exception never lands
                # inside the error translation; at most two batches are held in memory.
                try:
                    with self._translated(f"reading folder {folder!r}", folder):
                        batch = fetcher.next_batch()
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
                _shutdown(self._client)

    # --- internals -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _translated(self, doing: str, folder: str | None = None) -> Iterator[None]:
        with _translated(self._target, None, doing, folder):
            yield

    def _all_uids(self, uidnext: object) -> list[int]:
        imap = self._client._imap
        if self._client.has_capability("ESEARCH"):
            # RFC 4731: the answer comes as compact ranges ("1:100000"), not 100k numbers.
            typ, data = imap._simple_command("UID", "SEARCH", "RETURN", "(ALL)", "ALL")
            _check(typ, data, "UID SEARCH")
            typ, data = imap._untagged_response(typ, data, "ESEARCH")
            uids: list[int] = []
            for line in data:
                if isinstance(line, bytes) and (found := re.search(rb" ALL ([0-9:,]+)", line)):
                    uids.extend(_expand_set(found.group(1)))
            return sorted(set(uids))
        # Plain SEARCH answers with one line; imaplib refuses lines over 1 MB, so ask in
        # windows of UIDs when the folder is big.
        top = uidnext if isinstance(uidnext, int) and uidnext > 1 else None
        windows = (
            [f"{low}:{min(low + 99_999, top - 1)}" for low in range(1, top, 100_000)]
            if top is not None
            else ["1:*"]
        )
        found_uids: set[int] = set()
        for window in windows:
            typ, data = imap.uid("SEARCH", "UID", window)
            _check(typ, data, "UID SEARCH")
            for line in data:
                if isinstance(line, bytes):
                    found_uids.update(int(n) for n in line.split())
        return sorted(found_uids)


class _Pipeline:
    """UID FETCH in batches with two commands in flight, read off imaplib's socket directly.

    imaplib would read byte-parsed lines into one list per command; here each response is
    parsed as it arrives. Dovecot may run pipelined FETCH commands in parallel and interleave
    their responses (RFC 3501 §5.5), so responses are matched to batches by UID, not by order.
    """

    def __init__(
        self, imap: imaplib.IMAP4, folder: str, gmail: bool, batches: Iterator[Sequence[int]]
    ) -> None:
        self._imap = imap
        self._wire = _Wire(imap)
        self._folder = folder
        self._items = _GMAIL_ITEMS if gmail else _ITEMS
        self._batches = batches
        self._pending: collections.deque[tuple[bytes, Sequence[int]]] = collections.deque()
        self._wanted: set[int] = set()
        self._received: dict[int, RawMessage | Unreadable] = {}
        self._garbled = 0
        self._started = False
        self.last_size = 0

    def next_batch(self) -> list[RawMessage | Unreadable] | None:
        """The messages of the next batch, in UID order; None when all were read."""
        if not self._started:
            self._started = True
            self._send()
            self._send()
        if not self._pending:
            return None
        tag, batch = self._pending[0]
        status = self._read_until(tag)
        self._pending.popleft()
        self._send()
        if not self._pending:
            # Nothing more is owed: whatever the server sends next is imaplib's to read.
            self._wire.release()
        self.last_size = len(batch)
        return self._results(batch, status)

    def drain(self) -> bool:
        """Read what the server still sends for abandoned commands; False if that failed."""
        try:
            while self._pending:
                self._read_until(self._pending.popleft()[0])
            self._wire.release()
        except Exception:  # the connection is broken already; the caller drops it
            return False
        return True

    def _send(self) -> None:
        batch = next(self._batches, None)
        if batch is None:
            return
        tag = b"IA%d" % _next_tag()  # our own tags: imaplib never sees these commands
        command = f"UID FETCH {_sequence_set(batch)} {self._items}".encode("ascii")
        self._imap.send(tag + b" " + command + b"\r\n")
        self._pending.append((tag, batch))
        self._wanted.update(batch)

    def _read_until(self, tag: bytes) -> bytes:
        """Read responses up to `tag`'s tagged reply (returned); keep the FETCH ones."""
        wire, folder, wanted, received = self._wire, self._folder, self._wanted, self._received
        while True:
            plain = wire.plain_fetch(folder)
            if plain is not None:
                if plain.uid in wanted:
                    received[plain.uid] = plain
                continue
            text, literals = _read_response(wire)
            if text.startswith(tag + b" "):
                return text[len(tag) + 1 :]
            if text.startswith(b"* BYE"):
                raise imaplib.IMAP4.abort(_text(text[5:]).strip() or "server said BYE")
            fetched = _FETCH_RESPONSE.match(text)
            if fetched is None:
                continue  # EXISTS, EXPUNGE, OK [...], other tags: nothing an audit needs
            item = _parse_fetch(folder, text[fetched.end() :], literals)
            if item is None:
                self._garbled += 1
            elif item.uid in wanted and not (
                # An unsolicited FLAGS update for a message already read adds nothing.
                isinstance(item, Unreadable) and isinstance(received.get(item.uid), RawMessage)
            ):
                received[item.uid] = item

    def _results(self, batch: Sequence[int], status: bytes) -> list[RawMessage | Unreadable]:
        word, _, reason = status.partition(b" ")
        if word.upper() == b"BAD":
            raise imaplib.IMAP4.error(f"UID FETCH failed: {_text(status).strip()}")
        refused = word.upper() != b"OK"
        results: list[RawMessage | Unreadable] = []
        for uid in batch:
            self._wanted.discard(uid)
            item = self._received.pop(uid, None)
            if item is not None:
                results.append(item)
            elif refused:
                why = _text(reason).strip() or "no reason given"
                results.append(Unreadable(self._folder, uid, f"server refused to fetch it: {why}"))
            elif self._garbled:
                results.append(Unreadable(self._folder, uid, "server response could not be parsed"))
            # else: expunged by another client since the search; nothing to read.
        return results


_tag_counter = itertools.count(1)


def _next_tag() -> int:
    return next(_tag_counter)


# --- connection helpers -------------------------------------------------------------------


def prepare_tls(ca_file: Path | None) -> None:
    """Start making the TLS context that connections trusting `ca_file` will use, on another
    thread: loading the system's CAs takes ~30 ms, during which OpenSSL lets Python go on
    (the CLI imports the audit meanwhile)."""
    with _CONTEXTS_LOCK:
        if ca_file in _CONTEXTS:
            return
        made = _remember(ca_file)
    threading.Thread(target=_make_tls_context, args=(ca_file, made), daemon=True).start()


def _tls_context(options: ConnectOptions) -> ssl.SSLContext:
    with _CONTEXTS_LOCK:
        made = _CONTEXTS.get(options.ca_file)
        if made is None:
            made = _remember(options.ca_file)
            here = True
        else:
            here = False
    if here:
        _make_tls_context(options.ca_file, made)
    return made.result()  # a CA file that cannot be used fails every connection alike


# One context for every connection of a run (SSLContext is made to be shared): loading the
# system's CAs takes ~30 ms, and a big mailbox is read over two connections (parallel.py).
_CONTEXTS: dict[Path | None, Future[ssl.SSLContext]] = {}
_CONTEXTS_LOCK = threading.Lock()


def _remember(ca_file: Path | None) -> Future[ssl.SSLContext]:
    """A new entry of _CONTEXTS (held lock): the last few CA files only (tests use many)."""
    made = _CONTEXTS[ca_file] = Future()
    while len(_CONTEXTS) > 4:
        del _CONTEXTS[next(iter(_CONTEXTS))]
    return made


def _make_tls_context(ca_file: Path | None, made: Future[ssl.SSLContext]) -> None:
    try:
        made.set_result(_new_tls_context(ca_file))
    except BaseException as exc:  # handed to whoever waits for the context
        made.set_exception(exc)


def _new_tls_context(ca_file: Path | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"cannot use CA file {ca_file}: {_one_line(exc)}",
                hint="give a PEM file holding the CA (or the server's own certificate)",
            ) from exc
    return context


def _starttls(
    client: IMAPClient, target: ImapTarget, options: ConnectOptions, context: ssl.SSLContext
) -> None:
    if client.has_capability("STARTTLS"):
        client.starttls(context)
        return
    if not options.allow_plaintext:
        raise TLSFailed(
            f"{target.host}:{target.port} does not offer STARTTLS; refusing to send the "
            "password in clear text",
            hint="use imaps:// (port 993), or --allow-plaintext on a trusted network",
        )


def _login(client: IMAPClient, target: ImapTarget, options: ConnectOptions) -> None:
    if options.oauth2_token:
        _oauth2_login(client, target, options)
        return
    user, password = target.user, options.password
    ascii_only = user.isascii() and password.isascii()
    plain_ok = client.has_capability("AUTH=PLAIN")
    try:
        if plain_ok and (not ascii_only or client.has_capability("LOGINDISABLED")):
            # AUTHENTICATE PLAIN (RFC 4616) carries UTF-8; LOGIN only ASCII.
            client.plain_login(user, password)
        elif not ascii_only:
            raise LoginFailed(
                f"{target.host} cannot take a non-ASCII user name or password",
                hint="the server offers no AUTHENTICATE PLAIN",
            )
        else:
            # imaplib quotes the password itself but sends the user name as is.
            client.login(user if _ATOM.fullmatch(user) else _quote(user), password)
    except LoginError as exc:
        raise LoginFailed(
            f"login refused for {user} on {target.host}: {_server_text(exc, options)}",
            hint="check the user name and password (some providers need an app password)",
        ) from _scrubbed(exc, options)


def _oauth2_login(client: IMAPClient, target: ImapTarget, options: ConnectOptions) -> None:
    """AUTHENTICATE XOAUTH2 (Google's, also Microsoft's and Dovecot's), or OAUTHBEARER
    (RFC 7628) when only that one is offered."""
    user, token = target.user, options.oauth2_token
    if client.has_capability("AUTH=XOAUTH2"):
        mechanism = "XOAUTH2"
        initial = f"user={user}\x01auth=Bearer {token}\x01\x01"
        # On failure the server sends a JSON error as a challenge; the client answers with an
        # empty line and then gets the tagged NO (Google's XOAUTH2 protocol notes).
        after_error = b""
    elif client.has_capability("AUTH=OAUTHBEARER"):
        mechanism = "OAUTHBEARER"
        # RFC 7628 §3.1: GS2 header with the authorization identity, "=" and "," escaped.
        authzid = user.replace("=", "=3D").replace(",", "=2C")
        initial = f"n,a={authzid},\x01auth=Bearer {token}\x01\x01"
        after_error = b"\x01"  # RFC 7628 §3.2.3: a lone %x01 ends a failed exchange
    else:
        raise LoginFailed(
            f"{target.host} offers no OAuth2 login (AUTH=XOAUTH2 or AUTH=OAUTHBEARER)",
            hint='use auth = "password" for this account, or check the server name',
        )
    answers = iter([initial.encode("utf-8")])

    def respond(challenge: bytes) -> bytes:
        return next(answers, after_error)

    try:
        client.sasl_login(mechanism, respond)
    except (LoginError, imaplib.IMAP4.error) as exc:
        raise LoginFailed(
            f"{mechanism} login refused for {user} on {target.host}: {_server_text(exc, options)}",
            hint="the access token may have expired or lack the mail scope; check token_command",
        ) from _scrubbed(exc, options)


def _shutdown(client: IMAPClient) -> None:
    with contextlib.suppress(Exception):  # best effort: the socket may be half-closed
        client.shutdown()


@contextlib.contextmanager
def _translated(
    target: ImapTarget, options: ConnectOptions | None, doing: str, folder: str | None = None
) -> Iterator[None]:
    """Turn socket, TLS and imaplib errors into MailboxError subclasses."""
    where = f"{target.host}:{target.port}"
    try:
        yield
    except socket.gaierror as exc:
        _raise(ConnectionFailed(f"cannot resolve host {target.host}: {_one_line(exc)}"), exc)
    except ssl.SSLCertVerificationError as exc:
        _raise(
            TLSFailed(
                f"TLS certificate of {where} not trusted: {exc.verify_message or exc.reason}",
                hint="if the server uses its own CA or a self-signed certificate, "
                "pass it with --ca-file",
            ),
            exc,
        )
    except ssl.SSLError as exc:
        _raise(TLSFailed(f"TLS with {where} failed while {doing}: {exc.reason or exc}"), exc)
    except TimeoutError as exc:
        timeout = f" within {options.timeout:g}s" if options else ""
        _raise(ConnectionFailed(f"{where} did not answer{timeout} while {doing}"), exc)
    except ConnectionRefusedError as exc:
        _raise(ConnectionFailed(f"connection refused by {where}"), exc)
    except OSError as exc:
        _raise(ConnectionFailed(f"cannot talk to {where} while {doing}: {_one_line(exc)}"), exc)
    except imaplib.IMAP4.abort as exc:
        _raise(ConnectionFailed(f"connection to {where} lost while {doing}: {_one_line(exc)}"), exc)
    except imaplib.IMAP4.error as exc:
        text = _server_text(exc, options)
        if folder is not None and _MISSING_FOLDER.search(text):
            _raise(
                FolderNotFound(
                    f"folder {folder!r} not found on {target.host}",
                    hint="it may have been deleted or renamed meanwhile; run again",
                ),
                exc,
            )
        _raise(MailboxError(f"{target.host} refused {doing}: {text}"), exc)


def _raise(error: MailboxError, cause: BaseException) -> NoReturn:
    raise error from cause


def _scrubbed(exc: BaseException, options: ConnectOptions | None) -> BaseException:
    """The exception, with the secrets cut out of its args should a server have echoed them."""
    for secret in _secrets(options):
        exc.args = tuple(_cut(arg, secret) for arg in exc.args)
    return exc


def _secrets(options: ConnectOptions | None) -> list[str]:
    if options is None:
        return []
    return [secret for secret in (options.password, options.oauth2_token) if secret]


def _cut(arg: object, password: str) -> object:
    if isinstance(arg, str):
        return arg.replace(password, "***")
    if isinstance(arg, bytes):
        return arg.replace(password.encode("utf-8", "replace"), b"***")
    return arg


def _server_text(exc: BaseException, options: ConnectOptions | None) -> str:
    """The server's words from an imaplib/imapclient error, on one line, password-free."""
    _scrubbed(exc, options)
    text = _one_line(exc)
    # imapclient formats bytes with str(): "login failed: b'[AUTH...] failed.'"
    text = re.sub(r"""\bb(['"])(.*?)\1""", r"\2", text)
    return text or "no reason given"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300]


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(typ: str, data: list[Any], command: str) -> None:
    if typ != "OK":
        reason = _text(data[0]) if data and data[0] is not None else "no reason given"
        raise imaplib.IMAP4.error(f"{command} failed: {reason}")


# --- sequence sets ------------------------------------------------------------------------


def _expand_set(text: bytes) -> list[int]:
    uids: list[int] = []
    for part in text.split(b","):
        low, _, high = part.partition(b":")
        a, b = int(low), int(high or low)
        uids.extend(range(min(a, b), max(a, b) + 1))
    return uids


def _sequence_set(uids: Sequence[int]) -> str:
    """Sorted UIDs as a compact RFC 3501 sequence set: [1, 2, 3, 7] -> "1:3,7"."""
    parts: list[str] = []
    start = previous = uids[0]
    for uid in uids[1:]:
        if uid != previous + 1:
            parts.append(f"{start}:{previous}" if previous != start else str(start))
            start = uid
        previous = uid
    parts.append(f"{start}:{previous}" if previous != start else str(start))
    return ",".join(parts)


def _batches(uids: Sequence[int]) -> Iterator[Sequence[int]]:
    """Slices of at most BATCH_SIZE UIDs whose sequence set stays a short command line."""
    start = 0
    while start < len(uids):
        end = min(start + BATCH_SIZE, len(uids))
        # Scattered UIDs make long sets; ~8 characters each is the worst case we allow for.
        while end - start > 1 and len(_sequence_set(uids[start:end])) > _MAX_SET_CHARS:
            end = start + (end - start) // 2
        yield uids[start:end]
        start = end


# --- FETCH response parsing ---------------------------------------------------------------

_ITEM_NAME = re.compile(rb"\s*([A-Za-z0-9.\-]+(?:\[[^\]]*\])?(?:<\d+>)?)\s+")
_QUOTED = re.compile(rb'"((?:[^"\\]|\\.)*)"')
_ATOM_VALUE = re.compile(rb'[^\s()"\x00]+')
_SPACES = re.compile(rb"\s*")
_INTERNALDATE = re.compile(rb"\s*(\d{1,2}-[A-Za-z]{3}-\d{4}) (\d\d:\d\d:\d\d) ([+-]\d{4})$")
_MONTHS = {
    m: i + 1 for i, m in enumerate(b"jan feb mar apr may jun jul aug sep oct nov dec".split())
}
_LITERAL = b"\x00"  # stands for the next literal; NUL cannot occur in IMAP response text
_UID_ANYWHERE = re.compile(rb"UID (\d+)")

Value = int | bytes | None | list["Value"]


class _Garbled(ValueError):
    """A FETCH response this parser cannot follow."""


_FETCH_RESPONSE = re.compile(rb"\* \d+ FETCH ", re.IGNORECASE)


class _Wire:
    """Responses read off imaplib's own socket reader, a buffer-full at a time.

    imaplib reads a line or a literal per call; for 100,000s of small responses the calls
    cost more than the parsing. Here the reader's buffer is looked at with peek() and bytes
    are taken from it only once parsed (see `release`), so nothing the server sends after
    our last response is lost to imaplib.
    """

    def __init__(self, imap: imaplib.IMAP4) -> None:
        # IMAP4 and IMAP4_SSL read through socket.makefile("rb"): a BufferedReader.
        self._file = cast(io.BufferedReader, imap.file)
        self._data = b""  # bytes looked at; parsing has reached `_pos`
        self._pos = 0
        self._peeked = 0  # the last `_peeked` bytes of `_data` are still in the reader

    def plain_fetch(self, folder: str) -> RawMessage | None:
        """The next response when it is a plain FETCH answer (`_PLAIN_FETCH`); else None,
        and nothing is consumed."""
        while True:
            data, pos = self._data, self._pos
            eol = data.find(b"\n", pos)
            if eol < 0:  # only a whole line tells what the response is
                if len(data) - pos > _MAXLINE or not self._more():
                    return None  # the general path reports either
                continue
            match = _PLAIN_FETCH.match(data, pos, eol)
            if match is None:
                return None
            echo = match.end()
            size = _LITERAL_SIZE.fullmatch(data, echo + len(_HEADER_ECHO), eol + 1)
            if size is None or not data.startswith(_HEADER_ECHO, echo):
                return None
            start = eol + 1
            end = start + int(size[1])
            # The literal and what follows it: the response or the tagged reply owe that.
            if end + 3 <= len(data):
                break
            if not self._more():
                return None
        if data[end : end + 3] != b")\r\n":
            return None  # more items after the header: the general parser reads them
        self._pos = end + 3
        uid, flags, day, time, zone = match.groups()
        internal_date = _date(day, time, zone)
        return RawMessage(folder, int(uid), internal_date, _flag_set(flags), data[start:end])

    def readline(self) -> bytes:
        """One line, up to and with its LF, as imaplib's readline reads it (same limit)."""
        end = self._data.find(b"\n", self._pos)
        if end >= 0:
            line = self._data[self._pos : end + 1]
            self._pos = end + 1
        else:
            line = self._rest() + self._file.readline(_MAXLINE + 1)
        if len(line) > _MAXLINE:
            raise imaplib.IMAP4.error(f"got more than {_MAXLINE} bytes")
        return line

    def read(self, size: int) -> bytes:
        """`size` bytes, fewer only at the end of the stream."""
        end = self._pos + size
        if end <= len(self._data):
            chunk = self._data[self._pos : end]
            self._pos = end
            return chunk
        rest = self._rest()
        return rest + self._file.read(size - len(rest))

    def release(self) -> None:
        """Take from the reader only what was parsed; call when no response is owed."""
        # Bytes are taken from the reader in `_more` only when a response ran past the
        # buffer, and that response is parsed by now: what is left is in the peeked part.
        self._file.read(max(0, self._peeked - (len(self._data) - self._pos)))
        self._data, self._pos, self._peeked = b"", 0, 0

    def _more(self) -> bool:
        """Append what the reader holds next (one socket read when it holds nothing);
        False at the end of the stream."""
        self._file.read(self._peeked)
        self._peeked = 0
        chunk = self._file.peek(_WINDOW)
        if not chunk:
            return False
        self._data = self._data[self._pos :] + chunk
        self._pos = 0
        self._peeked = len(chunk)
        return True

    def _rest(self) -> bytes:
        """The bytes not parsed yet, all taken from the reader."""
        rest = self._data[self._pos :]
        self._file.read(self._peeked)
        self._data, self._pos, self._peeked = b"", 0, 0
        return rest


#: The reader's buffer is what peek() can show (socket.makefile: io.DEFAULT_BUFFER_SIZE).
_WINDOW = io.DEFAULT_BUFFER_SIZE
_MAXLINE = 1_000_000  # imaplib's own limit on a response line (imaplib._MAXLINE)

# What Dovecot (and most servers) answer to our UID FETCH, nothing else in it, is read with
# two matches and a comparison instead of the item parser below: "* 12 FETCH (UID 34 FLAGS
# (\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" BODY[HEADER.FIELDS (FROM ...)] {567}".
# Anything else (other items, another order, quoted or escaped text, NIL, Gmail's
# X-GM-THRID, an odd date) takes the general path, which reads it the same.
_PLAIN_FETCH = re.compile(
    rb"\* \d+ FETCH \(UID (\d+) FLAGS \(([^()\"\x00\r\n]*)\) INTERNALDATE "
    rb'"[ \t\f\v]*(\d{1,2}-[A-Za-z]{3}-\d{4}) (\d\d:\d\d:\d\d) ([+-]\d{4})" '
)
# The header item as the server names it back: our list of fields, as we asked for it.
_HEADER_ECHO = b"BODY[HEADER.FIELDS (" + " ".join(HEADER_FIELDS).upper().encode() + b")] {"
_LITERAL_SIZE = re.compile(rb"(\d+)\}\r\n")


@functools.lru_cache(maxsize=1024)
def _flag_set(flags: bytes) -> frozenset[str]:
    """FLAGS "(...)" contents as a set; a mailbox has few distinct ones, so they are shared."""
    return frozenset(_text(flag) for flag in flags.split())


def _read_response(wire: _Wire) -> tuple[bytes, list[bytes]]:
    """One response line; each literal's bytes are cut out and marked by _LITERAL in the text."""
    line = wire.readline()
    if not line:
        raise imaplib.IMAP4.abort("the server closed the connection")
    if not line.endswith(b"}\r\n"):
        return line, []
    parts: list[bytes] = []
    literals: list[bytes] = []
    while line.endswith(b"}\r\n") and (opening := line.rfind(b"{")) >= 0:
        size = line[opening + 1 : -3]
        if not size.isdigit():
            break
        parts.append(line[:opening] + _LITERAL)
        literals.append(wire.read(int(size)))
        line = wire.readline()
        if not line:
            raise imaplib.IMAP4.abort("the server closed the connection")
    parts.append(line)
    return b"".join(parts), literals


def _parse_fetch(folder: str, text: bytes, literals: list[bytes]) -> RawMessage | Unreadable | None:
    """A FETCH response's "(...)" as a RawMessage; Unreadable when it makes no sense; None
    when it has no UID (an unsolicited flag update, or garbage)."""
    try:
        items = _items(text, literals)
    except (_Garbled, ValueError, RecursionError) as exc:
        found = _UID_ANYWHERE.search(text)
        if found is None:
            return None
        return Unreadable(folder, int(found.group(1)), f"unreadable response: {exc}")
    uid = items.get(b"UID")
    if not isinstance(uid, int):
        return None
    return _message(folder, uid, items)


def _message(folder: str, uid: int, items: dict[bytes, Value]) -> RawMessage | Unreadable:
    header: Value = None
    for name, value in items.items():
        if name.startswith((b"BODY[HEADER", b"RFC822.HEADER")):
            header = value
    if not isinstance(header, bytes):
        return Unreadable(folder, uid, "server sent no header section")
    flags = items.get(b"FLAGS")
    if not isinstance(flags, list):
        flags = []
    thread = items.get(b"X-GM-THRID")
    internal = items.get(b"INTERNALDATE")
    return RawMessage(
        folder=folder,
        uid=uid,
        internal_date=_internal_date(internal) if isinstance(internal, bytes) else None,
        flags=frozenset(_text(flag) for flag in flags if flag is not None),
        header_bytes=header,
        conversation_id=f"gm:{thread}" if isinstance(thread, int) else None,
    )


def _items(text: bytes, literals: list[bytes]) -> dict[bytes, Value]:
    """Parse a FETCH response's "(NAME value NAME value ...)" into {upper-cased NAME: value}."""
    return _flat_items(text, literals) or _nested_items(text, literals)


# The usual response holds only numbers, one flat list, quoted strings, NIL and literals:
# one regex pass cuts it into items (the nested parser below is three times slower and only
# needed for lists inside lists, or to say what is wrong).
_FLAT_PAIR = re.compile(
    rb"\s*([A-Za-z0-9.\-]+(?:\[[^\]]*\])?(?:<\d+>)?) "
    rb'(\d+|\([^()"\x00]*\)|"[^"\\]*(?:\\.[^"\\]*)*"|\x00|[Nn][Ii][Ll])'
)
_CLOSING = re.compile(rb"\s*\)\s*")


def _flat_items(text: bytes, literals: list[bytes]) -> dict[bytes, Value] | None:
    """The items, or None when the response is not flat (or not well-formed)."""
    pending = iter(literals)
    items: dict[bytes, Value] = {}
    pos = 1
    for match in _FLAT_PAIR.finditer(text, 1):
        if match.start() != pos:
            return None  # something between items that the flat pattern does not cover
        pos = match.end()
        name, raw = match.groups()
        first = raw[:1]
        value: Value
        if first == b"(":
            value = list(raw[1:-1].split())
        elif first == b'"':
            value = re.sub(rb"\\(.)", rb"\1", raw[1:-1]) if b"\\" in raw else raw[1:-1]
        elif first == _LITERAL:
            value = next(pending, None)
        elif first.isdigit():
            value = int(raw)
        else:
            value = None
        items[name.upper()] = value
    if not text.startswith(b"(") or _CLOSING.fullmatch(text, pos) is None:
        return None
    return items


def _nested_items(text: bytes, literals: list[bytes]) -> dict[bytes, Value]:
    if not text.startswith(b"("):
        raise _Garbled(f"unexpected {text[:20]!r}")
    pending = iter(literals)
    pos = 1
    items: dict[bytes, Value] = {}
    while True:
        pos = _SPACES.match(text, pos).end()  # type: ignore[union-attr]
        if text[pos : pos + 1] == b")":
            return items
        name = _ITEM_NAME.match(text, pos)
        if name is None:
            raise _Garbled(f"unexpected {text[pos : pos + 20]!r}")
        value, pos = _value(text, name.end(), pending)
        items[name.group(1).upper()] = value


def _value(text: bytes, pos: int, literals: Iterator[bytes]) -> tuple[Value, int]:
    pos = _SPACES.match(text, pos).end()  # type: ignore[union-attr]
    char = text[pos : pos + 1]
    if char == b"(":
        values: list[Value] = []
        pos += 1
        while True:
            pos = _SPACES.match(text, pos).end()  # type: ignore[union-attr]
            if text[pos : pos + 1] == b")":
                return values, pos + 1
            if pos >= len(text):
                raise _Garbled("unterminated list")
            value, pos = _value(text, pos, literals)
            values.append(value)
    if char == b'"':
        quoted = _QUOTED.match(text, pos)
        if quoted is None:
            raise _Garbled("unterminated quoted string")
        return re.sub(rb"\\(.)", rb"\1", quoted.group(1)), quoted.end()
    if char == _LITERAL:
        literal = next(literals, None)
        if literal is None:
            raise _Garbled("missing literal")
        return literal, pos + 1
    atom = _ATOM_VALUE.match(text, pos)
    if atom is None:
        raise _Garbled(f"unexpected {text[pos : pos + 20]!r}")
    word = atom.group()
    if word.isdigit():
        return int(word), atom.end()
    if word.upper() == b"NIL":
        return None, atom.end()
    return word, atom.end()


def _internal_date(raw: bytes) -> datetime | None:
    """INTERNALDATE ("17-Jul-1996 02:44:25 -0700") as an aware datetime; None if malformed.

    Parsed by hand: strptime's %b follows the locale (and is slow).
    """
    match = _INTERNALDATE.match(raw)
    if match is None:
        return None
    return _date(*match.groups())


def _date(day: bytes, time: bytes, zone: bytes) -> datetime | None:
    """ "17-Jul-1996", "02:44:25", "-0700" as an aware datetime; None if there is no such
    day, time or offset."""
    iso_day = _iso_day(day)
    offset = _OFFSETS.get(zone) or _offset(zone)
    if iso_day is None or offset is None:
        return None
    # One ISO 8601 string read in C costs a third of int() on each part and the constructor;
    # the result is the same datetime, its tzinfo the same fixed offset.
    try:
        return datetime.fromisoformat(iso_day + time.decode("ascii") + offset)
    except ValueError:  # 31-Feb, 25:00...
        return None


# A mailbox spans a few thousand days: each is spelled out once.
@functools.lru_cache(maxsize=4096)
def _iso_day(day: bytes) -> str | None:
    """ "17-Jul-1996" as "1996-07-17T"; None for an unknown month."""
    number, month, year = day.split(b"-")
    month_number = _MONTHS.get(month.lower())
    if month_number is None:
        return None
    return f"{year.decode('ascii')}-{month_number:02d}-{int(number):02d}T"


_OFFSETS: dict[bytes, str] = {}


def _offset(zone: bytes) -> str | None:
    """ "-0700" as "-07:00"; None if it is no valid offset."""
    hours, minutes = int(zone[1:3]), int(zone[3:5])
    if hours > 23 or minutes > 59:
        return None
    _OFFSETS[zone] = offset = f"{zone[:1].decode('ascii')}{hours:02d}:{minutes:02d}"
    return offset
