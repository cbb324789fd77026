"""One audit of a mailbox at a time: a lock file in the state directory, held with flock."""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from inbox_audit.app.console import warn
from inbox_audit.app.resolve import RunConfig
from inbox_audit.dirs import private_dir
from inbox_audit.errors import AlreadyRunning
from inbox_audit.i18n import _


@contextmanager
def run_lock(run: RunConfig) -> Iterator[None]:
    """One audit of a given mailbox at a time: a cron run that outlasts its interval must not
    be joined by the next one. flock is released by the kernel even if the process dies; the
    file is removed at the end, so the state dir does not fill with them."""
    name = re.sub(r"[^A-Za-z0-9@._-]+", "_", run.account or run.target.display())
    path = run.state_dir / f"audit-{name[:100]}.lock"
    try:
        private_dir(run.state_dir)
        fd = _locked(path, run)
    except OSError as exc:
        # A state dir that cannot be written must not stop the audit itself.
        warn(
            _("cannot create the lock file {path} ({reason}); running without it").format(
                path=path, reason=exc.strerror
            )
        )
        yield
        return
    try:
        yield
    finally:
        path.unlink(missing_ok=True)  # still holding the lock: nobody else has it
        os.close(fd)


def _locked(path: Path, run: RunConfig) -> int:
    """An open, flock-ed descriptor on `path`; AlreadyRunning when another process has it."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            raise AlreadyRunning(
                _("another inbox-audit run of {source} is still going").format(
                    source=run.target.display()
                )
                + (f" (pid {holder})" if holder.isdigit() else ""),
                hint=_("wait for it to finish; the lock is {path}").format(path=path),
            ) from None
        try:
            held, named = os.fstat(fd), path.stat()
            same = (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino)
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
            return fd
        # The previous holder removed the file between our open and our flock: the lock we
        # got is on a deleted file that a newcomer would not see. Start again.
        os.close(fd)
