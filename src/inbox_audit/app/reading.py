"""The run's report: the source read (through the cache over IMAP) and audited, or kept audits."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from inbox_audit.app.config import default_cache_dir
from inbox_audit.app.console import progress_bar, warn
from inbox_audit.app.login import open_imap
from inbox_audit.app.resolve import RunConfig
from inbox_audit.errors import ConfigError
from inbox_audit.i18n import _, ngettext
from inbox_audit.model import AuditReport
from inbox_audit.settings import Settings
from inbox_audit.sources.imap import ImapSource
from inbox_audit.sources.spec import ConnectOptions, ImapTarget, LocalTarget
from inbox_audit.store.cache import MailCache, default_cache_path
from inbox_audit.store.cache_errors import CacheUnusable, CacheUnwritable

if TYPE_CHECKING:
    from inbox_audit.sources.spec import MailSource, Progress
    from inbox_audit.store.snapshot import Outline
    from inbox_audit.store.sync import Synced

# Modules only some runs need are imported where they are used: the nightly run that finds
# nothing new must start fast (issue #3: 0.5 s in all), and the audit core, the local-store
# reader and the store's snapshot each cost tens of ms to import.


@dataclass(frozen=True)
class Shown:
    """What this run's outputs show of a report: what a re-dated snapshot must provide."""

    every_message: bool  # JSON and CSV list every message and thread: no snapshot has them
    replies: int | None  # holding replies of the first N waiting threads (None: all)
    threads: int | None  # threads listed of each kind, waiting and answered late (None: all)


def read_report(
    run: RunConfig,
    options: ConnectOptions,
    moment: datetime,
    show_progress: bool,
    no_cache: bool,
    shown: Shown,
) -> AuditReport | Outline:
    """Read the source and audit it as of `moment`; a report that cannot be right is refused
    (`_check_sound`).

    Over IMAP the mailbox is read through the cache unless `no_cache`. When the cache shows
    the mailbox unchanged since the last audit, that audit's snapshot is re-dated instead of
    auditing every message again, unless the output lists every message (`shown`): then
    only what the outputs show is built (an Outline).
    """
    target, settings = run.target, run.settings
    result: AuditReport | Outline
    with progress_bar(show_progress) as progress:
        if isinstance(target, LocalTarget):
            from inbox_audit.sources.local import LocalSource

            with LocalSource.open(target.path) as local:
                result = _audit_all(
                    local, target.display(), settings, moment, shown.replies, progress
                )
        else:
            cache_path = None if no_cache else _cache_path(run)
            with open_imap(target, options) as source:
                result = _read_imap(
                    source, target.display(), settings, cache_path, moment, shown, progress
                )
    _check_sound(result if isinstance(result, AuditReport) else result.report)
    return result


def _read_imap(
    source: ImapSource,
    display: str,
    settings: Settings,
    cache_path: Path | None,
    moment: datetime,
    shown: Shown,
    progress: Progress | None,
) -> AuditReport | Outline:
    """The report through the cache at `cache_path` (None: without one)."""
    cache = _open_cache(cache_path) if cache_path is not None else None
    if cache is not None:
        try:
            return _report_cached(source, display, settings, cache, moment, shown, progress)
        except CacheUnwritable as exc:
            # Left as it was (each folder is one transaction): read it all instead.
            warn(_without_cache(cache.path, exc))
        finally:
            cache.close()
    return _audit_all(source, display, settings, moment, shown.replies, progress)


def _audit_all(
    source: MailSource,
    display: str,
    settings: Settings,
    moment: datetime,
    replies: int | None,
    progress: Progress | None,
) -> AuditReport:
    """Read every message of `source` and audit them, without a cache."""
    from inbox_audit.core.audit import audit
    from inbox_audit.sources.read import collect

    return audit(collect(source, display, settings, progress), settings, moment, replies)


