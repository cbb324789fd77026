"""The terminal through rich: progress, warnings and errors on stderr; the table on stdout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from inbox_audit.errors import InboxAuditError
from inbox_audit.i18n import _, marked

if TYPE_CHECKING:
    from rich.console import Console

    from inbox_audit.sources.spec import Progress

# rich is imported where it is used, never at the top: a quiet run that prints nothing does
# without it (it costs tens of ms to import, issue #3).


def stderr_console() -> Console:
    """A console on stderr, for everything but the report."""
    from rich.console import Console

    # soft_wrap: an error stays one line however narrow the terminal (cron mails, log greps).
    return Console(stderr=True, highlight=False, soft_wrap=True)


def table_console() -> Console:
    """A console on stdout for the table: the terminal's width, else a readable one."""
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:
        # Piped or run by cron: no terminal width to fit, so use a readable one.
        console = Console(highlight=False, width=120)
    return console


def escape(text: str) -> str:
    """rich.markup.escape, imported once something is printed: a quiet run prints nothing."""
    from rich.markup import escape as escape_markup

    return escape_markup(text)


def warn(text: str) -> None:
    """One yellow warning line on stderr."""
    stderr_console().print(f"[yellow]inbox-audit: {escape(_('warning:'))}[/] {escape(text)}")


def print_error(error: InboxAuditError) -> None:
    """The error in one red line on stderr, then its hint."""
    console = stderr_console()
    message, hint = worded(error)
    console.print(f"[bold red]inbox-audit: {escape(_('error:'))}[/] {escape(message)}")
    if hint:
        console.print(f"  {escape(_('hint:'))} {escape(hint)}")


def worded(error: InboxAuditError) -> tuple[str, str | None]:
    """The error's message and hint in the owner's language: its N_() templates translated
    when it carries them (errors raised below the app), else its text as raised."""
    if error.values is None:
        return str(error), error.hint
    hint = error.hint_template
    return (
        marked(error.template).format(**error.values),
        None if hint is None else marked(hint).format(**error.values),
    )


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Progress | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""
    if not enabled:  # before making a console: --quiet runs do without rich
        yield None
        return
    console = stderr_console()
    if not console.is_terminal:
        yield None
        return
    from rich import progress as bars

    columns = (
        bars.TextColumn("{task.description}"),
        bars.BarColumn(),
        bars.MofNCompleteColumn(),
        bars.TimeRemainingColumn(),
    )
    with bars.Progress(*columns, console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(folder: str, done: int, total: int) -> None:
            if folder not in tasks:
                tasks[folder] = int(bar.add_task(folder.replace("[", "\\["), total=total))
            bar.update(tasks[folder], completed=done, total=total)  # type: ignore[arg-type]

        yield update
