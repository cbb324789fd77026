"""Socket, TLS and imaplib errors as our MailboxError subclasses, with any secret cut out."""

from __future__ import annotations

import base64
import contextlib
import imaplib
import re
import socket
import ssl
import urllib.parse
from collections.abc import Iterator
from typing import NoReturn

from inbox_audit.errors import (
    ConnectionFailed,
    FolderDeleted,
    FolderNotFound,
    MailboxError,
    TLSFailed,
)
from inbox_audit.i18n import _
from inbox_audit.sources.spec import ConnectOptions, ImapTarget

_MISSING_FOLDER = re.compile(
    r"NONEXISTENT|doesn't exist|does not exist|not exist|no such|unknown mailbox|not found",
    re.IGNORECASE,
)

# The BYE of a server whose selected mailbox was deleted by another client: Dovecot's
# "Mailbox was deleted under us" / "IMAP session state is inconsistent, please relogin",
# Cyrus' "Mailbox has been (re)moved".
_DELETED_UNDER_US = re.compile(r"deleted|state is inconsistent|been \(?re\)?moved", re.IGNORECASE)

#: OpenSSL's reasons when the peer's first bytes are not a TLS record (plain text).
_NOT_TLS = frozenset(
    {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST", "UNKNOWN_PROTOCOL"}
)


@contextlib.contextmanager
def translated(
    target: ImapTarget, options: ConnectOptions | None, doing: str, folder: str | None = None
) -> Iterator[None]:
    """Turn socket, TLS and imaplib errors into MailboxError subclasses."""
    where = f"{target.host}:{target.port}"
    try:
        yield
    except socket.gaierror as exc:
        said = _("cannot resolve host {host}: {reason}").format(
            host=target.host, reason=one_line(exc)
        )
        _raise(ConnectionFailed(said), exc)
    except ssl.SSLCertVerificationError as exc:
        _raise(
            TLSFailed(
                _("TLS certificate of {where} not trusted: {reason}").format(
                    where=where, reason=exc.verify_message or exc.reason
                ),
                hint=_(
                    "if the server uses its own CA or a self-signed certificate, "
                    "pass it with --ca-file"
                ),
            ),
            exc,
        )
    except ssl.SSLError as exc:
        hint = None
        if target.implicit_tls and exc.reason in _NOT_TLS:
            # The port spoke plain text ("* OK ...") where a TLS handshake was due: an
            # imaps:// URL pointed at the STARTTLS/plaintext port (143, RFC 8314 §3.3).
            plain = ImapTarget(target.user, target.host, target.port, implicit_tls=False).display()
            hint = _("the server did not answer TLS: try {url} (STARTTLS) or port 993").format(
                url=plain
            )
        said = _("TLS with {where} failed while {doing}: {reason}").format(
            where=where, doing=doing, reason=exc.reason or exc
        )
        _raise(TLSFailed(said, hint=hint), exc)
    except TimeoutError as exc:
        if options:
            said = _("{where} did not answer within {seconds:g}s while {doing}").format(
                where=where, seconds=options.timeout, doing=doing
            )
        else:
            said = _("{where} did not answer while {doing}").format(where=where, doing=doing)
        _raise(ConnectionFailed(said), exc)
    except ConnectionRefusedError as exc:
        _raise(ConnectionFailed(_("connection refused by {where}").format(where=where)), exc)
    except OSError as exc:
        said = _("cannot talk to {where} while {doing}: {reason}").format(
            where=where, doing=doing, reason=one_line(exc)
        )
        _raise(ConnectionFailed(said), exc)
    except imaplib.IMAP4.abort as exc:
        if folder is not None and _DELETED_UNDER_US.search(one_line(exc)):
            _raise(FolderDeleted(_("deleted while it was being read")), exc)
        said = _("connection to {where} lost while {doing}: {reason}").format(
            where=where, doing=doing, reason=one_line(exc)
        )
        _raise(ConnectionFailed(said), exc)
    except imaplib.IMAP4.error as exc:
        text = server_text(exc, options, target.user)
        if folder is not None and _MISSING_FOLDER.search(text):
            _raise(
                FolderNotFound(
                    _("folder {folder!r} not found on {host}").format(
                        folder=folder, host=target.host
                    ),
                    hint=_("it may have been deleted or renamed meanwhile; run again"),
                ),
                exc,
            )
        said = _("{host} refused {doing}: {reason}").format(
            host=target.host, doing=doing, reason=text
        )
        _raise(MailboxError(said), exc)


def _raise(error: MailboxError, cause: BaseException) -> NoReturn:
    raise error from cause


def scrubbed(
    exc: BaseException, options: ConnectOptions | None, user: str | None = None
) -> BaseException:
    """The exception, with the secrets cut out of its args should a server have echoed them
    (in any of the forms `_secrets` knows; `user` adds the SASL messages that carry it)."""
    for secret in _secrets(options, user):
        exc.args = tuple(_cut(arg, secret) for arg in exc.args)
    return exc


def _secrets(options: ConnectOptions | None, user: str | None = None) -> list[str]:
    """Every form of the secrets a server (or imaplib, or imapclient) may say back, longest
    first: as is, IMAP-quoted (RFC 3501 §4.3), percent-encoded, in base64 alone or inside the
    SASL message sent (PLAIN, RFC 4616; XOAUTH2; OAUTHBEARER, RFC 7628), and each of those as
    Python shows bytes (`b'...'`, which imapclient's errors quote)."""
    if options is None:
        return []
    secrets = [secret for secret in (options.password, options.oauth2_token) if secret]
    forms = set(secrets)
    for secret in secrets:
        forms.add(secret.replace("\\", "\\\\").replace('"', '\\"'))
        forms.update((urllib.parse.quote(secret), urllib.parse.quote_plus(secret)))
        sent = [secret]
        if user is not None:
            sent += [f"\0{user}\0{secret}", xoauth2(user, secret), oauthbearer(user, secret)]
        forms.update(base64.b64encode(text.encode("utf-8")).decode("ascii") for text in sent)
    forms.update([repr(form.encode("utf-8", "replace"))[2:-1] for form in forms])
    return sorted(forms, key=len, reverse=True)


# The OAuth2 messages session.py sends, made here where `_secrets` must know them too.


def xoauth2(user: str, token: str) -> str:
    """AUTHENTICATE XOAUTH2's initial response (Google's XOAUTH2 protocol notes)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def oauthbearer(user: str, token: str) -> str:
    """AUTHENTICATE OAUTHBEARER's initial response: a GS2 header with the authorization
    identity, "=" and "," escaped (RFC 7628 §3.1)."""
    authzid = user.replace("=", "=3D").replace(",", "=2C")
    return f"n,a={authzid},\x01auth=Bearer {token}\x01\x01"


def _cut(arg: object, password: str) -> object:
    if isinstance(arg, str):
        return arg.replace(password, "***")
    if isinstance(arg, bytes):
        return arg.replace(password.encode("utf-8", "replace"), b"***")
    return arg


def server_text(exc: BaseException, options: ConnectOptions | None, user: str | None = None) -> str:
    """The server's words from an imaplib/imapclient error, on one line, password-free."""
    scrubbed(exc, options, user)
    text = one_line(exc)
    # imapclient formats bytes with str(): "login failed: b'[AUTH...] failed.'"
    text = re.sub(r"""\bb(['"])(.*?)\1""", r"\2", text)
    for secret in _secrets(options, user):  # once more, as shown: a form that only appears so
        text = text.replace(secret, "***")
    return text or _("no reason given")


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300]
