"""Burn-rate alerts replayed over an interval (SPEC §6.5): when did each alert hold?

Each condition is evaluated at every step t = from + k·step before `to`; a step where it
holds stands for [t, t + step), consecutive ones merge, and the intervals are clipped to
[from, to). burn_rate(O, W) at t = (failed ÷ decided over (t − W, t]) ÷ (1 − target), null
(every comparison false) when nothing was decided; an objective below its `min` in its
own window or period at t makes every alert that names it quiet.

Vectorised like rolling windows (engine/windows.py): per window W, each record is looked
up once among the sorted query instants t − W and t, and cumulative sums along the steps
give failed and decided for every account and step at once. Loops run over alerts,
objectives and windows only. The data is read as known at as-of, as for `evaluate`.
"""

from __future__ import annotations

import json
from typing import Any

import attrs
import numpy as np

from slagraph import runtime
from slagraph.calendars import PeriodGrid
from slagraph.compiler import ir
from slagraph.data import Dataset
from slagraph.engine import known_at, load_for, preorder, to_ns
from slagraph.engine.context import Context
from slagraph.engine.evaluate import accounts_table, coverage_mask
from slagraph.engine.metrics import share_outcomes
from slagraph.engine.predicates import evaluate_predicate
from slagraph.engine.rollup import below_minimum
from slagraph.engine.windows import between, iso_labels, records, step_ns, uptime_amounts
from slagraph.errors import SlaUsageError

__all__ = ["AlertResult", "alerts", "amounts"]

NS = 1_000_000_000
DEFAULT_SPAN = 7 * 86400 * NS
MAX_CELLS = 400_000_000  # accounts × steps: about 3 GB of working arrays at most
FIELDS = ("kind", "node", "account", "alert", "start", "end")


class AlertResult:
    """The intervals during which each alert held, per account: rows of SPEC §6.5."""

    def __init__(self, rows: list[dict[str, Any]], start: int, end: int, step: int) -> None:
        self._rows = rows
        self.start, self.end, self.step = start, end, step

    def __len__(self) -> int:
        return len(self._rows)

    def rows(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._rows]

    def to_jsonl(self) -> str:
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self._rows)

    def to_json(self) -> str:
        return json.dumps({"rows": self._rows}, ensure_ascii=False, indent=1) + "\n"

    def to_csv(self) -> str:
        from slagraph.engine import writers

        return writers.rows_csv(self._rows, FIELDS)

    def to_pandas(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self._rows, columns=list(FIELDS))


@attrs.frozen(eq=False)
class _Steps:
    t: np.ndarray  # int64 ns, from + k·step
    start: int
    end: int
    step: int


