"""The holding replies as RFC 5322 drafts: who from, who to, threaded under the customer's mail."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from enum import StrEnum

from inbox_audit.core.awaiting import AwaitingReply
from inbox_audit.core.ids import CITABLE_ID
from inbox_audit.core.printable import clean_text
from inbox_audit.model import (
    Address,
    AuditReport,
    Awaited,
    Message,
    MessageResult,
    Status,
    ThreadResult,
)
from inbox_audit.settings import DraftMode

#: The Message-ID of every draft we write holds this, so one search finds them all.
MARK = "inbox-audit"
_WAITING = (Status.PENDING, Status.OVERDUE)


@dataclass(frozen=True)
class Draft:
    """One holding reply ready to be saved as a draft."""

    key: str  # stable for one wait of one thread: the same on every run until it is answered
    message_id: str  # "<key.inbox-audit@domain>", derived from the key
    sender: str  # the identity the customer wrote to
    to: str
    subject: str
    in_reply_to: str | None  # the customer's Message-ID, with angle brackets
    data: bytes  # the whole message, CRLF line ends (RFC 5322), ready for APPEND or a file


@dataclass(frozen=True)
class Drafts:
    """What compose() made: the drafts wanted, every waiting wait's key, and what was skipped."""

    wanted: tuple[Draft, ...]
    waiting: frozenset[str]  # keys of every wait still on, drafted now or not
    skipped: tuple[str, ...]  # one line per thread that could not be drafted, with why


def wait_key(first: Message) -> str:
    """The key of a wait, from the customer message it started with: its Message-ID, else its
    sender and arrival, so a later message of the same wait keeps the key."""
    origin = first.message_id or f"{first.from_.email if first.from_ else ''}\0{first.arrived_at}"
    return hashlib.sha256(f"inbox-audit draft\0{origin}".encode()).hexdigest()[:24]


def follow_up_key(candidate: Awaited) -> str:
    """The key of a silence after the owner's message: that message, else its conversation
    and when it was sent. A new message of the owner's starts another silence."""
    refs = candidate.reply_refs
    origin = (refs[-1] if refs else "") or f"{candidate.thread_id}\0{candidate.last_sent_at}"
    return hashlib.sha256(f"inbox-audit follow-up\0{origin}".encode()).hexdigest()[:24]


def compose(
    report: AuditReport,
    mode: DraftMode,
    now: datetime,
    follow_ups: Sequence[AwaitingReply] = (),
) -> Drafts:
    """A draft for each overdue thread (with ALL, each pending one too) that has a holding
    reply, and one for each conversation awaiting the other side's reply (`follow_ups`,
    core.awaiting.awaiting_reply); `now` dates them. Pure: the same input, the same bytes."""
    waiting_by_thread: dict[str, list[MessageResult]] = {}
    for result in report.messages:
        if result.status in _WAITING:
            waiting_by_thread.setdefault(result.thread_id, []).append(result)
    wanted: list[Draft] = []
    waiting: set[str] = set()
    skipped: list[str] = []
    for thread in report.threads:
        items = waiting_by_thread.get(thread.thread_id)
        if thread.status not in _WAITING or not items or thread.holding_reply is None:
            continue
        # The messages come oldest first: the first waiting one starts the wait, the reply
        # answers the last one (its References carry the thread's ancestry).
        key = wait_key(items[0].message)
        waiting.add(key)
        if mode is DraftMode.OVERDUE and thread.status is not Status.OVERDUE:
            continue
        sender = _sender(items[-1].message, report.identities, report.identities_detected)
        if sender is None:
            who = _who(thread.correspondent, thread.subject)
            skipped.append(f"{who}: no address of yours to send it from")
            continue
        try:
            wanted.append(_draft(key, thread, items[-1].message, sender, report.owner, now))
        except ValueError as exc:  # an address the header registry refuses, even cleaned
            skipped.append(f"{_who(thread.correspondent, thread.subject)}: {exc}")
    for awaiting in follow_ups:
        if awaiting.candidate is None:
            continue
        waiting.add(follow_up_key(awaiting.candidate))
        sender = awaiting.candidate.sent_from or next(
            iter([*report.identities_detected, *report.identities]), ""
        )
        try:
            wanted.append(_follow_up_draft(awaiting, sender, report.owner, now))
        except ValueError as exc:
            skipped.append(f"{_who(awaiting.correspondent, awaiting.subject)}: {exc}")
    return Drafts(tuple(wanted), frozenset(waiting), tuple(skipped))


