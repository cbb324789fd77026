"""A loopback TCP proxy that holds every chunk for a fixed time in each direction, and counts
the round trips its clients wait for.

It models a distant server (round trip = 2 x `one_way`) without limiting bandwidth: each
chunk read is written out `one_way` seconds after it arrived, in order, and reading never
waits for writing. TLS passes through untouched, so the client still verifies the server's
own certificate. TCP's own handshake is not modelled (a real connection costs one more RTT).

Round trips. The client waits for the server whenever it sends something (or closes) only
after the server's answer to what it sent before has reached it. So a client chunk (or the
client's end of stream) is counted when (1) the server delivered something to the client
since the client's previous chunk and (2) nothing of the server's is still on its way. A
command pipelined behind another, or sent while a long answer is still arriving, is not
counted: the client did not wait for it. The chunks between two counted ones form an
`Exchange`; each exchange after which the client waited is one round trip.

With a `Tap` (for untimed runs only: Python decrypts and encrypts every byte), the proxy also
ends the client's TLS itself, with the server's certificate and key, and speaks plain IMAP
to the server's plain-text port: it then sees which IMAP commands make up each exchange.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import math
import queue
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

_CHUNK = 1 << 16
_KEPT_CHARS = 10_000  # of each command's text (a UID set may be long)
_LITERAL = re.compile(rb"\{(\d+)\+?\}$")
_SECRET = frozenset({"LOGIN", "AUTHENTICATE"})


@dataclasses.dataclass(frozen=True)
class Tap:
    """End the client's TLS at the proxy (this certificate and key) and forward plain IMAP to
    `upstream`, the server's plain-text port, so that commands can be read."""

    cert: Path
    key: Path
    upstream: tuple[str, int]


@dataclasses.dataclass
class Exchange:
    """Client chunks sent without waiting for the server in between."""

    chunks: int = 0
    commands: list[str] = dataclasses.field(default_factory=list)  # names; with a Tap only
    waited: bool = False  # the client then waited for the server: one round trip

    @property
    def label(self) -> str:
        """The commands, or what the client waited for without sending any."""
        if self.commands:
            names = list(dict.fromkeys(self.commands))
            return "+".join(
                f"{name}x{self.commands.count(name)}" if self.commands.count(name) > 1 else name
                for name in names
            )
        return "(TLS handshake)" if self.chunks else "(greeting)"


@dataclasses.dataclass
class Connection:
    """What crossed one proxied connection."""

    index: int
    tapped: bool = False
    client_chunks: int = 0
    client_bytes: int = 0
    server_bytes: int = 0
    # The first exchange starts with the connection (the client may wait for a greeting).
    exchanges: list[Exchange] = dataclasses.field(default_factory=lambda: [Exchange()])
    texts: list[str] = dataclasses.field(default_factory=list)  # commands (Tap), secrets cut
    closed: bool = False

    @property
    def round_trips(self) -> int:
        return sum(exchange.waited for exchange in self.exchanges)


class _Link:
    """The round-trip bookkeeping of one connection, shared by its threads.

    Decided on times, not on the order in which threads get to run: a client chunk that
    reached the proxy at `at` waited for the server when the last server chunk the proxy had
    read before `at` had begun to be delivered before `at` (nothing was still on its way),
    and after the client's previous chunk (the client had an answer it had not had before).
    Delivery is in order, so the chunks that have begun to be delivered are a prefix. The
    client's end of stream waited when an answer began to come after its last chunk.
    """

    def __init__(self, record: Connection) -> None:
        self.record = record
        self.lock = threading.Lock()
        self._reads: list[float] = []  # when each server chunk reached the proxy
        self._starts: list[float] = []  # when each began to be delivered to the client
        self._previous = -math.inf  # when the client's previous chunk came

    def client_sent(self, size: int, at: float) -> int:
        """A client chunk (size 0: its end of stream); returns its exchange's index."""
        with self.lock:
            record = self.record
            if size:
                last = bisect.bisect_left(self._reads, at) - 1
                waited = 0 <= last < len(self._starts) and self._previous < self._starts[last] < at
            else:  # closing: waited if an answer came after its last chunk (LOGOUT's), even
                # if the server's own goodbye (TLS close_notify) is still on its way
                started = bisect.bisect_left(self._starts, at) - 1
                waited = started >= 0 and self._starts[started] > self._previous
            self._previous = at
            if waited:
                record.exchanges[-1].waited = True
                if size:
                    record.exchanges.append(Exchange())
            if size:
                record.client_chunks += 1
                record.client_bytes += size
                record.exchanges[-1].chunks += 1
            return len(record.exchanges) - 1

    def server_sent(self, size: int) -> None:
        with self.lock:
            self._reads.append(time.monotonic())
            self.record.server_bytes += size

    def delivering(self) -> None:
        """The next server chunk is being handed to the client now."""
        with self.lock:
            self._starts.append(time.monotonic())

    def commands(self, exchange: int, texts: list[str]) -> None:
        with self.lock:
            for text in texts:
                name = command_name(text)
                self.record.exchanges[exchange].commands.append(name)
                self.record.texts.append(name if name in _SECRET else text)


