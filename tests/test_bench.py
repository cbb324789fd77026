"""Smoke test of bench/run.py: it runs end to end on a tiny mailbox and prints its figures.

Not a timed test: the figures are only checked to be there and to make sense.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dovecot import DOVECOT

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.dovecot,
    pytest.mark.skipif(
        DOVECOT is None and not os.environ.get("CI"), reason="dovecot is not installed"
    ),
]


def test_bench_runs_on_a_tiny_mailbox() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "300", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert re.search(r"^machine: \d+ CPU \(.+\), Python 3\.\d+\.\d+, Dovecot \d", out, re.M)
    row = re.search(
        r"^300 +([\d.]+) +([\d.]+) +([\d.]+) +(\d+) +([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+)"
        r" +([\d.]+) +([\d.]+) +yes$",
        out,
        re.M,
    )
    assert row is not None, out
    floor, cold, ratio, rss, cold_rtt, rtt_ratio, first, incr_0, incr_100, incr_1000 = (
        float(value) for value in row.groups()
    )
    assert 0 < floor < cold  # a fresh interpreter alone outlasts fetching 300 headers
    assert ratio == pytest.approx(cold / floor, rel=0.2)
    assert 10 < rss < 1000
    assert cold_rtt > cold  # the proxy's 50 ms per round trip show
    assert rtt_ratio == pytest.approx(cold_rtt / cold, rel=0.2)
    # Nightly runs through the cache, each report identical to a cold audit's ("yes").
    assert first > 0 and incr_0 > 0 and incr_100 > 0 and incr_1000 > 0
    assert "reports identical to cold audits" in out
    stages = ("start + imports", "connect + login", "fetch", "parse", "audit core")
    for stage in (*stages, "sum"):
        assert re.search(rf"^{re.escape(stage)} +[\d.]+$", out, re.M), stage