def _who(correspondent: Address, subject: str) -> str:
    """Whom a skipped draft was for, in its line of `Drafts.skipped`."""
    return f"{clean_text(correspondent.email)} ({clean_text(subject)!r})"


def _sender(message: Message, identities: Sequence[str], detected: Sequence[str]) -> str | None:
    """The identity the customer wrote to (To, then Cc), else the one seen in Sent, else any."""
    mine = set(identities)
    for address in (*message.to, *message.cc):
        if address.email in mine:
            return address.email
    return next(iter([*detected, *identities]), None)


def _recipient(message: Message, mine: Iterable[str]) -> Address | None:
    """Reply-To when set and not one of mine (a contact form puts the customer there), else From."""
    own = set(mine)
    for address in message.reply_to:
        if address.email and address.email not in own:
            return address
    return message.from_


def _ids(message_ids: Iterable[str]) -> list[str]:
    """Message-IDs fit to cite, in angle brackets; a malformed one (spaces, controls,
    brackets: it could break the header) is left out."""
    return [f"<{i}>" for i in message_ids if CITABLE_ID.fullmatch(i)]


# The header registry decodes what looks like an RFC 2047 encoded word in the text it is
# given, and writes a decoded CR LF back out raw: a subject or name holding the characters
# "=?utf-8?q?=0D=0ABcc:...?=" would add a header (seen with Python 3.11's email package).
# A word joiner (U+2060, invisible) after "=" leaves no encoded word to decode, and makes the
# policy encode that word itself.
_NOT_AN_ENCODED_WORD = "=\u2060?"
# An addr-spec we write as is: printable ASCII, no space, no encoded word.
_ADDR_SPEC = re.compile(r"[!-~]+@[!-~]+")


def header_text(text: str) -> str:
    """Text for a header value: one plain line (clean_text), no encoded word to be decoded."""
    return clean_text(text).replace("=?", _NOT_AN_ENCODED_WORD)


def _header_address(address: Address | None, fallback: str) -> HeaderAddress:
    """A header address from our own, its name made one plain line: a decoded name may hold
    CR, LF or other controls (RFC 2047 can encode them), which must never reach the header."""
    email = address.email if address and address.email else fallback
    if not _ADDR_SPEC.fullmatch(email) or "=?" in email:
        raise ValueError(f"an address that cannot be written safely: {email!r}")
    local, _, domain = email.rpartition("@")
    name = header_text(address.name) if address else ""
    return HeaderAddress(display_name=name, username=local, domain=domain)


def _draft(
    key: str,
    thread: ThreadResult,
    customer: Message,
    sender: str,
    owner: str | None,
    now: datetime,
) -> Draft:
    reply = thread.holding_reply
    assert reply is not None
    to = _header_address(_recipient(customer, [sender]), reply.to)
    return _message(key, sender, owner, to, reply.subject, reply.body, reply.references, now)


def _follow_up_draft(
    awaiting: AwaitingReply, sender: str, owner: str | None, now: datetime
) -> Draft:
    candidate = awaiting.candidate
    assert candidate is not None
    to = _header_address(awaiting.correspondent, awaiting.correspondent.email)
    key = follow_up_key(candidate)
    text = awaiting.follow_up
    return _message(key, sender, owner, to, text.subject, text.body, candidate.reply_refs, now)


