"""The TLS contexts of a run: one per CA file, made once (ahead, on another thread, if asked)."""

from __future__ import annotations

import ssl
import threading
from concurrent.futures import Future
from pathlib import Path

from inbox_audit.errors import ConfigError
from inbox_audit.i18n import _
from inbox_audit.sources.failures import one_line
from inbox_audit.sources.spec import ConnectOptions


def prepare_tls(ca_file: Path | None) -> None:
    """Start making the TLS context that connections trusting `ca_file` will use, on another
    thread: loading the system's CAs takes ~30 ms, during which OpenSSL lets Python go on
    (the CLI imports the audit meanwhile)."""
    with _CONTEXTS_LOCK:
        if ca_file in _CONTEXTS:
            return
        made = _remember(ca_file)
    threading.Thread(target=_make_tls_context, args=(ca_file, made), daemon=True).start()


def tls_context(options: ConnectOptions) -> ssl.SSLContext:
    """The context trusting the system's CAs and `options.ca_file`: made now, or ahead."""
    with _CONTEXTS_LOCK:
        made = _CONTEXTS.get(options.ca_file)
        if made is None:
            made = _remember(options.ca_file)
            here = True
        else:
            here = False
    if here:
        _make_tls_context(options.ca_file, made)
    return made.result()  # a CA file that cannot be used fails every connection alike


# One context for every connection of a run (SSLContext is made to be shared): loading the
# system's CAs takes ~30 ms.
_CONTEXTS: dict[Path | None, Future[ssl.SSLContext]] = {}
_CONTEXTS_LOCK = threading.Lock()


def _remember(ca_file: Path | None) -> Future[ssl.SSLContext]:
    """A new entry of _CONTEXTS (held lock): the last few CA files only (tests use many)."""
    made = _CONTEXTS[ca_file] = Future()
    while len(_CONTEXTS) > 4:
        del _CONTEXTS[next(iter(_CONTEXTS))]
    return made


def _make_tls_context(ca_file: Path | None, made: Future[ssl.SSLContext]) -> None:
    try:
        made.set_result(_new_tls_context(ca_file))
    except BaseException as exc:  # handed to whoever waits for the context
        made.set_exception(exc)


def _new_tls_context(ca_file: Path | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                _("cannot use CA file {path}: {reason}").format(path=ca_file, reason=one_line(exc)),
                hint=_("give a PEM file holding the CA (or the server's own certificate)"),
            ) from exc
    return context
