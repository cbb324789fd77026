"""One run's settings: flags > config file > defaults merged and checked into a frozen RunConfig.

Values from the file that are wrong are configuration errors (exit 3); the same values given
as flags are usage errors (exit 2).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import tz

from inbox_audit import i18n
from inbox_audit.app.config import (
    AccountConfig,
    ConfigFile,
    NotifyConfig,
    default_config_path,
    default_state_dir,
    did_you_mean,
    file_path,
)
from inbox_audit.app.console import worded
from inbox_audit.app.credentials import PASSWORD_ENV, AuthMethod, CredentialSpec
from inbox_audit.core.domains import is_public_mail_domain
from inbox_audit.core.drafts import DraftMode
from inbox_audit.core.language import SUPPORTED_LANGUAGES
from inbox_audit.core.templates import check_template
from inbox_audit.core.worktime import (
    WorkTimeError,
    day_seconds,
    holiday_dates,
    parse_hours,
    parse_vacation,
)
from inbox_audit.errors import ConfigError, UsageError
from inbox_audit.i18n import _, marked
from inbox_audit.outputs.notify import SMTP_PASSWORD_ENV, SmtpTarget, parse_smtp_url
from inbox_audit.settings import (
    DayHours,
    Settings,
    WorkCalendar,
    parse_business_duration,
    parse_duration,
)
from inbox_audit.sources.spec import ImapTarget, LocalTarget, parse_source

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_SLA = "24h"
DEFAULT_TIMEOUT = 30.0
DEFAULT_DEADLINE = "15m"


@dataclass(frozen=True)
class Flags:
    """What the command line said; None means "not given" (then the file, then the default)."""

    source: str | None = None
    account: str | None = None
    me: tuple[str, ...] | None = None
    sla: str | None = None
    sent_folder: str | None = None
    skip_folders: tuple[str, ...] | None = None
    timezone: str | None = None
    ca_file: Path | None = None
    lang: str | None = None
    allow_plaintext: bool | None = None
    timeout: float | None = None
    email_to: str | None = None
    email_from: str | None = None
    smtp: str | None = None
    smtp_ca_file: Path | None = None
    only_if_late: bool | None = None
    state_dir: Path | None = None
    email: bool | None = None  # --email / --scheduled: send as [notify] says
    deadline: str | None = None
    internal_domains: tuple[str, ...] | None = None
    working_hours: str | None = None
    holidays: str | None = None
    vacation: tuple[str, ...] | None = None
    save_drafts: str | None = None  # "overdue" (--save-drafts) or "all" (--save-drafts-all)
    drafts_folder: str | None = None
    drafts_dir: Path | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class DraftsPlan:
    """Where the holding replies are saved as drafts, resolved."""

    mode: DraftMode
    folder: str | None  # --drafts-folder; None: the Drafts folder the audit found
    directory: Path  # a local source's .eml files
    dry_run: bool  # show them, write nothing


@dataclass(frozen=True)
class NotifyPlan:
    """Where the report goes, resolved."""

    email_to: str
    email_from: str | None  # None: the first identity of the report, else the IMAP user
    smtp: SmtpTarget
    smtp_ca_file: Path | None
    only_if_late: bool
    credentials: CredentialSpec | None  # None: the SMTP server takes no login


@dataclass(frozen=True)
class RunConfig:
    """Everything one `audit` run needs, built once, frozen."""

    target: ImapTarget | LocalTarget
    account: str | None
    settings: Settings
    ca_file: Path | None
    allow_plaintext: bool
    timeout: float
    credentials: CredentialSpec | None  # None for a local source
    notify: NotifyPlan | None
    state_dir: Path
    config_path: Path | None
    deadline: float = 900.0  # seconds the whole run may take (--deadline)
    drafts: DraftsPlan | None = None  # None: the mailbox is only read

    @property
    def zone(self) -> tzinfo:
        return self.settings.tz


@dataclass(frozen=True)
class _Origin:
    """Where a value came from, to blame the right thing: a flag (exit 2) or the file (3)."""

    flag: str
    key: str | None = None  # set when the value came from the file
    config: ConfigFile | None = None
    section: str = ""

    def describe(self) -> str:
        """'--ca-file', or "'ca_file' in [accounts.shop] of /home/me/.config/...": for errors."""
        if self.config is None or self.key is None:
            return self.flag
        if self.section:
            return _("'{key}' in [{section}] of {path}").format(
                key=self.key, section=self.section, path=self.config.path
            )
        return _("'{key}' in {path}").format(key=self.key, path=self.config.path)

    def parse(self, parse: Callable[[T], R], value: T) -> R:
        try:
            return parse(value)
        except UsageError as exc:
            if self.config is None or self.key is None:
                raise
            message, hint = worded(exc)
            raise ConfigError(f"{message} ({self.describe()})", hint=hint) from None


def _pick(
    flag_value: T | None,
    flag: str,
    file_value: T | None,
    key: str,
    config: ConfigFile | None,
    section: str,
) -> tuple[T | None, _Origin]:
    if flag_value is not None:
        return flag_value, _Origin(flag)
    if file_value is not None:
        return file_value, _Origin(flag, key, config, section)
    return None, _Origin(flag)


def choose_account(
    config: ConfigFile | None, name: str | None, source: str | None
) -> AccountConfig | None:
    """--account NAME; else, without SOURCE, the default or only account; else none."""
    if name is not None:
        if config is None:
            raise UsageError(
                _("--account {name}: there is no config file").format(name=name),
                hint=_("create {path} with an [accounts.{name}] section").format(
                    path=default_config_path(), name=name
                ),
            )
        if name not in config.accounts:
            raise UsageError(
                _("no account {name!r} in {path}").format(name=name, path=config.path)
                + did_you_mean(name, config.accounts),
                hint=_("accounts: {names}").format(names=", ".join(config.accounts) or _("none")),
            )
        return config.accounts[name]
    if source is not None:
        return None  # an ad-hoc SOURCE: the accounts' settings are not mixed in
    if config is None or not config.accounts:
        where = config.path if config is not None else default_config_path()
        raise UsageError(
            _("no SOURCE given and no account configured"),
            hint=_(
                "give SOURCE (imaps://USER@HOST), or add an [accounts.NAME] section to {path}"
            ).format(path=where),
        )
    if config.default_account is not None:
        return config.accounts[config.default_account]
    if len(config.accounts) == 1:
        return next(iter(config.accounts.values()))
    raise UsageError(
        _("{path} has several accounts: choose one with --account").format(path=config.path),
        hint=_("accounts: {names} (or set default_account)").format(
            names=", ".join(config.accounts)
        ),
    )


def resolve(
    flags: Flags, config: ConfigFile | None, *, env: Mapping[str, str] | None = None
) -> RunConfig:
    """Merge flags > config file > defaults into a RunConfig; every value checked here."""
    account = choose_account(config, flags.account, flags.source)
    acc = account or (config.shared if config is not None else AccountConfig(name=""))
    section = f"accounts.{acc.name}" if account else ""

    def pick(
        flag_value: T | None, flag: str, file_value: T | None, key: str
    ) -> tuple[T | None, _Origin]:
        return _pick(flag_value, flag, file_value, key, config, section)

    source, origin = pick(flags.source, "SOURCE", acc.source, "source")
    if source is None:
        raise ConfigError(
            _("account {name!r} has no 'source' in {path}").format(
                name=acc.name, path=config.path if config else _("the config")
            ),
            hint=_('add source = "imaps://USER@HOST"'),
        )
    target = origin.parse(parse_source, _local_relative(source, origin))

    zone_name, origin = pick(flags.timezone, "--timezone", acc.timezone, "timezone")
    zone = origin.parse(parse_zone, zone_name)
    hours = pick(flags.working_hours, "--working-hours", acc.working_hours, "working_hours")
    calendar = _calendar(
        hours,
        pick(flags.holidays, "--holidays", acc.holidays, "holidays"),
        pick(flags.vacation, "--vacation", acc.vacation, "vacation"),
        # zoneinfo's exact transitions when named; else the system's zone, as for display.
        zone if zone_name is None or hours[0] is None else origin.parse(parse_zone_info, zone_name),
    )
    sla_text, origin = pick(flags.sla, "--sla", acc.sla, "sla")
    sla, sla_business = origin.parse(
        lambda text: parse_sla(text, calendar), sla_text or DEFAULT_SLA
    )
    lang, origin = pick(flags.lang, "--lang", acc.lang, "lang")
    if lang is not None:
        origin.parse(_check_lang, lang)
    me, _origin = pick(flags.me, "--me", acc.me, "me")
    skip, _origin = pick(flags.skip_folders, "--skip-folder", acc.skip_folders, "skip_folders")
    sent, _origin = pick(flags.sent_folder, "--sent-folder", acc.sent_folder, "sent_folder")
    named, origin = pick(
        flags.internal_domains, "--internal-domain", acc.internal_domains, "internal_domains"
    )
    internal = tuple(origin.parse(_internal_domain, domain) for domain in named or ())
    settings = Settings(
        sla=sla,
        me=tuple(address.strip().lower() for address in me or ()),
        sent_folder=sent,
        skip_folders=tuple(skip or ()),
        lang=lang,
        tz=zone,
        # Replies to customers whose language the signs cannot tell are in the owner's own
        # (issue 13), the one inbox-audit speaks to them: the file's `lang`, else the locale.
        owner_lang=i18n.choose(config.lang if config else None, os.environ if env is None else env),
        internal_domains=internal,
        calendar=calendar,
        sla_business=sla_business,
        templates=load_templates((config.path if config else default_config_path(env)).parent),
    )
    ca_file, origin = pick(flags.ca_file, "--ca-file", acc.ca_file, "ca_file")
    if ca_file is not None:
        _check_file(ca_file, origin)
    allow_plaintext, _origin = pick(
        flags.allow_plaintext, "--allow-plaintext", acc.allow_plaintext, "allow_plaintext"
    )
    timeout, origin = pick(flags.timeout, "--timeout", acc.timeout, "timeout")
    if timeout is not None:
        origin.parse(_check_timeout, timeout)
    deadline_text, origin = pick(flags.deadline, "--deadline", acc.deadline, "deadline")
    deadline = origin.parse(parse_duration, deadline_text or DEFAULT_DEADLINE)

    credentials = None
    if isinstance(target, ImapTarget):
        auth_text, origin = pick(None, "auth", acc.auth, "auth")
        auth = origin.parse(_auth_method, auth_text or AuthMethod.PASSWORD.value)
        use_keyring = acc.keyring if acc.keyring is not None else True
        credentials = CredentialSpec(
            label=f"{target.user}@{target.host}",
            env_var=PASSWORD_ENV,
            auth=auth,
            password=acc.password,
            password_command=acc.password_command,
            token_command=acc.token_command,
            keyring_key=(acc.name or f"{target.user}@{target.host}") if use_keyring else None,
            password_file=acc.password_file,
        )

    state_dir = flags.state_dir or (config.state_dir if config else None) or default_state_dir(env)
    return RunConfig(
        target=target,
        account=account.name if account else None,
        settings=settings,
        ca_file=ca_file,
        allow_plaintext=bool(allow_plaintext),
        timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
        credentials=credentials,
        notify=_notify_plan(flags, config),
        state_dir=state_dir.expanduser(),
        config_path=config.path if config else None,
        deadline=deadline.total_seconds(),
        drafts=_drafts_plan(flags, acc, state_dir.expanduser()),
    )


#: The owner's holding-reply templates in the config directory, one per language.
TEMPLATE_NAME = "holding-reply.{lang}.txt"


def load_templates(directory: Path) -> tuple[tuple[str, str], ...]:
    """The holding-reply templates found in `directory`, checked: an unknown placeholder is a
    configuration error naming the file, before any mail is read."""
    found = []
    for language in SUPPORTED_LANGUAGES:
        path = directory / TEMPLATE_NAME.format(lang=language)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                _("cannot read the holding-reply template {path}: {reason}").format(
                    path=path, reason=exc
                )
            ) from None
        try:
            check_template(text)
        except ValueError as exc:
            raise ConfigError(
                f"{path}: {exc}", hint=_("see the README, 'Your own wording', for the placeholders")
            ) from None
        found.append((language, text))
    return tuple(found)


def _drafts_plan(flags: Flags, acc: AccountConfig, state_dir: Path) -> DraftsPlan | None:
    """--save-drafts[-all] (else the account's save_drafts): where drafts go; else None.
    --dry-run alone shows what --save-drafts would save."""
    mode = flags.save_drafts or acc.save_drafts or ("overdue" if flags.dry_run else None)
    if not mode:
        if flags.drafts_folder or flags.drafts_dir:
            raise UsageError(
                _("--drafts-folder and --drafts-dir need --save-drafts"),
                hint=_("add --save-drafts (or save_drafts = true in the account)"),
            )
        return None
    return DraftsPlan(
        mode=DraftMode(mode),
        folder=flags.drafts_folder or acc.drafts_folder,
        directory=flags.drafts_dir or acc.drafts_dir or state_dir / "drafts",
        dry_run=flags.dry_run,
    )


def _notify_plan(flags: Flags, config: ConfigFile | None) -> NotifyPlan | None:
    file = config.notify if config else NotifyConfig()

    def pick(
        flag_value: T | None, flag: str, file_value: T | None, key: str
    ) -> tuple[T | None, _Origin]:
        return _pick(flag_value, flag, file_value, key, config, "notify")

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
        _check_file(ca_file, origin)
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


# --- Value parsers (UsageError; _Origin turns them into ConfigError for file values) ---------


def parse_zone(name: str | None) -> tzinfo:
    """An IANA zone name; None is the system's zone."""
    if name is None:
        return tz.tzlocal()
    zone = tz.gettz(name)
    if zone is None:
        raise UsageError(
            _("unknown time zone {name!r}").format(name=name),
            hint=_("use an IANA name like Europe/Paris"),
        )
    return zone


def parse_zone_info(name: str) -> ZoneInfo:
    """An IANA zone, for the working-hours calendar (zoneinfo: exact across DST changes)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            _("unknown time zone {name!r}").format(name=name),
            hint=_("use an IANA name like Europe/Paris"),
        ) from None


def _calendar(
    hours: tuple[str | None, _Origin],
    holidays: tuple[str | None, _Origin],
    vacation: tuple[tuple[str, ...] | None, _Origin],
    zone: tzinfo,
) -> WorkCalendar | None:
    """The working calendar from --working-hours, --holidays and --vacation (None: none)."""
    (hours_text, hours_origin), (code, code_origin), (days, days_origin) = hours, holidays, vacation
    if hours_text is None:
        for value, origin in ((code, code_origin), (days, days_origin)):
            if value:
                origin.parse(_needs_hours, origin.describe())
        return None
    return WorkCalendar(
        hours_origin.parse(parse_working_hours, hours_text),
        zone,
        None if code is None else code_origin.parse(parse_holidays, code),
        tuple(days_origin.parse(parse_days_off, text) for text in days or ()),
    )


def _needs_hours(what: str) -> None:
    raise UsageError(
        _("{what} needs working hours").format(what=what),
        hint=_('add --working-hours "mon-fri 09:00-17:00"'),
    )


def parse_working_hours(text: str) -> tuple[DayHours, ...]:
    """--working-hours "mon-fri 09:00-12:00,14:00-18:00; sat 10:00-12:00"."""
    try:
        return parse_hours(text)
    except WorkTimeError as exc:
        raise UsageError(
            _("invalid working hours: {reason}").format(reason=_worded(exc)),
            hint=_('like "mon-fri 09:00-12:00,14:00-18:00"'),
        ) from None


def parse_holidays(text: str) -> str:
    """--holidays FR or FR-57: a country, optionally a region, the `holidays` package knows."""
    code = text.strip().upper()
    try:
        holiday_dates(code, 2024)  # any year: an unknown code fails in every one
    except WorkTimeError as exc:
        raise UsageError(
            _worded(exc), hint=_("use a country code like FR, BE, CA, or FR-57")
        ) from None
    return code


def parse_days_off(text: str) -> tuple[date, date]:
    """--vacation 2026-08-03..2026-08-21, or one day 2026-05-15."""
    try:
        return parse_vacation(text)
    except WorkTimeError as exc:
        raise UsageError(_worded(exc)) from None


def _worded(error: WorkTimeError) -> str:
    """The core's reason, in the owner's language."""
    return marked(error.template).format(**error.values)


def parse_sla(text: str, calendar: WorkCalendar | None) -> tuple[timedelta, bool]:
    """--sla: wall-clock ("24h", "2d") or business time ("4 business hours", "1 business
    day", "8bh", "1bd"), with whether it is business time. A business day is the working
    time of one opening day (worktime.day_seconds)."""
    business = parse_business_duration(text)
    if business is None:
        return parse_duration(text), False
    if calendar is None:
        raise UsageError(
            _("a business-time SLA ({sla!r}) needs working hours").format(sla=text.strip()),
            hint=_('add --working-hours "mon-fri 09:00-17:00", or give the SLA as 24h'),
        )
    amount, unit = business
    return timedelta(seconds=amount * (3600 if unit == "h" else day_seconds(calendar))), True


def _local_relative(source: str, origin: _Origin) -> str:
    """A relative mail path in the file is relative to the file, like every path there."""
    if origin.config is None or "://" in source or ":" in source.split("/")[0]:
        return source
    return str(file_path(source, origin.config.path))


def _check_lang(lang: str) -> None:
    if lang not in SUPPORTED_LANGUAGES:
        raise UsageError(_("unknown language {name!r}").format(name=lang), hint=_("use fr or en"))


def _internal_domain(text: str) -> str:
    """A domain named as a colleagues': "shop.example" or "@shop.example", never a webmail's."""
    domain = text.strip().lstrip("@").rstrip(".").lower()
    if not domain or "." not in domain or any(c in domain for c in "@ /\\,;<>"):
        raise UsageError(
            _("invalid internal domain {text!r}").format(text=text),
            hint=_("give a domain: shop.example"),
        )
    if is_public_mail_domain(domain):
        raise UsageError(
            _("{domain} is a public mail domain: its users are not your colleagues").format(
                domain=domain
            ),
            hint=_("name the domain of your business: shop.example"),
        )
    return domain


def _check_file(path: Path, origin: _Origin) -> None:
    # A configuration error whichever way it was given (the file named does not exist).
    if not path.is_file():
        raise ConfigError(
            _("{setting} {path} is not a readable file").format(
                setting=origin.describe(), path=path
            )
        )


def _check_timeout(value: float) -> None:
    if value < 1:
        raise UsageError(
            _("timeout must be at least 1 second, not {value}").format(value=f"{value:g}")
        )


def _auth_method(text: str) -> AuthMethod:
    try:
        return AuthMethod(text)
    except ValueError:
        raise UsageError(
            _("unknown auth method {name!r}").format(name=text), hint=_("use password or oauth2")
        ) from None


def _check_addresses(value: str, *, single: bool) -> None:
    """digest's rules for its headers, checked before the audit runs rather than after."""
    from inbox_audit.outputs.digest import check_addresses  # only runs that send mail

    try:
        check_addresses(value, single=single)
    except ConfigError as exc:  # a flag's value: a usage error (_Origin blames the file's)
        raise UsageError(str(exc), hint=exc.hint) from None
