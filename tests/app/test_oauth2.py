"""OAuth2 IMAP login (XOAUTH2, OAUTHBEARER) checked by a real Dovecot against a real token check.

A second Dovecot instance (not the session one: its passdb differs) verifies access tokens
with its `oauth2` passdb, which POSTs each token to an RFC 7662 introspection endpoint served
here by http.server in a thread. The endpoint knows one good token per user.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs

import pytest
from typer.testing import CliRunner

from inbox_audit.app.cli import app
from inbox_audit.errors import LoginFailed
from inbox_audit.sources.imap import ImapSource
from inbox_audit.sources.spec import ConnectOptions
from tests.dovecot import DOVECOT, DovecotServer, MailUser

pytestmark = pytest.mark.dovecot

GOOD_TOKEN = "ya29.good-token-Zq81"
BAD_TOKEN = "ya29.expired-token-Xx00"


class _Introspection(BaseHTTPRequestHandler):
    """RFC 7662 token introspection: POST token=... → {"active": ..., "username": ...}."""

    tokens: ClassVar[dict[str, str]] = {}  # token -> user name
    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode("ascii", "replace"))
        token = (form.get("token") or [""])[0]
        self.seen.append(token)
        user = self.tokens.get(token)
        body = {"active": True, "username": user} if user else {"active": False}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep pytest's output clean


class OAuthDovecot(DovecotServer):
    """The fixture's Dovecot, plus an oauth2 passdb for XOAUTH2 and OAUTHBEARER."""

    introspection_url = ""

    def _config(self, internal: tuple[str, str], login: tuple[str, str]) -> str:
        config = super()._config(internal, login)
        oauth_conf = self.root / "dovecot-oauth2.conf.ext"
        oauth_conf.write_text(
            f"introspection_mode = post\n"
            f"introspection_url = {self.introspection_url}\n"
            "username_attribute = username\n"
            "active_attribute = active\n"
            "active_value = true\n",
            encoding="utf-8",
        )
        old_mechs = "auth_mechanisms = plain login\n"
        old_passdb = "passdb {\n  driver = passwd-file\n"
        assert old_mechs in config and old_passdb in config, "tests/dovecot.py config changed"
        config = config.replace(
            old_mechs,
            "auth_mechanisms = plain login xoauth2 oauthbearer\n"
            # Refused tokens are part of the tests: no 2 s penalty for each.
            "auth_failure_delay = 0\n",
        )
        return config.replace(
            old_passdb,
            "passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
            f"  args = {oauth_conf}\n}}\n"
            "passdb {\n  driver = passwd-file\n  mechanisms = plain login\n",
        )


@pytest.fixture(scope="module")
def introspection() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Introspection)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/introspect"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def oauth_dovecot(introspection: str) -> Iterator[OAuthDovecot]:
    if DOVECOT is None:
        if os.environ.get("CI"):
            pytest.fail("dovecot is not installed, and CI is set", pytrace=False)
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make the test server's certificates", pytrace=False)
    root = Path(tempfile.mkdtemp(prefix="inbox-audit-dovecot-oauth-"))
    server = OAuthDovecot(root)
    server.introspection_url = introspection
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def oauth_user(oauth_dovecot: OAuthDovecot) -> MailUser:
    user = oauth_dovecot.add_user(oauth_dovecot.unique_name("oauth"), "unused-pw-Q1!", "plain")
    _Introspection.tokens[GOOD_TOKEN] = user.name
    return user


def test_xoauth2_good_token_logs_in(oauth_dovecot: OAuthDovecot, oauth_user: MailUser) -> None:
    options = ConnectOptions(oauth2_token=GOOD_TOKEN, ca_file=oauth_dovecot.ca_file)
    with ImapSource.connect(oauth_dovecot.target(oauth_user), options) as source:
        names = {folder.name for folder in source.list_folders()}
    assert {"INBOX", "Sent"} <= names
    assert GOOD_TOKEN in _Introspection.seen  # the server really asked the endpoint


