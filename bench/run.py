"""Issue #3 benchmark: cold audits of big mailboxes on a throwaway Dovecot, against the floor.

    .venv/bin/python bench/run.py [--sizes 10000,100000] [--repeat 3] [--rtt-ms 50]

For each size it builds a realistic mailbox (bench/generate.py), loads it with MULTIAPPEND,
then times, each the best of --repeat runs:
- floor: plain imaplib UID FETCH of the same items over TLS, bytes discarded (bench/floor.py);
- cold audit: the real CLI in a fresh process (`inbox-audit audit URL --format json
  --quiet`, output to /dev/null), wall time and its peak RSS;
- the same audit through a loopback proxy adding --rtt-ms of round trip (bench/latency.py);
- the nightly run through the cache (`--format summary`, what cron mails): the first run,
  which builds the cache, then incremental runs with no new mail, after 100 new messages in
  INBOX and after 1,000 more (half from new customers, half follow-ups in existing
  conversations); each incremental report is checked identical to a cold audit's;
- with --breakdown (the default), where the cold audit's time goes: interpreter start and
  imports, connect + fetch, parse, the audit core, JSON rendering, each timed in-process.
Dovecot's own caches are warmed by one untimed floor run first, so both sides read the same
warm server. Everything runs on 127.0.0.1; the server and its files are removed at the end.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import dataclasses
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench`, `tests` and `inbox_audit` importable
    sys.path[:0] = [str(Path(__file__).resolve().parents[1] / d) for d in ("", "src")]

from tests.dovecot import DOVECOT, Appended, DovecotServer, MailUser, start_server

import inbox_audit
from bench import floor, generate
from bench.floor import fetch_floor
from bench.latency import LatencyProxy
from inbox_audit.core.audit import audit
from inbox_audit.core.folders import assign_roles
from inbox_audit.model import ListedFolder, RawMessage, Unreadable
from inbox_audit.outputs.data import render_json
from inbox_audit.settings import Settings
from inbox_audit.sources.imap import ImapSource
from inbox_audit.sources.read import collect
from inbox_audit.sources.spec import Progress

PASSWORD = "bench-Zx9!"


@dataclasses.dataclass(frozen=True)
class Run:
    """One timed run of the CLI."""

    seconds: float
    peak_rss_mb: float
    stdout: bytes = b""


@dataclasses.dataclass
class Row:
    """The figures of one mailbox size."""

    size: int
    fetched: int = 0  # messages in scanned folders, as the floor read them
    load_seconds: float = 0.0
    floor: float = 0.0
    cold: Run | None = None
    cold_rtt: Run | None = None
    first_cached: Run | None = None  # the run that builds the cache
    incremental_0: Run | None = None  # cache up to date, no new mail
    incremental_100: Run | None = None  # 100 new messages in INBOX since the last run
    incremental_1000: Run | None = None  # then 1,000 more
    identical: bool | None = None  # every incremental report equal to the cold one
    breakdown: dict[str, float] = dataclasses.field(default_factory=dict)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    if DOVECOT is None:
        print("bench: dovecot is not installed", file=sys.stderr)
        return 2
    # An installed package has its bytecode compiled (pip does it); a checkout run with
    # PYTHONDONTWRITEBYTECODE=1 would recompile every module in every timed CLI run instead.
    compileall.compile_dir(Path(inbox_audit.__file__).parent, quiet=1)
    print(machine())
    print(
        f"repeat {args.repeat} (best run kept), added RTT {args.rtt_ms:g} ms, "
        f"floor: imaplib UID FETCH in batches of {floor.BATCH}",
        flush=True,
    )
    rows: list[Row] = []
    with (
        running_server() as server,
        tempfile.TemporaryDirectory(prefix="inbox-audit-bench-") as home,
    ):
        env = _cli_env(Path(home))
        for size in args.sizes:
            rows.append(_measure(server, size, args, env))
    print()
    print(table(rows, args.rtt_ms))
    if args.breakdown:
        print()
        print(breakdown_table(rows))
    return 0


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(size) for size in text.split(",")],
        default=[10_000, 100_000],
        help="mailbox sizes, comma-separated (default 10000,100000)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is kept")
    parser.add_argument("--rtt-ms", type=float, default=50.0, help="round trip the proxy adds")
    parser.add_argument(
        "--no-breakdown",
        dest="breakdown",
        action="store_false",
        help="skip the in-process breakdown of the audit's time",
    )
    return parser.parse_args(argv)


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = found.group(1).strip() if found else cpu
    dovecot = subprocess.run(
        [DOVECOT or "dovecot", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return (
        f"machine: {os.cpu_count()} CPU ({cpu}), Python {platform.python_version()}, "
        f"Dovecot {dovecot}, {platform.system()} {platform.release()}"
    )


@contextlib.contextmanager
def running_server() -> Iterator[DovecotServer]:
    """A throwaway Dovecot (tests/dovecot.py), stopped and its files removed on exit."""
    server = start_server()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


def _cli_env(home: Path) -> dict[str, str]:
    """The CLI's environment: the password, and config/state dirs of its own (no user config)."""
    env = dict(os.environ)
    env["INBOX_AUDIT_PASSWORD"] = PASSWORD
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(home / name.lower())
    return env


