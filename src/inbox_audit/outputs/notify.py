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
from inbox_audit.i18n import _

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
            _("invalid SMTP URL"),
            hint=_("use smtp://USER@HOST[:PORT] or smtps://USER@HOST[:PORT]"),
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        raise UsageError(
            _("the SMTP URL must start with smtp:// or smtps://"),
            hint=_("e.g. smtps://you@example.com@mail.example.com"),
        )
    if parts.password is not None:
        raise UsageError(
            _("the SMTP URL must not contain a password"),
            hint=_("set {variable} in the environment instead").format(variable=SMTP_PASSWORD_ENV),
        )
    host = parts.hostname
    if not host:
        raise UsageError(
            _("the SMTP URL has no host: use {scheme}://[USER@]HOST[:PORT]").format(scheme=scheme)
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UsageError(
            _("the SMTP URL takes no path or query: use {scheme}://[USER@]HOST[:PORT]").format(
                scheme=scheme
            )
        )
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
            raise ConfigError(
                _("cannot use CA file {path}: {reason}").format(
                    path=ca_file, reason=_one_line(str(exc))
                )
            ) from None
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
            _("no SMTP password for {user}").format(user=target.user),
            hint=_("set {variable} in the environment (never in the URL)").format(
                variable=SMTP_PASSWORD_ENV
            ),
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
                        _(
                            "{where} does not offer STARTTLS: the SMTP password would be sent "
                            "in clear text"
                        ).format(where=where),
                        hint=_("use smtps://USER@HOST (port 465) or the submission port 587"),
                    )
                client.login(target.user, target.password)
            refused = client.send_message(message)
    except NotifyError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise NotifyError(
            _("{host} refused the SMTP login for {user} ({reply})").format(
                host=target.host, user=target.user, reply=_server_says(exc, target.password)
            ),
            hint=_(
                "check the user name and {variable}; some providers want an app password"
            ).format(variable=SMTP_PASSWORD_ENV),
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise NotifyError(
            _("{where} does not accept logins (no SMTP AUTH)").format(where=where),
            hint=_("leave the user out of the SMTP URL, or use your provider's submission server"),
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        who = ", ".join(sorted(exc.recipients))
        code, said = next(iter(exc.recipients.values()), (0, b""))
        reply = _one_line(f"{code} {said.decode('utf-8', 'replace')}")
        raise NotifyError(
            _("{where} refused the recipient {who} ({reply})").format(
                where=where, who=who, reply=reply
            )
        ) from exc
    except smtplib.SMTPSenderRefused as exc:
        raise NotifyError(
            _("{where} refused the sender {sender} ({reply})").format(
                where=where, sender=exc.sender, reply=_server_says(exc, target.password)
            ),
            hint=_("the sender must usually be an address of the SMTP account"),
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise NotifyError(
            _("{where} refused the message ({reply})").format(
                where=where, reply=_server_says(exc, target.password)
            )
        ) from exc
    except smtplib.SMTPServerDisconnected as exc:
        raise NotifyError(
            _("{where} closed the connection").format(where=where),
            hint=_("check the port: smtps:// is for port 465, smtp:// for 587 and 25"),
        ) from exc
    except smtplib.SMTPException as exc:
        raise NotifyError(
            _("could not send through {where}: {reason}").format(
                where=where, reason=_one_line(str(exc))
            )
        ) from exc
    except ssl.SSLCertVerificationError as exc:
        raise NotifyError(
            _("the certificate of {host} could not be verified ({reason})").format(
                host=target.host,
                reason=_one_line(exc.verify_message or exc.reason or _("unknown reason")),
            ),
            hint=_("a server with a private certificate needs its CA file"),
        ) from exc
    except ssl.SSLError as exc:
        raise NotifyError(
            _("TLS with {where} failed ({reason})").format(
                where=where, reason=_one_line(exc.reason or str(exc))
            ),
            hint=_("check the port: smtps:// is for port 465, smtp:// for 587 and 25"),
        ) from exc
    except TimeoutError as exc:
        raise NotifyError(
            _("{where} did not answer within {seconds:g} s").format(where=where, seconds=timeout)
        ) from exc
    except ConnectionRefusedError as exc:
        raise NotifyError(
            _("{where} refused the connection").format(where=where),
            hint=_("check the SMTP host and port"),
        ) from exc
    except socket.gaierror as exc:
        raise NotifyError(_("unknown SMTP host {host}").format(host=target.host)) from exc
    except OSError as exc:
        raise NotifyError(
            _("could not reach {where}: {reason}").format(
                where=where, reason=_one_line(exc.strerror or str(exc))
            )
        ) from exc
    if refused:
        raise NotifyError(
            _("{where} refused the recipient {who}").format(
                where=where, who=", ".join(sorted(refused))
            )
        )


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
        raise NotifyError(
            _("too many undelivered reports named {name} in {folder}").format(
                name=stem, folder=folder
            )
        )
    except OSError as exc:
        raise NotifyError(
            _("could not save the undelivered report in {folder}: {reason}").format(
                folder=folder, reason=_one_line(exc.strerror or str(exc))
            )
        ) from None
