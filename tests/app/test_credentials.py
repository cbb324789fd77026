"""Where passwords come from: environment, password_command, OS keyring, prompt — in that order.

password_command runs as a real subprocess (printf, sh); the keyring is an in-memory backend
set with keyring.set_keyring; the end-to-end tests log in to the real Dovecot.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest

from inbox_audit.app.credentials import (
    KEYRING_SERVICE,
    AuthMethod,
    CredentialSpec,
    keyring_delete,
    keyring_get,
    keyring_set,
    resolve,
    run_command,
)
from inbox_audit.errors import ConfigError
from tests.app.builders import MemoryKeyring, default_config, invoke
from tests.dovecot import DovecotServer, MailUser

SECRET = "pw-from-somewhere-7Q"


def spec(**overrides: object) -> CredentialSpec:
    values: dict[str, object] = {"label": "shop@mail.example.com", "keyring_key": "shop"}
    values.update(overrides)
    return CredentialSpec(**values)  # type: ignore[arg-type]


# --- Order ------------------------------------------------------------------------------------


def test_environment_comes_first(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.store[(KEYRING_SERVICE, "shop")] = "from-keyring"
    found = resolve(
        spec(password_command="printf from-command"),
        env={"INBOX_AUDIT_PASSWORD": SECRET},
        prompt=lambda _: "typed",
    )
    assert (found.value, found.origin) == (SECRET, "INBOX_AUDIT_PASSWORD")
    assert SECRET not in repr(found)


def test_command_before_keyring(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.store[(KEYRING_SERVICE, "shop")] = "from-keyring"
    found = resolve(spec(password_command="printf '%s\\nsecond line' from-command"), env={})
    assert (found.value, found.origin) == ("from-command", "password_command")


def test_keyring_before_prompt(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.store[(KEYRING_SERVICE, "shop")] = "from-keyring"
    found = resolve(spec(), env={}, prompt=lambda _: "typed")
    assert (found.value, found.origin) == ("from-keyring", "keyring")


def test_keyring_disabled_is_not_read(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.store[(KEYRING_SERVICE, "shop")] = "from-keyring"
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return "typed"

    found = resolve(spec(keyring_key=None), env={}, prompt=prompt)
    assert (found.value, found.origin) == ("typed", "prompt")
    assert asked == ["Password for shop@mail.example.com: "]


def test_nothing_found_without_a_terminal(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve(spec(), env={}, prompt=None)
    assert "no password for shop@mail.example.com" in str(caught.value)
    assert caught.value.hint is not None
    assert "INBOX_AUDIT_PASSWORD" in caught.value.hint
    assert "inbox-audit password set shop" in caught.value.hint


def test_no_keyring_backend_falls_through() -> None:
    # This machine's real keyring (none, on a server) must not break the chain.
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    try:
        assert keyring_get("shop") is None
        with pytest.raises(ConfigError, match="cannot store the password in the OS keyring"):
            keyring_set("shop", SECRET)
    finally:
        keyring.set_keyring(previous)


def test_file_password_after_environment() -> None:
    found = resolve(spec(password="in-file", keyring_key=None), env={})
    assert (found.value, found.origin) == ("in-file", "config file")


# --- password_command -------------------------------------------------------------------------


def test_command_takes_the_first_line_without_shell() -> None:
    assert run_command("printf 'a b$HOME;x\\nline 2\\n'", "password_command") == "a b$HOME;x"


def test_failing_command_names_it_but_never_its_output() -> None:
    # Prints the secret backwards-reversed, so the output is not a substring of the command.
    command = f"{sys.executable} -c \"import sys; print('{SECRET[::-1]}'[::-1]); sys.exit(3)\""
    with pytest.raises(ConfigError) as caught:
        run_command(command, "password_command")
    text = f"{caught.value} {caught.value.hint} {caught.value!r}"
    assert "password_command" in text and "exit status 3" in text
    assert sys.executable in text
    assert SECRET not in text
    assert caught.value.__cause__ is None and caught.value.__context__ is None


@pytest.mark.parametrize(
    ("command", "needle"),
    [
        ("no-such-program-xyz --flag", "program 'no-such-program-xyz' not found"),
        ("printf ''", "printed nothing"),
        ("'unbalanced", "cannot be parsed"),
        ("", "is empty"),
    ],
)
def test_command_problems(command: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        run_command(command, "password_command")


def test_command_timeout() -> None:
    with pytest.raises(ConfigError, match=r"did not finish within 0\.5s"):
        run_command("sleep 5", "password_command", timeout=0.5)


def test_a_command_that_never_ends_is_killed_with_its_children(tmp_path: Path) -> None:
    # A wrapper script whose child holds the output pipe open (gpg-agent asking for a
    # passphrase, `pass` under a shell): killing the script alone would leave the child
    # running, and waiting for the pipe to close would wait for it.
    pids = tmp_path / "pids"
    script = f"echo $$ > {pids}; sleep 300 & echo $! >> {pids}; wait"
    started = time.monotonic()
    with pytest.raises(ConfigError, match=r"did not finish within 0\.5s"):
        run_command(f"sh -c {shlex.quote(script)}", "token_command", timeout=0.5)
    assert time.monotonic() - started < 5
    # SIGKILL to the group is delivered at once but a process ends a moment later: allow it
    # that moment (a loaded machine), never the 300 s it would otherwise run.
    for pid in map(int, pids.read_text().split()):
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid), f"process {pid} still running"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie waiting for its parent (here, init) has ended: /proc says so.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


def test_oauth2_takes_the_token_command_only() -> None:
    found = resolve(
        spec(auth=AuthMethod.OAUTH2, token_command="printf tok-123"),
        env={"INBOX_AUDIT_PASSWORD": SECRET},
    )
    assert (found.value, found.auth, found.origin) == (
        "tok-123",
        AuthMethod.OAUTH2,
        "token_command",
    )
    with pytest.raises(ConfigError, match="no token_command"):
        resolve(spec(auth=AuthMethod.OAUTH2), env={})


# --- The keyring helpers and the `password` command -------------------------------------------


def test_keyring_helpers(memory_keyring: MemoryKeyring) -> None:
    assert keyring_set("shop", SECRET).endswith("MemoryKeyring")
    assert keyring_get("shop") == SECRET
    assert keyring_delete("shop") is True
    assert keyring_delete("shop") is False
    assert keyring_get("shop") is None


def test_password_set_and_delete(memory_keyring: MemoryKeyring, tmp_path: Path) -> None:
    code, stdout, stderr = invoke(
        tmp_path, "password", "set", "me@mail.example.com", input=f"{SECRET}\n{SECRET}\n"
    )
    assert code == 0, stderr
    assert memory_keyring.store == {(KEYRING_SERVICE, "me@mail.example.com"): SECRET}
    assert SECRET not in stdout + stderr  # hidden input: not echoed
    assert "stored in" in stderr and "MemoryKeyring" in stderr

    code, _, stderr = invoke(tmp_path, "password", "delete", "me@mail.example.com")
    assert code == 0
    assert memory_keyring.store == {}
    code, _, stderr = invoke(tmp_path, "password", "delete", "me@mail.example.com")
    assert code == 2
    assert "no password stored" in stderr


def test_password_set_checks_the_account_name(
    memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    default_config(tmp_path, '[accounts.shop]\nsource = "imaps://a@b.c"\n')
    code, _, stderr = invoke(tmp_path, "password", "set", "shpo", input="x\nx\n")
    assert code == 2
    assert "did you mean 'shop'?" in stderr
    assert memory_keyring.store == {}
    code, _, _ = invoke(tmp_path, "password", "set", "shop", input="p1\np1\n")
    assert code == 0
    assert memory_keyring.store == {(KEYRING_SERVICE, "shop"): "p1"}


# --- Against the real server ------------------------------------------------------------------


def account_file(tmp_path: Path, dovecot: DovecotServer, user: MailUser, extra: str) -> Path:
    return default_config(
        tmp_path,
        f'[accounts.shop]\nsource = "{dovecot.url(user)}"\nca_file = "{dovecot.ca_file}"\n'
        'me = ["shop@example.com"]\n' + extra,
    )


def test_keyring_password_logs_in_to_dovecot(
    dovecot: DovecotServer, mail_user: MailUser, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    account_file(tmp_path, dovecot, mail_user, "")
    code, _, _ = invoke(
        tmp_path, "password", "set", "shop", input=f"{mail_user.password}\n{mail_user.password}\n"
    )
    assert code == 0
    code, stdout, stderr = invoke(tmp_path, "audit", "--format", "json", "--quiet")
    assert code == 0, stderr
    assert '"overdue": 0' in stdout
    assert mail_user.password not in stdout + stderr


def test_password_command_logs_in_to_dovecot(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(mail_user.password + "\n", encoding="utf-8")
    account_file(tmp_path, dovecot, mail_user, f'password_command = "cat {secret_file}"\n')
    code, stdout, stderr = invoke(tmp_path, "audit", "--format", "json", "--quiet")
    assert code == 0, stderr
    assert mail_user.password not in stdout + stderr


def test_failing_password_command_exits_3_without_its_output(
    dovecot: DovecotServer, mail_user: MailUser, tmp_path: Path
) -> None:
    account_file(
        tmp_path,
        dovecot,
        mail_user,
        "password_command = 'sh -c \"printf %s%s leak ed-7; exit 2\"'\n",
    )
    code, stdout, stderr = invoke(tmp_path, "audit", "--quiet")
    assert code == 3
    assert "password_command" in stderr and "exit status 2" in stderr
    assert "leaked-7" not in stdout + stderr
