"""ImapSource against a real Dovecot (TLS, login, folders, fetch, read-only) and its parser."""

from __future__ import annotations

import base64
import imaplib
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from inbox_audit.core.fields import TEXT_BYTES
from inbox_audit.core.folders import assign_roles
from inbox_audit.core.headers import parse_message
from inbox_audit.errors import ConfigError, ConnectionFailed, FolderNotFound, LoginFailed, TLSFailed
from inbox_audit.model import Collected, FolderRole, RawMessage, Unreadable
from inbox_audit.settings import Settings
from inbox_audit.sources import failures, fetch, tls
from inbox_audit.sources.imap import ImapSource
from inbox_audit.sources.read import collect
from inbox_audit.sources.spec import ConnectOptions, Examine, ImapTarget
from inbox_audit.sources.wire import BufferedIMAP4
from tests.dovecot import Appended, DovecotServer, MailUser
from tests.sources.mailfiles import numbered_message

PARIS = timezone(timedelta(hours=2))


def connect(dovecot: DovecotServer, user: MailUser, **overrides: object) -> ImapSource:
    return ImapSource.connect(dovecot.target(user), dovecot.options(user, **overrides))


# --- TLS, login, connection errors -----------------------------------------------------------


def test_imaps_with_own_ca_lists_plain_layout(dovecot: DovecotServer, mail_user: MailUser) -> None:
    with connect(dovecot, mail_user) as source:
        listed = {f.name: f for f in source.list_folders()}
    assert set(listed) == {"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"}
    assert "\\sent" in listed["Sent"].attributes
    assert listed["Sent"].delimiter == "/"
    folders = {f.name: (f.role, f.scanned) for f in assign_roles(list(listed.values()))}
    assert folders["Sent"] == (FolderRole.SENT, True)
    assert folders["Trash"] == (FolderRole.TRASH, False)


def test_imaps_without_ca_file_is_refused(dovecot: DovecotServer, mail_user: MailUser) -> None:
    with pytest.raises(TLSFailed) as caught:
        connect(dovecot, mail_user, ca_file=None)
    assert "not trusted" in str(caught.value)
    assert "--ca-file" in (caught.value.hint or "")
    assert isinstance(caught.value.__cause__, ssl.SSLCertVerificationError)


