"""The project's error hierarchy and the exit codes the CLI maps it to."""

from collections.abc import Mapping
from enum import IntEnum


def N_(template: str) -> str:
    """Mark `template` for the message catalogs without translating it here (gettext_noop):
    the layers below the app say English, the app translates when it shows the words."""
    return template


class ExitCode(IntEnum):
    """Documented process exit codes (README, "Exit codes")."""

    OK = 0
    OVERDUE_FOUND = 1
    USAGE = 2
    CONFIG = 3
    MAILBOX = 4
    INTERNAL = 5  # a bug: reported in one line, never a traceback
    NOT_DELIVERED = 6  # the report email could not be sent (it was saved in the state dir)
    ALREADY_RUNNING = 7  # another run holds the lock (cron started one before the last ended)


class InboxAuditError(Exception):
    """Base of every error the CLI reports as one line; `hint` is an optional second line.

    With `values`, `message` and `hint` are N_() templates: the error reads in English
    (str(), .hint) and keeps its templates so that the app can show it in the owner's language.
    """

    exit_code: ExitCode = ExitCode.CONFIG

    def __init__(
        self, message: str, hint: str | None = None, *, values: Mapping[str, object] | None = None
    ) -> None:
        self.template = message
        self.hint_template = hint
        self.values = values
        if values is not None:
            message = message.format(**values)
            hint = None if hint is None else hint.format(**values)
        super().__init__(message)
        self.hint = hint


class UsageError(InboxAuditError):
    """The command line is wrong (bad SOURCE, bad --sla, bad --as-of...)."""

    exit_code = ExitCode.USAGE


class ConfigError(InboxAuditError):
    """Configuration is missing or invalid (no password available, bad CA file...)."""

    exit_code = ExitCode.CONFIG


class MailboxError(InboxAuditError):
    """The mailbox could not be read: connection, TLS, login, missing folder, unreadable file."""

    exit_code = ExitCode.MAILBOX


class ConnectionFailed(MailboxError):
    """The server could not be reached or the connection dropped."""


class Reconnected(ConnectionFailed):
    """The connection dropped while a folder was read and the source logged in again: that
    folder is to be read again from its start (`sources.spec.read_whole`)."""


class DeadlineExceeded(MailboxError):
    """The run went past its deadline (--deadline): a server too slow, or one trickling bytes."""


class TLSFailed(MailboxError):
    """TLS negotiation or certificate verification failed."""


class LoginFailed(MailboxError):
    """The server refused the credentials."""


class FolderNotFound(MailboxError):
    """A folder named on the command line does not exist."""


class FolderDeleted(FolderNotFound):
    """The server ended the session because the folder being read was deleted under it."""


class AlreadyRunning(InboxAuditError):
    """Another inbox-audit run holds the lock in the state directory."""

    exit_code = ExitCode.ALREADY_RUNNING
