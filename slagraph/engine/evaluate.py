"""The walk: evaluate every agreement of the plan in its (period, timezone) context.

An agreement's verdict does not depend on the path that reached it, only on its
context, so verdicts are memoised by (agreement, period, timezone); a child shared by two
masters is computed once. Accounts are an array axis throughout: evaluating disjoint sets
of accounts separately and concatenating the results gives the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

import attrs
import numpy as np

from slagraph.calendars import PeriodGrid
from slagraph.compiler import ir
from slagraph.data import Column, Dataset, EventTable
from slagraph.engine import rollup, versions, windows
from slagraph.engine.context import Context
from slagraph.engine.metrics import Measure
from slagraph.engine.predicates import evaluate_predicate
from slagraph.engine.rollup import Verdict


@attrs.frozen(eq=False)
class AgreementVerdict:
    """An agreement's own verdict plus its objectives' (slas) in one context."""

    verdict: Verdict
    objectives: dict[str, Verdict]
    children: dict[str, Verdict]  # rolled up into this agreement's periods
    terminations: tuple[tuple[ir.Termination, np.ndarray], ...]  # first period per account
    judged: tuple[tuple[versions.Judged, AgreementVerdict], ...] = ()
    """Of a versioned agreement: each version, the periods it judges and its own verdict."""
    in_effect: np.ndarray | None = None  # (P,) periods some version judges; None: all


class Walk:
    """`measure` computes a metric over a grid; simulation passes its own, which reads the
    resampled runs, and everything above the metrics is shared with `evaluate`."""

    def __init__(
        self,
        model: ir.Model,
        ctx: Context,
        measure: Callable[[Context, ir.Metric, PeriodGrid], Measure] = windows.measure,
    ) -> None:
        self.model = model
        self.ctx = ctx
        self.measure = measure
        self.memo: dict[tuple[str, str, str], AgreementVerdict] = {}

    def prefetch(self, pool: Executor) -> None:
        """Measure every metric the plan's instances read, on the pool's threads, into
        `ctx.measures`, where `_sla` finds them. Metrics are independent once the data is
        loaded (numpy releases the GIL in its sorts, gathers and arithmetic), so this is
        where a second core helps most. Biggest streams go first. A metric that fails
        here is left for the walk, which then raises in its usual order."""
        wanted: dict[tuple[ir.Metric, str, str], int] = {}
        for inst in self.model.plan.instances:
            every = ir.versions_of(self.model.agreements[inst.agreement])
            for o in (o for _, terms in every for o in terms.objectives):
                key = (o.metric, inst.period, inst.timezone)
                if not isinstance(o.metric, ir.MetOf) and key not in self.ctx.measures:
                    wanted[key] = _records(self.ctx, o.metric)
        grids = {(p, z): self.ctx.grid(p, z) for _, p, z in wanted}
        futures = {
            key: pool.submit(self.measure, self.ctx, key[0], grids[key[1:]])
            for key in sorted(wanted, key=wanted.__getitem__, reverse=True)
        }
        for key, future in futures.items():
            try:
                self.ctx.measures[key] = future.result()
            except Exception:  # the walk measures it again and raises in its order
                continue

    def agreement(self, name: str, period: str, zone: str) -> AgreementVerdict:
        key = (name, period, zone)
        if key not in self.memo:
            a = self.model.agreements[name]
            if a.versions:
                self.memo[key] = self._versioned(a, period, zone)
            else:
                self.memo[key] = (self._sla if a.kind == "sla" else self._master)(a, period, zone)
        return self.memo[key]

    def _versioned(self, a: ir.Agreement, period: str, zone: str) -> AgreementVerdict:
        """Each period from the version in effect at its start (engine/versions.py)."""
        grid = self.ctx.grid(period, zone)
        shape = grid_shape(self.ctx, grid)
        parts = []
        for judge in versions.judged(a, grid):
            own = (self._sla if a.kind == "sla" else self._master)(judge.terms, period, zone)
            parts.append((judge, own))
        verdict = versions.merge([(j, v.verdict) for j, v in parts], grid, shape)
        earned = np.zeros(shape, bool)
        for judge, _ in parts:
            if judge.terms.earnback is not None:
                later = rollup.earned_back(
                    verdict.met, verdict.credit, judge.terms.earnback, grid, self.ctx.as_of
                )
                earned |= later & judge.periods[None, :]
        verdict = attrs.evolve(verdict, earned_back=earned)
        objectives = versions.merge_members([(j, v.objectives) for j, v in parts], grid, shape)
        children = versions.merge_members([(j, v.children) for j, v in parts], grid, shape)
        open_periods = rollup.in_progress(grid, self.ctx.as_of)
        rights = []
        for judge, own in parts:
            members = own.objectives or own.children
            for rule in judge.terms.terminations:
                target = verdict if rule.target == a.name else members[rule.target]
                breached = ~target.met & ~open_periods[None, :] & judge.periods[None, :]
                rights.append((rule, rollup.first_right(breached, rule)))
        in_effect = np.zeros(len(grid.labels), bool)
        for judge, _ in parts:
            in_effect |= judge.periods
        return AgreementVerdict(
            verdict, objectives, children, tuple(rights), tuple(parts), in_effect
        )

    def _sla(self, a: ir.Agreement, period: str, zone: str) -> AgreementVerdict:
        grid = self.ctx.grid(period, zone)
        tiers = dict(a.credit_tiers)
        done: dict[str, Verdict] = {}

        def objective(o: ir.Objective) -> Verdict:
            if o.name not in done:
                if isinstance(o.metric, ir.MetOf):
                    m = self._met_of(a, o.metric, period, zone, objective)
                else:
                    key = (o.metric, period, zone)  # the same metric in two slas: once
                    if key not in self.ctx.measures:
                        self.ctx.measures[key] = self.measure(self.ctx, o.metric, grid)
                    m = self.ctx.measures[key]  # type: ignore[assignment]
                done[o.name] = rollup.objective_verdict(
                    o, m, grid, tiers.get(o.name, ()), rollup.in_progress(grid, self.ctx.as_of)
                )
            return done[o.name]

        for o in a.objectives:
            objective(o)
        verdicts = {o.name: done[o.name] for o in a.objectives}
        weights = {o.name: o.weight for o in a.objectives}
        return self._finish(
            a,
            grid,
            verdicts,
            weights,
            np.asarray(sum(v.credit for v in verdicts.values())),
            objectives=verdicts,
        )

    def _met_of(self, a, metric, period, zone, objective) -> Measure:  # type: ignore[no-untyped-def]
        if metric.objective:
            target = next(o for o in a.objectives if o.name == metric.target)
            v = objective(target)
        else:
            other = self.model.agreements[metric.target]
            v = self.agreement(
                metric.target, ir.own_period(other) or period, other.timezone or zone
            )
            v = rollup.roll_up(v.verdict, self.ctx.grid(period, zone))
        return Measure(v.met.astype(np.float64))

    def _master(self, a: ir.Agreement, period: str, zone: str) -> AgreementVerdict:
        grid = self.ctx.grid(period, zone)
        children: dict[str, Verdict] = {}
        presence: dict[str, np.ndarray] = {}
        for name, _ in a.children:
            child = self.model.agreements[name]
            v = self.agreement(name, ir.own_period(child) or period, child.timezone or zone)
            present = self._covered(child)
            if v.in_effect is not None:  # a versioned child, absent before its first version
                mapping = rollup.period_map(v.verdict.grid, grid)
                seen = np.zeros(len(grid.labels) + 1, bool)
                np.logical_or.at(seen, mapping, v.in_effect)
                present = present & seen[None, :-1]
            presence[name] = present
            children[name] = rollup.absent_where(rollup.roll_up(v.verdict, grid), ~present)
        weights = dict(a.children)
        if a.at_risk is not None:
            # Pool: a breached child costs at_risk × its allocation; capped at at_risk.
            pool = sum((~children[c].met) * (a.at_risk * share) for c, share in a.allocations)
            credit = np.minimum(np.zeros(grid_shape(self.ctx, grid)) + pool, a.at_risk)
        else:
            credit = np.asarray(sum(v.credit for v in children.values()))
        return self._finish(
            a, grid, children, weights, credit, children=children, presence=presence
        )

    def _covered(self, agreement: ir.Agreement) -> np.ndarray:
        """(A, 1) accounts an agreement's own `for accounts where` keeps (all if none)."""
        if agreement.coverage is None:
            return np.ones((self.ctx.accounts, 1), bool)
        table = accounts_table(self.ctx.data)
        return evaluate_predicate(agreement.coverage, table)[:, None]

    def _finish(
        self,
        a: ir.Agreement,
        grid,  # type: ignore[no-untyped-def]
        members: dict[str, Verdict],
        weights: dict[str, float],
        credit: np.ndarray,
        objectives: dict[str, Verdict] | None = None,
        children: dict[str, Verdict] | None = None,
        presence: dict[str, np.ndarray] | None = None,
    ) -> AgreementVerdict:
        shape = grid_shape(self.ctx, grid)
        mets = {n: v.met for n, v in members.items()}
        score = rollup.weighted_score(mets, weights, presence) if members else np.ones(shape)
        met = rollup.condition(a.met_when, mets, score)
        # In a period in progress, not met but reachable: the condition holds with every
        # member that could still be met counted as met (SPEC §6.4).
        open_periods = rollup.in_progress(grid, self.ctx.as_of)
        still = None
        if open_periods.any():
            could = {n: rollup.could_meet(v) for n, v in members.items()}
            best = rollup.weighted_score(could, weights, presence) if members else score
            still = rollup.condition(a.met_when, could, best) & open_periods[None, :]
        status = rollup.combine_status(met, [v.status for v in members.values()], still)
        credit = np.zeros(shape) + credit
        if a.credit_flat is not None:
            credit = credit + np.where(met, 0.0, a.credit_flat)
        if a.credit_cap is not None:
            credit = np.minimum(credit, a.credit_cap)
        earned = np.zeros(shape, bool)
        if a.earnback is not None:
            earned = rollup.earned_back(met, credit, a.earnback, grid, self.ctx.as_of)
        verdict = Verdict(grid, met, status, credit, score=score, earned_back=earned)
        rights = []
        for rule in a.terminations:  # rights arise from ended periods only
            target = verdict if rule.target == a.name else members[rule.target]
            breached = ~target.met & ~open_periods[None, :]
            rights.append((rule, rollup.first_right(breached, rule)))
        return AgreementVerdict(verdict, objectives or {}, children or {}, tuple(rights))


def _records(ctx: Context, metric: ir.Metric) -> int:
    """How many records a metric reads: the order in which `Walk.prefetch` starts them."""
    selects = getattr(metric, "selects", None) or (getattr(metric, "select", None),)
    return sum(len(ctx.table(s.stream)) for s in selects if s is not None) * (
        2 if isinstance(metric, ir.Percentile) else 1
    )


def grid_shape(ctx: Context, grid) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    return (ctx.accounts, len(grid.labels))


def accounts_table(data: Dataset) -> EventTable:
    """The accounts table, or one made of the account names alone when none is declared."""
    if data.accounts is not None:
        return data.accounts
    n = len(data.account_names)
    codes = np.arange(n, dtype=np.int32)
    column = Column("text", codes, None, np.asarray(data.account_names, dtype=object))
    return EventTable("accounts", "<accounts>", {"account": column}, np.arange(1, n + 1))


def coverage_mask(instance: ir.Instance, table: EventTable, ctx: Context) -> np.ndarray:
    mask = np.ones(ctx.accounts, bool)
    for pred in instance.coverage:
        mask &= evaluate_predicate(pred, table)
    return mask
