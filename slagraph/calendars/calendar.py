"""Calendars: weekly open hours in a timezone, minus holidays, as UTC intervals (SPEC §2.1).

A `Calendar` is a value (what the `.sla` file declared); `open_intervals` turns it into the
sorted, merged UTC intervals everything downstream works with — business-time clocks,
`during`/`excluding` masks. The conversion is done once per calendar and span, so the
per-record work elsewhere is a `searchsorted` over these arrays.

How wall-clock ranges become instants (docs/time.md has the worked cases):

1. Each open local day contributes its ranges as *wall-clock* intervals on a continuous
   naive-local axis (every day 86,400 s long). Ranges that touch or overlap are merged
   there — also across midnight (`22:00-24:00` then `00:00-06:00`) — so a calendar open
   around the clock is one interval and never loses a repeated hour at a seam.
2. Each merged interval's start is converted at the *latest* instant the clock shows it,
   and its end at the *earliest*. A range wholly inside a repeated hour would come out
   empty by that rule; it is counted once instead, at the later occurrence. A wall time
   skipped by a DST jump converts to the jump's instant, so a range that falls in the gap
   is shortened or empty.

numpy and `holidays` are imported inside the functions that use them: the compiler builds
`Calendar` values and must not import either for that (tests/test_imports.py).
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
from typing import TYPE_CHECKING

import attrs

from slagraph.calendars import _wallclock as wc
from slagraph.errors import SlaError

if TYPE_CHECKING:
    import numpy as np

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _check_hours(instance: OpenHours, attribute: object, value: int) -> None:
    del attribute, value
    if not (isinstance(instance.weekday, int) and 0 <= instance.weekday <= 6):
        raise SlaError(f"'weekday' must be 0 (Mon) to 6 (Sun), got {instance.weekday!r}")
    if not 0 <= instance.start < wc.DAY:
        raise SlaError(f"'start' must be seconds in 0..86399, got {instance.start!r}")
    if not instance.start < instance.end <= wc.DAY:
        raise SlaError(
            f"'end' must be after 'start' ({instance.start}) and at most 86400 (24:00), "
            f"got {instance.end!r}"
        )


@attrs.frozen
class OpenHours:
    """One weekly open range, in seconds from local midnight.

    Seconds rather than `datetime.time` because `24:00` (86,400) is a valid end: the range
    runs to the next local midnight, which `time` cannot say.
    """

    weekday: int
    start: int
    end: int = attrs.field(validator=_check_hours)

    def __str__(self) -> str:
        return f"{WEEKDAY_NAMES[self.weekday]} {_clock(self.start)}-{_clock(self.end)}"


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def _check_zone(instance: object, attribute: object, value: str) -> None:
    del instance, attribute
    wc.zone(value)


@functools.lru_cache(maxsize=256)
def _country_holidays(
    code: str, subdivision: str | None, years: tuple[int, ...]
) -> frozenset[dt.date]:
    """Public holidays from the `holidays` package (cached: a country's rules are slow
    to evaluate, docs/performance.md)."""
    import holidays as holidays_lib  # only for a calendar that names a country

    try:
        found = holidays_lib.country_holidays(code, subdiv=subdivision, years=years)
    except NotImplementedError as exc:  # the package's "unknown country/subdivision"
        raise SlaError(f"no public holidays known for country {code!r} ({exc})") from exc
    return frozenset(d for d in found.keys() if d.year in years)


@attrs.frozen
class Calendar:
    """A named set of weekly open hours in a timezone, closed on holidays.

    Attributes:
        name: the declared name (for messages).
        timezone: IANA zone the hours and holidays are read in.
        hours: weekly open ranges; empty means open all day, every day (then only holidays
            close it) — the natural reading of a calendar that only lists holidays.
        holidays: explicit local dates, closed all day.
        countries: ``(country, subdivision or None)`` pairs whose public holidays close
            the calendar, looked up in the `holidays` package per year as needed.
    """

    name: str
    timezone: str = attrs.field(validator=_check_zone)
    hours: tuple[OpenHours, ...] = attrs.field(default=(), converter=tuple)
    holidays: tuple[dt.date, ...] = attrs.field(default=(), converter=tuple)
    countries: tuple[tuple[str, str | None], ...] = attrs.field(default=(), converter=tuple)

    def holiday_dates(self, years: range) -> frozenset[dt.date]:
        """Explicit and public holidays falling in `years` (local dates)."""
        wanted = tuple(years)
        found = {d for d in self.holidays if d.year in wanted}
        for code, subdivision in self.countries:
            found |= _country_holidays(code, subdivision, wanted)
        return frozenset(found)

    def weekly_ranges(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        """Per weekday (0=Mon), the merged (start, end) ranges in seconds from midnight."""
        hours = self.hours or tuple(OpenHours(d, 0, wc.DAY) for d in range(7))
        week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for h in sorted(hours, key=lambda h: (h.weekday, h.start)):
            day = week[h.weekday]
            if day and h.start <= day[-1][1]:
                day[-1] = (day[-1][0], max(day[-1][1], h.end))
            else:
                day.append((h.start, h.end))
        return tuple(tuple(day) for day in week)


def business_day_seconds(cal: Calendar) -> int:
    """The length of the calendar's usual open day: the most common total of open hours
    among its open weekdays (the longer on a tie); what `2bd` means as a fixed target."""
    totals = [sum(e - s for s, e in day) for day in cal.weekly_ranges() if day]
    if not totals:
        return 0
    counts = collections.Counter(totals)
    return max(totals, key=lambda total: (counts[total], total))


def merge_intervals(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Union of [start, end) intervals as sorted, disjoint ones; touching intervals join."""
    import numpy as np

    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    if not len(starts):
        return starts, ends
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    reach = np.maximum.accumulate(ends)
    first = np.ones(len(starts), dtype=bool)
    first[1:] = starts[1:] > reach[:-1]
    heads = np.flatnonzero(first)
    lasts = np.append(heads[1:] - 1, len(starts) - 1)
    return starts[heads], reach[lasts]


