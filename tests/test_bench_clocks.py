"""The clocks benchmark's generator and its two implementations agree at a tiny size
(benchmarks/bench_clocks.py checks the same at 200,000 events before timing)."""

from __future__ import annotations

import slagraph
from benchmarks.bench_clocks import MODEL, compare
from benchmarks.clocks_data import generate


def test_generator_is_deterministic() -> None:
    assert generate(50).equals(generate(50))
    assert generate(50).num_rows == 500


def test_slagraph_and_the_pandas_script_agree_on_every_cycle() -> None:
    """Cycle by cycle (started, stopped, elapsed, paused, account, priority) and every
    objective of every (account, month); `compare` raises on the first difference."""
    got = compare(slagraph.load(MODEL), generate(200))
    assert got["cycles"] > 200  # reopened tickets give more cycles than tickets
    assert got["open cycles"] > 0 and got["reopened"] > 0
