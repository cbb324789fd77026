"""The connection's own buffer: shared by imaplib and our commands, safe across STARTTLS, and
reached through imaplib's and imapclient's public surface only."""

from __future__ import annotations

import ast
import contextlib
import imaplib
import inspect
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import imapclient
import pytest

import inbox_audit.sources
from inbox_audit.errors import ConnectionFailed
from inbox_audit.sources.imap import ImapSource
from inbox_audit.sources.spec import ConnectOptions, ImapTarget
from inbox_audit.sources.wire import BufferedIMAP4, Inbound, capabilities_in, read_response
from tests.dovecot import DovecotServer
from tests.sources.mailfiles import FakeConnection

# --- no private internals ----------------------------------------------------------------------

#: The one private name used, and why: imapclient makes its imaplib object there (the same
#: from 3.0 to 4.1), the seam its own TestableIMAPClient overrides.
ALLOWED = {"_create_IMAP4"}


def private_names() -> set[str]:
    """Every private name imaplib and imapclient define: methods, class and instance
    attributes (`self._x = ...`), read from their sources."""
    files = [Path(inspect.getfile(imaplib))]
    files += Path(inspect.getfile(imapclient)).parent.glob("*.py")
    names: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.Name):
                names.add(node.id)
    # Python 3.14's own buffer and file, whichever Python runs this.
    names |= {"_file", "_readbuf"}
    return {name for name in names if name.startswith("_") and not name.endswith("__")}


def attributes_used(source: str) -> set[str]:
    return {node.attr for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Attribute)}


def talks_imap(path: Path) -> bool:
    """Whether a module imports imaplib, imapclient or one of our IMAP modules."""
    imap = {"imaplib", "imapclient", "inbox_audit.sources.wire", "inbox_audit.sources.fetch"}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        if any(name.split(".")[0] in imap or name in imap for name in names):
            return True
    return False


def test_sources_touch_no_private_name_of_imaplib_or_imapclient() -> None:
    private = private_names()
    assert {"_imap", "_command", "_get_line", "_create_IMAP4"} <= private  # sanity
    assert attributes_used("client._imap._command('X')") & private == {"_imap", "_command"}
    folder = Path(inbox_audit.sources.__file__).parent
    talking = [path for path in sorted(folder.glob("*.py")) if talks_imap(path)]
    assert {"imap.py", "wire.py", "fetch.py", "failures.py"} <= {path.name for path in talking}
    for path in talking:
        used = attributes_used(path.read_text(encoding="utf-8"))
        assert used & private <= ALLOWED, path.name
        # IMAP4.file: a property that warns since Python 3.14, to go in 3.19.
        assert "file" not in used, path.name


def test_our_attributes_on_their_objects_are_not_theirs() -> None:
    ours = {"inbound", "connection", "connect_timeout"}
    theirs = set(dir(imaplib.IMAP4_SSL)) | set(dir(imapclient.IMAPClient)) | private_names()
    assert not ours & theirs


# --- the buffer --------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [1, 3, 50, 1 << 16])
def test_lines_and_literals_across_reads(chunk: int) -> None:
    big = bytes(range(256)) * 1000
    data = b"* 1 FETCH (X {%d}\r\n%s Y {3}\r\nabc)\r\nA1 OK\r\n* rest" % (len(big), big)
    connection = FakeConnection(data, chunk)
    text, literals = read_response(connection.inbound)
    assert text == b"* 1 FETCH (X \x00 Y \x00)\r\n"
    assert literals == [big, b"abc"]
    assert connection.inbound.readline() == b"A1 OK\r\n"
    assert connection.inbound.readline() == b"* rest"  # the end of the stream
    assert connection.inbound.readline() == b""


def test_bytes_left_from_before_a_socket_change_are_refused() -> None:
    first, second = FakeConnection(b"A1 OK begin TLS\r\n* FORGED\r\n"), FakeConnection(b"")
    current = [first.sock]
    buffer = Inbound(lambda: current[0])  # type: ignore[arg-type, return-value]
    assert buffer.readline() == b"A1 OK begin TLS\r\n"
    current[0] = second.sock  # STARTTLS wrapped the socket
    with pytest.raises(imaplib.IMAP4.abort, match="before TLS"):
        buffer.readline()


def test_capabilities_in_response_codes() -> None:
    listed = capabilities_in(b"* OK [CAPABILITY IMAP4rev1 id Auth=PLAIN] hi")
    assert listed == frozenset({"IMAP4REV1", "ID", "AUTH=PLAIN"})
    assert capabilities_in("[ALERT] no") is None


# --- a fake server: what is asked, in which order ------------------------------------------------

