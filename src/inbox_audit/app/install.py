"""Put the daily job in the crontab or systemd user units, take it out, run it as cron would."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from inbox_audit.app import nightly
from inbox_audit.app.credentials import write_private
from inbox_audit.app.nightly import Outcome
from inbox_audit.app.schedule import Job, crontab_entry, systemd_units
from inbox_audit.errors import ConfigError
from inbox_audit.i18n import _

#: cron's own PATH for a job that sets none (Debian's cron, crontab(5)); the job sets its own.
CRON_PATH = "/usr/bin:/bin"
#: Seconds `schedule --check` lets the job run (a first audit of a big mailbox takes long).
CHECK_TIMEOUT = 1800.0


def _begin(job: Job) -> str:
    return f"# BEGIN {job.name} (managed by: inbox-audit schedule --install/--uninstall)"


def _end(job: Job) -> str:
    return f"# END {job.name}"


def cron_block(job: Job) -> str:
    """The job's lines in the crontab, between markers so that a new install replaces them."""
    return f"{_begin(job)}\n{crontab_entry(job)}{_end(job)}\n"


def without_block(crontab: str, job: Job) -> str:
    """`crontab` with the job's marked block (if any) taken out, every other line kept."""
    kept: list[str] = []
    inside = False
    for line in crontab.splitlines(keepends=True):
        stripped = line.rstrip("\n")
        if stripped.startswith(f"# BEGIN {job.name} "):
            inside = True
        elif inside and stripped == _end(job):
            inside = False
        elif not inside:
            kept.append(line)
    return "".join(kept)


def installed_line(crontab: str, job: Job) -> str | None:
    """The schedule line of the job's block in `crontab`, None when it is not installed."""
    inside = False
    for line in crontab.splitlines():
        if line.startswith(f"# BEGIN {job.name} "):
            inside = True
        elif line == _end(job):
            inside = False
        elif inside and line.strip() and not line.lstrip().startswith("#"):
            return line
    return None


def _crontab() -> str:
    found = shutil.which("crontab")
    if found is None:
        raise ConfigError(
            _("there is no crontab command here"),
            hint=_("install cron (apt-get install cron), or use: {command}").format(
                command="inbox-audit schedule --systemd"
            ),
        )
    return found


def read_crontab() -> str:
    """The user's crontab ('' when there is none)."""
    done = subprocess.run(
        [_crontab(), "-l"], capture_output=True, stdin=subprocess.DEVNULL, check=False
    )
    text = done.stdout.decode("utf-8", "replace")
    if done.returncode == 0:
        return text
    message = done.stderr.decode("utf-8", "replace").strip()
    if "no crontab" in message.lower():
        return ""
    raise ConfigError(
        _("crontab -l failed: {reason}").format(
            reason=message.splitlines()[0] if message else done.returncode
        )
    )


def _write_crontab(text: str) -> None:
    done = subprocess.run([_crontab(), "-"], input=text.encode(), capture_output=True, check=False)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise ConfigError(
            _("crontab refused the new table: {reason}").format(reason=message or done.returncode)
        )


def apply(job: Job, remove: bool, systemd: bool, unit_dir: Path, state_dir: Path) -> list[str]:
    """Install (or remove) the job in the crontab (or as systemd units): what was done, then
    what is left for the owner to run, as lines to print."""
    now = datetime.now(UTC)
    timer = f"{job.name}.timer"
    left: list[str] = []
    if systemd and not remove:
        left = install_systemd(job, unit_dir)
        done = _("installed {timer} in {directory}").format(timer=timer, directory=unit_dir)
    elif systemd:
        removed, left = uninstall_systemd(job, unit_dir)
        done = (_("removed {timer}") if removed else _("{timer} was not installed")).format(
            timer=timer
        )
    else:
        changed, backup = (uninstall_cron if remove else install_cron)(job, state_dir, now)
        if remove:
            done = _("removed from your crontab") if changed else _("was not in your crontab")
        else:
            done = _("installed in your crontab") if changed else _("already in your crontab")
        if backup:
            done += " " + _("(previous crontab saved to {path})").format(path=backup)
    told = [f"{job.name}: {done}"]
    if left:
        told.append(_("then run: {commands}").format(commands=" && ".join(left)))
    if not remove:
        told.append(
            _("every day at {time}; try it now with: {command}").format(
                time=f"{job.hour:02d}:{job.minute:02d}",
                command="inbox-audit schedule --check" + (" --systemd" if systemd else ""),
            )
        )
    return told


