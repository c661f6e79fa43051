"""Error-budget burn-down charts: how much of each objective's budget is left, over time.

For every objective with a budget (a share or uptime with a `>=`/`>` target below 100%)
the report samples, for all accounts at once, the budget remaining

    remaining(t) = 1 − failed(t) ÷ allowed(t),   allowed(t) = (1 − target) × decided(t)

where failed and decided are counted (records, or down and measured time for uptime)

* on a calendar period: from the period's start up to t, so each period starts at 100%
  and its last sample is the row's own `1 − budget_used`;
* on a rolling agreement: over the trailing window (t − D, t], so it is the budget left
  in the window at t, the row's own at each reported step.

With nothing decided yet remaining is 100% (nothing spent). The samples are evenly spaced
from a fixed ladder (one minute to a week: at most `MAX_POINTS` per chart), plus each
period's end (or as-of), so the last point of every period is exact. Counting uses
`slagraph.alerts.amounts` — the rolling windows' cumulative counts at query instants
(engine/windows.py) — so no record is looked at in Python: one (accounts × samples)
array per objective.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import pyarrow.compute as pc

from slagraph.alerts import amounts
from slagraph.compiler import ir
from slagraph.engine import preorder
from slagraph.report.format import _e, _num

NS = 1_000_000_000
LADDER = tuple(
    s * NS
    for s in (60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400)
)
MAX_POINTS = 240
FLOOR = -1.0  # the chart's bottom at most −100%: lower values are drawn on it

# the drawing area inside the SVG's viewBox
WIDTH, HEIGHT = 640, 150
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 8, 20
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


def sample_step(span: int) -> int:
    """The smallest ladder step giving at most `MAX_POINTS` samples over `span` ns."""
    for step in LADDER:
        if span <= step * MAX_POINTS:
            return step
    return LADDER[-1]


@attrs.frozen(eq=False)
class Burndown:
    """One objective's budget remaining for every account at the sample instants."""

    node: str  # the objective's dotted path
    sla: str  # its sla's path (alerts belong to the sla)
    objective: ir.Objective
    timezone: str
    rolling: bool
    t: np.ndarray  # (S,) sample instants, UTC ns, non-decreasing
    remaining: np.ndarray  # (A, S): 1 − failed ÷ allowed, 1.0 where nothing is decided
    edges: np.ndarray  # (S,) bool: a period's first or last sample (kept when thinning)
    lo: int  # the time axis: first period start (rolling: first step) …
    hi: int  # … to the last period's end (rolling: last step)
    starts: tuple[int, ...]  # period starts drawn as boundaries (none for rolling)
    labels: tuple[str, ...]  # their labels
    lasts: tuple[int, ...]  # each period's last sample (its end, or as-of); rolling: the last
    step: int  # ns between samples (the largest gap)
    as_of: int

    def final(self, account: int) -> float:
        """The budget remaining at the chart's last sample (the row's `1 − budget_used`)."""
        return float(self.remaining[account, -1])


def _slack(objective: ir.Objective) -> float:
    return float(1 - Decimal(repr(objective.target)))


def _reported(result: Any) -> dict[str, set[str]]:
    """The periods (or steps) that the result holds rows for, per node path."""
    table = result.to_arrow()
    if table.num_rows == 0:
        return {}
    pairs = table.group_by(["node", "period"]).aggregate([])
    nodes = pc.cast(pairs.column("node"), "string").to_pylist()
    periods = pc.cast(pairs.column("period"), "string").to_pylist()
    out: dict[str, set[str]] = {}
    for node, period in zip(nodes, periods, strict=True):
        out.setdefault(node, set()).add(period)
    return out


def _periodic(
    ctx: Any, inst: ir.Instance, keep: set[str], uptime: bool
) -> tuple[
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    tuple[int, ...],
    tuple[str, ...],
    tuple[int, ...],
]:
    """Samples over each reported period that has started by as-of: (t, lower, edges,
    axis bounds, starts, labels, index of each period's last sample). Counts take
    lower < placed ≤ t, so lower is the start − 1 ns (a record at the start is in);
    uptime measures (start, t]."""
    grid = ctx.grid(inst.period, inst.timezone)
    bounds = grid.bounds
    kept = [i for i, label in enumerate(grid.labels) if label in keep and bounds[i] <= ctx.as_of]
    if not kept:
        empty = np.empty(0, np.int64)
        return empty, empty, empty.astype(bool), empty, (), (), ()
    lo, hi = int(bounds[kept[0]]), int(bounds[kept[-1] + 1])
    step = sample_step(max(min(hi, ctx.as_of) - lo, 1))  # samples stop at as-of
    ts, lowers, edges = [], [], []
    for i in kept:  # a loop over periods, not records
        start, end = int(bounds[i]), int(bounds[i + 1])
        last = min(end - (0 if uptime else 1), ctx.as_of)
        t = np.append(np.arange(start, last, step, dtype=np.int64), np.int64(last))
        edge = np.zeros(len(t), bool)
        edge[[0, -1]] = True
        ts.append(t)
        lowers.append(np.full(len(t), start - (0 if uptime else 1), np.int64))
        edges.append(edge)
    starts = tuple(int(bounds[i]) for i in kept)
    labels = tuple(grid.labels[i] for i in kept)
    axis = np.array([lo, hi], np.int64)
    lasts = tuple(int(n) - 1 for n in np.cumsum([len(x) for x in ts]))
    t = np.concatenate(ts)
    return t, np.concatenate(lowers), np.concatenate(edges), axis, starts, labels, lasts


