"""Run the installed CLI as a user would, and measure it: wall time, and the peak RSS of
every process of the run (the CLI and whatever it starts, waited for or not)."""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

_PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>


@dataclasses.dataclass(frozen=True)
class Run:
    """One run of a command."""

    seconds: float  # until the CLI itself exits, as a shell sees it
    peak_rss_mb: float  # the largest of any of its processes
    processes: int  # the CLI, plus descendants it left for the launcher to reap
    code: int
    stdout: bytes = b""


def adopt_orphans() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux), so that a helper
    the CLI does not wait for is still reaped, and measured, here."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def run(
    command: Sequence[str],
    env: Mapping[str, str],
    *,
    keep_output: bool = True,
    ok_codes: Sequence[int] = (0,),
    timeout: float = 900.0,
) -> Run:
    """Run `command` in a session of its own; its output is kept (or sent to /dev/null).

    It is started by a small launcher (this file run as a script, `_launch`), which times it
    and reads its peak RSS: Linux gives a process started from this one the high-water mark of
    this one's memory, as its mapping is copied before the exec (a bench holding a generated
    mailbox of 100,000 messages made every run look 250 MB large); the launcher's own memory
    is a bare interpreter's.
    """
    with (
        tempfile.TemporaryFile() as output,
        tempfile.TemporaryFile() as errors,
        tempfile.TemporaryFile() as report,
    ):
        launcher = subprocess.run(
            [sys.executable, "-S", "-E", __file__, str(report.fileno()), str(timeout), *command],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=output if keep_output else subprocess.DEVNULL,
            stderr=errors,
            pass_fds=(report.fileno(),),
            check=False,
        )
        output.seek(0)
        errors.seek(0)
        report.seek(0)
        stdout, stderr, measured = output.read(), errors.read(), report.read()
    if launcher.returncode != 0 or not measured:
        raise RuntimeError(f"the launcher failed ({launcher.returncode}): {stderr[-3000:]!r}")
    seconds, peak, count, code = json.loads(measured)
    if code not in ok_codes:
        raise RuntimeError(
            f"{Path(command[0]).name} exited {code}: {stderr.decode(errors='replace')[-3000:]}"
        )
    return Run(seconds, peak / 1024, count, code, stdout)  # ru_maxrss is in KiB on Linux


def _launch(args: Sequence[str]) -> int:
    """The launcher: run the command, reap it and what it left behind (this process is their
    subreaper), and write [seconds, peak RSS in KiB, processes, exit code] to the report fd."""
    report, timeout, command = int(args[0]), float(args[1]), list(args[2:])
    adopt_orphans()
    started = time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
    guard = threading.Timer(timeout, _kill_group, (process.pid,))
    guard.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    except BaseException:
        _kill_group(process.pid)
        raise
    finally:
        guard.cancel()
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    peak, count = usage.ru_maxrss, 1
    for left in _reap_group(process.pid, time.monotonic() + 60):
        peak, count = max(peak, left.ru_maxrss), count + 1
    with os.fdopen(report, "w") as out:
        json.dump([seconds, peak, count, code], out)
    return 0


def _kill_group(group: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(group, signal.SIGKILL)


def _reap_group(group: int, deadline: float) -> list[resource.struct_rusage]:
    """Descendants of the run in its process group, reaped here as they end."""
    usages: list[resource.struct_rusage] = []
    while True:
        try:
            found, _, usage = os.wait4(-group, os.WNOHANG)
        except ChildProcessError:
            return usages
        if found:
            usages.append(usage)
        elif time.monotonic() > deadline:
            _kill_group(group)
            print(f"bench: processes of group {group} outlived the run; killed", file=sys.stderr)
            return usages
        else:
            time.sleep(0.005)


if __name__ == "__main__":  # the launcher (`run`)
    sys.exit(_launch(sys.argv[1:]))
