"""Small builders for pure tests: a Message from keyword arguments, a moment in Paris or UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from inbox_audit.model import Address, Message

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
PARIS = ZoneInfo("Europe/Paris")
MONTREAL = ZoneInfo("America/Montreal")
# A customer whose address says nothing of their language (the holding reply's tests).
GMAIL = Address("julien.fabre@gmail.example", "Julien Fabre")


def at(hours: float) -> datetime:
    """T0 plus some hours."""
    return T0 + timedelta(hours=hours)


def paris(text: str) -> datetime:
    """'2026-11-03 10:00' in Paris (2026-11-02 is a Monday: that week runs Mon 2 … Sun 8)."""
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def addr(text: str) -> Address:
    """'Marie Dupont <marie@x.fr>' or 'marie@x.fr' → Address."""
    if "<" in text:
        name, _, rest = text.partition("<")
        return Address(rest.rstrip(">").strip().lower(), name.strip())
    return Address(text.strip().lower())


_uid = [0]


def make_message(
    *,
    from_: str | None = "Marie Dupont <marie@example.fr>",
    to: tuple[str, ...] = ("shop@example.com",),
    cc: tuple[str, ...] = (),
    reply_to: tuple[str, ...] = (),
    subject: str = "Devis",
    hours: float | None = 0.0,
    date_hours: float | None = None,
    message_id: str | None = None,
    in_reply_to: tuple[str, ...] = (),
    references: tuple[str, ...] = (),
    folder: str = "INBOX",
    flags: frozenset[str] = frozenset(),
    conversation_id: str | None = None,
    auto_headers: tuple[tuple[str, str], ...] = (),
    language_hints: tuple[str, ...] = (),
    text_start: str = "",
) -> Message:
    """A Message; `hours` is the INTERNALDATE, `date_hours` the Date header (default: same)."""
    _uid[0] += 1
    uid = _uid[0]
    internal = at(hours) if hours is not None else None
    date = at(date_hours) if date_hours is not None else internal
    return Message(
        folder=folder,
        uid=uid,
        message_id=message_id if message_id is not None else f"m{uid}@test",
        in_reply_to=in_reply_to,
        references=references,
        from_=addr(from_) if from_ else None,
        reply_to=tuple(addr(a) for a in reply_to),
        to=tuple(addr(a) for a in to),
        cc=tuple(addr(a) for a in cc),
        subject=subject,
        date=date,
        received_at=None,
        internal_date=internal,
        flags=flags,
        conversation_id=conversation_id,
        auto_headers=auto_headers,
        language_hints=language_hints,
        text_start=text_start,
    )
