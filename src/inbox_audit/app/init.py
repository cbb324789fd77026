"""`inbox-audit init`: ask for the mailbox, test the login, detect Sent, write a private config."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from inbox_audit.app.config import default_config_path, parse_config, render_config
from inbox_audit.app.console import escape, stderr_console, warn
from inbox_audit.app.credentials import PASSWORD_ENV, keyring_set
from inbox_audit.app.run import open_imap
from inbox_audit.dirs import private_dir
from inbox_audit.errors import ConfigError, UsageError
from inbox_audit.i18n import _
from inbox_audit.model import FolderRole, Unreadable
from inbox_audit.settings import parse_duration
from inbox_audit.sources.spec import ConnectOptions, ImapTarget, parse_source

if TYPE_CHECKING:
    from inbox_audit.sources.imap import ImapSource


def write_first_config(config_path: Path | None, ca_file: Path | None, timeout: float) -> Path:
    """Ask, test the login, detect, and write the config file (mode 0600, no password in it).

    Returns the file written; an InboxAuditError says why nothing was."""
    import tomllib
    from urllib.parse import quote

    path = (config_path or default_config_path()).expanduser()
    try:
        if path.exists() and not typer.confirm(
            _("{path} exists. Replace it?").format(path=path), default=False
        ):
            raise UsageError(
                _("{path} exists; nothing written").format(path=path),
                hint=_("use --config OTHER.toml"),
            )
        if ca_file is not None and not ca_file.is_file():
            raise ConfigError(_("--ca-file {path} is not a readable file").format(path=ca_file))
        server = typer.prompt(_("IMAP server (host or host:port)")).strip()
        host, _colon, port_text = (
            server.rpartition(":") if server.count(":") == 1 else (server, "", "")
        )
        host = host or server
        port = int(port_text) if port_text.isdigit() else 993
        user = typer.prompt(_("User name")).strip()
        scheme = "imap" if port == 143 else "imaps"  # 143: STARTTLS; anything else: TLS
        source = f"{scheme}://{quote(user, safe='')}@{host}:{port}"
        target = parse_source(source)
        assert isinstance(target, ImapTarget)
        password = os.environ.get(PASSWORD_ENV) or typer.prompt(_("Password"), hide_input=True)
        options = ConnectOptions(password=password, ca_file=ca_file, timeout=timeout)
        stderr_console().print(
            "inbox-audit: " + _("logging in to {server}...").format(server=escape(target.display()))
        )
        with open_imap(target, options) as imap:
            sent, addresses = detect(imap)
        stderr_console().print(
            "inbox-audit: "
            + _("login works; Sent folder: {sent}; your addresses: {addresses}").format(
                sent=escape(sent or _("not found")),
                addresses=escape(", ".join(addresses) or _("none found")),
            )
        )
        account = typer.prompt(_("Account name"), default="mail").strip()
        default_me = ", ".join(addresses or ([user] if "@" in user else []))
        me_text = typer.prompt(_("Your addresses (comma separated)"), default=default_me)
        me = tuple(a.strip().lower() for a in me_text.split(",") if a.strip())
        sla = typer.prompt(_("Answer customers within"), default="24h").strip()
        parse_duration(sla)
        email_to = typer.prompt(
            _("Email the report to (empty: print it)"), default="", show_default=False
        ).strip()
        smtp = None
        if email_to:
            smtp = typer.prompt(
                _("SMTP server"), default=f"smtps://{quote(user, safe='')}@{host}"
            ).strip()
        text = render_config(
            account=account,
            source=source,
            me=me,
            sent_folder=sent,
            sla=sla,
            ca_file=ca_file.resolve() if ca_file else None,
            email_to=email_to or None,
            smtp=smtp,
        )
        parse_config(tomllib.loads(text), path)  # what we write, we can read
        if typer.confirm(_("Store the password in the OS keyring?"), default=True):
            try:
                backend = keyring_set(account, password)
            except ConfigError as error:
                warn(f"{error}; set password_command in {path} instead")
            else:
                stderr_console().print(
                    "inbox-audit: "
                    + _("password stored in {backend}").format(backend=escape(backend))
                )
        write_private(path, text)
    except OSError as exc:
        raise ConfigError(
            _("cannot write {path}: {reason}").format(path=path, reason=exc.strerror)
        ) from None
    return path


def detect(source: ImapSource) -> tuple[str | None, list[str]]:
    """The Sent folder, and the addresses that sent from it (most used first)."""
    from inbox_audit.core.folders import assign_roles
    from inbox_audit.core.headers import UnparsableMessage, parse_message

    folders = assign_roles(source.list_folders())
    sent = next((f.name for f in folders if f.role is FolderRole.SENT), None)
    if sent is None:
        return None, []
    senders: Counter[str] = Counter()
    for item in source.fetch(sent):
        if isinstance(item, Unreadable):
            continue
        try:
            message = parse_message(item)
        except UnparsableMessage:
            continue
        if message.from_ is not None and message.from_.email:
            senders[message.from_.email] += 1
    # An address seen once may be a customer's message filed in Sent by mistake.
    mine = [address for address, count in senders.most_common() if count >= 2]
    return sent, mine or [address for address, _count in senders.most_common(1)]


def write_private(path: Path, text: str) -> None:
    """Create or replace `path` with mode 0600 (never readable by others, even for a moment)."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(out.fileno(), 0o600)  # an existing file keeps its mode through O_TRUNC
        out.write(text)
