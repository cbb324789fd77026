"""Connecting to an IMAP server: TLS or STARTTLS, then LOGIN, AUTHENTICATE PLAIN or OAuth2."""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl

from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from inbox_audit.errors import ConnectionFailed, LoginFailed, TLSFailed
from inbox_audit.i18n import _
from inbox_audit.sources import listing
from inbox_audit.sources.failures import oauthbearer, scrubbed, server_text, translated, xoauth2
from inbox_audit.sources.spec import ConnectOptions, ImapTarget
from inbox_audit.sources.tls import tls_context
from inbox_audit.sources.wire import BufferedIMAP4, BufferedIMAP4_SSL, capabilities_in

# An IMAP atom: anything but atom-specials (RFC 3501 §9), ASCII only.
_ATOM = re.compile(r"[!#$&\'+-\[^-z|}~]+")


class Client(IMAPClient):  # type: ignore[misc]  # imapclient has no type hints
    """IMAPClient over an imaplib object that reads through our buffer (wire.py)."""

    def __init__(
        self, host: str, port: int, implicit_tls: bool, context: ssl.SSLContext, timeout: float
    ) -> None:
        self.connect_timeout = timeout
        self.connection: BufferedIMAP4
        super().__init__(host, port=port, ssl=implicit_tls, ssl_context=context, timeout=timeout)
        # imapclient turns on imaplib's per-line debug log; it would format every line.
        self.connection.debug = 0

    def _create_IMAP4(self) -> BufferedIMAP4:
        # The one private name of imapclient we touch: the method that makes its imaplib object,
        # the same from imapclient 3.0 to 4.1, and the seam its own TestableIMAPClient
        # overrides. Only public attributes are read here. (imapclient before 4.0, and before
        # 4.1 for STARTTLS, assigned IMAP4.file, a read-only property since Python 3.14:
        # its issues #638 and #662; hence imapclient>=4.1.0.)
        if self.ssl:
            imap: BufferedIMAP4 = BufferedIMAP4_SSL(
                self.host, self.port, self.ssl_context, self.connect_timeout
            )
        else:
            imap = BufferedIMAP4(self.host, self.port, self.connect_timeout)
        self.connection = imap
        return imap


def connect(target: ImapTarget, options: ConnectOptions) -> tuple[Client, frozenset[str]]:
    """Connect (implicit TLS or STARTTLS) and log in: the client and what the server offers
    once logged in. The one way in, for the reader and for the drafts' writer."""
    context = tls_context(options)
    with translated(target, options, _("connecting")):
        client = Client(target.host, target.port, target.implicit_tls, context, options.timeout)
    try:
        with translated(target, options, _("connecting")):
            if not target.implicit_tls:
                starttls(client, target, options, context)
            said = login(client, target, options)
            listed = capabilities_in(said) if isinstance(said, bytes | str) else None
            if listed is None:  # not in the login's answer: ask
                listed = frozenset(listing.as_text(name).upper() for name in client.capabilities())
            return client, listed
    except BaseException:
        shutdown(client)
        raise


def starttls(
    client: Client, target: ImapTarget, options: ConnectOptions, context: ssl.SSLContext
) -> None:
    if "STARTTLS" in offered(client):
        try:
            client.starttls(context)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:  # imaplib: "Couldn't establish TLS session"
            said = server_text(exc, options, target.user)
            refused = _("{host}:{port} refused STARTTLS: {reason}").format(
                host=target.host, port=target.port, reason=said
            )
            raise TLSFailed(refused) from exc
        return
    if not options.allow_plaintext:
        raise TLSFailed(
            _(
                "{host}:{port} does not offer STARTTLS; refusing to send the password in clear text"
            ).format(host=target.host, port=target.port),
            hint=_("use imaps:// (port 993), or --allow-plaintext on a trusted network"),
        )


