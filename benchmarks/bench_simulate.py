"""Monte Carlo: 10,000 bootstrap runs of the SPEC example model over 100 accounts × 12
months, against the way a user would do it without slagraph's scenario axis — a loop
that resamples the data and calls `evaluate()` once per run.

    python -m pytest benchmarks/bench_simulate.py --benchmark-only \
        --benchmark-columns=min,median,max,rounds -s

* `test_simulate`: `Model.simulate(runs=10_000)` on the generated SPEC data
  (benchmarks/generate.py, ~2,500 events per account, 250,000 in all);
* `test_loop_per_run`: one run of the loop — resample each account's days within each
  month (the same day-block bootstrap, the same draws as the simulation), build the
  run's tables with vectorised numpy/Arrow (no Python loop over records), and
  `evaluate()` them. 10,000 runs of the loop take 10,000 × this; the printed ratio is
  that extrapolation over the simulation's time. Nothing here asserts a time:
  docs/performance.md records the figures.

SIM_RUNS (default 10000) changes the number of runs.
"""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from benchmarks import harness
from benchmarks.generate import cached
from slagraph.engine import load_for
from slagraph.simulate import draws

RUNS = int(float(os.environ.get("SIM_RUNS", "10000")))
ACCOUNTS = 100
EVENTS = 250_000
DAY_NS = 86_400 * 1_000_000_000
TIME_OF = {
    "outages": "start",
    "incidents": "opened",
    "tickets": "created",
    "crm_leads": "qualified",
}
TIMES = {
    "outages": ("start", "end"),
    "incidents": ("opened", "responded", "resolved"),
    "tickets": ("created", "first_reply", "solved"),
    "crm_leads": ("qualified", "contacted"),
}
_times: dict[str, float] = {}


@pytest.fixture(scope="module")
def spec():  # type: ignore[no-untyped-def]
    _, tables, as_of = cached(EVENTS, accounts=ACCOUNTS)
    model = harness.spec_model()
    return model, tables, as_of


class Resample:
    """The loop's resampler: each (account, UTC date) of a run gets the records of a
    date drawn from the same month, moved to it; built with array operations."""

    def __init__(self, tables: dict[str, pa.Table], as_of) -> None:  # type: ignore[no-untyped-def]
        self.tables = tables
        names = tables["accounts"].column("account").to_pylist()
        self.accounts = len(names)
        index = {n: i for i, n in enumerate(names)}
        first = min(pc.min(tables[s].column(c)).as_py() for s, c in TIME_OF.items()).date()
        self.start = np.datetime64(first, "D")
        self.dates = np.arange(self.start, np.datetime64(as_of.date(), "D") + 1)
        self.draws = draws.DayDraws(self.dates, np.ones(len(self.dates), bool), "monthly")
        self.groups = {}
        for stream, column in TIME_OF.items():
            t = tables[stream].column(column).cast(pa.int64()).to_numpy()
            day = (t // DAY_NS - self.start.astype(np.int64)).astype(np.int64)
            acc = np.array([index[a] for a in tables[stream].column("account").to_pylist()])
            cell = acc * len(self.dates) + day
            order = np.argsort(cell, kind="stable")
            bounds = np.searchsorted(cell[order], np.arange(self.accounts * len(self.dates) + 1))
            self.groups[stream] = (order, bounds)

    def run(self, seed: int, run: int) -> dict[str, pa.Table]:
        src = self.draws.sources(seed, run, self.accounts).astype(np.int64)  # (A, dates)
        n = len(self.dates)
        cells = (np.arange(self.accounts)[:, None] * n + src).ravel()
        shift = ((np.arange(n)[None, :] - src).ravel()) * DAY_NS
        out = {"accounts": self.tables["accounts"]}
        for stream, (order, bounds) in self.groups.items():
            lo, hi = bounds[cells], bounds[cells + 1]
            sizes = hi - lo
            slot = np.repeat(np.arange(len(cells)), sizes)
            rows = order[
                np.repeat(lo, sizes)
                + np.arange(sizes.sum())
                - np.repeat(np.cumsum(sizes) - sizes, sizes)
            ]
            table = self.tables[stream].take(pa.array(rows))
            for column in TIMES[stream]:
                moved = pc.add(table.column(column).cast(pa.int64()), pa.array(shift[slot]))
                i = table.schema.get_field_index(column)
                table = table.set_column(i, column, moved.cast(table.schema.field(column).type))
            out[stream] = table
        return out


def test_simulate(benchmark, spec) -> None:  # type: ignore[no-untyped-def]
    model, tables, as_of = spec
    data = load_for(model.ir, tables)
    benchmark.group = f"simulate {RUNS:,} runs, {ACCOUNTS} accounts × 12 months"
    result = benchmark.pedantic(
        model.simulate,
        args=(data,),
        kwargs={"runs": RUNS, "seed": 1, "as_of": as_of},
        rounds=1,
        iterations=1,
    )
    assert result.nodes
    _times["simulate"] = benchmark.stats.stats.min


def test_loop_per_run(benchmark, spec) -> None:  # type: ignore[no-untyped-def]
    model, tables, as_of = spec
    resample = Resample(tables, as_of)
    state = {"run": 0}

    def one_run() -> None:
        data = resample.run(1, state["run"])
        state["run"] += 1
        model.evaluate(data, as_of=as_of)

    benchmark.group = f"simulate {RUNS:,} runs, {ACCOUNTS} accounts × 12 months"
    benchmark.pedantic(one_run, rounds=10, iterations=1, warmup_rounds=1)
    per_run = benchmark.stats.stats.median
    if "simulate" in _times:
        loop = per_run * RUNS
        print(
            f"\nloop: {per_run:.3f} s per run → {loop:,.0f} s for {RUNS:,} runs; "
            f"simulate: {_times['simulate']:.1f} s; ratio {loop / _times['simulate']:.0f}×"
        )