def amounts(
    ctx: Context, metric: ir.Metric, lower: np.ndarray, upper: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(failed, decided) over (lower, upper] per account and step, (A, S) float: the
    amounts a burn rate (and the report's burn-down chart) divide."""
    if isinstance(metric, ir.Uptime):
        down, measured = uptime_amounts(ctx, metric, lower, upper)
        return down.astype(np.float64), measured.astype(np.float64)
    value = metric.elapsed if isinstance(metric, ir.ShareWithin) else None
    recs = records(ctx, metric.select, value)  # type: ignore[union-attr]
    if isinstance(metric, ir.ShareWithin):
        ok, decided = share_outcomes(ctx, metric, recs.placed())
    else:
        table = ctx.table(metric.select.stream)  # type: ignore[union-attr]
        ok = evaluate_predicate(metric.condition, table, ctx.clock)[recs.rows]  # type: ignore[union-attr]
        decided = np.ones(len(recs.rows), bool)
    failed = decided & ~ok
    shape = (ctx.accounts, len(upper))
    f = between(recs.codes, recs.t, failed, recs.rows_out, lower, upper)
    n = between(recs.codes, recs.t, decided, recs.rows_out, lower, upper)
    return (
        np.broadcast_to(f, shape).astype(np.float64),
        np.broadcast_to(n, shape).astype(np.float64),
    )


def _slack(objective: ir.Objective) -> float:
    from decimal import Decimal

    return float(1 - Decimal(repr(objective.target)))


class _Sla:
    """One sla's burn rates and `min` flags at the steps, computed once per window."""

    def __init__(self, ctx: Context, agreement: ir.Agreement, inst: ir.Instance, steps: _Steps):
        self.ctx, self.agreement, self.inst, self.steps = ctx, agreement, inst, steps
        self.objectives = {o.name: o for o in agreement.objectives}
        self._burn: dict[tuple[str, int], np.ndarray] = {}
        self._quiet: dict[str, np.ndarray] = {}

    def burn(self, name: str, window: int) -> np.ndarray:
        key = (name, window)
        if key not in self._burn:
            o = self.objectives[name]
            t = self.steps.t
            failed, decided = amounts(self.ctx, o.metric, t - window * NS, t)
            with np.errstate(invalid="ignore", divide="ignore"):
                rate = np.where(decided > 0, failed / np.where(decided > 0, decided, 1), np.nan)
            self._burn[key] = rate / _slack(o)
        return self._burn[key]

    def quiet(self, name: str) -> np.ndarray:
        """Where the objective is below its `min` in its own window (or period) at t."""
        if name not in self._quiet:
            o, t = self.objectives[name], self.steps.t
            if o.minimum is None:
                self._quiet[name] = np.zeros((self.ctx.accounts, len(t)), bool)
            else:
                window = ir.window_seconds(self.inst.period)
                if window is not None:
                    lower = t - window * NS
                else:  # the period holding t, from its start: records at the start are in
                    grid = PeriodGrid.build(
                        self.inst.period, self.inst.timezone, int(t[0]), int(t[-1]) + 1
                    )
                    lower = grid.bounds[grid.index(t)] - (
                        0 if isinstance(o.metric, ir.Uptime) else 1
                    )
                decided = amounts(self.ctx, o.metric, lower, t)[1]
                self._quiet[name] = below_minimum(o, decided)
        return self._quiet[name]

    def holds(self, cond: ir.AlertCondition) -> np.ndarray:
        match cond:
            case ir.BurnRate(objective=o, window=w, op=op, threshold=x):
                rate = self.burn(o, w)
                with np.errstate(invalid="ignore"):
                    out = {">": rate > x, ">=": rate >= x, "<": rate < x, "<=": rate <= x}[op]
                return np.asarray(out & ~np.isnan(rate))
            case ir.AlertAll(parts=parts):
                return np.logical_and.reduce([self.holds(p) for p in parts])
            case ir.AlertAny(parts=parts):
                return np.logical_or.reduce([self.holds(p) for p in parts])
            case ir.AlertNot(part=part):
                return ~self.holds(part)
        raise TypeError(cond)


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


def _rows(model: ir.Model, ctx: Context, steps: _Steps) -> list[dict[str, Any]]:
    names = ctx.data.account_names
    table = accounts_table(ctx.data)
    rows: list[dict[str, Any]] = []
    memo: dict[tuple[str, str, str], dict[str, np.ndarray]] = {}
    for inst in preorder(model.plan):
        agreement = model.agreements[inst.agreement]
        if not agreement.alerts:
            continue
        key = (inst.agreement, inst.period, inst.timezone)
        if key not in memo:
            sla = _Sla(ctx, agreement, inst, steps)
            memo[key] = {}
            for alert in agreement.alerts:
                held = sla.holds(alert.condition)
                for name in _named(alert.condition):
                    held = held & ~sla.quiet(name)
                memo[key][alert.name] = held
        covered = coverage_mask(inst, table, ctx)
        for alert in agreement.alerts:
            acc, start, end = intervals(memo[key][alert.name], steps)
            keep = covered[acc]
            acc, start, end = acc[keep], start[keep], end[keep]
            for a, s, e in zip(acc.tolist(), iso_labels(start), iso_labels(end), strict=True):
                rows.append(
                    {
                        "kind": "alert",
                        "node": inst.path,
                        "account": str(names[a]),
                        "alert": alert.name,
                        "start": s,
                        "end": e,
                    }
                )
    return rows
