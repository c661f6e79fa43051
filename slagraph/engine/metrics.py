"""Metrics: one compiled metric → (account, period) arrays, by calling kernels.

Each function returns a `Measure`: the value (NaN = null), and for shares and uptime the
amounts the error budget needs (§3.5): what was decided (records or measured ns) and
what failed (records or down ns).
"""

from __future__ import annotations

import attrs
import numpy as np

from slagraph.calendars import PeriodGrid
from slagraph.compiler import ir
from slagraph.compiler.expressions import placing_column
from slagraph.engine import kernels, timeslices
from slagraph.engine.context import Context, Placed
from slagraph.engine.kernels import NS
from slagraph.engine.predicates import elapsed_ns, evaluate_predicate


@attrs.frozen(eq=False)
class Measure:
    value: np.ndarray  # (A, P) float, NaN where null
    decided: np.ndarray | None = None  # (A, P): records decided, or ns measured (uptime)
    failed: np.ndarray | None = None  # (A, P): records failed, or ns down (uptime)


def placed_records(ctx: Context, select: ir.Select, value: object, grid: PeriodGrid) -> Placed:
    schema = ctx.model.streams[select.stream]
    return ctx.place(select, placing_column(schema, value) or "", grid)  # type: ignore[arg-type]


def _size(ctx: Context, placed: Placed, periods: int) -> int:
    return periods if placed.shared else ctx.accounts * periods


def share_of(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator per group, NaN where the denominator is 0 (no data)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )


def share_outcomes(
    ctx: Context, metric: ir.ShareWithin, placed: Placed
) -> tuple[np.ndarray, np.ndarray]:
    """Per placed record: (ok, decided). Open records past the limit fail; others pend."""
    table = ctx.table(metric.select.stream)
    measure = metric.elapsed
    if isinstance(measure, ir.Measured):  # a clock's cycles: open ones hold time so far
        column = table.columns[measure.column]
        duration, known = placed.take(column.values), placed.take(column.is_valid())
        earlier = placed.take(table.columns["started"].values)
    else:
        clock = ctx.clock if measure.calendar else None
        duration, known = elapsed_ns(measure, table, clock, _rows(placed))
        earlier = placed.take(table.columns[measure.earlier].values)
    limit: np.ndarray | int = metric.limit * NS
    if metric.business_days:
        assert measure.calendar is not None
        limit = ctx.business_day_limits(measure.calendar, earlier, metric.business_days)
    within = duration <= limit if metric.op == "<=" else duration < limit
    if isinstance(measure, ir.Measured):
        waited = duration
    elif measure.calendar:
        as_of = np.full(len(earlier), ctx.as_of, np.int64)
        waited = ctx.clock(measure.calendar).duration(earlier, as_of)
    elif isinstance(limit, np.ndarray):
        waited = ctx.as_of - earlier
    else:  # as_of - earlier > limit, without the subtraction
        cutoff = ctx.as_of - limit
        late = earlier < cutoff if metric.op == "<=" else earlier <= cutoff
        return known & within, known | late
    late = waited > limit if metric.op == "<=" else waited >= limit
    return known & within, known | late


def _rows(placed: Placed) -> np.ndarray | None:
    """The rows to gather, None when they are all of them (`elapsed_ns` then gathers nothing)."""
    return None if placed.complete else placed.rows


def share_within(ctx: Context, metric: ir.ShareWithin, grid: PeriodGrid) -> Measure:
    periods = len(grid.labels)
    placed = placed_records(ctx, metric.select, metric.elapsed, grid)
    ok, decided = share_outcomes(ctx, metric, placed)
    size = _size(ctx, placed, periods)
    n_ok = ctx.to_matrix(placed, kernels.group_count(placed.group, size, ok), periods)
    n = ctx.to_matrix(placed, kernels.group_count(placed.group, size, decided), periods)
    return Measure(share_of(n_ok, n), n, n - n_ok)


def share_where(ctx: Context, metric: ir.ShareWhere, grid: PeriodGrid) -> Measure:
    periods = len(grid.labels)
    placed = placed_records(ctx, metric.select, None, grid)
    table = ctx.table(metric.select.stream)
    holds = placed.take(evaluate_predicate(metric.condition, table, ctx.clock))
    size = _size(ctx, placed, periods)
    n_ok = ctx.to_matrix(placed, kernels.group_count(placed.group, size, holds), periods)
    n = ctx.to_matrix(placed, kernels.group_count(placed.group, size), periods)
    return Measure(share_of(n_ok, n), n, n - n_ok)


def count(ctx: Context, metric: ir.Count, grid: PeriodGrid) -> Measure:
    periods = len(grid.labels)
    placed = placed_records(ctx, metric.select, None, grid)
    n = kernels.group_count(placed.group, _size(ctx, placed, periods))
    return Measure(ctx.to_matrix(placed, n, periods))


def is_duration(value: ir.Column | ir.Elapsed) -> bool:
    """Whether a metric's values are durations (ns inside, seconds out)."""
    return isinstance(value, ir.Elapsed) or value.type == "duration"


def known_values(
    ctx: Context, select: ir.Select, value: ir.Column | ir.Elapsed, placed: Placed
) -> tuple[np.ndarray, np.ndarray]:
    """Known values of the placed records (seconds for durations) and which are known."""
    values, known = _raw_values(ctx, select, value, placed)
    if is_duration(value):
        return values / NS, known
    return values, known


