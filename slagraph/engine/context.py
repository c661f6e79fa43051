"""What one evaluation shares across graph nodes: data, as-of, period grids, clocks, masks.

Everything here is computed once per evaluation and cached by key (a stream's selection
mask, a calendar's business clock, a (period, timezone) grid), so nodes that read the same
selection or share a context do not repeat work.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from types import EllipsisType
from typing import Any, TypeVar

import attrs
import numpy as np

from slagraph.calendars import BusinessClock, PeriodGrid, business_day_limits, open_intervals
from slagraph.compiler import ir
from slagraph.data import Column, Dataset, EventTable
from slagraph.engine import kernels
from slagraph.engine.clocks import clock_table
from slagraph.engine.predicates import evaluate_predicate
from slagraph.runtime import workers

T = TypeVar("T")


@attrs.frozen
class Placed:
    """Records of a selection placed in (account, period) groups of one grid.

    `rows` index the stream's table; `group` is account * P + period, or just the period
    for a single-account stream (`shared`), whose counts are broadcast to every account.
    """

    rows: np.ndarray
    group: np.ndarray
    shared: bool
    complete: bool = False  # every record of the table, in order: `rows` is an arange

    def take(self, values: np.ndarray) -> np.ndarray:
        """`values[rows]`, without the gather when every record is placed."""
        return values if self.complete else values[self.rows]


def _column_extremes(column: Column) -> tuple[int, int] | None:
    if column.bounds is not None:  # found while loading
        return column.bounds
    valid = True if column.valid is None else column.valid
    big = np.iinfo(np.int64).max
    cmin = int(np.min(column.values, where=valid, initial=big))
    if cmin == big:
        return None
    return cmin, int(np.max(column.values, where=valid, initial=-big))


def _groups_in_order(codes: np.ndarray, runs: list[tuple[int, int]], periods: int) -> np.ndarray:
    """`Context._groups` for records in time order: run k (`kernels.runs`) lies in period
    k − 1, so its groups are account × P + k − 1, written in place; the runs before the
    grid and after it (or after as-of) are -1. Two passes, no per-record index."""
    group = np.empty(len(codes), np.int64)
    for step, (lo, hi) in enumerate(runs):
        part = group[lo:hi]
        if 1 <= step <= periods:
            np.multiply(codes[lo:hi], periods, out=part, dtype=np.int64)
            part += step - 1
        else:
            part[:] = -1
    return group


class Context:
    """One evaluation: a dataset as of an instant, with caches keyed by what they depend on."""

    def __init__(
        self,
        model: ir.Model,
        data: Dataset,
        as_of: int,
        lo: int,
        *,
        extremes: tuple[int, int] | None | EllipsisType = ...,
        through: int | None = None,
        every: int | None = None,
    ) -> None:
        """`extremes`: the data's (earliest, latest) timestamp when already known (the
        probe of `engine.evaluate` found them in the same data); by default computed when
        first needed. `through`: the last instant the periods cover (default as-of;
        `engine.known_at` gives as-of − 1 ns when as-of is a boundary nothing is placed at)."""
        if extremes is not ...:
            self.__dict__["_extremes"] = extremes  # seeds the cached property
        self.model = model
        self.data = data
        self.as_of = as_of
        self.through = as_of if through is None else through
        self.lo = lo  # earliest instant any period must cover
        self.every = every  # rolling windows' step in ns (None: each local midnight)
        self.accounts = len(data.account_names)
        self._masks: dict[tuple[str, ir.Predicate | None], np.ndarray] = {}
        self._periods: dict[tuple[str, str, str, str], np.ndarray] = {}
        self.measures: dict[tuple[object, str, str], object] = {}  # (metric, period, zone)
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._locks: dict[tuple[Any, ...], threading.Lock] = {}
        self._lock = threading.Lock()

    def _once(self, store: dict[Any, T], key: Any, compute: Callable[[], T]) -> T:
        """`store[key]`, computed once even when worker threads ask at the same time (the
        walk measures independent metrics on threads; they share masks, grids, clocks)."""
        try:
            return store[key]
        except KeyError:
            pass
        with self._lock:
            lock = self._locks.setdefault((id(store), key), threading.Lock())
        with lock:
            if key not in store:
                store[key] = compute()
        return store[key]

    # ---- periods
    def grid(self, period: str, timezone: str) -> PeriodGrid:
        """Periods from the one holding `lo` to the one holding `through` (an as-of exactly
        on a boundary opens no empty period after it)."""
        return self._once(
            self._cache, ("grid", period, timezone), lambda: self._grid(period, timezone)
        )

    def _grid(self, period: str, timezone: str) -> PeriodGrid:
        window = ir.window_seconds(period)
        if window is not None:  # `window rolling D`: steps, not periods (engine/windows.py)
            from slagraph.engine import windows

            lo = self.lo
            return windows.grid(timezone, window, lo, self.as_of, self.every)  # type: ignore[return-value]
        grid = PeriodGrid.build(period, timezone, min(self.lo, self.through), self.through + 1)
        first = int(grid.index(np.array([self.lo]))[0])
        if first <= 0:  # lo is in the first period, or after as-of's period: nothing before
            return grid if first == 0 else PeriodGrid(period, timezone, grid.bounds[-1:], ())
        return PeriodGrid(period, timezone, grid.bounds[first:], grid.labels[first:])

    def measured_bounds(self, period: str, timezone: str) -> tuple[np.ndarray, np.ndarray]:
        """Each period's [start, end) clipped to as-of: partial periods stop at as-of."""

        def compute() -> tuple[np.ndarray, np.ndarray]:
            g = self.grid(period, timezone)
            starts = g.bounds[:-1]
            ends = np.minimum(g.bounds[1:], self.as_of)
            return starts, np.maximum(ends, starts)

        return self._once(self._cache, ("measured", period, timezone), compute)

    # ---- calendars
    def clock(self, calendar: str) -> BusinessClock:
        return self._once(
            self._cache,
            ("clock", calendar),
            lambda: BusinessClock.build(self.model.calendars[calendar], self.span_lo, self.span_hi),
        )

    def business_day_limits(self, calendar: str, start: np.ndarray, days: int) -> np.ndarray:
        """Each start's `<= Nbd` limit in open ns (`calendars.business_days`)."""
        cal = self.model.calendars[calendar]
        return business_day_limits(cal, self.clock(calendar), start, days)

    def open_hours(self, calendar: str) -> tuple[np.ndarray, np.ndarray]:
        return self._once(
            self._cache,
            ("open", calendar),
            lambda: open_intervals(self.model.calendars[calendar], self.span_lo, self.span_hi),
        )

    @functools.cached_property
    def span_lo(self) -> int:
        """An instant before every period start and every record, for calendar lookups.

        The first period of a grid starts up to a year before `lo` (a yearly period holding
        it), so the lookups reach a year and a week further back."""
        return min(self.lo, self.data_lo) - 373 * 86400 * kernels.NS

    @functools.cached_property
    def span_hi(self) -> int:
        return max(self.as_of, self.data_hi) + 8 * 86400 * kernels.NS

    @functools.cached_property
    def _extremes(self) -> tuple[int, int] | None:
        """(earliest, latest) known timestamp in every table, one pass per column, the
        columns spread over worker threads."""
        columns = [
            column
            for table in self.data.tables.values()
            for column in table.columns.values()
            if column.type == "time" and len(column)
        ]
        with workers(sum(len(t) for t in self.data.tables.values())) as pool:
            found = [e for e in pool.map(_column_extremes, columns) if e is not None]
        if not found:
            return None
        return min(e[0] for e in found), max(e[1] for e in found)

    @functools.cached_property
    def has_times(self) -> bool:
        return self._extremes is not None

    @functools.cached_property
    def data_lo(self) -> int:
        return self._extremes[0] if self._extremes else self.as_of

    @functools.cached_property
    def data_hi(self) -> int:
        return self._extremes[1] if self._extremes else self.as_of

    # ---- selections
    def table(self, stream: str) -> EventTable:
        """A stream's table; a clock's cycles are derived from its stream once, as of as-of."""
        clock = self.model.clocks.get(stream)
        if clock is None:
            return self.data.tables[stream]
        return self._once(
            self._cache,
            ("cycles", stream),
            lambda: clock_table(
                clock,
                self.model.streams[stream],
                self.data.tables[clock.stream],
                self.as_of,
                self.clock,
            ),
        )

    def mask(self, select: ir.Select) -> np.ndarray:
        """Which records of the stream the selection keeps (cached per selection)."""
        table, where = self.table(select.stream), select.where

        def compute() -> np.ndarray:
            if where is None:
                return np.ones(len(table), bool)
            return evaluate_predicate(where, table, self.clock)

        return self._once(self._masks, (select.stream, where), compute)

    def place(self, select: ir.Select, time_column: str, grid: PeriodGrid) -> Placed:
        """The selected records whose placing time falls in a period of `grid` by as-of."""
        table = self.table(select.stream)
        account = table.columns.get("account")
        key = (select.stream, time_column, grid.kind, grid.timezone)
        if select.where is not None and key not in self._periods:
            # no other metric has placed this stream by this column yet: place only the
            # selected records (a filter keeps a third of the tickets, say), not them all
            rows = np.flatnonzero(self.mask(select))
            group = self._groups(table, time_column, grid, rows)
            placed = group >= 0
            if not placed.all():
                rows, group = rows[placed], group[placed]
            return Placed(rows, group, account is None)
        group = self._once(self._periods, key, lambda: self._groups(table, time_column, grid))
        if select.where is None and self._once(
            self._cache, ("complete", *key), lambda: not (group < 0).any()
        ):
            return Placed(np.arange(len(group)), group, account is None, True)
        keep = group >= 0
        if select.where is not None:
            keep &= self.mask(select)
        rows = np.flatnonzero(keep)
        return Placed(rows, group[rows], account is None)

    def _groups(
        self, table: EventTable, time_column: str, grid: PeriodGrid, rows: np.ndarray | None = None
    ) -> np.ndarray:
        """Every record's group in `grid` (account × P + period, or the period alone for a
        single-account stream), -1 outside the grid or after as-of. Metrics placing by the
        same column share it.

        One `searchsorted` against the bounds clipped to as-of gives 0 before the grid,
        1…P in it and P + 1 after it (or after as-of); a small (account, that index)
        table then gives the group, -1 for both outsides: four passes over the records
        instead of eight masks and `where`s. Records in time order (`kernels.runs`) take
        two (`_groups_in_order`). With `rows`, for those records only."""
        t = table.columns[time_column].values
        periods = len(grid.labels)
        account = table.columns.get("account")
        codes = None if account is None else account.values
        valid = None if account is None else account.valid
        if rows is not None:
            t = t[rows]
            codes = None if codes is None else codes[rows]
            valid = None if valid is None else valid[rows]
        if periods == 0:
            return np.full(len(t), -1, np.int64)
        if codes is not None and valid is not None:  # null accounts: never placed
            period = grid.index(t)
            placed = (period >= 0) & (t <= self.as_of) & valid
            return np.where(placed, codes.astype(np.int64) * periods + period, -1)
        cut = np.minimum(grid.bounds, self.as_of + 1)  # still sorted; after as-of is past P
        in_order = kernels.runs(cut, t)
        if in_order is None:
            j = np.searchsorted(cut, t, side="right")
        elif codes is not None:
            return _groups_in_order(codes, in_order, periods)
        else:
            j = kernels.counts_of_runs(in_order, len(t))
        inside = np.concatenate(([-1], np.arange(periods, dtype=np.int64), [-1]))
        if codes is None:
            return inside[j]
        accounts = np.arange(self.accounts, dtype=np.int64)[:, None]
        table_ = np.where(inside >= 0, accounts * periods + inside, -1).ravel()
        index = np.multiply(codes, periods + 2, dtype=np.int64)
        index += j
        return table_[index]

    def to_matrix(self, placed: Placed, per_group: np.ndarray, periods: int) -> np.ndarray:
        """A per-group vector as an (account, period) matrix; shared streams broadcast."""
        if placed.shared:
            return np.broadcast_to(per_group[:periods], (self.accounts, periods)).copy()
        return per_group.reshape(self.accounts, periods)
