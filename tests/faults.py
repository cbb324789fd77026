"""A fault-injecting IMAP proxy in front of the test Dovecot, for the faults Dovecot never makes.

The proxy talks plain text to the client (the code under test, with `allow_plaintext`) and to
Dovecot's plain port, and hides STARTTLS. Each fault is a small `Faults` subclass overriding a
hook: what a client line becomes on its way to Dovecot (`command`), what a server line becomes
on its way back (`response`), and how the bytes go out (`send`, e.g. one byte every 2 s).

    with FaultProxy(dovecot, NonexistentFolder("Archive")) as proxy:
        run the CLI on proxy.url(user)
"""

from __future__ import annotations

import base64
import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from types import TracebackType
from urllib.parse import quote

from tests.dovecot import DovecotServer, MailUser

_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")


class Closed(Exception):
    """Raised by a hook to cut both connections at once."""


class Faults:
    """No fault: every line as it is, STARTTLS hidden (the proxy speaks plain text)."""

    def command(self, line: bytes) -> bytes:
        """A client line (with any literal after it) as Dovecot gets it."""
        return line

    def response(self, line: bytes) -> bytes:
        """A server line (with any literal after it) as the client gets it."""
        return line.replace(b" STARTTLS", b"").replace(b" LOGINDISABLED", b"")

    def send(self, sock: socket.socket, data: bytes) -> None:
        sock.sendall(data)


class NonexistentFolder(Faults):
    """EXAMINE of `folder` answers `NO [NONEXISTENT]` though the folder exists and is listed:
    the proxy asks Dovecot for a folder that does not exist instead."""

    def __init__(self, folder: str) -> None:
        self.quoted = b'"' + folder.encode() + b'"'

    def command(self, line: bytes) -> bytes:
        if b" EXAMINE " + self.quoted in line:
            return line.replace(self.quoted, b'"No such folder at all"')
        return line


class DeletedDuringFetch(Faults):
    """Each of `folders` is deleted by another client once it is examined, before its first
    FETCH reaches the server: Dovecot then ends the session ("* BYE IMAP session state is
    inconsistent", or "Mailbox was deleted under us")."""

    def __init__(self, dovecot: DovecotServer, user: MailUser, *folders: str) -> None:
        self.dovecot, self.user = dovecot, user
        self.quoted = {b'"' + folder.encode() + b'"': folder for folder in folders}
        self.examined = threading.Event()
        self.examining: bytes | None = None  # the folder to delete, its EXAMINE sent
        self.tag = b""  # that EXAMINE's tag
        self.done: set[bytes] = set()

    def command(self, line: bytes) -> bytes:
        if b" EXAMINE " in line:
            self.examining = next((q for q in self.quoted if b" EXAMINE " + q in line), None)
            if self.examining is not None:
                self.examined.clear()
                self.tag = line.split(b" ", 1)[0]
        elif b" UID FETCH " in line and self.examining and self.examining not in self.done:
            # The next session may examine another folder meanwhile; a session that ended
            # before this EXAMINE was answered (its tag no longer the last) deletes nothing.
            folder, tag = self.examining, self.tag
            # Its EXAMINE answered (commands are pipelined: not just any READ-ONLY): open.
            if self.examined.wait(10) and self.tag == tag and folder not in self.done:
                self.done.add(folder)
                self.dovecot.delete_folder(self.user, self.quoted[folder])
        return line

    def response(self, line: bytes) -> bytes:
        if self.tag and line.startswith(self.tag + b" OK"):
            self.examined.set()
        return super().response(line)


class DeletedThenRefused(DeletedDuringFetch):
    """As DeletedDuringFetch, and every LOGIN after the first is refused (a password changed
    meanwhile)."""

    def __init__(self, dovecot: DovecotServer, user: MailUser, *folders: str) -> None:
        super().__init__(dovecot, user, *folders)
        self.logins = 0

    def command(self, line: bytes) -> bytes:
        parts = line.split(b" ", 2)
        if len(parts) > 1 and parts[1].upper() == b"LOGIN":
            self.logins += 1
            if self.logins > 1:
                return parts[0] + b" LOGIN nobody@nowhere wrong\r\n"
        return super().command(line)


class CutDuringFetch(Faults):
    """Both connections cut, without a word, at the `nth` message (BODY) FETCH response line
    of `folder`, `times` times (None: every time): a server restarted, a NAT timing out."""

    def __init__(self, folder: str, nth: int = 2, times: int | None = 1) -> None:
        self.quoted = b'"' + folder.encode() + b'"'
        self.nth, self.left = nth, times
        self.examines: dict[bytes, bool] = {}  # the EXAMINE tags sent: whether of `folder`
        self.reading = False  # `folder` examined: the FETCH responses now are its own
        self.seen = 0  # its message lines passed since
        self.cuts = 0

    def command(self, line: bytes) -> bytes:
        parts = line.split(b" ", 2)
        if len(parts) > 2 and parts[1].upper() == b"EXAMINE":
            self.examines[parts[0]] = parts[2].rstrip(b"\r\n") == self.quoted
        return line

    def response(self, line: bytes) -> bytes:
        tag, _, rest = line.partition(b" ")
        if tag in self.examines:
            # Commands run in the order sent (RFC 3501 §5.5): what follows this EXAMINE's OK,
            # up to the next EXAMINE's, is the folder's.
            self.reading = self.examines.pop(tag) and rest.startswith(b"OK")
            self.seen = 0
        elif self.reading and self.left != 0 and _MESSAGE_FETCH.match(line):
            self.seen += 1
            if self.seen == self.nth:
                self.cuts += 1
                self.left = None if self.left is None else self.left - 1
                self.reading = False
                raise Closed
        return super().response(line)


