"""The whole run's deadline: past it, whatever the run is waiting for is given up."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from inbox_audit.errors import DeadlineExceeded
from inbox_audit.i18n import _


@contextmanager
def deadline_of(seconds: float) -> Iterator[None]:
    """Raise DeadlineExceeded wherever the run is once `seconds` have passed.

    `--timeout` bounds each read, but a server that sends one byte every two seconds answers
    every read in time and would hold the run (and its lock, so the next night's run exits 7)
    for hours. A timer signal interrupts any blocking call (PEP 475: the handler's exception
    ends it), so one clock bounds connecting, reading, the cache and the email alike.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only (an embedding app's worker): no deadline
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise DeadlineExceeded(
            _("the run did not finish within its deadline of {deadline}; stopped").format(
                deadline=_spoken(seconds)
            ),
            hint=_(
                "the server may be very slow or stalled; a bigger mailbox's first run may "
                "need a longer --deadline (or `deadline` in the config file)"
            ),
        )

    before = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def _spoken(seconds: float) -> str:
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"
