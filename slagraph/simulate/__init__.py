"""Monte-Carlo simulation: how likely is each node to breach, and how much credit is at stake?

draws.py     the random part: the days a bootstrap run draws, the Poisson multiplicities
measures.py  metrics over a chunk of runs, from the base data measured once
summary.py   P(breach) with its interval, expected credit, exposure quantiles, drivers

Runs are a block axis of the accounts, processed in chunks: each chunk is one walk of the
engine's plan over (runs × accounts, period) arrays, with the metrics replaced by their
resampled versions. See docs/whatif.md for the method and its assumptions.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

import attrs
import numpy as np

from slagraph import runtime
from slagraph.compiler import ir
from slagraph.data import Dataset
from slagraph.engine import fees, known_at, load_for, periods_in, preorder, require_periods
from slagraph.engine.context import Context
from slagraph.engine.evaluate import Walk, accounts_table, coverage_mask
from slagraph.engine.rollup import STATUS_NAMES, in_progress, label_dates
from slagraph.errors import SlaUsageError
from slagraph.simulate.draws import BLOCK_KINDS
from slagraph.simulate.measures import Resampler
from slagraph.simulate.summary import NodeTally, driver_rows, node_rows
from slagraph.whatif.changes import Change, apply, parse_changes
from slagraph.whatif.scenarios import stack

__all__ = ["Estimate", "Simulation", "estimate", "simulate"]

METHODS = ("bootstrap", "poisson")
CELLS_PER_CHUNK = 4_000_000  # (runs × accounts × days) or (runs × records) per chunk
NODE_FIELDS = (
    "kind",
    "account",
    "period",
    "node",
    "observed",
    "final",
    "runs",
    "p_breach",
    "p_breach_low",
    "p_breach_high",
    "expected_credit_pct",
    "expected_credit",
    "credit_p50",
    "credit_p95",
    "credit_p99",
)
DRIVER_FIELDS = ("kind", "node", "member", "p_breach", "p_member_breach", "coincidence")


@attrs.frozen(eq=False)
class Simulation:
    """The outcome of `simulate`: node rows (per account and period, and `*` totals) and
    driver rows. `rows()` gives both; `to_pandas()` one frame with a `kind` column."""

    nodes: list[dict[str, Any]]
    drivers: list[dict[str, Any]]
    runs: int
    seed: int
    method: str
    block: str
    bad_rows: dict[str, int] = attrs.Factory(dict)  # rows skipped per stream (on_bad_rows="skip")
    as_of: int | None = None  # the instant evaluated as of (UTC ns)

    def rows(self) -> list[dict[str, Any]]:
        return self.nodes + self.drivers

    def to_pandas(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.rows())

    def to_jsonl(self) -> str:
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.rows())

    def to_json(self) -> str:
        meta = {"runs": self.runs, "seed": self.seed, "method": self.method, "block": self.block}
        return json.dumps({**meta, "rows": self.rows()}, ensure_ascii=False, indent=1) + "\n"

    def to_csv(self) -> str:
        from slagraph.engine import writers

        return writers.rows_csv(self.rows(), list(dict.fromkeys([*NODE_FIELDS, *DRIVER_FIELDS])))


def default_block(model: ir.Model) -> str:
    """The finest period of the model's agreements, coarser than a day (else monthly):
    resampling within it keeps every coarser period's days in that period."""
    kinds = {i.period for i in model.plan.instances} | {
        a.period for a in model.agreements.values() if a.period
    }
    finer = [k for k in BLOCK_KINDS[1:] if k in kinds]
    return finer[0] if finer else "monthly"


MAX_RUNS = 1_000_000
"""More runs than this would take hours and hold their per-run tallies in memory, for an
interval a thousand runs could already give to a tenth (a typo such as 10^20 is said,
not run until killed)."""


WORKING_FACTOR = 2.0  # calibrated: see `estimate`
KEPT_FACTOR = 5.0


@attrs.frozen
class Estimate:
    """What a whole simulation will cost, extrapolated from its first chunk of runs
    (the pilot, which is part of the run, not extra work): `seconds` still to go, and
    `bytes` the process will hold at the end."""

    runs: int
    accounts: int
    pilot_runs: int
    seconds: float
    bytes: int


