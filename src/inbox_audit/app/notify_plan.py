"""Where the report is emailed: the [notify] section and the flags resolved into a NotifyPlan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from inbox_audit.app.config import ConfigFile, NotifyConfig
from inbox_audit.app.credentials import CredentialSpec
from inbox_audit.app.origin import Picker, check_file
from inbox_audit.errors import ConfigError, UsageError
from inbox_audit.i18n import _
from inbox_audit.outputs.notify import SMTP_PASSWORD_ENV, SmtpTarget, parse_smtp_url

if TYPE_CHECKING:
    from inbox_audit.app.resolve import Flags


@dataclass(frozen=True)
class NotifyPlan:
    """Where the report goes, resolved."""

    email_to: str
    email_from: str | None  # None: the first identity of the report, else the IMAP user
    smtp: SmtpTarget
    smtp_ca_file: Path | None
    only_if_late: bool
    credentials: CredentialSpec | None  # None: the SMTP server takes no login


def notify_plan(flags: Flags, config: ConfigFile | None) -> NotifyPlan | None:
    file = config.notify if config else NotifyConfig()

    pick = Picker(config, "notify")
    email_to, to_origin = pick(flags.email_to, "--email-to", file.email_to, "email_to")
    if email_to is None:
        if flags.email:
            raise UsageError(
                _("--email: no recipient"),
                hint=_("add --email-to ADDRESS, or email_to in the config's [notify] section"),
            )
        return None
    if flags.email_to is None and not flags.email:
        return None  # [notify] configures the scheduled job: a manual run emails when asked
    to_origin.parse(lambda v: _check_addresses(v, single=False), email_to)
    email_from, origin = pick(flags.email_from, "--email-from", file.email_from, "email_from")
    if email_from is not None:
        origin.parse(lambda v: _check_addresses(v, single=True), email_from)
    smtp_url, origin = pick(flags.smtp, "--smtp", file.smtp, "smtp")
    if smtp_url is None:
        raise UsageError(
            _("--email-to needs an SMTP server"),
            hint=_("add --smtp smtp://HOST:PORT (or smtps://USER@HOST), or smtp in [notify]"),
        )
    smtp = origin.parse(parse_smtp_url, smtp_url)
    ca_file, origin = pick(flags.smtp_ca_file, "--smtp-ca-file", file.smtp_ca_file, "smtp_ca_file")
    if ca_file is not None:
        check_file(ca_file, origin)
    only, _origin = pick(flags.only_if_late, "--only-if-late", file.only_if_late, "only_if_late")
    credentials = None
    if smtp.user:
        use_keyring = file.keyring if file.keyring is not None else True
        credentials = CredentialSpec(
            label=_("{user} on {host}").format(user=smtp.user, host=smtp.host),
            env_var=SMTP_PASSWORD_ENV,
            password=file.smtp_password,
            password_command=file.smtp_password_command,
            keyring_key=f"smtp:{smtp.user}@{smtp.host}" if use_keyring else None,
            setting_prefix="smtp_",
            password_file=file.smtp_password_file,
        )
    return NotifyPlan(
        email_to=email_to,
        email_from=email_from,
        smtp=smtp,
        smtp_ca_file=ca_file,
        only_if_late=bool(only),
        credentials=credentials,
    )


def _check_addresses(value: str, *, single: bool) -> None:
    """digest's rules for its headers, checked before the audit runs rather than after."""
    from inbox_audit.outputs.digest import check_addresses  # only runs that send mail

    try:
        check_addresses(value, single=single)
    except ConfigError as exc:  # a flag's value: a usage error (Origin blames the file's)
        raise UsageError(str(exc), hint=exc.hint) from None