def _message(
    key: str,
    sender: str,
    owner: str | None,
    to: HeaderAddress,
    subject: str,
    body: str,
    cited: Sequence[str],
    now: datetime,
) -> Draft:
    """The draft itself: `cited` are the References of a reply, the last its In-Reply-To
    (core.ids.reply_references, RFC 5322 §3.6.4)."""
    domain = sender.rpartition("@")[2] or "localhost"
    message_id = f"<{key}.{MARK}@{domain}>"
    message = EmailMessage(policy=SMTP)
    # Header values are set through the policy's header registry, which folds and encodes
    # (RFC 2047) every non-ASCII word and refuses CR or LF in a value (CVE-2019-16935 class of
    # header injection); names and subjects were made one plain line before (header_text).
    message["From"] = _header_address(Address(sender, owner or ""), sender)
    message["To"] = to
    message["Subject"] = header_text(subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    parent = _ids(cited[-1:])
    references = _ids(cited)
    if parent:
        message["In-Reply-To"] = parent[0]
    if references:
        message["References"] = " ".join(references)
    message.set_content(body + "\n", charset="utf-8", cte="quoted-printable")
    return Draft(
        key=key,
        message_id=message_id,
        sender=sender,
        to=str(message["To"]),
        subject=str(message["Subject"]),
        in_reply_to=parent[0] if parent else None,
        data=message.as_bytes(),
    )


# --- What to write, keep and remove -------------------------------------------------------


@dataclass(frozen=True)
class Kept:
    """What is remembered of a draft we saved: where (to tell it from the owner's edited copy,
    which is a new message, RFC 3501 §2.3.1.1) and what (a file's digest)."""

    uid: int | None = None  # None: not known (no UIDPLUS), or found rather than saved by us
    uidvalidity: int | None = None
    digest: str = ""


class Found(StrEnum):
    """A draft of ours seen in the Drafts folder."""

    UNTOUCHED = "untouched"  # the very message we saved, flags as we set them
    TOUCHED = "touched"  # another copy (the owner's edit) or flags changed


@dataclass(frozen=True)
class Plan:
    """What one run does to the Drafts folder."""

    append: tuple[Draft, ...]
    remove: tuple[str, ...]  # keys of untouched drafts whose thread was answered since
    record: dict[str, Kept]  # what to remember, besides what `append` adds
    notes: tuple[str, ...]  # what was left alone, and why


def reconcile(drafts: Drafts, record: Mapping[str, Kept], found: Mapping[str, Found]) -> Plan:
    """The one rule of idempotence: a wait gets its draft once. A draft already there is left
    as it is; one we saved that is gone (deleted, or sent) is never saved again for the same
    wait; a draft whose wait is over (answered) is removed only if untouched."""
    append: list[Draft] = []
    kept: dict[str, Kept] = {}
    notes: list[str] = []
    for draft in drafts.wanted:
        if draft.key in found:
            kept[draft.key] = record.get(draft.key, Kept())
        elif draft.key in record:
            kept[draft.key] = record[draft.key]  # deleted or sent by the owner: not again
        else:
            append.append(draft)
    remove: list[str] = []
    for key, entry in record.items():
        if key in drafts.waiting:
            kept.setdefault(key, entry)
        elif found.get(key) is Found.UNTOUCHED:
            remove.append(key)
        elif found.get(key) is Found.TOUCHED:
            notes.append(f"a draft you edited (key {key}) was left for an answered thread")
    return Plan(tuple(append), tuple(remove), kept, tuple(notes))


def describe(drafts: Sequence[Draft]) -> str:
    """The drafts as text for --dry-run: each message as it would be saved."""
    parts = [
        f"--- draft {index} of {len(drafts)} ---\n"
        + draft.data.decode("ascii").replace("\r\n", "\n")
        for index, draft in enumerate(drafts, 1)
    ]
    return "\n".join(parts)
