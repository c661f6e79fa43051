"""What one evaluation shares across graph nodes: data, as-of, period grids, clocks, masks.

Everything here is computed once per evaluation and cached by key (a stream's selection
mask, a calendar's business clock, a (period, timezone) grid), so nodes that read the same
selection or share a context do not repeat work.
"""

from __future__ import annotations

import functools

import attrs
import numpy as np

from slagraph.calendars import BusinessClock, PeriodGrid, open_intervals
from slagraph.compiler import ir
from slagraph.data import Dataset, EventTable
from slagraph.engine import kernels
from slagraph.engine.predicates import evaluate_predicate


@attrs.frozen
class Placed:
    """Records of a selection placed in (account, period) groups of one grid.

    `rows` index the stream's table; `group` is account * P + period, or just the period
    for a single-account stream (`shared`), whose counts are broadcast to every account.
    """

    rows: np.ndarray
    group: np.ndarray
    shared: bool


class Context:
    """One evaluation: a dataset as of an instant, with caches keyed by what they depend on."""

    def __init__(
        self,
        model: ir.Model,
        data: Dataset,
        as_of: int,
        lo: int,
    ) -> None:
        self.model = model
        self.data = data
        self.as_of = as_of
        self.lo = lo  # earliest instant any period must cover
        self.accounts = len(data.account_names)
        self._masks: dict[tuple[str, ir.Predicate | None], np.ndarray] = {}
        self._periods: dict[tuple[str, str, str, str], np.ndarray] = {}
        self.measures: dict[tuple[object, str, str], object] = {}  # (metric, period, zone)

    # ---- periods
    @functools.cache  # noqa: B019 - the context lives for one evaluation
    def grid(self, period: str, timezone: str) -> PeriodGrid:
        """Periods from the one holding `lo` to the one holding as-of (an as-of exactly on
        a boundary opens the next period, which is then empty)."""
        grid = PeriodGrid.build(period, timezone, min(self.lo, self.as_of), self.as_of + 1)
        first = int(grid.index(np.array([self.lo]))[0])
        if first <= 0:  # lo is in the first period, or after as-of's period: nothing before
            return grid if first == 0 else PeriodGrid(period, timezone, grid.bounds[-1:], ())
        return PeriodGrid(period, timezone, grid.bounds[first:], grid.labels[first:])

    @functools.cache  # noqa: B019
    def measured_bounds(self, period: str, timezone: str) -> tuple[np.ndarray, np.ndarray]:
        """Each period's [start, end) clipped to as-of: partial periods stop at as-of."""
        g = self.grid(period, timezone)
        starts = g.bounds[:-1]
        ends = np.minimum(g.bounds[1:], self.as_of)
        return starts, np.maximum(ends, starts)

    # ---- calendars
    @functools.cache  # noqa: B019
    def clock(self, calendar: str) -> BusinessClock:
        return BusinessClock.build(self.model.calendars[calendar], self.span_lo, self.span_hi)

    @functools.cache  # noqa: B019
    def open_hours(self, calendar: str) -> tuple[np.ndarray, np.ndarray]:
        return open_intervals(self.model.calendars[calendar], self.span_lo, self.span_hi)

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
        """(earliest, latest) known timestamp in every table, in one pass per column."""
        lo, hi = None, None
        for table in self.data.tables.values():
            for column in table.columns.values():
                if column.type != "time" or not len(column.values):
                    continue
                valid = True if column.valid is None else column.valid
                big = np.iinfo(np.int64).max
                cmin = int(np.min(column.values, where=valid, initial=big))
                cmax = int(np.max(column.values, where=valid, initial=-big))
                if cmin == big:
                    continue
                lo = cmin if lo is None else min(lo, cmin)
                hi = cmax if hi is None else max(hi, cmax)
        return None if lo is None or hi is None else (lo, hi)

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
        return self.data.tables[stream]

    def mask(self, select: ir.Select) -> np.ndarray:
        """Which records of the stream the selection keeps (cached per selection)."""
        key = (select.stream, select.where)
        if key not in self._masks:
            table = self.table(select.stream)
            if select.where is None:
                self._masks[key] = np.ones(len(table), bool)
            else:
                self._masks[key] = evaluate_predicate(select.where, table, self.clock)
        return self._masks[key]

    def place(self, select: ir.Select, time_column: str, grid: PeriodGrid) -> Placed:
        """The selected records whose placing time falls in a period of `grid` by as-of."""
        table = self.table(select.stream)
        t = table.columns[time_column].values
        key = (select.stream, time_column, grid.kind, grid.timezone)
        if key not in self._periods:  # several metrics place by the same column
            self._periods[key] = grid.index(t)
        period = self._periods[key]
        keep = self.mask(select) & (period >= 0) & (t <= self.as_of)
        rows = np.flatnonzero(keep)
        account = table.columns.get("account")
        if account is None:
            return Placed(rows, period[rows], True)
        group = account.values[rows].astype(np.int64) * len(grid.labels) + period[rows]
        return Placed(rows, group, False)

    def to_matrix(self, placed: Placed, per_group: np.ndarray, periods: int) -> np.ndarray:
        """A per-group vector as an (account, period) matrix; shared streams broadcast."""
        if placed.shared:
            return np.broadcast_to(per_group[:periods], (self.accounts, periods)).copy()
        return per_group.reshape(self.accounts, periods)
