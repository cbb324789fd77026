"""From the built wheel to a nightly job that works, on a headless machine, for real.

The wheel is built and installed into a fresh virtualenv (what `pipx install` does), run
from a directory outside the repository, with a HOME of its own: no keyring, no desktop,
no D-Bus. `init` (answers from flags), `schedule --install` (into a fake `crontab` on PATH:
the real user's crontab is never touched) and `schedule --check` then talk to the real
Dovecot and a real SMTP server (aiosmtpd).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.app.builders import MINE, OWNER, headless_init_args
from tests.dovecot import DovecotServer, MailUser
from tests.smtpd import SmtpServer, make_smtp_server  # noqa: F401  (a fixture)

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bin/ of a fresh virtualenv holding the wheel built from this tree."""
    root = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "-w", str(root / "dist"), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (root / "dist").glob("inbox_audit-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "-q", "install", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    yield venv / "bin"


def headless_env(home: Path, bin_dir: Path, *extra_path: Path) -> dict[str, str]:
    """A fresh machine's login shell: HOME, a plain PATH, no XDG_*, DISPLAY or D-Bus."""
    home.mkdir(parents=True, exist_ok=True)
    path = ":".join(str(p) for p in (*extra_path, bin_dir)) + ":/usr/local/bin:/usr/bin:/bin"
    return {"HOME": str(home), "PATH": path, "LANG": "C.UTF-8", "LOGNAME": "shop"}


def run(
    argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_the_wheel_runs_outside_the_repository(installed: Path, tmp_path: Path) -> None:
    env = headless_env(tmp_path / "home", installed)
    version = run(["inbox-audit", "--version"], env, tmp_path)
    assert version.returncode == 0 and version.stdout.strip() == "0.1.0", version.stderr
    module = run([str(installed / "python"), "-m", "inbox_audit", "--version"], env, tmp_path)
    assert module.stdout == version.stdout
    demo = run(["inbox-audit", "demo", "--format", "json"], env, tmp_path)
    assert demo.returncode == 0, demo.stderr
    import json

    report = json.loads(demo.stdout)
    assert report["summary"]["overdue"] > 0
    assert "claire@atelier-lumiere.fr" in report["identities"]
    # The demo read the mailbox installed with the package, not this checkout's.
    assert str(REPO) not in demo.stdout + demo.stderr
    # From a shell, as a user types them: typer names the shell from the process's parents
    # (shellingham), and a run with none among them failed ("Shell  not supported"). Two
    # commands, so that bash does not exec the last one in its own place.
    completion = run(["bash", "-c", "inbox-audit --show-completion bash; exit $?"], env, tmp_path)
    assert completion.returncode == 0 and "_INBOX_AUDIT_COMPLETE" in completion.stdout
    installed_completion = run(
        ["bash", "-c", "inbox-audit --install-completion bash; exit $?"], env, tmp_path
    )
    assert installed_completion.returncode == 0, installed_completion.stderr
    assert "inbox-audit" in (tmp_path / "home" / ".bashrc").read_text(encoding="utf-8")


def customer(n: int) -> bytes:
    return (
        f"From: Client {n} <client{n}@example.net>\r\nTo: {OWNER}\r\n"
        f"Subject: Question {n}\r\nDate: Mon, 2 Nov 2026 10:0{n}:00 +0100\r\n"
        f"Message-ID: <c{n}@example.net>\r\n\r\nHello?\r\n"
    ).encode()


def sent(n: int) -> bytes:
    return (
        f"From: Shop <{OWNER}>\r\nTo: client{n}@example.net\r\nSubject: Re: Question {n}\r\n"
        f"Date: Mon, 2 Nov 2026 11:0{n}:00 +0100\r\nIn-Reply-To: <c{n}@example.net>\r\n"
        f"Message-ID: <s{n}@shop.example>\r\n\r\nAnswered.\r\n"
    ).encode()


def test_a_headless_machine_gets_a_working_nightly_job(
    installed: Path,
    dovecot: DovecotServer,
    mail_user: MailUser,
    make_smtp_server: Callable[..., SmtpServer],  # noqa: F811  (the fixture)
    tmp_path: Path,
) -> None:
    for n in range(1, 4):
        dovecot.append(mail_user, "INBOX", customer(n))
    for n in (1, 2):
        dovecot.append(mail_user, "Sent", sent(n), flags=("\\Seen",))
    smtp = make_smtp_server(users={mail_user.name: mail_user.password}, starttls=True)
    assert smtp.ca_file is not None
    fake_bin = tmp_path / "fakebin"
    fake_bin.mkdir()
    table = tmp_path / "crontab.txt"
    table.write_text(MINE, encoding="utf-8")
    (fake_bin / "crontab").write_text(
        f"""#!/bin/sh
case "$1" in
  -l) cat '{table}';;
  -) cat > '{table}';;
  *) exit 2;;
esac
""",
        encoding="utf-8",
    )
    (fake_bin / "crontab").chmod(0o755)
    home = tmp_path / "home"
    env = headless_env(home, installed, fake_bin)
    elsewhere = tmp_path / "somewhere"
    elsewhere.mkdir()

    # init: every answer from flags, the password from the environment (as the README says).
    init_env = {**env, "INBOX_AUDIT_PASSWORD": mail_user.password}
    init = run(
        [
            "inbox-audit",
            *headless_init_args(dovecot, mail_user),
            "--email-to",
            OWNER,
            "--smtp",
            f"smtp://{mail_user.name}@127.0.0.1:{smtp.port}",
            "--smtp-ca-file",
            str(smtp.ca_file),
        ],
        init_env,
        elsewhere,
    )
    assert init.returncode == 0, init.stderr
    assert "no OS keyring here" in init.stderr
    secret = home / ".config" / "inbox-audit" / "secrets" / "shop.password"
    assert f"the password is kept in {secret} (mode 0600" in init.stderr
    assert "Sent folder: Sent; your addresses: owner@shop.example" in init.stderr
    assert mail_user.password not in init.stdout + init.stderr
    (test_summary,) = smtp.messages  # the test summary really arrived
    assert test_summary["To"] == OWNER
    assert smtp.logins == [mail_user.name]

    # A manual run at the terminal prints, and sends nothing despite [notify].
    manual = run(["inbox-audit", "audit", "--format", "summary"], env, elsewhere)
    assert manual.returncode in (0, 1), manual.stderr
    assert "1 customer is waiting" in manual.stdout
    assert len(smtp.received) == 1

    install = run(["inbox-audit", "schedule", "--install"], env, elsewhere)
    assert install.returncode == 0, install.stderr
    crontab = table.read_text(encoding="utf-8")
    assert crontab.startswith(MINE) and "--scheduled" in crontab
    assert str(installed / "inbox-audit") in crontab

    check = run(["inbox-audit", "schedule", "--check"], env, elsewhere)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "as cron runs it (empty environment, no terminal, no stdin)" in check.stdout
    assert f"OK: the summary was sent to {OWNER}" in check.stdout
    nightly = smtp.messages[-1]
    assert len(smtp.received) == 2
    assert nightly["Subject"].startswith("inbox-audit: ")
    assert "Client 3" in nightly.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    # A night the SMTP server is down: the check says nothing arrived, the report is kept,
    # and the next email that goes through names the missed night.
    config = home / ".config" / "inbox-audit" / "config.toml"
    good = config.read_text(encoding="utf-8")
    config.write_text(good.replace(f":{smtp.port}", ":1"), encoding="utf-8")
    down = run(["inbox-audit", "schedule", "--check"], env, elsewhere)
    assert down.returncode == 6, down.stdout + down.stderr
    assert "NOTHING reached the owner" in down.stdout
    state = home / ".local" / "state" / "inbox-audit"
    assert list((state / "undelivered").glob("report-*.eml"))
    config.write_text(good, encoding="utf-8")
    back = run(["inbox-audit", "schedule", "--check"], env, elsewhere)
    assert back.returncode == 0, back.stdout + back.stderr
    text = smtp.messages[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "not emailed on" in text and str(state / "undelivered") in text

    # The secrets file widened by mistake: the job refuses it, and says the fix.
    secret.chmod(0o640)
    widened = run(["inbox-audit", "schedule", "--check"], env, elsewhere)
    assert widened.returncode == 3, widened.stdout
    assert f"chmod 600 {secret}" in widened.stdout
    assert os.environ.get("HOME") != str(home)  # the test's own HOME was never used
