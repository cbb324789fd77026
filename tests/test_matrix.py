"""The compatibility matrix: the same mailboxes on Cyrus (both namespaces), pymap and Courier give
the same verdicts as on Dovecot, and the audit changes nothing on any of them."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from inbox_audit.app.cli import app
from tests.dovecot import Appended, DovecotServer, MailUser
from tests.mailgen import GeneratedMailbox, generate
from tests.servers import (
    CyrusServer,
    MatrixServer,
    PymapServer,
    cyrus_root,
    pymap_command,
    start_matrix_server,
)

# A server and how to start it: (class, options, what is missing when it cannot start).
_SERVERS: dict[str, tuple[type[MatrixServer], dict[str, bool], Callable[[], object]]] = {
    # Cyrus' standard namespace: folders under "INBOX.", "." between levels.
    "cyrus": (CyrusServer, {"altnamespace": False, "unixhierarchysep": False}, cyrus_root),
    # The alternate namespace: folders beside INBOX, "/" between levels.
    "cyrus-alt": (CyrusServer, {"altnamespace": True, "unixhierarchysep": True}, cyrus_root),
    "pymap": (PymapServer, {}, pymap_command),
}
_MISSING = {
    "cyrus": "Cyrus is not unpacked (bash scripts/setup.sh)",
    "cyrus-alt": "Cyrus is not unpacked (bash scripts/setup.sh)",
    "courier": "Courier is not unpacked (bash scripts/setup.sh)",
    "pymap": "pymap is not installed (pip install -e '.[dev]')",
}
SEED = 21
CUSTOMERS = 6


@pytest.fixture(scope="session", params=sorted(_SERVERS))
def server(request: pytest.FixtureRequest) -> Iterator[MatrixServer]:
    """Each matrix server, started once per session."""
    kind: str = request.param
    server_class, options, installed = _SERVERS[kind]
    if installed() is None:
        if os.environ.get("CI"):
            pytest.fail(f"{_MISSING[kind]}, and CI is set: the matrix must run", pytrace=False)
        pytest.skip(_MISSING[kind])
    started = start_matrix_server(server_class, **options)
    try:
        yield started
    finally:
        started.stop()
        shutil.rmtree(started.root, ignore_errors=True)


def spelled(server: DovecotServer, folder: str) -> str:
    return server.server_name(folder) if isinstance(server, MatrixServer) else folder


def load(server: DovecotServer, box: GeneratedMailbox) -> MailUser:
    """An account holding the generated mailbox, flags and dates kept."""
    user = server.add_user(server.unique_name(box.layout), "pw-Matrix-7!", list(box.folders()))
    for folder in box.folders():
        items = [
            Appended(m.data, m.flags, m.internal_date) for m in box.messages if m.folder == folder
        ]
        if items:
            server.append_many(user, spelled(server, folder), items)
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