def _raw_values(
    ctx: Context, select: ir.Select, value: ir.Column | ir.Elapsed, placed: Placed
) -> tuple[np.ndarray, np.ndarray]:
    """As `known_values`, but durations stay int64 ns (exact; kernels sort them faster)."""
    table = ctx.table(select.stream)
    if isinstance(value, ir.Elapsed):
        clock = ctx.clock if value.calendar else None
        return elapsed_ns(value, table, clock, _rows(placed))
    column = table.columns[value.name]
    known = np.ones(len(column.values), bool) if column.valid is None else column.valid
    if column.type == "duration":  # ns, exact, like an elapsed time
        return placed.take(column.values), placed.take(known)
    return placed.take(column.values).astype(np.float64), placed.take(known)


def aggregate(ctx: Context, metric: ir.Aggregate, grid: PeriodGrid) -> Measure:
    periods = len(grid.labels)
    placed = placed_records(ctx, metric.select, metric.value, grid)
    values, known = _raw_values(ctx, metric.select, metric.value, placed)  # durations: ns
    size = _size(ctx, placed, periods)
    if metric.fn in ("min", "max"):
        pick = kernels.group_min if metric.fn == "min" else kernels.group_max
        result = pick(placed.group[known], values[known], size)
    else:  # records with no value go to a spare group past the end, then dropped
        group = placed.group if known.all() else np.where(known, placed.group, size)
        total = np.bincount(group, weights=values, minlength=size + 1)[:size]
        count = np.bincount(group, minlength=size + 1)[:size]
        if metric.fn == "mean":
            result = share_of(total, count.astype(np.float64))
        else:  # a sum over no known values is null, like the other aggregates
            result = np.where(count > 0, total, np.nan)
    if is_duration(metric.value):
        result = result / NS  # seconds, as every duration value
    return Measure(ctx.to_matrix(placed, result, periods))


def percentile(ctx: Context, metric: ir.Percentile, grid: PeriodGrid) -> Measure:
    periods = len(grid.labels)
    placed = placed_records(ctx, metric.select, metric.value, grid)
    values, known = _raw_values(ctx, metric.select, metric.value, placed)
    size = _size(ctx, placed, periods)
    result = kernels.group_percentile(placed.group[known], values[known], size, metric.q)
    if is_duration(metric.value):  # the picked ns, in seconds as `known_values` gives
        result = result / NS
    return Measure(ctx.to_matrix(placed, result, periods))


def down_intervals(ctx: Context, metric: ir.Uptime) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(account, start, end) of the combined downtime: union within each selection, then
    series (any down), parallel (all down) or k-of-n (more than n-k down) across them."""
    parts = []
    for select in metric.selects:
        table = ctx.table(select.stream)
        rows = np.flatnonzero(ctx.mask(select))
        start = table.columns["start"].values[rows]
        end_col = table.columns["end"]
        end = end_col.values[rows]
        if end_col.valid is not None:  # an open outage lasts until as-of
            end = np.where(end_col.valid[rows], end, ctx.as_of)
        end = np.minimum(end, ctx.as_of)
        account = table.columns.get("account")
        if account is None:  # a shared component is down for every account
            acc = np.repeat(np.arange(ctx.accounts, dtype=np.int64), len(rows))
            start, end = np.tile(start, ctx.accounts), np.tile(end, ctx.accounts)
        else:
            acc = account.values[rows].astype(np.int64)
        parts.append(kernels.coverage(acc, start, end, 1))
    n = len(parts)
    threshold = {"series": 1, "parallel": n, "k_of_n": n - metric.k + 1}[metric.mode]
    if n == 1 and threshold == 1:
        return parts[0]
    acc = np.concatenate([p[0] for p in parts])
    return kernels.coverage(
        acc,
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
        threshold,
    )


def measured_set(ctx: Context, metric: ir.Uptime) -> tuple[np.ndarray, np.ndarray]:
    """The instants that count as measured: during every `during`, outside every `excluding`."""
    return kernels.combine(
        [ctx.open_hours(c) for c in metric.during],
        [ctx.open_hours(c) for c in metric.excluding],
        ctx.span_lo,
        ctx.span_hi,
    )


def uptime(ctx: Context, metric: ir.Uptime, grid: PeriodGrid) -> Measure:
    if metric.slices is not None:  # budgeted by time slices: good ÷ slices with data
        down_set = down_intervals(ctx, metric)
        n, bad = timeslices.amounts(ctx, metric.slices, grid, measured_set(ctx, metric), down_set)
        return Measure(share_of(n - bad, n), n, bad)
    periods = len(grid.labels)
    ms, me = measured_set(ctx, metric)
    starts, ends = ctx.measured_bounds(grid.kind, grid.timezone)
    measured = kernels.cumulative(ms, me, ends) - kernels.cumulative(ms, me, starts)
    acc, s, e = down_intervals(ctx, metric)
    piece, period, ps, pe = grid.split(s, e)
    down_ns = kernels.cumulative(ms, me, pe) - kernels.cumulative(ms, me, ps)
    group = acc[piece] * periods + period
    down = kernels.group_sum(group, down_ns.astype(np.float64), ctx.accounts * periods)
    down = down.reshape(ctx.accounts, periods)
    measured_m = np.broadcast_to(measured.astype(np.float64), (ctx.accounts, periods))
    value = 1 - share_of(down, measured_m)
    return Measure(value, measured_m.copy(), down)


KERNELS = {
    ir.ShareWithin: share_within,
    ir.ShareWhere: share_where,
    ir.Count: count,
    ir.Aggregate: aggregate,
    ir.Percentile: percentile,
    ir.Uptime: uptime,
}


def measure(ctx: Context, metric: ir.Metric, grid: PeriodGrid) -> Measure:
    """Dispatch on the metric's class (MetOf is resolved by the walk, not here)."""
    return KERNELS[type(metric)](ctx, metric, grid)  # type: ignore[operator]
