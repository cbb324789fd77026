"""A real Dovecot IMAP server in a temp dir, with its own CA, for integration tests.

Use it through the `dovecot` (session) and `mail_user` fixtures in tests/conftest.py:

    from tests.dovecot import Appended, DovecotServer, MailUser

    def test_something(dovecot: DovecotServer, mail_user: MailUser) -> None:
        uid = dovecot.append(mail_user, "INBOX", raw_bytes, flags=("\\Seen",),
                             internal_date=datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
        dovecot.append_many(mail_user, "Sent", [Appended(raw, ("\\Seen",), when), ...])
        with ImapSource.connect(dovecot.target(mail_user), dovecot.options(mail_user)) as src:
            ...
        # or, for the CLI: dovecot.url(mail_user), --ca-file dovecot.ca_file

`mail_user` has the `plain` layout; `@pytest.mark.parametrize("mail_user", ["gmail"],
indirect=True)` picks another, and `dovecot.add_user(name, password, layout)` makes more.

Folders are created per user over IMAP CREATE. Dovecot 2.3 takes special-use attributes only
from its configuration (it has no CREATE-SPECIAL-USE), so the server config gives the attribute
to every folder *name* that some layout marks (`mailbox "Sent" { special_use = \\Sent }`,
auto = no: the attribute shows only where the folder exists). One server thus serves every
layout; the `french` layout's names are never marked, so it exposes no special-use at all.

Everything the fixture itself does goes over a plain-text loopback connection with a tiny
client of its own, so it never depends on the code under test.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from imapclient import imap_utf7

from inbox_audit.sources.spec import ConnectOptions, ImapTarget

DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
)

#: Folder layouts: (name, special-use attribute or None). Created in this order.
LAYOUTS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "plain": (
        ("INBOX", None),
        ("Sent", "\\Sent"),
        ("Drafts", "\\Drafts"),
        ("Trash", "\\Trash"),
        ("Junk", "\\Junk"),
        ("Archive", "\\Archive"),
    ),
    "gmail": (
        ("INBOX", None),
        ("[Gmail]/All Mail", "\\All"),
        ("[Gmail]/Sent Mail", "\\Sent"),
        ("[Gmail]/Drafts", "\\Drafts"),
        ("[Gmail]/Spam", "\\Junk"),
        ("[Gmail]/Trash", "\\Trash"),
        ("[Gmail]/Starred", "\\Flagged"),
        ("Clients", None),
        ("Clients/Acme", None),
        ("Invoices", None),
    ),
    "french": (
        ("INBOX", None),
        ("Envoyés", None),
        ("Brouillons", None),
        ("Corbeille", None),
        ("Indésirables", None),
        ("Archives", None),
        ("Archives/Clients", None),
    ),
}

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class MailUser:
    """A mailbox account on the test server."""

    name: str
    password: str = field(repr=False)
    folders: tuple[str, ...]  # as created, decoded


@dataclass(frozen=True)
class Appended:
    """One message to load with `DovecotServer.append_many`."""

    message: bytes
    flags: tuple[str, ...] = ()
    internal_date: datetime | None = None


@dataclass(frozen=True)
class FolderState:
    """What `snapshot_state` records of one folder."""

    uidvalidity: int
    highestmodseq: int
    messages: int
    flags: dict[int, frozenset[str]]  # uid -> flags, \\Recent included


class IMAPTestError(RuntimeError):
    """The test server answered something the fixture did not expect."""


def imap_date(when: datetime) -> str:
    """INTERNALDATE text (RFC 3501 date-time), independent of the locale."""
    if when.tzinfo is None:
        raise ValueError("internal_date must be aware")
    offset = when.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hh, mm = divmod(abs(minutes), 60)
    return (
        f"{when.day:02d}-{_MONTHS[when.month - 1]}-{when.year:04d} "
        f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} {sign}{hh:02d}{mm:02d}"
    )


def _quote(text: str) -> bytes:
    return b'"' + text.replace("\\", "\\\\").replace('"', '\\"').encode("ascii") + b'"'


def _literal(text: str) -> bytes:
    """A LITERAL+ string: any UTF-8, no quoting rules."""
    data = text.encode("utf-8")
    return b"{%d+}\r\n" % len(data) + data


def _mailbox(name: str) -> bytes:
    return _quote(imap_utf7.encode(name).decode("ascii"))


class _Wire:
    """A minimal IMAP client for the fixture: pipelined commands, literals in responses."""

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._file = self._sock.makefile("rb")
        self._tag = 0
        greeting = self._file.readline()
        if not greeting.startswith(b"* OK"):
            raise IMAPTestError(f"unexpected greeting {greeting!r}")

    def close(self) -> None:
        with contextlib.suppress(OSError, IMAPTestError):
            self.command(b"LOGOUT")
        self._file.close()
        self._sock.close()

    def next_tag(self) -> bytes:
        self._tag += 1
        return b"W%d" % self._tag

    def send(self, data: bytes) -> None:
        self._sock.sendall(data)

    def _read_response(self) -> bytes:
        """One response line, with any literals inlined as {n}\\r\\n<bytes>."""
        line = self._file.readline()
        if not line:
            raise IMAPTestError("server closed the connection")
        parts = [line]
        while (match := re.search(rb"\{(\d+)\}\r\n$", line)) is not None:
            parts.append(self._file.read(int(match.group(1))))
            line = self._file.readline()
            parts.append(line)
        return b"".join(parts)

    def wait(self, tag: bytes) -> list[bytes]:
        """Read until the tagged reply of `tag`; returns untagged responses, raises on NO/BAD."""
        untagged: list[bytes] = []
        while True:
            response = self._read_response()
            if response.startswith(tag + b" "):
                if not response.startswith(tag + b" OK"):
                    raise IMAPTestError(response.decode("utf-8", "replace").strip())
                return untagged
            untagged.append(response)

    def command(self, command: bytes) -> list[bytes]:
        tag = self.next_tag()
        self.send(tag + b" " + command + b"\r\n")
        return self.wait(tag)


class DovecotServer:
    """One Dovecot process (imap + STARTTLS and imaps on free loopback ports)."""

    host = "127.0.0.1"
    condstore = True  # RFC 7162: HIGHESTMODSEQ in STATUS (snapshot_state compares it)

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ca_file = root / "ca.crt"
        self.log_file = root / "dovecot.log"
        self.config_file = root / "dovecot.conf"
        # One passwd-file per user: Dovecot re-reads a changed passwd-file only when its
        # mtime moves, which can miss users added within the same second.
        self._users_dir = root / "users"
        self._process: subprocess.Popen[bytes] | None = None
        self._users: dict[str, MailUser] = {}
        self.imap_port = 0
        self.imaps_port = 0
        self._counter = 0

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        assert DOVECOT is not None
        self.imap_port, self.imaps_port = _free_ports(2)
        _make_certificates(self.root)
        mail_uid, mail_gid, internal, login = _accounts()
        self._mail_ids = (mail_uid, mail_gid)
        (self.root / "home").mkdir()
        (self.root / "state").mkdir()
        self._users_dir.mkdir()
        self.log_file.touch()
        if os.geteuid() == 0:
            # Dovecot runs mail processes as the user's uid, never 0: let that uid in.
            self.root.chmod(0o755)
            os.chown(self.root / "home", mail_uid, mail_gid)
        self.config_file.write_text(self._config(internal, login), encoding="utf-8")
        with (self.root / "dovecot.stderr").open("wb") as stderr:
            self._process = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(self.config_file)],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        self.wait_listening("dovecot", 20)

    def wait_listening(self, name: str, seconds: float) -> None:
        """Until the server listens on both ports; raises with its log if it dies or stalls."""
        assert self._process is not None
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"{name} exited at start-up:\n{self.log_tail()}")
            if _listening(self.host, self.imap_port) and _listening(self.host, self.imaps_port):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{name} did not start listening:\n{self.log_tail()}")

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def log_tail(self, lines: int = 60) -> str:
        texts = []
        for path in (self.log_file, self.root / "dovecot.stderr"):
            if path.exists():
                texts.extend(path.read_text("utf-8", "replace").splitlines()[-lines:])
        return "\n".join(texts)

    def _config(self, internal: tuple[str, str], login: tuple[str, str]) -> str:
        r = self.root
        non_root = os.geteuid() != 0
        # Without root, Dovecot cannot chroot its login processes.
        chroot = "  chroot =\n" if non_root else ""
        return f"""\
