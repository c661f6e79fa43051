"""From measures to verdicts: objective status and budget, `met when`, score, roll-up of a
finer child into its parent's periods, credits (tiers, flat, pool, cap), earnback and
termination rights. All on (account, period) arrays; loops run over graph nodes only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

import attrs
import numpy as np

from slagraph.calendars import PeriodGrid, parse_label
from slagraph.compiler import ir
from slagraph.engine import kernels
from slagraph.engine.metrics import Measure
from slagraph.engine.predicates import OPS
from slagraph.errors import SlaError, SlaUsageError

MET, AT_RISK, BREACHED, NO_DATA = 0, 1, 2, 3
STATUS_NAMES = np.array(["met", "at_risk", "breached", "no_data"])
DEFAULT_WARN = 0.75


@attrs.frozen(eq=False)
class Verdict:
    """What a node (objective, sla or master) is, per (account, period) of its grid."""

    grid: PeriodGrid
    met: np.ndarray  # bool
    status: np.ndarray  # int8 codes above
    credit: np.ndarray  # fraction of fee
    value: np.ndarray | None = None  # objectives
    budget_used: np.ndarray | None = None  # objectives on shares/uptime
    score: np.ndarray | None = None  # slas and masters
    earned_back: np.ndarray | None = None


def in_progress(grid: PeriodGrid, as_of: int) -> np.ndarray:
    """(P,) which periods have not ended by as-of: their rows carry `final: false`. A
    rolling window ends at its step, never after as-of: always final."""
    if not isinstance(grid, PeriodGrid):  # engine/windows.py's RollingGrid
        return np.zeros(len(grid.labels), bool)
    return np.asarray(grid.bounds[1:] > as_of)


def still_reachable(objective: ir.Objective) -> bool:
    """Whether records still to come in a period can turn the objective from not met to
    met: its metric moves one way as records are added, toward the target. A count, a max
    and a sum of durations only grow (`>=`/`>` can still be reached); a min only shrinks
    (`<=`/`<`); a sum of a number column may hold negative amounts (refunds), so it can
    still move either way. Shares, means, percentiles and uptime are judged on what is
    decided so far (their error budget shows the risk)."""
    metric = objective.metric
    rising = objective.op in (">=", ">")
    match metric:
        case ir.Count():
            return rising
        case ir.Aggregate(fn="max"):
            return rising
        case ir.Aggregate(fn="min"):
            return not rising
        case ir.Aggregate(fn="sum", value=value):
            if isinstance(value, ir.Column) and value.type == "number":
                return True
            return rising
    return False


def objective_verdict(
    objective: ir.Objective,
    m: Measure,
    grid: PeriodGrid,
    tiers: tuple[ir.CreditTier, ...],
    open_periods: np.ndarray | None = None,
) -> Verdict:
    """`open_periods` (P,): the periods in progress, where an objective that its period
    could still meet (`still_reachable`) is `at_risk`, not `breached`; `met` and the credit
    stay what they would be if the period ended now."""
    value = m.value
    known = ~np.isnan(value)
    with np.errstate(invalid="ignore"):
        met = np.where(known, OPS[objective.op](value, objective.target), True).astype(bool)
    budget = None
    status = np.where(met, MET, BREACHED).astype(np.int8)
    if m.decided is not None and objective.op in (">=", ">"):
        # 1 - 0.999 in binary floating point is 0.0010000000000000009; take the slack
        # from the decimal the author wrote, so 1 failure in 2,000 uses exactly 50%.
        slack = float(1 - Decimal(repr(objective.target)))
        allowed = slack * m.decided
        with np.errstate(invalid="ignore", divide="ignore"):
            budget = np.where(
                allowed > 0,
                m.failed / np.where(allowed > 0, allowed, 1),
                np.where(m.failed == 0, 0.0, np.nan),
            )
        budget = np.where(known, budget, np.nan)
        warn = objective.warn_at if objective.warn_at is not None else DEFAULT_WARN
        with np.errstate(invalid="ignore"):
            status[met & known & (budget >= warn)] = AT_RISK
    status[~known] = NO_DATA
    judged = known
    if objective.minimum is not None and m.decided is not None:
        # `min N` (SPEC §6.5): too few records (or too little measured time) to judge.
        few = below_minimum(objective, m.decided)
        met = met | few
        status[few] = NO_DATA
        judged = known & ~few
    if open_periods is not None and still_reachable(objective):
        status[~met & judged & open_periods[None, :]] = AT_RISK
    credit = np.zeros(value.shape)
    for tier in sorted(tiers, key=lambda t: -t.below):  # the lowest threshold crossed wins
        with np.errstate(invalid="ignore"):
            credit = np.where(judged & (value < tier.below), tier.credit, credit)
    return Verdict(grid, met, status, credit, value=value, budget_used=budget)


def below_minimum(objective: ir.Objective, decided: np.ndarray) -> np.ndarray:
    """Where an objective's `min` is not reached: decided records, or measured ns."""
    if objective.minimum is None:
        return np.zeros(np.shape(decided), bool)
    metric = objective.metric
    scale = kernels.NS if isinstance(metric, ir.Uptime) and metric.slices is None else 1
    return np.asarray(decided < objective.minimum * scale)


