"""How often an IMAP run logs in again after losing its session mid-folder, and what it says."""

from __future__ import annotations

from inbox_audit.errors import ConnectionFailed, FolderDeleted, Reconnected
from inbox_audit.i18n import _
from inbox_audit.sources.spec import ConnectOptions, ImapTarget

# How often a run logs in again after a folder was deleted under its session or its
# connection was lost while a folder was read: a server that keeps dropping it is not read.
RELOGINS = 2


class Relogins:
    """The run's logins again (imap.py `_relogging`), both causes counted together."""

    def __init__(self, target: ImapTarget, options: ConnectOptions) -> None:
        self._target = target
        self._options = options
        self.count = 0

    def spend(self, folder: str, lost: FolderDeleted | ConnectionFailed) -> None:
        """Count one more, or raise the run's error when it already logged in again enough."""
        if self.count < RELOGINS:
            self.count += 1
            return
        if isinstance(lost, FolderDeleted):
            raise ConnectionFailed(
                _(
                    "connection to {host} lost while reading folder {folder!r}: it was "
                    "{reason}, and the run had already logged in again {count} times"
                ).format(host=self._target.host, folder=folder, reason=lost, count=self.count)
            ) from lost
        raise ConnectionFailed(
            _("{error}; the run had already logged in again {count} times").format(
                error=lost, count=self.count
            )
        ) from lost

    def reconnected(self, folder: str, lost: ConnectionFailed) -> Reconnected:
        """Said once on stderr; the error that has the caller read the folder again."""
        if self._options.warn is not None:
            self._options.warn(
                _(
                    "connection to {host} lost while reading folder {folder!r}; "
                    "logged in again to read it from its start"
                ).format(host=self._target.host, folder=folder)
            )
        return Reconnected(str(lost))
