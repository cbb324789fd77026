"""A kept thread's bytes: the same row back, a head that sorts as the rows do, and foreign
bytes refused."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from inbox_audit.core.metrics import WAITING
from inbox_audit.model import Status
from inbox_audit.store.thread_rows import ThreadRow, thread_bytes, thread_key, thread_of

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def row(
    thread: str,
    status: Status,
    since: datetime | None,
    late: bool = False,
    latency: int | None = None,
    subject: str = "Devis",
) -> ThreadRow:
    return (thread, subject, "ana@x.fr", "Ana", "INBOX", status, since, 60, late, latency,
            b"", ("<r@shop>",), None)  # fmt: skip


def test_a_row_comes_back_whole() -> None:
    """Every field, the moment to its zone and microsecond, undecodable header text (lone
    surrogates) and no moment at all."""
    offset = datetime(2026, 3, 1, 22, 0, 5, 123456, tzinfo=timezone(timedelta(hours=-5)))
    rows = [
        row("t1", Status.OVERDUE, T0, late=True, latency=90_000),
        row("t2", Status.PENDING, offset, subject="Devis \udc80\udcff \u2028日本"),
        row("t3", Status.PENDING, None),
        row("t4", Status.ANSWERED, None, late=True, latency=None),
    ]
    for r in rows:
        assert thread_of(thread_bytes(r)) == r


def test_the_head_sorts_as_the_rows_do() -> None:
    """Waiting threads by waiting_since (to the microsecond, across zones), undated ones
    apart; answered-late ones by their latency, none counting as 0."""
    rng = random.Random(5)
    zones = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-7, minutes=-30))]
    rows = []
    for n in range(300):
        since = None if n % 17 == 0 else T0 + timedelta(microseconds=rng.randrange(10**11))
        if since is not None:
            since = since.astimezone(rng.choice(zones))
        status = rng.choice([Status.PENDING, Status.OVERDUE, Status.ANSWERED])
        latency = rng.choice([None, rng.randrange(10**6)])
        rows.append(row(f"t{n}", status, since, rng.random() < 0.4, latency))
    for r in rows:
        waiting, dated, late, _, latency = thread_key(thread_bytes(r))
        assert waiting == (r[5] in WAITING)
        assert dated == (r[6] is not None)
        assert late == r[8]
        assert latency == (r[9] or 0)
    dated_rows = [r for r in rows if r[6] is not None]
    by_key = sorted(dated_rows, key=lambda r: (thread_key(thread_bytes(r))[3], r[0]))
    by_moment = sorted(dated_rows, key=lambda r: (r[6], r[0]))
    assert by_key == by_moment


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00",
        b"\x01" * 19,
        thread_bytes(row("t", Status.PENDING, T0))[:-3],
        b"\x00" * 19 + b"N",
    ],
)
def test_foreign_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(ValueError, match="not a kept thread"):
        thread_of(data)
    if len(data) < 19:  # shorter than the head
        with pytest.raises(ValueError, match="not a kept thread"):
            thread_key(data)
