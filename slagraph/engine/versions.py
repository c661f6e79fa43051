"""Judging each period by the version of an agreement in effect at its start (SPEC §6.6).

Every version is evaluated over the whole grid like any agreement (its measures are
shared through the context); the agreement's verdict then takes each period's columns
from the version in effect, and the rules that span periods are applied to that merged
history: earnback looks at the periods after a credit whoever judged them; a version's
termination rule counts the breaches of the periods it judges (an amendment starts its
counts afresh). Periods before the first version are no agreement's: no rows, and a
master counts the agreement as absent there.
"""

from __future__ import annotations

import datetime as dt

import attrs
import numpy as np

from slagraph.calendars import PeriodGrid
from slagraph.compiler import ir
from slagraph.engine import rollup
from slagraph.engine.rollup import NO_DATA, Verdict
from slagraph.errors import SlaUsageError


@attrs.frozen(eq=False)
class Judged:
    """One version of an agreement and the periods of a grid it judges."""

    effective: dt.date | None
    terms: ir.Agreement
    periods: np.ndarray  # (P,) bool


def judged(agreement: ir.Agreement, grid: PeriodGrid) -> list[Judged]:
    """Each version with the periods whose local start date falls in its time (one
    version judging every period when the agreement is not versioned)."""
    versions = ir.versions_of(agreement)
    if versions[0][0] is None:
        return [Judged(None, agreement, np.ones(len(grid.labels), bool))]
    starts = rollup.start_dates(grid)
    dates = np.array([d for d, _ in versions], dtype="datetime64[D]")
    which = np.searchsorted(dates, starts, side="right") - 1
    return [Judged(d, terms, which == k) for k, (d, terms) in enumerate(versions)]


def merge(parts: list[tuple[Judged, Verdict]], grid: PeriodGrid, shape: tuple[int, int]) -> Verdict:
    """One verdict taking each period from the version that judges it; periods no
    version judges are absent (met, no_data, no credit, no value)."""
    out = Verdict(
        grid,
        met=np.ones(shape, bool),
        status=np.full(shape, NO_DATA, np.int8),
        credit=np.zeros(shape),
        value=_nan(shape) if any(v.value is not None for _, v in parts) else None,
        budget_used=_nan(shape) if any(v.budget_used is not None for _, v in parts) else None,
        score=_nan(shape) if any(v.score is not None for _, v in parts) else None,
        earned_back=np.zeros(shape, bool),
    )
    fields = ("met", "status", "credit", "value", "budget_used", "score", "earned_back")
    changes: dict[str, np.ndarray] = {}
    for judge, verdict in parts:
        cols = judge.periods[None, :]
        for field in fields:
            mine = getattr(verdict, field)
            into = changes.get(field, getattr(out, field))
            if mine is None or into is None:
                continue
            changes[field] = np.where(cols, mine, into).astype(into.dtype, copy=False)
    return attrs.evolve(out, **changes)  # type: ignore[arg-type]


def merge_members(
    parts: list[tuple[Judged, dict[str, Verdict]]], grid: PeriodGrid, shape: tuple[int, int]
) -> dict[str, Verdict]:
    """Objectives (or children) by name across versions, each where its version judges."""
    names: list[str] = []
    for _, members in parts:
        names += [n for n in members if n not in names]
    return {
        name: merge([(j, m[name]) for j, m in parts if name in m], grid, shape) for name in names
    }


def _nan(shape: tuple[int, int]) -> np.ndarray:
    return np.full(shape, np.nan)


def at_period(agreement: ir.Agreement, grid: PeriodGrid, p: int, path: str) -> Judged:
    """The version judging period `p`; a usage error when none does (before the first)."""
    for judge in judged(agreement, grid):
        if judge.periods[p]:
            return judge
    first = agreement.versions[0].effective
    raise SlaUsageError(
        f"'{path}' is not in effect in {grid.labels[p]}: its first version is effective {first}"
    )
