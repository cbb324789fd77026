"""Headless Chromium for the tests: how wide a page lays out at a given window width, and a
screenshot. Through chromium's own command line (--dump-dom, --screenshot), no driver."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# What a test run needs and nothing more: no GPU, no network of its own, no profile left behind.
_FLAGS = (
    "--headless",
    "--no-sandbox",  # the suite runs as root in CI, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
# A headless window is at least 500 pixels wide: narrower screens are an iframe of their width,
# whose document (a srcdoc one shares the page's origin) the outer page measures once loaded.
_MIN_WINDOW = 500
_FRAME = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" width="{width}" height="{height}" style="border:0;display:block;{scale}"
 srcdoc="{page}"></iframe>
<script>addEventListener('load',function(){{var w=document.getElementById('f').contentWindow;
var d=w.document.documentElement;var p=document.createElement('pre');p.id='layout-probe';
p.textContent=JSON.stringify({{scrollWidth:d.scrollWidth,clientWidth:d.clientWidth,
innerWidth:w.innerWidth,scrollHeight:d.scrollHeight}});document.body.appendChild(p);}});
</script></body></html>"""


def _framed(html_text: str, width: int, height: int, zoom: float = 1.0) -> str:
    scale = f"transform:scale({zoom});transform-origin:0 0;" if zoom != 1.0 else ""
    return _FRAME.format(
        width=width, height=height, scale=scale, page=html.escape(html_text, quote=True)
    )


@dataclass(frozen=True)
class Layout:
    scroll_width: int
    client_width: int
    inner_width: int
    scroll_height: int


def need_chromium() -> str:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (scripts/setup.sh installs it)")
    return CHROMIUM


def _run(args: list[str], page: Path, profile: Path) -> str:
    command = [need_chromium(), *_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise AssertionError(f"chromium failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def layout(html_text: str, width: int, height: int = 800) -> Layout:
    """How `html_text` lays out on a screen `width` CSS pixels wide."""
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(_framed(html_text, width, height), encoding="utf-8")
        window = f"--window-size={max(width, _MIN_WINDOW)},{height}"
        dom = _run([window, "--dump-dom"], page, Path(tmp) / "p")
    found = re.search(r'<pre id="layout-probe">([^<]*)</pre>', dom)
    assert found, "the layout probe did not run"
    values = json.loads(html.unescape(found.group(1)))
    return Layout(
        values["scrollWidth"], values["clientWidth"], values["innerWidth"], values["scrollHeight"]
    )


def screenshot(html_text: str, width: int, target: Path) -> None:
    """A PNG of the whole of `html_text` on a screen `width` CSS pixels wide (a narrower one
    than a headless window scaled up to the window's width)."""
    height = layout(html_text, width).scroll_height
    zoom = max(width, _MIN_WINDOW) / width
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(_framed(html_text, width, height, zoom), encoding="utf-8")
        window = f"--window-size={max(width, _MIN_WINDOW)},{round(height * zoom)}"
        _run([window, f"--screenshot={target}"], page, Path(tmp) / "p")