def combine_status(
    met: np.ndarray, children: list[np.ndarray], still: np.ndarray | None = None
) -> np.ndarray:
    """breached if not met (at_risk where `still`: in progress and could still be met);
    else no_data if every child is; at_risk if any child is at_risk or breached."""
    stack = np.stack(children) if children else np.full((1, *met.shape), NO_DATA)
    status = np.full(met.shape, MET, np.int8)
    status[(stack == AT_RISK).any(axis=0) | (stack == BREACHED).any(axis=0)] = AT_RISK
    status[(stack == NO_DATA).all(axis=0)] = NO_DATA
    status[~met] = BREACHED
    if still is not None:
        status[~met & still] = AT_RISK
    return status


def could_meet(v: Verdict) -> np.ndarray:
    """Met, or not met but still reachable in its period in progress (at_risk)."""
    return v.met | (v.status == AT_RISK)


def condition(
    cond: ir.Condition | None, members: Mapping[str, np.ndarray], score: np.ndarray
) -> np.ndarray:
    """Evaluate `met when` over the members' met arrays (default: all met)."""
    match cond:
        case None:
            out = np.ones(score.shape, bool)
            for met in members.values():
                out &= met
            return out
        case ir.MetRef(name=name):
            return members[name]
        case ir.ScoreCmp(op=op, value=v):
            # Scores are sums of float weights: treat values within 1e-12 of the bound as
            # equal to it, so 0.9 written as weights 9 of 10 meets `>= 90%` and not `> 90%`.
            eps = {">=": -1e-12, ">": 1e-12, "<=": 1e-12, "<": -1e-12}[op]
            return np.asarray(OPS[op](score, v + eps))
        case ir.AtLeast(k=k, names=names):
            return np.asarray(sum(members[n].astype(np.int64) for n in names) >= k)
        case ir.Both(parts=parts):
            out = np.ones(score.shape, bool)
            for p in parts:
                out &= condition(p, members, score)
            return out
        case ir.Either(parts=parts):
            out = np.zeros(score.shape, bool)
            for p in parts:
                out |= condition(p, members, score)
            return out
        case ir.NotMet(part=part):
            return ~condition(part, members, score)
    raise TypeError(cond)


