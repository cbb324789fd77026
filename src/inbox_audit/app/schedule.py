"""The daily job: the command it runs, and its text as a crontab entry or systemd user units."""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from inbox_audit.errors import ExitCode, UsageError
from inbox_audit.i18n import _

if TYPE_CHECKING:
    from inbox_audit.app.config import ConfigFile
    from inbox_audit.app.resolve import RunConfig

_TIME = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


def parse_time(text: str) -> tuple[int, int]:
    """'07:00' -> (7, 0)."""
    match = _TIME.match(text)
    if match is None:
        raise UsageError(
            _("invalid time {text!r}").format(text=text), hint=_("use HH:MM, e.g. 07:30")
        )
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


def daily_job(config: ConfigFile, run: RunConfig, account: str | None, at: str) -> Job:
    """The job that audits `run`'s account of `config` every day at `at` (HH:MM); `account`:
    the --account given, if any."""
    hour, minute = parse_time(at)
    # The file's absolute path: cron and systemd do not see this shell's XDG_CONFIG_HOME.
    command = [executable(), "audit", "--config", str(config.path.resolve())]
    if account is not None or len(config.accounts) > 1:
        command += ["--account", str(run.account)]
    # The state directory too: `schedule --check` reads there what the job did.
    command += ["--state-dir", str(run.state_dir.resolve())]
    if run.notify is None:
        command += ["--quiet", "--format", "summary"]
    else:
        command.append("--scheduled")
    directories = [str(Path(command[0]).parent), "/usr/local/bin", "/usr/bin", "/bin"]
    return Job(
        command=tuple(command),
        hour=hour,
        minute=minute,
        path=":".join(dict.fromkeys(directories)),
        name=f"inbox-audit-{run.account}" if run.account else "inbox-audit",
        mailto_hint=run.notify is None,
    )


def executable() -> str:
    """This program's absolute path: cron's PATH would not find a virtualenv's script."""
    beside = Path(sys.executable).parent / "inbox-audit"
    if beside.exists():
        return str(beside)
    import shutil

    return shutil.which("inbox-audit") or "inbox-audit"


def instructions(job: Job, unit_dir: Path) -> str:
    """What `inbox-audit schedule` prints: the crontab entry, the units and how to start them."""
    out = [crontab_entry(job)]
    for name, text in systemd_units(job).items():
        out.append("# " + _("systemd user unit: {path}").format(path=unit_dir / name) + f"\n{text}")
    timer = f"{job.name}.timer"
    start = f"systemctl --user daemon-reload && systemctl --user enable --now {timer}"
    out.append("# " + _("then: {command}").format(command=start) + "\n")
    return "\n".join(out)
