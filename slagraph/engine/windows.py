"""Rolling windows (SPEC §6.5): metrics over the trailing window (t − D, t] at every step t.

A rolling agreement is judged at steps instead of periods: by default each local midnight
of its timezone from the first data to as-of, plus as-of itself when it is not a midnight
(`every` sets a fixed step instead). The steps are a `RollingGrid`, which the walk treats
like a `PeriodGrid`: its columns are the steps, so statuses, budgets, `met when` and
roll-up are the periods' own.

Nothing loops over steps or records. A window's count is C(t) − C(t − D), where C(q) is
the number (or sum) of records placed at or before q: each record is looked up once
among the sorted query instants (`searchsorted`), counted into its (account, first query
it precedes) cell (`bincount`), and a cumulative sum along the steps gives C for every
account and step at once. Downtime is the same with whole intervals (a full length for
every query after an interval, the measured part so far for the queries inside it).
Minima, maxima and percentiles, which do not subtract, expand each record into the steps
whose window holds it (`repeat`) and use the period kernels on (account, step) groups.

Every window is judged with the data as known at the evaluation's as-of, exactly as a
calendar period is: a ticket open at as-of counts as failed in every window that holds
it once it is late at as-of.
"""

from __future__ import annotations

import datetime as dt

import attrs
import numpy as np

from slagraph.calendars import PeriodGrid
from slagraph.compiler import ir
from slagraph.compiler.expressions import placing_column
from slagraph.engine import kernels, metrics, timeslices
from slagraph.engine.context import Context, Placed
from slagraph.engine.metrics import Measure
from slagraph.engine.predicates import evaluate_predicate
from slagraph.errors import SlaUsageError

ROLLING = "rolling"


@attrs.frozen(eq=False)
class RollingGrid:
    """The steps of a rolling agreement: window i is (ends[i] − window, ends[i]]."""

    timezone: str
    ends: np.ndarray  # int64 UTC ns, increasing
    labels: tuple[str, ...]  # each step as an ISO instant in UTC
    window: int  # ns
    kind: str = ROLLING

    @property
    def starts(self) -> np.ndarray:
        return self.ends - self.window

    def between(self, lo: dt.date | None, hi: dt.date | None) -> np.ndarray:
        """Steps whose instant lies from local midnight of `lo` to before that of `hi`
        (`--from`/`--to` give period labels: their first day and the day after the last)."""
        keep = np.ones(len(self.ends), bool)
        for day, side in ((lo, 1), (hi, -1)):
            if day is None:
                continue
            midnight = local_midnight(self.timezone, day)
            keep &= self.ends >= midnight if side > 0 else self.ends < midnight
        return np.flatnonzero(keep)


def local_midnight(zone: str, day: dt.date) -> int:
    """The first instant of local `day` in `zone`, UTC ns."""
    day_ns = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()
    noon = int(day_ns) * kernels.NS + 12 * 3600 * kernels.NS
    return int(PeriodGrid.build("daily", zone, noon, noon + 1).bounds[0])


def steps(zone: str, lo: int, as_of: int, every: int | None = None) -> np.ndarray:
    """Local midnights (or `every` ns from the first data's local midnight) in [lo, as-of],
    plus as-of; none when as-of precedes the data."""
    if as_of < lo:
        return np.empty(0, np.int64)
    days = PeriodGrid.build("daily", zone, lo, as_of + 1).bounds
    if every is None:
        found = days[(days >= lo) & (days <= as_of)]
    else:
        found = days[0] + np.arange(0, as_of - int(days[0]) + 1, every, dtype=np.int64)
        found = found[found >= lo]
    if not len(found) or found[-1] != as_of:
        found = np.append(found, np.int64(as_of))
    return found.astype(np.int64)


def iso_labels(instants: np.ndarray) -> tuple[str, ...]:
    """`2026-04-03T00:00:00Z`; fractions of a second only where an instant has them."""
    exact = (instants % kernels.NS == 0).all()
    text = np.datetime_as_string(instants.astype("datetime64[ns]"), unit="s" if exact else "ns")
    return tuple(f"{t}Z" for t in text.tolist())


