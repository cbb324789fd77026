"""The compatibility matrix's other IMAP servers: Cyrus, Courier and pymap, started like Dovecot.

Each runs on loopback from a temp dir with its own config and the same test CA, and is driven
by the same fixture client as `DovecotServer` (which these classes extend: loading, snapshots,
targets and URLs are server-agnostic). What differs is how an account is made and how a
folder name is spelled on the server: `MailUser.folders` holds the server's own names, and
`server_name()` turns a layout's name ("Clients/Acme") into it ("INBOX.Clients.Acme" on a
Cyrus in its standard namespace).

Cyrus and Courier conflict with dovecot-imapd as Debian packages, so scripts/setup.sh unpacks
them (`apt-get download` + `dpkg -x`) into SERVERS_CACHE and they run from there; pymap comes
from PyPI as a dev dependency. A server that is not there is skipped with the reason, except
under CI, where it fails (see tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from inbox_audit.sources.spec import ImapTarget
from tests.dovecot import (
    LAYOUTS,
    Appended,
    DovecotServer,
    IMAPTestError,
    MailUser,
    _accounts,
    _free_ports,
    _literal,
    _mailbox,
    _make_certificates,
    _tagged_line,
    _Wire,
    imap_date,
    start_server,
)

#: Where scripts/setup.sh unpacks the Debian servers that cannot be installed beside Dovecot.
# As root the servers drop to `nobody`, who cannot enter root's 0700 home: /var/cache then.
SERVERS_CACHE = Path(
    os.environ.get("INBOX_AUDIT_SERVERS")
    or (
        "/var/cache/inbox-audit-tests"
        if os.geteuid() == 0
        else Path.home() / ".cache" / "inbox-audit-tests"
    )
)
_LIBDIR = "usr/lib/x86_64-linux-gnu"

#: The special-use attribute a layout gives each folder name (the same for every server).
SPECIAL_USE = {
    folder: use for layout in LAYOUTS.values() for folder, use in layout if use is not None
}


def cyrus_root() -> Path | None:
    root = SERVERS_CACHE / "cyrus"
    return root if (root / "usr/lib/cyrus/bin/master").exists() else None


def courier_root() -> Path | None:
    root = SERVERS_CACHE / "courier"
    return root if (root / "usr/bin/imapd").exists() else None


def pymap_command() -> list[str] | None:
    executable = Path(sys.executable).parent / "pymap"
    return [str(executable)] if executable.exists() else None


class MatrixServer(DovecotServer):
    """A non-Dovecot server: start/stop a process, make accounts, spell folder names."""

    kind = "?"
    #: The personal namespace's prefix and hierarchy separator (RFC 2342), as the server has them.
    prefix = ""
    separator = "/"
    special_use = False  # CREATE-SPECIAL-USE (RFC 6154 §3)

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.log_file = root / f"{self.kind}.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def prepare(self) -> None:
        """Write the config and directories before the process starts."""

    def start(self) -> None:
        self.imap_port, self.imaps_port = _free_ports(2)
        _make_certificates(self.root)
        self.log_file.touch()
        self.prepare()
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.environment(),
                cwd=self.root,
                start_new_session=True,
            )
        self.wait_listening(self.kind, 30)

    def stop(self) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            # The server's own children (Cyrus' master forks one imapd per connection) are in
            # the session started for it: end them with it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self._process = None

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_file.exists():
            return ""
        return "\n".join(self.log_file.read_text("utf-8", "replace").splitlines()[-lines:])

    def server_name(self, name: str) -> str:
        """A layout's folder name ("Clients/Acme") as this server spells it."""
        if name.upper() == "INBOX":
            return "INBOX"
        if name.upper().startswith("INBOX/"):  # INBOX's own subfolders: no prefix again
            return "INBOX" + self.separator + name[6:].replace("/", self.separator)
        return self.prefix + name.replace("/", self.separator)

    def make_account(self, name: str, password: str) -> None:
        raise NotImplementedError

    def add_user(self, name: str, password: str, layout: str | Sequence[str] = "plain") -> MailUser:
        if name in self._users:
            raise ValueError(f"user {name!r} already exists")
        names = [f for f, _ in LAYOUTS[layout]] if isinstance(layout, str) else list(layout)
        self.make_account(name, password)
        user = MailUser(name, password, tuple(self.server_name(f) for f in names))
        self._users[name] = user
        created = {"INBOX"}
        with self.session(user) as wire:
            for folder in names:
                # Parents first: Cyrus refuses a special-use CREATE that must also make its
                # parent ("NO SPECIAL-USE flag conflict").
                parts = folder.split("/")
                for depth in range(1, len(parts)):
                    parent = "/".join(parts[:depth])
                    if parent not in created and parent not in names:
                        wire.command(b"CREATE " + _mailbox(self.server_name(parent)))
                        created.add(parent)
                if folder in created or folder.upper() == "INBOX":
                    continue
                created.add(folder)
                command = b"CREATE " + _mailbox(self.server_name(folder))
                use = SPECIAL_USE.get(folder)
                if use is not None and self.special_use:
                    # Where the server allows: Cyrus takes special-use on top-level folders
                    # only, so "[Gmail]/Sent Mail" is found there by its name alone.
                    with contextlib.suppress(IMAPTestError):
                        wire.command(command + b" (USE (" + use.encode("ascii") + b"))")
                        continue
                wire.command(command)
        return user


