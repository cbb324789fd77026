"""The one-click 'send the holding reply' link: a mailto: URI (RFC 6068) that stays one URI."""

from __future__ import annotations

import re
from collections.abc import Sequence

from inbox_audit.core.ids import CITABLE_ID
from inbox_audit.core.printable import clean_text
from inbox_audit.model import HoldingReply
from inbox_audit.outputs.text import utf8_safe

# An address a mail client will take as one recipient. Anything else (a comma, a quoted local
# part, spaces) is left out of the link: the owner fills in To rather than risk a wrong one.
_NOT_IN_ADDRESS = r"\s\x00-\x1f\x7f@,;:<>()\[\]\"\\"
_PLAIN_ADDRESS = re.compile(rf"[^{_NOT_IN_ADDRESS}]+@[^{_NOT_IN_ADDRESS}]+")


def mailto_link(to: str, subject: str, body: str, references: Sequence[str] = ()) -> str:
    """A `mailto:` URI pre-filled with To, Subject and body (RFC 6068), and with In-Reply-To
    and References when `references` (message ids without angle brackets, the parent last)
    are given, so that the reply threads with the message it answers.

    Everything but unreserved characters is percent-encoded as UTF-8 (RFC 6068 §2): spaces
    become %20 (never "+", which mail clients keep as a plus), line breaks %0D%0A (§5), and
    "&", "?", "#" or "%" in a subject cannot start another field. Message ids keep their "@"
    (RFC 6068 §6's own In-Reply-To example); their angle brackets become %3C and %3E.
    """
    from urllib.parse import quote

    address = to if _PLAIN_ADDRESS.fullmatch(to) else ""
    lines = utf8_safe(body).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    fields = [
        ("subject", quote(utf8_safe(clean_text(subject)), safe="")),
        ("body", quote("\r\n".join(lines), safe="")),
    ]
    ids = [f"<{i}>" for i in references if CITABLE_ID.fullmatch(i)]
    if ids:
        fields += [
            ("In-Reply-To", quote(ids[-1], safe="@")),
            ("References", quote(" ".join(ids), safe="@")),
        ]
    query = "&".join(f"{name}={value}" for name, value in fields)
    return f"mailto:{quote(address, safe='@')}?{query}"


def reply_link(reply: HoldingReply) -> str:
    """mailto_link for a holding reply, threaded with the customer's message."""
    return mailto_link(reply.to, reply.subject, reply.body, reply.references)
