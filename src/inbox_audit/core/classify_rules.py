"""The rules that say a message needs no answer, each declaring what of a message it reads.

Every rule here can hide a real customer from the owner, so each one needs a strong sign:
a header an automaton sets (RFC 3834, RFC 2369, RFC 3464, RFC 8098) or a subject that only
machines write. Subjects are matched at their start, case- and accent-insensitively, against
known phrases, never against loose single words that a customer could also write.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from inbox_audit.core.fields import LIST_FIELDS
from inbox_audit.core.phrases import (
    AUTO_REPLY_SUBJECT,
    AUTO_REPLY_WHOLE_SUBJECT,
    BOUNCE_SUBJECT_STRONG,
    BOUNCE_SUBJECT_WEAK,
    BOUNCE_SUBJECT_WITHIN,
    BOUNCE_TEXT,
    CACHE_SIZE,
    CALENDAR_SUBJECT,
    INVITATION_SUBJECT,
    RECEIPT_SUBJECT,
    Phrases,
    leading_tag,
    opening,
)
from inbox_audit.core.senders import (
    is_automated_sender,
    is_bounce_sender,
    is_mta_sender,
    relayed_person,
)
from inbox_audit.core.threads import forward_subject
from inbox_audit.model import Address, Message, Reason


class Headers(dict[str, str]):
    """The first value of each of Message.auto_headers, by lower-cased name: `name in headers`
    asks for one. A dict itself, so that the dozens of presence tests per message cost no
    method call."""

    __slots__ = ("_pairs",)

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        for name, value in reversed(pairs):  # so that the first of repeated names is kept
            self[name.lower()] = value
        self._pairs = pairs

    def first(self, name: str) -> str:
        return self.get(name, "").strip()

    def all(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key.lower() == name]


#: A rule's test: the message, its Headers, its subject as normalise_subject gives it and the
#: owner's addresses (lower-cased) → whether the rule fires.
Test = Callable[[Message, Headers, str, frozenset[str]], bool]


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """A rule: the reason it gives, its test, and the signs without which the test never fires.

    The test fires only on a message that shows one of its signs at least: a header named in
    `headers`; a value of a header named in `values` that its predicate holds for; a phrase
    of `subjects` at the start of the normalised subject or of its leading tag; a phrase of
    `texts` at the start of the text (phrases.opening); a sender that `sender` holds for.
    classify's prefilter passes the messages that show no sign of any rule, so a rule may
    declare more than it needs (the prefilter is then stricter), never less:
    tests/core/test_classify.py checks each declaration against its test's code.
    """

    reason: Reason
    test: Test
    #: Names of Message.auto_headers the test reads, any value of which may count.
    headers: frozenset[str] = frozenset()
    #: Names it reads of which only a value the predicate holds for may count.
    values: Mapping[str, Callable[[str], bool]] = field(default_factory=dict)
    #: The phrase lists it matches against the normalised subject or its leading tag.
    subjects: tuple[Phrases, ...] = ()
    #: Which senders (From, None when there is none) may count; None: no sender counts.
    sender: Callable[[Address | None], bool] | None = None
    #: The phrase lists it matches against the opening of Message.text_start.
    texts: tuple[Phrases, ...] = ()


def rule(
    reason: Reason,
    *,
    headers: Iterable[str] = (),
    values: Mapping[str, Callable[[str], bool]] | None = None,
    subjects: Iterable[Phrases] = (),
    sender: Callable[[Address | None], bool] | None = None,
    texts: Iterable[Phrases] = (),
) -> Callable[[Test], Rule]:
    """The decorated test as a Rule that gives `reason` and declares what the arguments say."""

    def declare(test: Test) -> Rule:
        return Rule(
            reason,
            test,
            frozenset(headers),
            dict(values or {}),
            tuple(subjects),
            sender,
            tuple(texts),
        )

    return declare


# ------------------------------------------------------------------------------- signs

_REPORT = "multipart/report"  # RFC 6522: delivery status (RFC 3464), MDNs (RFC 8098)...
_CALENDAR = "text/calendar"  # iTIP (RFC 5546): invitations, replies, cancellations
_SINGLE_TEXT = frozenset({"text/plain", "text/html"})


@lru_cache(maxsize=CACHE_SIZE)
def _mime_type(content_type: str) -> str:
    """type/subtype of a Content-Type value, lower-cased."""
    return content_type.lower().partition(";")[0].strip()


def _mime(headers: Headers) -> str:
    return _mime_type(headers.first("content-type"))


def _is_report(content_type: str) -> bool:
    return _mime_type(content_type) == _REPORT


def _is_calendar(content_type: str) -> bool:
    return _mime_type(content_type) == _CALENDAR


def _report_type(headers: Headers) -> str | None:
    """The report-type parameter of the Content-Type (RFC 6522), lower-cased."""
    rest = headers.first("content-type").lower().partition(";")[2]
    params = {key: val.strip().strip('"').strip() for key, val in _PARAMETER.findall(rest)}
    return params.get("report-type")


_PARAMETER = re.compile(r"([\w*-]+)\s*=\s*(\"[^\"]*\"|[^;\s]*)")


def _null_return_path(return_path: str) -> bool:
    # RFC 5321 §4.5.5: notifications are sent with a null reverse-path, which delivery
    # records as "Return-Path: <>".
    path = "".join(return_path.split()).lower()
    return path == "<>" or (bool(path) and is_bounce_sender(path.strip("<>")))


def _bounce_from(sender: Address | None) -> bool:
    return sender is not None and is_bounce_sender(sender.email)


def _automated_from(sender: Address | None) -> bool:
    return sender is not None and is_automated_sender(sender)


def _no_address(sender: Address | None) -> bool:
    return sender is None or "@" not in sender.email


def _auto_submitted_value(headers: Headers) -> str:
    # RFC 3834 §5: Auto-Submitted: auto-generated / auto-replied / auto-notified (RFC
    # 5436), optionally followed by parameters after ";"; "no" marks a person's message.
    if "auto-submitted" not in headers:
        return ""
    return headers.first("auto-submitted").partition(";")[0].strip().lower()


def _is_auto_submitted(headers: Headers) -> bool:
    value = _auto_submitted_value(headers)
    return bool(value) and value != "no"


def _says_human(headers: Headers) -> bool:
    # RFC 3834 §5.1: "Auto-Submitted: no" says a person wrote the message: a subject that
    # reads like an automaton's ("Accepté : devis 123", "Absence") is then the person's own.
    return _auto_submitted_value(headers) == "no"


def _precedences(headers: Headers) -> frozenset[str]:
    """Every Precedence value, lower-cased: a message relayed by a list and an autoresponder
    can carry several headers ("Precedence: bulk" and "Precedence: auto_reply"), and a
    header several comma-separated values ("Special-Delivery, never-bounce")."""
    if "precedence" not in headers:
        return frozenset()
    return frozenset(
        word
        for value in headers.all("precedence")
        for item in value.lower().split(",")
        if (word := item.strip().split(" ", 1)[0])
    )


def _loop_flag(value: str) -> bool:
    # X-Loop: yes (OTRS, Zammad, procmail recipes) marks mail an automaton sent; forwarders
    # and ticket tools write an address there instead, on a person's message too.
    return value.strip().lower() in _TRUE_VALUES


_TRUE_VALUES = frozenset({"yes", "true", "1", "on", "y"})


def _suppresses_all(value: str) -> bool:
    return value.strip().lower() == "all"


# ----------------------------------------------------------------------------------- rules

_SPAM_HEADERS = frozenset({"x-spam-flag", "x-spam-status", "x-spam", "x-gmail-labels"})


@rule(Reason.SPAM, headers=_SPAM_HEADERS)
def spam(message: Message, headers: Headers, subject: str, mine: frozenset[str]) -> bool:
    # SpamAssassin's X-Spam-Flag: YES and X-Spam-Status: Yes, score=… (a "No, score=…"
    # message is ham); Gmail Takeout's X-Gmail-Labels includes "Spam".
    if _SPAM_HEADERS.isdisjoint(headers):
        return False
    if headers.first("x-spam-flag").lower().startswith("yes"):
        return True
    if headers.first("x-spam-status").lower().startswith("yes"):
        return True
    if headers.first("x-spam").lower().startswith("yes"):  # rspamd's add_header
        return True
    return any(
        label.strip().lower() == "spam"
        for value in headers.all("x-gmail-labels")
        for label in value.split(",")
    )


@rule(
    Reason.BOUNCE,
    headers={"x-failed-recipients", "auto-submitted"},
    values={"content-type": _is_report, "return-path": _null_return_path},
    subjects=(BOUNCE_SUBJECT_STRONG, BOUNCE_SUBJECT_WEAK, BOUNCE_SUBJECT_WITHIN),
    sender=_bounce_from,
    texts=(BOUNCE_TEXT,),
)
def bounce(message: Message, headers: Headers, subject: str, mine: frozenset[str]) -> bool:
    mime = _mime(headers)
    # RFC 6522 reports are machine-written: RFC 3464 delivery status, RFC 5965 abuse
    # feedback (a complaint about mail we sent), others; MDNs are receipts, below.
    if mime == _REPORT and _report_type(headers) != "disposition-notification":
        return True
    if "x-failed-recipients" in headers:  # Exim
        return True
    if _bounce_from(message.from_):
        return True
    if _says_human(headers):
        return False
    if BOUNCE_SUBJECT_STRONG.search(subject):
        return True
    if BOUNCE_SUBJECT_WEAK.search(subject) and _notification(message, headers, mime):
        return True
    # A report in a single text part from a gateway with a person-like address, under the
    # subject it answers: its text opens with the template's words, and a sign goes with
    # them (flufl.bounce's simple_20: "RE: <subject> : non remis (delivery failed)"). A
    # person forwarding a report ("Fwd: Returned mail") may want an answer.
    if BOUNCE_TEXT.search(opening(message.text_start)) and not forward_subject(message.subject):
        return bool(BOUNCE_SUBJECT_WITHIN.search(subject)) or _notification(message, headers, mime)
    return False


def _notification(message: Message, headers: Headers, mime: str) -> bool:
    """Signs that a machine sent the message, none enough alone for a delivery report."""
    return (
        _null_return_path(headers.first("return-path"))
        or mime == _REPORT
        or _automated_from(message.from_)
        or (message.from_ is not None and is_mta_sender(message.from_))
        or _is_auto_submitted(headers)
    )


@rule(
    Reason.RECEIPT,
    headers={"auto-submitted"},
    values={"content-type": _is_report},
    subjects=(RECEIPT_SUBJECT,),
)
def receipt(message: Message, headers: Headers, subject: str, mine: frozenset[str]) -> bool:
    if _mime(headers) == _REPORT and _report_type(headers) == "disposition-notification":
        return True  # RFC 8098 message disposition notification
    return bool(RECEIPT_SUBJECT.search(subject)) and not _says_human(headers)


_AUTO_REPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-autogenerated", "x-autoreply-from")
_AUTO_REPLY_HEADERS_ALL = frozenset({*_AUTO_REPLY_HEADERS, "x-mail-autoreply"})
_FALSE_VALUES = frozenset({"no", "false", "0", "off"})
_RULES_LOOP = "x-ms-exchange-inbox-rules-loop"


@rule(
    Reason.AUTO_REPLY,
    headers={*_AUTO_REPLY_HEADERS_ALL, "auto-submitted", "precedence", _RULES_LOOP},
    values={"x-auto-response-suppress": _suppresses_all},
    subjects=(AUTO_REPLY_SUBJECT, AUTO_REPLY_WHOLE_SUBJECT),
)
def auto_reply(message: Message, headers: Headers, subject: str, mine: frozenset[str]) -> bool:
    for name in _AUTO_REPLY_HEADERS_ALL.intersection(headers):
        if headers.first(name).lower() not in _FALSE_VALUES:
            return True
    if _auto_submitted_value(headers) == "auto-replied":  # RFC 3834 §5.2
        return True
    if "auto_reply" in _precedences(headers):  # older autoresponders
        return True
    # Exchange's out-of-office and inbox-rule replies: the rule marks its loop header and
    # asks for no auto-reply in return. Either alone is a person's (Outlook sets the first
    # on forwards by rule, and some send the second on every message), as Zammad finds.
    if _RULES_LOOP in headers and _suppresses_all(headers.first("x-auto-response-suppress")):
        return True
    if _says_human(headers):
        return False
    if AUTO_REPLY_SUBJECT.search(subject) or AUTO_REPLY_WHOLE_SUBJECT.search(subject):
        return True
    return _auto_reply_tag(message.subject)


@lru_cache(maxsize=CACHE_SIZE)
def _auto_reply_tag(subject: str) -> bool:
    # "[Auto-Reply] Re: …", "[Réponse automatique] …": the tag that normalise_subject strips
    # as a gateway's is itself the auto-reply marker.
    tag = leading_tag(subject)
    return tag is not None and bool(
        AUTO_REPLY_SUBJECT.search(tag) or AUTO_REPLY_WHOLE_SUBJECT.search(tag)
    )


@rule(
    Reason.CALENDAR,
    headers={"auto-submitted"},
    values={"content-type": _is_calendar},
    subjects=(INVITATION_SUBJECT, CALENDAR_SUBJECT),
)
def calendar(message: Message, headers: Headers, subject: str, mine: frozenset[str]) -> bool:
    mime = _mime(headers)
    if mime == _CALENDAR:
        return True
    # An iTIP message (RFC 6047) carries a text/calendar part: a single text part cannot be
    # one, so "Accepté : devis 123" in a plain message is a customer accepting a quote.
    if mime in _SINGLE_TEXT or _says_human(headers):
        return False
    if INVITATION_SUBJECT.search(subject) and " @ " in subject:
        return True
    return bool(CALENDAR_SUBJECT.search(subject))


@rule(Reason.AUTO_SUBMITTED, headers={"auto-submitted"}, values={"x-loop": _loop_flag})
def auto_submitted(message: Message, headers: Headers, subject: str, mine: frozenset[str]) -> bool:
    return _is_auto_submitted(headers) or _loop_flag(headers.first("x-loop"))


def _own_list(headers: Headers, mine: frozenset[str]) -> bool:
    # The owner's own group address (a Google Group or Mailman list behind contact@) adds
    # list headers to every customer message it relays: those still need an answer.
    if not mine:
        return False
    post = headers.first("list-post").lower()
    list_id = headers.first("list-id").lower()
    return any(
        f"mailto:{address}" in post or f"<{address.replace('@', '.')}>" in list_id
        for address in mine
    )


@rule(Reason.BULK, headers={"precedence", "list-post", "list-id"})
def bulk(message: Message, headers: Headers, subject: str, mine: frozenset[str]) -> bool:
    # Precedence is not standard (RFC 3834 §2 notes its use) but every list manager sets it.
    return not _BULK_PRECEDENCE.isdisjoint(_precedences(headers)) and not _own_list(headers, mine)


_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})


_LIST_HEADERS = frozenset(name.lower() for name in LIST_FIELDS)
# Campaign headers of newsletter tools. Not the relay ids (X-Mailgun-Sid, X-SG-EID...):
# companies route all their mail, people's included, through Mailgun or SendGrid.
_ESP_HEADERS = frozenset({"x-mailjet-campaign", "x-campaign", "x-campaignid"})
_ESP_MAILERS = ("mailchimp", "sendinblue", "brevo", "mailjet", "mailpoet", "sarbacane")


def _esp_mailer(x_mailer: str) -> bool:
    return x_mailer.strip().lower().startswith(_ESP_MAILERS)


@rule(
    Reason.MAILING_LIST,
    headers={*_LIST_HEADERS, "feedback-id", *_ESP_HEADERS},
    values={"x-mailer": _esp_mailer},
)
def mailing_list(message: Message, headers: Headers, subject: str, mine: frozenset[str]) -> bool:
    # RFC 2369 List-* and RFC 2919 List-Id: a list or newsletter (RFC 8058 one-click
    # unsubscribe is mandatory for bulk senders to Gmail and Yahoo since 2024).
    if not _LIST_HEADERS.isdisjoint(headers):
        return not _own_list(headers, mine)
    # Feedback-ID is set by bulk email providers (Amazon SES, Mailchimp, SendGrid) for
    # Gmail's feedback loop; transactional mail has it too, so a contact-form relay that
    # names a person in Reply-To is let through.
    esp = "feedback-id" in headers or not _ESP_HEADERS.isdisjoint(headers)
    esp = esp or _esp_mailer(headers.first("x-mailer"))
    return esp and relayed_person(message, mine) is None


@rule(Reason.NOREPLY_SENDER, sender=_automated_from)
def noreply_sender(message: Message, headers: Headers, subject: str, mine: frozenset[str]) -> bool:
    if not _automated_from(message.from_):
        return False
    # "mailer@shopify.com" with Reply-To: the customer is a contact form: answer it.
    return relayed_person(message, mine) is None


@rule(Reason.NO_SENDER, sender=_no_address)
def no_sender(message: Message, headers: Headers, subject: str, mine: frozenset[str]) -> bool:
    return _no_address(message.from_)