def estimate(
    runs: int,
    accounts: int,
    pilot_runs: int,
    pilot_seconds: float,
    kept_per_run: int,
    before: int,
    pilot_peak: int,
    chunk: int,
) -> Estimate:
    """Time: the pilot's seconds per run × the runs left (it errs high: the pilot pays
    one-time costs the later chunks do not). Memory: what the process held before the
    runs (`before`: data and base evaluation), plus a chunk's working set, plus what is
    kept per run; the last two are scaled from measurements by factors calibrated on the
    SPEC example (docs/performance.md, Monte Carlo: from 35% high at 25,000 runs to
    within 1% of the peak RSS at 200,000): the working set is WORKING_FACTOR × the pilot's rise of
    the peak (`pilot_peak - before`) scaled from the pilot's runs to a chunk's, and each
    run costs KEPT_FACTOR × the credits kept for the exposure quantiles (`kept_per_run`
    bytes: the per-run arrays, their concatenation, the sorted copy, and the allocator's
    share).

    >>> e = estimate(200_000, 40, 250, 1.0, 960, 300 * 2**20, 310 * 2**20, 5_000)
    >>> round(e.seconds), round(e.bytes / 2**30, 2)
    (799, 1.58)
    """
    left = max(runs - pilot_runs, 0)
    seconds = pilot_seconds / max(pilot_runs, 1) * left
    rise = max(pilot_peak - before, 0)
    working = WORKING_FACTOR * rise * max(chunk, pilot_runs) / max(pilot_runs, 1)
    kept = KEPT_FACTOR * runs * kept_per_run
    return Estimate(runs, accounts, pilot_runs, seconds, int(before + working + kept))


def _peak_bytes() -> int:
    """The process's peak resident memory so far (0 where `resource` is missing)."""
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)
    except (ImportError, OSError):
        return 0


