"""The rich table: markup printed literally, escape sequences neutralised; golden files."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import pytest
from rich.console import Console

from inbox_audit.core.figures import threads_in_order
from inbox_audit.model import AuditReport, Status
from inbox_audit.outputs.table import render_table
from tests.builders import PARIS
from tests.outputs.reports import check_golden, empty_report, make_report


def table_text(report: AuditReport, *, show_replies: bool = True) -> str:
    console = Console(record=True, width=120, force_terminal=False, file=io.StringIO())
    console.print(render_table(report, show_replies=show_replies, tz=PARIS))
    # rich pads lines to the console width; the padding says nothing, so keep it out of goldens.
    return "".join(line.rstrip() + "\n" for line in console.export_text().splitlines())


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("report.txt", table_text),
        ("report-no-replies.txt", lambda r: table_text(r, show_replies=False)),
        ("empty.txt", lambda r: table_text(empty_report())),
    ],
)
def test_golden(name: str, render: Any) -> None:
    check_golden(name, render(make_report()))


def test_table_prints_markup_literally() -> None:
    text = table_text(make_report())
    assert "[bold red]alarm[/]" in text
    assert "[bold]Evil[/bold] | Corp" in text
    assert "\x1b" not in text


def test_table_lists_overdue_then_pending_longest_first() -> None:
    text = table_text(make_report(), show_replies=False)
    order = [text.index(email) for email in ("marie.dupont@", "eve@evil", "john.smith@")]
    assert order == sorted(order)
    assert "3 d 3 h" in text  # Marie: 75 h
    assert "Mon 2 Nov 07:00" in text  # since, in Paris time
    assert "50%" in text
    assert "1 unreadable" in text
    assert "Holding reply" not in text


def test_table_escape_sequences_in_subjects_are_neutralised() -> None:
    report = make_report()
    first = report.messages[2]
    evil = "\x1b[2J\x1b]0;pwned\x07 hi \u202egnp.exe"
    thread = next(t for t in report.threads if t.thread_id == first.thread_id)
    patched = dataclasses.replace(thread, subject=evil)
    report = dataclasses.replace(report, threads=(patched,))
    console = Console(record=True, width=120, force_terminal=True, file=io.StringIO())
    console.print(render_table(report, show_replies=True, tz=PARIS))
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b[2J" not in output and "\x1b]0;" not in output and "\u202e" not in output


def test_threads_in_order_is_stable() -> None:
    report = make_report()
    ordered = threads_in_order(report.threads)
    assert [t.status for t in ordered] == [
        Status.OVERDUE,
        Status.OVERDUE,
        Status.PENDING,
        Status.ANSWERED,
        Status.ANSWERED,
        Status.ANSWERED,
    ]
    assert [t.thread_id for t in ordered[3:]] == ["t-paul", "t-lucie", "t-sam"]
