"""Differential check: two revisions' CLI print the same reports, byte for byte.

    .venv/bin/python bench/compare.py --base REV [--head REV] [--mailboxes 12] [--size 400]
                                      [--big 5000] [--jobs N]      (/usr/sbin on PATH)

BASE and HEAD (default: this working tree as it is) each get a venv, kept for the next run in
$XDG_CACHE_HOME/inbox-audit-compare: a revision's is keyed by its commit and installed from a
throwaway `git worktree add --detach` (not editable: the checkout goes away); the working
tree's is editable. It generates --mailboxes mailboxes with tests/mailgen.py (other seeds,
every layout in turn, from 0.6 to 1.4 x --size messages) and one bench mailbox of --big
messages (bench/generate.py), writes each as a Maildir, loads it into one throwaway Dovecot,
and runs both versions' `inbox-audit audit SOURCE --as-of T --timezone Europe/Paris --me ...`
in each format (json, csv, markdown, summary, table --show-replies) along five paths:
maildir/local; imap/no-cache (imaps://, --ca-file, INBOX_AUDIT_PASSWORD); imap/first (an
empty XDG_CACHE_HOME); imap/nightly (same cache, nothing changed, --as-of a day later: the
snapshot is re-dated); imap/incremental (new mail in INBOX and Sent, --as-of two days later).
Every (version, mailbox, path, format) has its own XDG dirs: the versions never share a cache.
Exit code and stdout are compared byte for byte: one line per comparison (same, DIFFERENT, or
ERROR when both exit with neither 0 nor 1), the first 40 lines of a unified diff for each
difference, then totals and timings. Exit status 1 if any comparison is not "same", 2 if the
versions or the server could not be set up.
"""

from __future__ import annotations

import argparse
import difflib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.parser import BytesHeaderParser
from email.utils import format_datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and `tests` importable
    sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

from tests import mailgen
from tests.dovecot import DOVECOT, Appended, DovecotServer, MailUser

from bench import generate as bench_mailbox
from bench.run import running_server

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "compare-Zx9!"
FORMATS: dict[str, tuple[str, ...]] = {
    name: ("--format", name) for name in ("json", "csv", "markdown", "summary")
} | {"table": ("--format", "table", "--show-replies")}
SENT = {"plain": "Sent", "gmail": "[Gmail]/Sent Mail", "french": "Envoyés"}
# mailgen's size per layout: about intercept + slope x customers messages.
_SIZE_MODEL = {"plain": (95, 2.4), "french": (95, 2.4), "gmail": (178, 4.6)}
_AUTOMATED = re.compile(r"list-id|list-unsubscribe|auto-submitted|precedence|x-auto.*", re.I)


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: bytes
    stderr: bytes
    seconds: float


@dataclass(frozen=True)
class Step:
    """One run of each version: path, format, its own dirs (`home`), source, moment."""

    kind: str  # "maildir" | "imap"
    path: str  # "local" | "no-cache" | "first" | "nightly" | "incremental"
    fmt: str
    home: str
    source: str
    as_of: datetime
    extra: tuple[str, ...] = ()


