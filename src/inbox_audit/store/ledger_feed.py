"""The ledger's rows on their way into the cache: read once, their links sorted after them;
and what changed in the totals' kept rows and threads."""

from __future__ import annotations

import marshal
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

#: A message's copy: (folder, UID).
Copy = tuple[str, int]


class LedgerFeed:
    """The rows of `save_ledger` as SQLite reads them, one at a time, each row's links noted
    on the way to be inserted after them, in link order."""

    def __init__(self, rows: Iterable[tuple[Copy, bytes, tuple[int, ...]]]) -> None:
        self._rows = Caught(rows)
        self._copies: list[Copy] = []
        # Each link with its copy's index in `_copies`, as one int (the link made unsigned in
        # the high bits): sorted, they come in link order; a full audit notes ~3 links a
        # message, and tuples took twice the memory (and a slower sort, by key).
        self._packed: list[int] = []

    def __iter__(self) -> LedgerFeed:
        return self

    def __next__(self) -> tuple[str, int, bytes, bytes]:
        copy, part, links = next(self._rows)
        index = len(self._copies)
        self._copies.append(copy)
        self._packed.extend(((link + _SIGN) << _INDEX_BITS) | index for link in links)
        return copy[0], copy[1], part, marshal.dumps(links)

    def check(self) -> None:
        """Raise what reading the rows raised, if anything."""
        self._rows.check()

    def links(self) -> Iterator[tuple[int, str, int]]:
        """(link, folder, uid) of every row read, in link order (the B-tree is then appended
        to rather than split)."""
        self._packed.sort()
        mask = (1 << _INDEX_BITS) - 1
        for packed in self._packed:
            folder, uid = self._copies[packed & mask]
            yield (packed >> _INDEX_BITS) - _SIGN, folder, uid


# Links are SQLite's signed 64-bit integers; row indexes stay far below 2**40.
_SIGN = 1 << 63
_INDEX_BITS = 40


@dataclass(frozen=True)
class KeptChange:
    """What changed in the totals' kept rows (by copy) and threads (by id): each one stored
    as its own row, a nightly run writes what it changed, not the whole (as one value, the
    totals were 11 MB at 100,000 messages, deleted and written again every night)."""

    rows_out: Iterable[Copy]
    rows_in: Iterable[tuple[Copy, bytes]]
    threads_out: Iterable[str]
    threads_in: Iterable[tuple[str, bytes]]


_T = TypeVar("_T")


class Caught(Generic[_T]):
    """The items of an iterable as SQLite reads them, an error of the iterable's own (the
    caller's code) kept for `check`: out of the reach of cache_errors.guarded, which would
    take it for a corrupt file, and raised after, inside the transaction it rolls back."""

    def __init__(self, items: Iterable[_T]) -> None:
        self._items = iter(items)
        self._error: Exception | None = None

    def __iter__(self) -> Caught[_T]:
        return self

    def __next__(self) -> _T:
        try:
            return next(self._items)
        except StopIteration:
            raise
        except Exception as exc:
            self._error = exc
            raise StopIteration from None

    def check(self) -> None:
        """Raise what reading the items raised, if anything."""
        if self._error is not None:
            raise self._error
