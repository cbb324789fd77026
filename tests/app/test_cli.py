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

from inbox_audit import __version__
from inbox_audit.app.cli import Language, app
from inbox_audit.core.language import SUPPORTED_LANGUAGES
from inbox_audit.errors import ExitCode

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


def run_process(*command: str) -> subprocess.CompletedProcess[str]:
    """A new Python process (or the installed script): what a user's shell would start."""
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


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
    # main() (the GC policy, the guard against tracebacks) around the app: the same output
    # and the same exit code as the app run in this process.
    args = ["audit", str(DEMO), "--as-of", DEMO_AS_OF, "--format", fmt]
    done = run_process(sys.executable, "-c", "from inbox_audit.app.cli import main; main()", *args)
    code, stdout, _ = invoke(*args)
    assert (done.returncode, done.stdout) == (code, stdout)
    assert code == 1 and stdout.strip()


def test_installed_entry_point_never_prints_a_traceback(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "inbox-audit"
    if not exe.exists():
        pytest.skip("console script not installed")
    junk = tmp_path / "junk.mbox"
    junk.write_bytes(b"\x00\xff not a mailbox \x00" * 100)
    done = run_process(str(exe), "audit", str(junk), "--format", "json", "--as-of", DEMO_AS_OF)
    assert "Traceback" not in done.stderr
    assert done.returncode in (0, 1, 4)


def readme_audit_options() -> set[str]:
    """The options named in the first column of the README's table of `audit` options."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Options of `inbox-audit audit`", 1)[1].split("\n#", 1)[0]
    rows = [line.split(" | ")[0] for line in section.splitlines() if line.startswith("| `-")]
    return set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", " ".join(rows)))


def test_readme_options_table_matches_audit_help() -> None:
    import typer.main

    audit = typer.main.get_command(app).commands["audit"]  # type: ignore[attr-defined]
    options = {
        name
        for param in audit.params
        if param.param_type_name == "option" and not param.hidden
        for name in (*param.opts, *param.secondary_opts)
    }
    help_text = runner.invoke(app, ["audit", "--help"], terminal_width=200).stdout
    assert options and all(option in help_text for option in options), help_text
    listed = readme_audit_options()
    assert sorted(options - listed) == [], "in `audit --help` but not in README.md's table"
    assert sorted(listed - options) == [], "in README.md's table but not in `audit --help`"


def test_readme_documents_every_exit_code() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for code in ExitCode:
        assert f"| {int(code)} |" in readme, f"exit code {int(code)} not documented"


@pytest.mark.parametrize(
    ("args", "expected"),
    [(["--help"], "Usage: python -m inbox_audit"), (["version"], __version__)],
)
def test_python_dash_m_runs_the_command_line(args: list[str], expected: str) -> None:
    done = run_process(sys.executable, "-m", "inbox_audit", *args)
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout
    assert done.stderr == ""


def test_starting_leaves_out_what_only_some_runs_need() -> None:
    # The nightly run must start fast (issue #3): each of these costs tens of ms to import,
    # and is imported by the runs that use it (see the comments atop app/cli.py and run.py).
    later = {
        "rich",
        "inbox_audit.core.audit",
        "inbox_audit.sources.local",
        "inbox_audit.sources.mbox",
        "inbox_audit.sources.maildir",
        "inbox_audit.sources.takeout",
        "inbox_audit.sources.read",
        "inbox_audit.outputs.digest",
        "inbox_audit.outputs.digest_text",
        "inbox_audit.outputs.digest_html",
        "inbox_audit.outputs.mailto",
        "inbox_audit.store.sync",
        "inbox_audit.store.snapshot",
        "inbox_audit.app.init",
        "inbox_audit.app.schedule",
    }
    code = "import sys, inbox_audit.app.cli; print(*sys.modules)"
    done = run_process(sys.executable, "-c", code)
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert "inbox_audit.app.run" in loaded
    assert sorted(later & loaded) == []


def test_the_languages_offered_are_those_of_the_holding_replies() -> None:
    assert {language.value for language in Language} == set(SUPPORTED_LANGUAGES)


def test_readme_stats_options_and_stats_help_agree() -> None:
    """The README's `stats` table names its own options; the rest are `audit`'s, by name."""
    import typer.main

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    names = {
        command: {
            name
            for param in commands[command].params
            if param.param_type_name == "option" and not param.hidden
            for name in (*param.opts, *param.secondary_opts)
        }
        for command in ("stats", "audit")
    }
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### `inbox-audit stats`", 1)[1].split("\n### ", 1)[0]
    rows = [line.split(" | ")[0] for line in section.splitlines() if line.startswith("| `-")]
    own = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", " ".join(rows)))
    assert own == names["stats"] - names["audit"] | {"--awaiting-days", "--format"}
    assert names["stats"] - own <= names["audit"], "a stats option documented nowhere"
    help_text = runner.invoke(app, ["stats", "--help"], terminal_width=200).stdout
    assert all(option in help_text for option in names["stats"])


def test_stats_refuses_a_period_that_ends_before_it_starts(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["stats", str(tmp_path), "--since", "2026-11-20", "--until", "2026-11-01"]
    )
    assert result.exit_code == 2
    assert "--since" in result.stderr and "Traceback" not in result.stderr


def test_internal_domain_sets_the_accountants_mail_apart(tmp_path: Path) -> None:
    mail = (
        "From: Cabinet Moreau <anne@cabinet-moreau.fr>\n"
        "To: claire@atelier-lumiere.fr\n"
        "Subject: Bilan 2026 : pièces manquantes\n"
        "Date: Mon, 16 Nov 2026 10:00:00 +0100\n"
        "Message-ID: <bilan@cabinet-moreau.fr>\n"
        "\n"
        "Bonjour Claire, il nous manque les relevés d'octobre.\n"
    )
    source = tmp_path / "inbox.mbox"
    source.write_text(f"From anne Mon Nov 16 09:00:00 2026\n{mail}\n", encoding="utf-8")
    args = ["audit", str(source), "--me", "claire@atelier-lumiere.fr", "--as-of", DEMO_AS_OF]
    code, stdout, _ = invoke(*args, "--format", "json")
    assert code == ExitCode.OVERDUE_FOUND
    assert json.loads(stdout)["summary"]["internal"] == 0
    code, stdout, _ = invoke(*args, "--format", "json", "--internal-domain", "cabinet-moreau.fr")
    assert code == ExitCode.OK
    report = json.loads(stdout)
    assert [m["reason"] for m in report["messages"]] == ["internal"]
    assert report["summary"]["internal"] == 1 and report["threads"] == []