def _measure(
    server: DovecotServer, size: int, args: argparse.Namespace, env: dict[str, str]
) -> Row:
    row = Row(size)
    print(f"\n{size:,} messages: generating and loading...", flush=True)
    started = time.perf_counter()
    box = generate.build(size)
    user = _load(server, box, f"bench{size}")
    row.load_seconds = time.perf_counter() - started
    print(f"  built and loaded in {row.load_seconds:.1f} s", flush=True)
    folders = box.scanned_folders

    def read_floor() -> int:
        fetched, _ = fetch_floor(
            server.host, server.imaps_port, user.name, PASSWORD, server.ca_file, folders
        )
        return fetched

    row.fetched = read_floor()  # untimed: warms Dovecot's index cache for everyone
    if row.fetched != box.scanned_messages:
        raise RuntimeError(f"floor read {row.fetched} messages, expected {box.scanned_messages}")
    row.floor = _best(args.repeat, lambda: _timed(read_floor))
    print(f"  floor      {row.floor:6.2f} s ({row.fetched:,} messages)", flush=True)

    as_of = box.as_of.isoformat()
    row.cold = _best_run(
        args.repeat, lambda: cli_audit(server.url(user), server.ca_file, as_of, env)
    )
    print(
        f"  cold audit {row.cold.seconds:6.2f} s, peak RSS {row.cold.peak_rss_mb:.0f} MB",
        flush=True,
    )
    one_way = args.rtt_ms / 2000
    with LatencyProxy((server.host, server.imaps_port), one_way) as proxy:
        url = f"imaps://{user.name}@{server.host}:{proxy.port}"
        row.cold_rtt = _best_run(args.repeat, lambda: cli_audit(url, server.ca_file, as_of, env))
    print(f"  +{args.rtt_ms:g} ms RTT  {row.cold_rtt.seconds:6.2f} s", flush=True)

    reports: list[tuple[str, bytes, bytes]] = []  # (what, incremental, cold)

    def nightly(what: str) -> Run:
        """A cached run in the nightly format, then (untimed) a cold one to compare with."""
        run = cli_audit(server.url(user), server.ca_file, as_of, env, cache=True, fmt=NIGHTLY)
        cold = cli_audit(server.url(user), server.ca_file, as_of, env, fmt=NIGHTLY)
        reports.append((what, run.stdout, cold.stdout))
        return run

    row.first_cached = nightly("first cached run")
    row.incremental_0 = _best_run(args.repeat, lambda: nightly("incremental, 0 new"))

    def after_new_mail(count: int) -> Run:
        _add_new_mail(server, user, box, count)
        return nightly(f"incremental, {count} new")

    row.incremental_100 = _best_run(args.repeat, lambda: after_new_mail(100))
    row.incremental_1000 = _best_run(args.repeat, lambda: after_new_mail(1000))
    different = [what for what, incremental, cold in reports if incremental != cold]
    row.identical = not different
    print(
        f"  cache      {row.first_cached.seconds:6.2f} s to build, incremental "
        f"{row.incremental_0.seconds:.2f} s (0 new), "
        f"{row.incremental_100.seconds:.2f} s (100 new), "
        f"{row.incremental_1000.seconds:.2f} s (1,000 new); "
        + (
            f"all {len(reports)} reports identical to cold audits"
            if row.identical
            else f"DIFFERENT from cold audits: {', '.join(different)}"
        ),
        flush=True,
    )
    if args.breakdown:
        row.breakdown = breakdown(server, user, box.as_of)
    return row


