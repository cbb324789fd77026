"""Message → why it needs no answer (newsletter, auto-reply, bounce…), or None for a customer.

Every rule here can hide a real customer from the owner, so each one needs a strong sign:
a header an automaton sets (RFC 3834, RFC 2369, RFC 3464, RFC 8098) or a subject that only
machines write. Subjects are matched at their start, case- and accent-insensitively, against
known phrases, never against loose single words that a customer could also write.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache

from inbox_audit.model import Address, Message, Reason


def classify(message: Message, me: frozenset[str], in_sent_folder: bool) -> Reason | None:
    """None when `message` is a customer's and needs an answer, else why it does not.

    `me` holds the owner's addresses (lower-cased); `in_sent_folder` says the message was
    found in a Sent folder.
    """
    mine = _lower(me)
    if _from_me(message, mine, in_sent_folder):
        return Reason.FROM_ME
    if in_sent_folder:
        return Reason.IN_SENT_FOLDER
    return _automated(message, mine)


def classify_with_automation(
    message: Message, me: frozenset[str], in_sent_folder: bool
) -> tuple[Reason | None, bool]:
    """classify()'s verdict, and whether the message is my own automated mail: FROM_ME, and
    not a person's message by the rules (what classify() says of it with no identities), as
    an out-of-office reply or a read receipt I sent. Such mail answers nobody.

    One call does both: the audit asks both of each of the owner's messages, and each call
    repeats the per-message set-up.
    """
    mine = _lower(me)
    if _from_me(message, mine, in_sent_folder):
        return Reason.FROM_ME, _automated(message, _NOBODY) is not None
    if in_sent_folder:
        return Reason.IN_SENT_FOLDER, False
    return _automated(message, mine), False


#: What classify_with_automation says of one message.
Verdict = tuple[Reason | None, bool]


def classify_all(
    messages: Sequence[Message], me: frozenset[str], sent_folders: frozenset[str]
) -> list[Verdict]:
    """classify_with_automation of each message, in order: a message is in a Sent folder when
    its folder is one of `sent_folders`."""
    return [classify_with_automation(m, me, m.folder in sent_folders) for m in messages]


def _from_me(message: Message, mine: frozenset[str], in_sent_folder: bool) -> bool:
    sender = message.from_.email.lower() if message.from_ else ""
    return bool(sender) and sender in mine and not _relayed_to_me(message, mine, in_sent_folder)


_NOBODY: frozenset[str] = frozenset()


# Header names no rule reads, or reads only as _looks_plain checks them itself.
_INERT_HEADERS = frozenset(
    {"content-type", "return-path", "x-mailer", "sender", "x-auto-response-suppress"}
)


def _looks_plain(message: Message) -> bool:
    """True only when none of the rules of _rules can fire, whoever `mine` holds: a
    person's address, no header a rule looks for, a subject no rule matches.

    Most messages of a mailbox are people's: this shortcut, a few lookups, spares them the
    ten rules. It must stay a subset of "every rule says no": a rule added to _rules must be
    ruled out here too (tests/test_classify.py checks it on every case).
    """
    sender = message.from_
    if sender is None or "@" not in sender.email:  # _no_sender
        return False
    for name, value in message.auto_headers:
        # Names come lower-cased (Message.auto_headers): no need to lower them again. Any
        # other spelling is not taken for inert, and the rules decide: still sound.
        if name not in _INERT_HEADERS:
            return False
        # Every value, not only the first that the rules read: stricter, so still sound.
        if name == "content-type":
            if value.lower().partition(";")[0].strip() in _TELLING_TYPES:  # _bounce, ...
                return False
        elif name == "x-mailer" and value.strip().lower().startswith(_ESP_MAILERS):
            return False  # _mailing_list
    return _plain_subject(message.subject) and _plain_sender(sender.email, sender.name)


def _automated(message: Message, mine: frozenset[str]) -> Reason | None:
    """Why the message needs no answer by the rules, or None."""
    return None if _looks_plain(message) else _rules(message, mine)


def _rules(message: Message, mine: frozenset[str]) -> Reason | None:
    """The first rule that says the message needs no answer, tried in this order."""
    headers = _Headers(message.auto_headers)
    subject = _normalise_subject(message.subject)
    # The rules called one by one rather than by looping over a table of them: at 100,000
    # messages the loop's steps cost as much as the rules.
    if _spam(message, headers, subject, mine):
        return Reason.SPAM
    if _bounce(message, headers, subject, mine):
        return Reason.BOUNCE
    if _receipt(message, headers, subject, mine):
        return Reason.RECEIPT
    if _auto_reply(message, headers, subject, mine):
        return Reason.AUTO_REPLY
    if _calendar(message, headers, subject, mine):
        return Reason.CALENDAR
    if _auto_submitted_rule(message, headers, subject, mine):
        return Reason.AUTO_SUBMITTED
    if _bulk(message, headers, subject, mine):
        return Reason.BULK
    if _mailing_list(message, headers, subject, mine):
        return Reason.MAILING_LIST
    if _noreply_sender(message, headers, subject, mine):
        return Reason.NOREPLY_SENDER
    if _no_sender(message, headers, subject, mine):
        return Reason.NO_SENDER
    return None


# --------------------------------------------------------------------------------- helpers


@lru_cache(maxsize=16)
def _lower(me: frozenset[str]) -> frozenset[str]:
    return frozenset(address.strip().lower() for address in me)


class _Headers(dict[str, str]):
    """The first value of each of Message.auto_headers, by lower-cased name: `name in headers`
    asks for one. A dict itself, so that the dozens of presence tests per message cost no
    method call."""

    __slots__ = ("_pairs", "mime")

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        for name, value in reversed(pairs):  # so that the first of repeated names is kept
            self[name.lower()] = value
        self._pairs = pairs
        # type/subtype of the top-level Content-Type, lower-cased: three rules ask.
        content_type = self.get("content-type")
        self.mime = content_type.lower().partition(";")[0].strip() if content_type else ""

    def first(self, name: str) -> str:
        return self.get(name, "").strip()

    def all(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key.lower() == name]


# Subjects, names and addresses repeat (threads, newsletters, one sender): the pure text helpers
# marked with lru_cache remember this many recent values.
_CACHE_SIZE = 65536


@lru_cache(maxsize=_CACHE_SIZE)
def _fold(text: str) -> str:
    """Case-folded, without diacritics, whitespace runs as one space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