def _rolling(
    ctx: Any, inst: ir.Instance, keep: set[str], window: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Samples from the first reported step to the last (as-of): (t, lower, edges, axis)."""
    grid = ctx.grid(inst.period, inst.timezone)
    ends = grid.ends[[i for i, label in enumerate(grid.labels) if label in keep]]
    if not len(ends):
        empty = np.empty(0, np.int64)
        return empty, empty, empty.astype(bool), empty
    hi = int(ends[-1])
    lo = int(ends[0]) if ends[0] < hi else hi - window * NS
    step = sample_step(hi - lo)
    t = np.append(np.arange(lo, hi, step, dtype=np.int64), np.int64(hi))
    edges = np.zeros(len(t), bool)
    edges[[0, -1]] = True
    return t, t - window * NS, edges, np.array([lo, hi], np.int64)


def burndowns(result: Any, model: Any) -> list[Burndown]:
    """Every objective with a budget that the result reports, in tree order: its budget
    remaining for all accounts at once. Empty when the result carries no data (Dask)."""
    ctx = result.context
    if ctx is None:
        return []
    compiled: ir.Model = model.ir
    reported = _reported(result)
    out: list[Burndown] = []
    for inst in preorder(compiled.plan):
        agreement = compiled.agreements[inst.agreement]
        for objective in agreement.objectives:
            path = f"{inst.path}.{objective.name}"
            keep = reported.get(path)
            if not keep or not objective.has_budget or _slack(objective) <= 0:
                continue
            window = ir.window_seconds(inst.period)
            uptime = isinstance(objective.metric, ir.Uptime)
            starts: tuple[int, ...] = ()
            labels: tuple[str, ...] = ()
            if window is None:
                t, lower, edges, axis, starts, labels, lasts = _periodic(ctx, inst, keep, uptime)
            else:
                t, lower, edges, axis = _rolling(ctx, inst, keep, window)
                lasts = (len(t) - 1,)
            if not len(t):
                continue
            failed, decided = amounts(ctx, objective.metric, lower, t)
            allowed = _slack(objective) * decided
            with np.errstate(invalid="ignore", divide="ignore"):
                remaining = np.where(
                    allowed > 0, 1 - failed / np.where(allowed > 0, allowed, 1), 1.0
                )
            out.append(
                Burndown(
                    node=path,
                    sla=inst.path,
                    objective=objective,
                    timezone=inst.timezone,
                    rolling=window is not None,
                    t=t,
                    remaining=remaining,
                    edges=edges,
                    lo=int(axis[0]),
                    hi=int(axis[1]),
                    starts=starts,
                    labels=labels,
                    lasts=lasts,
                    step=int(np.diff(t).max()) if len(t) > 1 else 0,
                    as_of=int(ctx.as_of),
                )
            )
    return out


# ------------------------------------------------------------------ drawing


def named(cond: ir.AlertCondition) -> set[str]:
    """The objectives an alert's condition reads (its bands go on their charts)."""
    if isinstance(cond, ir.BurnRate):
        return {cond.objective}
    parts = (cond.part,) if isinstance(cond, ir.AlertNot) else cond.parts
    return set().union(*(named(p) for p in parts))


def _fmt(values: np.ndarray) -> list[str]:
    """Coordinates rounded to a tenth of a unit, without a trailing `.0`."""
    return [f"{v:.1f}".removesuffix(".0") for v in np.round(values, 1).tolist()]


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _day(ns: int, zone: str) -> str:
    from zoneinfo import ZoneInfo

    return dt.datetime.fromtimestamp(ns / NS, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def merged(bands: list[tuple[str, int, int]], lo: int, hi: int) -> list[tuple[str, int, int, int]]:
    """Bands clipped to [lo, hi], and per alert those less than a pixel apart joined into
    one (name, start, end, how many): the chart could not show them apart, and a year of
    intervals stays a few rectangles."""
    gap = (hi - lo) / PLOT_W
    out: list[tuple[str, int, int, int]] = []
    for name in dict.fromkeys(n for n, _, _ in bands):
        spans = sorted((max(s, lo), min(e, hi)) for n, s, e in bands if n == name)
        for start, stop in spans:
            if stop <= start:
                continue
            if out and out[-1][0] == name and start - out[-1][2] < gap:
                _, first, last, n = out[-1]
                out[-1] = (name, first, max(last, stop), n + 1)
            else:
                out.append((name, start, stop, 1))
    return out


def svg(b: Burndown, account: int, name: str, bands: list[tuple[str, int, int]]) -> str:
    """One account's chart: 100% at the top, the zero line, overspent below it in red,
    alert intervals `bands` (name, start, end ns) as shaded columns with a tooltip."""
    y_all = b.remaining[account]
    keep = b.edges.copy()
    if len(y_all) > 2:
        keep[1:-1] |= (y_all[1:-1] != y_all[:-2]) | (y_all[1:-1] != y_all[2:])
    t, y = b.t[keep], y_all[keep]
    low = float(y.min())
    floor = max(FLOOR, min(0.0, np.floor(low / 0.25) * 0.25))
    span = max(b.hi - b.lo, 1)

    def px(ns: np.ndarray | int) -> np.ndarray:
        return LEFT + (np.asarray(ns, np.float64) - b.lo) / span * PLOT_W

    def py(v: np.ndarray | float) -> np.ndarray:
        clipped = np.clip(np.asarray(v, np.float64), floor, 1.0)
        return TOP + (1.0 - clipped) / (1.0 - floor) * PLOT_H

    end = b.final(account)
    what = "over the trailing window" if b.rolling else "in the period so far"
    label = (
        f"{name}: {b.node}, error budget remaining {what}, {_pct(end)} at "
        f"{_day(int(b.t[-1]), b.timezone)}" + (" (overspent)" if end < 0 else "")
    )
    out = [
        f'<svg class="bd" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" data-remaining="{_num(end)}">'
    ]
    w = out.append
    w(f"<title>{_e(label)}</title>")
    zero = float(py(0.0))
    bottom = TOP + PLOT_H
    if floor < 0:
        w(
            f'<rect class="ov" x="{LEFT}" y="{_fmt(np.array([zero]))[0]}" width="{PLOT_W}" '
            f'height="{_fmt(np.array([bottom - zero]))[0]}"/>'
        )
    for alert, start, stop, n in merged(bands, b.lo, b.hi):
        x0, x1 = (float(v) for v in px(np.array([start, stop])))
        x, width = _fmt(np.array([x0, max(x1 - x0, 0.5)]))
        times = f"{_day(start, b.timezone)} – {_day(stop, b.timezone)}"
        tip = f"{alert}: {times}" if n == 1 else f"{alert}: {n} intervals, {times}"
        w(
            f'<rect class="al" x="{x}" y="{TOP}" width="{width}" height="{PLOT_H}">'
            f"<title>{_e(tip)}</title></rect>"
        )
    for start, text in zip(b.starts, b.labels, strict=True):
        x = _fmt(np.array([float(px(start))]))[0]
        w(f'<line class="pb" x1="{x}" y1="{TOP}" x2="{x}" y2="{bottom}"/>')
        w(f'<text class="xl" x="{x}" y="{HEIGHT - 6}">{_e(text)}</text>')
    if b.rolling:
        w(f'<text class="xl" x="{LEFT}" y="{HEIGHT - 6}">{_e(_day(b.lo, b.timezone))}</text>')
        w(
            f'<text class="xl e" x="{LEFT + PLOT_W}" y="{HEIGHT - 6}">'
            f"{_e(_day(b.hi, b.timezone))}</text>"
        )
    ticks = [1.0, 0.5, 0.0] + ([floor] if floor < 0 else [])
    for tick in ticks:
        yy = _fmt(np.array([float(py(tick))]))[0]
        cls = "z" if tick == 0 else "g"
        w(f'<line class="{cls}" x1="{LEFT}" y1="{yy}" x2="{LEFT + PLOT_W}" y2="{yy}"/>')
        w(f'<text class="yl" x="{LEFT - 4}" y="{yy}">{_pct(tick)}</text>')
    if b.as_of < b.hi:
        x = _fmt(np.array([float(px(b.as_of))]))[0]
        w(f'<line class="now" x1="{x}" y1="{TOP}" x2="{x}" y2="{bottom}"/>')
    xs, ys = _fmt(px(t)), _fmt(py(y))
    points = " ".join(f"{a},{c}" for a, c in zip(xs, ys, strict=True))
    w(f'<polyline class="ln{" neg" if end < 0 else ""}" points="{points}"/>')
    w("</svg>")
    return "".join(out)
