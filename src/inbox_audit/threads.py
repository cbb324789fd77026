"""[Message] → [Thread]: group messages into conversations, from headers first, subjects last."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from inbox_audit.model import Message

# Reply and forward prefixes of the clients our users meet, beyond RFC 5256's re/fw/fwd:
# French Outlook writes "RE :" and "TR :", others "Réf. :" or "Rép :", German "AW:"/"WG:"/
# "Antwort:", Nordic "SV:"/"VS:", Dutch "Antw:"/"Doorst:", Spanish "RV:", Portuguese
# "RES:"/"ENC:", Italian "R:"/"I:", Polish "Odp:", Turkish "Ynt:". Counters such as "Re[2]:",
# "Re(2):" or "Re^2:" and the full-width colon of CJK clients also occur.
_REPLY_WORDS = (
    "re|ref|réf|rép|fwd?|tr|aw|wg|antwort|antw|sv|vs|doorst|rv|res|enc|r|i|odp|ynt|vá|atb"
    "|relance|回复|答复|回覆|返信|转发|轉寄"
)
_PREFIX = re.compile(
    rf"^\s*(?:\[[^\[\]]*\]\s*)*(?:{_REPLY_WORDS})\.?"
    r"\s*(?:\[[^\[\]]*\]|\(\d+\)|\^\d+)?\s*[:：]\s*",
    re.IGNORECASE,
)
_LEADING_BLOB = re.compile(r"^\s*\[[^\]]*\]\s*")
_TRAILING_FWD = re.compile(r"\s*\(fwd\)\s*$", re.IGNORECASE)
_FWD_WRAPPER = re.compile(r"^\[fwd:\s*(.*)\]$", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
REMINDER_WINDOW = timedelta(days=4)


def strip_subject(subject: str) -> str:
    """The subject without reply/forward prefixes and list tags (RFC 5256 §2.1), case kept."""
    text = _SPACES.sub(" ", subject).strip()
    while True:
        before = text
        text = _TRAILING_FWD.sub("", text)
        match = _PREFIX.match(text)
        if match:
            text = text[match.end() :]
        blob = _LEADING_BLOB.match(text)
        if blob and text[blob.end() :].strip():
            text = text[blob.end() :]
        wrapped = _FWD_WRAPPER.match(text)
        if wrapped:
            text = wrapped.group(1)
        text = text.strip()
        if text == before:
            return text


def base_subject(subject: str) -> str:
    """The subject threads are matched on: stripped (see strip_subject), NFC, case-folded."""
    return unicodedata.normalize("NFC", strip_subject(subject)).casefold()


@dataclass(frozen=True)
class Thread:
    """One conversation: its messages in time order."""

    thread_id: str
    messages: tuple[Message, ...]


def message_time(message: Message, me: frozenset[str]) -> datetime | None:
    """When a message happened: a reply when it was sent, anything else when it arrived.

    A reply's Date header is the owner's own clock, the moment of sending; the Sent copy's
    INTERNALDATE can be later (APPEND after sending, imports). A Date more than an hour after
    the INTERNALDATE is a wrong clock, so the INTERNALDATE wins then.
    """
    if _is_mine(message, me):
        date, internal = message.date, message.internal_date
        if date is None:
            return message.arrived_at
        if internal is not None and date > internal + timedelta(hours=1):
            return internal
        return date
    return message.arrived_at


def _is_mine(message: Message, me: frozenset[str]) -> bool:
    return message.from_ is not None and message.from_.email in me


def senders(message: Message) -> frozenset[str]:
    """The addresses an answer to this message goes to: From and Reply-To."""
    found = {a.email for a in message.reply_to if a.email}
    if message.from_ is not None and message.from_.email:
        found.add(message.from_.email)
    return frozenset(found)


def recipients(message: Message) -> frozenset[str]:
    """To and Cc addresses."""
    return frozenset(a.email for a in (*message.to, *message.cc) if a.email)


def correspondents(message: Message, me: frozenset[str]) -> frozenset[str]:
    """The other party of a message: its recipients if I sent it, its senders otherwise.

    A site's contact form may send "from" the owner to the owner with the customer in
    Reply-To: then the other party is the Reply-To.
    """
    if _is_mine(message, me):
        return (recipients(message) - me) or (_answer_to(message) - me)
    return _answer_to(message) - me


def _answer_to(message: Message) -> frozenset[str]:
    """Where a reply goes: Reply-To when set, else From. Two contact-form messages share
    From (noreply@site) but not Reply-To (the people who wrote): they are two parties."""
    reply_to = frozenset(a.email for a in message.reply_to if a.email)
    if reply_to:
        return reply_to
    return frozenset({message.from_.email}) if message.from_ and message.from_.email else reply_to


class _UnionFind:
    """Disjoint sets with path halving and union by size: iterative, so a chain of 100,000
    same-subject newsletters cannot overflow the stack."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.size: dict[str, int] = {}

    def find(self, item: str) -> str:
        parent = self.parent
        if item not in parent:
            parent[item] = item
            self.size[item] = 1
            return item
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]


def norm_id(message_id: str) -> str:
    """A Message-ID as compared when threading: trimmed, case-folded."""
    return message_id.strip().lower()


