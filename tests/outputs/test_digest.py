"""The owner's summary email: headline, figures, mailto links, escaping, structure."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from html.parser import HTMLParser
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest

from inbox_audit.core.figures import PeriodFigures, period_figures
from inbox_audit.core.holding import clean_text, holding_reply
from inbox_audit.errors import ConfigError
from inbox_audit.model import (
    Address,
    AuditReport,
    Folder,
    FolderRole,
    HoldingReply,
    Message,
    MessageResult,
    Reason,
    ReplyRef,
    Status,
    Summary,
    ThreadResult,
    Unreadable,
)
from inbox_audit.outputs.digest import (
    build_email,
    build_failure_email,
    build_plain_summary,
    headline,
    mailto_link,
    sla_text,
)

PARIS = ZoneInfo("Europe/Paris")
AS_OF = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)  # Thursday 10:00 in Paris
DAY = 86400
HOSTILE_SUBJECT = "<script>alert(1)</script>\r\nBcc: victim@example.com"
HOSTILE_NAME = 'Evil "Boss" & Co'
TO = "owner@shop.example"
SENDER = "inbox-audit <audit@shop.example>"

MARIE = Address("marie.dupont@orange.fr", "Marie Dupont")
EVE = Address("eve@evil.example", HOSTILE_NAME)
JOHN = Address("john.smith@example.com", "John Smith")
PAUL = Address("paul@exemple.fr", "Paul Martin")
LUCIE = Address("lucie@example.be", "Lucie Renard")
SAM = Address("sam@example.org")
NEWS = Address("news@shop.example", "Shop News")


# --- Builders -------------------------------------------------------------------------------

_uids = iter(range(1, 10_000))


def make_message(
    from_: Address, subject: str, hours_ago: float, *, as_of: datetime = AS_OF
) -> Message:
    uid = next(_uids)
    arrived = as_of - timedelta(hours=hours_ago)
    return Message(
        folder="INBOX",
        uid=uid,
        message_id=f"m{uid}@example.net",
        in_reply_to=(),
        references=(),
        from_=from_,
        reply_to=(),
        to=(Address("shop@example.com"),),
        cc=(),
        subject=subject,
        date=arrived,
        received_at=None,
        internal_date=arrived,
        flags=frozenset(),
        conversation_id=None,
    )


def make_result(
    from_: Address,
    subject: str,
    hours_ago: float,
    status: Status,
    *,
    thread_id: str | None = None,
    replied_after_hours: float | None = None,
    as_of: datetime = AS_OF,
) -> MessageResult:
    message = make_message(from_, subject, hours_ago, as_of=as_of)
    reply = None
    if replied_after_hours is not None:
        assert message.arrived_at is not None
        reply = ReplyRef(
            f"r{message.uid}@shop.example",
            message.arrived_at + timedelta(hours=replied_after_hours),
            int(replied_after_hours * 3600),
        )
    return MessageResult(
        message=message,
        status=status,
        reason=Reason.MAILING_LIST if status is Status.NOT_CUSTOMER else None,
        thread_id=thread_id or f"t{message.uid}",
        reply=reply,
        answered_by_flag=status is Status.ANSWERED and reply is None,
    )


def make_thread(result: MessageResult, *, as_of: datetime = AS_OF) -> ThreadResult:
    message = result.message
    assert message.from_ is not None and message.arrived_at is not None
    waiting = result.status in (Status.PENDING, Status.OVERDUE)
    latency = result.reply.latency_seconds if result.reply else None
    return ThreadResult(
        thread_id=result.thread_id,
        subject=message.subject,
        correspondent=message.from_,
        folder=message.folder,
        status=result.status,
        waiting_since=message.arrived_at if waiting else None,
        waiting_seconds=int((as_of - message.arrived_at).total_seconds()) if waiting else None,
        answered_late=latency is not None and latency >= DAY,
        max_latency_seconds=latency,
        holding_reply=holding_reply(
            subject=message.subject,
            correspondent=message.from_,
            language_hints=(),
            as_of=as_of,
            tz=PARIS,
            apologize=result.status is Status.OVERDUE,
        )
        if waiting
        else None,
    )


def make_report(
    results: Sequence[MessageResult],
    *,
    sla_seconds: int = DAY,
    as_of: datetime = AS_OF,
    unreadable: Sequence[Unreadable] = (),
) -> AuditReport:
    """A report whose threads are one per message, worst and longest wait first."""
    rank = {Status.OVERDUE: 0, Status.PENDING: 1, Status.ANSWERED: 2}
    by_thread: dict[str, MessageResult] = {}
    for r in results:
        if r.status is not Status.NOT_CUSTOMER:
            by_thread.setdefault(r.thread_id, r)  # the oldest message of each thread
    threads = sorted(
        (make_thread(r, as_of=as_of) for r in by_thread.values()),
        key=lambda t: (rank[t.status], -(t.waiting_seconds or 0)),
    )
    customers = [r for r in results if r.status is not Status.NOT_CUSTOMER]
    return AuditReport(
        source="imaps://shop@example.com@imap.example.com",
        as_of=as_of,
        sla_seconds=sla_seconds,
        identities=("shop@example.com",),
        identities_detected=("shop@example.com",),
        folders=(
            Folder("INBOX", FolderRole.INBOX, True, len(results)),
            Folder("Sent", FolderRole.SENT, True, 4),
            Folder("Trash", FolderRole.TRASH, False),
        ),
        summary=Summary(
            customer_messages=len(customers),
            answered=sum(r.status is Status.ANSWERED for r in customers),
            answered_late=sum(t.answered_late for t in threads),
            answered_unknown_latency=sum(r.answered_by_flag for r in customers),
            pending=sum(r.status is Status.PENDING for r in customers),
            overdue=sum(r.status is Status.OVERDUE for r in customers),
            not_customer=len(results) - len(customers),
            median_response_seconds=None,
            p90_response_seconds=None,
            within_sla_ratio=None,
            unreadable=len(unreadable),
            duplicates=2,
        ),
        messages=tuple(results),
        threads=tuple(threads),
        unreadable=tuple(unreadable),
    )


def full_report() -> AuditReport:
    """Two overdue (one hostile), one pending, answered in time and late, older history."""
    return make_report(
        [
            make_result(MARIE, "Devis cuisine", 75, Status.OVERDUE),  # Mon 2 Nov 07:00 Paris
            make_result(EVE, HOSTILE_SUBJECT, 30, Status.OVERDUE),
            make_result(JOHN, "Question about my order", 5, Status.PENDING),
            make_result(PAUL, "Facture 2026-114", 50, Status.ANSWERED, replied_after_hours=30.25),
            make_result(LUCIE, "Rendez-vous mardi", 8, Status.ANSWERED, replied_after_hours=1.5),
            make_result(NEWS, "Promo -50%", 20, Status.NOT_CUSTOMER),
            make_result(SAM, "Old order", 240, Status.ANSWERED, replied_after_hours=2),
            make_result(SAM, "Older order", 960, Status.ANSWERED, replied_after_hours=5),
            make_result(SAM, "Flagged only", 3, Status.ANSWERED),  # \\Answered, no copy
        ],
        unreadable=[Unreadable("INBOX", 99, "<b>broken</b> header")],
    )


def parts(message: EmailMessage) -> tuple[str, str]:
    """(text, html) of a multipart/alternative message, after a round trip through bytes."""
    parsed = message_from_bytes(message.as_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    assert parsed.get_content_type() == "multipart/alternative"
    text_part = parsed.get_body(("plain",))
    html_part = parsed.get_body(("html",))
    assert text_part is not None and html_part is not None
    assert text_part.get_content_charset() == html_part.get_content_charset() == "utf-8"
    # The parts travel with CRLF line ends (RFC 5322); compare with "\n".
    text, html_text = (str(p.get_content()).replace("\r\n", "\n") for p in (text_part, html_part))
    return text, html_text


class _Links(HTMLParser):
    """Collects hrefs and checks that the elements nest (our markup, mail text escaped)."""

    VOID = frozenset({"br", "meta", "img", "hr", "input", "link"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.tags: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [value or "" for name, value in attrs if name == "href"]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (self.stack[-5:], tag)
        self.stack.pop()


def parse_html(text: str) -> _Links:
    parser = _Links()
    parser.feed(text)
    parser.close()
    assert parser.stack == []
    return parser


# --- Headline -------------------------------------------------------------------------------


def test_headline_overdue_counts_threads_and_names_the_oldest_weekday() -> None:
    assert headline(full_report(), PARIS) == (
        "2 customers have waited more than 24 h — the oldest since Monday (1 more waiting)"
    )


def test_headline_counts_distinct_overdue_threads() -> None:
    report = make_report(
        [
            make_result(MARIE, "Devis", 75, Status.OVERDUE, thread_id="t"),
            make_result(MARIE, "Re: Devis", 50, Status.OVERDUE, thread_id="t"),
        ]
    )
    assert headline(report, PARIS) == "1 customer has waited more than 24 h — since Monday"


def test_headline_pending_only() -> None:
    report = make_report(
        [
            make_result(MARIE, "Devis", 5, Status.PENDING),
            make_result(JOHN, "Order", 2, Status.PENDING),
        ]
    )
    assert headline(report, PARIS) == "2 customers are waiting (none overdue yet)"
    one = make_report([make_result(MARIE, "Devis", 5, Status.PENDING)])
    assert headline(one, PARIS) == "1 customer is waiting (not overdue yet)"


def test_headline_nobody_waiting() -> None:
    report = make_report([make_result(MARIE, "Devis", 5, Status.ANSWERED, replied_after_hours=1)])
    assert headline(report, PARIS) == "No customer is waiting more than 24 h"
    assert headline(make_report([]), PARIS) == "No customer is waiting more than 24 h"


@pytest.mark.parametrize(
    ("hours_ago", "sla", "expected"),
    [
        (5, 4 * 3600, "1 customer has waited more than 4 h — since 05:00 today"),
        (30, 4 * 3600, "1 customer has waited more than 4 h — since yesterday"),
        (100, 2 * DAY, "1 customer has waited more than 2 days — since Sunday"),
        (24 * 9, DAY, "1 customer has waited more than 24 h — since 27 Oct"),
        (24 * 400, DAY, "1 customer has waited more than 24 h — since 1 Oct 2025"),
    ],
)
def test_headline_wording_of_sla_and_oldest(hours_ago: float, sla: int, expected: str) -> None:
    report = make_report([make_result(MARIE, "x", hours_ago, Status.OVERDUE)], sla_seconds=sla)
    assert headline(report, PARIS) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (DAY, "24 h"),
        (4 * 3600, "4 h"),
        (2 * DAY, "2 days"),
        (90 * 60, "1 h 30 min"),
        (1800, "30 min"),
    ],
)
def test_sla_text(seconds: int, expected: str) -> None:
    assert sla_text(seconds) == expected


# --- Figures --------------------------------------------------------------------------------


def _numbers(period: PeriodFigures) -> tuple[object, ...]:
    c, p = period.current, period.previous
    return (
        period.days,
        (c.received, c.answered, c.median_response_seconds, c.within_sla_ratio, c.still_waiting),
        (p.received, p.answered, p.median_response_seconds, p.within_sla_ratio, p.still_waiting),
    )


def test_period_figures_exact() -> None:
    figures = period_figures(full_report(), PARIS)
    assert [_numbers(p) for p in figures] == [
        # 24 h: John pending, Lucie in 1.5 h, the \\Answered one (no latency) | Eve overdue.
        (1, (3, 2, 5400, 1.0, 1), (1, 0, None, 0.0, 1)),
        # 7 days: + Marie overdue, Paul late (30.25 h): 1 in time of 4 decided | Sam in 2 h.
        (7, (6, 3, (5400 + 108900) / 2, 0.25, 3), (1, 1, 7200, 1.0, 0)),
        # 28 days: + Sam (2 h): 2 in time of 5 decided | the 40-day-old one in 5 h.
        (28, (7, 4, 7200, 0.4, 3), (1, 1, 18000, 1.0, 0)),
    ]
    assert [p.label for p in figures] == ["last 24 h", "last 7 days", "last 28 days"]
    assert figures[0].current.end == AS_OF
    assert figures[0].previous.end == figures[0].current.start == AS_OF - timedelta(days=1)


def test_period_figures_count_wall_clock_days_across_dst() -> None:
    # Summer time ended in Paris on Sunday 25 Oct 2026: the week before Thursday 29 Oct
    # 10:00 CET starts on Thursday 22 Oct 10:00 CEST, 169 hours earlier.
    as_of = datetime(2026, 10, 29, 9, 0, tzinfo=UTC)
    inside = make_result(MARIE, "x", 168.5, Status.ANSWERED, replied_after_hours=1, as_of=as_of)
    outside = make_result(JOHN, "y", 169.5, Status.ANSWERED, replied_after_hours=1, as_of=as_of)
    report = make_report([inside, outside], as_of=as_of)
    week = period_figures(report, PARIS)[1]
    assert (week.current.received, week.previous.received) == (1, 1)
    assert week.current.start == datetime(2026, 10, 22, 8, 0, tzinfo=UTC)


def test_message_at_the_boundary_belongs_to_the_later_period() -> None:
    report = make_report([make_result(MARIE, "x", 24, Status.OVERDUE)])
    day = period_figures(report, UTC)[0]
    assert (day.current.received, day.previous.received) == (0, 1)


# --- The email ------------------------------------------------------------------------------


def test_email_is_one_multipart_alternative_with_our_headers_only() -> None:
    report = full_report()
    message = build_email(report, to=TO, sender=SENDER, tz=PARIS)
    parsed = message_from_bytes(message.as_bytes(), policy=default)
    assert parsed["Subject"] == "inbox-audit: " + headline(report, PARIS)
    assert parsed["To"] == TO
    assert parsed["From"] == SENDER
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Message-ID"].endswith("@shop.example>")
    date = parsed["Date"].datetime
    assert date == AS_OF and date.utcoffset() == timedelta(hours=1)
    assert set(parsed.keys()) == {
        "Subject",
        "From",
        "To",
        "Date",
        "Message-ID",
        "Auto-Submitted",
        "X-Auto-Response-Suppress",
        "MIME-Version",
        "Content-Type",
    }
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    # RFC 5322 §2.1.1: no line over 998 characters, whatever the content.
    assert max(len(line) for line in message.as_bytes().split(b"\r\n")) <= 998


def test_hostile_subject_and_names_are_escaped_and_add_no_header() -> None:
    message = build_email(full_report(), to=TO, sender=SENDER, tz=PARIS)
    raw = message.as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"victim" not in head and b"Bcc" not in head
    text, html_text = parts(message)
    assert "<script" not in html_text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Bcc: victim@example.com" in html_text
    assert "Evil &quot;Boss&quot; &amp; Co" in html_text
    assert HOSTILE_NAME not in html_text
    # In the text part the subject stays on one line: nothing looks like a header.
    assert not any(line.startswith("Bcc:") for line in text.splitlines())
    assert "Subject: <script>alert(1)</script> Bcc: victim@example.com" in text


def test_html_is_self_contained_and_well_nested() -> None:
    _, html_text = parts(build_email(full_report(), to=TO, sender=SENDER, tz=PARIS))
    parsed = parse_html(html_text)
    assert not {"script", "style", "img", "link", "iframe", "object", "form"} & set(parsed.tags)
    assert not re.search(r"\bsrc\s*=", html_text, re.IGNORECASE)
    assert not re.search(r"https?://", html_text)
    assert "javascript:" not in html_text.lower()
    assert "<style" not in html_text.lower()
    assert all(href.startswith("mailto:") for href in parsed.hrefs)
    # The bar chart: coloured cells with width attributes; 25 % of 160 pixels for 7 days.
    assert 'width="40" height="12" bgcolor="#2e7d32"' in html_text


def _mailto_fields(link: str) -> tuple[str, str, str]:
    parts_ = urlsplit(link)
    assert parts_.scheme == "mailto"
    fields = parse_qs(parts_.query, keep_blank_values=True, strict_parsing=True)
    assert set(fields) == {"subject", "body"}
    return unquote(parts_.path), fields["subject"][0], fields["body"][0]


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
        to, subject, body = _mailto_fields(href)
        assert (to, subject) == (reply.to, reply.subject)
        assert body == reply.body.replace("\n", "\r\n")


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
    to, parsed_subject, body = _mailto_fields(link)
    assert to == "marie+shop@example.fr"
    assert parsed_subject == clean_text(subject)
    assert body == "Line 1\r\nLine 2 & más\r\n\r\nEnd"
    assert not re.search(r"[^A-Za-z0-9._~%@?=&:-]", link)


def test_mailto_link_leaves_out_an_address_that_could_be_several() -> None:
    link = mailto_link('"a,b"@example.com, victim@example.com', "Re: x", "Hello")
    assert link.startswith("mailto:?subject=")


def test_text_part_lists_the_same_waiting_threads_in_order() -> None:
    report = full_report()
    text, _ = parts(build_email(report, to=TO, sender=SENDER, tz=PARIS))
    overdue = [t for t in report.threads if t.status is Status.OVERDUE]
    assert text.count("OVERDUE, waiting for") == len(overdue) == 2
    positions = []
    for thread in report.threads:
        if thread.status in (Status.OVERDUE, Status.PENDING):
            who = clean_text(str(thread.correspondent))
            assert who in text
            positions.append(text.index(who))
    assert positions == sorted(positions)
    assert "OVERDUE, waiting for 3 d 3 h (since Mon 2 Nov 07:00)" in text
    assert "Marie Dupont <marie.dupont@orange.fr>" in text
    assert "ANSWERED LATE (1)" in text
    assert "Paul Martin <paul@exemple.fr> — Facture 2026-114 — answered after 1 d 6 h" in text
    assert "Last 7 days: 6 received, 3 answered, median response 15 h 52 min" in text
    assert "Folders read: INBOX (9), Sent (4)" in text
    assert "Not read: Trash" in text
    assert "INBOX #99: <b>broken</b> header" in text


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


@pytest.mark.parametrize(
    ("to", "sender"),
    [
        ("owner@shop.example\r\nBcc: victim@example.com", SENDER),
        ("not an address", SENDER),
        (TO, "a@x.example, b@x.example"),
    ],
)
def test_bad_configured_addresses_are_config_errors(to: str, sender: str) -> None:
    with pytest.raises(ConfigError):
        build_email(make_report([]), to=to, sender=sender, tz=PARIS)


def test_several_recipients_are_allowed() -> None:
    message = build_email(make_report([]), to="a@x.example, b@x.example", sender=SENDER, tz=UTC)
    assert message["To"] == "a@x.example, b@x.example"


# --- Failure email and plain summary --------------------------------------------------------


def test_failure_email() -> None:
    now = datetime(2026, 11, 5, 7, 0, tzinfo=PARIS)
    message = build_failure_email(
        error="login refused for shop@imap.example.com\r\nBcc: victim@example.com",
        hint="check INBOX_AUDIT_PASSWORD",
        source="imaps://shop@imap.example.com",
        to=TO,
        sender=SENDER,
        now=now,
    )
    parsed = message_from_bytes(message.as_bytes(), policy=default)
    assert parsed["Subject"] == (
        "inbox-audit: could not audit imaps://shop@imap.example.com: "
        "login refused for shop@imap.example.com Bcc: victim@example.com"
    )
    assert "Bcc" not in parsed
    text, html_text = parts(message)
    assert text.startswith("inbox-audit could not audit imaps://shop@imap.example.com: login")
    assert "- check INBOX_AUDIT_PASSWORD" in text
    assert "When: Thu 5 Nov 07:00 CET" in text
    assert "<li>check INBOX_AUDIT_PASSWORD</li>" in html_text
    parse_html(html_text)


def test_plain_summary() -> None:
    summary = build_plain_summary(full_report(), PARIS)
    lines = summary.splitlines()
    assert lines[0] == headline(full_report(), PARIS)
    assert lines[1].startswith("overdue    3 d 3 h  Marie Dupont <marie.dupont@orange.fr>")
    assert lines[1].endswith("— Devis cuisine [INBOX]")
    assert lines[2].startswith("overdue")
    assert "\r" not in summary and "<script>alert(1)</script> Bcc:" in lines[2]
    assert lines[3].startswith("pending        5 h  John Smith")
    assert lines[4:] == [
        "Last 24 h: 3 received, 2 answered, median response 1 h 30 min, 100% within 24 h, "
        "1 still waiting.",
        "Last 7 days: 6 received, 3 answered, median response 15 h 52 min, 25% within 24 h, "
        "3 still waiting.",
        "Last 28 days: 7 received, 4 answered, median response 2 h, 40% within 24 h, "
        "3 still waiting.",
    ]


def test_long_lists_are_cut() -> None:
    results = [make_result(SAM, f"Order {i}", 30 + i, Status.OVERDUE) for i in range(60)]
    text, html_text = parts(build_email(make_report(results), to=TO, sender=SENDER, tz=PARIS))
    assert text.count("OVERDUE, waiting for") == 50
    assert "… and 10 more" in text and "… and 10 more" in html_text


def test_holding_reply_with_line_breaks_in_its_subject() -> None:
    hostile = HoldingReply(
        to=MARIE.email,
        subject="Re: a\r\nBcc: victim@example.com",
        body="Bonjour,\n\n<b>Merci</b>",
        language="fr",
        promised_by=AS_OF,
    )
    base = make_report([make_result(MARIE, "x", 30, Status.OVERDUE)])
    thread = dataclasses.replace(base.threads[0], holding_reply=hostile)
    report = dataclasses.replace(base, threads=(thread,))
    text, html_text = parts(build_email(report, to=TO, sender=SENDER, tz=PARIS))
    assert "Suggested holding reply — Subject: Re: a Bcc: victim@example.com" in text
    assert "Re: a Bcc: victim@example.com" in html_text
    assert "&lt;b&gt;Merci&lt;/b&gt;" in html_text
    (href,) = parse_html(html_text).hrefs
    assert _mailto_fields(href) == (
        MARIE.email,
        "Re: a Bcc: victim@example.com",
        "Bonjour,\r\n\r\n<b>Merci</b>",
    )
