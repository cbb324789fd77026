"""The owner's holding-reply templates: unknown placeholders refused, documented ones accepted."""

from __future__ import annotations

import re

import pytest

from inbox_audit.core.templates import PLACEHOLDERS, check_template


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{greting}", "unknown placeholder {greting}"),
        ("{greeting.__class__}", "unknown placeholder {greeting.__class__}"),
        ("{topic!r}", "unknown placeholder {topic}"),
        ("{promise:>20}", "unknown placeholder {promise}"),
        ("Bonjour {", "braces"),
        ("{0}", "unknown placeholder {0}"),
    ],
)
def test_a_template_with_an_unknown_placeholder_is_refused(text: str, needle: str) -> None:
    with pytest.raises(ValueError, match=re.escape(needle)):
        check_template(text)


def test_every_documented_placeholder_is_accepted() -> None:
    check_template("".join(f"{{{name}}}" for name in PLACEHOLDERS) + " {{literal}}")
