"""Burn-rate alerts replayed over an interval (SPEC §6.5): when did each alert hold?

Each condition is evaluated at every step t = from + k·step before `to`; a step where it
holds stands for [t, t + step), consecutive ones merge, and the intervals are clipped to
[from, to). burn_rate(O, W) at t = (failed ÷ decided over (t − W, t]) ÷ (1 − target), null
(every comparison false) when nothing was decided; an objective below its `min` in its
own window or period at t makes every alert that names it quiet.

Vectorised like rolling windows (engine/windows.py), using that the steps are evenly
spaced: a share's records are counted once into (account, step) cells on the grid
from − reach + k·step (reach: the longest alert window that is a whole number of steps;
a record's cell is arithmetic, no search), and a cumulative sum along the steps gives
C(q), records at or before q. Every such window W is then C(t) − C(t − W), two column
slices of one array; other windows (and `min` over the objective's own window) get a grid
of their own. Accounts go in chunks of about CHUNK_CELLS cells, so that the per-window
arrays stay in cache. Loops run over alerts, objectives, windows and chunks only. The
data is read as known at as-of, as for `evaluate`.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slagraph import runtime
from slagraph.calendars import PeriodGrid
from slagraph.compiler import ir
from slagraph.data import Dataset
from slagraph.engine import known_at, load_for, preorder, to_ns, writers
from slagraph.engine.context import Context
from slagraph.engine.evaluate import accounts_table, coverage_mask
from slagraph.engine.metrics import share_outcomes
from slagraph.engine.predicates import evaluate_predicate
from slagraph.engine.rollup import below_minimum
from slagraph.engine.windows import (
    between,
    cells_regular,
    records,
    step_ns,
    uptime_amounts,
)
from slagraph.errors import SlaUsageError

__all__ = ["AlertResult", "alerts", "amounts"]

NS = 1_000_000_000
DEFAULT_SPAN = 7 * 86400 * NS
MAX_CELLS = 400_000_000  # accounts × steps: about 3 GB of working arrays at most
FAILED, DECIDED = 0, 1
FIELDS = ("kind", "node", "account", "alert", "start", "end")


class AlertResult:
    """The intervals during which each alert held, per account: rows of SPEC §6.5, held
    as an Arrow table and written through the engine's column writers."""

    def __init__(self, table: pa.Table, start: int, end: int, step: int) -> None:
        self.table = table
        self.start, self.end, self.step = start, end, step

    def __len__(self) -> int:
        return self.table.num_rows

    def rows(self) -> list[dict[str, Any]]:
        return self.table.to_pylist()  # type: ignore[no-any-return]

    def to_arrow(self) -> pa.Table:
        return self.table

    def to_jsonl(self) -> str:
        return _text(writers.json_lines(self.table, FIELDS))

    def to_json(self) -> str:
        return _text(writers.json_document(self.table, FIELDS))

    def to_csv(self) -> str:
        return _text(writers.csv_lines(self.table, FIELDS))

    def to_pandas(self) -> Any:
        return self.table.to_pandas()


def _text(chunks: Any) -> str:
    return b"".join(bytes(chunk) for chunk in chunks).decode("utf-8")


@attrs.frozen(eq=False)
class _Steps:
    t: np.ndarray  # int64 ns, from + k·step
    start: int
    end: int
    step: int


@attrs.frozen(eq=False)
class _Outcomes:
    """A share's records once: account codes, placing times, failed and decided flags."""

    codes: np.ndarray | None
    t: np.ndarray
    failed: np.ndarray
    decided: np.ndarray
    rows: int


def _outcomes(ctx: Context, metric: ir.ShareWithin | ir.ShareWhere) -> _Outcomes:
    value = metric.elapsed if isinstance(metric, ir.ShareWithin) else None
    recs = records(ctx, metric.select, value)
    if isinstance(metric, ir.ShareWithin):
        ok, decided = share_outcomes(ctx, metric, recs.placed())
    else:
        table = ctx.table(metric.select.stream)
        ok = evaluate_predicate(metric.condition, table, ctx.clock)[recs.rows]
        decided = np.ones(len(recs.rows), bool)
    return _Outcomes(recs.codes, recs.t, decided & ~ok, decided, recs.rows_out)