def wall_intervals(cal: Calendar, first: dt.date, last: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """Merged open intervals on the naive local axis (seconds) for local days first..last."""
    import numpy as np

    days = np.arange(wc.day_number(first), wc.day_number(last) + 1, dtype=np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    closed = cal.holiday_dates(range(first.year, last.year + 1))
    if closed:
        shut = np.sort(np.fromiter((wc.day_number(d) for d in closed), dtype=np.int64))
        at = np.minimum(np.searchsorted(shut, days), len(shut) - 1)
        weekday = np.where(shut[at] == days, -1, weekday)
    starts, ends = [], []
    for wd, ranges in enumerate(cal.weekly_ranges()):
        open_days = days[weekday == wd] * wc.DAY
        for start, end in ranges:
            starts.append(open_days + start)
            ends.append(open_days + end)
    if not starts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return merge_intervals(np.concatenate(starts), np.concatenate(ends))


def open_intervals(cal: Calendar, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """The calendar's open time within [lo, hi) as UTC ns intervals.

    Returns:
        (starts, ends): int64 arrays, sorted, disjoint and merged (no two touch), clipped
        to [lo, hi). Empty arrays when nothing is open.
    """
    import numpy as np

    empty = np.empty(0, np.int64)
    if hi <= lo:
        return empty, empty.copy()
    tz = wc.zone(cal.timezone)
    # One local day of margin each side: a day's ranges may begin or end in UTC before lo
    # or after hi, and the merge must see the whole interval to place its ends correctly.
    first = wc.local_date(tz, wc.floor_seconds(lo)) - dt.timedelta(days=1)
    last = wc.local_date(tz, wc.floor_seconds(hi - 1)) + dt.timedelta(days=1)
    wall_starts, wall_ends = wall_intervals(cal, first, last)
    starts = np.empty(len(wall_starts), np.int64)
    ends = np.empty(len(wall_ends), np.int64)
    for i, (ws, we) in enumerate(zip(wall_starts.tolist(), wall_ends.tolist(), strict=True)):
        s = wc.wall_to_utc(tz, ws)[1]  # a start reads at its latest occurrence
        e_early, e_late = wc.wall_to_utc(tz, we)  # an end at its earliest ...
        e = e_early if e_early > s else max(e_late, s)  # ... unless wholly in a repeated hour
        starts[i], ends[i] = s, e
    starts = np.clip(starts * wc.NS, lo, hi)
    ends = np.clip(ends * wc.NS, lo, hi)
    return merge_intervals(starts, ends)
