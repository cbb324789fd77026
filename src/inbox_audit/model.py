"""Frozen data types that flow through the pipeline, from fetched headers to the report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from inbox_audit.settings import WorkCalendar


class FolderRole(StrEnum):
    """What a folder is for; decides whether it is scanned and how its mail is read."""

    INBOX = "inbox"
    SENT = "sent"
    ARCHIVE = "archive"
    ALL = "all"  # Gmail's [Gmail]/All Mail: every message again
    DRAFTS = "drafts"
    TRASH = "trash"
    JUNK = "junk"
    OTHER = "other"  # any other mail folder (per-client folders, labels...)


#: Roles whose folders are never scanned.
SKIPPED_ROLES = frozenset({FolderRole.DRAFTS, FolderRole.TRASH, FolderRole.JUNK})


@dataclass(frozen=True)
class ListedFolder:
    """A folder as the source lists it, before roles are assigned."""

    name: str  # decoded, human-readable (IMAP modified UTF-7 already decoded)
    attributes: frozenset[str]  # lower-cased LIST attributes, e.g. {"\\sent", "\\hasnochildren"}
    delimiter: str | None = None
    selectable: bool = True
    unread: str | None = None  # why it cannot be read (a LIST response that did not parse)


@dataclass(frozen=True)
class Folder:
    """A folder with its role and whether the audit reads it."""

    name: str
    role: FolderRole
    scanned: bool
    messages: int | None = None  # count the source reported, when known
    # Why a folder meant to be read was not read in full (it vanished, EXAMINE answered NO):
    # then `scanned` is False and the report is incomplete. None for every other folder.
    unread: str | None = None


@dataclass(frozen=True)
class FolderStatus:
    """A folder's STATUS values (RFC 3501 §6.3.10; HIGHESTMODSEQ from RFC 7162 §3.1.2.1)."""

    messages: int
    uidnext: int
    uidvalidity: int
    highestmodseq: int | None = None  # None when the server has no CONDSTORE


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One message as fetched: header bytes plus the server's metadata, and at most the first
    core.fields.TEXT_BYTES of the body."""

    folder: str
    uid: int
    internal_date: datetime | None  # aware; IMAP INTERNALDATE or mbox "From " line date
    flags: frozenset[str]  # as the server gives them, e.g. {"\\Seen", "\\Answered"}
    header_bytes: (
        bytes  # RFC 5322 header section (only the fields in headers.HEADER_FIELDS over IMAP)
    )
    conversation_id: str | None = (
        None  # provider thread id (Gmail X-GM-THRID) when the source has one
    )
    # The first bytes of the body (BODY.PEEK[TEXT]<0.2048>): where the customer's own words
    # start, for the holding reply's language. b"" when the source gave none.
    text_start: bytes = b""


@dataclass(frozen=True)
class Unreadable:
    """A message that could not be fetched or parsed: reported and skipped, never fatal."""

    folder: str
    uid: int
    reason: str


@dataclass(frozen=True, slots=True)
class Address:
    """A mailbox address: lower-cased addr-spec plus decoded display name."""

    email: str  # lower-cased; "" when the header held no usable address
    name: str = ""

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True, slots=True)
class Message:
    """A parsed message: decoded text and aware UTC datetimes, no bytes."""

    folder: str
    uid: int
    message_id: str | None  # without angle brackets, as written (case kept)
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]  # oldest first, as in the header
    from_: Address | None
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    subject: str  # decoded (RFC 2047), unfolded, "" when absent
    date: datetime | None  # Date header, UTC; None when absent or unparsable
    received_at: datetime | None  # date of the first (topmost) Received header, UTC
    internal_date: datetime | None  # from the source, UTC
    flags: frozenset[str]
    conversation_id: str | None  # provider id (Gmail X-GM-THRID) or Outlook Thread-Index root
    # (lower-cased header name, decoded unfolded value) for every header that can reveal
    # automated mail: Auto-Submitted, Precedence, List-*, Return-Path, Content-Type, X-Autoreply...
    auto_headers: tuple[tuple[str, str], ...] = ()
    # Content-Language / Accept-Language values, for the holding reply's language.
    language_hints: tuple[str, ...] = ()
    # The opening words of the text part, decoded (core/snippet.py): the holding reply's
    # language, the template of a delivery report, a forward's marker. "" when the source
    # gave none or it could not be read.
    text_start: str = ""

    @property
    def key(self) -> str:
        """Unique within one audit: the same Message-ID may sit in several folders."""
        return f"{self.folder}\x00{self.uid}"

    @property
    def arrived_at(self) -> datetime | None:
        """When the message reached the mailbox: INTERNALDATE, then Received, then Date."""
        return self.internal_date or self.received_at or self.date


class Reason(StrEnum):
    """Why an inbound message needs no answer. Shown in every output."""

    FROM_ME = "from_me"
    AUTO_SUBMITTED = "auto_submitted"  # RFC 3834 Auto-Submitted other than "no"
    BULK = "bulk"  # Precedence: bulk / list / junk
    MAILING_LIST = "mailing_list"  # List-Id / List-Unsubscribe / List-Post...
    BOUNCE = "bounce"  # delivery status notification, empty Return-Path, MAILER-DAEMON
    RECEIPT = "receipt"  # read receipt (MDN, RFC 8098)
    AUTO_REPLY = "auto_reply"  # out-of-office, vacation and other auto-replies
    NOREPLY_SENDER = "noreply_sender"  # no-reply@, postmaster@, notifications@...
    CALENDAR = "calendar"  # meeting accepted/declined notices
    SPAM = "spam"  # marked spam by a filter (X-Spam-Flag: YES)
    NO_SENDER = "no_sender"  # no usable From address
    IN_SENT_FOLDER = "sent_folder"  # a message in the Sent folder that is not from me
    INTERNAL = "internal"  # from a colleague: an address at one of the owner's own domains


class Status(StrEnum):
    """The outcome of one inbound message (and, worst-first, of a thread)."""

    ANSWERED = "answered"
    PENDING = "pending"
    OVERDUE = "overdue"
    NOT_CUSTOMER = "not_customer"


@dataclass(frozen=True, slots=True)
class ReplyRef:
    """The reply that answered an inbound message."""

    message_id: str | None
    sent_at: datetime
    latency_seconds: int
    business_latency_seconds: int | None = None  # working time only; None: no working hours


@dataclass(frozen=True, slots=True)
class MessageResult:
    """The audit's verdict on one inbound message."""

    message: Message
    status: Status
    reason: Reason | None  # set when status is not_customer
    thread_id: str
    reply: ReplyRef | None  # None when unanswered, or answered per \\Answered with no copy found
    answered_by_flag: bool = False  # \\Answered set, no reply copy found: latency unknown