def amounts(
    ctx: Context, metric: ir.Metric, lower: np.ndarray, upper: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(failed, decided) over (lower, upper] per account and step, (A, S) float: the
    general path, for uptime and for `min` over calendar periods."""
    if isinstance(metric, ir.Uptime):
        down, measured = uptime_amounts(ctx, metric, lower, upper)
        return down.astype(np.float64), measured.astype(np.float64)
    out = _outcomes(ctx, metric)  # type: ignore[arg-type]
    shape = (ctx.accounts, len(upper))
    f = between(out.codes, out.t, out.failed, out.rows, lower, upper)
    n = between(out.codes, out.t, out.decided, out.rows, lower, upper)
    return (
        np.broadcast_to(f, shape).astype(np.float64),
        np.broadcast_to(n, shape).astype(np.float64),
    )


def _slack(objective: ir.Objective) -> float:
    from decimal import Decimal

    return float(1 - Decimal(repr(objective.target)))


CHUNK_CELLS = 1 << 18  # accounts × steps held at once: the working arrays stay in cache


class _Shared:
    """What one sla's chunks of accounts share: each share's records, counted once into
    (account, step) cells per grid, and the general path's full arrays."""

    def __init__(self, ctx: Context, agreement: ir.Agreement, inst: ir.Instance, steps: _Steps):
        self.ctx, self.agreement, self.inst, self.steps = ctx, agreement, inst, steps
        self.objectives = {o.name: o for o in agreement.objectives}
        self._outcomes: dict[str, _Outcomes] = {}
        self._cells: dict[tuple[str, int, int, int], np.ndarray] = {}
        self._general: dict[tuple[str, int, int], np.ndarray] = {}
        windows = [w * NS for a in agreement.alerts for w in _windows(a.condition)]
        whole = [w for w in windows if w % steps.step == 0]
        self.reach = max(whole, default=0)  # the longest window of whole steps

    def cells(self, name: str, kind: int, q0: int, n_q: int) -> np.ndarray:
        """Failed (or decided) records per (account, first query q0 + k·step at or after
        them); one row for a shared stream."""
        key = (name, kind, q0, n_q)
        if key not in self._cells:
            if name not in self._outcomes:
                self._outcomes[name] = _outcomes(self.ctx, self.objectives[name].metric)  # type: ignore[arg-type]
            out = self._outcomes[name]
            every = out.decided.all()  # then decided counts every record: no mask
            found = cells_regular(
                out.codes,
                out.t,
                [out.failed, None if every else out.decided],
                out.rows,
                q0,
                self.steps.step,
                n_q,
            )
            self._cells[(name, FAILED, q0, n_q)], self._cells[(name, DECIDED, q0, n_q)] = found
        return self._cells[key]

    def general(self, name: str, lower: np.ndarray, kind: int, tag: int) -> np.ndarray:
        """`amounts` over (lower, t] for all accounts, computed once per `tag`."""
        key = (name, tag, kind)
        if key not in self._general:
            metric = self.objectives[name].metric
            both = amounts(self.ctx, metric, lower, self.steps.t)
            self._general[(name, tag, FAILED)], self._general[(name, tag, DECIDED)] = both
        return self._general[key]


class _Sla:
    """One sla's burn rates and `min` flags at the steps for a chunk of accounts."""

    def __init__(self, shared: _Shared, rows: slice):
        self.shared, self.rows = shared, rows
        self.objectives = shared.objectives
        self.accounts = len(range(*rows.indices(shared.ctx.accounts)))
        self._burn: dict[tuple[str, int], np.ndarray] = {}
        self._quiet: dict[str, np.ndarray] = {}
        self._cumulative: dict[tuple[str, int, int, int], np.ndarray] = {}

    def burn(self, name: str, window: int) -> np.ndarray:
        """(failed ÷ decided) ÷ (1 − target) over (t − window, t]; NaN where nothing was
        decided (0 ÷ 0: failed is never above decided)."""
        key = (name, window)
        if key not in self._burn:
            o = self.objectives[name]
            failed = self.amount(name, window * NS, FAILED)
            decided = self.amount(name, window * NS, DECIDED)
            with np.errstate(invalid="ignore", divide="ignore"):
                rate = np.divide(failed, decided, out=failed)
            rate /= _slack(o)
            self._burn[key] = rate
        return self._burn[key]

    def amount(self, name: str, window: int, kind: int) -> np.ndarray:
        """Failed (or decided) amounts over (t − window, t] at every step, (A, S) float.

        The steps are evenly spaced, so a share's counts at or before every step come
        from one pass over its records on the grid first − reach + k·step, which holds
        both t and t − W for every window W that is a whole number of steps up to the
        longest (`reach`): each such window is a difference of two column slices."""
        sh = self.shared
        o, st = self.objectives[name], sh.steps
        if isinstance(o.metric, ir.Uptime):
            return sh.general(name, st.t - window, kind, window)[self.rows]
        n_steps = len(st.t)
        back = sh.reach // st.step
        upper = self.cumulative(name, kind, st.start - sh.reach, back + n_steps)
        if window % st.step == 0 and window <= sh.reach:
            m = window // st.step
            lower = upper[:, back - m : back - m + n_steps]
        else:
            lower = self.cumulative(name, kind, st.start - window, n_steps)
        diff = np.subtract(upper[:, back:], lower, dtype=np.float64)
        shape = (self.accounts, n_steps)
        return diff if diff.shape == shape else np.broadcast_to(diff, shape).copy()

    def cumulative(self, name: str, kind: int, q0: int, n_q: int) -> np.ndarray:
        """Records at or before each query q0 + k·step, for this chunk's accounts (a
        shared stream's single row serves them all)."""
        key = (name, kind, q0, n_q)
        if key not in self._cumulative:
            cells = self.shared.cells(name, kind, q0, n_q)
            mine = cells if len(cells) == 1 else cells[self.rows]
            self._cumulative[key] = np.cumsum(mine[:, :-1], axis=1)
        return self._cumulative[key]

    def quiet(self, name: str) -> np.ndarray:
        """Where the objective is below its `min` in its own window (or period) at t."""
        if name not in self._quiet:
            o, inst, t = self.objectives[name], self.shared.inst, self.shared.steps.t
            if o.minimum is None:
                self._quiet[name] = np.zeros((self.accounts, len(t)), bool)
            else:
                window = ir.window_seconds(inst.period)
                if window is not None:
                    decided = self.amount(name, window * NS, DECIDED)
                else:  # the period holding t, from its start: records at the start are in
                    grid = PeriodGrid.build(inst.period, inst.timezone, int(t[0]), int(t[-1]) + 1)
                    lower = grid.bounds[grid.index(t)] - (
                        0 if isinstance(o.metric, ir.Uptime) else 1
                    )
                    decided = self.shared.general(name, lower, DECIDED, -1)[self.rows]
                self._quiet[name] = below_minimum(o, decided)
        return self._quiet[name]

    def holds(self, cond: ir.AlertCondition) -> np.ndarray:
        match cond:
            case ir.BurnRate(objective=o, window=w, op=op, threshold=x):
                rate = self.burn(o, w)
                with np.errstate(invalid="ignore"):
                    compare = {">": np.greater, ">=": np.greater_equal, "<": np.less}
                    return np.asarray(compare.get(op, np.less_equal)(rate, x))  # NaN: false
            case ir.AlertAll(parts=parts):
                return np.logical_and.reduce([self.holds(p) for p in parts])
            case ir.AlertAny(parts=parts):
                return np.logical_or.reduce([self.holds(p) for p in parts])
            case ir.AlertNot(part=part):
                return ~self.holds(part)
        raise TypeError(cond)


def _windows(cond: ir.AlertCondition) -> set[int]:
    if isinstance(cond, ir.BurnRate):
        return {cond.window}
    parts = (cond.part,) if isinstance(cond, ir.AlertNot) else cond.parts
    return set().union(*(_windows(p) for p in parts))


def _named(cond: ir.AlertCondition) -> set[str]:
    if isinstance(cond, ir.BurnRate):
        return {cond.objective}
    parts = (cond.part,) if isinstance(cond, ir.AlertNot) else cond.parts
    return set().union(*(_named(p) for p in parts))


def intervals(held: np.ndarray, steps: _Steps) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(account, start, end) of the runs of consecutive held steps, clipped to `end`."""
    padded = np.zeros((held.shape[0], held.shape[1] + 2), np.int8)
    padded[:, 1:-1] = held
    edges = np.diff(padded, axis=1)
    acc, first = np.nonzero(edges == 1)  # row-major: runs in (account, time) order
    _, last = np.nonzero(edges == -1)
    start = steps.start + first.astype(np.int64) * steps.step
    end = np.minimum(steps.start + last.astype(np.int64) * steps.step, steps.end)
    return acc, start, end


def alerts(
    model: ir.Model,
    data: Any,
    *,
    as_of: Any = None,
    start: Any = None,
    end: Any = None,
    step: Any = "1m",
    on_bad_rows: str = "error",
    threads: int | None = None,
) -> AlertResult:
    """Replay every alert of the model over [start, end) (default: the 7 days before
    as-of) at every `step` (default 1 minute)."""
    with runtime.using(threads, None):
        dataset = data if isinstance(data, Dataset) else load_for(model, data, on_bad_rows)
        known = known_at(model, dataset, as_of)
        as_of_ns = known.as_of
        ctx = Context(
            model, known.data, known.as_of, known.lo, extremes=known.extremes, through=known.through
        )
        hi = to_ns(end, "to") if end is not None else as_of_ns
        first = to_ns(start, "from") if start is not None else hi - DEFAULT_SPAN
        size = step_ns(step)
        assert size is not None
        if hi <= first:
            raise SlaUsageError("--to must be after --from")
        t = np.arange(first, hi, size, dtype=np.int64)
        if ctx.accounts * len(t) > MAX_CELLS:
            raise SlaUsageError(
                f"{len(t):,} steps × {ctx.accounts:,} accounts is too many; use a longer "
                "--step or a shorter --from/--to"
            )
        steps = _Steps(t, first, hi, size)
        return AlertResult(_rows(model, ctx, steps), first, hi, size)


def _held(shared: _Shared) -> dict[str, np.ndarray]:
    """Where each alert of the sla holds, (A, S) bool, a chunk of accounts at a time."""
    alerts = shared.agreement.alerts
    accounts, n_steps = shared.ctx.accounts, len(shared.steps.t)
    per = max(1, CHUNK_CELLS // (n_steps + shared.reach // shared.steps.step + 1))
    held = {a.name: np.zeros((accounts, n_steps), bool) for a in alerts}
    for r0 in range(0, accounts, per):
        rows = slice(r0, min(r0 + per, accounts))
        sla = _Sla(shared, rows)
        for alert in alerts:
            found = sla.holds(alert.condition)
            for name in _named(alert.condition):
                found &= ~sla.quiet(name)
            held[alert.name][rows] = found
    return held


def _rows(model: ir.Model, ctx: Context, steps: _Steps) -> pa.Table:
    """Every alert's intervals as one table, in pre-order of nodes, then alert, account
    and start: arrays per (node, alert), text taken from small dictionaries."""
    table = accounts_table(ctx.data)
    memo: dict[tuple[str, str, str], dict[str, np.ndarray]] = {}
    labels: list[tuple[str, str]] = []
    parts: list[tuple[np.ndarray, pa.Array, pa.Array]] = []
    for inst in preorder(model.plan):
        agreement = model.agreements[inst.agreement]
        if not agreement.alerts:
            continue
        key = (inst.agreement, inst.period, inst.timezone)
        if key not in memo:
            memo[key] = _held(_Shared(ctx, agreement, inst, steps))
        covered = coverage_mask(inst, table, ctx)
        for alert in agreement.alerts:
            acc, start, end = intervals(memo[key][alert.name], steps)
            keep = covered[acc]
            labels.append((inst.path, alert.name))
            parts.append((acc[keep], _iso(start[keep]), _iso(end[keep])))
    sizes = np.array([len(acc) for acc, _, _ in parts], np.int64)
    block = pa.array(np.repeat(np.arange(len(parts), dtype=np.int32), sizes))
    codes = np.concatenate([acc for acc, _, _ in parts]) if parts else np.zeros(0, np.int64)
    names = pa.array([str(n) for n in ctx.data.account_names], pa.string())
    n = int(sizes.sum())
    return pa.table(
        {
            "kind": pa.array(["alert"], pa.string()).take(pa.array(np.zeros(n, np.int32))),
            "node": pa.array([p for p, _ in labels], pa.string()).take(block),
            "account": names.take(pa.array(codes.astype(np.int32, copy=False))),
            "alert": pa.array([a for _, a in labels], pa.string()).take(block),
            "start": pa.concat_arrays([s for _, s, _ in parts] or [pa.array([], pa.string())]),
            "end": pa.concat_arrays([e for _, _, e in parts] or [pa.array([], pa.string())]),
        }
    )


def _iso(instants: np.ndarray) -> pa.Array:
    """`iso_labels` as one Arrow array: `2026-04-03T00:00:00Z`, fractions of a second only
    where an instant of the block has them."""
    exact = bool((instants % NS == 0).all())
    text = np.datetime_as_string(instants.astype("datetime64[ns]"), unit="s" if exact else "ns")
    return pc.binary_join_element_wise(pa.array(text, pa.string()), "Z", "")
