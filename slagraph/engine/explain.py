"""`explain`: why a node is met or breached, from the node down to the records.

The walk's verdicts are reused; only the one (account, period) cell is re-examined, so an
explanation costs a few masks over the streams it names, not a new evaluation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import numpy as np
import pyarrow.compute as pc

from slagraph.compiler import ir
from slagraph.engine import metrics, versions
from slagraph.engine.context import Context
from slagraph.engine.evaluate import Walk, accounts_table, coverage_mask
from slagraph.engine.kernels import NS
from slagraph.engine.records import Recorder, resolve_node
from slagraph.engine.rollup import STATUS_NAMES, Verdict, period_map
from slagraph.engine.writers import with_text_times
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


class Explainer:
    """Answers `Result.explain(account, period, node)` from one evaluation's walk."""

    def __init__(self, model: ir.Model, ctx: Context, walk: Walk, names: np.ndarray) -> None:
        self.model = model
        self.ctx = ctx
        self.walk = walk
        self.names = [str(n) for n in names]
        self.recorder = Recorder(model, ctx, names)
        self.limit: int | None = MAX_RECORDS

    def __call__(
        self, account: str, period: str, node: str | None = None, limit: int | None = MAX_RECORDS
    ) -> Explanation:
        if account not in self.names:
            raise SlaUsageError(f"unknown account '{account}'{did_you_mean(account, self.names)}")
        self.limit = limit
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
        av = self.walk.agreement(inst.agreement, inst.period, inst.timezone)
        v = av.verdict
        judge = versions.at_period(self.model.agreements[inst.agreement], v.grid, p, inst.path)
        agreement = judge.terms
        children: list[Explanation] = []
        if agreement.kind == "sla":
            children = [self._objective(inst, o.name, a, p) for o in agreement.objectives]
        else:
            by_path = self.model.plan.by_path()
            mine = {f"{inst.path}.{c}" for c, _ in agreement.children}
            for child_path in inst.children:
                child = by_path[child_path]
                if child_path not in mine:  # included by another version only
                    continue
                if not self.covers(child, a):  # `for accounts where` leaves it out
                    continue
                child_grid = self.ctx.grid(child.period, child.timezone)
                mapping = period_map(child_grid, v.grid)
                for cp in np.flatnonzero(mapping == p):
                    children.append(self._agreement(child, a, int(cp)))
        detail = f"score {v.score[a, p]:.1%}" if v.score is not None else ""
        if judge.effective is not None:
            detail += f", version effective {judge.effective}"
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
        av = self.walk.agreement(inst.agreement, inst.period, inst.timezone)
        agreement = self.model.agreements[inst.agreement]
        judge = versions.at_period(agreement, av.verdict.grid, p, inst.path)
        objective = next((o for o in judge.terms.objectives if o.name == name), None)
        if objective is None:
            raise SlaUsageError(
                f"'{inst.path}.{name}' is not an objective of the version of '{inst.path}' "
                f"effective {judge.effective}, which judges {av.verdict.grid.labels[p]}"
            )
        v: Verdict = av.objectives[name]
        status = str(STATUS_NAMES[v.status[a, p]])
        value = _clean(v.value[a, p]) if v.value is not None else None
        records: list[dict[str, Any]] = []
        total = 0
        if status in ("breached", "at_risk"):
            records, total = self._records(inst, objective, a, p)
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
            tuple(records),
            total - len(records),
        )

    def _records(
        self, inst: ir.Instance, objective: ir.Objective, a: int, p: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The records that failed the objective in the cell (the biggest contributors
        first for an aggregate), from `records`: ids and text columns, times in the
        node's timezone, durations as 1h30m, the measured time and its limit."""
        metric = objective.metric
        if isinstance(metric, ir.MetOf):
            return [{"depends_on": metric.target}], 1
        grid = self.ctx.grid(inst.period, inst.timezone)
        path = f"{inst.path}.{objective.name}"
        table = self.recorder(path, self.names[a], grid.labels[p])
        verdict = table.column("verdict")
        if isinstance(metric, ir.ShareWithin | ir.ShareWhere):
            table = table.filter(pc.equal(verdict, "failed"))
        elif isinstance(metric, ir.Uptime):
            table = table.filter(pc.equal(verdict, "down"))
        else:
            table = table.filter(pc.equal(verdict, "counted"))
            if not isinstance(metric, ir.Count):
                table = table.sort_by([("value", "descending")])
        total = table.num_rows
        if self.limit is not None:
            table = table.slice(0, self.limit)
        durations = self._durations(metric)
        out = []
        uptime = isinstance(metric, ir.Uptime)
        for record in with_text_times(table).to_pylist():  # at most `limit` of them
            shown: dict[str, Any] = {}
            for key, value in record.items():
                if key in ("account", "period", "node", "verdict") or (
                    key in ("value", "limit") and value is None
                ):
                    continue
                if isinstance(value, float) and (key in durations or key == "limit"):
                    value = _seconds(value * NS)
                if key == "value":
                    key = "down_in_period" if uptime else "measured"
                shown[key] = value
            if isinstance(metric, ir.ShareWithin) and self._open(metric, record):
                shown["open"] = True
            out.append(shown)
        return out, total

    def _durations(self, metric: ir.Metric) -> set[str]:
        """Which record columns hold durations in seconds."""
        selects = metric.selects if isinstance(metric, ir.Uptime) else (metric.select,)  # type: ignore[union-attr]
        names = {
            name
            for select in selects
            for name, column in self.ctx.table(select.stream).columns.items()
            if column.type == "duration"
        }
        measure = getattr(metric, "elapsed", None) or getattr(metric, "value", None)
        if isinstance(metric, ir.ShareWithin | ir.Uptime) or (
            measure is not None and metrics.is_duration(measure)
        ):
            names.add("value")
        return names

    @staticmethod
    def _open(metric: ir.ShareWithin, record: dict[str, Any]) -> bool:
        measure = metric.elapsed
        end = "stopped" if isinstance(measure, ir.Measured) else measure.later
        return end in record and record[end] is None
