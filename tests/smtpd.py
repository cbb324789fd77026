"""A real SMTP server (aiosmtpd) on 127.0.0.1 for tests: plain, with AUTH, STARTTLS or TLS.

Fixtures, to import into a test module (tests/conftest.py is not needed):

    from tests.smtpd import SmtpServer, smtp_server  # noqa: F401  (a fixture)

    def test_send(smtp_server: SmtpServer) -> None:
        send_email(message, smtp_server.target())
        (received,) = smtp_server.messages

`make_smtp_server` starts a server with other options (AUTH, STARTTLS, implicit TLS); its
servers stop at the end of the test. TLS variants use a self-signed certificate made by
`openssl` for "localhost" and 127.0.0.1, and are skipped when openssl is missing.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from inbox_audit.outputs.notify import SmtpTarget

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    """One message as the server got it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes  # exactly as transmitted after DATA, line ends as received

    def parse(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Handler:
    """aiosmtpd handler: keep every message in a list."""

    def __init__(self, received: list[Received], refuse_recipients: bool = False) -> None:
        self.received = received
        self.refuse_recipients = refuse_recipients

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.refuse_recipients:
            return "550 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(content)))
        return "250 OK"


@dataclass
class SmtpServer:
    """A running test server and what it received."""

    port: int
    users: dict[str, str]
    starttls: bool
    implicit_tls: bool
    ca_file: Path | None
    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)  # user names that logged in

    @property
    def messages(self) -> list[EmailMessage]:
        return [r.parse() for r in self.received]

    def target(self, user: str | None = None, password: str = "") -> SmtpTarget:
        return SmtpTarget(
            host=HOST,
            port=self.port,
            implicit_tls=self.implicit_tls,
            user=user,
            password=password,
        )


def free_port() -> int:
    """A port nobody listens on now (aiosmtpd's Controller cannot bind port 0 itself)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1: (cert.pem, key.pem)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def start_server(
    *,
    users: dict[str, str] | None = None,
    starttls: bool = False,
    require_starttls: bool = False,
    implicit_tls: bool = False,
    cert_dir: Path | None = None,
    refuse_recipients: bool = False,
) -> tuple[SmtpServer, Controller]:
    """Start a server; the caller stops the Controller. `users` enables AUTH PLAIN/LOGIN;
    `refuse_recipients` answers 550 to every RCPT TO."""
    tls_context = None
    ca_file = None
    if starttls or implicit_tls:
        if cert_dir is None:
            raise ValueError("TLS needs a cert_dir")
        cert, key = make_certificate(cert_dir)
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(cert, key)
        ca_file = cert
    server = SmtpServer(
        port=free_port(),
        users=dict(users or {}),
        starttls=starttls,
        implicit_tls=implicit_tls,
        ca_file=ca_file,
    )

    def authenticate(
        smtp: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        ok = server.users.get(user) == auth_data.password.decode("utf-8", "replace")
        if ok:
            server.logins.append(user)
        return AuthResult(success=ok, handled=False)

    kwargs: dict[str, Any] = {}
    if users is not None:
        # Tests log in over plain text too (to check the client refuses to); never in production.
        kwargs.update(authenticator=authenticate, auth_require_tls=False)
    if starttls:
        kwargs.update(tls_context=tls_context, require_starttls=require_starttls)
    controller = Controller(
        _Handler(server.received, refuse_recipients),
        hostname=HOST,
        port=server.port,
        ssl_context=tls_context if implicit_tls else None,
        server_hostname="localhost",
        **kwargs,
    )
    controller.start()
    return server, controller


@pytest.fixture
def make_smtp_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., SmtpServer]]:
    """A factory: make_smtp_server(users={"shop": "pw"}, starttls=True) → a running server."""
    controllers: list[Controller] = []

    def make(**options: Any) -> SmtpServer:
        if options.get("starttls") or options.get("implicit_tls"):
            options.setdefault("cert_dir", tmp_path_factory.mktemp("smtp-tls"))
        server, controller = start_server(**options)
        controllers.append(controller)
        return server

    yield make
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp_server(make_smtp_server: Callable[..., SmtpServer]) -> SmtpServer:
    """A plain SMTP server without AUTH or TLS, like a local relay."""
    return make_smtp_server()
