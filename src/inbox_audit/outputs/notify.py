"""Send the owner's email over SMTP, or keep it on disk when it cannot be sent.

The I/O edge for outgoing mail: smtplib, socket and ssl errors become one NotifyError with a
one-line message that never holds the password.
"""

from __future__ import annotations

import os
import socket
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from inbox_audit.dirs import private_dir
from inbox_audit.errors import ConfigError, ExitCode, InboxAuditError, UsageError

if TYPE_CHECKING:
    import smtplib
    from email.message import EmailMessage

# smtplib is imported by send_email: the configuration is parsed by every run, mail sent by few.

#: Where the CLI is meant to read the SMTP password from (never the URL, never argv).
SMTP_PASSWORD_ENV = "INBOX_AUDIT_SMTP_PASSWORD"

SMTP_PORT = 25  # relay, no login (RFC 5321)
SUBMISSION_PORT = 587  # message submission with login, STARTTLS (RFC 6409)
SUBMISSIONS_PORT = 465  # submission over implicit TLS (RFC 8314 §3.3)


class NotifyError(InboxAuditError):
    """The report could not be delivered by email (it is saved to disk instead)."""

    exit_code = ExitCode.NOT_DELIVERED


@dataclass(frozen=True)
class SmtpTarget:
    """Where the owner's email goes. The password is filled in by the CLI, never printed."""

    host: str
    port: int
    implicit_tls: bool
    user: str | None
    password: str = field(default="", repr=False)

    def display(self) -> str:
        """'smtps://shop%40example.com@mail.example.com:465' without the password, for messages."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.user}@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{user}{host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpTarget:
    """`smtp://[USER@]HOST[:PORT]` (STARTTLS when offered; port 25, or 587 with a user) or
    `smtps://[USER@]HOST[:PORT]` (implicit TLS, port 465).

    USER may hold a raw "@" or "%40" ("shop@example.com@mail.example.com"). A password in the
    URL is refused without being echoed: URLs end up in crontabs, shell history and `ps`.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        # The message shows only the scheme: the text might hold a password.
        raise UsageError(
            "invalid SMTP URL", hint="use smtp://USER@HOST[:PORT] or smtps://USER@HOST[:PORT]"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        raise UsageError(
            "the SMTP URL must start with smtp:// or smtps://",
            hint="e.g. smtps://you@example.com@mail.example.com",
        )
    if parts.password is not None:
        raise UsageError(
            "the SMTP URL must not contain a password",
            hint=f"set {SMTP_PASSWORD_ENV} in the environment instead",
        )
    host = parts.hostname
    if not host:
        raise UsageError(f"the SMTP URL has no host: use {scheme}://[USER@]HOST[:PORT]")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UsageError(f"the SMTP URL takes no path or query: use {scheme}://[USER@]HOST[:PORT]")
    user = unquote(parts.username) if parts.username else None
    implicit_tls = scheme == "smtps"
    if port is None:
        port = SUBMISSIONS_PORT if implicit_tls else SUBMISSION_PORT if user else SMTP_PORT
    return SmtpTarget(host=host, port=port, implicit_tls=implicit_tls, user=user)


def _tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """The system's trusted CAs, plus `ca_file` when given (a private CA or self-signed cert)."""
    context = ssl.create_default_context()
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"cannot use CA file {ca_file}: {_one_line(str(exc))}") from None
    return context


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _server_says(exc: smtplib.SMTPResponseException, password: str) -> str:
    text = exc.smtp_error
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    if password:  # a server has no reason to echo it; make sure it never reaches a log
        said = said.replace(password, "***")
    return _one_line(f"{exc.smtp_code} {said}")


