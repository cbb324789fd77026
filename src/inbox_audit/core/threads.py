"""[Message] → [Thread]: group messages into conversations, from headers first, subjects last."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from operator import itemgetter

from inbox_audit.core.phrases import FORWARD_TEXT, FORWARDED_HEADERS, opening
from inbox_audit.model import Message

# Reply and forward prefixes of the clients our users meet, beyond RFC 5256's re/fw/fwd:
# French Outlook writes "RE :" and "TR :", others "Réf. :" or "Rép :", German "AW:"/"WG:"/
# "Antwort:", Nordic "SV:"/"VS:", Dutch "Antw:"/"Doorst:", Spanish "RV:", Portuguese
# "RES:"/"ENC:", Italian "R:"/"I:", Polish "Odp:", Turkish "Ynt:". Counters such as "Re[2]:",
# "Re(2):" or "Re^2:" and the full-width colon of CJK clients also occur.
# Of those, the ones that mark a forward: English "Fwd:"/"Fw:", French "TR :", German "WG:",
# Dutch "Doorst:", Spanish "RV:", Portuguese "ENC:", Italian "I:", Chinese 转发/轉寄. ("VS:" is
# a Danish forward but a Finnish reply, and is read as the reply it mostly is.)
_FORWARD_WORDS = "fwd?|tr|wg|doorst|rv|enc|i|转发|轉寄"
_REPLY_WORDS = (
    "re|ref|réf|rép|aw|antwort|antw|sv|vs|res|r|odp|ynt|vá|atb|relance|回复|答复|回覆|返信|"
    + _FORWARD_WORDS
)
_TAGS = r"^\s*(?:\[[^\[\]]*\]\s*)*"
_AFTER_WORD = r"\.?\s*(?:\[[^\[\]]*\]|\(\d+\)|\^\d+)?\s*[:：]\s*"
_PREFIX = re.compile(rf"{_TAGS}(?:{_REPLY_WORDS}){_AFTER_WORD}", re.IGNORECASE)
_FORWARD_PREFIX = re.compile(rf"{_TAGS}(?:{_FORWARD_WORDS}){_AFTER_WORD}", re.IGNORECASE)
_LEADING_BLOB = re.compile(r"^\s*\[[^\]]*\]\s*")
_TRAILING_FWD = re.compile(r"\s*\(fwd\)\s*$", re.IGNORECASE)
_FWD_WRAPPER = re.compile(r"^\[fwd:\s*(.*)\]$", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_NONE: frozenset[str] = frozenset()
REMINDER_WINDOW = timedelta(days=4)
_CLOCK_SLACK = timedelta(hours=1)  # how far a reply's Date may run ahead of the server's clock
# Subjects repeat (every message of a thread, every newsletter): the pure text helpers below
# remember this many recent ones, so each distinct subject is worked out once per audit.
_SUBJECT_CACHE = 1 << 16


@lru_cache(maxsize=_SUBJECT_CACHE)
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


def is_forward(subject: str, text_start: str = "") -> bool:
    """Whether the message passes another one on, by its subject (forward_subject) or by the
    opening of its text (Message.text_start): a forwarded-message marker line, whatever the
    subject, or a forwarded header block under a subject that marks no reply."""
    if forward_subject(subject):
        return True
    if not text_start:
        return False
    start = opening(text_start)
    if FORWARD_TEXT.search(start):
        return True
    return bool(FORWARDED_HEADERS.search(start)) and not _has_reply_prefix(subject)


@lru_cache(maxsize=_SUBJECT_CACHE)
def forward_subject(subject: str) -> bool:
    """Whether the subject's outermost prefix marks a forward: "Fwd: Re: Devis" forwards a
    reply, "Re: Fwd: Devis" answers a forward. "Devis (fwd)" and "[Fwd: Devis]" too."""
    text = _SPACES.sub(" ", subject).strip()
    if _FORWARD_PREFIX.match(text):
        return True
    if _has_reply_prefix(text):  # a reply, maybe to a forward: "Re: Devis (fwd)"
        return False
    return bool(_TRAILING_FWD.search(text) or _FWD_WRAPPER.match(text))


@lru_cache(maxsize=_SUBJECT_CACHE)
def base_subject(subject: str) -> str:
    """The subject threads are matched on: stripped (see strip_subject), NFC, case-folded."""
    return unicodedata.normalize("NFC", strip_subject(subject)).casefold()


@dataclass(frozen=True, slots=True)
class Thread:
    """One conversation: its messages in time order.

    `keys` and `times` hold Message.key and message_time() of each message, in the same order
    (times for the identities the thread was built with): build_threads works them out anyway
    and pairing needs them again. Left empty, pairing works them out itself. `ranks` holds
    each message's place among all the messages build_threads was given, in thread order
    (oldest first, undated last, keys breaking ties): the audit lists its results in that
    order without sorting them again.
    """

    thread_id: str
    messages: tuple[Message, ...]
    keys: tuple[str, ...] = field(default=(), compare=False, repr=False)
    times: tuple[datetime | None, ...] = field(default=(), compare=False, repr=False)
    ranks: tuple[int, ...] = field(default=(), compare=False, repr=False)


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
        if internal is not None and date > internal + _CLOCK_SLACK:
            return internal
        return date
    return message.arrived_at


def _is_mine(message: Message, me: frozenset[str]) -> bool:
    sender = message.from_
    return sender is not None and sender.email in me


def senders(message: Message) -> Collection[str]:
    """The addresses an answer to this message goes to: From and Reply-To (without Reply-To,
    as most messages are, the From address alone, with no set built: pairing asks this of
    every customer message)."""
    sender = message.from_
    if not message.reply_to:
        return (sender.email,) if sender is not None and sender.email else ()
    found = {a.email for a in message.reply_to if a.email}
    if message.from_ is not None and message.from_.email:
        found.add(message.from_.email)
    return frozenset(found)


def recipients(message: Message) -> frozenset[str]:
    """To and Cc addresses."""
    return frozenset([a.email for a in message.to + message.cc if a.email])


def correspondents(message: Message, me: frozenset[str]) -> frozenset[str]:
    """The other party of a message: its recipients if I sent it, its senders otherwise.

    A site's contact form may send "from" the owner to the owner with the customer in
    Reply-To: then the other party is the Reply-To.
    """
    return frozenset(_parties(message, _is_mine(message, me), me))


def _parties(message: Message, mine: bool, me: frozenset[str]) -> Collection[str]:
    """correspondents(), told whether I sent the message (build_threads knows already).
    Without sets for the usual messages (build_threads asks this of every one): mine to one
    person, and a customer's without Reply-To."""
    if mine:
        to = message.to
        if len(to) == 1 and not message.cc and (email := to[0].email) and email not in me:
            return (email,)
        return (recipients(message) - me) or (_answer_to(message) - me)
    if not message.reply_to:  # _answer_to is the From, which is not mine
        sender = message.from_
        return (sender.email,) if sender is not None and sender.email else ()
    return _answer_to(message) - me