def login(client: Client, target: ImapTarget, options: ConnectOptions) -> object:
    """Log in; the server's words (whose CAPABILITY response code, if any, lists what it
    offers once logged in: RFC 3501 §6.2.3)."""
    if options.oauth2_token:
        return oauth2_login(client, target, options)
    user, password = target.user, options.password
    ascii_only = user.isascii() and password.isascii()
    caps = offered(client)
    try:
        if "AUTH=PLAIN" in caps and (not ascii_only or "LOGINDISABLED" in caps):
            # AUTHENTICATE PLAIN (RFC 4616) carries UTF-8; LOGIN only ASCII.
            return client.plain_login(user, password)
        if not ascii_only:
            raise LoginFailed(
                _("{host} cannot take a non-ASCII user name or password").format(host=target.host),
                hint=_("the server offers no AUTHENTICATE PLAIN"),
            )
        # imaplib quotes the password itself but sends the user name as is.
        return client.login(user if _ATOM.fullmatch(user) else _quote(user), password)
    except LoginError as exc:
        _check_connection(exc, target)
        raise LoginFailed(
            _("login refused for {user} on {host}: {reason}").format(
                user=user, host=target.host, reason=server_text(exc, options, user)
            ),
            hint=_("check the user name and password (some providers need an app password)"),
        ) from scrubbed(exc, options, user)


def oauth2_login(client: Client, target: ImapTarget, options: ConnectOptions) -> object:
    """AUTHENTICATE XOAUTH2 (Google's, also Microsoft's and Dovecot's), or OAUTHBEARER
    (RFC 7628) when only that one is offered."""
    user, token = target.user, options.oauth2_token
    caps = offered(client)
    if "AUTH=XOAUTH2" in caps:
        mechanism, initial = "XOAUTH2", xoauth2(user, token)
        # On failure the server sends a JSON error as a challenge; the client answers with an
        # empty line and then gets the tagged NO (Google's XOAUTH2 protocol notes).
        after_error = b""
    elif "AUTH=OAUTHBEARER" in caps:
        mechanism, initial = "OAUTHBEARER", oauthbearer(user, token)
        after_error = b"\x01"  # RFC 7628 §3.2.3: a lone %x01 ends a failed exchange
    else:
        raise LoginFailed(
            _("{host} offers no OAuth2 login (AUTH=XOAUTH2 or AUTH=OAUTHBEARER)").format(
                host=target.host
            ),
            hint=_('use auth = "password" for this account, or check the server name'),
        )
    answers = iter([initial.encode("utf-8")])

    def respond(challenge: bytes) -> bytes:
        return next(answers, after_error)

    try:
        return client.sasl_login(mechanism, respond)
    except (LoginError, imaplib.IMAP4.error) as exc:
        _check_connection(exc, target)
        said = server_text(exc, options, user)
        raise LoginFailed(
            _("{mechanism} login refused for {user} on {host}: {reason}").format(
                mechanism=mechanism, user=user, host=target.host, reason=said
            ),
            hint=_("the access token may have expired or lack the mail scope; check token_command"),
        ) from scrubbed(exc, options, user)


def _check_connection(exc: Exception, target: ImapTarget) -> None:
    """A connection cut while logging in is no refusal: imapclient reports imaplib's abort
    ("socket error: EOF") as a LoginError, and calling it a wrong password sends the owner
    to change a password that is right."""
    cause = exc if isinstance(exc, imaplib.IMAP4.abort) else exc.__context__
    if isinstance(cause, imaplib.IMAP4.abort | OSError):
        raise ConnectionFailed(
            _("connection to {host}:{port} lost while logging in").format(
                host=target.host, port=target.port
            ),
            hint=_("the server or the network dropped it; run again later"),
        ) from None


def offered(client: Client) -> frozenset[str]:
    """What the server offers before login: imaplib asks (or reads the greeting) on connecting,
    and asks again after STARTTLS (RFC 2595 §3.1: what was said before TLS is forgotten)."""
    return frozenset(name.upper() for name in client.connection.capabilities)


def shutdown(client: Client) -> None:
    with contextlib.suppress(Exception):  # best effort: the socket may be half-closed
        client.shutdown()


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