def send_email(
    message: EmailMessage,
    target: SmtpTarget,
    *,
    ca_file: Path | None = None,
    timeout: float = 30.0,
    allow_plaintext_login: bool = False,
) -> None:
    """Deliver `message` to its To addresses through `target`.

    Over smtp://, STARTTLS is used whenever the server offers it, with certificates verified;
    a login (when `target.user` is set) happens only over TLS unless `allow_plaintext_login`.
    Plain SMTP without login is allowed: a local relay on port 25.
    """
    import smtplib

    where = f"{target.host}:{target.port}"
    if target.user and not target.password:
        raise ConfigError(
            f"no SMTP password for {target.user}",
            hint=f"set {SMTP_PASSWORD_ENV} in the environment (never in the URL)",
        )
    context = _tls_context(ca_file)
    try:
        if target.implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                target.host, target.port, timeout=timeout, context=context
            )
        else:
            client = smtplib.SMTP(target.host, target.port, timeout=timeout)
        with client:
            client.ehlo()
            secure = target.implicit_tls
            if not secure and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()  # RFC 3207 §4.2: forget what was said before TLS
                secure = True
            if target.user:
                if not secure and not allow_plaintext_login:
                    raise NotifyError(
                        f"{where} does not offer STARTTLS: the SMTP password would be sent "
                        "in clear text",
                        hint="use smtps://USER@HOST (port 465) or the submission port 587",
                    )
                client.login(target.user, target.password)
            refused = client.send_message(message)
    except NotifyError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise NotifyError(
            f"{target.host} refused the SMTP login for {target.user} "
            f"({_server_says(exc, target.password)})",
            hint=f"check the user name and {SMTP_PASSWORD_ENV}; some providers want an "
            "app password",
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise NotifyError(
            f"{where} does not accept logins (no SMTP AUTH)",
            hint="leave the user out of the SMTP URL, or use your provider's submission server",
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        who = ", ".join(sorted(exc.recipients))
        code, said = next(iter(exc.recipients.values()), (0, b""))
        reply = _one_line(f"{code} {said.decode('utf-8', 'replace')}")
        raise NotifyError(f"{where} refused the recipient {who} ({reply})") from exc
    except smtplib.SMTPSenderRefused as exc:
        raise NotifyError(
            f"{where} refused the sender {exc.sender} ({_server_says(exc, target.password)})",
            hint="the sender must usually be an address of the SMTP account",
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise NotifyError(
            f"{where} refused the message ({_server_says(exc, target.password)})"
        ) from exc
    except smtplib.SMTPServerDisconnected as exc:
        raise NotifyError(
            f"{where} closed the connection",
            hint="check the port: smtps:// is for port 465, smtp:// for 587 and 25",
        ) from exc
    except smtplib.SMTPException as exc:
        raise NotifyError(f"could not send through {where}: {_one_line(str(exc))}") from exc
    except ssl.SSLCertVerificationError as exc:
        raise NotifyError(
            f"the certificate of {target.host} could not be verified "
            f"({_one_line(exc.verify_message or exc.reason or 'unknown reason')})",
            hint="a server with a private certificate needs its CA file",
        ) from exc
    except ssl.SSLError as exc:
        raise NotifyError(
            f"TLS with {where} failed ({_one_line(exc.reason or str(exc))})",
            hint="check the port: smtps:// is for port 465, smtp:// for 587 and 25",
        ) from exc
    except TimeoutError as exc:
        raise NotifyError(f"{where} did not answer within {timeout:g} s") from exc
    except ConnectionRefusedError as exc:
        raise NotifyError(
            f"{where} refused the connection", hint="check the SMTP host and port"
        ) from exc
    except socket.gaierror as exc:
        raise NotifyError(f"unknown SMTP host {target.host}") from exc
    except OSError as exc:
        raise NotifyError(
            f"could not reach {where}: {_one_line(exc.strerror or str(exc))}"
        ) from exc
    if refused:
        raise NotifyError(f"{where} refused the recipient {', '.join(sorted(refused))}")


def save_undelivered(message: EmailMessage, state_dir: Path, now: datetime) -> Path:
    """Write `message` as an .eml file in state_dir/undelivered/ and return its path.

    The directory is private (0700) and the file 0600: the report names customers. Any mail
    client opens the file; nothing is lost when SMTP fails.
    """
    folder = state_dir / "undelivered"
    stamp = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC)
    stem = f"report-{stamp:%Y%m%dT%H%M%SZ}"
    try:
        private_dir(folder)
        folder.chmod(0o700)  # an old folder may be wider
        data = message.as_bytes()
        for attempt in range(1000):
            path = folder / (f"{stem}.eml" if attempt == 0 else f"{stem}-{attempt}.eml")
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            return path
        raise NotifyError(f"too many undelivered reports named {stem} in {folder}")
    except OSError as exc:
        raise NotifyError(
            f"could not save the undelivered report in {folder}: "
            f"{_one_line(exc.strerror or str(exc))}"
        ) from None
