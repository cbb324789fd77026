"""Shared fixtures: a real Dovecot server for the integration tests (see tests/dovecot.py)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator, Iterator

import pytest

from tests.audits import Mailbox, load
from tests.dovecot import DOVECOT, DovecotServer, MailUser, start_server
from tests.mailgen import generate


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """One Dovecot for the whole session; each test adds its own users.

    Skipped when Dovecot is not installed, unless CI is set: there, a missing server fails.
    """
    if DOVECOT is None:
        reason = "dovecot is not installed (apt-get install dovecot-imapd)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}, and CI is set: the integration tests must run", pytrace=False)
        pytest.skip(reason)
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make the test server's certificates", pytrace=False)
    server = start_server()
    try:
        yield server
    finally:
        server.stop()
        if os.environ.get("KEEP_DOVECOT"):
            print(f"\nDovecot temp dir kept: {server.root}")
        else:
            shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(autouse=True)
def _private_cache_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Audits cache what they read under $XDG_CACHE_HOME: never the real one in tests."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def mail_user(dovecot: DovecotServer, request: pytest.FixtureRequest) -> MailUser:
    """A fresh account with the `plain` layout, or the one given by
    `@pytest.mark.parametrize("mail_user", ["gmail"], indirect=True)`."""
    layout = getattr(request, "param", "plain")
    return dovecot.add_user(dovecot.unique_name(layout), "pw-" + layout + "-Zx9!", layout)


@pytest.fixture(scope="module")
def mailbox(dovecot: DovecotServer) -> Mailbox:
    """A generated mailbox in Dovecot, audited by each run test of a module (tests/app/test_run.py,
    tests/test_faults.py)."""
    box = generate(11, "plain")
    return Mailbox(dovecot, box, load(dovecot, box))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses the server is marked `dovecot`, so `-m "not dovecot"` works
    (the compatibility matrix's servers too: tests/test_matrix.py's `matrix`)."""
    for item in items:
        if {"dovecot", "matrix"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.dovecot)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On failure of a test that used Dovecot, attach the end of the server's log."""
    report: pytest.TestReport = yield
    server = getattr(item, "funcargs", {}).get("dovecot")
    if report.failed and isinstance(server, DovecotServer):
        report.sections.append(("dovecot log (tail)", server.log_tail()))
    return report
