"""One run's settings: flags > config file > defaults merged and checked into a frozen RunConfig.

Values from the file that are wrong are configuration errors (exit 3); the same values given
as flags are usage errors (exit 2).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from inbox_audit import i18n
from inbox_audit.app.config import (
    AccountConfig,
    ConfigFile,
    default_config_path,
    default_state_dir,
    did_you_mean,
    file_path,
)
from inbox_audit.app.credentials import PASSWORD_ENV, AuthMethod, CredentialSpec
from inbox_audit.app.notify_plan import NotifyPlan, notify_plan
from inbox_audit.app.origin import Origin, Picker, check_file
from inbox_audit.app.time_settings import parse_sla, parse_zone, parse_zone_info, work_calendar
from inbox_audit.core.domains import is_public_mail_domain
from inbox_audit.core.language import SUPPORTED_LANGUAGES
from inbox_audit.core.templates import check_template
from inbox_audit.errors import ConfigError, UsageError
from inbox_audit.i18n import _
from inbox_audit.settings import (
    DraftMode,
    Settings,
    parse_duration,
)
from inbox_audit.sources.spec import ImapTarget, LocalTarget, parse_source

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

    pick = Picker(config, section)
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
    calendar = work_calendar(
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
        check_file(ca_file, origin)
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
    state_dir = state_dir.expanduser()
    return RunConfig(
        target=target,
        account=account.name if account else None,
        settings=settings,
        ca_file=ca_file,
        allow_plaintext=bool(allow_plaintext),
        timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
        credentials=credentials,
        notify=notify_plan(flags, config),
        state_dir=state_dir,
        config_path=config.path if config else None,
        deadline=deadline.total_seconds(),
        drafts=_drafts_plan(flags, acc, state_dir),
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


def _local_relative(source: str, origin: Origin) -> str:
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