# Generated by tests/dovecot.py for one test session.
base_dir = {r}/run
state_dir = {r}/state
log_path = {self.log_file}
info_log_path = {self.log_file}
debug_log_path = {self.log_file}
instance_name = inbox-audit-test-{os.getpid()}
protocols = imap
listen = {self.host}
shutdown_clients = yes
default_internal_user = {internal[0]}
default_internal_group = {internal[1]}
default_login_user = {login[0]}
first_valid_uid = 1
first_valid_gid = 1
mail_max_userip_connections = 200
ssl = yes
ssl_cert = <{r}/server.crt
ssl_key = <{r}/server.key
ssl_dh = <{r}/dh.pem
# The fixture's own loader logs in over plain text on loopback; the code under test
# insists on TLS by itself.
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self._users_dir}/%u
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self._users_dir}/%u
}}
mail_location = maildir:~/Maildir:LAYOUT=fs
# Throw-away mail: skip fsync so bulk loading runs at memory speed.
mail_fsync = never
# CONDSTORE keeps per-message modseqs, so STATUS (HIGHESTMODSEQ) is exact.
mail_plugins = $mail_plugins
namespace inbox {{
  inbox = yes
  separator = /
  prefix =
{_special_use_config()}}}
protocol imap {{
  imap_id_log = *
  mail_max_userip_connections = 200
}}
service imap-login {{
  inet_listener imap {{
    address = {self.host}
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = {self.host}
    port = {self.imaps_port}
    ssl = yes
  }}
{chroot}}}
service anvil {{
{chroot}}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""

    # --- users and mail ------------------------------------------------------------------

    def unique_name(self, stem: str = "user") -> str:
        self._counter += 1
        return f"{stem}{self._counter}"

    def add_user(self, name: str, password: str, layout: str | Sequence[str] = "plain") -> MailUser:
        """Create an account and its folders.

        `layout` is one of LAYOUTS ("plain", "gmail", "french") or a list of folder names
        (created without special-use attributes).
        """
        if name in self._users:
            raise ValueError(f"user {name!r} already exists")
        specs = LAYOUTS[layout] if isinstance(layout, str) else tuple((f, None) for f in layout)
        uid, gid = self._mail_ids
        home = self.root / "home" / re.sub(r"[^A-Za-z0-9_.@-]", "_", name)
        (self._users_dir / name).write_text(
            f"{name}:{password}:{uid}:{gid}::{home}::\n", encoding="utf-8"
        )
        user = MailUser(name, password, tuple(f for f, _ in specs))
        self._users[name] = user
        with self.session(user) as wire:
            for folder, _ in specs:
                if folder.upper() == "INBOX":
                    continue
                wire.command(b"CREATE " + _mailbox(folder))
        return user

    @contextlib.contextmanager
    def session(self, user: MailUser) -> Iterator[_Wire]:
        """A logged-in fixture connection (plain text on loopback)."""
        wire = _Wire(self.host, self.imap_port)
        try:
            wire.command(b"LOGIN " + _literal(user.name) + b" " + _literal(user.password))
            yield wire
        finally:
            wire.close()

    def append(
        self,
        user: MailUser,
        folder: str,
        message: bytes,
        flags: Sequence[str] = (),
        internal_date: datetime | None = None,
    ) -> int:
        """Append one message; returns its UID."""
        return self.append_many(user, folder, [Appended(message, tuple(flags), internal_date)])[0]

    def append_many(
        self, user: MailUser, folder: str, messages: Iterable[Appended | bytes], batch: int = 500
    ) -> list[int]:
        """Append many messages fast: MULTIAPPEND (RFC 3502) with LITERAL+, in batches.

        Returns the new UIDs in order (from APPENDUID, RFC 4315).
        """
        uids: list[int] = []
        with self.session(user) as wire:
            chunk: list[Appended] = []
            for item in messages:
                chunk.append(item if isinstance(item, Appended) else Appended(item))
                if len(chunk) >= batch:
                    uids.extend(_multiappend(wire, folder, chunk))
                    chunk = []
            if chunk:
                uids.extend(_multiappend(wire, folder, chunk))
        return uids

    def create_folder(self, user: MailUser, folder: str) -> None:
        with self.session(user) as wire:
            wire.command(b"CREATE " + _mailbox(folder))

    def delete_folder(self, user: MailUser, folder: str) -> None:
        with self.session(user) as wire:
            wire.command(b"DELETE " + _mailbox(folder))

    # --- mutations between audits (the fixture's connection may write; the product never) ---

    def store_flags(self, user: MailUser, folder: str, uid: int, flags: Sequence[str]) -> None:
        """Add flags to one message (UID STORE +FLAGS.SILENT)."""
        with self.session(user) as wire:
            wire.command(b"SELECT " + _mailbox(folder))
            wire.command(b"UID STORE %d +FLAGS.SILENT (%s)" % (uid, " ".join(flags).encode()))

    def move(self, user: MailUser, folder: str, uid: int, to: str) -> None:
        """UID MOVE one message to another folder (RFC 6851): expunged here, new there."""
        with self.session(user) as wire:
            wire.command(b"SELECT " + _mailbox(folder))
            wire.command(b"UID MOVE %d " % uid + _mailbox(to))

    def expunge(self, user: MailUser, folder: str, uid: int) -> None:
        """Delete one message for good (\\Deleted then UID EXPUNGE, RFC 4315)."""
        with self.session(user) as wire:
            wire.command(b"SELECT " + _mailbox(folder))
            wire.command(b"UID STORE %d +FLAGS.SILENT (\\Deleted)" % uid)
            wire.command(b"UID EXPUNGE %d" % uid)

    def uids(self, user: MailUser, folder: str) -> list[int]:
        with self.session(user) as wire:
            wire.command(b"EXAMINE " + _mailbox(folder))
            lines = wire.command(b"UID SEARCH ALL")
        return sorted(int(n) for line in lines for n in line.split()[2:])

    def recreate_folder(self, user: MailUser, folder: str) -> None:
        """Delete a folder and create it again with the same messages, flags and dates:
        a new UIDVALIDITY, as after a server-side rebuild."""
        kept: list[Appended] = []
        with self.session(user) as wire:
            wire.command(b"EXAMINE " + _mailbox(folder))
            for line in wire.command(b"UID FETCH 1:* (FLAGS INTERNALDATE BODY.PEEK[])"):
                flags = re.search(rb"FLAGS \(([^)]*)\)", line)
                date = re.search(rb'INTERNALDATE "([^"]+)"', line)
                body = re.search(rb"BODY\[\] \{(\d+)\}\r\n", line)
                if flags is None or date is None or body is None:
                    continue
                data = line[body.end() : body.end() + int(body.group(1))]
                names = tuple(f for f in flags.group(1).decode().split() if f.lower() != "\\recent")
                when = datetime.strptime(date.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z")
                kept.append(Appended(data, names, when))
            wire.command(b"CLOSE")
            wire.command(b"DELETE " + _mailbox(folder))
            wire.command(b"CREATE " + _mailbox(folder))
        if kept:
            self.append_many(user, folder, kept)

    def list_folders(self, user: MailUser) -> dict[str, frozenset[str]]:
        """Folder name -> lower-cased LIST attributes, as the server reports them."""
        with self.session(user) as wire:
            lines = wire.command(b'LIST "" "*"')
        folders: dict[str, frozenset[str]] = {}
        for line in lines:
            match = re.match(rb'\* LIST \(([^)]*)\) (?:"[^"]*"|NIL) (.*)\r\n$', line)
            if match is None:
                continue
            raw = match.group(2)
            if raw.startswith(b"{"):
                raw = raw.split(b"\r\n", 1)[1]
            name = imap_utf7.decode(_unquote(raw))
            folders[name] = frozenset(a.lower() for a in match.group(1).decode().split())
        return folders

    def snapshot_state(self, user: MailUser) -> dict[str, FolderState]:
        """Every folder's UIDVALIDITY, HIGHESTMODSEQ and per-UID flags, \\Recent included.

        Reads with STATUS and EXAMINE only, which change nothing (RFC 3501 §6.3.2: EXAMINE
        does not take \\Recent away; RFC 7162: a read-only FETCH FLAGS bumps no modseq).
        """
        state: dict[str, FolderState] = {}
        names = [n for n, attrs in self.list_folders(user).items() if "\\noselect" not in attrs]
        with self.session(user) as wire:
            for name in sorted(names):
                items = (
                    b"UIDVALIDITY HIGHESTMODSEQ MESSAGES"
                    if self.condstore
                    else b"UIDVALIDITY MESSAGES"
                )
                status = b"".join(wire.command(b"STATUS " + _mailbox(name) + b" (" + items + b")"))
                numbers = {
                    key.decode(): int(value)
                    for key, value in re.findall(rb"([A-Z]+) (\d+)", status.split(b"(", 1)[1])
                }
                wire.command(b"EXAMINE " + _mailbox(name))
                flags: dict[int, frozenset[str]] = {}
                if numbers["MESSAGES"]:
                    for line in wire.command(b"UID FETCH 1:* (UID FLAGS)"):
                        uid = re.search(rb"UID (\d+)", line)
                        got = re.search(rb"FLAGS \(([^)]*)\)", line)
                        if uid and got:
                            flags[int(uid.group(1))] = frozenset(got.group(1).decode().split())
                # No CLOSE: the next EXAMINE leaves this folder as it is (RFC 3501 §6.3.1), and
                # pymap refuses CLOSE on an EXAMINEd folder.
                state[name] = FolderState(
                    uidvalidity=numbers["UIDVALIDITY"],
                    highestmodseq=numbers.get("HIGHESTMODSEQ", 0),
                    messages=numbers["MESSAGES"],
                    flags=flags,
                )
        return state

    # --- conveniences for tests of the code under test --------------------------------------

    def target(self, user: MailUser, implicit_tls: bool = True) -> ImapTarget:
        port = self.imaps_port if implicit_tls else self.imap_port
        return ImapTarget(user=user.name, host=self.host, port=port, implicit_tls=implicit_tls)

    def options(self, user: MailUser, **overrides: object) -> ConnectOptions:
        values: dict[str, object] = {"password": user.password, "ca_file": self.ca_file}
        values.update(overrides)
        return ConnectOptions(**values)  # type: ignore[arg-type]

    def url(self, user: MailUser, implicit_tls: bool = True) -> str:
        """A SOURCE string for the CLI (user percent-encoded)."""
        from urllib.parse import quote

        scheme, port = ("imaps", self.imaps_port) if implicit_tls else ("imap", self.imap_port)
        return f"{scheme}://{quote(user.name, safe='')}@{self.host}:{port}"


def _special_use_config() -> str:
    marked = {
        folder: use for layout in LAYOUTS.values() for folder, use in layout if use is not None
    }
    return "".join(
        f'  mailbox "{folder}" {{\n    auto = no\n    special_use = {use}\n  }}\n'
        for folder, use in sorted(marked.items())
    )


def _unquote(raw: bytes) -> bytes:
    if raw.startswith(b'"') and raw.endswith(b'"'):
        return re.sub(rb"\\(.)", rb"\1", raw[1:-1])
    return raw


def _multiappend(wire: _Wire, folder: str, messages: Sequence[Appended]) -> list[int]:
    parts = [wire.next_tag(), b" APPEND ", _mailbox(folder)]
    for item in messages:
        parts.append(b" (" + " ".join(item.flags).encode("ascii") + b")")
        if item.internal_date is not None:
            parts.append(b' "' + imap_date(item.internal_date).encode("ascii") + b'"')
        parts.append(b" {%d+}\r\n" % len(item.message))
        parts.append(item.message)
    parts.append(b"\r\n")
    tag = parts[0]
    wire.send(b"".join(parts))
    tagged = _tagged_line(wire, tag)
    match = re.search(rb"\[APPENDUID \d+ ([0-9:,]+)\]", tagged)
    if match is None:
        raise IMAPTestError(f"no APPENDUID in {tagged!r}")
    uids = _expand_set(match.group(1).decode())
    if len(uids) != len(messages):
        raise IMAPTestError(f"appended {len(messages)} messages, got {len(uids)} uids")
    return uids


def _tagged_line(wire: _Wire, tag: bytes) -> bytes:
    # wire.wait() drops the tagged line; APPENDUID lives there, so read it here.
    while True:
        response = wire._read_response()
        if response.startswith(tag + b" "):
            if not response.startswith(tag + b" OK"):
                raise IMAPTestError(response.decode("utf-8", "replace").strip())
            return response


def _expand_set(text: str) -> list[int]:
    uids: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition(":")
        uids.extend(range(int(low), int(high or low) + 1))
    return uids


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _accounts() -> tuple[int, int, tuple[str, str], tuple[str, str]]:
    """(mail uid, mail gid, internal user/group, login user/group) fit for this process."""
    import grp
    import pwd

    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        group = grp.getgrgid(me.pw_gid).gr_name
        return me.pw_uid, me.pw_gid, (me.pw_name, group), (me.pw_name, group)

    def account(*names: str) -> tuple[str, str] | None:
        for name in names:
            try:
                entry = pwd.getpwnam(name)
            except KeyError:
                continue
            return entry.pw_name, grp.getgrgid(entry.pw_gid).gr_name
        return None

    nobody = pwd.getpwnam("nobody")
    internal = account("dovecot", "nobody")
    login = account("dovenull", "nobody")
    assert internal is not None and login is not None
    return nobody.pw_uid, nobody.pw_gid, internal, login


def _make_certificates(root: Path) -> None:
    """A private CA and a server certificate for 127.0.0.1 / localhost, with openssl."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=root, check=True, capture_output=True)

    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=inbox-audit test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=localhost",
    )  # fmt: skip
    (root / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "basicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n",
        encoding="ascii",
    )
    openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-out", "server.crt", "-extfile", "server.ext",
    )  # fmt: skip
    # RFC 7919 group: instant, unlike generating fresh DH parameters.
    openssl("genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048",
            "-out", "dh.pem")  # fmt: skip


def start_server(
    make: Callable[[Path], DovecotServer] = DovecotServer, name: str = "dovecot"
) -> DovecotServer:
    """Start a server in a fresh temp dir (outside pytest's 0700 tmp, so `nobody` can enter).

    `make` builds it from its root (tests/servers.py's servers come this way too)."""
    root = Path(tempfile.mkdtemp(prefix=f"inbox-audit-{name}-"))
    server = make(root)
    try:
        server.start()
    except BaseException:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server