def _resident_bytes() -> int:
    """The process's resident memory now (Linux /proc; elsewhere the peak so far)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return _peak_bytes()


def simulate(
    model: ir.Model,
    data: Any,
    *,
    runs: int = 1000,
    seed: int = 0,
    method: str = "bootstrap",
    changes: Sequence[str | Change] = (),
    block: str | None = None,
    as_of: Any = None,
    start: str | None = None,
    end: str | None = None,
    on_bad_rows: str = "error",
    progress: Callable[[int, int], None] | None = None,
    chunk: int | None = None,
    threads: int | None = None,
    executor: Executor | None = None,
    on_estimate: Callable[[Estimate], None] | None = None,
) -> Simulation:
    """Run `runs` resampled versions of the data through the model (see module doc);
    `threads`/`executor` bound the threads it uses (`slagraph.runtime`). `on_estimate`,
    when given, is called once after the first chunk when runs remain, with the
    `Estimate` of the rest (the CLI prints it for a long run)."""
    if any(ir.window_seconds(i.period) is not None for i in model.plan.instances):
        raise SlaUsageError(
            "simulate resamples calendar periods; this model has rolling windows "
            "(window rolling D), which it does not simulate"
        )
    sliced = [
        f"{a.name}.{o.name}"
        for a in model.agreements.values()
        for o in a.objectives
        if isinstance(o.metric, ir.Uptime) and o.metric.slices is not None
    ]
    if sliced:
        raise SlaUsageError(
            f"simulate resamples uptime in measured time; {sliced[0]} is budgeted by "
            "timeslices, which it does not simulate (yet)"
        )
    with runtime.using(threads, executor):
        return _simulate(
            model,
            data,
            runs,
            seed,
            method,
            changes,
            block,
            as_of,
            start,
            end,
            on_bad_rows,
            progress,
            chunk,
            on_estimate,
        )


def _simulate(
    model: ir.Model,
    data: Any,
    runs: int,
    seed: int,
    method: str,
    changes: Sequence[str | Change],
    block: str | None,
    as_of: Any,
    start: str | None,
    end: str | None,
    on_bad_rows: str,
    progress: Callable[[int, int], None] | None,
    chunk: int | None,
    on_estimate: Callable[[Estimate], None] | None,
) -> Simulation:
    setup = prepare(
        model, data, runs, seed, method, changes, block, as_of, start, end, on_bad_rows, chunk
    )
    chunk = setup.chunk
    runner = Runner(setup)
    done = 0
    resident = _resident_bytes() if on_estimate is not None else 0
    peak = _peak_bytes() if on_estimate is not None else 0
    began = time.perf_counter()
    for lo, hi in chunk_bounds(runs, chunk, on_estimate is not None):
        runner.run(np.arange(lo, hi))
        done = hi
        if on_estimate is not None and lo == 0 and done < runs:
            kept = sum(
                8 * len(t.accounts) * len(t.periods)
                for t in runner.tallies.values()
                if t.kind in ("sla", "master")
            )
            elapsed = time.perf_counter() - began
            # The pilot's own peak when it raised the process's (a host may have peaked
            # long before, on something else); else what it holds now.
            after = _peak_bytes()
            high = after if after > peak else _resident_bytes()
            on_estimate(estimate(runs, setup.accounts, done, elapsed, kept, resident, high, chunk))
        if progress is not None:
            progress(done, runs)
    return finish(setup, runner.tallies)


def chunk_bounds(runs: int, chunk: int, pilot: bool) -> list[tuple[int, int]]:
    """The (first, end) run ids of each chunk one process runs. With `pilot` (an
    `on_estimate` given), the first chunk is a short pilot (a twentieth of a chunk) that
    the estimate is taken from, so that it comes within a second or so, not after a
    whole chunk. The pilot's runs are part of the result: chunking changes only the
    order floats are summed in (which Dask reproduces: `slagraph.distributed`)."""
    first = max(1, chunk // 20) if pilot else chunk
    bounds, done = [], 0
    while done < runs:
        hi = min(done + (first if done == 0 else chunk), runs)
        bounds.append((done, hi))
        done = hi
    return bounds


@attrs.define(eq=False)
class Setup:
    """What every chunk of runs shares: the data (changed, known at as-of), the
    resampler, the base evaluation (observed statuses) and the reported periods."""

    model: ir.Model
    runs: int
    seed: int
    method: str
    block: str
    dataset: Dataset
    as_of_ns: int
    lo: int
    through: int
    resampler: Resampler
    base: Context
    accounts: int
    observed_walk: Walk
    table: Any
    lo_date: Any
    hi_date: Any
    chunk: int


def prepare(
    model: ir.Model,
    data: Any,
    runs: int,
    seed: int,
    method: str,
    changes: Sequence[str | Change],
    block: str | None,
    as_of: Any,
    start: str | None,
    end: str | None,
    on_bad_rows: str,
    chunk: int | None,
) -> Setup:
    """Checks the arguments, loads the data and evaluates it once (the observed
    statuses); `chunk`: runs per chunk (default: about CELLS_PER_CHUNK cells)."""
    if method not in METHODS:
        raise SlaUsageError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if not 1 <= runs <= MAX_RUNS:
        raise SlaUsageError(
            f"runs must be between 1 and {MAX_RUNS:,}, got {runs:,}: an estimate's interval "
            "narrows as 1/sqrt(runs), so 10,000 runs already pin a probability to ±1%"
        )
    block = block or default_block(model)
    if block not in BLOCK_KINDS:
        raise SlaUsageError(f"period must be one of {', '.join(BLOCK_KINDS)}, got {block!r}")
    dataset = data if isinstance(data, Dataset) else load_for(model, data, on_bad_rows)
    if changes:
        dataset = apply(model, dataset, parse_changes(model, changes), np.random.default_rng(seed))
    known = known_at(model, dataset, as_of)
    dataset, as_of_ns, lo, through = known.data, known.as_of, known.lo, known.through

    resampler = Resampler(model, dataset, as_of_ns, lo, method, block, seed, through)
    base = resampler.ctx
    accounts = base.accounts
    observed_walk = Walk(model, base)
    for inst in preorder(model.plan):  # the base evaluation: observed statuses
        observed_walk.agreement(inst.agreement, inst.period, inst.timezone)
    resampler.expect(base.measures)
    table = accounts_table(dataset)
    require_periods(model, base, start, end)
    lo_date = label_dates(start)[0] if start else None
    hi_date = label_dates(end)[1] if end else None

    if chunk is None:
        if method == "bootstrap":
            width = accounts * len(resampler.union)
        else:
            width = max([len(t) for t in dataset.tables.values()] + [accounts])
        chunk = max(1, min(runs, CELLS_PER_CHUNK // max(width, 1)))
    return Setup(
        model,
        runs,
        seed,
        method,
        block,
        dataset,
        as_of_ns,
        lo,
        through,
        resampler,
        base,
        accounts,
        observed_walk,
        table,
        lo_date,
        hi_date,
        chunk,
    )


class Runner:
    """Runs chunks of runs and tallies them, node by node (`tallies`, by node path)."""

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.shell = attrs.evolve(setup.dataset, tables={})  # the walk reads only accounts
        self.contexts: dict[int, Context] = {}
        self.tallies: dict[str, NodeTally] = {}
        self.within: dict[str, np.ndarray] = {}  # child path → the parent's accounts it covers

    def run(self, ids: np.ndarray, piece: int | None = None, whole: bool = True) -> None:
        """One chunk: the runs `ids`. `piece` (on Dask): keep the chunk's credits in
        each tally's `pieces`, as index `piece` of the one-process chunks (`whole`: all
        of it, else part of it), for the client to sum as one process does."""
        s = self.setup
        model, accounts, base, table = s.model, s.accounts, s.base, s.table
        if len(ids) not in self.contexts:  # one per chunk size: the full chunks and the last
            self.contexts[len(ids)] = Context(
                model, stack([self.shell] * len(ids)), s.as_of_ns, s.lo, through=s.through
            )
        s.resampler.set_runs(ids)
        ctx = self.contexts[len(ids)]
        ctx.measures.clear()  # the previous chunk's
        walk = Walk(model, ctx, measure=s.resampler.measure)
        tallies, within = self.tallies, self.within
        keep = None if piece is None else (piece, whole)
        by_path = model.plan.by_path()
        for inst in preorder(model.plan):
            agreement = model.agreements[inst.agreement]
            av = walk.agreement(inst.agreement, inst.period, inst.timezone)
            if inst.path not in tallies:
                covered = np.flatnonzero(coverage_mask(inst, table, base))
                periods = periods_in(av.verdict.grid, s.lo_date, s.hi_date)
                tallies[inst.path] = NodeTally(inst.path, agreement.kind, covered, periods)
                for o in agreement.objectives:
                    path = f"{inst.path}.{o.name}"
                    tallies[path] = NodeTally(path, "objective", covered, periods)
            node = tallies[inst.path]
            breached = node.add(av.verdict.met, av.verdict.credit, len(ids), accounts, keep)
            for o in agreement.objectives:
                v = av.objectives[o.name]
                path = f"{inst.path}.{o.name}"
                member = tallies[path].add(v.met, v.credit, len(ids), accounts, keep)
                node.add_member(path, breached, member)
            by_agreement = {by_path[c].agreement: c for c in inst.children}
            for name, v in av.children.items():
                child = by_agreement[name]
                if child not in within:  # the parent's accounts the child covers
                    within[child] = coverage_mask(by_path[child], table, base)[node.accounts]
                node.add_member(
                    child, breached, ~node.cells(v.met, len(ids), accounts), within[child]
                )
        del walk


def finish(setup: Setup, tallies: dict[str, NodeTally]) -> Simulation:
    """The rows of the tallies of all `setup.runs` runs."""
    model, runs, dataset, as_of_ns = setup.model, setup.runs, setup.dataset, setup.as_of_ns
    names = np.asarray(dataset.account_names, dtype=object)
    fee = fees(dataset)
    observed: dict[str, np.ndarray] = {}
    for inst in preorder(model.plan):
        base_av = setup.observed_walk.agreement(inst.agreement, inst.period, inst.timezone)
        observed[inst.path] = STATUS_NAMES[base_av.verdict.status]
        for o in model.agreements[inst.agreement].objectives:
            observed[f"{inst.path}.{o.name}"] = STATUS_NAMES[base_av.objectives[o.name].status]
    nodes, drivers = [], []
    grids = {p: setup.observed_walk.ctx.grid(*p) for p in _grids(model)}
    for inst in preorder(model.plan):
        grid = grids[(inst.period, inst.timezone)]
        grid_labels = (grid.labels, ~in_progress(grid, as_of_ns))
        paths = [inst.path] + [
            f"{inst.path}.{o.name}" for o in model.agreements[inst.agreement].objectives
        ]
        for path in paths:
            nodes += node_rows(tallies[path], runs, names, grid_labels, fee, observed[path])
        drivers += driver_rows(tallies[inst.path], runs)
    return Simulation(
        nodes,
        drivers,
        runs,
        setup.seed,
        setup.method,
        setup.block,
        dict(dataset.bad_rows),
        as_of=as_of_ns,
    )


def _grids(model: ir.Model) -> set[tuple[str, str]]:
    return {(i.period, i.timezone) for i in model.plan.instances}
