"""Markdown: every thread listed, mail text escaped, holding replies fenced; golden files."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from inbox_audit.outputs.markdown import md_escape, render_markdown
from tests.builders import PARIS
from tests.outputs.reports import check_golden, empty_report, make_report


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("report.md", lambda r: render_markdown(r, tz=PARIS)),
        ("empty.md", lambda r: render_markdown(empty_report())),
    ],
)
def test_golden(name: str, render: Any) -> None:
    check_golden(name, render(make_report()))


def test_markdown_escapes_mail_text() -> None:
    text = render_markdown(make_report(), tz=PARIS)
    hostile_rows = [line for line in text.splitlines() if "calc" in line and line.startswith("|")]
    assert len(hostile_rows) == 1
    row = hostile_rows[0]
    # Seven unescaped pipes: six columns. The subject's and the name's "|" are escaped.
    assert row.replace("\\|", "").count("|") == 7
    assert "\\[bold red\\]alarm\\[/\\]" in row
    assert "\\`code\\`" in row
    assert "\\*star\\*" in row
    assert "\\<b\\>\\&amp;" in row
    assert "\n" not in row


def test_md_escape() -> None:
    assert md_escape("a|b") == "a\\|b"
    assert md_escape("- item") == "\\- item"
    assert md_escape("1. item") == "1\\. item"
    assert md_escape("$5 and $10") == "\\$5 and \\$10"
    assert md_escape("two\nlines") == "two lines"


def test_markdown_fences_bodies_that_contain_backticks() -> None:
    report = make_report()
    thread = report.threads[0]
    assert thread.holding_reply is not None
    body = thread.holding_reply.body + "\n```\n# not a heading"
    reply = dataclasses.replace(thread.holding_reply, body=body)
    patched = dataclasses.replace(thread, holding_reply=reply)
    report = dataclasses.replace(report, threads=(patched,))
    text = render_markdown(report)
    assert "````text\n" + body + "\n````\n" in text
