"""Instants from text, and naive wall-clock times localised in an IANA zone, vectorised.

Two jobs kept apart from the readers so both fast and slow paths agree on one grammar:

* `parse_iso` reads ISO-8601 strings exactly as Arrow's own timestamp parser does (the
  fast path used by the CSV and JSON readers), but element by element: it says which
  rows are naive, which are not times at all, and which name impossible dates, so a
  message can point at the first bad row instead of failing the whole column.
* `localize` turns naive wall-clock nanoseconds into UTC with zoneinfo's rules. It never
  calls zoneinfo per record: the zone's transitions over the data's span are found once
  (cached per zone and year) and every record is placed with `searchsorted`.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NS = 1_000_000_000
_DAY_NS = 86_400 * NS

# Arrow's ISO-8601 grammar (checked against pyarrow's cast in tests/test_data_times.py):
# a date, optionally a time `T` or space `hh[:mm[:ss[.f{1,9}]]]`, optionally a zone `Z`,
# `±hh`, `±hhmm` or `±hh:mm`. A zone needs a time: `2026-01-05Z` is not accepted.
ISO_PATTERN = (
    r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2})(?::(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,9}))?)?)?"
    r"(?P<z>Z|[+-]\d{2}(?::?\d{2})?)?)?$"
)

OK, NAIVE, NOT_A_TIME, BAD_DATE, OUT_OF_RANGE = 0, 1, 2, 3, 4
"""Per-row outcomes of `parse_iso`."""

MIN_NS = -(2**63) + 1  # -2**63 is numpy's NaT
MAX_NS = 2**63 - 1
RANGE_TEXT = "times must lie between 1677-09-21 and 2262-04-11 UTC"
"""Instants are int64 nanoseconds: outside this range a time is a bad value."""


def in_ns_range(seconds: np.ndarray, frac_ns: np.ndarray) -> np.ndarray:
    """Which `seconds * NS + frac_ns` (0 <= frac_ns < NS) fit in [MIN_NS, MAX_NS],
    decided without computing the (possibly overflowing) product."""
    lo_s, lo_f = divmod(MIN_NS, NS)
    hi_s, hi_f = divmod(MAX_NS, NS)
    above = (seconds > lo_s) | ((seconds == lo_s) & (frac_ns >= lo_f))
    below = (seconds < hi_s) | ((seconds == hi_s) & (frac_ns <= hi_f))
    return above & below


def out_of_range(array: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Rows of a timestamp column (any unit) whose value does not fit in ns (nulls False)."""
    unit = array.type.unit
    if unit == "ns":  # every int64 fits
        return np.zeros(len(array), bool)
    ints = pc.cast(array, pa.int64())
    if array.null_count:
        ints = pc.fill_null(ints, 0)
    v = np.asarray(ints.to_numpy() if isinstance(ints, pa.ChunkedArray) else ints.to_numpy())
    per = {"s": NS, "ms": 1_000_000, "us": 1_000}[unit]
    return (v < -(-MIN_NS // per)) | (v > MAX_NS // per)


@attrs.frozen(eq=False)
class ParsedTimes:
    """`parse_iso`'s result: instants where `status == OK`, wall-clock ns where NAIVE."""

    ns: np.ndarray  # int64; UTC for OK rows, naive wall clock for NAIVE rows
    status: np.ndarray  # int8 per row; nulls are OK with `valid` False
    valid: np.ndarray  # bool: non-null input


def _ints(field: pa.Array, default: int) -> np.ndarray:
    filled = pc.if_else(pc.equal(field, ""), str(default), field)
    return pc.cast(filled, pa.int64()).to_numpy(zero_copy_only=False)


def parse_iso(strings: pa.Array) -> ParsedTimes:
    """Parse ISO-8601 strings row by row (vectorised), classifying every row."""
    valid = strings.is_valid().to_numpy(zero_copy_only=False)
    parts = pc.extract_regex(pc.fill_null(strings, ""), ISO_PATTERN)
    matched = parts.is_valid().to_numpy(zero_copy_only=False)
    parts = pc.fill_null(
        parts, pa.scalar({k: "" for k in "y mo d h mi s f z".split()}, type=parts.type)
    )
    y = _ints(parts.field("y"), 1970)
    mo = _ints(parts.field("mo"), 1)
    d = _ints(parts.field("d"), 1)
    h = _ints(parts.field("h"), 0)
    mi = _ints(parts.field("mi"), 0)
    s = _ints(parts.field("s"), 0)
    frac = pc.utf8_rpad(parts.field("f"), 9, "0")
    f = pc.cast(frac, pa.int64()).to_numpy(zero_copy_only=False)
    z = parts.field("z")
    has_zone = pc.not_equal(z, "").to_numpy(zero_copy_only=False)
    zdigits = pc.replace_substring(pc.utf8_slice_codeunits(z, 1), ":", "")
    zh = _ints(pc.utf8_slice_codeunits(zdigits, 0, 2), 0)
    zm = _ints(pc.utf8_slice_codeunits(zdigits, 2, 4), 0)
    sign = np.where(pc.starts_with(z, "-").to_numpy(zero_copy_only=False), -1, 1)
    return assemble(valid, matched, (y, mo, d, h, mi, s, f), has_zone, sign, zh, zm)


def assemble(
    valid: np.ndarray,
    matched: np.ndarray,
    fields: tuple[np.ndarray, ...],
    has_zone: np.ndarray,
    sign: np.ndarray,
    zh: np.ndarray,
    zm: np.ndarray,
    clock_ok: np.ndarray | bool = True,
) -> ParsedTimes:
    """Instants from parsed fields (int64 arrays: year, month, day, hour, minute, second,
    nanoseconds; zone sign, hours, minutes), every row classified: shared by `parse_iso`
    and `time_formats.parse` so both judge dates, offsets and the ns range alike.
    `clock_ok`: rows whose fields the caller already found inconsistent are False."""
    y, mo, d, h, mi, s, f = fields
    n = len(valid)
    month_ok = (mo >= 1) & (mo <= 12)
    months = np.where(month_ok, (y - 1970) * 12 + (mo - 1), 0).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    month_len = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    date_ok = month_ok & (d >= 1) & (d <= month_len)
    clock_ok = clock_ok & (h <= 23) & (mi <= 59) & (s <= 59) & (zh <= 23) & (zm <= 59)
    days = first.astype(np.int64) + d - 1
    wall_s = ((days * 24 + h) * 60 + mi) * 60 + s
    offset_s = sign * (zh * 3600 + zm * 60)
    fits = in_ns_range(np.where(has_zone, wall_s - offset_s, wall_s), f)
    wall_s = np.where(fits, wall_s, 0)  # no int64 wrap-round below
    wall = wall_s * NS + np.where(fits, f, 0)
    offset = np.where(fits, offset_s, 0) * NS

    status = np.full(n, OK, np.int8)
    status[~has_zone] = NAIVE
    status[matched & ~fits] = OUT_OF_RANGE
    status[matched & ~(date_ok & clock_ok)] = BAD_DATE
    status[~matched] = NOT_A_TIME
    status[~valid] = OK
    return ParsedTimes(np.where(has_zone, wall - offset, wall), status, valid)


# ---------------------------------------------------------------- zones


@functools.cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def _offset_s(zone: zoneinfo.ZoneInfo, t: int) -> int:
    off = dt.datetime.fromtimestamp(t, zone).utcoffset()
    assert off is not None
    return int(off.total_seconds())


@functools.cache
def _year_transitions(name: str, year: int) -> tuple[tuple[int, int], ...]:
    """(UTC second, offset after) of every offset change in `year`, to the second.

    Sampled every 6 hours then bisected: zones never change offset twice within six
    hours, and zoneinfo has no public API for its transition list.
    """
    zone = _zone(name)
    start = int(dt.datetime(year, 1, 1, tzinfo=dt.UTC).timestamp())
    end = int(dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC).timestamp())
    step = 6 * 3600
    out = []
    prev_t, prev_off = start, _offset_s(zone, start)
    for t in range(start + step, end + step, step):
        off = _offset_s(zone, t)
        if off != prev_off:
            lo, hi = prev_t, t  # offset(lo) == prev_off, offset(hi) == off
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset_s(zone, mid) == prev_off:
                    lo = mid
                else:
                    hi = mid
            if hi < end:
                out.append((hi, off))
        prev_t, prev_off = t, off
    return tuple(out)


def _offset_table(name: str, lo_ns: int, hi_ns: int) -> tuple[np.ndarray, np.ndarray]:
    """Breakpoints (UTC ns) and offsets (ns) covering [lo_ns, hi_ns]."""
    y0 = dt.datetime.fromtimestamp(lo_ns // NS, dt.UTC).year - 1
    y1 = dt.datetime.fromtimestamp(hi_ns // NS, dt.UTC).year + 1
    start = int(dt.datetime(y0, 1, 1, tzinfo=dt.UTC).timestamp())
    points = [(start, _offset_s(_zone(name), start))]
    for year in range(y0, y1 + 1):
        points.extend(_year_transitions(name, year))
    table = np.array(points, dtype=np.int64)
    # years beyond the ns range (the margins above) clipped to its ends, not wrapped
    seconds = np.clip(table[:, 0], -(-MIN_NS // NS), MAX_NS // NS)
    return seconds * NS, table[:, 1] * NS


def utc_offsets(utc_ns: np.ndarray, zone: str) -> np.ndarray:
    """Each instant's UTC offset in `zone` (ns), as zoneinfo gives it — also past 2037,
    where Arrow's zone conversions keep the last transition's offset and drop the
    zone's ongoing DST rule."""
    utc_ns = np.asarray(utc_ns, dtype=np.int64)
    if zone in ("UTC", "Etc/UTC") or len(utc_ns) == 0:
        return np.zeros(len(utc_ns), np.int64)
    starts, offsets = _offset_table(zone, int(utc_ns.min()), int(utc_ns.max()))
    return offsets[np.maximum(np.searchsorted(starts, utc_ns, side="right") - 1, 0)]


ZONED_MARGIN_NS = 2 * _DAY_NS
"""How far inside the ns range a naive time read in a zone must lie (`zoned_fits`)."""


def zoned_fits(wall_ns: np.ndarray) -> np.ndarray:
    """Naive wall-clock times `localize` can place without leaving the ns range: two
    days inside its ends (more than any zone's offset, plus `localize`'s own margin)."""
    return (wall_ns >= MIN_NS + ZONED_MARGIN_NS) & (wall_ns <= MAX_NS - ZONED_MARGIN_NS)


def localize(wall_ns: np.ndarray, zone: str) -> np.ndarray:
    """UTC instants of naive wall-clock times in `zone`, the way zoneinfo reads them.

    The rule is Python's `fold=0` (PEP 495), so results equal
    `datetime(..., tzinfo=ZoneInfo(zone))`: an ambiguous time (clocks set back) is its
    first occurrence, i.e. read with the offset in force before the change; a
    nonexistent time (clocks set forward) is also read with the earlier offset, which
    moves it forward by the gap (00:30 in a 00:00→01:00 gap becomes 01:30). Loading
    must not stop on a wall-clock reading a real system wrote, and this is the rule
    everyone's Python already applies.
    """
    wall_ns = np.asarray(wall_ns, dtype=np.int64)
    if zone == "UTC" or len(wall_ns) == 0:
        return wall_ns.copy()
    lo, hi = int(wall_ns.min()) - 2 * _DAY_NS, int(wall_ns.max()) + 2 * _DAY_NS
    starts, offsets = _offset_table(zone, lo, hi)

    def offset_at(utc: np.ndarray) -> np.ndarray:
        return offsets[np.maximum(np.searchsorted(starts, utc, side="right") - 1, 0)]

    early = offset_at(wall_ns - _DAY_NS)
    late = offset_at(wall_ns + _DAY_NS)
    first = wall_ns - early
    second = wall_ns - late
    first_ok = offset_at(first) == early
    second_ok = offset_at(second) == late
    return np.where(second_ok & ~first_ok, second, first)
