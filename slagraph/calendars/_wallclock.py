"""Wall-clock ↔ UTC conversion: the one place that knows about DST gaps and repeated hours.

Calendars and period grids are written in local wall-clock time ("09:00", "the 1st of the
month at midnight"), but every instant slagraph stores is UTC. A wall time can name zero
instants (it falls in the hour skipped when clocks go forward), one, or two (the hour
repeated when clocks go back). `wall_to_utc` returns the earliest and latest instant a wall
time names, so each caller states its own rule for choosing (see docs/time.md):

* an open range's start takes the latest, its end the earliest;
* a period boundary takes the earliest (the first instant of the local day);
* a skipped wall time names the transition instant itself, so a range that falls in the
  gap is shortened or empty and a skipped midnight starts the day at the transition.

Whole seconds throughout: tz offsets since 1970 are whole seconds, and callers scale to ns.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from slagraph.errors import SlaError

EPOCH_DAY = dt.date(1970, 1, 1)
_EPOCH = dt.datetime(1970, 1, 1)
_UTC = dt.UTC
DAY = 86_400
NS = 1_000_000_000


@functools.cache
def zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone `name`; an `SlaError` naming it when it is unknown."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise SlaError(
            f'\'timezone\' must be an IANA zone name such as "America/Santiago" or "UTC", '
            f"got {name!r}"
        ) from exc


def _offset_at(tz: zoneinfo.ZoneInfo, utc_seconds: int) -> int:
    """UTC offset (seconds) in force at an instant."""
    off = dt.datetime.fromtimestamp(utc_seconds, tz).utcoffset()
    assert off is not None
    return int(off.total_seconds())


def _shows(tz: zoneinfo.ZoneInfo, utc_seconds: int, wall: int) -> bool:
    """Whether the wall clock reads `wall` (seconds since the naive epoch) at an instant."""
    return utc_seconds + _offset_at(tz, utc_seconds) == wall


def wall_to_utc(tz: zoneinfo.ZoneInfo, wall: int) -> tuple[int, int]:
    """(earliest, latest) UTC second at which the local clock reads `wall`.

    `wall` is naive local seconds since 1970-01-01T00:00 (wall-clock arithmetic: every day
    has 86,400 of them). Both values are equal unless the time is repeated; a skipped time
    returns the transition instant twice.
    """
    naive = _EPOCH + dt.timedelta(seconds=wall)
    off0 = naive.replace(tzinfo=tz).utcoffset()
    off1 = naive.replace(tzinfo=tz, fold=1).utcoffset()
    assert off0 is not None and off1 is not None
    if off0 == off1:  # the common case: one instant
        u = wall - int(off0.total_seconds())
        return u, u
    a, b = sorted((wall - int(off0.total_seconds()), wall - int(off1.total_seconds())))
    valid = [u for u in (a, b) if _shows(tz, u, wall)]
    if valid:
        return valid[0], valid[-1]
    # Skipped: the clock jumps over `wall` at one instant in (a, b]; find it by bisection.
    before = _offset_at(tz, a)
    lo, hi = a, b
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset_at(tz, mid) == before:
            lo = mid
        else:
            hi = mid
    return hi, hi


def local_date(tz: zoneinfo.ZoneInfo, utc_seconds: int) -> dt.date:
    """The local calendar date at an instant."""
    return dt.datetime.fromtimestamp(utc_seconds, tz).date()


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01 (so `day_number(d) * DAY` is d's local midnight in wall seconds)."""
    return (day - EPOCH_DAY).days


def floor_seconds(ns: int) -> int:
    return ns // NS
