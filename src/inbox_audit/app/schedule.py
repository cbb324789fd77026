"""The text of a daily job: a crontab entry, or a systemd user service and timer. Pure: no I/O."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from inbox_audit.errors import ExitCode, UsageError

_TIME = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


def parse_time(text: str) -> tuple[int, int]:
    """'07:00' -> (7, 0)."""
    match = _TIME.match(text)
    if match is None:
        raise UsageError(f"invalid time {text!r}", hint="use HH:MM, e.g. 07:30")
    return int(match.group(1)), int(match.group(2))


@dataclass(frozen=True)
class Job:
    """What to run, when, with which PATH."""

    command: tuple[str, ...]  # executable and arguments
    hour: int
    minute: int
    path: str  # PATH for the job: cron's default (/usr/bin:/bin) finds neither us nor `pass`
    name: str = "inbox-audit"  # systemd unit name, without suffix
    mailto_hint: bool = False  # the job prints a summary for cron to mail


def crontab_entry(job: Job) -> str:
    """Lines for `crontab -e`. "%" is a line break to cron (crontab(5)), so it is escaped."""
    command = " ".join(shlex.quote(arg) for arg in job.command).replace("%", "\\%")
    path = shlex.quote(job.path).replace("%", "\\%")
    lines = [f"# inbox-audit, every day at {job.hour:02d}:{job.minute:02d} (crontab -e)"]
    if job.mailto_hint:
        lines.append("# cron emails what the job prints to MAILTO: set MAILTO=you@example.com")
    lines.append(f"{job.minute} {job.hour} * * * PATH={path} {command}")
    return "\n".join(lines) + "\n"


def _systemd_quote(arg: str) -> str:
    """One ExecStart word (systemd.service(5) "Command lines"); "%" starts a specifier."""
    arg = arg.replace("%", "%%")
    if arg and not re.search(r"[\s\"'\\;$]", arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("$", "$$") + '"'


def systemd_units(job: Job) -> dict[str, str]:
    """{file name: content} of a oneshot service and the timer that starts it daily."""
    exec_start = " ".join(_systemd_quote(arg) for arg in job.command)
    service = f"""\
[Unit]
Description=inbox-audit: customers still waiting for an answer

[Service]
Type=oneshot
Environment={_systemd_quote("PATH=" + job.path)}
ExecStart={exec_start}
# Exit {int(ExitCode.OVERDUE_FOUND)} means "overdue messages found": the audit did its job.
SuccessExitStatus={int(ExitCode.OVERDUE_FOUND)}
"""
    if job.mailto_hint:
        service += (
            f"# No [notify] in the config: read the summary with journalctl --user -u {job.name}\n"
        )
    timer = f"""\
[Unit]
Description=Run inbox-audit every day at {job.hour:02d}:{job.minute:02d}

[Timer]
OnCalendar=*-*-* {job.hour:02d}:{job.minute:02d}:00
# A run missed while the machine was off happens at the next boot.
Persistent=true

[Install]
WantedBy=timers.target
"""
    return {f"{job.name}.service": service, f"{job.name}.timer": timer}