_Held = queue.SimpleQueue[tuple[float, bytes, int]]


class LatencyProxy:
    """Listens on 127.0.0.1 (`port`), forwards to `target`; use as a context manager.

    `tap` may be set or cleared between runs: it applies to the connections accepted after.
    """

    def __init__(self, target: tuple[str, int], one_way: float, tap: Tap | None = None) -> None:
        self._target = target
        self._delay = one_way
        self.tap = tap
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._records: list[Connection] = []
        self._lock = threading.Lock()
        self._count = 0

    def __enter__(self) -> LatencyProxy:
        self._spawn(self._accept_loop)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept() (close alone does not)
        self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in list(self._threads):
            thread.join(timeout=5)

    def take(self, settle: float = 10.0) -> list[Connection]:
        """The connections recorded since the last take, once they have all closed (waiting
        up to `settle` seconds: the last bytes are still held for `one_way`)."""
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline:
            with self._lock:
                if all(record.closed for record in self._records):
                    break
            time.sleep(0.01)
        with self._lock:
            records, self._records = self._records, []
        return records

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed: the proxy is shutting down
                return
            tap = self.tap
            try:
                upstream = socket.create_connection(tap.upstream if tap else self._target)
            except OSError:
                client.close()
                continue
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                record = Connection(self._count, tapped=tap is not None)
                self._count += 1
                self._records.append(record)
                self._sockets.extend((client, upstream))
            self._spawn(self._serve, client, upstream, _Link(record), tap)

    def _serve(
        self, client: socket.socket, upstream: socket.socket, link: _Link, tap: Tap | None
    ) -> None:
        to_server: _Held = queue.SimpleQueue()
        to_client: _Held = queue.SimpleQueue()
        tls = _TapTLS(tap, link, upstream, to_client, self._delay) if tap else None
        pumps = [
            threading.Thread(target=self._read_client, args=(client, to_server, link)),
            threading.Thread(target=self._read_server, args=(upstream, to_client, link, tls)),
            threading.Thread(
                target=self._write,
                args=(to_server, tls.from_client if tls else _sender(upstream)),
            ),
            threading.Thread(target=self._write, args=(to_client, _delivering(client, link))),
        ]
        for pump in pumps:
            pump.start()
        for pump in pumps:
            pump.join()
        with self._lock:
            for sock in (client, upstream):
                with contextlib.suppress(ValueError):
                    self._sockets.remove(sock)
                sock.close()
        with link.lock:
            link.record.closed = True

    def _read_client(self, source: socket.socket, held: _Held, link: _Link) -> None:
        data = b""
        with contextlib.suppress(OSError):
            while data := source.recv(_CHUNK):
                now = time.monotonic()
                exchange = link.client_sent(len(data), now)
                held.put((now + self._delay, data, exchange))
        link.client_sent(0, time.monotonic())
        held.put((time.monotonic() + self._delay, b"", -1))  # end of stream, delayed like data

    def _read_server(
        self, source: socket.socket, held: _Held, link: _Link, tls: _TapTLS | None
    ) -> None:
        data = b""
        with contextlib.suppress(OSError):
            while data := source.recv(_CHUNK):
                if tls is not None:
                    tls.from_server(data)
                else:
                    link.server_sent(len(data))
                    held.put((time.monotonic() + self._delay, data, -1))
        held.put((time.monotonic() + self._delay, b"", -1))

    def _write(self, held: _Held, deliver: Callable[[bytes, int], None]) -> None:
        """Hand each chunk on once it is due, in order; b"" ends the stream."""
        with contextlib.suppress(OSError):
            while True:
                due, data, exchange = held.get()
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                deliver(data, exchange)
                if not data:
                    return


