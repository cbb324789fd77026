"""Issue #12 network bench: the paths users take, through a latency proxy, in one run.

    .venv/bin/python bench/run.py [--size 100000] [--repeat 3] [--rtt-ms 50] [--folders 30]

It builds a realistic mailbox of --size messages over ~--folders folders (bench/generate.py),
loads it into a throwaway Dovecot (tests/dovecot.py) and measures, each the best of
--repeat runs, the installed CLI run as a user runs it (a fresh process, INBOX_AUDIT_PASSWORD,
XDG dirs of its own, `--format summary --quiet`), against a raw imaplib floor (bench/floor.py):

  (a) the floor on loopback: EXAMINE and one `UID FETCH 1:*` per folder;
  (b) the floor through the proxy (bench/latency.py: --rtt-ms of round trip, no bandwidth cap);
  (c) the first run through the proxy: default options, empty cache; ratio to (b);
  (d) the nightly run through the proxy, nothing new;
  (e) the nightly run through the proxy after 100 new messages in 3 folders (fresh each time);
  (f) `--no-cache --format json`, cold, on loopback; ratio to (a);
  (g) the peak RSS of every process of each CLI run (bench/processes.py);
  (h) the round trips the client waited for, counted by the proxy in each proxied run, and,
      in one more untimed run of each path through the proxy's tap (which reads the IMAP
      commands), the commands and what each round trip waited for.

Each nightly report is compared with a cold audit's (`--no-cache`, same --as-of); a mismatch
is printed loudly. The targets are checked (✓/✗), never asserted: this is a bench, not a test.
Everything runs on 127.0.0.1; the server and its files are removed at the end.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import difflib
import importlib
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and `tests` importable
    sys.path[:0] = [str(Path(__file__).resolve().parents[1] / d) for d in ("", "src")]

from imapclient import imap_utf7
from tests.dovecot import DOVECOT, Appended, DovecotServer, MailUser, start_server

from bench import generate, report
from bench.floor import fetch_floor, items_for, items_of
from bench.latency import Connection, LatencyProxy, Tap
from bench.processes import Run, run
from bench.report import Measured, Traffic

PASSWORD = "bench-Zx9!"
NEW_MAIL = 100  # messages, over NEW_FOLDERS folders, before each run of (e)
NEW_FOLDERS = 3


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    if DOVECOT is None:
        print("bench: dovecot is not installed", file=sys.stderr)
        return 2
    _compile()
    print(machine())
    print(
        f"size {args.size:,}, ~{args.folders} folders, best of {args.repeat}, "
        f"proxy RTT {args.rtt_ms:g} ms",
        flush=True,
    )
    load = _load_average()
    with (
        running_server() as server,
        tempfile.TemporaryDirectory(prefix="inbox-audit-bench-") as home,
    ):
        paths = Bench(server, Path(home), args).measure()
    print(f"\nload average (1 min) at the start {load}, at the end {_load_average()}")
    print()
    print(report.table(paths))
    print()
    print("\n".join(report.where_trips_go(paths)))
    print()
    print("\n".join(report.targets(paths)))
    mismatches = [m for path in paths.values() for m in path.mismatches]
    if mismatches:
        print(f"\n!!! {len(mismatches)} NIGHTLY REPORT(S) DIFFER FROM A COLD AUDIT'S !!!")
    print("\nFor docs/performance.md:\n")
    print(report.markdown(paths, _heading(args)))
    if args.json:
        args.json.write_text(json.dumps(report.figures(paths), indent=1), encoding="utf-8")
    return 0


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="messages (default 100000)")
    parser.add_argument("--folders", type=int, default=30, help="about this many folders")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is kept")
    parser.add_argument("--rtt-ms", type=float, default=50.0, help="round trip the proxy adds")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    return parser.parse_args(argv)


def _heading(args: argparse.Namespace) -> str:
    return (
        f"`bench/run.py --size {args.size} --repeat {args.repeat} --rtt-ms {args.rtt_ms:g}`"
        f" ({time.strftime('%Y-%m-%d')}; {machine()})"
    )


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


def _load_average() -> str:
    """Other work on the machine: the bench's own share is at most ~2 (CLI, helper, proxy)."""
    return f"{os.getloadavg()[0]:.1f}"


def _compile() -> None:
    """An installed package has its bytecode compiled (pip does it); an editable checkout run
    with PYTHONDONTWRITEBYTECODE=1 would compile every module in every timed run instead."""
    spec = importlib.util.find_spec("inbox_audit")  # found, not imported
    if spec is not None and spec.origin is not None:
        compileall.compile_dir(Path(spec.origin).parent, quiet=1)


@contextlib.contextmanager
def running_server() -> Iterator[DovecotServer]:
    """A throwaway Dovecot, stopped and removed at the end."""
    server = start_server()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