def build_threads(
    messages: Sequence[Message],
    me: frozenset[str],
    subject_window: timedelta,
    automated: frozenset[str] = frozenset(),
) -> list[Thread]:
    """Group messages into threads.

    1. References / In-Reply-To, parents missing from the mailbox included (RFC 5256 §2.2,
       REFERENCES): two messages that cite the same absent message are one conversation.
    2. Provider conversation ids (Gmail X-GM-THRID, Outlook Thread-Index root).
    3. For a message whose threading headers are absent or point at nothing we hold (mobile
       clients and webmails drop them): the latest earlier message with the same base subject
       AND a shared correspondent within `subject_window` (narrower for a customer's fresh
       message: see _subject_link). The correspondent rule is what keeps two customers who
       both wrote "Devis" apart. Automated mail (`automated`: message keys) is never linked by
       subject: a weekly newsletter is not one long conversation.
    """
    uf = _UnionFind()
    known_ids = {norm_id(m.message_id) for m in messages if m.message_id}
    for message in messages:
        node = "m:" + message.key
        uf.find(node)
        if message.message_id:
            uf.union(node, "id:" + norm_id(message.message_id))
        for parent in (*message.references, *message.in_reply_to):
            uf.union(node, "id:" + norm_id(parent))
        if message.conversation_id:
            uf.union(node, "conv:" + message.conversation_id)

    timed = sorted(
        (
            (t, m)
            for m in messages
            if m.key not in automated and (t := message_time(m, me)) is not None
        ),
        key=lambda pair: (pair[0], pair[1].key),
    )
    # The latest message per (base subject, correspondent), one table per direction (mine,
    # theirs): candidates are found by lookup, never by scanning every "Devis" in the mailbox.
    latest: dict[bool, dict[tuple[str, str], tuple[datetime, Message]]] = {True: {}, False: {}}
    for when, message in timed:
        subject = base_subject(message.subject)
        parties = correspondents(message, me)
        if not subject or not parties:
            continue
        mine = _is_mine(message, me)
        parents = {norm_id(p) for p in (*message.references, *message.in_reply_to)}
        if not parents & known_ids:
            # A reply answers the other side's latest message first (mine answers theirs, a
            # customer's "Re:" answers mine); a reminder repeats whatever came last.
            if mine or _PREFIX.match(message.subject) is not None:
                tables = [latest[not mine], latest[mine]]
            else:
                tables = [_merged([latest[True], latest[False]], subject, parties)]
            other = None
            for table in tables:
                candidates = [table[k] for p in parties if (k := (subject, p)) in table]
                other = _subject_link(message, when, candidates, me, subject_window)
                if other is not None:
                    break
            if other is not None:
                uf.union("m:" + message.key, "m:" + other.key)
        for party in parties:
            latest[mine][(subject, party)] = (when, message)

    groups: dict[str, list[Message]] = defaultdict(list)
    for message in messages:
        groups[uf.find("m:" + message.key)].append(message)
    return [_make_thread(group, me) for group in groups.values()]


def _merged(
    tables: Sequence[dict[tuple[str, str], tuple[datetime, Message]]],
    subject: str,
    parties: frozenset[str],
) -> dict[tuple[str, str], tuple[datetime, Message]]:
    """Both directions' latest messages for these parties, as one table."""
    merged: dict[tuple[str, str], tuple[datetime, Message]] = {}
    for table in tables:
        for party in parties:
            found = table.get((subject, party))
            if found is not None and (
                (key := (subject, party)) not in merged or merged[key][0] < found[0]
            ):
                merged[key] = found
    return merged


def _subject_link(
    message: Message,
    when: datetime,
    candidates: Sequence[tuple[datetime, Message]],
    me: frozenset[str],
    window: timedelta,
) -> Message | None:
    """The earlier message that `message` continues: the latest one of the same base subject
    and party, within the window.

    A customer's fresh message (no reply prefix) that repeats a subject is a reminder only
    when it repeats the latest one word for word within a few days ("Devis" again the next
    morning); later, or after a "Re: Re: Devis", it is a new request. Joining wrongly would
    hide a waiting customer behind someone else's answer, so the rule stays narrow.
    """
    if not candidates:
        return None
    other_when, other = max(candidates, key=lambda c: (c[0], c[1].key))
    reminder = not _is_mine(message, me) and _PREFIX.match(message.subject) is None
    limit = min(window, REMINDER_WINDOW) if reminder else window
    if when - other_when > limit:
        return None
    if reminder and _folded(other.subject) != _folded(message.subject):
        return None
    return other


def _folded(subject: str) -> str:
    return _SPACES.sub(" ", subject).strip().casefold()


def _make_thread(group: list[Message], me: frozenset[str]) -> Thread:
    def order(message: Message) -> tuple[bool, datetime, str]:
        when = message_time(message, me)
        return (when is None, when or _EPOCH, message.key)

    ordered = tuple(sorted(group, key=order))
    # Named after its first message so that the id is stable from one run to the next.
    first = ordered[0]
    seed = first.message_id or first.key
    digest = hashlib.sha1(seed.encode("utf-8", "surrogatepass"), usedforsecurity=False)
    return Thread(thread_id="t" + digest.hexdigest()[:12], messages=ordered)