_MESSAGE_FETCH = re.compile(rb"\* \d+ FETCH \(.*BODY\[", re.DOTALL)


class GarbledList(Faults):
    """The LIST response naming `folder` comes with its attributes' list never closed."""

    def __init__(self, folder: str) -> None:
        self.ending = b'"/" ' + folder.encode() + b"\r\n"

    def response(self, line: bytes) -> bytes:
        if line.startswith(b"* LIST (") and line.endswith(self.ending):
            line = line.replace(b") ", b" ", 1)
        return super().response(line)


class AdvertisedGmail(Faults):
    """The server announces X-GM-EXT-1 but (being Dovecot) answers BAD to X-GM-THRID."""

    def response(self, line: bytes) -> bytes:
        line = super().response(line)
        if b"CAPABILITY IMAP4rev1" in line:
            line = line.replace(b"CAPABILITY IMAP4rev1", b"CAPABILITY IMAP4rev1 X-GM-EXT-1")
        return line


class DroppedAtLogin(Faults):
    """The connection is cut when the client sends its LOGIN (a server restart, a firewall)."""

    def command(self, line: bytes) -> bytes:
        parts = line.split(b" ", 2)
        if len(parts) > 1 and parts[1].upper() in (b"LOGIN", b"AUTHENTICATE"):
            raise Closed
        return line


class EchoedCredentials(Faults):
    """LOGIN refused, the server quoting the credentials back in every encoding we know."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.refusal: bytes | None = None

    def command(self, line: bytes) -> bytes:
        parts = line.split(b" ", 2)
        if len(parts) > 1 and parts[1].upper() == b"LOGIN":
            secret = self.password.encode()
            said = base64.b64encode(secret) + b" " + quote(self.password).encode()
            said += b' "' + secret.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
            self.refusal = parts[0] + b" NO [AUTHENTICATIONFAILED] bad credentials " + said
            return parts[0] + b" LOGIN nobody@nowhere wrong\r\n"
        return line

    def response(self, line: bytes) -> bytes:
        refusal = self.refusal
        if refusal is not None and line.startswith(refusal.split(b" ", 1)[0] + b" NO"):
            return refusal + b"\r\n"
        return super().response(line)


class Trickle(Faults):
    """After login, every server byte comes `every` seconds apart: each read returns well
    within any read timeout, and the run would last for hours."""

    def __init__(self, every: float = 2.0) -> None:
        self.every = every
        self.logged_in = False

    def response(self, line: bytes) -> bytes:
        if b"Logged in" in line:
            self.logged_in = True
        return super().response(line)

    def send(self, sock: socket.socket, data: bytes) -> None:
        if not self.logged_in:
            sock.sendall(data)
            return
        for byte in data:
            sock.sendall(bytes([byte]))
            time.sleep(self.every)


class FaultProxy:
    """One listening port; each client connection gets its own connection to Dovecot."""

    def __init__(self, dovecot: DovecotServer, faults: Faults) -> None:
        self.dovecot = dovecot
        self.faults = faults
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._stopped = False

    def url(self, user: MailUser) -> str:
        return f"imap://{quote(user.name, safe='')}@127.0.0.1:{self.port}"

    def __enter__(self) -> FaultProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopped = True
        self._listener.close()
        for sock in self._sockets:
            _close(sock)

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.dovecot.imap_port))
            self._sockets += [client, server]
            both = (client, server)
            threading.Thread(
                target=self._pump, args=(server, client, True, both), daemon=True
            ).start()
            threading.Thread(
                target=self._pump, args=(client, server, False, both), daemon=True
            ).start()

    def _pump(
        self,
        source: socket.socket,
        sink: socket.socket,
        downstream: bool,
        both: tuple[socket.socket, socket.socket],
    ) -> None:
        hook = self.faults.response if downstream else self.faults.command
        try:
            for line in _lines(source):
                data = hook(line)
                if downstream:
                    self.faults.send(sink, data)
                else:
                    sink.sendall(data)
        except (Closed, OSError):
            pass
        for sock in both:
            _close(sock)


def _lines(sock: socket.socket) -> Iterator[bytes]:
    """Each line with the literal it announces, if any (RFC 3501 §4.3)."""
    stream = sock.makefile("rb")
    while True:
        line = stream.readline()
        if not line:
            return
        while found := _LITERAL.search(line):
            line += stream.read(int(found.group(1)))
            line += stream.readline()
        yield line


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
