"""Logging in: the IMAP and SMTP secrets resolved, and the one place the app connects to IMAP."""

from __future__ import annotations

import sys
from dataclasses import replace

from inbox_audit.app.console import warn
from inbox_audit.app.credentials import AuthMethod, Prompt
from inbox_audit.app.credentials import resolve as resolve_secret
from inbox_audit.app.resolve import RunConfig
from inbox_audit.outputs.notify import SmtpTarget
from inbox_audit.sources.imap import ImapSource
from inbox_audit.sources.spec import ConnectOptions, ImapTarget
from inbox_audit.sources.tls import prepare_tls


def open_imap(target: ImapTarget, options: ConnectOptions) -> ImapSource:
    """Log in to the IMAP server (a context manager): the one place the app connects, for the
    audit and for init's login test."""
    return ImapSource.connect(target, options)


def _prompt() -> Prompt | None:
    """A hidden prompt when someone is at the keyboard; None under cron."""
    if not sys.stdin.isatty():
        return None
    import getpass

    return getpass.getpass


def login_options(run: RunConfig) -> ConnectOptions:
    """How to log in, asked once a run (the audit and the drafts' writer both use it): the
    IMAP login's secret (env, command, keyring, prompt) and how to connect."""
    if isinstance(run.target, ImapTarget):
        prepare_tls(run.ca_file)
    password = token = ""
    if run.credentials is not None:
        secret = resolve_secret(run.credentials, prompt=_prompt())
        if secret.auth is AuthMethod.OAUTH2:
            token = secret.value
        else:
            password = secret.value
    return ConnectOptions(
        password=password,
        oauth2_token=token,
        ca_file=run.ca_file,
        allow_plaintext=run.allow_plaintext,
        timeout=run.timeout,
        warn=warn,
    )


def smtp_target(run: RunConfig) -> SmtpTarget | None:
    """The SMTP server with its password, resolved before the audit so a missing one is told
    at once rather than after minutes of reading mail."""
    if run.notify is None:
        return None
    target = run.notify.smtp
    if run.notify.credentials is None:
        return target
    secret = resolve_secret(run.notify.credentials, prompt=_prompt())
    return replace(target, password=secret.value)