def _answer_to(message: Message) -> frozenset[str]:
    """Where a reply goes: Reply-To when set, else From. Two contact-form messages share
    From (noreply@site) but not Reply-To (the people who wrote): they are two parties."""
    if message.reply_to:
        reply_to = frozenset(a.email for a in message.reply_to if a.email)
        if reply_to:
            return reply_to
    return frozenset({message.from_.email}) if message.from_ and message.from_.email else _NONE


class _UnionFind:
    """Disjoint sets of 0..size-1 with path halving and union by size: iterative, so a chain of
    100,000 same-subject newsletters cannot overflow the stack."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))
        self.size = [1] * size

    def find(self, item: int) -> int:
        parent = self.parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        size = self.size
        if size[ra] < size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        size[ra] += size[rb]


@lru_cache(maxsize=_SUBJECT_CACHE)
def munged_subject(subject: str) -> str | None:
    """A base subject as Cyrus' default `munge8bit` would leave it, when it may have met that:
    each non-ASCII character as one "x" per UTF-8 byte. None for a plain ASCII subject with
    no "xx" in it, which munging neither makes nor changes.

    Cyrus stores each raw 8-bit header byte as "X" (imapd.conf(5) munge8bit), so a customer's
    raw UTF-8 "Problème" reads "ProblXXme" while the owner's reply, whose client encoded its
    subject (RFC 2047), still says "Problème". Threading takes this spelling only as a second
    look, between a subject with X's and one with accents (see _munged_key): two accented
    subjects, or two ASCII ones, meet by their exact text alone.
    """
    if subject.isascii():
        return subject if "xx" in subject else None
    return _NON_ASCII.sub(_as_munged, subject)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _as_munged(match: re.Match[str]) -> str:
    return "x" * len(match.group().encode("utf-8", "surrogatepass"))


def _munged_key(spelled: str, ascii_side: bool) -> str:
    """The munged-spelling table's key: the spelling and which side of munging it came from."""
    return f"{spelled}\0{'a' if ascii_side else 'u'}"