def test_connections_share_one_tls_context(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    # The system's CAs and the CA file are loaded once a run, whatever the connections.
    with connect(dovecot, mail_user) as first, connect(dovecot, mail_user) as second:
        contexts = [context_of(s) for s in (first, second)]
    assert contexts[0] is contexts[1]
    assert contexts[0].get_ca_certs()  # the CA file's, beside the system's
    # A CA file that cannot be read is said so at each attempt, never remembered as good,
    # whether its context was being made on another thread (prepare_tls) or not.
    for name, prepared in (("ca.pem", False), ("other.pem", True)):
        broken = tmp_path / name
        broken.write_text("not a certificate")
        if prepared:
            tls.prepare_tls(broken)
        for _ in range(2):
            with pytest.raises(ConfigError, match="cannot use CA file"):
                connect(dovecot, mail_user, ca_file=broken)


def context_of(source: ImapSource) -> ssl.SSLContext:
    sock = source._client.connection.sock
    assert isinstance(sock, ssl.SSLSocket)
    return sock.context


def test_a_context_prepared_ahead_is_the_one_connections_use(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    ca_file = tmp_path / "ca.crt"  # a path of its own: no context made for it yet
    ca_file.write_bytes(dovecot.ca_file.read_bytes())
    threads = threading.active_count()
    tls.prepare_tls(ca_file)
    tls.prepare_tls(ca_file)  # once is enough: no second thread
    assert threading.active_count() <= threads + 1
    made = tls._CONTEXTS[ca_file].result(timeout=10)
    with connect(dovecot, mail_user, ca_file=ca_file) as source:
        assert context_of(source) is made


def test_starttls_on_imap_url(dovecot: DovecotServer, mail_user: MailUser) -> None:
    target = dovecot.target(mail_user, implicit_tls=False)
    assert target.port == dovecot.imap_port
    with ImapSource.connect(target, dovecot.options(mail_user)) as source:
        assert isinstance(source._client.connection.sock, ssl.SSLSocket)
        assert "INBOX" in {f.name for f in source.list_folders()}


def test_starttls_certificate_is_verified(dovecot: DovecotServer, mail_user: MailUser) -> None:
    target = dovecot.target(mail_user, implicit_tls=False)
    with pytest.raises(TLSFailed):
        ImapSource.connect(target, dovecot.options(mail_user, ca_file=None))


def test_id_is_sent(dovecot: DovecotServer, mail_user: MailUser) -> None:
    with connect(dovecot, mail_user):
        pass
    assert f"imap({mail_user.name})" in dovecot.log_tail(400)
    assert "ID sent: name=inbox-audit" in dovecot.log_tail(400)


def test_bad_password_is_login_failed_without_password(
    dovecot: DovecotServer, mail_user: MailUser
) -> None:
    secret = "Wrong-Secret-4711"
    with pytest.raises(LoginFailed) as caught:
        connect(dovecot, mail_user, password=secret)
    error = caught.value
    assert mail_user.name in str(error)
    assert "AUTHENTICATIONFAILED" in str(error)
    chain: list[BaseException] = []
    link: BaseException | None = error
    while link is not None:
        chain.append(link)
        link = link.__cause__ or link.__context__
    for link in chain:
        assert secret not in str(link)
        assert secret not in repr(link)
    assert secret not in (error.hint or "")


def test_non_ascii_password_goes_through_authenticate_plain(dovecot: DovecotServer) -> None:
    user = dovecot.add_user(dovecot.unique_name("utf8"), "pässwörd-ÿ", layout=["INBOX"])
    with connect(dovecot, user) as source:
        assert [f.name for f in source.list_folders()] == ["INBOX"]


def test_closed_port_is_connection_failed(dovecot: DovecotServer) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = ImapTarget("me", "127.0.0.1", port, implicit_tls=True)
    with pytest.raises(ConnectionFailed) as caught:
        ImapSource.connect(target, ConnectOptions(password="pw", timeout=5))
    assert "refused" in str(caught.value)


def test_unknown_host_is_connection_failed() -> None:
    target = ImapTarget("me", "no-such-host.invalid", 993, implicit_tls=True)
    with pytest.raises(ConnectionFailed) as caught:
        ImapSource.connect(target, ConnectOptions(password="pw", timeout=5))
    assert "no-such-host.invalid" in str(caught.value)


@pytest.fixture
def fake_server() -> Iterator[tuple[int, list[bytes]]]:
    """A plain-text IMAP server without STARTTLS that refuses every LOGIN."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    received: list[bytes] = []

    def serve() -> None:
        with listener:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as lines:
                conn.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake ready\r\n")
                for line in lines:
                    received.append(line)
                    tag = line.split(b" ", 1)[0]
                    if b"CAPABILITY" in line.upper():
                        conn.sendall(
                            b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n"
                        )
                    elif b"LOGOUT" in line.upper():
                        conn.sendall(b"* BYE\r\n" + tag + b" OK done\r\n")
                        return
                    else:
                        conn.sendall(tag + b" NO [AUTHENTICATIONFAILED] nope\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], received
    listener.close()
    thread.join(timeout=5)


def test_imap_without_starttls_is_refused(fake_server: tuple[int, list[bytes]]) -> None:
    port, received = fake_server
    target = ImapTarget("me", "127.0.0.1", port, implicit_tls=False)
    with pytest.raises(TLSFailed) as caught:
        ImapSource.connect(target, ConnectOptions(password="Plain-Secret-1", timeout=5))
    assert "STARTTLS" in str(caught.value)
    assert "--allow-plaintext" in (caught.value.hint or "")
    assert not any(b"Plain-Secret-1" in line for line in received)


def test_allow_plaintext_goes_on_to_login(fake_server: tuple[int, list[bytes]]) -> None:
    port, received = fake_server
    target = ImapTarget("me", "127.0.0.1", port, implicit_tls=False)
    options = ConnectOptions(password="Plain-Secret-1", timeout=5, allow_plaintext=True)
    with pytest.raises(LoginFailed) as caught:
        ImapSource.connect(target, options)
    assert "Plain-Secret-1" not in str(caught.value)
    assert any(b"LOGIN" in line.upper() for line in received)


def test_silent_server_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        target = ImapTarget("me", "127.0.0.1", listener.getsockname()[1], implicit_tls=False)
        with pytest.raises(ConnectionFailed) as caught:
            ImapSource.connect(target, ConnectOptions(password="pw", timeout=0.5))
    assert "did not answer within 0.5s" in str(caught.value)


# --- folders -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mail_user", ["french"], indirect=True)
def test_french_names_decoded_without_special_use(
    dovecot: DovecotServer, mail_user: MailUser
) -> None:
    with connect(dovecot, mail_user) as source:
        listed = source.list_folders()
    names = {f.name for f in listed}
    assert names == {
        "INBOX",
        "Envoyés",
        "Brouillons",
        "Corbeille",
        "Indésirables",
        "Archives",
        "Archives/Clients",
    }
    special = {"\\sent", "\\drafts", "\\trash", "\\junk", "\\all", "\\archive", "\\flagged"}
    assert all(not (f.attributes & special) for f in listed)
    roles = {f.name: (f.role, f.scanned) for f in assign_roles(listed)}
    assert roles["Envoyés"] == (FolderRole.SENT, True)
    assert roles["Corbeille"] == (FolderRole.TRASH, False)
    assert roles["Indésirables"] == (FolderRole.JUNK, False)
    assert roles["Archives/Clients"] == (FolderRole.OTHER, True)


@pytest.mark.parametrize("mail_user", ["french"], indirect=True)
def test_fetch_from_non_ascii_folder(dovecot: DovecotServer, mail_user: MailUser) -> None:
    uid = dovecot.append(mail_user, "Envoyés", numbered_message(1))
    with connect(dovecot, mail_user) as source:
        assert source.message_count("Envoyés") == 1
        [fetched] = list(source.fetch("Envoyés"))
    assert isinstance(fetched, RawMessage)
    assert (fetched.folder, fetched.uid) == ("Envoyés", uid)


@pytest.mark.parametrize("mail_user", ["gmail"], indirect=True)
def test_gmail_layout_listed_with_roles(dovecot: DovecotServer, mail_user: MailUser) -> None:
    with connect(dovecot, mail_user) as source:
        listed = source.list_folders()
    gmail = next(f for f in listed if f.name == "[Gmail]")
    assert not gmail.selectable
    roles = {f.name: (f.role, f.scanned) for f in assign_roles(listed)}
    assert roles == {
        "INBOX": (FolderRole.INBOX, True),
        "[Gmail]": (FolderRole.OTHER, False),
        "[Gmail]/All Mail": (FolderRole.ALL, True),
        "[Gmail]/Sent Mail": (FolderRole.SENT, True),
        "[Gmail]/Drafts": (FolderRole.DRAFTS, False),
        "[Gmail]/Spam": (FolderRole.JUNK, False),
        "[Gmail]/Trash": (FolderRole.TRASH, False),
        "[Gmail]/Starred": (FolderRole.OTHER, True),
        "Clients": (FolderRole.OTHER, True),
        "Clients/Acme": (FolderRole.OTHER, True),
        "Invoices": (FolderRole.OTHER, True),
    }


@pytest.mark.parametrize("list_status", [True, False])
def test_vanished_folder_is_folder_not_found(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch, list_status: bool
) -> None:
    user = dovecot.add_user(dovecot.unique_name("gone"), "pw", layout=["INBOX", "Old"])
    with connect(dovecot, user) as source:
        if not list_status:
            without(monkeypatch, source, "LIST-STATUS")
        assert "Old" in {f.name for f in source.list_folders()}
        dovecot.delete_folder(user, "Old")
        if list_status:
            # Counted with the listing (RFC 5819), before it went.
            assert source.message_count("Old") == 0
        else:
            with pytest.raises(FolderNotFound) as counting:
                source.message_count("Old")
            assert "'Old'" in str(counting.value)
        with pytest.raises(FolderNotFound) as fetching:
            list(source.fetch("Old"))
        assert list(source.fetch("INBOX")) == []  # the session is still usable
        with pytest.raises(FolderNotFound) as asking:
            source.statuses(["INBOX", "Old"])
    assert "'Old'" in str(fetching.value)
    assert "'Old'" in str(asking.value)


def without(monkeypatch: pytest.MonkeyPatch, source: ImapSource, capability: str) -> None:
    """Make the source believe the server does not offer `capability`."""
    monkeypatch.setattr(source, "_capabilities", source._capabilities - {capability})


@pytest.mark.parametrize("mail_user", ["plain", "gmail", "french"], indirect=True)
def test_list_status_lists_the_same_folders_as_a_plain_list(
    dovecot: DovecotServer, mail_user: MailUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    dovecot.append(mail_user, "INBOX", numbered_message(1))
    with connect(dovecot, mail_user) as source:
        assert "LIST-STATUS" in source._capabilities
        extended = source.list_folders()
        counts = {f.name: source.message_count(f.name) for f in extended if f.selectable}
        without(monkeypatch, source, "LIST-STATUS")
        plain = source.list_folders()
        assert {f.name: source.message_count(f.name) for f in plain if f.selectable} == counts
    assert extended == plain
    assert counts["INBOX"] == 1


# --- fetch -------------------------------------------------------------------------------------


def test_fetch_headers_flags_and_dates(dovecot: DovecotServer, mail_user: MailUser) -> None:
    dates = [datetime(2026, 11, 2, 9, 30, 15, tzinfo=PARIS) + timedelta(hours=i) for i in range(3)]
    flags = [("\\Seen",), ("\\Answered", "\\Seen", "$Important"), ()]
    uids = dovecot.append_many(
        mail_user,
        "INBOX",
        [Appended(numbered_message(i), flags[i], dates[i]) for i in range(3)],
    )
    seen: list[tuple[str, int, int]] = []
    with connect(dovecot, mail_user) as source:
        assert source.message_count("INBOX") == 3
        fetched = list(source.fetch("INBOX", lambda f, done, total: seen.append((f, done, total))))
    assert [m.uid for m in fetched] == uids
    for i, raw in enumerate(fetched):
        assert isinstance(raw, RawMessage)
        assert raw.folder == "INBOX"
        assert raw.internal_date == dates[i]
        assert raw.internal_date is not None and raw.internal_date.utcoffset() is not None
        assert raw.flags == {*flags[i], "\\Recent"}
        assert raw.header_bytes.startswith(f"From: Client {i} <client{i}@".encode())
        assert f"Message-ID: <q{i}@example.com>".encode() in raw.header_bytes
        assert b"secret" not in raw.header_bytes  # only headers.HEADER_FIELDS are fetched
        assert b"Received" not in raw.header_bytes
        assert b"Body" not in raw.header_bytes
        assert raw.text_start.startswith(f"Body {i}: ".encode())
        assert raw.conversation_id is None  # Dovecot has no X-GM-EXT-1
    assert seen[0] == ("INBOX", 0, 3)
    assert seen[-1] == ("INBOX", 3, 3)


ODD_MESSAGES = [
    # 8-bit Latin-1 in a header, as old mailers send it
    b"From: Ren\xe9 <rene@example.fr>\r\nSubject: Caf\xe9 cr\xe8me\r\n\r\nx\r\n",
    # IMAP syntax inside header values: literal markers, parens, quotes, backslashes
    b'From: a@b.example\r\nSubject: {5} ) ( "quoted" \\ FLAGS (\\Seen) UID 999\r\n\r\nx\r\n',
    # bare LF line endings
    b"From: lf@example.com\nSubject: bare LF\n\nbody\n",
    # none of the fetched fields at all
    b"X-Only: this\r\n\r\nbody\r\n",
    # a 20 kB folded header
    b"From: long@example.com\r\nReferences:" + b"\r\n <r@example.com>" * 1000 + b"\r\n\r\nx\r\n",
    # raw UTF-8 and an encoded-word
    "From: Zoë <zoe@example.com>\r\nSubject: =?utf-8?q?=C3=A9t=C3=A9?= 日本\r\n\r\nx\r\n".encode(),
]


def test_odd_header_bytes_do_not_break_fetch(dovecot: DovecotServer, mail_user: MailUser) -> None:
    uids = dovecot.append_many(mail_user, "INBOX", ODD_MESSAGES)
    with connect(dovecot, mail_user) as source:
        fetched = list(source.fetch("INBOX"))
    assert [m.uid for m in fetched] == uids
    assert all(isinstance(m, RawMessage) for m in fetched)
    headers = [m.header_bytes for m in fetched if isinstance(m, RawMessage)]
    assert b"Ren\xe9" in headers[0]
    assert b'Subject: {5} ) ( "quoted" \\ FLAGS (\\Seen) UID 999' in headers[1]
    assert b"bare LF" in headers[2]
    assert headers[3].strip() == b""
    assert headers[4].count(b"<r@example.com>") == 1000
    assert "日本".encode() in headers[5]


def test_many_batches_pipelined(
    dovecot: DovecotServer, mail_user: MailUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "BATCH_SIZE", 97)
    uids = dovecot.append_many(mail_user, "Archive", (numbered_message(i) for i in range(1000)))
    with connect(dovecot, mail_user) as source:
        fetched = list(source.fetch("Archive"))
        assert [m.uid for m in fetched] == uids
        assert all(isinstance(m, RawMessage) for m in fetched)
        # Abandon a fetch halfway: the commands still in flight are drained, and the
        # session stays in step for what follows.
        partial = source.fetch("Archive")
        first = [next(partial) for _ in range(150)]
        partial.close()
        assert [m.uid for m in first] == uids[:150]
        assert source.message_count("Archive") == 1000
        assert len(list(source.fetch("Archive"))) == 1000


def test_folders_read_ahead_as_read_one_by_one(
    dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next folders' EXAMINE sent while one is still read (`plan`) reads the same messages
    as one folder at a time; folders deleted between LIST and their EXAMINE, one sent in a
    chain behind folders read whole, one sent behind a folder's last batch, are reported
    alone and the others read."""
    monkeypatch.setattr(fetch, "BATCH_SIZE", 5)  # F00-F02 come whole, the others in batches
    folders = [f"F{n:02d}" for n in range(10)]
    user = dovecot.add_user(dovecot.unique_name("ahead"), "pw", layout=["INBOX", *folders])
    for n, folder in enumerate(folders):
        dovecot.append_many(user, folder, [numbered_message(100 * n + i) for i in range(2 * n)])
    writes: list[bytes] = []
    real_send = BufferedIMAP4.send

    def send(imap: BufferedIMAP4, data: bytes) -> None:
        writes.append(data)
        real_send(imap, data)

    monkeypatch.setattr(BufferedIMAP4, "send", send)

    def read(ahead: bool, gone: tuple[str, ...] = ()) -> tuple[Collected, int]:
        writes.clear()
        with connect(dovecot, user) as source:
            real_plan = source.plan

            def plan(steps: list[str | Examine]) -> None:
                for folder in gone:  # after LIST and STATUS, before any EXAMINE
                    dovecot.delete_folder(user, folder)
                if ahead:
                    real_plan(steps)

            monkeypatch.setattr(source, "plan", plan)
            collected = collect(source, "test", Settings(me=("shop@example.org",)))
        return collected, len(writes)

    one_by_one, writes_one_by_one = read(ahead=False)
    assert len(one_by_one.messages) == sum(2 * n for n in range(10))
    assert one_by_one.problems == ()
    together, writes_together = read(ahead=True)
    assert together == one_by_one
    assert writes_together < writes_one_by_one
    gone = ("F02", "F07")
    without_gone, _ = read(ahead=True, gone=gone)
    assert without_gone.messages == tuple(m for m in one_by_one.messages if m.folder not in gone)
    # The gone ones are told apart: not read, and why.
    assert [f.name for f in without_gone.folders] == [f.name for f in one_by_one.folders]
    for left, before in zip(without_gone.folders, one_by_one.folders, strict=True):
        if left.name in gone:
            assert not left.scanned and left.messages is None
            assert left.unread == f"folder {left.name!r} not found on 127.0.0.1"
        else:
            assert left == before
    assert sorted(problem.split(":")[0] for problem in without_gone.problems) == [
        "folder 'F02' could not be read",
        "folder 'F07' could not be read",
    ]


# --- read-only proof ---------------------------------------------------------------------------


def test_listing_and_fetching_change_nothing(dovecot: DovecotServer) -> None:
    user = dovecot.add_user(dovecot.unique_name("ro"), "pw", layout="plain")
    when = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    for folder, count in [("INBOX", 40), ("Sent", 10), ("Archive", 5), ("Trash", 3)]:
        mixes = [(), ("\\Seen",), ("\\Seen", "\\Answered"), ("\\Flagged",), ("$Label1",)]
        dovecot.append_many(
            user, folder, [Appended(numbered_message(i), mixes[i % 5], when) for i in range(count)]
        )
    # Take \Recent away from Sent only, as a mail client opening it would.
    with dovecot.session(user) as wire:
        wire.command(b'SELECT "Sent"')
        wire.command(b"CLOSE")
    before = dovecot.snapshot_state(user)
    assert all("\\Recent" in f for f in before["INBOX"].flags.values())
    assert not any("\\Recent" in f for f in before["Sent"].flags.values())
    assert any("\\Seen" not in f for f in before["INBOX"].flags.values())

    with connect(dovecot, user) as source:
        for listed in source.list_folders():
            source.message_count(listed.name)
            items = list(source.fetch(listed.name))
            assert not any(isinstance(item, Unreadable) for item in items)

    after = dovecot.snapshot_state(user)
    assert after == before

    # The snapshot does see a change: a read-write SELECT takes \Recent away.
    with dovecot.session(user) as wire:
        wire.command(b'SELECT "INBOX"')
    assert dovecot.snapshot_state(user)["INBOX"] != before["INBOX"]


def test_server_text_never_shows_the_password() -> None:
    error = imaplib.IMAP4.error("LOGIN failed: b'bad password Hunter2 for me'")
    text = failures.server_text(error, ConnectOptions(password="Hunter2"))
    assert text == "LOGIN failed: bad password *** for me"
    assert "Hunter2" not in str(error)


def test_uid_search_without_esearch(
    dovecot: DovecotServer, mail_user: MailUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    uids = dovecot.append_many(mail_user, "Archive", (numbered_message(i) for i in range(30)))
    with connect(dovecot, mail_user) as source:
        without(monkeypatch, source, "ESEARCH")
        assert [m.uid for m in source.fetch("Archive")] == uids


def test_imaps_pointed_at_the_starttls_port_says_what_to_try(
    dovecot: DovecotServer, mail_user: MailUser
) -> None:
    target = ImapTarget(mail_user.name, dovecot.host, dovecot.imap_port, implicit_tls=True)
    options = ConnectOptions(password=mail_user.password, ca_file=dovecot.ca_file, timeout=5)
    with pytest.raises(TLSFailed) as caught:
        ImapSource.connect(target, options)
    plain = f"imap://{mail_user.name}@{dovecot.host}:{dovecot.imap_port}"
    assert caught.value.hint == (
        f"the server did not answer TLS: try {plain} (STARTTLS) or port 993"
    )


# --- the body's start (issue 13: the customer's language) ------------------------------------

LONG_BODY = ("Bonjour Claire, je voudrais réserver deux places. " * 80).encode("utf-8")
BODIES = [
    # quoted-printable Latin-1 in a multipart, as Outlook writes it
    b"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
    b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable"
    b"\r\n\r\nJ'aimerais r=E9server samedi.\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n"
    b"--b--\r\n",
    # base64 UTF-8
    b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    + base64.encodebytes("Atelier découverte samedi ?".encode()),
    # longer than what is fetched: cut at TEXT_BYTES
    b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    + LONG_BODY,
    # no body at all
    b"",
]


def test_the_body_start_is_fetched_without_marking_anything_seen(
    dovecot: DovecotServer, mail_user: MailUser
) -> None:
    mails = [
        f"From: c{i}@example.fr\r\nSubject: Question {i}\r\n".encode() + body
        if body
        else f"From: c{i}@example.fr\r\nSubject: Question {i}\r\n\r\n".encode()
        for i, body in enumerate(BODIES)
    ]
    uids = dovecot.append_many(mail_user, "INBOX", mails)
    before = dovecot.snapshot_state(mail_user)
    with connect(dovecot, mail_user) as source:
        fetched = [m for m in source.fetch("INBOX") if isinstance(m, RawMessage)]
    assert [m.uid for m in fetched] == uids
    assert all("\\Seen" not in m.flags for m in fetched)
    assert dovecot.snapshot_state(mail_user) == before  # BODY.PEEK: still unseen
    assert len(fetched[2].text_start) == TEXT_BYTES
    assert fetched[2].text_start == LONG_BODY[:TEXT_BYTES]
    assert fetched[3].text_start == b""
    assert [parse_message(m).text_start[:40] for m in fetched] == [
        "J'aimerais réserver samedi.",
        "Atelier découverte samedi ?",
        "Bonjour Claire, je voudrais réserver deu",
        "",
    ]
