"""The mailto: links: one valid URI whatever the subject, never a doubtful recipient."""

from __future__ import annotations

import re

import pytest

from inbox_audit.core.printable import clean_text
from inbox_audit.outputs.mailto import mailto_link
from tests.outputs.digest_reports import (
    mailto_fields,
)


@pytest.mark.parametrize(
    "subject",
    [
        "a\r\nBcc: victim@example.com",
        "50% & more?body=evil#frag",
        "Café « devis » + taxes",
        "",
    ],
)
def test_mailto_link_survives_hostile_subjects(subject: str) -> None:
    link = mailto_link("marie+shop@example.fr", subject, "Line 1\nLine 2 & más\r\n\nEnd")
    to, parsed_subject, body = mailto_fields(link)
    assert to == "marie+shop@example.fr"
    assert parsed_subject == clean_text(subject)
    assert body == "Line 1\r\nLine 2 & más\r\n\r\nEnd"
    assert not re.search(r"[^A-Za-z0-9._~%@?=&:-]", link)


def test_mailto_link_leaves_out_an_address_that_could_be_several() -> None:
    link = mailto_link('"a,b"@example.com, victim@example.com', "Re: x", "Hello")
    assert link.startswith("mailto:?subject=")


def test_mailto_link_threads_with_the_customer_message() -> None:
    from tests.outputs.digest_reports import mailto_threading

    link = mailto_link("a@example.fr", "Re: x", "Hi", ("root@host.fr", "last+1@host.fr"))
    # RFC 6068 §6: "mailto:list@example.org?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E"
    assert "In-Reply-To=%3Clast%2B1@host.fr%3E" in link
    assert mailto_threading(link) == ("<last+1@host.fr>", "<root@host.fr> <last+1@host.fr>")
    assert not re.search(r"[^A-Za-z0-9._~%@?=&:-]", link)


def test_mailto_link_leaves_out_an_id_that_would_break_the_header() -> None:
    from tests.outputs.digest_reports import mailto_threading

    link = mailto_link("a@example.fr", "Re: x", "Hi", ("ok@x", "bad>\r\nBcc: v@x"))
    assert mailto_threading(link) == ("<ok@x>", "<ok@x>")
    assert mailto_threading(mailto_link("a@example.fr", "Re: x", "Hi")) == (None, None)
