"""Text from mail made printable: controls, bidi overrides and escapes out, long text shortened."""

from __future__ import annotations

import pytest

from inbox_audit.core.printable import clean_text, printable, shorten


def test_clean_text_removes_controls_and_bidi_overrides() -> None:
    # The escape sequence goes whole (ECMA-48 CSI), not just its ESC.
    assert clean_text("a\x1b[31mb\u202ec\nd") == "abc d"
    assert clean_text("x\x1b]0;title\x07y\x9b2Jz\x1bcw") == "xyzw"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("short", "short"),
        ("x" * 60, "x" * 60),
        ("x" * 61, "x" * 59 + "…"),
        (
            "Demande de devis pour la rénovation complète de la cuisine et de la salle de bain",
            "Demande de devis pour la rénovation complète de la cuisine…",
        ),
    ],
)
def test_shorten(text: str, expected: str) -> None:
    assert shorten(text) == expected
    assert len(shorten(text)) <= 60


@pytest.mark.parametrize(
    "text",
    ["Marie Dupont", "  a  b ", "tab\there", "é\u00a0è", "a\x1b[31mb", "x\u202ey", "\u2066z", ""],
)
def test_clean_text_shortcut_for_printable_text(text: str) -> None:
    # clean_text skips its character scan for printable text: the result must not change.
    # A trailing NUL (a control: a space, dropped at the end) forces the scan.
    assert clean_text(text) == clean_text(text + "\x00")
    assert printable(text) == printable(text + "\x00")[:-1]
