"""`inbox-audit init` (stdin fed through CliRunner, real Dovecot): a private config that works."""

from __future__ import annotations

import json
from pathlib import Path

from inbox_audit.app.config import load_config
from inbox_audit.app.credentials import KEYRING_SERVICE
from tests.app.builders import MemoryKeyring, invoke
from tests.dovecot import DovecotServer, MailUser

OWNER = "owner@shop.example"


def sent_mail(n: int, sender: str) -> bytes:
    return (
        f"From: Shop <{sender}>\r\nTo: client{n}@example.net\r\nSubject: Re: order {n}\r\n"
        f"Date: Mon, 2 Nov 2026 10:0{n}:00 +0100\r\nMessage-ID: <s{n}@shop.example>\r\n\r\nok\r\n"
    ).encode()


def test_init_tests_the_login_detects_and_writes_a_private_config(
    dovecot: DovecotServer, mail_user: MailUser, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    for n in range(3):
        dovecot.append(mail_user, "Sent", sent_mail(n, OWNER), flags=("\\Seen",))
    # Once: a customer's message filed in Sent by mistake is not "you".
    dovecot.append(mail_user, "Sent", sent_mail(7, "stray@example.net"))
    answers = [
        f"127.0.0.1:{dovecot.imaps_port}",  # server
        mail_user.name,  # user
        mail_user.password,  # password (hidden)
        "shop",  # account name
        "",  # addresses: the detected ones
        "",  # SLA: 24h
        "",  # email the report to: nobody
        "y",  # store the password in the keyring
    ]
    code, stdout, stderr = invoke(
        tmp_path,
        "init",
        "--ca-file",
        str(dovecot.ca_file),
        input="\n".join(answers) + "\n",
    )
    assert code == 0, stderr
    assert mail_user.password not in stdout + stderr
    assert "login works; Sent folder: Sent; your addresses: owner@shop.example" in stderr
    path = tmp_path / "xdg" / "inbox-audit" / "config.toml"
    assert path.stat().st_mode & 0o777 == 0o600
    assert mail_user.password not in path.read_text(encoding="utf-8")
    config = load_config(path, env={})
    assert config is not None
    shop = config.accounts["shop"]
    assert shop.me == (OWNER,)
    assert shop.sent_folder == "Sent"
    assert shop.sla == "24h"
    assert memory_keyring.store == {(KEYRING_SERVICE, "shop"): mail_user.password}

    # The written file and the stored password are enough for an audit.
    code, stdout, stderr = invoke(tmp_path, "audit", "--format", "json", "--quiet")
    assert code == 0, stderr
    assert OWNER in json.loads(stdout)["identities"]


def test_init_with_a_wrong_password_writes_nothing(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    answers = [f"127.0.0.1:{dovecot.imaps_port}", mail_user.name, "Wr0ng-pw"]
    code, _, stderr = invoke(
        tmp_path, "init", "--ca-file", str(dovecot.ca_file), input="\n".join(answers) + "\n"
    )
    assert code == 4
    assert "login refused" in stderr
    assert not (tmp_path / "xdg" / "inbox-audit" / "config.toml").exists()


def test_init_does_not_replace_a_file_without_asking(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("# mine\n", encoding="utf-8")
    code, _, stderr = invoke(tmp_path, "init", "--config", str(path), input="n\n")
    assert code == 2
    assert "nothing written" in stderr
    assert path.read_text(encoding="utf-8") == "# mine\n"
