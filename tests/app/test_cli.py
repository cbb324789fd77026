"""The command line: exit codes, one-line errors on stderr, no tracebacks, no secrets."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from inbox_audit.app.cli import app

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "demo" / "mailbox"
DEMO_AS_OF = "2026-11-20T09:00:00+01:00"
SECRET = "s3cret-Pa55-do-not-print"

runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.stdout, result.stderr


def assert_one_line_error(stderr: str, *needles: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, "expected an error on stderr"
    assert lines[0].startswith("inbox-audit: error:") or "Error" in lines[0] or "Usage" in lines[0]
    assert "Traceback" not in stderr
    assert len(lines) <= 3 or "Usage" in stderr
    for needle in needles:
        assert needle in stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["audit", "ftp://me@host"], "ftp"),
        (["audit", "/no/such/mailbox"], "/no/such/mailbox"),
        (["audit", str(DEMO), "--sla", "soon"], "soon"),
        (["audit", str(DEMO), "--as-of", "yesterday"], "yesterday"),
        (["audit", str(DEMO), "--timezone", "Mars/Olympus"], "Mars/Olympus"),
        (["audit", str(DEMO), "--format", "pdf"], "pdf"),
    ],
)
def test_usage_errors_exit_2(args: list[str], needle: str) -> None:
    code, stdout, stderr = invoke(*args)
    assert code == 2
    assert stdout == ""
    assert_one_line_error(stderr, needle)


def test_password_in_url_is_refused_without_echo() -> None:
    code, stdout, stderr = invoke("audit", f"imaps://me:{SECRET}@mail.example.com")
    assert code == 2
    assert SECRET not in stdout + stderr


def test_no_password_non_interactive_is_a_config_error() -> None:
    env = {k: v for k, v in os.environ.items() if k != "INBOX_AUDIT_PASSWORD"}
    code, _, stderr = invoke("audit", "imaps://me@127.0.0.1:1", env=env)
    assert code == 3
    assert_one_line_error(stderr, "INBOX_AUDIT_PASSWORD")


def test_missing_ca_file_is_a_config_error() -> None:
    code, _, stderr = invoke(
        "audit",
        "imaps://me@127.0.0.1:1",
        "--ca-file",
        "/no/such/ca.pem",
        env={"INBOX_AUDIT_PASSWORD": SECRET},
    )
    assert code == 3
    assert SECRET not in stderr
    assert_one_line_error(stderr, "ca.pem")


def test_connection_refused_exits_4_without_secret() -> None:
    code, stdout, stderr = invoke(
        "audit", "imaps://me@127.0.0.1:1", "--timeout", "3", env={"INBOX_AUDIT_PASSWORD": SECRET}
    )
    assert code == 4
    assert stdout == ""
    assert SECRET not in stderr
    assert_one_line_error(stderr, "127.0.0.1")


def test_every_command_has_help() -> None:
    import typer.main

    def walk(command: Any, path: list[str]) -> list[tuple[list[str], Any]]:
        found = [(path, command)]
        for name, sub in getattr(command, "commands", {}).items():  # groups only
            found += walk(sub, [*path, name])
        return found

    commands = walk(typer.main.get_command(app), [])
    paths = [path for path, _ in commands]
    assert ["audit"] in paths and ["password", "set"] in paths and ["password", "delete"] in paths
    for path, command in commands:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0
        assert "Usage" in result.stdout
        assert (command.help or "").strip(), f"{path} has no help text"
    for path in ([], ["audit"]):
        out = " ".join(runner.invoke(app, [*path, "--help"]).stdout.split())
        assert "Exit codes" in out
        assert "6 report not delivered" in out


@pytest.mark.skipif(not DEMO.is_dir(), reason="demo mailbox not generated")
def test_demo_audit_json_exit_1_when_overdue() -> None:
    code, stdout, stderr = invoke(
        "audit", str(DEMO), "--as-of", DEMO_AS_OF, "--format", "json", "--timezone", "Europe/Paris"
    )
    report = json.loads(stdout)
    assert code == (1 if report["summary"]["overdue"] else 0)
    assert report["summary"]["overdue"] > 0
    assert "Traceback" not in stderr
    assert "claire@atelier-lumiere.fr" in report["identities"]


@pytest.mark.skipif(not DEMO.is_dir(), reason="demo mailbox not generated")
def test_demo_audit_far_in_the_past_exits_0() -> None:
    # Before any mail arrived nothing can be overdue.
    code, stdout, _ = invoke("audit", str(DEMO), "--as-of", "2000-01-01T00:00:00+00:00")
    assert code == 0
    assert stdout


@pytest.mark.skipif(not DEMO.is_dir(), reason="demo mailbox not generated")
@pytest.mark.parametrize(
    ("fmt", "marker"),
    [("table", "Waiting for an answer"), ("csv", "message_id,"), ("markdown", "| ")],
)
def test_demo_other_formats(fmt: str, marker: str) -> None:
    code, stdout, _ = invoke("audit", str(DEMO), "--as-of", DEMO_AS_OF, "--format", fmt)
    assert code == 1
    assert marker in stdout
    # Thomas Girard waits since 13 Nov (demo/EXPECTED.md): every format names him.
    assert "Thomas Girard" in stdout or "t.girard@free.fr" in stdout


@pytest.mark.skipif(not DEMO.is_dir(), reason="demo mailbox not generated")
@pytest.mark.parametrize("fmt", ["json", "summary"])
def test_the_entry_point_writes_what_the_app_does(fmt: str) -> None:
    # main() leaves its report to the end of the process instead of freeing it: nothing
    # written may be lost on the way out, and the exit code stays the audit's.
    args = ["audit", str(DEMO), "--as-of", DEMO_AS_OF, "--format", fmt]
    done = subprocess.run(
        [sys.executable, "-c", "from inbox_audit.app.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    code, stdout, _ = invoke(*args)
    assert (done.returncode, done.stdout) == (code, stdout)
    assert code == 1 and stdout.strip()


def test_installed_entry_point_never_prints_a_traceback(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "inbox-audit"
    if not exe.exists():
        pytest.skip("console script not installed")
    junk = tmp_path / "junk.mbox"
    junk.write_bytes(b"\x00\xff not a mailbox \x00" * 100)
    done = subprocess.run(
        [str(exe), "audit", str(junk), "--format", "json", "--as-of", DEMO_AS_OF],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in done.stderr
    assert done.returncode in (0, 1, 4)


def test_readme_documents_every_option_and_exit_code() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    help_text = runner.invoke(app, ["audit", "--help"], terminal_width=200).stdout
    options = set(re.findall(r"(--[a-z][a-z-]+)", help_text)) - {"--help"}
    assert options, help_text
    missing = sorted(option for option in options if option not in readme)
    assert not missing, f"options in --help but not in README.md: {missing}"
    from inbox_audit.errors import ExitCode

    for code in ExitCode:
        assert f"| {int(code)} |" in readme, f"exit code {int(code)} not documented"