# Tags that gateways and filters put in front of a subject: "[EXTERNAL]", "[SPAM?]",
# "*** SPAM ***". Reply and forward prefixes are NOT stripped: "RE: Automatic reply: …"
# is a person answering an auto-reply (often the customer answering the owner's own
# out-of-office), not an auto-reply; RFC 3834 §3.1.5 has auto-replies put their marker
# first ("Auto:", "Automatic reply:").
_GATEWAY_TAGS = re.compile(r"^(?:\[[^\]]{0,40}\]\s*|\*{2,}[^*]{0,30}\*{2,}\s*)+")


@lru_cache(maxsize=_CACHE_SIZE)
def _normalise_subject(subject: str) -> str:
    return _GATEWAY_TAGS.sub("", _fold(subject))


class _Phrases:
    """A compiled phrase list whose verdict on each subject is remembered: subjects repeat
    (threads, newsletters), and trying a dozen long lists on every message took seconds at
    100,000 messages."""

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)
        self.search: Callable[[str], bool] = lru_cache(maxsize=_CACHE_SIZE)(self._search)

    def _search(self, subject: str) -> bool:
        return self.pattern.search(subject) is not None


def _phrases(*patterns: str) -> _Phrases:
    """Known phrases at the subject start, ending at a word boundary."""
    return _Phrases(r"^(?:" + "|".join(patterns) + r")(?![^\W_])")