def weighted_score(
    members: Mapping[str, np.ndarray],
    weights: Mapping[str, float],
    presence: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Σ weight·met / Σ weight over the members present for each account (all, for an
    sla's objectives); 1 where no member is present."""
    if presence is None:
        total = sum(weights.values())
        num = sum(members[n].astype(np.float64) * w for n, w in weights.items())
        return np.asarray(num / total)
    num = sum(members[n] * presence[n] * w for n, w in weights.items())
    den = sum(presence[n] * w for n, w in weights.items())
    shape = next(iter(members.values())).shape
    num, den = np.broadcast_to(num, shape), np.broadcast_to(den, shape)
    return np.where(den > 0, num / np.where(den > 0, den, 1), 1.0)


def absent_where(v: Verdict, absent: np.ndarray) -> Verdict:
    """A child that does not cover an account, as its parent sees it for that account:
    met (vacuously), no_data, no credit."""
    if not absent.any():
        return v
    return attrs.evolve(
        v,
        met=v.met | absent,
        status=np.where(absent, NO_DATA, v.status).astype(np.int8),
        credit=np.where(absent, 0.0, v.credit),
    )


def start_dates(grid: PeriodGrid) -> np.ndarray:
    return np.array(
        [parse_label(grid.kind, label)[0] for label in grid.labels], dtype="datetime64[D]"
    )


def period_map(child: PeriodGrid, parent: PeriodGrid) -> np.ndarray:
    """For each child period, the parent period holding its first local day (-1: none).

    Mapping by local calendar date (not instant) lets a Santiago-month child roll into a
    UTC-month parent: January is January on both sides.
    """
    if child.kind == parent.kind and child.timezone == parent.timezone:
        return np.arange(len(child.labels))
    starts_c = start_dates(child)
    starts_p = start_dates(parent)
    if not len(starts_p):
        return np.full(len(starts_c), -1)
    last_end = np.datetime64(parse_label(parent.kind, parent.labels[-1])[1], "D")
    idx = np.searchsorted(starts_p, starts_c, side="right") - 1
    # A child period that starts before the parent's first period but reaches into it
    # (an ISO week across the month end where the data begins) belongs to that first
    # period: every child breach reaches its parent (docs/semantics.md).
    ends_c = np.array(
        [parse_label(child.kind, label)[1] for label in child.labels], dtype="datetime64[D]"
    )
    idx = np.where((idx < 0) & (ends_c > starts_p[0]), 0, idx)
    return np.where((idx >= 0) & (starts_c < last_end), idx, -1)


def owed(v: Verdict) -> np.ndarray:
    """The credit still owed: a credit earned back is not passed up to a parent, so what
    an account is owed is its root's credit, counted once (docs/semantics.md)."""
    if v.earned_back is None or not v.earned_back.any():
        return v.credit
    return np.where(v.earned_back, 0.0, v.credit)


def roll_up(v: Verdict, parent: PeriodGrid) -> Verdict:
    """A child's verdict in its parent's periods: met only if met in every child period;
    its credit is what it still owes (`owed`)."""
    mapping = period_map(v.grid, parent)
    if v.grid is parent or (
        len(mapping) == len(parent.labels)
        and np.array_equal(mapping, np.arange(len(parent.labels)))
    ):
        return attrs.evolve(v, grid=parent, credit=owed(v), earned_back=None)
    keep = mapping >= 0
    onehot = np.zeros((len(mapping), len(parent.labels)))
    onehot[np.flatnonzero(keep), mapping[keep]] = 1.0

    def count(flags: np.ndarray) -> np.ndarray:
        return flags.astype(np.float64) @ onehot

    inside = count(np.ones(v.met.shape, bool))
    breached = count(v.status == BREACHED) > 0
    at_risk = count(v.status == AT_RISK) > 0
    no_data = count(v.status == NO_DATA) == inside
    met = count(~v.met) == 0  # a child period in progress may be not met yet at_risk
    status = np.where(
        breached, BREACHED, np.where(at_risk, AT_RISK, np.where(no_data, NO_DATA, MET))
    )
    return Verdict(parent, met, status.astype(np.int8), owed(v) @ onehot)


def earned_back(
    met: np.ndarray, credit: np.ndarray, n: int, grid: PeriodGrid, as_of: int
) -> np.ndarray:
    complete = grid.bounds[1:] <= as_of
    return kernels.followed_by(met, n, complete) & (credit > 0)


def first_right(flags: np.ndarray, rule: ir.Termination) -> np.ndarray:
    if rule.of_n is None:
        return kernels.runs_reaching(flags, rule.count)
    return kernels.window_reaching(flags, rule.count, rule.of_n)


def label_dates(label: str) -> tuple[dt.date, dt.date]:
    """Start and end date of a period label of any kind (for --from/--to)."""
    for kind in ("daily", "weekly", "monthly", "quarterly", "yearly"):
        try:
            return parse_label(kind, label)
        except SlaError:
            continue
    raise SlaUsageError(
        f"'{label}' is not a period; expected a label such as 2026-01-31, 2026-W05, 2026-01, "
        "2026-Q1 or 2026"
    )
