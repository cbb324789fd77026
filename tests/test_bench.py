"""The bench's helpers: the latency proxy (delay, order, throughput, round-trip counting, the
tap that reads commands), the process measurer, and bench/run.py end to end on a tiny mailbox.

Not timed tests of the product: the times checked are the proxy's own, with wide margins.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from bench.latency import CommandReader, Connection, Exchange, LatencyProxy, Tap, command_name
from bench.report import DRAINED, Traffic

from tests.dovecot import DOVECOT, _make_certificates

ROOT = Path(__file__).resolve().parents[1]
ONE_WAY = 0.05

Handler = Callable[[socket.socket], None]


@contextmanager
def serving(handler: Handler) -> Iterator[tuple[str, int]]:
    """A loopback server running `handler` on each connection (in a thread)."""
    listener = socket.create_server(("127.0.0.1", 0))
    threads: list[threading.Thread] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            thread = threading.Thread(target=_handle, args=(handler, conn), daemon=True)
            threads.append(thread)
            thread.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield ("127.0.0.1", listener.getsockname()[1])
    finally:
        with suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        acceptor.join(timeout=10)
        for thread in threads:
            thread.join(timeout=10)


def _handle(handler: Handler, conn: socket.socket) -> None:
    with conn, suppress(OSError):
        handler(conn)


def echo(conn: socket.socket) -> None:
    while data := conn.recv(1 << 16):
        conn.sendall(data)


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_exactly(sock: socket.socket, size: int) -> bytes:
    parts, got = [], 0
    while got < size:
        data = sock.recv(min(1 << 16, size - got))
        assert data, f"connection closed after {got} of {size} bytes"
        parts.append(data)
        got += len(data)
    return b"".join(parts)


def read_line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(1)
        assert chunk, f"closed after {data!r}"
        data += chunk
    return data


def test_a_round_trip_through_the_proxy_takes_the_added_rtt() -> None:
    with serving(echo) as target, LatencyProxy(target, ONE_WAY) as proxy:
        sock = connect(proxy.port)
        with sock:
            for _ in range(3):
                started = time.monotonic()
                sock.sendall(b"ping\r\n")
                assert read_exactly(sock, 6) == b"ping\r\n"
                elapsed = time.monotonic() - started
                assert 2 * ONE_WAY <= elapsed < 2 * ONE_WAY + 0.1


def test_bytes_keep_their_order_in_both_directions() -> None:
    rng = random.Random(7)
    blob = rng.randbytes(3_000_000)
    with serving(echo) as target, LatencyProxy(target, 0.005) as proxy:
        sock = connect(proxy.port)
        with sock:
            received: list[bytes] = []
            reader = threading.Thread(target=lambda: received.append(read_exactly(sock, len(blob))))
            reader.start()
            position = 0
            while position < len(blob):  # chunks of every size, some a few bytes
                size = rng.choice((1, 7, 100, 1500, 16384, 70000))
                sock.sendall(blob[position : position + size])
                position += size
            reader.join(timeout=30)
    assert received and received[0] == blob


def test_a_large_transfer_is_not_slowed_by_the_delay() -> None:
    size = 32 << 20
    payload = os.urandom(1 << 20) * 32

    def bulk(conn: socket.socket) -> None:
        conn.recv(10)
        conn.sendall(payload)

    with serving(bulk) as target, LatencyProxy(target, ONE_WAY) as proxy:
        sock = connect(proxy.port)
        with sock:
            started = time.monotonic()
            sock.sendall(b"go")
            assert read_exactly(sock, size) == payload
            elapsed = time.monotonic() - started
    # One round trip, then at memory speed: a proxy that held each chunk in turn would take
    # 512 x 64 KiB chunks x 50 ms = 25 s.
    assert 2 * ONE_WAY <= elapsed < 2 * ONE_WAY + 3.0


def scripted(conn: socket.socket) -> None:
    """A greeting, then one answer per command line; "stream" is answered in ten pieces
    20 ms apart."""
    conn.sendall(b"* OK hello\r\n")
    buffer = b""
    while data := conn.recv(4096):
        buffer += data
        while b"\r\n" in buffer:
            line, buffer = buffer.split(b"\r\n", 1)
            tag, _, command = line.partition(b" ")
            if command == b"stream":
                for piece in range(10):
                    conn.sendall(b"* piece %d\r\n" % piece)
                    time.sleep(0.02)
            conn.sendall(tag + b" OK " + command + b"\r\n")


def test_the_counter_counts_the_round_trips_the_client_waits_for() -> None:
    with serving(scripted) as target, LatencyProxy(target, ONE_WAY) as proxy:
        sock = connect(proxy.port)
        with sock:
            read_line(sock)  # waited for the greeting: 1
            sock.sendall(b"a1 one\r\n")
            assert read_line(sock) == b"a1 OK one\r\n"  # 2
            sock.sendall(b"a2 two\r\n")
            time.sleep(0.01)  # two chunks, but the second does not wait for the first
            sock.sendall(b"a3 three\r\n")
            assert read_line(sock) == b"a2 OK two\r\n"
            assert read_line(sock) == b"a3 OK three\r\n"  # 3
            sock.sendall(b"a4 four\r\n")
            assert read_line(sock) == b"a4 OK four\r\n"  # 4, seen when the client closes
        [connection] = proxy.take()
    assert connection.round_trips == 4
    assert [(e.chunks, e.waited) for e in connection.exchanges] == [
        (0, True),
        (1, True),
        (2, True),
        (1, True),
    ]
    assert connection.client_chunks == 4


def test_a_command_sent_while_an_answer_is_still_arriving_is_no_round_trip() -> None:
    with serving(scripted) as target, LatencyProxy(target, ONE_WAY) as proxy:
        sock = connect(proxy.port)
        with sock:
            read_line(sock)  # 1
            sock.sendall(b"s1 stream\r\n")
            assert read_line(sock) == b"* piece 0\r\n"
            sock.sendall(b"s2 next\r\n")  # the other nine pieces are on their way: no wait
            lines = [read_line(sock) for _ in range(11)]
            assert lines[-1] == b"s2 OK next\r\n"  # 2
            sock.sendall(b"s3 last\r\n")
            assert read_line(sock) == b"s3 OK last\r\n"  # 3
            sock.shutdown(socket.SHUT_WR)
            time.sleep(3 * ONE_WAY)
        [connection] = proxy.take()
    assert [(e.chunks, e.waited) for e in connection.exchanges] == [
        (0, True),
        (2, True),
        (1, True),
    ]


def test_the_counter_does_not_count_a_close_that_waited_for_nothing() -> None:
    with serving(scripted) as target, LatencyProxy(target, ONE_WAY) as proxy:
        sock = connect(proxy.port)
        with sock:
            read_line(sock)
            sock.sendall(b"z1 bye\r\n")  # and closes at once
        [connection] = proxy.take()
    assert connection.round_trips == 1  # the greeting only


def test_commands_are_split_whatever_the_chunks() -> None:
    stream = (
        b"a1 CAPABILITY\r\na2 LOGIN {4}\r\nuser {6+}\r\nsecret\r\n"
        b'a3 uid fetch 1:* (FLAGS)\r\nZGF0YQ==\r\na4 EXAMINE "Clients/Acme"\r\n'
        b"a5 UID FETCH 1:3 (UID BODY.PEEK[HEADER.FIELDS (FROM)])\r\n"
    )
    for cut in range(1, len(stream)):
        reader = CommandReader()
        texts = reader.feed(stream[:cut]) + reader.feed(stream[cut:])
        assert [command_name(text) for text in texts] == [
            "CAPABILITY",
            "LOGIN",
            "UID FETCH (FLAGS)",
            "(continuation)",
            "EXAMINE",
            "UID FETCH",
        ], cut
        assert texts[2] == "a3 uid fetch 1:* (FLAGS)"


def imap_upstream(conn: socket.socket) -> None:
    """A plain-text 'server' for the tap: greeting, then OK to each command."""
    conn.sendall(b"* OK [CAPABILITY IMAP4rev1] ready\r\n")
    buffer = b""
    while data := conn.recv(4096):
        buffer += data
        while b"\r\n" in buffer:
            line, buffer = buffer.split(b"\r\n", 1)
            conn.sendall(line.split(b" ", 1)[0] + b" OK done\r\n")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_tap_reads_commands_behind_the_clients_own_tls(tmp_path: Path) -> None:
    _make_certificates(tmp_path)
    context = ssl.create_default_context(cafile=str(tmp_path / "ca.crt"))
    with serving(imap_upstream) as upstream:
        tap = Tap(tmp_path / "server.crt", tmp_path / "server.key", upstream)
        with LatencyProxy(("127.0.0.1", 9), ONE_WAY, tap) as proxy:
            raw = connect(proxy.port)
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
                assert read_line(sock).startswith(b"* OK")
                for command in (b"t1 CAPABILITY", b"t2 LOGIN me secret", b't3 LIST "" *'):
                    sock.sendall(command + b"\r\n")
                    assert read_line(sock).endswith(b" OK done\r\n")
                sock.sendall(b"t4 NOOP\r\nt5 LOGOUT\r\n")  # pipelined
                assert read_line(sock) == b"t4 OK done\r\n"
                assert read_line(sock) == b"t5 OK done\r\n"
            [connection] = proxy.take()
    assert isinstance(connection, Connection) and connection.tapped
    labels = [e.label for e in connection.exchanges]
    # ClientHello, then the client's Finished (it waits for the greeting), then commands.
    assert labels == [
        "(TLS handshake)",
        "(TLS handshake)",
        "CAPABILITY",
        "LOGIN",
        "LIST",
        "NOOP+LOGOUT",
    ]
    assert all(e.waited for e in connection.exchanges)
    assert "secret" not in " ".join(connection.texts)
    assert connection.texts[0] == "t1 CAPABILITY"


def test_a_fetch_pipelined_behind_another_is_counted_apart() -> None:
    def exchange(*commands: str, waited: bool = True) -> Exchange:
        return Exchange(1, list(commands), waited)

    connection = Connection(0, tapped=True)
    connection.exchanges = [
        exchange(),  # ClientHello
        exchange(),  # Finished, then the greeting
        exchange("EXAMINE"),
        exchange("UID SEARCH"),
        exchange("UID FETCH", "UID FETCH"),  # the folder's first batches: a real wait
        exchange("UID FETCH"),  # drained
        exchange("UID FETCH", waited=False),
        exchange("UID FETCH"),  # drained
        exchange("EXAMINE"),
        exchange("UID FETCH (FLAGS)"),
        exchange("UID FETCH"),  # after a fetch of flags: a real wait
        exchange("LOGOUT"),
    ]
    traffic = Traffic.of([connection])
    assert traffic.total == 11
    assert traffic.drained == 2
    assert traffic.waits[DRAINED] == 2
    assert traffic.waits["UID FETCHx2"] == 1
    assert traffic.waits["UID FETCH"] == 1
    assert traffic.waits["(TLS handshake)"] == 2
    assert traffic.commands["UID FETCH"] == 6


ORPHAN = """
import os, sys, time
if os.fork() == 0:  # a helper its parent does not wait for
    block = bytearray(200 << 20)
    for i in range(0, len(block), 4096):
        block[i] = 1
    time.sleep(1.0)
    os._exit(0)