class CyrusServer(MatrixServer):
    """Cyrus IMAP (Debian's cyrus-imapd) under its `master`, with one namespace setting.

    `altnamespace` off: the user's folders live under "INBOX." (the standard namespace);
    on: beside INBOX. `unixhierarchysep` on: "/" separates levels, else ".". `munge8bit` is
    left at its default (on): raw 8-bit header bytes become "X".
    """

    kind = "cyrus"
    special_use = True

    def __init__(self, root: Path, altnamespace: bool, unixhierarchysep: bool) -> None:
        super().__init__(root)
        self.altnamespace = altnamespace
        self.unixhierarchysep = unixhierarchysep
        self.separator = "/" if unixhierarchysep else "."
        self.prefix = "" if altnamespace else "INBOX" + self.separator

    def prepare(self) -> None:
        install = cyrus_root()
        assert install is not None
        r = self.root
        for sub in ("config", "spool", "run", "sieve"):
            (r / sub).mkdir()
        # Started as root, Cyrus becomes its `cyrus_user`, who must own its directories;
        # started as anyone else, it stays that user.
        user, group = _accounts()[2]
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            user, group = "nobody", grp.getgrgid(nobody.pw_gid).gr_name
            r.chmod(0o755)
            for path in [r, *r.rglob("*")]:
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
        on = {True: "yes", False: "no"}
        (r / "imapd.conf").write_text(
            f"""\
configdirectory: {r}/config
partition-default: {r}/spool
defaultpartition: default
proc_path: {r}/run/proc
mboxname_lockpath: {r}/run/lock
lmtpsocket: {r}/run/lmtp
idlesocket: {r}/run/idle
notifysocket: {r}/run/notify
sievedir: {r}/sieve
cyrus_user: {user}
cyrus_group: {group}
syslog_prefix: inbox-audit-cyrus
admins: admin
# Test accounts only, on loopback: any password logs in (no saslauthd or sasldb needed).
sasl_pwcheck_method: alwaystrue
sasl_mech_list: PLAIN LOGIN
allowplaintext: yes
altnamespace: {on[self.altnamespace]}
unixhierarchysep: {on[self.unixhierarchysep]}
tls_server_cert: {r}/server.crt
tls_server_key: {r}/server.key
specialuse_extra: \\All \\Flagged
""",
            encoding="utf-8",
        )
        binaries = install / "usr/lib/cyrus/bin"
        conf = r / "imapd.conf"
        (r / "cyrus.conf").write_text(
            f"""\
START {{
  recover cmd="{binaries}/ctl_cyrusdb -C {conf} -r"
}}
SERVICES {{
  imap cmd="{binaries}/imapd -C {conf}" listen="{self.host}:{self.imap_port}" prefork=0
  imaps cmd="{binaries}/imapd -s -C {conf}" listen="{self.host}:{self.imaps_port}" prefork=0
}}
EVENTS {{
}}
""",
            encoding="utf-8",
        )
        # The key must be readable by the user Cyrus becomes.
        (r / "server.key").chmod(0o644)

    def command(self) -> list[str]:
        install = cyrus_root()
        assert install is not None
        r = self.root
        return [
            str(install / "usr/lib/cyrus/bin/master"),
            "-C", str(r / "imapd.conf"), "-M", str(r / "cyrus.conf"), "-p", str(r / "master.pid"),
        ]  # fmt: skip

    def environment(self) -> dict[str, str]:
        install = cyrus_root()
        assert install is not None
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = str(install / _LIBDIR)
        return env

    def make_account(self, name: str, password: str) -> None:
        # The admin makes the user's INBOX in the internal spelling "user.<name>"
        # (or "user/<name>" with unixhierarchysep).
        wire = _Wire(self.host, self.imap_port)
        try:
            wire.command(b"LOGIN admin " + _literal("admin"))
            wire.command(b"CREATE " + _mailbox(f"user{self.separator}{name}"))
        finally:
            wire.close()


