"""The IMAP connection's one receive buffer, shared by imaplib and our pipelined commands."""

# imaplib documents `read`, `readline`, `send`, `open` and `shutdown` as the methods a subclass
# may override; everything else of it is private. So imaplib's objects here read through an
# `Inbound` buffer of ours, which the pipelined commands (`Wire`) and the fast FETCH reader read
# too: no byte is ever in two places, and nothing depends on how imaplib buffers (Python 3.14
# changed it, and made `IMAP4.file` a property that 3.19 removes).

from __future__ import annotations

import contextlib
import imaplib
import itertools
import re
import socket
import ssl
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

#: imaplib's own limit on a response line; we refuse the same lines it would.
MAXLINE = 1_000_000
_CHUNK = 1 << 16  # one recv(): a TLS record is at most 16 kB, a plain read may bring more

#: Stands for a literal in a response's text: NUL cannot occur in IMAP response text.
LITERAL = b"\x00"

Untagged = Callable[[bytes, list[bytes]], None]


class Inbound:
    """Bytes received and not yet read, from whatever socket the connection now uses.

    `data[pos:]` is unread. STARTTLS swaps the socket under imaplib: bytes received before the
    swap and still unread would be read as if they came over TLS, so that aborts (the
    response injection of CVE-2011-0411 and its IMAP cousins, RFC 2595 §3.1).
    """

    def __init__(self, current_socket: Callable[[], socket.socket]) -> None:
        self.data = b""
        self.pos = 0
        self._current_socket = current_socket
        self._source: socket.socket | None = None
        self.connecting = True  # imaplib's constructor is reading the greeting

    def check(self) -> socket.socket:
        """The socket to read from; refuses unread bytes received on another one."""
        sock = self._current_socket()
        if sock is not self._source:
            if self.pos < len(self.data):
                raise imaplib.IMAP4.abort("the server sent data before TLS began; not read")
            self._source = sock
        return sock

    def fill(self) -> bool:
        """Append one socket read to the unread bytes; False at the end of the stream.

        A timeout leaves the buffer as it was.
        """
        chunk = self.check().recv(_CHUNK)
        if not chunk:
            return False
        self.data = self.data[self.pos :] + chunk if self.pos < len(self.data) else chunk
        self.pos = 0
        return True

    def readline(self) -> bytes:
        """One line with its LF (fewer bytes only at the end of the stream), as imaplib's."""
        self.check()
        while (end := self.data.find(b"\n", self.pos)) < 0:
            if len(self.data) - self.pos > MAXLINE or not self.fill():
                end = len(self.data) - 1
                break
        line = self.data[self.pos : end + 1]
        self.pos = end + 1
        if len(line) > MAXLINE:
            raise imaplib.IMAP4.error(f"got more than {MAXLINE} bytes")
        return line

    def read(self, size: int) -> bytes:
        """`size` bytes, fewer only at the end of the stream."""
        self.check()
        start, end = self.pos, self.pos + size
        if end <= len(self.data):
            self.pos = end
            return self.data[start:end]
        # A big literal: gather the socket reads, join once (no quadratic copying).
        parts = [self.data[start:]]
        missing = end - len(self.data)
        self.data, self.pos = b"", 0
        while missing > 0:
            chunk = self.check().recv(_CHUNK)
            if not chunk:
                break
            if len(chunk) > missing:
                self.data, self.pos = chunk, missing
                chunk = chunk[:missing]
            parts.append(chunk)
            missing -= len(chunk)
        return b"".join(parts)


class BufferedIMAP4(imaplib.IMAP4):
    """imaplib's IMAP4 reading through an `Inbound` (through the methods it lets us override)."""

    def __init__(self, host: str, port: int, timeout: float | None, **tls: Any) -> None:
        # Before imaplib's constructor: it reads the greeting.
        self.inbound = Inbound(self.socket)
        try:
            super().__init__(host, port, timeout=timeout, **tls)
        finally:
            self.inbound.connecting = False

    def read(self, size: int) -> bytes:
        return self.inbound.read(size)

    def readline(self) -> bytes:
        return self.inbound.readline()

    def capability(self) -> tuple[str, list[Any]]:
        """CAPABILITY; while connecting, the greeting's list when it has one.

        RFC 3501 §7.1 (RFC 9051 §7.1): a server may list its capabilities in the greeting's
        CAPABILITY response code, which spares asking (a round trip). imaplib's constructor
        asks through this public method; if it stopped doing so, it would ask the server.
        After STARTTLS the question goes to the server again, as RFC 2595 §3.1 wants.
        """
        if self.inbound.connecting:
            listed = _CAPABILITY_CODE.search(getattr(self, "welcome", b""))
            if listed is not None:
                self.untagged_responses.pop("CAPABILITY", None)  # as the command would
                return "OK", [listed.group(1)]
        return super().capability()