sys.exit(3)
"""


def _measured(probe: str) -> Any:
    """What `probe`, Python run in a process of its own that measures with bench.processes,
    prints as JSON."""
    result = subprocess.run(
        [sys.executable, "-c", "import json, sys\nfrom bench.processes import run\n" + probe],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_the_peak_rss_counts_a_helper_left_behind() -> None:
    seconds, peak, processes, code = _measured(
        f"r = run([sys.executable, '-c', {ORPHAN!r}], {{}}, ok_codes=(3,))\n"
        "print(json.dumps([r.seconds, r.peak_rss_mb, r.processes, r.code]))\n"
    )
    assert code == 3
    assert processes == 2
    assert peak >= 200
    assert seconds < 0.9  # the run ends with its own process, not with the helper's


def test_the_peak_rss_is_the_run_s_own_not_its_caller_s() -> None:
    # Linux starts a child's high-water mark at its parent's: a bench holding a large
    # generated mailbox made every run it measured look as large.
    peak = _measured(
        "block = bytearray(300 << 20)\n"
        "for i in range(0, len(block), 4096):\n"
        "    block[i] = 1\n"
        "r = run([sys.executable, '-S', '-c', 'pass'], {})\n"
        "print(json.dumps(r.peak_rss_mb))\n"
    )
    assert 0 < peak < 100


@pytest.mark.dovecot
@pytest.mark.skipif(DOVECOT is None and not os.environ.get("CI"), reason="no dovecot")
def test_the_bench_runs_on_a_tiny_mailbox(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--size", "300", "--folders", "12",
         "--repeat", "1", "--rtt-ms", "10", "--json", str(tmp_path / "figures.json")],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert re.search(r"^machine: \d+ CPU \(.+\), Python 3\.\d+\.\d+, Dovecot \d", out, re.M)
    assert "DIFFER" not in out
    assert len(re.findall(r"^[✓✗] ", out, re.M)) == 5
    figures = json.loads((tmp_path / "figures.json").read_text())
    a, b, c, d, e, f = (figures[key] for key in "abcdef")
    assert 0 < a["best"] < b["best"]  # the proxy's delay shows
    assert not any(path["mismatches"] for path in (c, d, e))
    assert all(0 < path["peak_rss_mb"] < 1000 for path in (c, d, e, f))
    # The floor: TLS (2), CAPABILITY, LOGIN, per non-empty folder EXAMINE and UID FETCH, an
    # EXAMINE per empty one, LOGOUT; the same through the tap as in the timed run.
    examined = a["tap"]["commands"]["EXAMINE"]
    fetched = a["tap"]["commands"]["UID FETCH"]
    assert examined >= 8 and 0 < fetched <= examined
    assert b["round_trips"] == [2 + 1 + 1 + examined + fetched + 1]
    assert sum(b["tap"]["round_trips"]) == b["round_trips"][0]
    assert b["tap"]["drained"] == 0  # one UID FETCH 1:* per folder: nothing pipelined
    # Every run through the proxy waited at least for TLS, LOGIN and LOGOUT.
    assert all(trips >= 4 for path in (b, c, d, e) for trips in path["round_trips"])
    assert c["tap"]["commands"].get("UID FETCH", 0) > 0  # the first run reads the mail
    assert c["tap"]["commands"]["LOGIN"] == 1