class PymapServer(MatrixServer):
    """pymap (PyPI) with its maildir backend: accounts in its passwd/shadow files.

    pymap serves one port with STARTTLS and no implicit TLS, so both "ports" are that one.
    """

    kind = "pymap"
    condstore = False

    def prepare(self) -> None:
        self.imaps_port = self.imap_port
        (self.root / "mail").mkdir()

    def command(self) -> list[str]:
        command = pymap_command()
        assert command is not None
        r = self.root
        return [
            *command, "--host", self.host, "--port", str(self.imap_port),
            "--cert", str(r / "server.crt"), "--key", str(r / "server.key"),
            "maildir", str(r / "mail"),
        ]  # fmt: skip

    def target(self, user: MailUser, implicit_tls: bool = False) -> ImapTarget:
        return super().target(user, implicit_tls=False)

    def url(self, user: MailUser, implicit_tls: bool = False) -> str:
        return super().url(user, implicit_tls=False)

    def make_account(self, name: str, password: str) -> None:
        # pymap's own hash (pysasl's PBKDF2, what it uses without passlib), cheap rounds.
        from pysasl.hashing import BuiltinHash

        hashed = BuiltinHash(rounds=1000).hash(password)
        mail = self.root / "mail"
        for sub in ("cur", "new", "tmp"):
            (mail / name / sub).mkdir(parents=True)
        with (mail / "pymap-etc-passwd").open("a", encoding="utf-8") as passwd:
            passwd.write(f"{name}:x::::{name}:\r\n")
        with (mail / "pymap-etc-shadow").open("a", encoding="utf-8") as shadow:
            shadow.write(f"{name}:{hashed}::::::\r\n")


class CourierServer(MatrixServer):
    """Courier-IMAP (Debian's courier-imap): its imapd on Maildir++, behind tests/courier_front.py
    (which does what couriertcpd, imaplogin and authdaemond do: see there).

    Its personal namespace is "INBOX." with "." between levels; it has no LITERAL+ nor
    MULTIAPPEND, so loading APPENDs one message at a time, nor CONDSTORE.
    """

    kind = "courier"
    prefix = "INBOX."
    separator = "."
    condstore = False

    def prepare(self) -> None:
        (self.root / "users").write_text("", encoding="utf-8")
        (self.root / "homes").mkdir()
        gamin = self.root / "gam_server"
        gamin.write_text(
            f'#!/bin/sh\necho $$ >>"{self.root}/gam_server.pids"\n'
            'exec /usr/libexec/gam_server "$@"\n',
            encoding="utf-8",
        )
        gamin.chmod(0o755)

    def stop(self) -> None:
        super().stop()
        # gam_server detaches from the session: end the ones started for this server.
        pids = self.root / "gam_server.pids"
        if pids.exists():
            for pid in pids.read_text("ascii").split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGTERM)

    def command(self) -> list[str]:
        install = courier_root()
        assert install is not None
        r = self.root
        return [
            sys.executable, "-m", "tests.courier_front", str(install / "usr/bin/imapd"),
            str(r / "users"), str(r / "server.crt"), str(r / "server.key"),
            str(self.imap_port), str(self.imaps_port),
        ]  # fmt: skip

    def environment(self) -> dict[str, str]:
        install = courier_root()
        assert install is not None
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = f"{install / 'usr/lib'}:{install / _LIBDIR}"
        env["PYTHONPATH"] = str(Path(__file__).parents[1])
        env["GAMIN_DEBUG_SERVER"] = str(self.root / "gam_server")
        return env

    def make_account(self, name: str, password: str) -> None:
        home = self.root / "homes" / re.sub(r"[^A-Za-z0-9_.@-]", "_", name)
        for sub in ("cur", "new", "tmp"):
            (home / "Maildir" / sub).mkdir(parents=True)
        with (self.root / "users").open("a", encoding="utf-8") as users:
            users.write(f"{name}\t{password}\t{home}\n")

    def append_many(
        self, user: MailUser, folder: str, messages: Iterable[Appended | bytes], batch: int = 500
    ) -> list[int]:
        """One APPEND at a time, each literal sent after the server's "+" (RFC 3501 §7.5)."""
        uids: list[int] = []
        with self.session(user) as wire:
            for entry in messages:
                item = entry if isinstance(entry, Appended) else Appended(entry)
                tag = wire.next_tag()
                command = tag + b" APPEND " + _mailbox(folder)
                command += b" (" + " ".join(item.flags).encode("ascii") + b")"
                if item.internal_date is not None:
                    command += b' "' + imap_date(item.internal_date).encode("ascii") + b'"'
                wire.send(command + b" {%d}\r\n" % len(item.message))
                reply = wire._read_response()
                if not reply.startswith(b"+"):
                    raise IMAPTestError(f"APPEND refused: {reply!r}")
                wire.send(item.message + b"\r\n")
                tagged = _tagged_line(wire, tag)
                match = re.search(rb"\[APPENDUID \d+ (\d+)\]", tagged)
                if match is None:
                    raise IMAPTestError(f"no APPENDUID in {tagged!r}")
                uids.append(int(match.group(1)))
        return uids


def start_matrix_server(make: Callable[[Path], MatrixServer], kind: str) -> MatrixServer:
    """Start one in a fresh temp dir, as tests/dovecot.py starts Dovecot."""
    server = start_server(make, kind)
    assert isinstance(server, MatrixServer)
    return server
