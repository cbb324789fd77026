"""Sample reports for the summary-email tests, and helpers that read an email back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from html.parser import HTMLParser
from urllib.parse import parse_qs, unquote, urlsplit

from inbox_audit.core.holding import holding_reply
from inbox_audit.model import (
    Address,
    AuditReport,
    Folder,
    FolderRole,
    Message,
    MessageResult,
    Reason,
    ReplyRef,
    Status,
    Summary,
    ThreadResult,
    Unreadable,
)
from tests.builders import PARIS

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


def mailto_fields(link: str) -> tuple[str, str, str]:
    parts_ = urlsplit(link)
    assert parts_.scheme == "mailto"
    fields = parse_qs(parts_.query, keep_blank_values=True, strict_parsing=True)
    assert {"subject", "body"} <= set(fields) <= {"subject", "body", "In-Reply-To", "References"}
    return unquote(parts_.path), fields["subject"][0], fields["body"][0]


def mailto_threading(link: str) -> tuple[str | None, str | None]:
    """The In-Reply-To and References a mailto: link carries (None when absent)."""
    fields = parse_qs(urlsplit(link).query, keep_blank_values=True, strict_parsing=True)
    return (
        fields.get("In-Reply-To", [None])[0],
        fields.get("References", [None])[0],
    )


def crowded_report() -> AuditReport:
    """What a phone must show without scrolling sideways: long French subjects and names,
    addresses with no place to break, more waiting threads than the email lists."""
    long_address = Address(
        "service.client.reclamations.commandes-internationales@tres-long-nom-de-domaine.example.fr",
        "Établissements Dupont-Lefèvre & Fils — Service des réclamations",
    )
    results = [
        make_result(
            long_address,
            "Demande de devis pour la rénovation complète de la cuisine et de la salle de bains "
            "(référence CMD-2026-000123456789-URGENT-À-TRAITER-AVANT-LA-FIN-DU-MOIS)",
            80,
            Status.OVERDUE,
        ),
        make_result(
            Address("x" * 70 + "@example.com"),
            "Réclamation_concernant_la_livraison_du_colis_numéro_FR0123456789012345678",
            30,
            Status.OVERDUE,
        ),
    ]
    results += [
        make_result(
            Address(f"client{n}@boutique-en-ligne.example.fr", f"Cliente Numéro {n}"),
            f"Question sur ma commande n° {1000 + n} : délai de livraison et échange de taille",
            2 + n * 0.5,
            Status.PENDING,
        )
        for n in range(60)
    ]
    results += [
        make_result(
            PAUL,
            "Facture 2026-114 — relance pour le paiement",
            50,
            Status.ANSWERED,
            replied_after_hours=30.25,
        ),
        make_result(LUCIE, "Rendez-vous mardi", 8, Status.ANSWERED, replied_after_hours=1.5),
    ]
    return make_report(results)