def _load(server: DovecotServer, box: generate.Mailbox, name: str) -> MailUser:
    user = server.add_user(name, PASSWORD, generate.LAYOUT)
    for folder in box.folders:
        if folder not in user.folders:
            server.create_folder(user, folder)
    by_folder: dict[str, list[Appended]] = {}
    for mail in box.messages:
        by_folder.setdefault(mail.folder, []).append(
            Appended(mail.data, mail.flags, mail.internal_date)
        )
    for folder, messages in by_folder.items():
        server.append_many(user, folder, messages)
    return user


_new_mail = 0
_HEADER = re.compile(rb"^(Message-ID|From|Subject):[ \t]*(.*)$", re.IGNORECASE | re.MULTILINE)


def _add_new_mail(server: DovecotServer, user: MailUser, box: generate.Mailbox, count: int) -> None:
    """`count` new messages in INBOX, arrived within the hour before as_of (untimed): half
    from new customers, half follow-ups of earlier INBOX messages (In-Reply-To their
    Message-ID, same sender and subject), which join existing conversations."""
    global _new_mail
    earlier = [m for m in box.messages if m.folder == "INBOX"][::97]
    items = []
    for k in range(count):
        _new_mail += 1
        n = _new_mail
        when = box.as_of - timedelta(minutes=59, seconds=n % 3000)
        date = when.strftime("%a, %d %b %Y %H:%M:%S %z")
        fields = {
            "From": f"New Customer {n} <new{n}@customer.example>",
            "Subject": f"Question {n}",
        }
        if k % 2:
            found = {
                name.lower(): value.strip()
                for name, value in _HEADER.findall(earlier[n % len(earlier)].data.split(
                    b"\r\n\r\n", 1)[0])
            }  # fmt: skip
            if {b"message-id", b"from", b"subject"} <= found.keys():
                fields = {
                    "From": found[b"from"].decode("ascii", "replace"),
                    "Subject": "Re: " + found[b"subject"].decode("ascii", "replace"),
                    "In-Reply-To": found[b"message-id"].decode("ascii", "replace"),
                }
        head = "".join(f"{name}: {value}\r\n" for name, value in fields.items())
        head += (
            f"To: {box.owner[0]}\r\nDate: {date}\r\n"
            f"Message-ID: <bench-new-{n}@customer.example>\r\n\r\nHello?\r\n"
        )
        items.append(Appended(head.encode(), (), when))
    server.append_many(user, "INBOX", items)


#: The nightly run's format: what cron mails (MAILTO). JSON lists every message, so a run
#: that asks for it always audits every message, cache or not (snapshot.py).
NIGHTLY = "summary"


def cli_audit(
    url: str,
    ca_file: Path,
    as_of: str,
    env: dict[str, str],
    *,
    cache: bool = False,
    fmt: str = "json",
) -> Run:
    """One audit by the installed CLI, cold (--no-cache) unless `cache`: wall time, the
    child's own peak RSS, and its output unless it is JSON (discarded, as it is large)."""
    command = [
        str(Path(sys.executable).with_name("inbox-audit")),
        "audit",
        url,
        "--ca-file",
        str(ca_file),
        "--format",
        fmt,
        "--as-of",
        as_of,
        "--quiet",
        *(() if cache else ("--no-cache",)),
    ]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.DEVNULL if fmt == "json" else output,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        assert process.stderr is not None
        errors = process.stderr.read()
        # wait4 gives this child's own rusage; RUSAGE_CHILDREN would be the max over all.
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        output.seek(0)
        stdout = output.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stderr.close()
    if process.returncode not in (0, 1):  # 1: overdue threads found, which is expected
        raise RuntimeError(
            f"inbox-audit exited {process.returncode}: {errors.decode(errors='replace')[-2000:]}"
        )
    return Run(seconds, usage.ru_maxrss / 1024, stdout)  # ru_maxrss is in KiB on Linux