def _whole(*patterns: str) -> _Phrases:
    """Words that only count as the whole subject (trailing punctuation allowed)."""
    return _Phrases(r"^(?:" + "|".join(patterns) + r")[\s.!:,;-]*$")


def _report_type(headers: _Headers) -> str | None:
    """The report-type parameter of the Content-Type (RFC 6522), lower-cased."""
    rest = headers.first("content-type").lower().partition(";")[2]
    params = {key: val.strip().strip('"').strip() for key, val in _PARAMETER.findall(rest)}
    return params.get("report-type")


_PARAMETER = re.compile(r"([\w*-]+)\s*=\s*(\"[^\"]*\"|[^;\s]*)")


def _local_part(address: str) -> str:
    address = address.lower()
    return address.rpartition("@")[0] if "@" in address else address


@lru_cache(maxsize=_CACHE_SIZE)
def _is_bounce_sender(address: str) -> bool:
    # "MAILER-DAEMON", "mailer_daemon", "post_master", "postmaster+bounces"...
    local = _SEPARATORS.sub("", _local_part(address).split("+", 1)[0])
    return local in _BOUNCE_LOCAL_PARTS or local.startswith("microsoftexchange")


_SEPARATORS = re.compile(r"[-_.]")


def _registrable(domain: str) -> str:
    """Approximate registrable domain: "shop.example.co.uk" → "example.co.uk"."""
    labels = domain.lower().rstrip(".").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "ac", "edu", "gouv", "ne", "or"})


# ---------------------------------------------------------------------------- who sent it

# Local parts that only automata use. A pattern matched anywhere must be unambiguous
# ("noreply-orders@", "ne-pas-repondre.shop@"); short words ("news", "alerts", "mailer")
# only count as the whole local part: "news.agency@" or "alerts.team@" may be people, and
# info@, contact@, sales@, support@, hello@ are how small businesses write to each other.
_NOREPLY_ANYWHERE = re.compile(
    r"no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply|ne[-_.]?pas[-_.]?repondre"
    r"|nao[-_.]?responda|no[-_.]?responder|keine[-_.]?antwort|niet[-_.]?beantwoorden"
    r"|non[-_.]?rispondere|mailer[-_.]?daemon"
)
_NOREPLY_EXACT = frozenset(
    {
        "mailer",
        "automailer",
        "notification",
        "notifications",
        "notify",
        "newsletter",
        "newsletters",
        "news",
        "alert",
        "alerts",
        "bounce",
        "bounces",
        "autoconfirm",
        "auto-confirm",
        "digest",
        "automated",
        "ship-confirm",
        "shipment-tracking",
        "order-update",
        "alertes",
        "wordpress",  # WordPress's own sender: updates, form plugins without Reply-To
        "calendar-notification",
    }
)
# VERP return addresses: "bounces+1234-abcd=example.com@", "bounce-mc.us5_123@".
_VERP_BOUNCE = re.compile(r"^bounces?[-+._=]")
# Senders of delivery status notifications (RFC 3464 reports come from the MTA's account).
_BOUNCE_LOCAL_PARTS = frozenset({"mailerdaemon", "maildaemon", "postmaster"})


@lru_cache(maxsize=_CACHE_SIZE)
def _is_automated_address(address: str) -> bool:
    local = _local_part(address).split("+", 1)[0]
    return bool(
        local in _NOREPLY_EXACT
        or _is_bounce_sender(address)
        or _NOREPLY_ANYWHERE.search(local)
        or _VERP_BOUNCE.match(local)
    )


def _is_automated_sender(address: Address) -> bool:
    return _is_automated_address(address.email) or _is_automated_name(address.name)


@lru_cache(maxsize=_CACHE_SIZE)
def _is_automated_name(name: str) -> bool:
    # A display name "Do Not Reply" / "Ne pas répondre" is as clear as the local part.
    return bool(_NOREPLY_ANYWHERE.search(_fold(name).replace(" ", "-")))