@dataclass(frozen=True)
class Comparison:
    box: str
    step: Step
    base: Outcome
    head: Outcome

    @property
    def verdict(self) -> str:
        if (self.base.code, self.base.stdout) != (self.head.code, self.head.stdout):
            return "DIFFERENT"
        return "same" if self.base.code in (0, 1) else "ERROR"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the revision to compare against")
    parser.add_argument("--head", help="the revision to check (default: this working tree)")
    parser.add_argument("--mailboxes", type=int, default=12, help="generated mailboxes")
    parser.add_argument("--size", type=int, default=400, help="their size, roughly")
    parser.add_argument("--big", type=int, default=5000, help="the bench mailbox (0: none)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="parallel runs")
    args = parser.parse_args(argv)
    if DOVECOT is None:
        print("compare: dovecot is not installed (or /usr/sbin is not on PATH)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "inbox-audit-compare"
    try:
        clis = (install("base", args.base, cache), install("head", args.head, cache))
    except subprocess.CalledProcessError as exc:
        said = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr
        print(f"compare: {exc}\n{said or ''}", file=sys.stderr)
        return 2
    timings, found = {"install": time.perf_counter() - started}, list[Comparison]()
    with (
        tempfile.TemporaryDirectory(prefix="inbox-audit-compare-") as tmp,
        running_server() as server,
        ThreadPoolExecutor(max(1, args.jobs)) as pool,
    ):
        for name, box in mailboxes(args.mailboxes, args.size, args.big):
            began = time.perf_counter()
            ran = check_box(pool, clis, server, box, name, Path(tmp) / name)
            for comparison in ran:
                report(comparison)
            found += ran
            timings[name] = time.perf_counter() - began
            print(f"  {name}: {len(box.messages)} messages, {timings[name]:.1f} s", flush=True)
    timings["total"] = time.perf_counter() - started
    summary(found, timings)
    return 0 if all(c.verdict == "same" for c in found) else 1


def install(name: str, rev: str | None, cache: Path) -> Path:
    """The inbox-audit script of a venv with `rev` installed (None: this working tree)."""
    python = f"py{sys.version_info.major}{sys.version_info.minor}"
    sha = None if rev is None else _git("rev-parse", "--verify", f"{rev}^{{commit}}")
    if sha is None:
        digest = hashlib.sha256(str(REPO).encode() + (REPO / "pyproject.toml").read_bytes())
        venv, label = cache / f"worktree-{digest.hexdigest()[:16]}-{python}", f"working tree {REPO}"
    else:
        venv, label = cache / f"{sha}-{python}", f"{rev} = {sha[:10]}"
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / f"{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run may be building the same venv
        cached = (venv / "ready").exists()
        print(f"{name}: {label}" + (" (venv cached)" if cached else ""), flush=True)
        if not cached:
            _build(venv, sha)
    return venv / "bin" / "inbox-audit"


def _build(venv: Path, sha: str | None) -> None:
    """A venv with the commit `sha` installed from a throwaway checkout, or this tree (None)."""
    shutil.rmtree(venv, ignore_errors=True)  # a venv cannot be moved: it is built in place
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    pip = [str(venv / "bin" / "pip"), "install", "-q"]
    if sha is None:
        subprocess.run([*pip, "-e", str(REPO)], check=True, capture_output=True)
    else:
        with tempfile.TemporaryDirectory(prefix="inbox-audit-checkout-") as tmp:
            _git("worktree", "add", "--detach", f"{tmp}/checkout", sha)
            try:
                subprocess.run([*pip, f"{tmp}/checkout"], check=True, capture_output=True)
            finally:
                _git("worktree", "remove", "--force", f"{tmp}/checkout")
    (venv / "ready").touch()


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=REPO, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def mailboxes(count: int, size: int, big: int) -> Iterator[tuple[str, mailgen.GeneratedMailbox]]:
    """`count` mailgen mailboxes, every layout in turn, then the bench mailbox of `big`."""
    for index in range(count):
        layout, seed = mailgen.LAYOUTS[index % len(mailgen.LAYOUTS)], 101 + index
        intercept, slope = _SIZE_MODEL[layout]
        target = size * (0.6 + 0.8 * index / max(1, count - 1))
        box = mailgen.generate(seed, layout, customers=max(8, round((target - intercept) / slope)))
        yield f"{layout}-s{seed}", box
    if big:  # bench/run.py's mailbox: one mailgen month, copied into earlier months if needed
        bench = bench_mailbox.build(big)
        copies = tuple(
            mailgen.GenMessage(m.folder, m.data, m.flags, m.internal_date, None)
            for m in bench.messages
        )
        box = mailgen.GeneratedMailbox(
            bench_mailbox.LAYOUT, bench.owner, bench.as_of, mailgen.DEFAULT_SLA, copies, {}
        )
        yield f"bench-{big}", box


def load(server: DovecotServer, box: mailgen.GeneratedMailbox, name: str) -> MailUser:
    user = server.add_user(name, PASSWORD, box.layout)
    by_folder: dict[str, list[Appended]] = {folder: [] for folder in box.folders()}
    for m in box.messages:
        by_folder[m.folder].append(Appended(m.data, m.flags, m.internal_date))
    for folder, messages in by_folder.items():
        if folder not in user.folders:
            server.create_folder(user, folder)
        if messages:
            server.append_many(user, folder, messages)
    return user


def check_box(
    pool: ThreadPoolExecutor,
    clis: tuple[Path, Path],
    server: DovecotServer,
    box: mailgen.GeneratedMailbox,
    name: str,
    root: Path,
) -> list[Comparison]:
    """Every path and format on one mailbox: the cached paths in turn, each step in parallel."""
    local, user = root / "maildir", load(server, box, name)
    mailgen.write_maildir(box, local)
    url, day, tls = server.url(user), timedelta(days=1), ("--ca-file", str(server.ca_file))
    phases: list[list[Step]] = [[], [], []]
    for fmt in FORMATS:
        cached = f"cached-{fmt}"
        phases[0] += [
            Step("maildir", "local", fmt, f"local-{fmt}", str(local), box.as_of),
            Step("imap", "no-cache", fmt, f"cold-{fmt}", url, box.as_of, (*tls, "--no-cache")),
            Step("imap", "first", fmt, cached, url, box.as_of, tls),
        ]
        phases[1].append(Step("imap", "nightly", fmt, cached, url, box.as_of + day, tls))
        phases[2].append(Step("imap", "incremental", fmt, cached, url, box.as_of + 2 * day, tls))
    found: list[Comparison] = []
    for number, phase in enumerate(phases):
        if number == 2:  # new mail after the nightly run, before the incremental one
            for folder, messages in new_mail(box, box.as_of + day + timedelta(hours=2)).items():
                server.append_many(user, folder, messages)
        runs = {
            (step, version): pool.submit(run, cli, f"{version}/{step.home}", step, box, root)
            for step in phase
            for version, cli in zip(("base", "head"), clis, strict=True)
        }
        found += [
            Comparison(name, step, runs[step, "base"].result(), runs[step, "head"].result())
            for step in phase
        ]
    return found


def run(cli: Path, home: str, step: Step, box: mailgen.GeneratedMailbox, root: Path) -> Outcome:
    env = {key: value for key, value in os.environ.items() if not key.startswith("INBOX_AUDIT_")}
    env["INBOX_AUDIT_PASSWORD"] = PASSWORD
    for variable in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[variable] = str(root / home / variable.lower())
    argv = [str(cli), "audit", step.source, "--as-of", step.as_of.isoformat()]
    argv += ["--timezone", "Europe/Paris", *FORMATS[step.fmt], *step.extra]
    argv += [arg for address in box.owner for arg in ("--me", address)]
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, stdin=subprocess.DEVNULL, check=False)
    return Outcome(done.returncode, done.stdout, done.stderr, time.perf_counter() - started)


def new_mail(box: mailgen.GeneratedMailbox, when: datetime) -> dict[str, list[Appended]]:
    """In INBOX a new customer and a follow-up from the latest customer but one; in Sent the
    owner's reply to the latest customer: verdicts change, threads grow."""
    owner, recent = box.owner[0], list[dict[str, str]]()
    for message in sorted(box.messages, key=lambda m: m.internal_date, reverse=True):
        head = BytesHeaderParser().parsebytes(message.data)  # compat32: raw values, unfolded here
        fields = {key.lower(): " ".join(str(value).split()) for key, value in head.items()}
        if (
            message.folder == "INBOX"
            and {"message-id", "from", "subject"} <= fields.keys()
            and not any(me.lower() in fields["from"].lower() for me in box.owner)
            and not any(_AUTOMATED.fullmatch(key) for key in fields)
            and "multipart/report" not in fields.get("content-type", "")
        ):
            recent.append(fields)
        if len(recent) == 2:
            break
    asked = {"From": "Nouvelle Cliente <nouvelle.cliente@example.net>", "Subject": "Un devis ?"}
    inbox, sent = [_message(asked | {"To": owner}, when)], []
    for number, fields in enumerate(recent):
        cited = {"Subject": "Re: " + fields["subject"], "In-Reply-To": fields["message-id"]}
        if number == 0:
            to_them = {"From": owner, "To": fields["from"], "References": fields["message-id"]}
            sent.append(_message(cited | to_them, when + timedelta(minutes=30), ("\\Seen",)))
        else:
            inbox.append(_message(cited | {"From": fields["from"], "To": owner}, when))
    return {"INBOX": inbox, SENT[box.layout]: sent}


_numbers = iter(range(1, 1_000_000))


def _message(fields: dict[str, str], when: datetime, flags: tuple[str, ...] = ()) -> Appended:
    head = "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    head += f"Date: {format_datetime(when)}\r\nMessage-ID: <cmp{next(_numbers)}@x.example>\r\n"
    body = "Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour,\r\nDes nouvelles ?\r\n"
    # surrogateescape: a header keeps the 8-bit bytes the parser read it from.
    return Appended((head + body).encode("utf-8", "surrogateescape"), flags, when)


def report(comparison: Comparison) -> None:
    base, head, step = comparison.base, comparison.head, comparison.step
    print(
        f"{comparison.verdict:<9} {comparison.box:<12} {step.kind:<7} {step.path:<11} "
        f"{step.fmt:<8} exit {base.code}/{head.code}  {len(base.stdout)}/{len(head.stdout)} "
        f"bytes  {base.seconds:.2f}/{head.seconds:.2f} s",
        flush=True,
    )
    if comparison.verdict == "same":
        return
    old, new = (outcome.stdout.decode(errors="replace").splitlines() for outcome in (base, head))
    for line in list(difflib.unified_diff(old, new, "base", "head", lineterm=""))[:40]:
        print(f"    {line}")
    for version, outcome in (("base", base), ("head", head)):
        if outcome.code not in (0, 1):
            tail = outcome.stderr.decode(errors="replace").strip().splitlines()[-5:]
            print(f"    {version} stderr: " + "\n    ".join(tail))


def summary(found: Sequence[Comparison], timings: dict[str, float]) -> None:
    verdicts = Counter(c.verdict for c in found)
    print(f"\n{len(found)} comparisons: " + ", ".join(f"{n} {v}" for v, n in verdicts.items()))
    print(f"{'kind/path':<18} {'same':>5} {'other':>6} {'base s':>8} {'head s':>8}")
    for kind, path in dict.fromkeys((c.step.kind, c.step.path) for c in found):
        group = [c for c in found if (c.step.kind, c.step.path) == (kind, path)]
        same = sum(c.verdict == "same" for c in group)
        print(
            f"{kind + '/' + path:<18} {same:>5} {len(group) - same:>6} "
            f"{sum(c.base.seconds for c in group):>8.1f} {sum(c.head.seconds for c in group):>8.1f}"
        )
    print("wall time: " + ", ".join(f"{what} {seconds:.1f} s" for what, seconds in timings.items()))


if __name__ == "__main__":
    raise SystemExit(main())