class BufferedIMAP4_SSL(BufferedIMAP4, imaplib.IMAP4_SSL):
    """imaplib's IMAP4_SSL, reading through an `Inbound`."""

    def __init__(
        self, host: str, port: int, ssl_context: ssl.SSLContext, timeout: float | None
    ) -> None:
        # Always a context: imaplib's fallback for None does not verify certificates.
        super().__init__(host, port, timeout, ssl_context=ssl_context)


_CAPABILITY_CODE = re.compile(rb"\[CAPABILITY ([^\]]*)\]", re.IGNORECASE)


def capabilities_in(text: bytes | str) -> frozenset[str] | None:
    """The capabilities listed in a response code "[CAPABILITY ...]" (RFC 3501 §7.1), upper
    case; None when there is none."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    found = _CAPABILITY_CODE.search(raw)
    if found is None:
        return None
    return frozenset(found.group(1).decode("ascii", "replace").upper().split())


class Connection(Protocol):
    """What `Wire` needs of a connection: its buffer, and imaplib's documented `send`."""

    inbound: Inbound

    def send(self, data: bytes) -> None: ...


@dataclass(frozen=True)
class Reply:
    """A command's tagged reply: OK, NO or BAD, and the server's text."""

    status: str
    text: str

    @property
    def ok(self) -> bool:
        return self.status == "OK"


_tags = itertools.count(1)


class Wire:
    """Our own tagged commands (tags "IA1", "IA2"...): written several at a time, their
    replies read back in any order (RFC 3501 §5.5), untagged responses handed to a callback.

    imaplib never sees these commands; it only shares the buffer.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.inbound = connection.inbound
        self._replies: dict[bytes, Reply] = {}
        self._ignored: set[bytes] = set()
        self._held: list[bytes] | None = None

    def send(self, *commands: bytes) -> list[bytes]:
        """Write the commands at once (one round trip for all); their tags, in order."""
        tags = [b"IA%d" % next(_tags) for _ in commands]
        data = b"".join(t + b" " + c + b"\r\n" for t, c in zip(tags, commands, strict=True))
        if self._held is not None:
            self._held.append(data)
        else:
            self.connection.send(data)
        return tags

    @contextlib.contextmanager
    def together(self) -> Iterator[None]:
        """Commands sent meanwhile go out in one write at the end (a second small write
        could wait for the first one's ACK: Nagle's algorithm, RFC 896)."""
        if self._held is not None:  # already inside: the outer one writes
            yield
            return
        held: list[bytes] = []
        self._held = held
        try:
            yield
        finally:
            self._held = None
            if held:
                self.connection.send(b"".join(held))

    def ignore(self, tag: bytes) -> None:
        """Nobody waits for this command: its reply is dropped whenever it comes."""
        self._ignored.add(tag)

    def wait(self, tag: bytes, untagged: Untagged, fast: Callable[[], bool] | None = None) -> Reply:
        """Read until `tag`'s reply, handing each untagged response to `untagged`; `fast`,
        when given, may take a response off the buffer first (True when it did)."""
        self.inbound.check()
        replies = self._replies
        while tag not in replies:
            if fast is not None and fast():
                continue
            text, literals = read_response(self.inbound)
            if text.startswith(b"* "):
                if text[2:5].upper() == b"BYE":
                    raise imaplib.IMAP4.abort(text[5:].decode("utf-8", "replace").strip() or "BYE")
                untagged(text, literals)
                continue
            if text.startswith(b"+"):
                raise imaplib.IMAP4.abort("unexpected continuation request")
            got, _, rest = text.rstrip(b"\r\n").partition(b" ")
            status, _, said = rest.partition(b" ")
            if got in self._ignored:
                self._ignored.discard(got)
                continue
            replies[got] = Reply(status.decode("ascii", "replace").upper(), _text(said))
        return replies.pop(tag)

    def wait_all(self, tags: Sequence[bytes], untagged: Untagged) -> list[Reply]:
        return [self.wait(tag, untagged) for tag in tags]


def nothing(text: bytes, literals: list[bytes]) -> None:
    """An `Untagged` callback for replies whose untagged responses carry nothing we need."""


def read_response(inbound: Inbound) -> tuple[bytes, list[bytes]]:
    """One response: its text, each literal cut out and marked by LITERAL; the literals."""
    line = inbound.readline()
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
        parts.append(line[:opening] + LITERAL)
        literals.append(inbound.read(int(size)))
        line = inbound.readline()
        if not line:
            raise imaplib.IMAP4.abort("the server closed the connection")
    parts.append(line)
    return b"".join(parts), literals


def quoted(text: bytes) -> bytes:
    """An IMAP quoted string (RFC 3501 §9); refuses what only a literal could carry."""
    if b"\r" in text or b"\n" in text or b"\x00" in text:
        raise imaplib.IMAP4.error(f"cannot name {_text(text)!r} in a command")
    return b'"' + text.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")