def _sender(sink: socket.socket) -> Callable[[bytes, int], None]:
    def send(data: bytes, exchange: int) -> None:
        if data:
            sink.sendall(data)
        else:
            sink.shutdown(socket.SHUT_WR)

    return send


def _delivering(client: socket.socket, link: _Link) -> Callable[[bytes, int], None]:
    send = _sender(client)

    def deliver(data: bytes, exchange: int) -> None:
        if data:
            link.delivering()
        send(data, exchange)

    return deliver


class _TapTLS:
    """The server's side of the client's TLS, held in memory: raw bytes from the client are
    decrypted once due (as the server would), the server's plain answers encrypted at once
    and held for `one_way` on their way to the client."""

    def __init__(
        self, tap: Tap, link: _Link, upstream: socket.socket, to_client: _Held, delay: float
    ) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tap.cert, tap.key)
        self._incoming, self._outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_side=True)
        self._link, self._upstream, self._to_client, self._delay = link, upstream, to_client, delay
        self._lock = threading.Lock()
        self._ready = False
        self._early = b""  # the server's greeting, sent before the client's handshake is done
        self._commands = CommandReader()

    def from_client(self, data: bytes, exchange: int) -> None:
        if not data:
            self._upstream.shutdown(socket.SHUT_WR)
            return
        plain = b""
        with self._lock:
            self._incoming.write(data)
            if not self._ready:
                with contextlib.suppress(ssl.SSLWantReadError):
                    self._tls.do_handshake()
                    self._ready = True
                    if self._early:
                        self._tls.write(self._early)
            with contextlib.suppress(ssl.SSLWantReadError, ssl.SSLZeroReturnError):
                while self._ready:
                    plain += self._tls.read(_CHUNK)
            self._flush()
        if plain:
            self._link.commands(exchange, self._commands.feed(plain))
            self._upstream.sendall(plain)

    def from_server(self, data: bytes) -> None:
        with self._lock:
            if self._ready:
                self._tls.write(data)
            else:
                self._early += data
            self._flush()

    def _flush(self) -> None:
        raw = self._outgoing.read()
        if raw:
            self._link.server_sent(len(raw))
            self._to_client.put((time.monotonic() + self._delay, raw, -1))


class CommandReader:
    """Splits a client's plain IMAP stream into commands (literals elided as {n})."""

    def __init__(self) -> None:
        self._buffer = b""
        self._parts: list[bytes] = []
        self._literal = 0

    def feed(self, data: bytes) -> list[str]:
        self._buffer += data
        done: list[str] = []
        while self._buffer:
            if self._literal:
                taken = min(self._literal, len(self._buffer))
                self._literal -= taken
                self._buffer = self._buffer[taken:]
                continue
            end = self._buffer.find(b"\r\n")
            if end < 0:
                break
            line, self._buffer = self._buffer[:end], self._buffer[end + 2 :]
            self._parts.append(line)
            literal = _LITERAL.search(line)
            if literal is not None:
                self._literal = int(literal.group(1))
                continue
            text = b"".join(self._parts)[:_KEPT_CHARS].decode("latin-1")
            self._parts = []
            done.append(text)
        return done


def command_name(text: str) -> str:
    """The command's name ("UID FETCH", "EXAMINE"...; "UID FETCH (FLAGS)" for a fetch of no
    message data); "(continuation)" for a line that is no command (the answer to a server's
    "+", DONE)."""
    words = text.split(" ", 3)
    if len(words) < 2 or not words[1].isalpha():
        return "(continuation)"
    name = words[1].upper()
    if name == "UID" and len(words) > 2:
        name += " " + words[2].upper()
    if name.endswith("FETCH") and "BODY" not in text.upper():
        name += " (FLAGS)"  # no message data: the flags a cache brings up to date
    return name
