"""headers.parse_message throughput on IMAP-shaped header blocks, optionally against a git revision.

    .venv/bin/python bench/parse_speed.py [--messages 20000] [--against HEAD] [--repeat 5]

The blocks are what Dovecot answers to BODY.PEEK[HEADER.FIELDS (...)]: only the fields of
headers.HEADER_FIELDS, in message order, then the blank line. Every run starts with empty
caches (each message is parsed once per audit). With --against, the reference version of
headers.py is loaded from git, timed in alternation with the current one, and every message
must parse to an equal Message under both.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

if __package__ in (None, ""):  # run as a script: make `bench`, `tests` and `inbox_audit` importable
    sys.path[:0] = [str(Path(__file__).resolve().parents[1] / d) for d in ("", "src")]

from bench import generate
from inbox_audit.core import fields, headers
from inbox_audit.model import RawMessage

ROOT = Path(__file__).resolve().parents[1]
_WANTED = frozenset(name.lower().encode("ascii") for name in fields.HEADER_FIELDS)


def imap_shaped(data: bytes) -> bytes:
    """The header block Dovecot returns for HEADER.FIELDS (headers.HEADER_FIELDS)."""
    end = data.find(b"\r\n\r\n")
    lines: list[bytes] = []
    keep = False
    for line in (data[:end] if end >= 0 else data).split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            if keep:
                lines.append(line)
            continue
        keep = line.partition(b":")[0].strip().lower() in _WANTED
        if keep:
            lines.append(line)
    return b"".join(line + b"\r\n" for line in lines) + b"\r\n"


def samples(count: int) -> list[RawMessage]:
    box = generate.build(count)
    return [
        RawMessage(
            mail.folder, uid, mail.internal_date, frozenset(mail.flags), imap_shaped(mail.data)
        )
        for uid, mail in enumerate(box.messages, 1)
    ]


def reference(revision: str) -> ModuleType:
    """headers.py as of `revision`, loaded as a module of its own."""
    source = subprocess.run(
        ["git", "show", f"{revision}:src/inbox_audit/core/headers.py"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    with tempfile.TemporaryDirectory(prefix="inbox-audit-ref-") as folder:
        path = Path(folder) / "headers_reference.py"
        path.write_bytes(source)
        spec = importlib.util.spec_from_file_location("headers_reference", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


def seconds_per_pass(module: ModuleType, raws: Sequence[RawMessage]) -> float:
    # Start cold: each message is parsed once per audit. The parser's helpers live in the
    # core's other modules (addresses, dates, words...): their caches too.
    core = [m for name, m in sys.modules.items() if name.startswith("inbox_audit.core.")]
    for value in [v for m in [module, *core] for v in vars(m).values()]:
        if isinstance(value, functools._lru_cache_wrapper):
            value.cache_clear()
    parse = module.parse_message
    started = time.perf_counter()
    for raw in raws:
        parse(raw)
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5, help="passes per version; best kept")
    parser.add_argument("--against", metavar="REVISION", help="git revision to compare with")
    args = parser.parse_args(argv)

    raws = samples(args.messages)
    size = sum(len(raw.header_bytes) for raw in raws) / len(raws)
    print(f"{len(raws):,} IMAP-shaped header blocks, {size:.0f} bytes on average")
    versions: dict[str, ModuleType] = {"current": headers}
    if args.against:
        versions[args.against] = old = reference(args.against)
        differ = sum(old.parse_message(raw) != headers.parse_message(raw) for raw in raws)
        print(f"messages parsed differently: {differ}")
        if differ:
            return 1
    best = dict.fromkeys(versions, float("inf"))
    for _ in range(args.repeat):
        for name, module in versions.items():  # alternate, so both see the same machine load
            best[name] = min(best[name], seconds_per_pass(module, raws))
    for name, seconds in best.items():
        rate = len(raws) / seconds
        print(f"{name:>12}: {rate:9,.0f} msg/s  ({seconds / len(raws) * 1e6:.1f} µs/message)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