def _report_cached(
    source: ImapSource,
    display: str,
    settings: Settings,
    cache: MailCache,
    moment: datetime,
    shown: Shown,
    progress: Progress | None,
) -> AuditReport | Outline:
    from inbox_audit.store import snapshot
    from inbox_audit.store.sync import load_or_rebuild, sync

    synced = sync(source, display, settings, cache, warn, progress)
    key = snapshot.key(synced.folders, settings)
    if not shown.every_message and not synced.problems:
        kept = _kept_report(synced, settings, cache, key, moment, shown)
        if kept is not None:
            return kept
    collected = load_or_rebuild(source, synced, settings, cache, warn, progress)
    # The folders read whole are in `collected` now: holding them twice (as synced.fresh)
    # was ~7 MB more through the audit at 100,000 messages.
    problems = synced.problems
    del synced
    from inbox_audit.core.audit import audit_examined

    report, found = audit_examined(collected, settings, moment, shown.replies)
    if not problems:
        horizon = snapshot.horizon(collected.messages, moment)
        try:
            from inbox_audit.store import incremental

            # The ledger first: its rebuild streams every copy's part into the cache, and the
            # snapshot's pickle after it reuses that memory (the first run's peak RSS at
            # 100,000 messages: ~297 -> ~293 MB).
            if incremental.stale(cache, collected.folders, settings, moment):
                incremental.rebuild(cache, collected, report, found, settings)
            # What only the ledger reads goes before the snapshot is pickled: the messages
            # the report does not list (the owner's sent mail, copies, drafts) and the
            # audit's groups and language signs of every thread.
            del collected, found
            # One expression: neither the snapshot nor its bytes outlive their saving.
            cache.save_snapshot(key, snapshot.dumps(snapshot.take(report, horizon)))
        except (CacheUnusable, CacheUnwritable) as exc:
            warn(
                _("could not save the audit in the cache {path} ({reason})").format(
                    path=cache.path, reason=exc
                )
            )
    return report


def _kept_report(
    synced: Synced,
    settings: Settings,
    cache: MailCache,
    key: str,
    moment: datetime,
    shown: Shown,
) -> Outline | None:
    """The report from what the cache kept of the last audits, without auditing every
    message: the snapshot re-dated, or the ledger brought up to date. None when a full audit
    is needed (then what was read here is freed before it)."""
    from inbox_audit.store import snapshot

    with contextlib.suppress(CacheUnusable):  # then the full read rebuilds it
        data = cache.snapshot(key)
        kept = snapshot.loads(data) if data is not None else None
        if kept is not None and snapshot.usable(kept, moment):
            return snapshot.outline(kept, settings, moment, shown.replies, shown.threads)
        # Some mail changed: audit again only the conversations it touches.
        from inbox_audit.store import incremental

        kept = incremental.update(cache, synced, settings, moment)
        if kept is not None:
            return snapshot.outline(kept, settings, moment, shown.replies, shown.threads)
    return None


def account_name(run: RunConfig, target: ImapTarget) -> str:
    """The account's name for its files: the configured name, else user@host:port."""
    # The port too: two servers on one host (test servers on random ports, a provider's
    # second IMAP endpoint) are two mailboxes, and one's cache must never answer for the other.
    return run.account or f"{target.user}@{target.host}:{target.port}"


def _cache_path(run: RunConfig) -> Path | None:
    """The account's cache file: $XDG_CACHE_HOME/inbox-audit/<account or user@host:port>.sqlite."""
    if not isinstance(run.target, ImapTarget):
        return None  # local files are read whole: nothing to save
    return default_cache_path(default_cache_dir(), account_name(run, run.target))


def _open_cache(path: Path) -> MailCache | None:
    try:
        return MailCache.open(path, warn)
    except (OSError, CacheUnusable, CacheUnwritable) as exc:
        # A cache that cannot be written must not stop the audit: read everything instead.
        warn(_without_cache(path, exc))
        return None


def _without_cache(path: Path, exc: Exception) -> str:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return _(
        "cannot write the cache {path} ({reason}); reading the whole mailbox without it"
    ).format(path=path, reason=reason)


def _check_sound(report: AuditReport) -> None:
    """Say what an empty source held, and refuse a report that cannot be right: with none of
    the owner's addresses known, every message would be a customer's, every reply unseen."""
    s = report.summary
    read = s.customer_messages + s.not_customer + s.outbound + s.duplicates + s.drafts
    read += s.after_as_of
    if read == 0:
        if s.unreadable:
            warn(
                ngettext(
                    "read 0 messages from {source} ({count} could not be read)",
                    "read 0 messages from {source} ({count} could not be read)",
                    s.unreadable,
                ).format(source=report.source, count=s.unreadable)
            )
        else:
            warn(_("read 0 messages from {source}").format(source=report.source))
    if not report.identities:
        raise ConfigError(
            _("none of your addresses is known, so no reply of yours can be recognised")
            if read == 0
            else _(
                "none of your addresses is known, so no reply of yours can be recognised"
                " (no Sent folder shows them)"
            ),
            hint=_("give yours with --me ADDRESS (repeatable), or me = [...] in the config file"),
        )
