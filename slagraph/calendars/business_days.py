"""Business days (`2bd`, SPEC §6.2): a limit reached at the same local time of day N open
days later, counted from the first open instant at or after the start.

An open day is a local date with open hours that is not a holiday. A start outside
open hours counts from the next opening: a ticket opened on Friday night counts from
Monday's opening, so `1bd` ends on Tuesday at that opening time. The deadline's local
time becomes an instant as period boundaries do: a repeated time takes its earlier
instant, a skipped one the instant after the gap.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slagraph.calendars import _wallclock as wc
from slagraph.calendars.business import BusinessClock
from slagraph.calendars.calendar import Calendar, open_intervals

_DAY_NS = wc.DAY * wc.NS


def _open_days(cal: Calendar, first_day: int, last_day: int) -> np.ndarray:
    """Local day numbers in [first_day, last_day] with open hours and no holiday."""
    days = np.arange(first_day, last_day + 1, dtype=np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    has_hours = np.array([bool(r) for r in cal.weekly_ranges()])
    keep = has_hours[weekday]
    first, last = wc.EPOCH_DAY.toordinal() + first_day, wc.EPOCH_DAY.toordinal() + last_day
    years = range(wc.EPOCH_DAY.fromordinal(first).year, wc.EPOCH_DAY.fromordinal(last).year + 1)
    closed = cal.holiday_dates(years)
    if closed:
        shut = np.fromiter((wc.day_number(d) for d in closed), dtype=np.int64)
        keep &= ~np.isin(days, shut)
    return days[keep]


def deadlines(cal: Calendar, start: np.ndarray, days: int) -> np.ndarray:
    """For each start (UTC ns): the instant `days` open days later at the same local time
    of day, from the first open instant at or after the start. No opening: int64 max."""
    start = np.asarray(start, dtype=np.int64)
    never = np.iinfo(np.int64).max
    if not len(start):
        return start.copy()
    lo, hi = int(start.min()), int(start.max())
    # Enough calendar days ahead for `days` open ones even around long holiday seasons.
    reach = (days * 7 // 2 + 60) * _DAY_NS
    starts, ends = open_intervals(cal, lo - _DAY_NS, hi + reach)
    if not len(starts):
        return np.full(len(start), never, np.int64)
    k = np.searchsorted(ends, start, side="right")  # the first interval ending after it
    has_open = k < len(starts)
    begin = np.where(has_open, np.maximum(start, starts[np.minimum(k, len(starts) - 1)]), start)
    zone = cal.timezone
    utc = pa.array(begin, pa.int64()).cast(pa.timestamp("ns", tz=zone))
    wall = pc.local_timestamp(utc).cast(pa.int64()).to_numpy()
    day = np.floor_divide(wall, _DAY_NS)
    time_of_day = wall - day * _DAY_NS
    open_days = _open_days(cal, int(day.min()) - 1, int(day.max()) + reach // _DAY_NS)
    at = np.searchsorted(open_days, day, side="left") + days
    enough = has_open & (at < len(open_days))
    target = open_days[np.minimum(at, len(open_days) - 1)] * _DAY_NS + time_of_day
    local = pa.array(target, pa.int64()).cast(pa.timestamp("ns"))
    instant = pc.assume_timezone(local, zone, ambiguous="earliest", nonexistent="latest")
    out = instant.cast(pa.int64()).to_numpy(zero_copy_only=False)
    return np.where(enough, out, never)


def business_day_limits(
    cal: Calendar, clock: BusinessClock, start: np.ndarray, days: int
) -> np.ndarray:
    """Each record's `<= Nbd` limit as open ns from its start to its deadline."""
    due = deadlines(cal, start, days)
    never = due == np.iinfo(np.int64).max
    if never.any():
        limits = np.full(len(start), np.iinfo(np.int64).max, np.int64)
        ok = ~never
        limits[ok] = clock.duration(np.asarray(start)[ok], due[ok])
        return limits
    return clock.duration(start, due)
