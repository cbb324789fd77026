"""Every command shown in README.md and demo/EXPECTED.md runs as written.

The shell blocks (```sh) are read from the documents themselves; each command runs from the
repository's root with .venv/bin on PATH, and must exit 0 (or 1, an audit's "overdue found").
The few that cannot run here are listed in SKIPPED with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCUMENTS = ("README.md", "demo/EXPECTED.md")

#: Commands that do not run here, by their beginning, with why.
SKIPPED: dict[str, str] = {
    "bash scripts/test.sh": "the whole test suite: this test runs inside it",
    '.venv/bin/python -m pytest -m "not dovecot"': "the test suite: this test runs inside it",
    ".venv/bin/inbox-audit audit imaps://claire@mail.example.com": "needs a real account",
    ".venv/bin/inbox-audit stats imaps://claire@mail.example.com": "needs a real account",
    ".venv/bin/inbox-audit stats --since": "needs a configured account",
    "pipx install": "needs pipx and the built wheel; tests/test_install.py installs the wheel "
    "built from this tree into a fresh virtualenv, as pipx does",
    "inbox-audit init": "needs a real account (tests/test_install.py runs it on Dovecot)",
    "INBOX_AUDIT_PASSWORD=... inbox-audit init": "needs a real account",
    "inbox-audit schedule --install": "changes the user's crontab (tests/test_install.py "
    "installs into a fake crontab)",
    "inbox-audit schedule --check": "runs the installed job (tests/test_install.py does)",
}


def shell_commands(text: str) -> list[str]:
    """The commands of the ```sh blocks: continuation lines joined, comments dropped."""
    commands: list[str] = []
    for block in re.findall(r"^```(?:sh|bash|shell)\n(.*?)^```", text, re.M | re.S):
        joined = re.sub(r"\\\n\s*", "", block)
        for line in joined.splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def documented() -> list[tuple[str, str]]:
    return [
        (document, command)
        for document in DOCUMENTS
        for command in shell_commands((REPO / document).read_text(encoding="utf-8"))
    ]


def test_the_documents_show_commands() -> None:
    commands = [command for _, command in documented()]
    assert "bash scripts/demo.sh" in commands
    assert any(c.startswith("inbox-audit audit demo/mailbox") for c in commands)
    # Every skip names a command that is still documented.
    for prefix in SKIPPED:
        assert any(c.startswith(prefix) for c in commands), prefix


@pytest.mark.parametrize(("document", "command"), documented())
def test_a_documented_command_runs_as_written(document: str, command: str, tmp_path: Path) -> None:
    reason = next((why for prefix, why in SKIPPED.items() if command.startswith(prefix)), None)
    if reason is not None:
        pytest.skip(reason)
    cwd = REPO
    if command == ".venv/bin/python scripts/make_demo.py":
        # It rewrites demo/: run it on a copy, which must come out as the checked-in demo.
        cwd = tmp_path
        (cwd / "scripts").mkdir()
        shutil.copy(REPO / "scripts" / "make_demo.py", cwd / "scripts")
        (cwd / ".venv").symlink_to(REPO / ".venv")
        (cwd / "tests").symlink_to(REPO / "tests")  # its generator lives in tests/mailgen.py
    env = {
        **os.environ,
        "PATH": f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}",
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode in (0, 1), f"{document}: {command}\n{done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr
    if cwd == tmp_path:
        for name in ("EXPECTED.md", "truth.json"):
            assert (cwd / "demo" / name).read_bytes() == (REPO / "demo" / name).read_bytes()
