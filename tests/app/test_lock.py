"""One audit of a mailbox at a time: the lock file, who holds it, and a state dir without one."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_audit.app.lock import run_lock
from inbox_audit.app.resolve import Flags, RunConfig, resolve
from inbox_audit.errors import AlreadyRunning, ExitCode


def local_run(tmp_path: Path, state_dir: Path) -> RunConfig:
    mbox = tmp_path / "mail.mbox"
    mbox.write_bytes(b"")
    return resolve(Flags(source=str(mbox), state_dir=state_dir), None, env={})


def test_a_second_run_of_the_same_mailbox_is_refused_and_told_who_holds_it(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    run = local_run(tmp_path, state)
    with run_lock(run):
        (lock,) = state.glob("audit-*.lock")
        pid = lock.read_text(encoding="ascii").strip()
        assert pid.isdigit()
        with pytest.raises(AlreadyRunning) as caught, run_lock(run):
            pytest.fail("a second run got the lock")
    assert f"(pid {pid})" in str(caught.value)
    assert caught.value.exit_code is ExitCode.ALREADY_RUNNING
    assert caught.value.hint is not None and str(lock) in caught.value.hint
    assert list(state.glob("*.lock")) == []  # removed by the run that held it
    with run_lock(run):  # and free again
        assert list(state.glob("*.lock")) == [lock]


def test_a_state_dir_that_cannot_be_made_warns_and_runs_anyway(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="ascii")
    ran = False
    with run_lock(local_run(tmp_path, blocker / "state")):
        ran = True
    assert ran
    err = capsys.readouterr().err
    assert "inbox-audit: warning: cannot create the lock file" in err
    assert "running without it" in err
