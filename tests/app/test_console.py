"""The stderr console: one line per error or warning, text printed as written, no bar in a pipe."""

from __future__ import annotations

import pytest

from inbox_audit.app.console import escape, print_error, progress_bar, stderr_console, warn
from inbox_audit.errors import ConfigError


@pytest.fixture(autouse=True)
def plain_narrow_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """What cron sees: no terminal forced, and a narrow width that must not wrap errors."""
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "30")


def test_an_error_is_one_line_then_its_hint_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    message = "unknown key 'accounts.shop.sorce' in /home/me/[bold]/config.toml " + "x" * 80
    print_error(ConfigError(message, hint="valid keys here: [notify], [accounts.NAME]"))
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"inbox-audit: error: {message}\n  hint: valid keys here: [notify], [accounts.NAME]\n"
    )


def test_a_warning_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    warn("cannot use the cache /tmp/[x].sqlite (disk full); reading the whole mailbox")
    assert capsys.readouterr().err == (
        "inbox-audit: warning: cannot use the cache /tmp/[x].sqlite (disk full); "
        "reading the whole mailbox\n"
    )


def test_escaped_text_prints_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    stderr_console().print(escape("folder [red]Archives[/red] \\[x]"))
    assert capsys.readouterr().err == "folder [red]Archives[/red] \\[x]\n"


@pytest.mark.parametrize("enabled", [False, True])
def test_no_progress_bar_when_quiet_or_piped(
    enabled: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    with progress_bar(enabled) as progress:
        assert progress is None
    assert capsys.readouterr() == ("", "")
