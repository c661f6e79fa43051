"""Metrics over a chunk of resampled runs, from the base data measured once.

The runs are a block axis of the accounts (run r, account a → row r·A + a), so the walk
of `slagraph.engine.evaluate` rolls them up unchanged; only the metrics differ:

* bootstrap: each metric is measured once per (account, local day) by the engine's own
  kernels on a daily grid; a run's period value is the sum, over the period's days, of
  what each day's source day measured (shares and uptime as numerator and denominator,
  counts, sums and means as sums and counts). Percentiles, minima and maxima are the
  weighted nearest rank over the records of the drawn days.
* poisson: each record (each downtime episode, for uptime) occurs a Poisson(1) number of
  times; sums and ranks are weighted by those counts.

No loop over records: the per-run arrays are flattened and reduced with `bincount`,
`reduceat`, `cumsum` and `searchsorted`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import attrs
import numpy as np

from slagraph.calendars import PeriodGrid
from slagraph.compiler import ir
from slagraph.data import Dataset
from slagraph.engine import kernels, metrics
from slagraph.engine.context import Context
from slagraph.engine.metrics import Measure, known_values, placed_records, share_of, share_outcomes
from slagraph.engine.predicates import evaluate_predicate
from slagraph.simulate.draws import DayDraws, block_ids, poisson_weights


def weighted_kth(
    weights: np.ndarray, group: np.ndarray, values: np.ndarray, size: int, rank: Callable
) -> np.ndarray:
    """(runs, size): per run and group, the k-th smallest value counting record i
    `weights[r, i]` times, k = rank(the group's total weight); NaN where it weighs nothing.

    `group`/`values` are sorted by (group, value). With c the running weight along each
    run's records, the k-th of a group is at its start plus the number of its records
    whose c is below (weight before the group) + k: sequential passes only."""
    runs, n = weights.shape
    out = np.full((runs, size), np.nan)
    if n == 0:
        return out
    starts = np.flatnonzero(np.diff(group, prepend=-1))  # each present group's first record
    present = group[starts]
    small = int(weights.max(initial=0)) * n < 2**31  # int32 sums are faster
    dtype = np.int32 if small else np.int64
    running = np.cumsum(weights, axis=1, dtype=dtype)
    ends = np.append(starts[1:], n) - 1
    before = np.where(starts > 0, np.take(running, np.maximum(starts - 1, 0), axis=1), 0)
    total = np.take(running, ends, axis=1) - before  # (runs, G')
    target = (before + np.where(total > 0, rank(np.maximum(total, 1)), 0)).astype(dtype)
    below = running < np.repeat(target, ends - starts + 1, axis=1)
    position = starts[None, :] + np.add.reduceat(below, starts, axis=1, dtype=np.int32)
    found = values[np.minimum(position, n - 1)]
    out[:, present] = np.where(total > 0, found, np.nan)
    return out


def nearest_rank(q: float) -> Callable[[np.ndarray], np.ndarray]:
    """The engine's nearest rank (kernels.group_percentile) on weighted totals."""
    return lambda n: np.maximum(np.ceil(np.round(q * n, 9)).astype(np.int64), 1)


def _rank_of(metric: ir.Metric) -> Callable[[np.ndarray], np.ndarray]:
    if isinstance(metric, ir.Percentile):
        return nearest_rank(metric.q)
    if isinstance(metric, ir.Aggregate) and metric.fn == "min":
        return lambda n: np.ones_like(n)
    return lambda n: n  # max


def _ranked(metric: ir.Metric) -> bool:
    return isinstance(metric, ir.Percentile) or (
        isinstance(metric, ir.Aggregate) and metric.fn in ("min", "max")
    )


class Resampler:
    """Measures metrics for the runs of the current chunk (`runs`), on a stacked context."""

    def __init__(
        self,
        model: ir.Model,
        data: Dataset,
        as_of: int,
        lo: int,
        method: str,
        block: str,
        seed: int,
        through: int | None = None,
    ) -> None:
        self.model = model
        self.method = method
        self.seed = seed
        self.through = through
        self.ctx = Context(model, data, as_of, lo, through=through)
        self.accounts = self.ctx.accounts
        self.runs = np.arange(0)
        self._prepared: dict[tuple[Any, str, str], Any] = {}
        self._chunk: dict[Any, Any] = {}
        self._reach: dict[str, Reach] = {}
        self._bases: dict[int, np.ndarray] = {}
        self._expected: dict[tuple[str, str], list[ir.Metric]] = {}
        self._batches: dict[tuple[str, str], tuple[Callable, dict[Any, slice]]] = {}
        if method == "bootstrap":
            self._days_setup(model, data, as_of, block)

    # ---- days (bootstrap)
    def _days_setup(self, model: ir.Model, data: Dataset, as_of: int, block: str) -> None:
        grids = {(i.period, i.timezone) for i in model.plan.instances}
        zones = sorted({z for _, z in grids})
        start = min((int(self.ctx.grid(k, z).bounds[0]) for k, z in grids), default=as_of)
        self.days_ctx = Context(model, data, as_of, start, through=self.through)
        self.day_grids = {z: self.days_ctx.grid("daily", z) for z in zones}
        dates = {z: np.array(g.labels, dtype="datetime64[D]") for z, g in self.day_grids.items()}
        ends = [(d[0], d[-1]) for d in dates.values() if len(d)]
        if ends:
            first, last = min(e[0] for e in ends), max(e[1] for e in ends)
            union = np.arange(first, last + np.timedelta64(1, "D"))
        else:  # no periods in any zone
            union = np.array([], dtype="datetime64[D]")
        common = np.ones(len(union), bool)
        for d in dates.values():
            common &= np.isin(union, d)
        self.draws = DayDraws(union, common, block)
        self.block = block
        self.common = common
        self.union = union
        self.zone_pos = {z: np.searchsorted(union, d) for z, d in dates.items()}

    def counts(self, reach: Reach) -> np.ndarray:
        """(R, A·P·M) int32: per run, how many dates of account a's period p drew the m-th
        date of the period's reach (P, M: the reach's periods and width). Counted run by
        run, so each run's counts stay in cache; a loop over runs, not records."""
        key = ("counts", id(reach))
        if key not in self._chunk:
            a, periods, m = self.accounts, reach.periods, reach.width
            cells = a * periods * m
            if id(reach) not in self._bases:  # each slot's cell for its reach's first date
                cell = (np.arange(a)[:, None] * periods + reach.period_of[None, :]) * m
                start = reach.first[reach.period_of][None, :]
                self._bases[id(reach)] = (cell - start).ravel()
            base = self._bases[id(reach)]
            out = np.empty((len(self.runs), cells), np.int32)
            for i, run in enumerate(self.runs):
                src = self.draws.sources(self.seed, int(run), a).ravel()
                out[i] = np.bincount(base + src, minlength=cells)
            self._chunk[key] = out
        return self._chunk[key]

    def float_counts(self, reach: Reach) -> np.ndarray:
        """(R, A·P, M) float64 counts, for matrix products."""
        key = ("float counts", id(reach))
        if key not in self._chunk:
            cnt = self.counts(reach).astype(np.float64)
            self._chunk[key] = cnt.reshape(
                len(self.runs), self.accounts * reach.periods, reach.width
            )
        return self._chunk[key]

    def weights(self, stream: str) -> np.ndarray:
        """(R, n): Poisson multiplicity of each record of a stream in each run."""
        key = ("weights", stream)
        if key not in self._chunk:
            n = len(self.ctx.table(stream))
            self._chunk[key] = poisson_weights(self.seed, self.runs, f"stream:{stream}", n)
        return self._chunk[key]

    def set_runs(self, runs: np.ndarray) -> None:
        self.runs = runs
        self._chunk = {}

    # ---- the walk's measure function
    def measure(self, ctx: Context, metric: ir.Metric, grid: PeriodGrid) -> Measure:
        if not grid.labels:  # as-of before every record: no periods at all
            empty = np.zeros((len(self.runs) * self.accounts, 0))
            if isinstance(metric, ir.ShareWithin | ir.ShareWhere | ir.Uptime):
                return Measure(empty, empty, empty)
            return Measure(empty)
        key = (metric, grid.kind, grid.timezone)
        if key not in self._prepared:
            bootstrap = self.method == "bootstrap"
            prepare = Resampler._bootstrap_prepare if bootstrap else _poisson_prepare
            self._prepared[key] = prepare(self, metric, grid)
        return self._prepared[key](self)

    # ---- bootstrap
    def reach(self, kind: str) -> Reach:
        """The reach of each period of `kind` over the union dates (periods are sets of
        local dates, the same in every zone)."""
        if kind not in self._reach:
            block = block_ids(self.union, self.block)
            block = np.where(self.common, block, -1 - np.arange(len(self.union)))  # alone
            period = block_ids(self.union, kind)
            period = period - period[0]
            self._reach[kind] = Reach.build(period, block, int(period[-1]) + 1)
        return self._reach[kind]

    def placement(self, grid: PeriodGrid) -> tuple[Reach, int, np.ndarray]:
        """(reach, shift, zone day of each union date or -1): period p of `grid` is the
        reach's period p + shift."""
        zone = grid.timezone
        reach = self.reach(grid.kind)
        pos = self.zone_pos[zone]
        day_period = grid.index(self.day_grids[zone].bounds[:-1])
        inside = day_period >= 0
        shifts = np.unique(reach.period_of[pos[inside]] - day_period[inside])
        if len(shifts) != 1:  # a grid's periods are runs of local dates
            raise AssertionError(f"{grid.kind} periods in {zone} do not follow dates")
        zone_day = np.full(len(self.union), -1, np.int64)
        zone_day[pos] = np.arange(len(pos))
        return reach, int(shifts[0]), zone_day

    def expect(self, keys: Iterable[tuple[Any, str, str]]) -> None:
        """The (metric, period, zone)s the walk will ask for (from the base evaluation's
        memo): additive metrics of one grid are then summed in one matrix product."""
        for metric, period, zone in keys:
            if not isinstance(metric, ir.MetOf) and not _ranked(metric):
                self._expected.setdefault((period, zone), []).append(metric)

    def _batch(self, grid: PeriodGrid) -> tuple[Callable, dict[Any, slice]]:
        """The additive statistics of every expected metric on `grid`, summed per run
        and period by one batched matrix product per chunk: (counts) @ (day stats)."""
        key = (grid.kind, grid.timezone)
        if key not in self._batches:
            zone, periods, a = grid.timezone, len(grid.labels), self.accounts
            reach, shift, zone_day = self.placement(grid)
            columns: list[np.ndarray] = []
            where: dict[Any, slice] = {}
            for metric in dict.fromkeys(self._expected.get(key, [])):
                stats = _day_stats(self, metric, self.day_grids[zone])
                where[metric] = slice(len(columns), len(columns) + len(stats))
                columns.extend(stats)
            n_days = len(self.day_grids[zone].labels)
            # (A, P, M, K): stat k of the m-th day of period p's reach (0 past its end, or
            # on a date this zone does not have)
            days = reach.days[shift : shift + periods]
            inside = days < len(self.union)
            days = np.where(inside, zone_day[np.where(inside, days, 0)], -1)
            days = np.where(days >= 0, days, n_days)
            grid_table = np.zeros((a, periods, reach.width, len(columns)))
            for i, stat in enumerate(columns):
                padded = np.concatenate([stat, np.zeros((a, 1))], axis=1)
                grid_table[:, :, :, i] = padded[:, days]
            table = grid_table.reshape(a * periods, reach.width, len(columns))
            cells = (np.arange(a)[:, None] * reach.periods + shift + np.arange(periods)).ravel()

            def sums(r: Resampler) -> np.ndarray:
                """(K, R·A, P) for this chunk, computed once; each stat contiguous."""
                if ("batch", key) not in r._chunk:
                    counts = r.float_counts(reach)  # (R, A·KP, M)
                    if len(cells) != counts.shape[1]:
                        counts = counts[:, cells]
                    out = np.matmul(counts.transpose(1, 0, 2), table)  # (A·P, R, K)
                    runs = out.shape[1]
                    out = out.reshape(a, periods, runs, len(columns)).transpose(3, 2, 0, 1)
                    out = np.ascontiguousarray(out).reshape(len(columns), runs * a, periods)
                    r._chunk[("batch", key)] = out
                return r._chunk[("batch", key)]

            self._batches[key] = (sums, where)
        return self._batches[key]

    def _bootstrap_prepare(self, metric: ir.Metric, grid: PeriodGrid) -> Callable:
        if _ranked(metric):
            return self._bootstrap_ranked(metric, grid)
        key = (grid.kind, grid.timezone)
        if metric not in self._batch(grid)[1]:  # not announced: its own batch
            self._expected.setdefault(key, []).append(metric)
            self._batches.pop(key)
        batch, where = self._batch(grid)
        columns = where[metric]

        def sums(r: Resampler) -> list[np.ndarray]:
            return list(batch(r)[columns])

        if isinstance(metric, ir.ShareWithin | ir.ShareWhere | ir.Uptime):

            def share(r: Resampler) -> Measure:
                n, bad = sums(r)
                if isinstance(metric, ir.Uptime):
                    return Measure(1 - share_of(bad, n), n, bad)
                return Measure(share_of(n - bad, n), n, bad)

            return share
        if isinstance(metric, ir.Count):
            return lambda r: Measure(sums(r)[0])

        total = isinstance(metric, ir.Aggregate) and metric.fn == "sum"

        def aggregate(r: Resampler) -> Measure:  # sum or mean
            s, c = sums(r)
            if total:
                return Measure(np.where(c > 0, s, np.nan))
            return Measure(share_of(s, c))

        return aggregate

    def _bootstrap_ranked(self, metric: ir.Metric, grid: PeriodGrid) -> Callable:
        """Percentile, min, max: every record of a source day enters each period whose
        reach holds that day, weighted by how many slots of the period drew it."""
        assert isinstance(metric, ir.Aggregate | ir.Percentile)
        zone = grid.timezone
        reach, shift, _ = self.placement(grid)
        days = self.day_grids[zone]
        a, n_days, periods = self.accounts, len(days.labels), len(grid.labels)
        placed = placed_records(self.days_ctx, metric.select, metric.value, days)
        values, known = known_values(self.days_ctx, metric.select, metric.value, placed)
        group, values = placed.group[known], values[known]
        if placed.shared:  # one copy per account: each account draws its own days
            group = (np.arange(a)[:, None] * n_days + group[None, :]).ravel()
            values = np.tile(values, a)
        acc, day = group // n_days, self.zone_pos[zone][group % n_days]  # union dates
        # the reach periods that hold each day: a contiguous range, cut to the grid's
        lo = np.maximum(np.searchsorted(reach.last, day, side="left"), shift)
        hi = np.minimum(np.searchsorted(reach.first, day, side="right"), shift + periods)
        reps = np.maximum(hi - lo, 0)
        entry = np.repeat(np.arange(len(day)), reps)
        e_period = (
            np.repeat(lo, reps) + np.arange(len(entry)) - np.repeat(np.cumsum(reps) - reps, reps)
        )
        e_acc, e_val = acc[entry], values[entry]
        e_pos = day[entry] - reach.first[e_period]
        e_flat = (e_acc * reach.periods + e_period) * reach.width + e_pos
        e_group = e_acc * periods + e_period - shift
        order = np.lexsort((e_val, e_group))
        e_group, e_val, e_flat = e_group[order], e_val[order], e_flat[order]
        rank = _rank_of(metric)

        def ranked(r: Resampler) -> Measure:
            counts = r.counts(reach)  # (R, A·KP·M)
            runs = counts.shape[0]
            w = np.take(counts, e_flat, axis=1)  # C order, for the cumulative sum
            out = weighted_kth(w, e_group, e_val, a * periods, rank)
            return Measure(out.reshape(runs * a, periods))

        return ranked


@attrs.frozen(eq=False)
class Reach:
    """Which source dates the slots of each period can draw: the dates of the blocks its
    dates belong to, a contiguous range `first[p]…last[p]` (the period itself when blocks
    nest in periods; a week straddling two months reaches into both)."""

    period_of: np.ndarray  # per date
    first: np.ndarray  # per period
    last: np.ndarray
    days: np.ndarray  # (P, M): the reach of each period, padded with an index past the end

    @property
    def periods(self) -> int:
        return len(self.first)

    @property
    def width(self) -> int:
        return self.days.shape[1]

    @classmethod
    def build(cls, period_of: np.ndarray, block: np.ndarray, periods: int) -> Reach:
        n = len(period_of)
        change = np.flatnonzero(np.diff(block, prepend=block[0] - 1) != 0)  # blocks: runs
        ends = np.append(change[1:], n) - 1
        member = np.repeat(np.arange(len(change)), np.diff(np.append(change, n)))
        bounds = np.flatnonzero(np.diff(period_of, prepend=-1) != 0)
        first = np.minimum.reduceat(change[member], bounds)
        last = np.maximum.reduceat(ends[member], bounds)
        width = int((last - first).max()) + 1
        days = first[:, None] + np.arange(width)[None, :]
        days = np.where(days <= last[:, None], days, n)
        return cls(period_of, first, last, days)


def _day_stats(r: Resampler, metric: ir.Metric, days: PeriodGrid) -> tuple[np.ndarray, ...]:
    """The additive statistics of a metric per (account, local day), by the engine."""
    ctx = r.days_ctx
    if isinstance(metric, ir.ShareWithin | ir.ShareWhere | ir.Uptime):
        m = metrics.measure(ctx, metric, days)
        return m.decided, m.failed  # type: ignore[return-value]
    if isinstance(metric, ir.Count):
        return (metrics.measure(ctx, metric, days).value,)
    assert isinstance(metric, ir.Aggregate)
    n_days = len(days.labels)
    placed = placed_records(ctx, metric.select, metric.value, days)
    values, known = known_values(ctx, metric.select, metric.value, placed)
    group = placed.group[known]
    size = n_days if placed.shared else r.accounts * n_days
    sums = kernels.group_sum(group, values[known], size)
    counts = kernels.group_count(group, size).astype(np.float64)
    return ctx.to_matrix(placed, sums, n_days), ctx.to_matrix(placed, counts, n_days)


# ---- poisson
def _poisson_prepare(r: Resampler, metric: ir.Metric, grid: PeriodGrid) -> Callable:
    ctx, a, periods = r.ctx, r.accounts, len(grid.labels)
    if isinstance(metric, ir.Uptime):
        return _poisson_uptime(r, metric, grid)
    assert not isinstance(metric, ir.MetOf)  # resolved by the walk
    value = getattr(metric, "value", getattr(metric, "elapsed", None))
    placed = placed_records(ctx, metric.select, value, grid)
    stream = metric.select.stream
    size = periods if placed.shared else a * periods

    def weighted_sums(x: np.ndarray, rows: np.ndarray, group: np.ndarray) -> Callable:
        def run(res: Resampler) -> np.ndarray:
            w = res.weights(stream)[:, rows]
            runs = w.shape[0]
            keys = (np.arange(runs, dtype=np.int64)[:, None] * size + group[None, :]).ravel()
            total = np.bincount(keys, weights=(w * x[None, :]).ravel(), minlength=runs * size)
            total = total.reshape(runs, size)
            if placed.shared:
                total = np.broadcast_to(total[:, None, :], (runs, a, periods))
            return total.reshape(runs * a, periods)

        return run

    if isinstance(metric, ir.ShareWithin | ir.ShareWhere):
        if isinstance(metric, ir.ShareWithin):
            ok, decided = share_outcomes(ctx, metric, placed)
        else:
            table = ctx.table(stream)
            ok = evaluate_predicate(metric.condition, table, ctx.clock)[placed.rows]
            decided = np.ones(len(ok), bool)
        n = weighted_sums(decided.astype(np.float64), placed.rows, placed.group)
        bad = weighted_sums((decided & ~ok).astype(np.float64), placed.rows, placed.group)

        def share(res: Resampler) -> Measure:
            nn, bb = n(res), bad(res)
            return Measure(share_of(nn - bb, nn), nn, bb)

        return share
    if isinstance(metric, ir.Count):
        ones = np.ones(len(placed.rows))
        total = weighted_sums(ones, placed.rows, placed.group)
        return lambda res: Measure(total(res))
    assert isinstance(metric, ir.Aggregate | ir.Percentile)
    values, known = known_values(ctx, metric.select, metric.value, placed)
    rows, group, values = placed.rows[known], placed.group[known], values[known]
    if _ranked(metric):
        order = np.lexsort((values, group))
        rows, group, values = rows[order], group[order], values[order]
        rank = _rank_of(metric)

        def ranked(res: Resampler) -> Measure:
            out = weighted_kth(res.weights(stream)[:, rows], group, values, size, rank)
            runs = out.shape[0]
            if placed.shared:
                out = np.broadcast_to(out[:, None, :], (runs, a, periods))
            return Measure(np.ascontiguousarray(out).reshape(runs * a, periods))

        return ranked
    sums = weighted_sums(values, rows, group)
    counts = weighted_sums(np.ones(len(rows)), rows, group)

    is_sum = isinstance(metric, ir.Aggregate) and metric.fn == "sum"

    def aggregate(res: Resampler) -> Measure:
        s, c = sums(res), counts(res)
        if is_sum:
            return Measure(np.where(c > 0, s, np.nan))
        return Measure(share_of(s, c))

    return aggregate


def _poisson_uptime(r: Resampler, metric: ir.Uptime, grid: PeriodGrid) -> Callable:
    """Each downtime episode (a merged interval of the metric's combined downtime) occurs
    Poisson(1) times; a run's downtime is the weighted sum, at most the measured time."""
    ctx, a, periods = r.ctx, r.accounts, len(grid.labels)
    ms, me = metrics.measured_set(ctx, metric)
    starts, ends = ctx.measured_bounds(grid.kind, grid.timezone)
    measured = kernels.cumulative(ms, me, ends) - kernels.cumulative(ms, me, starts)
    acc, s, e = metrics.down_intervals(ctx, metric)
    piece, period, ps, pe = grid.split(s, e)
    down_ns = (kernels.cumulative(ms, me, pe) - kernels.cumulative(ms, me, ps)).astype(float)
    group = acc[piece] * periods + period
    purpose = f"episodes:{metric!r}"

    def run(res: Resampler) -> Measure:
        w = poisson_weights(res.seed, res.runs, purpose, len(s))[:, piece]
        runs = w.shape[0]
        keys = (np.arange(runs, dtype=np.int64)[:, None] * a * periods + group[None, :]).ravel()
        down = np.bincount(
            keys, weights=(w * down_ns[None, :]).ravel(), minlength=runs * a * periods
        )
        n = np.broadcast_to(measured.astype(np.float64), (runs * a, periods)).copy()
        down = np.minimum(down.reshape(runs * a, periods), n)
        return Measure(1 - share_of(down, n), n, down)

    return run
