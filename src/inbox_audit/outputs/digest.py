"""AuditReport → the owner's summary email and the failure email: one text + HTML message each.

Pure: no I/O, no clock. "Now" is `report.as_of` (or the `now` given for the failure email).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

from inbox_audit.core.awaiting import AWAITING_DAYS, awaiting_reply
from inbox_audit.core.figures import (
    Arrival,
    Listing,
    arrivals,
    listing,
    period_figures,
    weekly_trend,
)
from inbox_audit.core.printable import clean_text
from inbox_audit.errors import ConfigError
from inbox_audit.i18n import _
from inbox_audit.model import AuditReport
from inbox_audit.outputs.digest_html import failure_page, html_body
from inbox_audit.outputs.digest_text import could_not_audit, footer, headline, text_body
from inbox_audit.outputs.text import utf8_safe, zoned_time

if TYPE_CHECKING:
    from email.message import EmailMessage

# The email package is imported by the functions that build messages: the nightly summary
# builds none, and the package takes tens of milliseconds to load.
#
# Headers hold only our own words (the headline) and the owner's configured To/From: no name,
# subject or folder from mail ever reaches a header, so a subject holding CR/LF cannot add one.


def check_addresses(value: str, *, single: bool) -> list[str]:
    """The owner's configured To/From: one line, each entry an address with an '@'."""
    from email.utils import getaddresses

    # The sender's and the recipients' messages apart: a translation needs the whole sentence.
    if any(ch in value for ch in "\r\n\0"):
        if single:
            raise ConfigError(_("invalid sender address: it contains a line break"))
        raise ConfigError(_("invalid recipient address: it contains a line break"))
    pairs = getaddresses([value])
    addresses = [address for _name, address in pairs]
    if not addresses or any("@" not in a for a in addresses) or (single and len(pairs) != 1):
        if single:
            raise ConfigError(
                _("invalid sender address {value!r}").format(value=value),
                hint=_("give one address"),
            )
        raise ConfigError(
            _("invalid recipient address {value!r}").format(value=value),
            hint=_("give addresses separated by commas"),
        )
    return addresses


def _new_message(*, subject: str, to: str, sender: str, date: datetime) -> EmailMessage:
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import format_datetime, make_msgid

    check_addresses(to, single=False)
    (address,) = check_addresses(sender, single=True)
    domain = address.rpartition("@")[2].strip().strip(">")
    if not re.fullmatch(r"[A-Za-z0-9.-]+", domain):
        domain = "inbox-audit.invalid"  # an internationalised domain: keep Message-ID ASCII
    message = EmailMessage(policy=SMTP)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(date)
    # The domain is given so make_msgid does not look up this host's name (I/O).
    message["Message-ID"] = make_msgid(idstring="inbox-audit", domain=domain)
    # RFC 3834: automatic mail. Vacation responders do not answer it, and when the report
    # lands in the audited mailbox the next audit classifies it as automated, not a customer.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"  # the same for Exchange/Outlook
    return message


def _with_parts(message: EmailMessage, text: str, html_text: str) -> EmailMessage:
    message.set_content(utf8_safe(text), subtype="plain", charset="utf-8")
    message.add_alternative(utf8_safe(html_text), subtype="html", charset="utf-8")
    return message


def build_email(
    report: AuditReport,
    *,
    to: str,
    sender: str,
    tz: tzinfo,
    problems: Sequence[str] = (),
    listed: Listing | None = None,
    rows: Sequence[Arrival] | None = None,
    awaiting_days: int = AWAITING_DAYS,
    lang: str | None = None,
) -> EmailMessage:
    """The owner's summary: one multipart/alternative message, text and HTML, UTF-8.

    Subject "inbox-audit: <headline>"; dated `report.as_of` in `tz`. `to` and `sender` come
    from the owner's configuration (ConfigError when they are not addresses); `problems` are
    lines about what could not be audited (a folder that could not be opened...). `listed`
    and `rows`: the report's threads and `arrivals` when it holds none itself (a re-dated
    snapshot). `awaiting_days`: the silence after which a conversation awaits their reply;
    `lang` forces the follow-ups' language.
    """
    listed = listed or listing(report)
    rows = arrivals(report) if rows is None else rows
    figures = period_figures(report, tz, rows)
    trend = weekly_trend(
        rows, report.sla_seconds, report.as_of, tz, sla_business=report.sla_business
    )
    awaiting = awaiting_reply(
        report.awaiting or (), report.as_of, awaiting_days, lang, report.owner, report.calendar
    )
    message = _new_message(
        subject=_("inbox-audit: {headline}").format(headline=headline(report, tz, listed))
        + (_(" (incomplete report)") if report.problems else ""),
        to=to,
        sender=sender,
        date=report.as_of.astimezone(tz),
    )
    return _with_parts(
        message,
        text_body(report, tz, problems, figures, listed, trend, awaiting),
        html_body(report, tz, problems, figures, listed, trend, awaiting),
    )


def _shorten(text: str, limit: int) -> str:
    text = clean_text(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def build_failure_email(
    *,
    error: str,
    hint: str | None,
    source: str,
    to: str,
    sender: str,
    now: datetime,
) -> EmailMessage:
    """'inbox-audit could not audit <source>: <error>', with what to do, text and HTML."""
    if now.tzinfo is None:  # the CLI passes an aware moment; read a naive one as UTC
        now = now.replace(tzinfo=UTC)
    source_text = clean_text(source)
    error_text = clean_text(error) or _("unknown error")
    # The subject holds cleaned, shortened text: no line break can reach the header.
    subject = _("inbox-audit: could not audit {source}: {error}").format(
        source=_shorten(source_text, 60), error=_shorten(error_text, 100)
    )
    steps = [
        hint and clean_text(hint),
        _("Run the same inbox-audit command by hand to see the problem and try a fix."),
        _("Nothing was changed in your mailbox. The next scheduled run will try again."),
    ]
    todo = [step for step in steps if step]
    first = f"{could_not_audit(source_text)}: {error_text}"
    when = zoned_time(now, now.tzinfo or UTC).rstrip()
    text = "\n".join(
        [
            first,
            "",
            _("When: {when}").format(when=when),
            "",
            _("What to do:"),
            *(f"- {s}" for s in todo),
            "",
            "-- ",
            footer(),
        ]
    )
    message = _new_message(subject=subject, to=to, sender=sender, date=now)
    return _with_parts(message, text + "\n", failure_page(source_text, error_text, when, todo))
