"""The owner told by email: the report's or the failure's message sent, kept when it cannot be."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from inbox_audit.app.console import escape, print_error, stderr_console, worded
from inbox_audit.app.nightly import Night
from inbox_audit.app.resolve import RunConfig
from inbox_audit.errors import ExitCode, InboxAuditError
from inbox_audit.i18n import _
from inbox_audit.model import AuditReport
from inbox_audit.outputs.notify import NotifyError, SmtpTarget, save_undelivered, send_email
from inbox_audit.sources.spec import ImapTarget

if TYPE_CHECKING:
    from email.message import EmailMessage


def sender(run: RunConfig, report: AuditReport | None) -> str:
    """--email-from, else the first --me / detected identity, else the IMAP user, else To."""
    assert run.notify is not None
    if run.notify.email_from:
        return run.notify.email_from
    candidates = [*run.settings.me, *(report.identities if report else ())]
    if isinstance(run.target, ImapTarget):
        candidates.append(run.target.user)
    for candidate in candidates:
        if "@" in candidate and not any(c in candidate for c in "\r\n,"):
            return candidate
    from email.utils import getaddresses

    return getaddresses([run.notify.email_to])[0][1]


def deliver(message: EmailMessage, run: RunConfig, smtp: SmtpTarget, night: Night | None) -> bool:
    """Send; when that fails, say why on stderr and keep the message in the state dir (and,
    for the scheduled job, the night to mention in the next email and to `schedule --check`,
    which also learns whom a delivered one reached)."""
    assert run.notify is not None
    try:
        send_email(message, smtp, ca_file=run.notify.smtp_ca_file, timeout=run.timeout)
    except InboxAuditError as error:
        print_error(error)
        if night is not None:
            night.undelivered(error)
        try:
            saved = save_undelivered(message, run.state_dir, datetime.now(UTC))
        except NotifyError as save_error:
            print_error(save_error)
        else:
            stderr_console().print(
                "inbox-audit: "
                + _("the undelivered email was saved to {path}").format(path=escape(str(saved)))
            )
        return False
    if night is not None:
        night.delivered(run.notify.email_to)
    return True


def notify_failure(
    error: InboxAuditError, run: RunConfig, smtp: SmtpTarget | None, night: Night | None
) -> ExitCode:
    """The audit could not run: say why, tell the owner by email too; the error's exit code."""
    from inbox_audit.outputs.digest import build_failure_email

    print_error(error)
    if night is not None:
        night.failed(error)
    if run.notify is not None and smtp is not None:
        said, hint = worded(error)
        message = build_failure_email(
            error=said,
            hint=hint,
            source=run.target.display(),
            to=run.notify.email_to,
            sender=sender(run, None),
            now=datetime.now(run.zone),
        )
        if deliver(message, run, smtp, night):
            stderr_console().print(
                "inbox-audit: "
                + _("the owner was told by email ({address})").format(
                    address=escape(run.notify.email_to)
                )
            )
    # The original error's code: it is the cause; an undelivered notice is reported above.
    return error.exit_code
