"""A loopback TCP proxy that holds every chunk for a fixed time in each direction.

It models a distant server (round trip = 2 x the one-way delay) without limiting bandwidth:
each chunk read is written out `one_way` seconds after it arrived, in order. TLS passes
through untouched, so the client still verifies the server's own certificate.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time
from types import TracebackType

_CHUNK = 1 << 16


class LatencyProxy:
    """Listens on 127.0.0.1 (`port`), forwards to `target`; use as a context manager."""

    def __init__(self, target: tuple[str, int], one_way: float) -> None:
        self._target = target
        self._delay = one_way
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

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
            self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed: the proxy is shutting down
                return
            try:
                upstream = socket.create_connection(self._target)
            except OSError:
                client.close()
                continue
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sockets.extend((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                held: queue.SimpleQueue[tuple[float, bytes]] = queue.SimpleQueue()
                self._spawn(self._read, source, held)
                self._spawn(self._write, sink, held)

    def _read(self, source: socket.socket, held: queue.SimpleQueue[tuple[float, bytes]]) -> None:
        data = b""
        try:
            while data := source.recv(_CHUNK):
                held.put((time.monotonic() + self._delay, data))
        except OSError:
            pass
        held.put((time.monotonic() + self._delay, b""))  # end of stream, delayed like data

    def _write(self, sink: socket.socket, held: queue.SimpleQueue[tuple[float, bytes]]) -> None:
        try:
            while True:
                due, data = held.get()
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                if not data:
                    sink.shutdown(socket.SHUT_WR)
                    return
                sink.sendall(data)
        except OSError:
            return