def _relayed_person(message: Message, mine: frozenset[str]) -> Address | None:
    """The person behind a relay: contact forms and shop platforms send from their own
    (often no-reply) address and put the customer in Reply-To (RFC 5322 §3.6.2)."""
    sender_domain = message.from_.email.rpartition("@")[2] if message.from_ else ""
    for candidate in message.reply_to:
        domain = candidate.email.rpartition("@")[2]
        if (
            domain
            and candidate.email.lower() not in mine
            and not _is_automated_address(candidate.email)
            and _registrable(domain) != _registrable(sender_domain)
        ):
            return candidate
    return None


def _relayed_to_me(message: Message, mine: frozenset[str], in_sent_folder: bool) -> bool:
    # A web site's contact form often sends From the owner's own address, To the owner,
    # with the customer in Reply-To; so does a Google Group rewriting From for DMARC
    # ("'Jane' via Contact" <contact@shop>). The owner's own mail is addressed to others.
    return (
        not in_sent_folder
        and all(address.email.lower() in mine for address in message.to)
        and any(address.email and address.email.lower() not in mine for address in message.reply_to)
        and _relayed_person(message, mine) is not None
    )


# ----------------------------------------------------------------------------------- rules


def _spam(message: Message, headers: _Headers, subject: str, mine: frozenset[str]) -> bool:
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


_SPAM_HEADERS = frozenset({"x-spam-flag", "x-spam-status", "x-spam", "x-gmail-labels"})

# Subjects no person writes: whole MTA templates (Postfix, Exim, Sendmail, Gmail, Exchange).
_BOUNCE_SUBJECT_STRONG = _phrases(
    r"undelivered mail returned to sender",
    r"undeliverable mail returned to sender",
    r"mail delivery failed: returning message to sender",
    r"returned mail: see transcript for details",
    r"delivery status notification \((?:failure|delay)\)",
    r"mail system error - returned mail",
    r"delivery notification: delivery has failed",
    r"warning: could not send message for past",
)
# Localised NDR subjects a customer might also write ("Delivery failure on my order!",
# "Non remis : colis 123"): they only count next to another sign of a notification.
_BOUNCE_SUBJECT_WEAK = _phrases(
    r"undeliverable",
    r"undelivered",
    r"delivery status notification",
    r"non-delivery (?:report|notification)",
    r"delivery failure",
    r"delivery failed",
    r"delivery has failed",
    r"delivery delayed",
    r"delayed mail",
    r"mail delivery failed",
    r"mail delivery failure",
    r"message delivery failure",
    r"returned mail",
    r"failure notice",
    r"non remis",
    r"message non remis",
    r"non distribuable",
    r"rapport de non-remise",
    r"echec de (?:la )?remise",
    r"unzustellbar",
    r"nicht zustellbar",
    r"benachrichtigung zum (?:zustell|ubermittlungs)status",
    r"non recapitabile",
    r"impossibile recapitare",
    r"no se puede entregar",
    r"no entregado",
    r"notificacion de estado de entrega",
    r"onbestelbaar",
    r"kan niet worden bezorgd",
)


def _null_return_path(headers: _Headers) -> bool:
    # RFC 5321 §4.5.5: notifications are sent with a null reverse-path, which delivery
    # records as "Return-Path: <>".
    path = "".join(headers.first("return-path").split()).lower()
    return path == "<>" or (bool(path) and _is_bounce_sender(path.strip("<>")))


def _bounce(message: Message, headers: _Headers, subject: str, mine: frozenset[str]) -> bool:
    mime = headers.mime
    # RFC 6522 reports are machine-written: RFC 3464 delivery status, RFC 5965 abuse
    # feedback (a complaint about mail we sent), others; MDNs are receipts, below.
    if mime == "multipart/report" and _report_type(headers) != "disposition-notification":
        return True
    if "x-failed-recipients" in headers:  # Exim
        return True
    if message.from_ is not None and _is_bounce_sender(message.from_.email):
        return True
    if _BOUNCE_SUBJECT_STRONG.search(subject):
        return True
    if _BOUNCE_SUBJECT_WEAK.search(subject):
        return (
            _null_return_path(headers)
            or mime == "multipart/report"
            or (message.from_ is not None and _is_automated_sender(message.from_))
            or _auto_submitted(headers)
        )
    return False


