"""Who sent a message: addresses and names only automata use, relays that name a person."""

from __future__ import annotations

import re
from functools import lru_cache

from inbox_audit.core.phrases import CACHE_SIZE, fold
from inbox_audit.model import Address, Message


def _local_part(address: str) -> str:
    address = address.lower()
    return address.rpartition("@")[0] if "@" in address else address


@lru_cache(maxsize=CACHE_SIZE)
def is_bounce_sender(address: str) -> bool:
    """The address of an MTA's account, which sends delivery status notifications."""
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
# Accounts of mail servers and gateways that send non-standard failure notices: Exchange 5.5's
# "System Administrator", "E500_SMTP_Mail_Service", "Symantec_AntiVirus_for_SMTP_Gateways",
# Lotus Domino's "Mail Router" (GNU Mailman's bounce samples, flufl.bounce). A person may
# have such an address (an IT team's), so they only back a delivery-failure subject.
_MTA_ANYWHERE = re.compile(
    r"smtp|antivirus|mailscanner|mailsweeper|virusscan|mailservice|mailsystem|mailrouter"
    r"|mailgateway|systemadministrator|mailadministrator|maildelivery|deliverysubsystem"
)
_NOT_ALNUM = re.compile(r"[^a-z0-9]")


@lru_cache(maxsize=CACHE_SIZE)
def is_mta_sender(address: Address) -> bool:
    """A bounce sender, or an address or display name of a mail server or gateway account
    ("Mail Delivery System", "Symantec_AntiVirus_for_SMTP_Gateways@")."""
    local = _NOT_ALNUM.sub("", _local_part(address.email))
    name = _NOT_ALNUM.sub("", fold(address.name))
    return is_bounce_sender(address.email) or any(
        bool(_MTA_ANYWHERE.search(text)) for text in (local, name) if text
    )


@lru_cache(maxsize=CACHE_SIZE)
def is_automated_address(address: str) -> bool:
    """An address only automata send from: no-reply, newsletters, bounces..."""
    local = _local_part(address).split("+", 1)[0]
    return bool(
        local in _NOREPLY_EXACT
        or is_bounce_sender(address)
        or _NOREPLY_ANYWHERE.search(local)
        or _VERP_BOUNCE.match(local)
    )


def is_automated_sender(address: Address) -> bool:
    """An automaton's address, or a display name that says so ("Do Not Reply")."""
    return is_automated_address(address.email) or is_automated_name(address.name)


@lru_cache(maxsize=CACHE_SIZE)
def is_automated_name(name: str) -> bool:
    """A display name such as "Do Not Reply" / "Ne pas répondre"."""
    # As clear as the local part.
    return bool(_NOREPLY_ANYWHERE.search(fold(name).replace(" ", "-")))


def relayed_person(message: Message, mine: frozenset[str]) -> Address | None:
    """The person behind a relay: contact forms and shop platforms send from their own
    (often no-reply) address and put the customer in Reply-To (RFC 5322 §3.6.2)."""
    sender_domain = message.from_.email.rpartition("@")[2] if message.from_ else ""
    for candidate in message.reply_to:
        domain = candidate.email.rpartition("@")[2]
        if (
            domain
            and candidate.email.lower() not in mine
            and not is_automated_address(candidate.email)
            and _registrable(domain) != _registrable(sender_domain)
        ):
            return candidate
    return None


def relayed_to_me(message: Message, mine: frozenset[str], in_sent_folder: bool) -> bool:
    """Sent From the owner's address by a relay, for a person named in Reply-To."""
    # A web site's contact form often sends From the owner's own address, To the owner,
    # with the customer in Reply-To; so does a Google Group rewriting From for DMARC
    # ("'Jane' via Contact" <contact@shop>). The owner's own mail is addressed to others.
    return (
        not in_sent_folder
        and all(address.email.lower() in mine for address in message.to)
        and any(address.email and address.email.lower() not in mine for address in message.reply_to)
        and relayed_person(message, mine) is not None
    )