def install_cron(job: Job, state_dir: Path, now: datetime) -> tuple[bool, Path | None]:
    """Add or replace the job's block; (changed, the backup of the previous crontab)."""
    current = read_crontab()
    others = without_block(current, job)
    wanted = others + ("" if not others or others.endswith("\n") else "\n") + cron_block(job)
    if wanted == current:
        return False, None
    return True, _replace_crontab(current, wanted, state_dir, now)


def uninstall_cron(job: Job, state_dir: Path, now: datetime) -> tuple[bool, Path | None]:
    """Take the job's block out; (changed, the backup of the previous crontab)."""
    current = read_crontab()
    wanted = without_block(current, job)
    if wanted == current:
        return False, None
    return True, _replace_crontab(current, wanted, state_dir, now)


def _replace_crontab(current: str, wanted: str, state_dir: Path, now: datetime) -> Path | None:
    backup = None
    if current:
        backup = state_dir / f"crontab.backup-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}"
        try:
            write_private(backup, current)  # a crontab may hold other jobs' secrets
        except OSError as exc:
            raise ConfigError(
                _("cannot back up the crontab in {path}: {reason}").format(
                    path=backup, reason=exc.strerror
                )
            ) from None
    _write_crontab(wanted)
    return backup


# --- systemd user units ---------------------------------------------------------------------


def install_systemd(job: Job, unit_dir: Path) -> list[str]:
    """Write the units and start the timer; the commands left to run by hand (none when
    systemctl did them)."""
    try:
        unit_dir.mkdir(parents=True, exist_ok=True)
        for name, text in systemd_units(job).items():
            (unit_dir / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            _("cannot write {path}: {reason}").format(path=unit_dir, reason=exc.strerror)
        ) from None
    steps = [["daemon-reload"], ["enable", "--now", f"{job.name}.timer"]]
    return _systemctl(steps)


def uninstall_systemd(job: Job, unit_dir: Path) -> tuple[bool, list[str]]:
    """Stop the timer and remove the units; (anything removed, commands left to run)."""
    left = _systemctl([["disable", "--now", f"{job.name}.timer"]])
    removed = False
    for name in systemd_units(job):
        path = unit_dir / name
        if path.exists():
            path.unlink()
            removed = True
    return removed, left + _systemctl([["daemon-reload"]])


def _systemctl(steps: list[list[str]]) -> list[str]:
    """Run `systemctl --user` steps; once one fails (no user session: ssh without lingering,
    a container), the rest are returned for the owner to run."""
    found = shutil.which("systemctl")
    for index, step in enumerate(steps):
        if found is None or (
            subprocess.run(
                [found, "--user", *step],
                capture_output=True,
                stdin=subprocess.DEVNULL,
                check=False,
            ).returncode
            != 0
        ):
            return ["systemctl --user " + " ".join(rest) for rest in steps[index:]]
    return []


# --- schedule --check: the job once, the way cron runs it -----------------------------------


@dataclass(frozen=True)
class Ran:
    """What one run of the installed job did."""

    exit_code: int
    stdout: str
    stderr: str


def cron_environment() -> dict[str, str]:
    """What cron gives a job (crontab(5)): HOME, LOGNAME, SHELL=/bin/sh and its short PATH;
    nothing of this shell (no DISPLAY, no D-Bus, no XDG_*, no INBOX_AUDIT_PASSWORD)."""
    import pwd

    entry = pwd.getpwuid(os.getuid())
    home = os.environ.get("HOME") or entry.pw_dir  # a test's fresh HOME is cron's too
    return {
        "HOME": home,
        "LOGNAME": entry.pw_name,
        "USER": entry.pw_name,
        "SHELL": "/bin/sh",
        "PATH": CRON_PATH,
    }


