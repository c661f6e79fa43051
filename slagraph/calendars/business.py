"""Business time as a lookup: B(t) = open time before t, so a duration is B(a) - B(b).

Walking each record's interval day by day (what most business-time libraries do) costs a
Python loop per record. Here the calendar's open intervals are laid out once over the data's
span with their running total, and every query is one `searchsorted`:

    k = last interval starting at or before t
    B(t) = cum[k] + min(t - start[k], length[k])

which is exact integer arithmetic in ns, for any number of ranges per day, any timezone and
DST (the intervals already are UTC; see `calendar.py` for how wall-clock hours become them).
The lookup itself avoids the binary search: see `_Table`.
"""

from __future__ import annotations

import numpy as np

from slagraph.calendars._wallclock import DAY, NS
from slagraph.calendars.calendar import Calendar, open_intervals

_MARGIN = 7 * DAY * NS  # how far past a query a widened lookup reaches
_MAX_SHIFT = 46  # buckets of at most 2**46 ns (~19.5 h)
_MAX_BUCKETS = 1 << 19  # beyond this the table is too big to stay in cache: bisect
_BLOCK = 1 << 15  # queries per block: the temporaries stay in cache


class BusinessClock:
    """Cumulative open time of one calendar, queried by vectorised lookups.

    Built over [lo, hi); `elapsed` counts from `lo`. A query outside the built span is
    still exact: the lookup is rebuilt once, wide enough to cover it (plus a week), keeping
    `lo` as the origin — so B(t) < 0 for t < lo. The engine builds the clock over the
    data's whole span, so in practice this only happens for stray callers; it is not
    clamped because a clamped duration would be silently wrong.

    Not a value object: it holds arrays and may widen itself, which is why it is a plain
    class and not `attrs.frozen`. Widening replaces the arrays in one assignment, so a
    concurrent reader sees either the old lookup or the new one, both exact.
    """

    __slots__ = ("calendar", "lo", "_table")

    def __init__(self, calendar: Calendar, lo: int, hi: int) -> None:
        self.calendar = calendar
        self.lo = int(lo)
        self._table = _Table.build(calendar, self.lo, int(hi), self.lo)

    @classmethod
    def build(cls, cal: Calendar, lo: int, hi: int) -> BusinessClock:
        """Lay out `cal`'s open time over [lo, hi) (UTC ns); a few ms per calendar-year."""
        return cls(cal, lo, max(int(hi), int(lo) + 1))

    @property
    def hi(self) -> int:
        """End of the span currently laid out (grows if a query needed it)."""
        return self._table.hi

    def elapsed(self, t: np.ndarray) -> np.ndarray:
        """B(t): open ns in [lo, t) (negative before lo), int64, same shape as `t`."""
        t = np.asarray(t, dtype=np.int64)
        out = np.empty(t.shape, np.int64)
        self._covering(t).lookup(t.reshape(-1), None, out.reshape(-1))
        return out

    def duration(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Open ns in [start, end): B(end) - B(start); negative if end precedes start."""
        start, end = np.broadcast_arrays(
            np.asarray(start, dtype=np.int64), np.asarray(end, dtype=np.int64)
        )
        out = np.empty(end.shape, np.int64)
        table = self._covering(start, end)
        table.lookup(end.reshape(-1), start.reshape(-1), out.reshape(-1))
        return out

    def reached(self, start: np.ndarray, open_ns: np.ndarray) -> np.ndarray:
        """The earliest instant t >= start with `open_ns` of open time in [start, t): when
        a limit of business time runs out (B's inverse, by a search over the cumulative
        open time of the intervals). `open_ns` >= 0."""
        start = np.asarray(start, dtype=np.int64)
        open_ns = np.asarray(open_ns, dtype=np.int64)
        if not start.size:
            return start.copy()
        target = self.elapsed(start) + open_ns
        reach = int(open_ns.max()) * 8 + 400 * 86400 * 10**9
        for _ in range(3):  # widen the lookup until every limit runs out inside it
            table = self._covering(start, np.array([int(start.max()) + reach], np.int64))
            done = table.before + (table.ends - table.starts)
            k = np.searchsorted(done, target, side="left")
            if (k < len(done)).all():
                break
            reach *= 4
        else:
            raise ValueError(f"calendar '{self.calendar.name}' has no open time left")
        at = np.minimum(k, len(done) - 1)
        return np.where(open_ns > 0, table.starts[at] + (target - table.before[at]), start)

    def _covering(self, *arrays: np.ndarray) -> _Table:
        """The lookup, widened first if any time in `arrays` is outside it."""
        table = self._table
        if not all(a.size for a in arrays):
            return table
        t_min = min(int(a.min()) for a in arrays)
        t_max = max(int(a.max()) for a in arrays)
        if t_min < table.lo or t_max >= table.hi:
            table = _Table.build(
                self.calendar,
                min(t_min, table.lo) - _MARGIN,
                max(t_max + 1, table.hi) + _MARGIN,
                self.lo,
            )
            self._table = table
        return table

    def __repr__(self) -> str:
        return (
            f"BusinessClock({self.calendar.name!r}, lo={self.lo}, hi={self.hi}, "
            f"intervals={len(self._table.starts) - 1})"
        )


class _Table:
    """B(t) over one span [lo, hi), looked up through a table of equal time buckets.

    Bucket j is [lo + j·2**shift, lo + (j+1)·2**shift). When no bucket is longer than the
    shortest closed gap between two open intervals, at most one interval meets a bucket;
    with k the last interval starting before the bucket's end, B is one clipped line
    throughout the bucket:

        B(t) = offset[j] + clip(t, open_lo[j], open_hi[j])
        open_lo[j], open_hi[j] = starts[k], ends[k];  offset[j] = before[k] - starts[k]

    (before the interval starts, clip pins B at before[k]; after it ends, at before[k+1]).
    A query is a subtract and a shift, three gathers from a table small enough to stay in
    cache, a max, a min and an add: no binary search, and much faster than `searchsorted`
    (docs/performance.md, "Business time"), which the table falls back to when the gaps
    are too short for the span (over `_MAX_BUCKETS`).
    """

    __slots__ = (
        "lo",
        "hi",
        "starts",
        "ends",
        "before",
        "shift",
        "bucketed",
        "open_lo",
        "open_hi",
        "offset",
    )

    def __init__(self, lo: int, hi: int, starts: np.ndarray, ends: np.ndarray) -> None:
        self.lo, self.hi = lo, hi
        # A zero-length sentinel interval at lo - 1: k >= 0 for every t >= lo.
        self.starts = np.concatenate(([lo - 1], starts))
        self.ends = np.concatenate(([lo - 1], ends))
        self.before = np.concatenate(([0], np.cumsum(self.ends - self.starts)[:-1]))
        gaps = starts[1:] - ends[:-1]  # all > 0: open_intervals merges touching intervals
        shift = _MAX_SHIFT
        if len(gaps):
            shift = min(shift, int(gaps.min()).bit_length() - 1)  # 2**shift <= every gap
        self.shift = shift
        n_buckets = ((hi - lo) >> shift) + 1
        self.bucketed = n_buckets <= _MAX_BUCKETS
        self.open_lo = self.open_hi = self.offset = np.empty(0, np.int64)
        if self.bucketed:
            bucket_ends = lo + (np.arange(1, n_buckets + 1, dtype=np.int64) << shift)
            k = np.searchsorted(self.starts, bucket_ends, side="left") - 1
            self.open_lo, self.open_hi = self.starts[k], self.ends[k]
            self.offset = self.before[k] - self.starts[k]

    @classmethod
    def build(cls, cal: Calendar, lo: int, hi: int, origin: int) -> _Table:
        starts, ends = open_intervals(cal, lo, hi)
        table = cls(lo, hi, starts, ends)
        at_origin = np.empty(1, np.int64)
        table.lookup(np.array([origin], np.int64), None, at_origin)
        table.before -= at_origin[0]
        table.offset -= at_origin[0]
        return table

    def lookup(self, t: np.ndarray, minus: np.ndarray | None, out: np.ndarray) -> None:
        """out = B(t), or B(t) - B(minus); flat int64 arrays of one length, in [lo, hi).

        Block by block, with scratch arrays reused across blocks: a million queries make
        ~10 passes over each block while it is in cache instead of ~10 over 8 MB arrays.
        """
        n = len(t)
        size = min(n, _BLOCK)
        scratch = [np.empty(size, np.int64) for _ in range(3)]
        for i in range(0, n, _BLOCK):
            part = slice(i, min(i + _BLOCK, n))
            self._line(t[part], out[part], scratch)
            if minus is not None:
                other = scratch[2][: len(out[part])]
                self._line(minus[part], other, scratch[:2])
                out[part] -= other

    def _line(self, t: np.ndarray, out: np.ndarray, scratch: list[np.ndarray]) -> None:
        """out = B(t) for one block; `scratch` holds two arrays at least as long."""
        m = len(t)
        j, a = scratch[0][:m], scratch[1][:m]
        if not self.bucketed:  # gaps too short for the span: bisect the intervals
            k = np.searchsorted(self.starts, t, side="right") - 1
            np.minimum(t, self.ends[k], out=out)
            out += self.before[k] - self.starts[k]
            return
        np.subtract(t, self.lo, out=j)
        np.right_shift(j, self.shift, out=j)
        np.take(self.open_lo, j, out=a, mode="clip")
        np.maximum(t, a, out=a)
        np.take(self.open_hi, j, out=out, mode="clip")
        np.minimum(a, out, out=a)
        np.take(self.offset, j, out=out, mode="clip")
        out += a
