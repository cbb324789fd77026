"""The network bench's figures: what each path cost, its round trips, the targets, printed as
a plain table and as a markdown block for docs/performance.md."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence

from bench.latency import Connection
from bench.processes import Run

DRAINED = "UID FETCH, pipelined (drained)"


@dataclasses.dataclass(frozen=True)
class Traffic:
    """What crossed the proxy during one run: connections, round trips, commands."""

    round_trips: tuple[int, ...]  # per connection, in the order they were opened
    commands: Counter[str]  # by name; empty unless tapped
    waits: Counter[str]  # the exchanges the client waited after, by their commands
    server_bytes: int
    tapped: bool

    @classmethod
    def of(cls, connections: Sequence[Connection]) -> Traffic:
        """A message fetch that follows another in the same folder was pipelined behind it:
        the proxy saw the link idle before it only because the client was slower than the
        link (it was still parsing a batch it had); such a wait is counted apart (DRAINED),
        as it does not make the client wait while it has a batch in hand."""
        commands: Counter[str] = Counter()
        waits: Counter[str] = Counter()
        for connection in connections:
            fetching = False
            for exchange in connection.exchanges:
                commands.update(exchange.commands)
                only_fetches = bool(exchange.commands) and all(
                    name == "UID FETCH" for name in exchange.commands
                )
                if exchange.waited and connection.tapped:  # labels need the commands
                    waits[DRAINED if fetching and only_fetches else exchange.label] += 1
                if exchange.commands:
                    fetching = exchange.commands[-1] == "UID FETCH"
        return cls(
            tuple(connection.round_trips for connection in connections),
            commands,
            waits,
            sum(connection.server_bytes for connection in connections),
            bool(connections) and all(connection.tapped for connection in connections),
        )

    @property
    def drained(self) -> int:
        return self.waits[DRAINED]

    @property
    def total(self) -> int:
        return sum(self.round_trips)

    def trips_text(self) -> str:
        """The total, and each connection's when there are several: "70 (36+34)"."""
        if len(self.round_trips) <= 1:
            return str(self.total)
        return f"{self.total} ({'+'.join(map(str, self.round_trips))})"

    def waits_text(self) -> str:
        return ", ".join(f"{label} {count}" for label, count in _by_count(self.waits))

    def commands_text(self) -> str:
        return ", ".join(f"{name} {count}" for name, count in _by_count(self.commands))