def norm_id(message_id: str) -> str:
    """A Message-ID as compared when threading: trimmed, case-folded."""
    return message_id.strip().lower()


def cited_ids(message: Message) -> frozenset[str]:
    """The normalised Message-IDs a message cites: References and In-Reply-To."""
    cited = message.references + message.in_reply_to
    if not cited:
        return _NONE
    return frozenset(map(norm_id, cited))


@lru_cache(maxsize=_SUBJECT_CACHE)
def _has_reply_prefix(subject: str) -> bool:
    return _PREFIX.match(subject) is not None


# One candidate of subject threading: (message_time, key, index in build_threads' messages).
# Compared as a tuple, the latest wins and keys (unique) break ties.
_Candidate = tuple[datetime, str, int]


def build_threads(
    messages: Sequence[Message],
    me: frozenset[str],
    subject_window: timedelta,
    automated: frozenset[str] = frozenset(),
    keys: Sequence[str] | None = None,
    times: Sequence[datetime | None] | None = None,
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

    `keys` and `times`: each message's Message.key and message_time(), when the caller has
    them already (the audit works them out before threading).
    """
    # Messages are worked on by index, each key and time computed once: at 100,000 messages
    # recomputing them (Message.key is a property) was a good part of the audit's time.
    if keys is None:
        keys = [m.key for m in messages]
    if times is None:
        times = [message_time(m, me) for m in messages]
    uf = _UnionFind(len(messages))
    union = uf.union
    own_ids = [norm_id(m.message_id) if m.message_id else None for m in messages]
    known_ids = {own for own in own_ids if own is not None}
    # Each Message-ID (own or cited) and conversation id joins the first message that named it.
    by_id: dict[str, int] = {}
    # Whether each message cites one we hold, which is all subject threading asks of its
    # citations: the id tables go before it builds its own (at 100,000 messages each holds
    # tens of MB, and the audit's peak was theirs together).
    cites_held: list[bool] = []
    for index, own in enumerate(own_ids):
        if own is not None:
            first = by_id.setdefault(own, index)
            if first != index:
                union(index, first)
        cited = cited_ids(messages[index])
        for name in cited:
            first = by_id.setdefault(name, index)
            if first != index:
                union(index, first)
        cites_held.append(not cited.isdisjoint(known_ids))
    del own_ids, known_ids, by_id
    by_conversation: dict[str, int] = {}
    for index, message in enumerate(messages):
        if message.conversation_id:
            first = by_conversation.setdefault(message.conversation_id, index)
            if first != index:
                union(index, first)
    del by_conversation

    # Every message in thread order, sorted once: oldest first, undated last, keys (unique)
    # breaking ties. Subject threading walks the dated ones in this order, and grouping in it
    # hands each thread its messages already sorted.
    dated = sorted((when, keys[i], i) for i, when in enumerate(times) if when is not None)
    undated = sorted((keys[i], i) for i, when in enumerate(times) if when is None)
    # The latest message per (base subject, correspondent), one table per direction (mine,
    # theirs): candidates are found by lookup, never by scanning every "Devis" in the mailbox.
    latest: dict[bool, dict[tuple[str, str], _Candidate]] = {True: {}, False: {}}
    # The same by munged spelling (see munged_subject), for the second look.
    munged: dict[bool, dict[tuple[str, str], _Candidate]] = {True: {}, False: {}}
    for candidate in dated:
        when, key, index = candidate
        if key in automated:
            continue
        message = messages[index]
        subject = base_subject(message.subject)
        if not subject:
            continue
        mine = _is_mine(message, me)
        parties = _parties(message, mine, me)
        if not parties:
            continue
        spelled = munged_subject(subject)
        if not cites_held[index]:
            # A reply answers the other side's latest message first (mine answers theirs, a
            # customer's "Re:" answers mine); a reminder repeats whatever came last.
            reply = mine or _has_reply_prefix(message.subject)
            looks = [(subject, latest)]
            if spelled is not None:
                # Only a subject of the other kind: a munged one meets an accented one.
                looks.append((_munged_key(spelled, not subject.isascii()), munged))
            other = None
            for wanted, by_direction in looks:
                if reply:
                    tables = [by_direction[not mine], by_direction[mine]]
                else:
                    tables = [_merged([by_direction[True], by_direction[False]], wanted, parties)]
                for table in tables:
                    candidates = [table[k] for p in parties if (k := (wanted, p)) in table]
                    other = _subject_link(
                        message, when, candidates, messages, not reply, subject_window
                    )
                    if other is not None:
                        break
                if other is not None:
                    break
            if other is not None:
                union(index, other)
        table = latest[mine]
        for party in parties:
            table[(subject, party)] = candidate
        if spelled is not None:
            stored = _munged_key(spelled, subject.isascii())
            for party in parties:
                munged[mine][(stored, party)] = candidate

    del latest, munged, cites_held  # (see cites_held)
    # Threads come in the order of their first message in `messages`, their messages in
    # thread order.
    roots = [uf.find(index) for index in range(len(messages))]
    groups: dict[int, list[int]] = {root: [] for root in roots}
    ranks = [0] * len(messages)
    order = [index for _, _, index in dated]
    order += [index for _, index in undated]
    for rank, index in enumerate(order):
        groups[roots[index]].append(index)
        ranks[index] = rank
    return [_make_thread(group, messages, keys, times, ranks) for group in groups.values()]


def _merged(
    tables: Sequence[dict[tuple[str, str], _Candidate]],
    subject: str,
    parties: Collection[str],
) -> dict[tuple[str, str], _Candidate]:
    """Both directions' latest messages for these parties, as one table."""
    merged: dict[tuple[str, str], _Candidate] = {}
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
    candidates: Sequence[_Candidate],
    messages: Sequence[Message],
    reminder: bool,
    window: timedelta,
) -> int | None:
    """The earlier message that `message` continues (its index in `messages`): the latest one
    of the same base subject and party, within the window.

    A customer's fresh message (no reply prefix) that repeats a subject is a reminder only
    when it repeats the latest one word for word within a few days ("Devis" again the next
    morning); later, or after a "Re: Re: Devis", it is a new request. Joining wrongly would
    hide a waiting customer behind someone else's answer, so the rule stays narrow.
    `reminder`: `message` is a customer's fresh message (neither mine nor prefixed).
    """
    if not candidates:
        return None
    other_when, _, other = max(candidates)
    limit = min(window, REMINDER_WINDOW) if reminder else window
    if when - other_when > limit:
        return None
    if reminder and _folded(messages[other].subject) != _folded(message.subject):
        return None
    return other


def _folded(subject: str) -> str:
    return _SPACES.sub(" ", subject).strip().casefold()


def _make_thread(
    ordered: list[int],
    messages: Sequence[Message],
    keys: Sequence[str],
    times: Sequence[datetime | None],
    ranks: Sequence[int],
) -> Thread:
    """The thread of the messages at these indexes, given in thread order."""
    first = messages[ordered[0]]
    # Named after its first message so that the id is stable from one run to the next.
    seed = first.message_id or keys[ordered[0]]
    digest = hashlib.sha1(seed.encode("utf-8", "surrogatepass"), usedforsecurity=False)
    name = "t" + digest.hexdigest()[:12]
    if len(ordered) > 1:
        pick = itemgetter(*ordered)  # each tuple in one C call: 30,000 threads at 100,000
        return Thread(name, pick(messages), pick(keys), pick(times), pick(ranks))
    (only,) = ordered
    return Thread(name, (messages[only],), (keys[only],), (times[only],), (ranks[only],))
