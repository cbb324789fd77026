"""Courier's login front for the tests: TLS, STARTTLS and LOGIN, then Courier's own imapd.

On a Courier install, couriertcpd accepts, imaplogin reads LOGIN and asks authdaemond, and then
execs imapd, which serves the session. authdaemond's
socket and config paths are compiled in (/run/courier, /etc/courier), so an unpacked Courier
cannot run it from a temp dir: this program does the front's part instead (users from a file,
"name<TAB>password<TAB>home" a line) and hands the connection to the real imapd, as imaplogin
does. Everything after LOGIN is Courier's.

    python -m tests.courier_front IMAPD USERS CERT KEY PORT TLS_PORT
"""

from __future__ import annotations

import os
import re
import select
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

# Courier's own default capabilities (/etc/courier/imapd).
CAPABILITY = (
    "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE"
)


def main(argv: list[str]) -> None:
    imapd, users, cert, key, port, tls_port = argv
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    front = _Front(Path(imapd), Path(users), context)
    listeners = []
    for number, implicit in ((int(port), False), (int(tls_port), True)):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", number))
        sock.listen(64)
        listeners.append((sock, implicit))
    for sock, implicit in listeners[1:]:
        threading.Thread(target=front.serve, args=(sock, implicit), daemon=True).start()
    front.serve(*listeners[0])


class _Front:
    def __init__(self, imapd: Path, users: Path, context: ssl.SSLContext) -> None:
        self.imapd = imapd
        self.users = users
        self.context = context

    def serve(self, listener: socket.socket, implicit: bool) -> None:
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=self.session, args=(conn, implicit), daemon=True).start()

    def session(self, conn: socket.socket, implicit: bool) -> None:
        sock: socket.socket = conn
        try:
            if implicit:
                sock = self.context.wrap_socket(conn, server_side=True)
            self.login(sock, tls=implicit)
        except (OSError, ValueError):
            pass
        finally:
            sock.close()

    def login(self, sock: socket.socket, tls: bool) -> None:
        reader = sock.makefile("rb", buffering=0)  # unbuffered: nothing read past LOGIN

        def caps() -> str:
            return CAPABILITY + ("" if tls else " STARTTLS") + " AUTH=PLAIN"

        sock.sendall(f"* OK [CAPABILITY {caps()}] Courier-IMAP ready (test front)\r\n".encode())
        while True:
            line = reader.readline()
            if not line:
                return
            match = re.match(rb"(\S+) (\S+) ?(.*)\r\n$", line, re.DOTALL)
            if match is None:
                sock.sendall(b"* BAD Invalid command\r\n")
                continue
            tag, command, rest = match.group(1), match.group(2).upper(), match.group(3)
            if command == b"CAPABILITY":
                sock.sendall(f"* CAPABILITY {caps()}\r\n".encode() + tag + b" OK CAPABILITY\r\n")
            elif command in (b"NOOP", b"ID"):
                sock.sendall((b"* ID NIL\r\n" if command == b"ID" else b"") + tag + b" OK\r\n")
            elif command == b"LOGOUT":
                sock.sendall(b"* BYE Courier-IMAP server shutting down\r\n" + tag + b" OK\r\n")
                return
            elif command == b"STARTTLS" and not tls:
                sock.sendall(tag + b" OK Begin SSL/TLS negotiation now.\r\n")
                sock = self.context.wrap_socket(sock, server_side=True)
                reader = sock.makefile("rb", buffering=0)
                tls = True
            elif command == b"LOGIN":
                words = _arguments(rest, reader, sock)
                home = self.check(*words) if len(words) == 2 else None
                if home is None:
                    sock.sendall(tag + b" NO Login failed.\r\n")
                    continue
                self.hand_over(sock, tag, words[0], home, tls)
                return
            else:
                sock.sendall(tag + b" BAD Error in IMAP command received by server.\r\n")

    def check(self, user: str, password: str) -> Path | None:
        for line in self.users.read_text("utf-8").splitlines():
            name, secret, home = line.split("\t")
            if name == user and secret == password:
                return Path(home)
        return None

    def hand_over(self, sock: socket.socket, tag: bytes, user: str, home: Path, tls: bool) -> None:
        """imaplogin's exec, as a child: Courier's imapd answers the LOGIN and serves."""
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(home),
            "AUTHENTICATED": user,
            "IMAP_ENHANCEDIDLE": "0",
            # libgamin starts a gam_server daemon for Courier's FAM: through a wrapper that
            # notes its pid, so that the tests end it (GAMIN_DEBUG_SERVER names what to start).
            "GAMIN_DEBUG_SERVER": os.environ["GAMIN_DEBUG_SERVER"],
            "IMAP_CAPABILITY": CAPABILITY,
            "IMAP_KEYWORDS": "1",
            "IMAP_ACL": "1",
            "IMAP_TRASHFOLDERNAME": "Trash",
            "IMAP_UMASK": "022",
            "IMAP_USELOCKS": "1",
            "LD_LIBRARY_PATH": os.environ.get("LD_LIBRARY_PATH", ""),
        }
        if tls:
            env["IMAP_TLS"] = "1"
        process = subprocess.Popen(
            [str(self.imapd), "Maildir"],
            cwd=home,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert process.stdin is not None and process.stdout is not None
        inbound, outbound = process.stdin.fileno(), process.stdout.fileno()
        try:
            # Started this way imapd greets "* PREAUTH"; imaplogin's exec (IMAPLOGINTAG) would
            # answer the LOGIN instead, but needs authlib's environment: answer it here.
            greeting = process.stdout.readline()
            while greeting.startswith(b"* OK [ALERT]"):
                # Without gam_server Courier warns that it polls: a machine's matter.
                greeting = process.stdout.readline()
            if not greeting.startswith(b"* PREAUTH"):
                sock.sendall(tag + b" NO Login failed.\r\n")
                return
            sock.sendall(tag + b" OK LOGIN Ok.\r\n")
            while True:
                client = sock.fileno()
                pending = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
                ready = [client] if pending else select.select([client, outbound], [], [])[0]
                if client in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    os.write(inbound, data)
                if outbound in ready:
                    data = os.read(outbound, 65536)
                    if not data:
                        return
                    sock.sendall(data)
        finally:
            process.stdin.close()
            process.kill()
            process.wait()


def _arguments(rest: bytes, reader: socket.SocketIO, sock: socket.socket) -> list[str]:
    """LOGIN's user and password: atoms, quoted strings or literals (LITERAL+ or not)."""
    words: list[str] = []
    text = rest
    while text and len(words) < 2:
        text = text.lstrip(b" ")
        literal = re.match(rb"\{(\d+)(\+?)\}$", text)
        if literal is not None:
            if not literal.group(2):
                sock.sendall(b"+ OK\r\n")
            data = reader.read(int(literal.group(1)))
            while len(data) < int(literal.group(1)):
                data += reader.read(int(literal.group(1)) - len(data))
            words.append(data.decode("utf-8"))
            text = reader.readline().rstrip(b"\r\n")
            continue
        quoted = re.match(rb'"((?:[^"\\]|\\.)*)"', text)
        if quoted is not None:
            words.append(re.sub(rb"\\(.)", rb"\1", quoted.group(1)).decode("utf-8"))
            text = text[quoted.end() :]
            continue
        atom = re.match(rb"[^ ]+", text)
        if atom is None:
            break
        words.append(atom.group().decode("utf-8"))
        text = text[atom.end() :]
    return words


if __name__ == "__main__":
    main(sys.argv[1:])