_RECEIPT_SUBJECT = _phrases(
    r"read ?:",
    r"not read ?:",
    r"lu ?:",
    r"non lu ?:",
    r"gelesen ?:",
    r"ungelesen ?:",
    r"letto ?:",
    r"leido ?:",
    r"gelezen ?:",
    r"lido ?:",
    r"read receipt",
    r"accuse de reception \(affiche\)",  # Thunderbird's French MDN without multipart/report
    r"return receipt",
    r"read notification",
    r"accuse de lecture",
    r"confirmation de lecture",
    r"lesebestatigung",
    r"ricevuta di lettura",
    r"confirmacion de lectura",
    r"leesbevestiging",
)


def _receipt(message: Message, headers: _Headers, subject: str, mine: frozenset[str]) -> bool:
    mime = headers.mime
    if mime == "multipart/report" and _report_type(headers) == "disposition-notification":
        return True  # RFC 8098 message disposition notification
    return bool(_RECEIPT_SUBJECT.search(subject))


# Non-standard auto-reply markers (Exim autoreply, cPanel, Hotmail, various vacation tools).
_AUTO_REPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-autogenerated", "x-autoreply-from")
_AUTO_REPLY_HEADERS_ALL = frozenset({*_AUTO_REPLY_HEADERS, "x-mail-autoreply"})
_FALSE_VALUES = frozenset({"no", "false", "0", "off"})

_AUTO_REPLY_SUBJECT = _phrases(
    r"out of (?:the )?office",
    r"i am (?:currently )?(?:out of (?:the )?office|away from (?:the )?office)",
    r"i am (?:currently )?on (?:leave|holiday)",
    r"i'?m (?:currently )?out of (?:the )?office",
    r"absente?(?:\(e\))? jusqu'?(?:au|a)\b",
    r"je suis (?:actuellement )?en conges",
    r"en conges jusqu'?(?:au|a)\b",
    r"abwesend bis\b",
    r"ausente ?:",
    r"ich bin (?:nicht im buro|abwesend|im urlaub)",
    r"absence ?[-:–] ?retour",
    # Acknowledgements sent by ticketing tools and autoresponders, not by people.
    r"accuse de reception de votre (?:demande|message|mail|courriel)",
    r"nous avons bien recu votre (?:demande|message|mail|courriel)",
    r"votre (?:demande|message|mail|courriel) a bien ete (?:recue?|prise? en compte|transmise?)",
    r"we (?:have )?received your (?:message|request|e-?mail|enquiry|inquiry)",
    r"automatic reply",
    r"automatic response",
    r"automated reply",
    r"automated response",
    r"auto[- ]?reply",
    r"auto[- ]?response",
    r"auto[- ]?responder",
    r"auto ?:",
    r"ooo\b",
    r"vacation (?:reply|notice|response|message|auto[- ]?reply)",
    r"reponse automatique",
    r"message d'absence",
    r"notification d'absence",
    r"absen(?:ce|t|te|t\(e\)) du bureau",
    r"je suis (?:actuellement )?absente?(?:\(e\))? du bureau",
    r"abwesenheitsnotiz",
    r"abwesenheitsnachricht",
    r"automatische antwort",
    r"automatische abwesenheitsnachricht",
    r"risposta automatica",
    r"fuori sede",
    r"fuori ufficio",
    r"respuesta automatica",
    r"fuera de la oficina",
    r"fuera de oficina",
    r"automatisch antwoord",
    r"afwezigheidsbericht",
    r"afwezig ?:",
    r"autosvar",
    r"automatisk svar",
    r"automatiskt svar",
    r"resposta automatica",
    r"odpowiedz automatyczna",
)
# Words an out-of-office uses as its whole subject, and a customer would not.
# ("Vacances", "Urlaub" are not here: tourists write them to a holiday rental.)
_AUTO_REPLY_WHOLE_SUBJECT = _whole(
    r"conges",
    r"en conges",
    r"conges annuels",
    r"absence",
    r"absente?(?:\(e\))?",
    r"je suis (?:actuellement )?absente?(?:\(e\))?",
    r"afwezig",
    r"abwesend",
    r"abwesenheit",
    r"away",
    r"away from (?:the )?office",
)