def breakdown(server: DovecotServer, user: MailUser, as_of: datetime) -> dict[str, float]:
    """Where a cold audit's time goes, each stage timed on its own in this process."""
    times: dict[str, float] = {}
    command = [sys.executable, "-c", "import inbox_audit.app.cli"]
    times["start + imports"] = min(
        _timed(lambda: subprocess.run(command, check=True)) for _ in range(3)
    )
    started = time.perf_counter()
    source = ImapSource.connect(server.target(user), server.options(user))
    with source:
        listed = source.list_folders()
        counts: dict[str, int | None] = {}
        items: dict[str, list[RawMessage | Unreadable]] = {}
        times["connect + login"] = time.perf_counter() - started
        started = time.perf_counter()
        for folder in assign_roles(listed):
            if folder.scanned:
                counts[folder.name] = source.message_count(folder.name)
                items[folder.name] = list(source.fetch(folder.name))
        times["fetch"] = time.perf_counter() - started
    replay = _Replay(listed, counts, items)
    settings = Settings()
    started = time.perf_counter()
    collected = collect(replay, "bench", settings)
    times["parse"] = time.perf_counter() - started
    started = time.perf_counter()
    report = audit(collected, settings, as_of)
    times["audit core"] = time.perf_counter() - started
    started = time.perf_counter()
    render_json(report)
    times["render json"] = time.perf_counter() - started
    return times


class _Replay:
    """A MailSource that hands back what a real one fetched, so parsing is timed alone."""

    def __init__(
        self,
        listed: list[ListedFolder],
        counts: dict[str, int | None],
        items: dict[str, list[RawMessage | Unreadable]],
    ) -> None:
        self._listed, self._counts, self._items = listed, counts, items

    def list_folders(self) -> list[ListedFolder]:
        return self._listed

    def message_count(self, folder: str) -> int | None:
        return self._counts.get(folder)

    def fetch(
        self, folder: str, progress: Progress | None = None
    ) -> Iterator[RawMessage | Unreadable]:
        return iter(self._items.get(folder, []))

    def close(self) -> None:
        pass


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _best(repeat: int, measure: Callable[[], float]) -> float:
    return min(measure() for _ in range(max(1, repeat)))


def _best_run(repeat: int, measure: Callable[[], Run]) -> Run:
    runs = [measure() for _ in range(max(1, repeat))]
    return min(runs, key=lambda run: run.seconds)


def table(rows: Sequence[Row], rtt_ms: float) -> str:
    header = (
        "messages",
        "floor s",
        "cold audit s",
        "x floor",
        "peak RSS MB",
        f"+{rtt_ms:g}ms RTT s",
        "x cold",
        "nightly: 1st cached",
        "incr. 0 new",
        "incr. 100 new",
        "incr. 1000 new",
        "same as cold",
    )
    lines = [header]
    for row in rows:
        assert row.cold is not None and row.cold_rtt is not None
        lines.append(
            (
                f"{row.size:,}",
                f"{row.floor:.2f}",
                f"{row.cold.seconds:.2f}",
                f"{row.cold.seconds / row.floor:.2f}",
                f"{row.cold.peak_rss_mb:.0f}",
                f"{row.cold_rtt.seconds:.2f}",
                f"{row.cold_rtt.seconds / row.cold.seconds:.2f}",
                _seconds(row.first_cached),
                _seconds(row.incremental_0),
                _seconds(row.incremental_100),
                _seconds(row.incremental_1000),
                "n/a" if row.identical is None else "yes" if row.identical else "NO",
            )
        )
    return _format(lines)


def _seconds(run: Run | None) -> str:
    return "n/a" if run is None else f"{run.seconds:.2f}"


def breakdown_table(rows: Sequence[Row]) -> str:
    stages = list(rows[0].breakdown) if rows else []
    lines = [("stage (in-process)", *(f"{row.size:,} msgs s" for row in rows))]
    for stage in stages:
        lines.append((stage, *(f"{row.breakdown[stage]:.2f}" for row in rows)))
    lines.append(("sum", *(f"{_sum(row.breakdown, ()):.2f}" for row in rows)))
    return _format(lines)


def _sum(times: dict[str, float], leaving: Sequence[str]) -> float:
    return sum(seconds for stage, seconds in times.items() if stage not in leaving)


def _format(lines: Sequence[Sequence[str]]) -> str:
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    out = []
    for number, line in enumerate(lines):
        out.append(
            "  ".join(
                cell.rjust(width) if i else cell.ljust(width)
                for i, (cell, width) in enumerate(zip(line, widths, strict=True))
            )
        )
        if number == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
