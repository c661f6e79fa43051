"""`explain`: why a node is met or breached, from the node down to the records.

The walk's verdicts are reused; only the one (account, period) cell is re-examined, so an
explanation costs a few masks over the streams it names, not a new evaluation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import numpy as np

from slagraph.compiler import ir
from slagraph.engine import metrics
from slagraph.engine.context import Context
from slagraph.engine.evaluate import Walk, accounts_table, coverage_mask
from slagraph.engine.kernels import NS
from slagraph.engine.predicates import evaluate_predicate
from slagraph.engine.rollup import STATUS_NAMES, Verdict, period_map
from slagraph.errors import SlaUsageError, did_you_mean

MAX_RECORDS = 20


@attrs.frozen
class Explanation:
    """One node's verdict in one cell, its children's, and the records behind a failure."""

    node: str
    kind: str
    period: str
    status: str
    value: float | None = None
    target: float | None = None
    detail: str = ""
    records: tuple[dict[str, Any], ...] = ()
    more_records: int = 0
    children: tuple[Explanation, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self, recurse=True)

    def text(self, indent: str = "") -> str:
        head = f"{indent}{self.node} [{self.kind}] {self.period}: {self.status}"
        if self.detail:
            head += f" — {self.detail}"
        lines = [head]
        for record in self.records:
            fields = ", ".join(f"{k}={v}" for k, v in record.items())
            lines.append(f"{indent}    · {fields}")
        if self.more_records:
            lines.append(f"{indent}    · … and {self.more_records} more")
        failing = [c for c in self.children if c.status in ("breached", "at_risk")]
        passing = [c for c in self.children if c not in failing]
        for child in failing:
            lines.append(child.text(indent + "  "))
        if passing:
            names = ", ".join(f"{c.node.rsplit('.', 1)[-1]} ({c.status})" for c in passing)
            lines.append(f"{indent}  also: {names}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


def _iso(ns: int) -> str:
    moment = dt.datetime.fromtimestamp(ns // NS, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds(ns: float) -> str:
    s = int(round(ns / NS))
    parts = [(s // 86400, "d"), (s % 86400 // 3600, "h"), (s % 3600 // 60, "m"), (s % 60, "s")]
    return "".join(f"{n}{u}" for n, u in parts if n) or "0s"


def _clean(x: Any) -> float | None:
    value = float(x)
    return None if np.isnan(value) else value


def resolve_node(model: ir.Model, node: str) -> tuple[ir.Instance, str | None]:
    """A dotted path: an agreement instance, or one of its objectives (then its name)."""
    by_path = model.plan.by_path()
    if node in by_path:
        return by_path[node], None
    head, _, tail = node.rpartition(".")
    if head in by_path and any(
        o.name == tail for o in model.agreements[by_path[head].agreement].objectives
    ):
        return by_path[head], tail
    known = [
        *by_path,
        *(
            f"{p}.{o.name}"
            for p, i in by_path.items()
            for o in model.agreements[i.agreement].objectives
        ),
    ]
    raise SlaUsageError(f"unknown node '{node}'{did_you_mean(node, known)}")


class Explainer:
    """Answers `Result.explain(account, period, node)` from one evaluation's walk."""

    def __init__(self, model: ir.Model, ctx: Context, walk: Walk, names: np.ndarray) -> None:
        self.model = model
        self.ctx = ctx
        self.walk = walk
        self.names = [str(n) for n in names]

    def __call__(self, account: str, period: str, node: str | None = None) -> Explanation:
        if account not in self.names:
            raise SlaUsageError(f"unknown account '{account}'{did_you_mean(account, self.names)}")
        inst, objective = resolve_node(self.model, node or self.model.plan.roots[0])
        path = inst.path
        if ir.window_seconds(inst.period) is not None:
            raise SlaUsageError(
                f"'{path}' is judged over a rolling window; explain answers for calendar "
                "periods (evaluate an sla that extends it with a 'period')"
            )
        grid = self.ctx.grid(inst.period, inst.timezone)
        if period not in grid.labels:
            raise SlaUsageError(
                f"period '{period}' is not evaluated for '{path}'; its periods are "
                f"{grid.labels[0]} … {grid.labels[-1]}"
                if grid.labels
                else "none"
            )
        a = self.names.index(account)
        p = grid.labels.index(period)
        if not self.covers(inst, a):
            raise SlaUsageError(
                f"'{path}' does not cover account '{account}' (its `for accounts where` "
                "leaves it out)"
            )
        if objective is not None:
            return self._objective(inst, objective, a, p)
        return self._agreement(inst, a, p)

    def covers(self, inst: ir.Instance, a: int) -> bool:
        if not inst.coverage:
            return True
        return bool(coverage_mask(inst, accounts_table(self.ctx.data), self.ctx)[a])

    def _agreement(self, inst: ir.Instance, a: int, p: int) -> Explanation:
        agreement = self.model.agreements[inst.agreement]
        av = self.walk.agreement(inst.agreement, inst.period, inst.timezone)
        v = av.verdict
        children: list[Explanation] = []
        if agreement.kind == "sla":
            children = [self._objective(inst, o.name, a, p) for o in agreement.objectives]
        else:
            by_path = self.model.plan.by_path()
            for child_path in inst.children:
                child = by_path[child_path]
                if not self.covers(child, a):  # `for accounts where` leaves it out
                    continue
                child_grid = self.ctx.grid(child.period, child.timezone)
                mapping = period_map(child_grid, v.grid)
                for cp in np.flatnonzero(mapping == p):
                    children.append(self._agreement(child, a, int(cp)))
        detail = f"score {v.score[a, p]:.1%}" if v.score is not None else ""
        if v.credit[a, p] > 0:
            detail += f", credit {v.credit[a, p]:.2%} of fee"
            if v.earned_back is not None and v.earned_back[a, p]:
                detail += " (earned back)"
        return Explanation(
            inst.path,
            agreement.kind,
            v.grid.labels[p],
            str(STATUS_NAMES[v.status[a, p]]),
            detail=detail,
            children=tuple(children),
        )

    def _objective(self, inst: ir.Instance, name: str, a: int, p: int) -> Explanation:
        agreement = self.model.agreements[inst.agreement]
        objective = next(o for o in agreement.objectives if o.name == name)
        av = self.walk.agreement(inst.agreement, inst.period, inst.timezone)
        v: Verdict = av.objectives[name]
        status = str(STATUS_NAMES[v.status[a, p]])
        value = _clean(v.value[a, p]) if v.value is not None else None
        records: list[dict[str, Any]] = []
        total = 0
        if status in ("breached", "at_risk"):
            records, total = self._records(objective.metric, v, a, p)
        shown = value
        detail = ""
        if value is not None:
            if objective.unit == "ratio":
                detail = f"{value:.4%} {objective.op} {objective.target:.4%}"
            elif objective.unit == "duration":
                detail = f"{_seconds(value * NS)} {objective.op} {_seconds(objective.target * NS)}"
            else:
                detail = f"{value:g} {objective.op} {objective.target:g}"
        else:
            detail = "no decided records"
        if v.budget_used is not None and not np.isnan(v.budget_used[a, p]):
            detail += f", budget used {v.budget_used[a, p]:.0%}"
        return Explanation(
            f"{inst.path}.{name}",
            "objective",
            v.grid.labels[p],
            status,
            shown,
            objective.target,
            detail,
            tuple(records[:MAX_RECORDS]),
            max(0, total - MAX_RECORDS),
        )

    def _records(
        self, metric: ir.Metric, v: Verdict, a: int, p: int
    ) -> tuple[list[dict[str, Any]], int]:
        grid = v.grid
        periods = len(grid.labels)
        if isinstance(metric, ir.Uptime):
            return self._outages(metric, a, p, grid)
        if isinstance(metric, ir.MetOf):
            return [{"depends_on": metric.target}], 1
        select = metric.select  # type: ignore[union-attr]
        value = getattr(metric, "elapsed", None) or getattr(metric, "value", None)
        placed = metrics.placed_records(self.ctx, select, value, grid)
        cell = p if placed.shared else a * periods + p
        in_cell = placed.group == cell
        table = self.ctx.table(select.stream)
        if isinstance(metric, ir.ShareWithin):
            ok, decided = metrics.share_outcomes(self.ctx, metric, placed)
            bad = in_cell & decided & ~ok
        elif isinstance(metric, ir.ShareWhere):
            holds = evaluate_predicate(metric.condition, table, self.ctx.clock)[placed.rows]
            bad = in_cell & ~holds
        else:
            bad = in_cell
        rows = placed.rows[bad]
        if isinstance(metric, ir.Aggregate | ir.Percentile):  # biggest contributors first
            values, known = metrics.known_values(self.ctx, select, metric.value, placed)
            keyed = np.where(known, values, -np.inf)[bad]
            rows = rows[np.argsort(-keyed, kind="stable")]
        out = []
        for r in rows[:MAX_RECORDS]:
            record: dict[str, Any] = {"row": int(table.rows[r])}
            for col_name, col in table.columns.items():
                if col.type == "time":
                    present = col.valid is None or bool(col.valid[r])
                    record[col_name] = _iso(int(col.values[r])) if present else None
                elif col.type == "duration":
                    record[col_name] = _seconds(int(col.values[r]))
            if isinstance(metric, ir.ShareWithin):
                measure = metric.elapsed
                end = "stopped" if isinstance(measure, ir.Measured) else measure.later
                later = table.columns[end]
                if later.valid is not None and not later.valid[r]:
                    record["open"] = True
            out.append(record)
        return out, len(rows)

    def _outages(
        self, metric: ir.Uptime, a: int, p: int, grid: Any
    ) -> tuple[list[dict[str, Any]], int]:
        start_p, end_p = int(grid.bounds[p]), int(min(grid.bounds[p + 1], self.ctx.as_of))
        out: list[dict[str, Any]] = []
        total = 0
        for select in metric.selects:
            table = self.ctx.table(select.stream)
            mask = self.ctx.mask(select).copy()
            account = table.columns.get("account")
            if account is not None:
                mask &= account.values == a
            start = table.columns["start"].values
            end_col = table.columns["end"]
            end = (
                end_col.values
                if end_col.valid is None
                else np.where(end_col.valid, end_col.values, self.ctx.as_of)
            )
            mask &= (start < end_p) & (np.minimum(end, self.ctx.as_of) > start_p)
            rows = np.flatnonzero(mask)
            total += len(rows)
            for r in rows[: MAX_RECORDS - len(out)]:
                s, e = int(start[r]), int(min(end[r], self.ctx.as_of))
                out.append(
                    {
                        "stream": select.stream,
                        "row": int(table.rows[r]),
                        "start": _iso(s),
                        "end": _iso(e) if end_col.valid is None or end_col.valid[r] else None,
                        "down_in_period": _seconds(min(e, end_p) - max(s, start_p)),
                    }
                )
        return out, total
