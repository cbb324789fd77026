"""The compatibility matrix: the same mailboxes on Cyrus (both namespaces), pymap and Courier give
the same verdicts as on Dovecot, and the audit changes nothing on any of them."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from inbox_audit.app.cli import app
from tests.dovecot import Appended, DovecotServer, MailUser
from tests.mailgen import GeneratedMailbox, generate
from tests.servers import (
    CourierServer,
    CyrusServer,
    MatrixServer,
    PymapServer,
    courier_root,
    cyrus_root,
    pymap_command,
    start_matrix_server,
)

# A server: how to make it from its root, and what is None when it is not installed.
_SERVERS: dict[str, tuple[Callable[[Path], MatrixServer], Callable[[], object]]] = {
    # Cyrus' standard namespace: folders under "INBOX.", "." between levels.
    "cyrus": (partial(CyrusServer, altnamespace=False, unixhierarchysep=False), cyrus_root),
    # The alternate namespace: folders beside INBOX, "/" between levels.
    "cyrus-alt": (partial(CyrusServer, altnamespace=True, unixhierarchysep=True), cyrus_root),
    "courier": (CourierServer, courier_root),
    "pymap": (PymapServer, pymap_command),
}
_MISSING = {
    "cyrus": "Cyrus is not unpacked (bash scripts/setup.sh)",
    "cyrus-alt": "Cyrus is not unpacked (bash scripts/setup.sh)",
    "courier": "Courier is not unpacked (bash scripts/setup.sh)",
    "pymap": "pymap is not installed (pip install -e '.[dev]')",
}
SEED = 21
CUSTOMERS = 6


class _Started:
    """The matrix servers started so far this session, each once, stopped at its end."""

    def __init__(self) -> None:
        self.servers: dict[str, MatrixServer] = {}

    def get(self, kind: str) -> MatrixServer:
        if kind not in self.servers:
            make, installed = _SERVERS[kind]
            if installed() is None:
                if os.environ.get("CI"):
                    pytest.fail(f"{_MISSING[kind]}, and CI is set: the matrix must run", False)
                pytest.skip(_MISSING[kind])
            self.servers[kind] = start_matrix_server(make, kind)
        return self.servers[kind]

    def stop(self) -> None:
        for started in self.servers.values():
            started.stop()
            shutil.rmtree(started.root, ignore_errors=True)


@pytest.fixture(scope="session")
def matrix() -> Iterator[_Started]:
    started = _Started()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(params=sorted(_SERVERS))
def server(matrix: _Started, request: pytest.FixtureRequest) -> MatrixServer:
    """Each matrix server in turn."""
    return matrix.get(request.param)


def spelled(server: DovecotServer, folder: str) -> str:
    return server.server_name(folder) if isinstance(server, MatrixServer) else folder


# The French layout as Outlook and French webmails name it: the Sent folder "Éléments
# envoyés", two more Sent-like names left empty, and customers' mail under INBOX.
_RENAMED = {"Envoyés": "Éléments envoyés", "Archives/Clients": "INBOX/Clients"}
_EMPTY = {"french": ("Messages envoyés", "Envoyés")}


def load(server: DovecotServer, box: GeneratedMailbox) -> MailUser:
    """An account holding the generated mailbox, flags and dates kept."""
    folders = [_RENAMED.get(f, f) for f in box.folders()] + list(_EMPTY.get(box.layout, ()))
    user = server.add_user(server.unique_name(box.layout), "pw-Matrix-7!", folders)
    for folder in box.folders():
        items = [
            Appended(m.data, m.flags, m.internal_date) for m in box.messages if m.folder == folder
        ]
        if items:
            server.append_many(user, spelled(server, _RENAMED.get(folder, folder)), items)
    return user


def audit(server: DovecotServer, user: MailUser, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        app,
        ["audit", server.url(user), "--ca-file", str(server.ca_file), "--format", "json", *args],
        env={"INBOX_AUDIT_PASSWORD": user.password},
    )
    assert result.exit_code in (0, 1), result.stderr + repr(result.exception)
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def verdicts(report: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """Message-ID -> (status, Message-ID of the reply that answered it)."""
    return {
        message["message_id"] or message["subject"]: (
            message["status"],
            (message["reply"] or {}).get("message_id"),
        )
        for message in report["messages"]
    }


_ON_DOVECOT: dict[tuple[str, ...], dict[str, Any]] = {}


def on_dovecot(dovecot: DovecotServer, box: GeneratedMailbox, *args: str) -> dict[str, Any]:
    """The same audit of the same mailbox on Dovecot, once per session."""
    key = (box.layout, *args)
    if key not in _ON_DOVECOT:
        _ON_DOVECOT[key] = audit(dovecot, load(dovecot, box), *args)
    return _ON_DOVECOT[key]


@pytest.mark.parametrize("layout", ["plain", "gmail", "french"])
def test_same_verdicts_as_dovecot_and_read_only(
    server: MatrixServer, dovecot: DovecotServer, layout: str
) -> None:
    box = generate(SEED, layout, customers=CUSTOMERS)
    args = ("--as-of", box.as_of.isoformat(), *[a for me in box.owner for a in ("--me", me)])
    expected = on_dovecot(dovecot, box, *args)
    user = load(server, box)
    before = server.snapshot_state(user)
    got = audit(server, user, *args)
    # Read-only: every flag (\Recent and \Seen included), UIDVALIDITY and HIGHESTMODSEQ.
    assert server.snapshot_state(user) == before
    assert verdicts(got) == verdicts(expected)
    for count in ("overdue", "pending", "answered", "late", "duplicates", "drafts", "outbound"):
        if count in expected["summary"]:
            assert got["summary"][count] == expected["summary"][count], count
    # The folders that hold mail have the same roles (Cyrus makes "[Gmail]" a real, empty
    # folder where Dovecot lists it \NoSelect).
    roles = sorted(f["role"] for f in got["folders"] if f["scanned"] and f["messages"])
    assert roles == sorted(f["role"] for f in expected["folders"] if f["scanned"] and f["messages"])
    assert "sent" in roles


def test_personal_namespace_spelling(server: MatrixServer) -> None:
    """The fixture's folder names are the server's: what LIST shows is what was created."""
    user = server.add_user(server.unique_name("names"), "pw-Names-1!", "french")
    listed = server.list_folders(user)
    assert set(user.folders) <= set(listed)


# Raw 8-bit headers (RFC 6532), as some clients and gateways still send them.
_HELENE = (
    "From: =?utf-8?q?H=C3=A9l=C3=A8ne_Dupont?= <helene@client.fr>\r\n"
    "To: shop@atelier.fr\r\nSubject: Problème de livraison\r\n"
    "Date: Mon, 2 Nov 2026 09:00:00 +0100\r\nMessage-ID: <m1@client.fr>\r\n"
)
_REPLIES = {
    # The owner's webmail encoded the subject (RFC 2047) and dropped In-Reply-To.
    "r1": (
        "From: shop@atelier.fr\r\nTo: helene@client.fr\r\n"
        "Subject: =?utf-8?q?Re=3A_Probl=C3=A8me_de_livraison?=\r\n"
        "Date: Mon, 2 Nov 2026 11:00:00 +0100\r\nMessage-ID: <r1@atelier.fr>\r\n"
    ),
    # A raw 8-bit reply that cites its request: both sides munged alike.
    "r2": (
        "From: shop@atelier.fr\r\nTo: jerome@client.fr\r\n"
        "Subject: Re: Commande n°12 – fenêtre\r\nIn-Reply-To: <m2@client.fr>\r\n"
        "Date: Tue, 3 Nov 2026 10:00:00 +0100\r\nMessage-ID: <r2@atelier.fr>\r\n"
    ),
}
_REQUESTS = {
    "m1": _HELENE,
    "m2": (
        "From: Jérôme Martin <jerome@client.fr>\r\nTo: shop@atelier.fr\r\n"
        "Subject: Commande n°12 – fenêtre\r\n"
        "Date: Tue, 3 Nov 2026 08:00:00 +0100\r\nMessage-ID: <m2@client.fr>\r\n"
    ),
    # Another customer with the same accented subject, never answered: stays waiting.
    "m3": (
        "From: Zoé Bernard <zoe@client.fr>\r\nTo: shop@atelier.fr\r\n"
        "Subject: Problème de livraison\r\n"
        "Date: Mon, 2 Nov 2026 10:00:00 +0100\r\nMessage-ID: <m3@client.fr>\r\n"
    ),
    # Hélène's next, different request: not answered by r1.
    "m4": (
        "From: Hélène Dupont <helene@client.fr>\r\nTo: shop@atelier.fr\r\n"
        "Subject: Retour à l'atelier\r\n"
        "Date: Wed, 4 Nov 2026 09:00:00 +0100\r\nMessage-ID: <m4@client.fr>\r\n"
    ),
}


def _eight_bit(headers: str) -> Appended:
    data = (headers + "Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour.\r\n").encode()
    when = re.search(r"Date: (.*)\r\n", headers)
    assert when is not None
    return Appended(data, ("\\Seen",), parsedate_to_datetime(when.group(1)))


def test_cyrus_munge8bit_still_pairs(matrix: _Started, dovecot: DovecotServer) -> None:
    """Cyrus' default munge8bit stores raw 8-bit header bytes as X's: the audit pairs the same
    messages there as on Dovecot, which keeps them, and pairs nothing unrelated."""
    cyrus = matrix.get("cyrus")
    args = ("--as-of", "2026-11-06T12:00:00+01:00", "--me", "shop@atelier.fr")
    reports = {}
    for server in (dovecot, cyrus):
        user = server.add_user(server.unique_name("munge"), "pw-Munge-8!", ["INBOX", "Sent"])
        server.append_many(user, "INBOX", [_eight_bit(h) for h in _REQUESTS.values()])
        server.append_many(
            user, spelled(server, "Sent"), [_eight_bit(h) for h in _REPLIES.values()]
        )
        before = server.snapshot_state(user)
        reports[server.kind if isinstance(server, MatrixServer) else "dovecot"] = audit(
            server, user, *args
        )
        assert server.snapshot_state(user) == before
    # Munged it is: the subjects read with X's on Cyrus.
    subjects = {m["message_id"]: m["subject"] for m in reports["cyrus"]["messages"]}
    assert subjects["m1@client.fr"] == "ProblXXme de livraison"
    expected = {
        "m1@client.fr": "r1@atelier.fr",
        "m2@client.fr": "r2@atelier.fr",
        "m3@client.fr": None,
        "m4@client.fr": None,
    }
    for kind, report in reports.items():
        got = {mid: reply for mid, (_, reply) in verdicts(report).items()}
        assert got == expected, kind
    assert verdicts(reports["cyrus"]) == verdicts(reports["dovecot"])


_DRAFTS = {"plain": "Drafts", "gmail": "[Gmail]/Drafts", "french": "Brouillons"}


@pytest.mark.parametrize("layout", ["plain", "gmail", "french"])
def test_drafts_saved_once_and_nothing_else_touched(
    server: MatrixServer, layout: str, tmp_path: Path
) -> None:
    """--save-drafts writes one draft per overdue thread and per follow-up to the server's
    Drafts folder (found by special-use or by name, in its namespace), none on a second run,
    and nothing else."""
    box = generate(SEED, layout, customers=CUSTOMERS)
    user = load(server, box)
    folder = spelled(server, _DRAFTS[layout])
    args = [
        "audit",
        server.url(user),
        "--ca-file",
        str(server.ca_file),
        "--format",
        "json",
        "--as-of",
        box.as_of.isoformat(),
        *[a for me in box.owner for a in ("--me", me)],
        "--state-dir",
        str(tmp_path),
        "--save-drafts",
    ]
    env = {"INBOX_AUDIT_PASSWORD": user.password}
    before = server.snapshot_state(user)
    first = CliRunner().invoke(app, args, env=env)
    assert first.exit_code in (0, 1), first.stderr + repr(first.exception)
    report = json.loads(first.stdout)
    overdue = [t for t in report["threads"] if t["status"] == "overdue"]
    wanted = len(overdue) + len(report["awaiting_reply"])  # holding replies and follow-ups
    assert overdue and f"{wanted} new drafts saved in {folder!r}" in first.stderr
    after = server.snapshot_state(user)
    assert {k: v for k, v in after.items() if k != folder} == {
        k: v for k, v in before.items() if k != folder
    }
    new = set(after[folder].flags) - set(before[folder].flags)
    assert len(new) == wanted
    assert all({"\\Draft", "\\Seen"} <= after[folder].flags[uid] for uid in new)
    second = CliRunner().invoke(app, args, env=env)
    assert "0 new drafts saved" in second.stderr, second.stderr
    assert server.snapshot_state(user) == after