def grid(zone: str, window_seconds: int, lo: int, as_of: int, every: int | None) -> RollingGrid:
    ends = steps(zone, lo, as_of, every)
    return RollingGrid(zone, ends, iso_labels(ends), window_seconds * kernels.NS)


# ------------------------------------------------------------------ cumulative sums


def upto(
    codes: np.ndarray | None, t: np.ndarray, weights: np.ndarray | None, rows: int, q: np.ndarray
) -> np.ndarray:
    """(rows, len(q)): per account, the count (or sum of `weights`) of records with
    t ≤ q[s]; `q` non-decreasing. `codes` None: one row for a shared stream. Integer
    weights stay int64 (exact); bools count the true ones."""
    j = np.searchsorted(q, t, side="left")  # the first query each record is at or before
    return _cumulate(codes, j, weights, rows, len(q))


def cells_regular(
    codes: np.ndarray | None,
    t: np.ndarray,
    weights: list[np.ndarray | None],
    rows: int,
    q0: int,
    step: int,
    n_q: int,
) -> list[np.ndarray]:
    """(rows, n_q + 1) per weight: records counted into their (account, first query at
    or after them) cells for the evenly spaced queries q0 + k·step (k < n_q), as alert
    steps are: that query is arithmetic, ⌈(t − q0) ÷ step⌉, no search, and found once
    for every weight. `upto` is the cumulative sum of the first n_q columns (the last
    holds records after every query)."""
    j = np.clip(-((q0 - t) // step), 0, n_q)
    flat = j if codes is None else codes * (n_q + 1) + j
    return [_cells(None, flat, w, rows, n_q) for w in weights]


def _cumulate(
    codes: np.ndarray | None, j: np.ndarray, weights: np.ndarray | None, rows: int, n_q: int
) -> np.ndarray:
    return np.cumsum(_cells(codes, j, weights, rows, n_q)[:, :n_q], axis=1)


def _cells(
    codes: np.ndarray | None, j: np.ndarray, weights: np.ndarray | None, rows: int, n_q: int
) -> np.ndarray:
    flat = j if codes is None else codes * (n_q + 1) + j
    size = rows * (n_q + 1)
    if weights is not None and weights.dtype == bool:
        flat, weights = flat[weights], None
    if weights is None:
        cells = np.bincount(flat, minlength=size)
    elif weights.dtype.kind in "iu":
        cells = np.zeros(size, np.int64)
        np.add.at(cells, flat, weights.astype(np.int64, copy=False))
    else:
        cells = np.bincount(flat, weights=weights, minlength=size)
    return cells.reshape(rows, n_q + 1)


def between(
    codes: np.ndarray | None,
    t: np.ndarray,
    weights: np.ndarray | None,
    rows: int,
    lower: np.ndarray,
    upper: np.ndarray,
) -> np.ndarray:
    """(rows, S): records with lower[s] < t ≤ upper[s] (a record at exactly lower is out)."""
    return upto(codes, t, weights, rows, upper) - upto(codes, t, weights, rows, lower)


@attrs.frozen(eq=False)
class Records:
    """A selection's records as rolling windows see them: rows, placing time, account."""

    rows: np.ndarray
    t: np.ndarray
    codes: np.ndarray | None  # None: a shared stream (one row, broadcast)
    accounts: int

    @property
    def rows_out(self) -> int:
        return 1 if self.codes is None else self.accounts

    def placed(self) -> Placed:
        """The same records as a `Placed`, for the per-record rules of `metrics`."""
        return Placed(self.rows, self.rows, self.codes is None)

    def window(self, weights: np.ndarray | None, g: RollingGrid) -> np.ndarray:
        out = between(self.codes, self.t, weights, self.rows_out, g.starts, g.ends)
        return np.broadcast_to(out, (self.accounts, len(g.ends))).astype(np.float64)


def records(ctx: Context, select: ir.Select, value: object) -> Records:
    table = ctx.table(select.stream)
    column = placing_column(ctx.model.streams[select.stream], value) or ""
    rows = np.flatnonzero(ctx.mask(select))
    account = table.columns.get("account")
    codes = None
    if account is not None:
        if account.valid is not None:  # null accounts: never placed
            rows = rows[account.valid[rows]]
        codes = account.values[rows].astype(np.int64)
    t = table.columns[column].values[rows]
    return Records(rows, t, codes, ctx.accounts)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


# ------------------------------------------------------------------ metrics


def share_within(ctx: Context, metric: ir.ShareWithin, g: RollingGrid) -> Measure:
    recs = records(ctx, metric.select, metric.elapsed)
    ok, decided = metrics.share_outcomes(ctx, metric, recs.placed())
    n_ok, n = recs.window(ok & decided, g), recs.window(decided, g)
    return Measure(_ratio(n_ok, n), n, n - n_ok)


def share_where(ctx: Context, metric: ir.ShareWhere, g: RollingGrid) -> Measure:
    recs = records(ctx, metric.select, None)
    table = ctx.table(metric.select.stream)
    holds = evaluate_predicate(metric.condition, table, ctx.clock)[recs.rows]
    n_ok, n = recs.window(holds, g), recs.window(None, g)
    return Measure(_ratio(n_ok, n), n, n - n_ok)


def count(ctx: Context, metric: ir.Count, g: RollingGrid) -> Measure:
    return Measure(records(ctx, metric.select, None).window(None, g))


def aggregate(ctx: Context, metric: ir.Aggregate, g: RollingGrid) -> Measure:
    if metric.fn in ("min", "max"):
        kernel = kernels.group_min if metric.fn == "min" else kernels.group_max
        return _expanded(ctx, metric.select, metric.value, g, kernel)
    recs = records(ctx, metric.select, metric.value)
    values, known = metrics._raw_values(ctx, metric.select, metric.value, recs.placed())
    recs = attrs.evolve(
        recs, t=recs.t[known], codes=None if recs.codes is None else recs.codes[known]
    )
    total, n = recs.window(values[known], g), recs.window(None, g)
    if metric.fn == "mean":
        result = _ratio(total, n)
    else:
        result = np.where(n > 0, total, np.nan)
    if metrics.is_duration(metric.value):
        result = result / kernels.NS
    return Measure(result)


def percentile(ctx: Context, metric: ir.Percentile, g: RollingGrid) -> Measure:
    def kernel(group: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
        return kernels.group_percentile(group, values, size, metric.q)

    return _expanded(ctx, metric.select, metric.value, g, kernel)


def _expanded(ctx, select, value, g: RollingGrid, kernel) -> Measure:  # type: ignore[no-untyped-def]
    """A kernel over (account, step) groups, each record repeated into every step whose
    window holds it: steps j1 … j2 − 1 with ends − D < t ≤ ends."""
    recs = records(ctx, select, value)
    values, known = metrics._raw_values(ctx, select, value, recs.placed())
    t, values = recs.t[known], values[known]
    codes = None if recs.codes is None else recs.codes[known]
    first = np.searchsorted(g.ends, t, side="left")
    stop = np.searchsorted(g.starts, t, side="left")
    k = np.maximum(stop - first, 0)
    record = np.repeat(np.arange(len(t)), k)
    offsets = np.cumsum(k) - k
    step = first[record] + (np.arange(len(record)) - offsets[record])
    n_steps = len(g.ends)
    group = step if codes is None else codes[record] * n_steps + step
    result = kernel(group, values[record], recs.rows_out * n_steps)
    if metrics.is_duration(value):
        result = result / kernels.NS
    shaped = result.reshape(recs.rows_out, n_steps)
    return Measure(np.broadcast_to(shaped, (ctx.accounts, n_steps)).copy())


def down_upto(
    acc: np.ndarray,
    s: np.ndarray,
    e: np.ndarray,
    measured: tuple[np.ndarray, np.ndarray],
    accounts: int,
    q: np.ndarray,
) -> np.ndarray:
    """(accounts, len(q)): measured downtime before each q, per account, from disjoint
    down intervals [s, e): whole intervals that end by q, plus the part so far of the
    one holding q (at most one per account and query)."""
    ms, me = measured
    at_s, at_e = kernels.cumulative(ms, me, s), kernels.cumulative(ms, me, e)
    full = upto(acc, e, at_e - at_s, accounts, q)
    lo = np.searchsorted(q, s, side="right")  # the first query after the start
    hi = np.searchsorted(q, e, side="left")  # … up to the last one before the end
    k = np.maximum(hi - lo, 0)
    record = np.repeat(np.arange(len(s)), k)
    offsets = np.cumsum(k) - k
    step = lo[record] + (np.arange(len(record)) - offsets[record])
    partial = np.zeros((accounts, len(q)), np.int64)
    so_far = kernels.cumulative(ms, me, q[step]) - at_s[record]
    partial[acc[record], step] += so_far  # (account, step) pairs are unique: disjoint
    return full + partial


def uptime_amounts(
    ctx: Context, metric: ir.Uptime, lower: np.ndarray, upper: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(down, measured) ns over (lower, upper] per account and window, as (A, S)."""
    measured_set = metrics.measured_set(ctx, metric)
    ms, me = measured_set
    measured = kernels.cumulative(ms, me, upper) - kernels.cumulative(ms, me, lower)
    acc, s, e = metrics.down_intervals(ctx, metric)
    acc = acc.astype(np.int64)
    down = down_upto(acc, s, e, measured_set, ctx.accounts, upper)
    down = down - down_upto(acc, s, e, measured_set, ctx.accounts, lower)
    return down, np.broadcast_to(measured, down.shape)


def uptime(ctx: Context, metric: ir.Uptime, g: RollingGrid) -> Measure:
    if metric.slices is not None:  # each window cut into slices from its start
        down_set = metrics.down_intervals(ctx, metric)
        measured_set = metrics.measured_set(ctx, metric)
        n, bad = timeslices.window_amounts(
            ctx, metric.slices, g.starts, g.ends, measured_set, down_set
        )
        return Measure(metrics.share_of(n - bad, n), n, bad)
    down, measured = uptime_amounts(ctx, metric, g.starts, g.ends)
    down_f, measured_f = down.astype(np.float64), measured.astype(np.float64)
    return Measure(1 - _ratio(down_f, measured_f), measured_f.copy(), down_f)


KERNELS = {
    ir.ShareWithin: share_within,
    ir.ShareWhere: share_where,
    ir.Count: count,
    ir.Aggregate: aggregate,
    ir.Percentile: percentile,
    ir.Uptime: uptime,
}


def measure(ctx: Context, metric: ir.Metric, g: object) -> Measure:
    """`metrics.measure`, or its rolling-window twin on a `RollingGrid`."""
    if isinstance(g, RollingGrid):
        return KERNELS[type(metric)](ctx, metric, g)  # type: ignore[operator]
    return metrics.measure(ctx, metric, g)  # type: ignore[arg-type]


def step_ns(every: object, what: str = "a step") -> int | None:
    """A step given as seconds or a duration literal ("1h", "15m", "1d") → ns."""
    if every is None:
        return None
    seconds: float | None
    if isinstance(every, str):
        from slagraph.syntax.parser import duration_seconds

        seconds = duration_seconds(every)
    elif isinstance(every, int | float) and not isinstance(every, bool):
        seconds = every
    else:
        seconds = None
    if seconds is None or seconds <= 0:
        raise SlaUsageError(f"{what} must be a duration such as 1h or 1d, got {every!r}")
    return int(round(seconds * kernels.NS))
