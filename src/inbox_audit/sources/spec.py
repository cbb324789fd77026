"""Where mail comes from: parse a SOURCE argument and open the matching mailbox reader."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ParamSpec, Protocol, Self, TypeVar, runtime_checkable
from urllib.parse import unquote

from inbox_audit.errors import Reconnected, UsageError
from inbox_audit.i18n import _
from inbox_audit.model import FolderStatus, ListedFolder, RawMessage, Unreadable

#: progress(folder, done, total) — called by sources during long fetches.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ImapTarget:
    """A parsed imaps:// or imap:// SOURCE."""

    user: str
    host: str
    port: int
    implicit_tls: bool  # imaps:// (RFC 8314) vs imap:// + STARTTLS

    def display(self) -> str:
        scheme = "imaps" if self.implicit_tls else "imap"
        host = f"[{self.host}]" if ":" in self.host else self.host  # IPv6 literal (RFC 3986)
        return f"{scheme}://{self.user}@{host}:{self.port}"


@dataclass(frozen=True)
class LocalTarget:
    """A local mbox file, Maildir folder, or directory of mbox files."""

    path: Path

    def display(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class ConnectOptions:
    """How to reach an IMAP server. Secrets never appear in a repr.

    With `oauth2_token` set, the login is AUTHENTICATE XOAUTH2 (or OAUTHBEARER) with that
    access token, and `password` is not used.
    """

    password: str = field(default="", repr=False)
    oauth2_token: str = field(default="", repr=False)
    ca_file: Path | None = None
    allow_plaintext: bool = False
    timeout: float = 30.0
    # Told once what the run does without (a server extension that does not work): a warning.
    warn: Callable[[str], None] | None = field(default=None, repr=False, compare=False)


class Closing:
    """A source used in a `with` block: leaving the block closes it."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class MailSource(Protocol):
    """A mailbox opened read-only. Sources convert every foreign error to MailboxError."""

    def list_folders(self) -> list[ListedFolder]:
        """Every folder, with its attributes; selectable or not."""
        ...

    def message_count(self, folder: str) -> int | None:
        """How many messages the folder holds, when cheaply known."""
        ...

    def fetch(
        self, folder: str, progress: Progress | None = None
    ) -> Iterator[RawMessage | Unreadable]:
        """Every message of one folder: header fields, flags and internal date. Read-only."""
        ...

    def close(self) -> None:
        """Log out / release files. Safe to call twice."""
        ...


@dataclass(frozen=True)
class Opened:
    """A folder opened read-only (EXAMINE): what sync compares with the cache."""

    uidvalidity: int
    uids: list[int]  # every UID it holds, sorted
    flags: dict[int, frozenset[str]]  # UID -> FLAGS, when asked for (all, or those changed)


@dataclass(frozen=True)
class Examine:
    """A call of `IncrementalSource.examine` to come, announced by `ReadsAhead.plan`."""

    folder: str
    flags: bool = False
    changed_since: int | None = None
    likely_new: range = range(0)


@runtime_checkable
class ReadsAhead(Protocol):
    """A source that can open the next folder while the caller still reads the one before."""

    def plan(self, steps: Sequence[str | Examine]) -> None:
        """The folders about to be read, in this order: a name for `fetch`, an `Examine` for
        `examine`. Other calls still work; they only cost the opening sent ahead."""
        ...


class IncrementalSource(MailSource, ReadsAhead, Protocol):
    """A server mailbox that can tell what changed since a previous read (sync.py)."""

    @property
    def condstore(self) -> bool:
        """Whether `statuses` report HIGHESTMODSEQ and `examine` takes `changed_since`."""
        ...

    def statuses(self, folders: Sequence[str]) -> dict[str, FolderStatus]:
        """The folders' counters, without opening them (all asked at once)."""
        ...

    def examine(
        self,
        folder: str,
        flags: bool = False,
        changed_since: int | None = None,
        likely_new: range | None = None,
    ) -> Opened:
        """Open the folder read-only: its UIDVALIDITY and all its UIDs, sorted; with `flags`,
        UID -> flags (only of those changed after modseq `changed_since`, if given). Fetching
        the first of the UIDs `likely_new` may start meanwhile (for `fetch_uids`)."""
        ...

    def fetch_uids(
        self, folder: str, uids: Sequence[int], progress: Progress | None = None
    ) -> Iterator[RawMessage | Unreadable]:
        """Like `fetch`, for these UIDs of the examined folder."""
        ...


_P = ParamSpec("_P")
_T = TypeVar("_T")


def read_whole(read: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """`read(...)` (one folder's), done again from its start each time the source lost its
    connection meanwhile and logged in again: nothing of a read cut short is kept (half a
    folder would be a wrong report). The source bounds how often (imap.py `_relogging`)."""
    while True:
        try:
            return read(*args, **kwargs)
        except Reconnected:
            continue


_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# A typo such as "imaps:user@host" (no "//") is a URL attempt, not a file name.
_URL_LIKE = re.compile(r"^(?:imaps?|pop3?s?|https?|mailto|file):", re.IGNORECASE)
_HOST_PORT = re.compile(
    r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^\[\]:/\s]+))(?::(?P<port>\d*))?$"
)
_DEFAULT_PORTS = {"imaps": 993, "imap": 143}