Serve = Callable[[socket.socket], None]


@pytest.fixture
def fake_server() -> Iterator[Callable[[Serve], int]]:
    """Start `serve(connection)` on one accepted connection; its port."""
    threads: list[threading.Thread] = []
    listeners: list[socket.socket] = []

    def start(serve: Serve) -> int:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def run() -> None:
            with listener:
                connection, _ = listener.accept()
                with connection:
                    serve(connection)

        threads.append(threading.Thread(target=run, daemon=True))
        threads[-1].start()
        return int(listener.getsockname()[1])

    yield start
    for listener in listeners:
        listener.close()
    for thread in threads:
        thread.join(timeout=5)


def scripted(greeting: bytes, received: list[bytes]) -> Serve:
    """A plain-text server that logs anyone in and knows one folder."""

    def serve(connection: socket.socket) -> None:
        connection.sendall(greeting)
        for line in connection.makefile("rb"):
            received.append(line.split(b" ", 2)[1].upper().strip())
            tag = line.split(b" ", 1)[0]
            command = received[-1]
            if command == b"CAPABILITY":
                connection.sendall(b"* CAPABILITY IMAP4rev1 ID\r\n" + tag + b" OK done\r\n")
            elif command == b"LOGIN":
                connection.sendall(tag + b" OK [CAPABILITY IMAP4rev1 ID CONDSTORE] in\r\n")
            elif command == b"LIST":
                connection.sendall(b'* LIST () "/" INBOX\r\n' + tag + b" OK done\r\n")
            elif command == b"LOGOUT":
                connection.sendall(b"* BYE\r\n" + tag + b" OK bye\r\n")
                return
            else:
                connection.sendall(tag + b" OK done\r\n")

    return serve


@pytest.mark.parametrize("listed", [True, False], ids=["greeting-lists", "greeting-silent"])
def test_capabilities_are_asked_only_when_nobody_said_them(
    fake_server: Callable[[Serve], int], listed: bool
) -> None:
    received: list[bytes] = []
    code = b"[CAPABILITY IMAP4rev1 AUTH=PLAIN] " if listed else b""
    port = fake_server(scripted(b"* OK " + code + b"ready\r\n", received))
    target = ImapTarget("me", "127.0.0.1", port, implicit_tls=False)
    options = ConnectOptions(password="pw", timeout=5, allow_plaintext=True)
    with ImapSource.connect(target, options) as source:
        assert [f.name for f in source.list_folders()] == ["INBOX"]
        assert source.condstore  # from the login's answer
    # The greeting's list spares the CAPABILITY command; the login's, the one after it.
    asked = [] if listed else [b"CAPABILITY"]
    assert received[: len(asked) + 3] == [*asked, b"LOGIN", b"ID", b"LIST"]


def test_data_injected_before_tls_is_refused(
    fake_server: Callable[[Serve], int], dovecot: DovecotServer
) -> None:
    """A man in the middle appends a response to the server's STARTTLS answer, in clear."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(dovecot.root / "server.crt", dovecot.root / "server.key")

    def serve(connection: socket.socket) -> None:
        connection.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n")
        line = connection.recv(1000)
        tag = line.split(b" ", 1)[0]
        connection.sendall(tag + b" OK go\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN FORGED\r\n")
        # The client gives up at the first read after the handshake.
        with contextlib.suppress(OSError), context.wrap_socket(connection, server_side=True) as tls:
            while line := tls.recv(1000):
                tls.sendall(b"* CAPABILITY IMAP4rev1\r\n" + line.split(b" ", 1)[0] + b" OK\r\n")

    port = fake_server(serve)
    target = ImapTarget("me", "127.0.0.1", port, implicit_tls=False)
    options = ConnectOptions(password="pw", timeout=5, ca_file=dovecot.ca_file)
    with pytest.raises(ConnectionFailed, match="before TLS began"):
        ImapSource.connect(target, options)


def test_imaplib_reads_through_the_buffer(dovecot: DovecotServer) -> None:
    user = dovecot.add_user(dovecot.unique_name("buffer"), "pw", layout=["INBOX"])
    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    ours = BufferedIMAP4(dovecot.host, dovecot.imap_port, 5)
    try:
        assert ours.welcome.startswith(b"* OK")
        assert "STARTTLS" in ours.capabilities  # from the greeting, as imaplib's would be
        ours.starttls(context)
        assert isinstance(ours.socket(), ssl.SSLSocket)
        assert ours.login(user.name, user.password)[0] == "OK"
        assert ours.inbound.pos == len(ours.inbound.data)  # all read, through the buffer
    finally:
        ours.shutdown()