class Bench:
    """One mailbox on one server, one proxy for every proxied run (the cache file is named
    after host and port: the nightly runs must reach the same port as the first)."""

    def __init__(self, server: DovecotServer, home: Path, args: argparse.Namespace) -> None:
        self.server, self.home, self.args = server, home, args
        self.repeat = max(1, args.repeat)
        self.tap = Tap(server.root / "server.crt", server.root / "server.key",
                       (server.host, server.imap_port))  # fmt: skip
        self.proxy = LatencyProxy((server.host, server.imaps_port), args.rtt_ms / 2000)
        self.envs = 0

    def measure(self) -> dict[str, Measured]:
        print(f"\ngenerating and loading {self.args.size:,} messages...", flush=True)
        started = time.perf_counter()
        self.box = generate.build(self.args.size, folders=self.args.folders)
        self.user = _load(self.server, self.box)
        print(f"  {len(self.box.folders)} folders, {self.box.scanned_messages:,} messages in the "
              f"{len(self.box.scanned_folders)} scanned, loaded in "
              f"{time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip
        with self.proxy:
            return self._measure()

    def _measure(self) -> dict[str, Measured]:
        paths = {
            "a": Measured("a", "floor, loopback"),
            "b": Measured("b", "floor, +RTT"),
            "c": Measured("c", "first run, empty cache, +RTT"),
            "d": Measured("d", "nightly, nothing new, +RTT"),
            "e": Measured("e", f"nightly, {NEW_MAIL} new in {NEW_FOLDERS} folders, +RTT"),
            "f": Measured("f", "--no-cache json, loopback"),
        }
        a, b, c, d, e, f = paths.values()
        # Untimed first: the CLI's own first run through the tap tells the FETCH items and
        # folders the floor must read (and warms Dovecot's caches and the bytecode). The
        # other untimed runs through the tap follow their path's timed runs.
        c.tapped, items = self._tapped_first_run()
        reference = self._cold_summary()
        for _ in range(self.repeat + 1):  # the first floor is untimed: a warm-up
            a.runs.append(self._floor(self.server.imaps_port, items))
        del a.runs[0]
        self._show(a)
        for _ in range(self.repeat):
            b.runs.append(self._floor(self.proxy.port, items))
            b.seen.append(self._traffic())
        self._show(b)
        a.tapped = b.tapped = self._tapped(lambda: self._floor(self.proxy.port, items))
        for _ in range(self.repeat):
            f.runs.append(self._cli(self.server.imaps_port, self._env(), "json", no_cache=True))
        self._show(f)
        for _ in range(self.repeat):  # each with an empty cache and state of its own
            env = self._env()
            c.runs.append(self._cli(self.proxy.port, env, output=False))
            c.seen.append(self._traffic())
        self._show(c)
        for _ in range(self.repeat):  # the cache the last first run left
            d.runs.append(self._cli(self.proxy.port, env))
            d.seen.append(self._traffic())
            self._compare(d, d.runs[-1], reference)
        self._show(d)
        d.tapped = self._tapped(lambda: self._cli(self.proxy.port, env))
        for _ in range(self.repeat):
            self._new_mail()
            e.runs.append(self._cli(self.proxy.port, env))
            e.seen.append(self._traffic())
            self._compare(e, e.runs[-1], self._cold_summary())
        self._show(e)
        self._new_mail()
        e.tapped = self._tapped(lambda: self._cli(self.proxy.port, env))
        f.tapped = self._tapped(
            lambda: self._cli(self.proxy.port, self._env(), "json", no_cache=True)
        )
        return paths

    # --- the runs ----------------------------------------------------------------------

    def _floor(self, port: int, items: str) -> Run:
        started = time.perf_counter()
        fetched, _ = fetch_floor(self.server.host, port, self.user.name, PASSWORD,
                                 self.server.ca_file, self.box.scanned_folders, items)  # fmt: skip
        seconds = time.perf_counter() - started
        if fetched < self.box.scanned_messages:
            raise RuntimeError(f"the floor read {fetched} messages of {self.box.scanned_messages}")
        return Run(seconds, 0.0, 0, 0)

    def _cli(
        self,
        port: int,
        env: dict[str, str],
        fmt: str = "summary",
        *,
        no_cache: bool = False,
        output: bool = True,
    ) -> Run:
        command = [
            str(Path(sys.executable).with_name("inbox-audit")),
            "audit",
            f"imaps://{self.user.name}@{self.server.host}:{port}",
            "--ca-file",
            str(self.server.ca_file),
            *(arg for address in self.box.owner for arg in ("--me", address)),
            # Fixed, so that reports can be compared and the generated mail stays as recent.
            "--as-of",
            self.box.as_of.isoformat(),
            "--format",
            fmt,
            "--quiet",
            *(["--no-cache"] if no_cache else []),
        ]
        keep = output and fmt != "json"  # JSON goes to /dev/null: it is large
        return run(command, env, keep_output=keep, ok_codes=(0, 1))  # 1: overdue found

    def _env(self) -> dict[str, str]:
        """The password, and config, state and cache dirs of their own, empty."""
        self.envs += 1
        env = dict(os.environ)
        env["INBOX_AUDIT_PASSWORD"] = PASSWORD
        for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            env[name] = str(self.home / str(self.envs) / name.lower())
        return env

    def _traffic(self) -> Traffic:
        return Traffic.of(self.proxy.take())

    def _tapped(self, action: Callable[[], object]) -> Traffic:
        self.proxy.take()
        self.proxy.tap = self.tap
        try:
            action()
        finally:
            self.proxy.tap = None
        return self._traffic()

    def _tapped_first_run(self) -> tuple[Traffic, str]:
        self.proxy.take()
        self.proxy.tap = self.tap
        try:
            self._cli(self.proxy.port, self._env(), output=False)
        finally:
            self.proxy.tap = None
        connections = self.proxy.take()
        return Traffic.of(connections), self._fetch_items(connections)

    def _fetch_items(self, connections: Sequence[Connection]) -> str:
        """The items of the client's own header FETCH, else those of the known fields."""
        texts = [text for connection in connections for text in connection.texts]
        found = {items for text in texts if (items := items_of(text))}
        examined = {
            _unquoted(text.split(" ", 2)[2]) for text in texts if command_is(text, "EXAMINE")
        }
        missing = {_encoded(f) for f in self.box.scanned_folders} - examined
        if missing:
            print(f"  note: the CLI examined none of {sorted(missing)} (the floor reads them)")
        if len(found) == 1:
            items = found.pop()
            print(f"  FETCH items, as the CLI sent them: {items}", flush=True)
            return items
        print(f"  !!! the CLI's FETCH items were not seen ({len(found)} kinds): using "
              "HEADER_FIELDS", flush=True)  # fmt: skip
        fields = importlib.import_module("inbox_audit.core.fields")
        return items_for(fields.HEADER_FIELDS)

    def _cold_summary(self) -> bytes:
        """The reference: a cold audit's summary (untimed, loopback, no cache)."""
        return self._cli(self.server.imaps_port, self._env(), no_cache=True).stdout

    def _new_mail(self) -> None:
        """NEW_MAIL messages in INBOX and the biggest folders it files into."""
        sizes = Counter(mail.folder for mail in self.box.messages)
        filed = [f for f, _ in sizes.most_common() if f not in ("INBOX", "Sent")]
        folders = ["INBOX", *filed[: NEW_FOLDERS - 1]]
        for folder, mails in generate.new_mail(self.box, folders, NEW_MAIL).items():
            self.server.append_many(
                self.user, folder, [Appended(m.data, m.flags, m.internal_date) for m in mails]
            )

    def _compare(self, path: Measured, got: Run, reference: bytes) -> None:
        if got.stdout == reference:
            return
        diff = "\n".join(
            difflib.unified_diff(
                reference.decode(errors="replace").splitlines(),
                got.stdout.decode(errors="replace").splitlines(),
                "cold audit",
                f"({path.key}) run {len(path.runs)}",
                lineterm="",
            )
        )
        path.mismatches.append(diff)
        print(f"\n!!! ({path.key}) run {len(path.runs)}: REPORT DIFFERS FROM A COLD AUDIT'S !!!")
        print(diff[:3000], flush=True)

    def _show(self, path: Measured) -> None:
        runs = " ".join(f"{run.seconds:.2f}" for run in path.runs)
        trips = f", round trips {path.trips_text()}" if path.seen else ""
        rss = f", peak RSS {path.peak_rss_mb:.0f} MB" if path.runs[0].processes else ""
        print(f"  ({path.key}) {path.what}: best {path.best:.2f} s (runs {runs}){trips}{rss}",
              flush=True)  # fmt: skip


def command_is(text: str, name: str) -> bool:
    words = text.split(" ", 2)
    return len(words) == 3 and words[1].upper() == name


def _encoded(name: str) -> str:
    encoded: str = imap_utf7.encode(name).decode("ascii")  # imapclient has no type hints
    return encoded


def _unquoted(name: str) -> str:
    if name.startswith('"') and name.endswith('"'):
        return re.sub(r"\\(.)", r"\1", name[1:-1])
    return name


def _load(server: DovecotServer, box: generate.Mailbox) -> MailUser:
    user = server.add_user(f"bench{len(box.messages)}", PASSWORD, generate.LAYOUT)
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


if __name__ == "__main__":
    raise SystemExit(main())