def _source_hint() -> str:
    return _("use imaps://USER@HOST[:PORT], imap://USER@HOST[:PORT] or a path to mail on disk")


def parse_source(spec: str) -> ImapTarget | LocalTarget:
    """Parse SOURCE: an imaps:// or imap:// URL (RFC 5092, user only) or an existing path.

    The user may contain a literal or percent-encoded "@" (the host follows the last "@").
    A password in the URL is refused, and never repeated in the message.
    """
    if not spec.strip():
        raise UsageError(_("SOURCE is empty"), hint=_source_hint())
    match = _SCHEME.match(spec)
    if match is None:
        path = Path(spec).expanduser()
        if path.exists():
            return LocalTarget(path)
        if _URL_LIKE.match(spec):
            raise UsageError(_("SOURCE looks like a URL but has no '//'"), hint=_source_hint())
        if "@" in spec:
            # Not echoed: "user:secret@host" typed without a scheme would show the secret.
            raise UsageError(
                _("SOURCE is neither an imaps:// URL nor an existing path"),
                hint=_("for IMAP use imaps://USER@HOST"),
            )
        raise UsageError(
            _("no such file or directory: {path}").format(path=spec), hint=_source_hint()
        )
    scheme = match.group(1).lower()
    if scheme not in _DEFAULT_PORTS:
        raise UsageError(
            _("unsupported SOURCE scheme {scheme}://").format(scheme=scheme), hint=_source_hint()
        )
    rest = spec[match.end() :]
    if rest.endswith("/"):
        rest = rest[:-1]
    userinfo, at, hostport = rest.rpartition("@")
    if not at or not userinfo:
        raise UsageError(
            _("SOURCE has no user: {scheme}://USER@HOST expected").format(scheme=scheme),
            hint=_source_hint(),
        )
    if ":" in userinfo:
        # Checked before anything else is echoed: the part after ":" is a password.
        raise UsageError(
            _("SOURCE must not contain a password (user:password@host)"),
            hint=_("remove it from the URL; give it through the environment or the prompt"),
        )
    if any(c in hostport or c in userinfo for c in "/?#"):
        raise UsageError(
            _("SOURCE must be {scheme}://USER@HOST[:PORT], without path, query or fragment").format(
                scheme=scheme
            ),
            hint=_source_hint(),
        )
    where = _HOST_PORT.match(hostport)
    if where is None:
        raise UsageError(
            _("invalid host in SOURCE: {host!r}").format(host=hostport), hint=_source_hint()
        )
    port_text = where.group("port")
    if port_text is None:
        port = _DEFAULT_PORTS[scheme]
    elif port_text.isdigit() and 0 < int(port_text) < 65536:
        port = int(port_text)
    else:
        raise UsageError(
            _("invalid port in SOURCE: {port!r}").format(port=port_text),
            hint=_("a number from 1 to 65535"),
        )
    try:
        user = unquote(userinfo, errors="strict")
    except UnicodeDecodeError:
        raise UsageError(_("SOURCE user is not valid percent-encoded UTF-8")) from None
    if not user.strip():
        raise UsageError(_("SOURCE has an empty user name"), hint=_source_hint())
    return ImapTarget(
        user=user,
        host=where.group("v6") or where.group("host"),
        port=port,
        implicit_tls=scheme == "imaps",
    )
