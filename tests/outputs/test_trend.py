"""The weekly trend chart: an HTML table of bars mail clients draw alike, and its text twin.

The HTML is checked for what Gmail, Outlook and Apple Mail need (no script, image, style sheet
or fixed width over 360 px) and then drawn by headless Chromium at a phone's width and a
desktop's: the bars are there, in proportion, and stay inside the page.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from inbox_audit.core.audit import audit
from inbox_audit.core.figures import Arrival, weekly_trend
from inbox_audit.model import Status
from inbox_audit.outputs.digest import build_email
from inbox_audit.outputs.trend import html_trend, text_trend
from inbox_audit.settings import Settings
from inbox_audit.sources.local import LocalSource
from inbox_audit.sources.read import collect
from tests.browser import layout, screenshot
from tests.builders import PARIS
from tests.outputs.digest_reports import parts

REPO = Path(__file__).resolve().parents[2]
END = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
BAR = (0x15, 0x65, 0xC0)


def rows(latency_hours_by_week: list[float | None]) -> list[Arrival]:
    """One answered message in the middle of each week (oldest first) with that latency."""
    found: list[Arrival] = []
    weeks = len(latency_hours_by_week)
    for index, hours in enumerate(latency_hours_by_week):
        arrived = END - timedelta(days=7 * (weeks - index) - 3)
        if hours is not None:
            found.append((arrived, Status.ANSWERED, int(hours * 3600), None))
    return found


def test_text_trend_bars_are_in_proportion_and_empty_weeks_show_a_dot() -> None:
    trend = weekly_trend(rows([2, None, 8, 4]), 86400, END, PARIS, weeks=4)
    lines = text_trend(trend, PARIS)
    assert [line.count("█") for line in lines] == [6, 0, 24, 12]
    assert "·" in lines[1] and "—" in lines[1]
    assert "8 h" in lines[2] and "(1 answered of 1)" in lines[2]


def test_html_trend_is_fluid_and_needs_nothing_a_mail_client_drops() -> None:
    chart = html_trend(weekly_trend(rows([2, None, 8, 4]), 86400, END, PARIS, weeks=4), PARIS)
    assert not re.search(r"<(script|img|style|link)\b", chart, re.IGNORECASE)
    assert "url(" not in chart and "http" not in chart
    fixed = [int(px) for px in re.findall(r"width:\s*(\d+)px", chart)]
    assert all(px <= 360 for px in fixed)
    # The longest week fills the bar; the others in proportion.
    assert re.findall(r'bgcolor="#1565c0" style="width:(\d+)%', chart) == ["25", "100", "50"]
    assert "no answers" in chart


def _demo_email_html(tmp_path: Path) -> Path:
    settings = Settings(me=("atelier@terre-et-feu.fr",), tz=PARIS)
    with LocalSource.open(REPO / "demo" / "mailbox") as local:
        report = audit(collect(local, "demo", settings, None), settings, END)
    message = build_email(report, to="o@x.example", sender="a@x.example", tz=PARIS)
    text, page = parts(message)
    assert "MEDIAN RESPONSE, WEEK BY WEEK (last 12 weeks)" in text
    assert "AWAITING THEIR REPLY (2)" in text and "Suggested follow-up" in text
    assert "Awaiting their reply (2)" in page and "Send this follow-up" in page
    path = tmp_path / "email.html"
    path.write_text(page, encoding="utf-8")
    return path


def _screenshot(page: Path, width: int, out: Path) -> Image.Image:
    screenshot(page.read_text(encoding="utf-8"), width, out)
    return Image.open(out).convert("RGB")


def _bar_widths(image: Image.Image) -> list[tuple[int, int]]:
    """(left, width) of each horizontal run of the bar colour, one per bar row."""
    found: list[tuple[int, int, int]] = []
    pixels = image.load()
    assert pixels is not None
    width, height = image.size
    for y in range(height):
        xs = [x for x in range(width) if pixels[x, y] == BAR]
        if xs and (not found or found[-1][2] != y - 1):
            found.append((min(xs), max(xs) - min(xs) + 1, y))
        elif xs:
            found[-1] = (found[-1][0], found[-1][1], y)
    return [(left, run) for left, run, _ in found]


@pytest.mark.parametrize("width", [360, 640])
def test_the_emailed_chart_is_drawn_in_a_browser(tmp_path: Path, width: int) -> None:
    page = _demo_email_html(tmp_path)
    shown = layout(page.read_text(encoding="utf-8"), width)
    assert shown.scroll_width <= shown.client_width, "the email is wider than the screen"
    image = _screenshot(page, width, tmp_path / "email.png")
    width = image.size[0]  # a phone's width is drawn scaled up to a headless window's
    bars = _bar_widths(image)
    # The demo's last 12 weeks: five with answers (see demo/EXPECTED.md), each one bar.
    assert len(bars) == 5, bars
    widest = max(run for _, run in bars)
    assert all(left + run <= width for left, run in bars), "a bar runs off the page"
    assert widest >= width * 0.2, "the bars scale with the page"
    assert min(run for _, run in bars) < widest, "bars in proportion, not all full"