def _by_count(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


@dataclasses.dataclass
class Measured:
    """One path a user takes (or the floor), measured `repeat` times."""

    key: str
    what: str
    runs: list[Run] = dataclasses.field(default_factory=list)
    seen: list[Traffic] = dataclasses.field(default_factory=list)  # each timed run's, proxied
    tapped: Traffic | None = None  # an untimed run through the tap: the commands
    mismatches: list[str] = dataclasses.field(default_factory=list)

    @property
    def best(self) -> float:
        return min(run.seconds for run in self.runs)

    @property
    def peak_rss_mb(self) -> float:
        return max(run.peak_rss_mb for run in self.runs)

    def trips_text(self) -> str:
        """The proxy's counts in the timed runs (each different one)."""
        counts = sorted({traffic.trips_text() for traffic in self.seen})
        return " / ".join(counts) if counts else "-"

    def tap_text(self) -> str:
        """The tapped run's round trips: blocking + drained pipeline waits."""
        if self.tapped is None:
            return "-"
        tapped = self.tapped
        return f"{tapped.total - tapped.drained} + {tapped.drained} ({tapped.trips_text()})"


@dataclasses.dataclass(frozen=True)
class Target:
    what: str
    limit: float
    value: Callable[[dict[str, Measured]], float]
    unit: str

    def check(self, paths: dict[str, Measured]) -> tuple[float, bool]:
        value = self.value(paths)
        return value, value <= self.limit


TARGETS = (
    Target("(c) first run ≤ 1.3 × floor (b), +RTT", 1.3, lambda p: p["c"].best / p["b"].best, "×"),
    Target("(d) nightly, nothing new ≤ 0.6 s, +RTT", 0.6, lambda p: p["d"].best, "s"),
    Target("(e) nightly, 100 new in 3 folders ≤ 1.0 s, +RTT", 1.0, lambda p: p["e"].best, "s"),
    Target(
        "(g) peak RSS ≤ 300 MB, every process",
        300,
        lambda p: max(p[k].peak_rss_mb for k in "cdef"),
        "MB",
    ),
    Target(
        "(f) --no-cache cold ≤ 3 × floor (a), loopback",
        3.0,
        lambda p: p["f"].best / p["a"].best,
        "×",
    ),
)


def _ratio(paths: dict[str, Measured], key: str) -> str:
    base = {"c": "b", "f": "a"}.get(key)
    return f"{paths[key].best / paths[base].best:.2f} × ({base})" if base else ""


def _rows(paths: dict[str, Measured]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [
        (
            "path",
            "best s",
            "runs s",
            "ratio",
            "round trips",
            "tap: blocking + drained",
            "commands",
            "peak RSS MB",
        )
    ]
    for key, path in paths.items():
        commands = str(sum(path.tapped.commands.values())) if path.tapped else "-"
        rss = f"{path.peak_rss_mb:.0f}" if key not in "ab" else "-"
        rows.append(
            (
                f"({key}) {path.what}",
                f"{path.best:.2f}",
                " ".join(f"{run.seconds:.2f}" for run in path.runs),
                _ratio(paths, key),
                path.trips_text(),
                path.tap_text(),
                commands,
                rss,
            )
        )
    return rows


def table(paths: dict[str, Measured]) -> str:
    rows = _rows(paths)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append(
            "  ".join(
                cell.rjust(width) if i else cell.ljust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def targets(paths: dict[str, Measured]) -> list[str]:
    lines = []
    for target in TARGETS:
        value, met = target.check(paths)
        shown = f"{value:.0f}" if target.unit == "MB" else f"{value:.2f}"
        lines.append(f"{'✓' if met else '✗'} {target.what}: {shown} {target.unit}")
    return lines


def where_trips_go(paths: dict[str, Measured]) -> list[str]:
    """Per path: the round trips by what the client waited for, and its commands."""
    lines = []
    for key, path in paths.items():
        if path.tapped is None:
            continue
        lines.append(f"({key}) {path.what}: {path.tapped.trips_text()} round trips on "
                     f"{len(path.tapped.round_trips)} connection(s), "
                     f"{path.tapped.drained} of them drained pipelines")  # fmt: skip
        lines.append(f"    waited after: {path.tapped.waits_text()}")
        lines.append(f"    commands: {path.tapped.commands_text()}")
    return lines


def markdown(paths: dict[str, Measured], heading: str) -> str:
    rows = _rows(paths)
    out = [heading, "", "| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    out += ["| " + " | ".join(cell or "" for cell in row) + " |" for row in rows[1:]]
    out += ["", "| target | measured | met |", "|---|---|---|"]
    for target in TARGETS:
        value, met = target.check(paths)
        shown = f"{value:.0f}" if target.unit == "MB" else f"{value:.2f}"
        out.append(f"| {target.what} | {shown} {target.unit} | {'✓' if met else '✗'} |")
    out += ["", "Round trips by what the client waited for (one untimed run through the tap):", ""]
    out += [f"- {line.strip()}" if line.startswith("(") else f"  {line.strip()}"
            for line in where_trips_go(paths)]  # fmt: skip
    return "\n".join(out)


def figures(paths: dict[str, Measured]) -> dict[str, object]:
    """Everything measured, for --json."""
    out: dict[str, object] = {}
    for key, path in paths.items():
        out[key] = {
            "what": path.what,
            "seconds": [run.seconds for run in path.runs],
            "best": path.best,
            "peak_rss_mb": path.peak_rss_mb if key not in "ab" else None,
            "round_trips": [traffic.total for traffic in path.seen],
            "tap": None
            if path.tapped is None
            else {
                "round_trips": list(path.tapped.round_trips),
                "drained": path.tapped.drained,
                "commands": dict(path.tapped.commands),
                "waited_after": dict(path.tapped.waits),
            },
            "mismatches": len(path.mismatches),
        }
    out["targets"] = {
        target.what: {"value": value, "met": met}
        for target in TARGETS
        for value, met in [target.check(paths)]
    }
    return out