def _auto_reply(message: Message, headers: _Headers, subject: str, mine: frozenset[str]) -> bool:
    for name in _AUTO_REPLY_HEADERS_ALL.intersection(headers):
        if headers.first(name).lower() not in _FALSE_VALUES:
            return True
    if _auto_submitted_value(headers) == "auto-replied":  # RFC 3834 §5.2
        return True
    if _precedence(headers) == "auto_reply":  # older autoresponders
        return True
    if _AUTO_REPLY_SUBJECT.search(subject) or _AUTO_REPLY_WHOLE_SUBJECT.search(subject):
        return True
    return _auto_reply_tag(message.subject)


@lru_cache(maxsize=_CACHE_SIZE)
def _auto_reply_tag(subject: str) -> bool:
    # "[Auto-Reply] Re: …", "[Réponse automatique] …": the tag that _normalise_subject strips
    # as a gateway's is itself the auto-reply marker.
    tag = _LEADING_TAG.match(_fold(subject))
    return tag is not None and (
        _AUTO_REPLY_SUBJECT.search(tag.group(1)) or _AUTO_REPLY_WHOLE_SUBJECT.search(tag.group(1))
    )


_LEADING_TAG = re.compile(r"^\[([^\]]{1,40})\]")


# Meeting responses (Outlook, Exchange, Google Calendar), as "Accepted: <meeting title>".
_CALENDAR_SUBJECT = _phrases(
    r"(?:tentatively )?accepted ?:",
    r"declined ?:",
    r"tentative ?:",
    r"accepte ?:",
    r"refuse ?:",
    r"provisoire ?:",
    r"accepte provisoirement ?:",
    r"invitation acceptee ?:",
    r"invitation refusee ?:",
    r"(?:mit vorbehalt |vorlaufig )?angenommen ?:",
    r"abgelehnt ?:",
    r"(?:provvisoriamente )?accettato ?:",
    r"rifiutato ?:",
    r"(?:aceptado|rechazado)(?: provisionalmente)? ?:",
    r"provisional ?:",
    r"(?:voorlopig )?geaccepteerd ?:",
    r"geweigerd ?:",
    r"zugesagt ?:",
    r"abgesagt ?:",
    r"invitacion (?:aceptada|rechazada) ?:",
)
# Invitations from calendar services: "Invitation: Visite @ ven. 13 juin 2025 10:00 - 11:00".
_INVITATION_SUBJECT = _phrases(
    r"(?:updated |new )?invitation ?:",
    r"invitation (?:mise a jour|modifiee) ?:",
    r"nouvel evenement ?:",
    r"(?:aktualisierte )?einladung ?:",
    r"invitacion ?:",
)


def _calendar(message: Message, headers: _Headers, subject: str, mine: frozenset[str]) -> bool:
    mime = headers.mime
    if mime == "text/calendar":  # iTIP (RFC 5546): invitations, replies, cancellations
        return True
    if _INVITATION_SUBJECT.search(subject) and " @ " in subject:
        return True
    return bool(_CALENDAR_SUBJECT.search(subject))


def _auto_submitted_value(headers: _Headers) -> str:
    # RFC 3834 §5: Auto-Submitted: auto-generated / auto-replied / auto-notified (RFC
    # 5436), optionally followed by parameters after ";"; "no" marks a person's message.
    if "auto-submitted" not in headers:
        return ""
    return headers.first("auto-submitted").partition(";")[0].strip().lower()


