"""The summary's HTML part: self-contained, well nested, mail text escaped, mailto buttons."""

from __future__ import annotations

import re

from inbox_audit.outputs.digest import build_email
from tests.builders import PARIS
from tests.outputs.digest_reports import (
    SENDER,
    TO,
    full_report,
    mailto_fields,
    make_report,
    parse_html,
    parts,
)


def test_html_is_self_contained_and_well_nested() -> None:
    _, html_text = parts(build_email(full_report(), to=TO, sender=SENDER, tz=PARIS))
    parsed = parse_html(html_text)
    assert not {"script", "style", "img", "link", "iframe", "object", "form"} & set(parsed.tags)
    assert not re.search(r"\bsrc\s*=", html_text, re.IGNORECASE)
    assert not re.search(r"https?://", html_text)
    assert "javascript:" not in html_text.lower()
    assert "<style" not in html_text.lower()
    assert all(href.startswith("mailto:") for href in parsed.hrefs)
    # The bar chart: coloured cells with width attributes, 25 % for 7 days.
    assert 'width="25%" height="12" bgcolor="#2e7d32"' in html_text


def test_mailto_links_parse_back_to_the_holding_replies() -> None:
    report = full_report()
    _, html_text = parts(build_email(report, to=TO, sender=SENDER, tz=PARIS))
    hrefs = parse_html(html_text).hrefs
    replies = [t.holding_reply for t in report.threads if t.holding_reply is not None]
    assert len(hrefs) == len(replies) == 3
    for href, reply in zip(hrefs, replies, strict=True):
        # Only unreserved characters and percent-escapes: a valid URI whatever the subject.
        assert re.fullmatch(r"mailto:[A-Za-z0-9._~%@-]*\?subject=[\w.~%-]*&body=[\w.~%-]*", href)
        assert "%0D%0A" in href and "%20" in href and "+" not in href
        to, subject, body = mailto_fields(href)
        assert (to, subject) == (reply.to, reply.subject)
        assert body == reply.body.replace("\n", "\r\n")


def test_problems_and_unreadable_are_listed_and_escaped() -> None:
    message = build_email(
        full_report(), to=TO, sender=SENDER, tz=PARIS, problems=["folder <Clients> could not open"]
    )
    text, html_text = parts(message)
    assert "Problem: folder <Clients> could not open" in text
    assert "Problem: folder &lt;Clients&gt; could not open" in html_text
    assert "&lt;b&gt;broken&lt;/b&gt; header" in html_text


def test_empty_report_email() -> None:
    message = build_email(make_report([]), to=TO, sender=SENDER, tz=PARIS)
    text, html_text = parts(message)
    assert text.startswith("No customer is waiting more than 24 h\n")
    assert "WAITING" not in text
    assert "no answers yet" in html_text
    parse_html(html_text)
