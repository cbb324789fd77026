"""The summary email in a real browser: it fits a 390-pixel phone and a 1200-pixel desktop.

Headless Chromium lays the HTML out at each width; the page must not be wider than the screen
(no sideways scrolling). INBOX_AUDIT_SCREENSHOTS=<dir> also saves the screenshots in docs/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inbox_audit.model import AuditReport
from inbox_audit.outputs.digest import build_email
from tests.browser import layout, screenshot
from tests.builders import PARIS
from tests.i18n_fixtures import speaking
from tests.outputs.digest_reports import SENDER, TO, crowded_report, full_report, parts

PHONE = 390
DESKTOP = 1200


def _html(language: str, report: AuditReport) -> str:
    with speaking(language):
        return parts(build_email(report, to=TO, sender=SENDER, tz=PARIS))[1]


def test_the_probe_sees_a_page_wider_than_the_phone() -> None:
    # The check below could not fail if the probe did not measure what overflows.
    wide = '<!DOCTYPE html><html><body><table width="656"><tr><td>x</td></tr></table></body></html>'
    seen = layout(wide, PHONE)
    assert seen.inner_width == PHONE
    assert seen.scroll_width > PHONE


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_the_email_fits_the_screen(width: int, language: str) -> None:
    seen = layout(_html(language, crowded_report()), width)
    assert seen.inner_width == width
    assert seen.scroll_width <= width, f"{seen.scroll_width} px wide on a {width} px screen"


def test_the_column_stays_readable_on_a_desktop() -> None:
    # At 1200 px the column keeps its 640 px (centred), rather than a line across the screen.
    html_text = parts(build_email(full_report(), to=TO, sender=SENDER, tz=PARIS))[1]
    assert "max-width:640px" in html_text
    desktop, phone = layout(html_text, DESKTOP), layout(html_text, PHONE)
    # The same content is taller on the phone (wrapped), never wider.
    assert phone.scroll_height > desktop.scroll_height


@pytest.mark.parametrize("language", ["en", "fr"])
def test_screenshots(tmp_path: Path, language: str) -> None:
    target = Path(os.environ.get("INBOX_AUDIT_SCREENSHOTS") or tmp_path)
    html_text = _html(language, full_report())
    for width in (PHONE, DESKTOP):
        path = target / f"email-{width}-{language}.png"
        screenshot(html_text, width, path)
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert int.from_bytes(data[16:20], "big") == max(width, 500)  # the IHDR width
