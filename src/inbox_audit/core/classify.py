"""Message → why it needs no answer (newsletter, auto-reply, bounce…), or None for a customer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

from inbox_audit.core.classify_rules import (
    Headers,
    Rule,
    auto_reply,
    auto_submitted,
    bounce,
    bulk,
    calendar,
    mailing_list,
    no_sender,
    noreply_sender,
    receipt,
    spam,
)
from inbox_audit.core.domains import is_internal
from inbox_audit.core.fields import HEADER_FIELDS
from inbox_audit.core.phrases import CACHE_SIZE, leading_tag, normalise_subject, opening
from inbox_audit.core.senders import relayed_to_me
from inbox_audit.model import Address, Message, Reason


def classify(
    message: Message,
    me: frozenset[str],
    in_sent_folder: bool,
    internal: frozenset[str] = frozenset(),
) -> Reason | None:
    """None when `message` is a customer's and needs an answer, else why it does not.

    `me` holds the owner's addresses (lower-cased); `in_sent_folder` says the message was
    found in a Sent folder; `internal` holds the owner's own domains (domains.internal_domains),
    whose people are colleagues, not customers.
    """
    return classify_with_automation(message, me, in_sent_folder, internal)[0]


def classify_with_automation(
    message: Message,
    me: frozenset[str],
    in_sent_folder: bool,
    internal: frozenset[str] = frozenset(),
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
    reason = _automated(message, mine)
    if reason is None and internal and from_colleague(message, internal):
        return Reason.INTERNAL, False
    return reason, False


#: What classify_with_automation says of one message.
Verdict = tuple[Reason | None, bool]


def classify_all(
    messages: Sequence[Message],
    me: frozenset[str],
    sent_folders: frozenset[str],
    internal: frozenset[str] = frozenset(),
) -> list[Verdict]:
    """classify_with_automation of each message, in order: a message is in a Sent folder when
    its folder is one of `sent_folders`."""
    return [classify_with_automation(m, me, m.folder in sent_folders, internal) for m in messages]


def from_colleague(message: Message, internal: frozenset[str]) -> bool:
    """Sent by someone at one of the owner's domains (`internal`), for themselves: an answer
    goes to that domain only. A contact form or shop platform on the owner's own domain that
    puts the customer in Reply-To sends a customer's message (senders.relayed_person)."""
    sender = message.from_
    if sender is None or not is_internal(sender.email, internal):
        return False
    return all(is_internal(address.email, internal) for address in message.reply_to)


def _from_me(message: Message, mine: frozenset[str], in_sent_folder: bool) -> bool:
    sender = message.from_.email.lower() if message.from_ else ""
    return bool(sender) and sender in mine and not relayed_to_me(message, mine, in_sent_folder)


_NOBODY: frozenset[str] = frozenset()


@lru_cache(maxsize=16)
def _lower(me: frozenset[str]) -> frozenset[str]:
    return frozenset(address.strip().lower() for address in me)


#: The rules in the order they are tried: the first that fires says why.
RULES: tuple[Rule, ...] = (
    spam,
    bounce,
    receipt,
    auto_reply,
    calendar,
    auto_submitted,
    bulk,
    mailing_list,
    noreply_sender,
    no_sender,
)


def _automated(message: Message, mine: frozenset[str]) -> Reason | None:
    """Why the message needs no answer by the rules, or None."""
    return None if _looks_plain(message) else _rules(message, mine)


def _rules(message: Message, mine: frozenset[str]) -> Reason | None:
    """The first rule that says the message needs no answer, in the order of RULES."""
    headers = Headers(message.auto_headers)
    subject = normalise_subject(message.subject)
    for rule in RULES:
        if rule.test(message, headers, subject, mine):
            return rule.reason
    return None


# --------------------------------------------------------------------------- the prefilter

# Most messages of a mailbox are people's: the prefilter, a few lookups, spares them the
# rules. It looks for the signs the rules declare (classify_rules.Rule), derived here from
# RULES, so that a rule added there is ruled out here too.

#: Header names some rule reads whatever their value: any of them sends a message to the rules.
_READ: frozenset[str] = frozenset().union(*(rule.headers for rule in RULES))
#: Header names rules read only for some values: the predicates of those values.
_VALUE_CHECKS: dict[str, tuple[Callable[[str], bool], ...]] = {
    name: tuple(dict.fromkeys(rule.values[name] for rule in RULES if name in rule.values))
    for name in sorted({name for rule in RULES for name in rule.values} - _READ)
}
#: The fetched header names no rule reads.
_INERT_HEADERS = frozenset(name.lower() for name in HEADER_FIELDS) - _READ - _VALUE_CHECKS.keys()
_SUBJECT_PHRASES = tuple(dict.fromkeys(phrases for rule in RULES for phrases in rule.subjects))
_TEXT_PHRASES = tuple(dict.fromkeys(phrases for rule in RULES for phrases in rule.texts))
_SENDER_CHECKS = tuple(dict.fromkeys(rule.sender for rule in RULES if rule.sender is not None))


def _looks_plain(message: Message) -> bool:
    """True only when no rule of RULES can fire, whoever `mine` holds: the message shows
    none of the signs they declare."""
    if not _plain_sender(message.from_):
        return False
    for name, value in message.auto_headers:
        # Names come lower-cased (Message.auto_headers): no need to lower them again. Any
        # other spelling is not taken for inert, and the rules decide: still sound.
        if name not in _INERT_HEADERS:
            checks = _VALUE_CHECKS.get(name)
            # Every value, not only the first that the rules read: stricter, so still sound.
            if checks is None or any(check(value) for check in checks):
                return False
    return _plain_subject(message.subject) and _plain_text(message.text_start)


def _plain_text(text: str) -> bool:
    """No phrase list of a rule matches the opening of the text."""
    if not text:
        return True
    start = opening(text)
    return not any(phrases.search(start) for phrases in _TEXT_PHRASES)


@lru_cache(maxsize=CACHE_SIZE)
def _plain_sender(sender: Address | None) -> bool:
    """No rule counts this sender (one cache look-up per message instead of three calls)."""
    return not any(check(sender) for check in _SENDER_CHECKS)


@lru_cache(maxsize=CACHE_SIZE)
def _plain_subject(subject: str) -> bool:
    """No phrase list of a rule matches the normalised subject, nor its leading tag."""
    texts = [normalise_subject(subject)]
    if (tag := leading_tag(subject)) is not None:
        texts.append(tag)
    return not any(phrases.search(text) for phrases in _SUBJECT_PHRASES for text in texts)