def test_xoauth2_bad_token_is_login_failed(
    oauth_dovecot: OAuthDovecot, oauth_user: MailUser
) -> None:
    options = ConnectOptions(oauth2_token=BAD_TOKEN, ca_file=oauth_dovecot.ca_file)
    with pytest.raises(LoginFailed) as caught:
        ImapSource.connect(oauth_dovecot.target(oauth_user), options)
    assert "XOAUTH2" in str(caught.value)
    assert BAD_TOKEN in _Introspection.seen
    seen: BaseException | None = caught.value
    while seen is not None:  # the token is nowhere in the chain
        assert BAD_TOKEN not in f"{seen} {seen!r} {seen.args!r} {getattr(seen, 'hint', '')}"
        seen = seen.__cause__ or seen.__context__
    assert BAD_TOKEN not in repr(options)


def test_token_of_another_user_is_refused(
    oauth_dovecot: OAuthDovecot, oauth_user: MailUser
) -> None:
    other = oauth_dovecot.add_user(oauth_dovecot.unique_name("other"), "unused-pw-Q2!", "plain")
    options = ConnectOptions(oauth2_token=GOOD_TOKEN, ca_file=oauth_dovecot.ca_file)
    with pytest.raises(LoginFailed):
        ImapSource.connect(oauth_dovecot.target(other), options)


def test_oauthbearer_when_xoauth2_is_not_offered(
    oauth_dovecot: OAuthDovecot, oauth_user: MailUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inbox_audit.sources import session

    real = session.offered  # what the server offers before login
    monkeypatch.setattr(session, "offered", lambda client: real(client) - {"AUTH=XOAUTH2"})
    good = ConnectOptions(oauth2_token=GOOD_TOKEN, ca_file=oauth_dovecot.ca_file)
    with ImapSource.connect(oauth_dovecot.target(oauth_user), good) as source:
        assert source.list_folders()
    bad = ConnectOptions(oauth2_token=BAD_TOKEN, ca_file=oauth_dovecot.ca_file)
    with pytest.raises(LoginFailed) as caught:
        ImapSource.connect(oauth_dovecot.target(oauth_user), bad)
    assert "OAUTHBEARER" in str(caught.value)


def test_cli_oauth2_account_with_token_command(
    oauth_dovecot: OAuthDovecot, oauth_user: MailUser, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        "[accounts.shop]\n"
        f'source = "{oauth_dovecot.url(oauth_user)}"\n'
        f'ca_file = "{oauth_dovecot.ca_file}"\n'
        'auth = "oauth2"\n'
        'me = ["shop@example.com"]\n'
        f"token_command = \"printf '%s\\\\n' {GOOD_TOKEN}\"\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["audit", "--config", str(config), "--format", "json", "--quiet"], env={}
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["overdue"] == 0
    assert GOOD_TOKEN not in result.stdout + result.stderr

    config.write_text(
        config.read_text(encoding="utf-8").replace(GOOD_TOKEN, BAD_TOKEN), encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["audit", "--config", str(config), "--quiet"], env={})
    assert result.exit_code == 4
    assert "XOAUTH2 login refused" in result.stderr
    assert BAD_TOKEN not in result.stdout + result.stderr


def test_init_with_oauth2_keeps_the_token_command(
    oauth_dovecot: OAuthDovecot, oauth_user: MailUser, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    command = f"printf '%s\\n' {GOOD_TOKEN}"
    answers = [
        f"127.0.0.1:{oauth_dovecot.imaps_port}",
        oauth_user.name,
        "oauth2",  # log in with
        command,  # the command printing an access token (asked, not a flag)
        "shop",
        "me@shop.example",
        "Europe/Paris",
        "en",
        "",
        "",
        "",
        "none",
    ]
    result = CliRunner().invoke(
        app,
        ["init", "--config", str(config), "--ca-file", str(oauth_dovecot.ca_file)],
        input="\n".join(answers) + "\n",
        env={},
    )
    assert result.exit_code == 0, result.stderr
    assert GOOD_TOKEN not in result.stderr.replace(command, "")  # only the command is shown
    text = config.read_text(encoding="utf-8")
    assert 'auth = "oauth2"' in text and "token_command" in text
    result = CliRunner().invoke(app, ["audit", "--config", str(config), "--quiet"], env={})
    assert result.exit_code == 0, result.stderr