def cron_command(line: str) -> str:
    """The shell command of a crontab line: after the five time fields; "\\%" is "%" there
    (we never write a bare "%", which cron would turn into a line break)."""
    fields = line.split(None, 5)
    if len(fields) < 6:
        raise ConfigError(
            _("the installed crontab line is not a cron entry: {line!r}").format(line=line)
        )
    return fields[5].replace("\\%", "%")


def run_like_cron(argv: list[str], env: dict[str, str], timeout: float = CHECK_TIMEOUT) -> Ran:
    """Run `argv` with `env` only, no stdin, no terminal (a new session has none)."""
    try:
        done = subprocess.run(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            start_new_session=True,
            cwd=env["HOME"] if Path(env["HOME"]).is_dir() else "/",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ConfigError(
            _("the job did not finish within {seconds:g} s").format(seconds=timeout)
        ) from None
    except OSError as exc:
        raise ConfigError(
            _("the job could not start: {reason}").format(reason=exc.strerror)
        ) from None
    return Ran(
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )


def check(job: Job, systemd: bool, unit_dir: Path, state_dir: Path) -> tuple[list[str], int]:
    """Run the installed job once as its scheduler would; what the owner receives (lines to
    print) and the exit code of `schedule --check` (0: the owner got the summary)."""
    env = cron_environment()
    if systemd:
        service = unit_dir / f"{job.name}.service"
        if not service.is_file():
            raise ConfigError(
                _("no {path}").format(path=service),
                hint=_("run: {command}").format(command="inbox-audit schedule --install --systemd"),
            )
        if service.read_text(encoding="utf-8") != systemd_units(job)[service.name]:
            raise ConfigError(
                _("{path} is not the job of this configuration").format(path=service),
                hint=_("run: {command}").format(command="inbox-audit schedule --install --systemd"),
            )
        argv, env["PATH"] = list(job.command), job.path
        how = _("as systemd runs {unit}").format(unit=service.name)
    else:
        line = installed_line(read_crontab(), job)
        if line is None:
            raise ConfigError(
                _("{job} is not in your crontab").format(job=job.name),
                hint=_("run: {command}").format(command="inbox-audit schedule --install"),
            )
        argv = ["/bin/sh", "-c", cron_command(line)]
        how = _("as cron runs it (empty environment, no terminal, no stdin)")
    before = nightly.outcome_stamp(state_dir)
    ran = run_like_cron(argv, env)
    # Only an outcome this run wrote tells about it (a failure may come before any is written).
    outcome = (
        nightly.load_outcome(state_dir) if nightly.outcome_stamp(state_dir) != before else None
    )
    told, code = _what_the_owner_gets(job, ran, outcome, state_dir)
    ran_line = _("ran the installed job {how}: exit {code}").format(how=how, code=ran.exit_code)
    return [ran_line, *told], code


def _what_the_owner_gets(
    job: Job, ran: Ran, outcome: Outcome | None, state_dir: Path
) -> tuple[list[str], int]:
    errors = [line for line in ran.stderr.splitlines() if line.strip()]
    if job.mailto_hint:
        # No [notify]: the job prints a summary, and cron mails it (MAILTO, else the user).
        if ran.exit_code in (0, 1) and ran.stdout.strip():
            return [
                _("cron will mail you this (set MAILTO in the crontab to choose where):"),
                *ran.stdout.rstrip().splitlines(),
            ], 0
        failed = _("the job failed; cron would mail you its error:")
        return [failed, *errors], ran.exit_code or 5
    if outcome is None:
        failed = _("the job failed before it could email anything:")
        return [failed, *errors], ran.exit_code or 5
    if outcome.emailed_to and not outcome.problems:
        return [_("OK: the summary was sent to {to}").format(to=outcome.emailed_to)], 0
    if not outcome.problems:
        return [_("OK: nothing overdue, so no email tonight (only_if_late = true)")], 0
    problems = [f"  {problem}" for problem in outcome.problems]
    if outcome.emailed_to:
        return [
            _("the audit failed; {to} was sent this error:").format(to=outcome.emailed_to),
            *problems,
        ], outcome.exit_code
    return [
        _(
            "NOTHING reached the owner; the report is kept in {path} and the next email "
            "will say so:"
        ).format(path=state_dir / "undelivered"),
        *problems,
    ], outcome.exit_code or 6