@dataclass(frozen=True, slots=True)
class HoldingReply:
    """A ready-to-paste message telling the customer when they will get an answer."""

    to: str
    subject: str
    body: str
    language: str  # "fr" or "en"
    promised_by: datetime
    # The ids a reply's References names (RFC 5322 §3.6.4), without angle brackets, oldest
    # first; the last is its In-Reply-To. Empty when the customer's message had no Message-ID.
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ThreadResult:
    """One conversation with a customer, as the report shows it."""

    thread_id: str
    subject: str
    correspondent: Address
    folder: str  # where its latest inbound message sits
    status: Status  # worst of its customer messages: overdue > pending > answered
    waiting_since: datetime | None  # oldest unanswered customer message
    waiting_seconds: int | None
    answered_late: bool  # some customer message answered after the SLA
    max_latency_seconds: int | None  # longest known response time in the thread
    holding_reply: HoldingReply | None  # for pending and overdue threads
    # The References of a reply to its latest waiting message (RFC 5322 §3.6.4): what the
    # holding reply names so that it threads with the customer's message.
    reply_refs: tuple[str, ...] = ()
    max_business_latency_seconds: int | None = None  # the same in working time, when known


@dataclass(frozen=True, slots=True)
class Awaited:
    """A conversation where the owner wrote last, to someone else: it may await their reply
    (core/awaiting.py decides which ones, and for how long they have been silent)."""

    thread_id: str
    subject: str  # of the owner's last message
    correspondent: Address  # its first recipient who is not the owner
    last_sent_at: datetime  # when the owner's last message was sent
    language_hints: tuple[str, ...] = ()  # of the conversation's messages, for the follow-up
    opened_by_owner: bool = False  # the other side never wrote in it (a quote sent unasked...)
    # The References of a follow-up to the owner's last message (RFC 5322 §3.6.4, the last
    # is its In-Reply-To), and the address it was sent from: a follow-up draft threads there.
    reply_refs: tuple[str, ...] = ()
    sent_from: str = ""


@dataclass(frozen=True)
class Summary:
    """Headline figures of an audit."""

    customer_messages: int
    answered: int
    answered_late: int
    answered_unknown_latency: int  # \\Answered with no reply copy found
    pending: int
    overdue: int
    not_customer: int
    median_response_seconds: float | None
    p90_response_seconds: float | None
    within_sla_ratio: float | None
    unreadable: int
    duplicates: int  # copies of one message in several folders, counted once
    drafts: int = 0  # unsent drafts seen in scanned folders (Gmail's All Mail): never counted
    after_as_of: int = 0  # messages that arrived after --as-of: not yet there at that moment
    outbound: int = 0  # my own mail in the Sent folder: replies and everything else I sent
    internal: int = 0  # of not_customer, the colleagues' mail (Reason.INTERNAL)
    # The response times in working time (settings.calendar), None without working hours.
    median_business_response_seconds: float | None = None
    p90_business_response_seconds: float | None = None


@dataclass(frozen=True)
class AuditReport:
    """Everything one audit found; renderers turn it into text."""

    source: str  # display form, never a password
    as_of: datetime
    sla_seconds: int
    identities: tuple[str, ...]
    identities_detected: tuple[str, ...]  # the subset found in the Sent folder
    folders: tuple[Folder, ...]
    summary: Summary
    messages: tuple[MessageResult, ...]  # every inbound message, oldest first
    threads: tuple[ThreadResult, ...]  # customer threads, worst and longest wait first
    unreadable: tuple[Unreadable, ...]
    problems: tuple[str, ...] = ()  # e.g. a folder that vanished while it was being read
    owner: str | None = None  # the owner's name found in their mail: the replies' signature
    # Conversations the owner wrote last in (core/awaiting.py), those of the last
    # awaiting.KEPT_DAYS (the ledger keeps them too); None when not known.
    awaiting: tuple[Awaited, ...] | None = ()
    calendar: WorkCalendar | None = None  # the working hours used (settings.calendar)
    sla_business: bool = False  # the SLA counts working time (sla_seconds of it)


@dataclass(frozen=True)
class Collected:
    """What was read from a source: folders with roles, parsed messages, and failures."""

    source: str
    folders: tuple[Folder, ...]
    messages: tuple[Message, ...]
    unreadable: tuple[Unreadable, ...]
    problems: tuple[str, ...] = ()