def _auto_submitted(headers: _Headers) -> bool:
    value = _auto_submitted_value(headers)
    return bool(value) and value != "no"


def _auto_submitted_rule(
    message: Message, headers: _Headers, subject: str, mine: frozenset[str]
) -> bool:
    return _auto_submitted(headers)


def _precedence(headers: _Headers) -> str:
    return headers.first("precedence").lower().split(" ", 1)[0] if "precedence" in headers else ""


def _own_list(headers: _Headers, mine: frozenset[str]) -> bool:
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


def _bulk(message: Message, headers: _Headers, subject: str, mine: frozenset[str]) -> bool:
    # Precedence is not standard (RFC 3834 §2 notes its use) but every list manager sets it.
    return _precedence(headers) in {"bulk", "list", "junk"} and not _own_list(headers, mine)


def _mailing_list(message: Message, headers: _Headers, subject: str, mine: frozenset[str]) -> bool:
    # RFC 2369 List-* and RFC 2919 List-Id: a list or newsletter (RFC 8058 one-click
    # unsubscribe is mandatory for bulk senders to Gmail and Yahoo since 2024).
    if not _LIST_HEADERS.isdisjoint(headers):
        return not _own_list(headers, mine)
    # Feedback-ID is set by bulk email providers (Amazon SES, Mailchimp, SendGrid) for
    # Gmail's feedback loop; transactional mail has it too, so a contact-form relay that
    # names a person in Reply-To is let through.
    esp = "feedback-id" in headers or not _ESP_HEADERS.isdisjoint(headers)
    esp = esp or headers.first("x-mailer").lower().startswith(_ESP_MAILERS)
    return esp and _relayed_person(message, mine) is None


# Campaign headers of newsletter tools. Not the relay ids (X-Mailgun-Sid, X-SG-EID...):
# companies route all their mail, people's included, through Mailgun or SendGrid.
_LIST_HEADERS = frozenset({"list-id", "list-unsubscribe", "list-post"})
_ESP_HEADERS = frozenset({"x-mailjet-campaign", "x-campaign", "x-campaignid"})
_ESP_MAILERS = ("mailchimp", "sendinblue", "brevo", "mailjet", "mailpoet", "sarbacane")


def _noreply_sender(
    message: Message, headers: _Headers, subject: str, mine: frozenset[str]
) -> bool:
    if message.from_ is None or not _is_automated_sender(message.from_):
        return False
    # "mailer@shopify.com" with Reply-To: the customer is a contact form: answer it.
    return _relayed_person(message, mine) is None


def _no_sender(message: Message, headers: _Headers, subject: str, mine: frozenset[str]) -> bool:
    return message.from_ is None or "@" not in message.from_.email


# ------------------------------------------------------------------------- the shortcut

# The Content-Types that _bounce, _receipt and _calendar act on.
_TELLING_TYPES = frozenset({"multipart/report", "text/calendar"})


@lru_cache(maxsize=_CACHE_SIZE)
def _plain_sender(email: str, name: str) -> bool:
    """No sender rule matches: _bounce's and _noreply_sender's (one cache look-up per
    message instead of three)."""
    return not _is_bounce_sender(email) and not _is_automated_sender(Address(email, name))


@lru_cache(maxsize=_CACHE_SIZE)
def _plain_subject(subject: str) -> bool:
    """No subject rule matches: bounce (strong or weak), receipt, auto-reply, calendar."""
    normal = _normalise_subject(subject)
    return not (
        _BOUNCE_SUBJECT_STRONG.search(normal)
        or _BOUNCE_SUBJECT_WEAK.search(normal)
        or _RECEIPT_SUBJECT.search(normal)
        or _AUTO_REPLY_SUBJECT.search(normal)
        or _AUTO_REPLY_WHOLE_SUBJECT.search(normal)
        or _auto_reply_tag(subject)
        or _INVITATION_SUBJECT.search(normal)
        or _CALENDAR_SUBJECT.search(normal)
    )
