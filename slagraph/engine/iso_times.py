"""Instants as ISO 8601 text in their zone, to the second (`2026-01-14T11:00:00-03:00`),
as `datetime.isoformat` writes them (`Z` for UTC), for every text format.

Arrow's `strftime` converts each value's zone on its own (~1 µs apiece), so the text is
put together from small tables taken by index instead: the dates in the data's range,
the 86,400 seconds of a day, the UTC offsets from zoneinfo's transitions. Each piece has
a fixed width, so a batch is one byte matrix (one row per instant, the writer's key and
quotes included) handed to Arrow as a string array without a copy.
"""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slagraph.data.times import utc_offsets

_DAY = 86_400


@functools.cache
def _times_of_day() -> np.ndarray:
    """`HH:MM:SS` of every second of a day as an 86,400 × 8 byte table (built once)."""
    two = np.array([f"{i:02d}" for i in range(60)], "S2").view(np.uint8).reshape(60, 2)
    hour, rest = np.divmod(np.arange(_DAY), 3600)
    minute, second = np.divmod(rest, 60)
    table = np.full((_DAY, 8), ord(":"), np.uint8)
    table[:, 0:2], table[:, 3:5], table[:, 6:8] = two[hour], two[minute], two[second]
    return table


def _offset(seconds: int) -> str:
    """`datetime.isoformat`'s offset: ±HH:MM, with :SS when there are seconds."""
    sign, seconds = ("+" if seconds >= 0 else "-"), abs(seconds)
    text = f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
    return text + (f":{seconds % 60:02d}" if seconds % 60 else "")


def _table(words: list[str]) -> np.ndarray | None:
    """Equal-width texts as a byte table (one row each), None when their widths differ."""
    data = [w.encode() for w in words]
    if len({len(d) for d in data}) != 1:
        return None
    return np.frombuffer(b"".join(data), np.uint8).reshape(len(data), len(data[0]))


def iso_text(instants: pa.Array, before: str = "", after: str = "") -> pa.Array:
    """ISO 8601 text of a timestamp array in its zone; null stays null.
    `before`/`after` go around each value (a writer's key and `"`, and `",`)."""
    ns = {"s": 1, "ms": 1000, "us": 10**6, "ns": 10**9}[instants.type.unit]  # per second
    zone = instants.type.tz or "UTC"
    utc = pc.cast(instants, pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
    valid = instants.is_valid().to_numpy(zero_copy_only=False)
    if not valid.all():  # null rows borrow a known instant (or 0), then become null
        utc = np.where(valid, utc, utc[int(np.argmax(valid))] if valid.any() else 0)
    wall = utc + utc_offsets(utc * (10**9 // ns), zone) // (10**9 // ns)
    seconds = np.floor_divide(wall, ns)
    day = np.floor_divide(seconds, _DAY)
    first = int(day.min()) if len(day) else 0
    days = np.arange(first, int(day.max()) + 1 if len(day) else 1, dtype=np.int64)
    dates = pc.strftime(pa.array(days * _DAY, pa.timestamp("s")), format="%Y-%m-%dT")
    if zone in ("UTC", "Etc/UTC"):  # one offset for all
        span, index = ["Z" if zone == "UTC" else "+00:00"], np.zeros(len(utc), np.int64)
    else:
        offsets = np.floor_divide(wall - utc, ns)  # seconds east of UTC
        if (offsets % 60 == 0).all():  # a small table of every minute in the range
            low = int(offsets.min()) if len(offsets) else 0
            minutes = np.arange(low, int(offsets.max()) + 1 if len(offsets) else 1, 60)
            index = (offsets - low) // 60
        else:  # local mean time before 1900-ish: offsets to the second
            minutes, index = np.unique(offsets, return_inverse=True)
        span = [_offset(int(x)) for x in minutes.tolist()]
    pieces = (_table(dates.to_pylist()), _table(span))
    if pieces[0] is None or pieces[1] is None:  # a year past 9999, offsets to the second
        text = _joined(dates, day - first, seconds - day * _DAY, span, index, before, after)
    else:
        text = _fixed(pieces[0][day - first], seconds - day * _DAY, pieces[1][index], before, after)
    if valid.all():
        return text
    return pc.if_else(pa.array(valid), text, pa.nulls(len(text), pa.string()))


def _fixed(
    date: np.ndarray, second: np.ndarray, offset: np.ndarray, before: str, after: str
) -> pa.Array:
    """Rows of `before`, date, time of day, offset, `after` bytes: one string each."""
    head, tail = before.encode(), after.encode()
    widths = (len(head), date.shape[1], 8, offset.shape[1], len(tail))
    n, width = len(date), sum(widths)
    out = np.empty((n, width), np.uint8)
    at = np.cumsum((0, *widths))
    out[:, at[0] : at[1]] = np.frombuffer(head, np.uint8)
    out[:, at[1] : at[2]] = date
    out[:, at[2] : at[3]] = _times_of_day()[second]
    out[:, at[3] : at[4]] = offset
    out[:, at[4] : at[5]] = np.frombuffer(tail, np.uint8)
    large = n * width >= 2**31
    ends = np.arange(0, (n + 1) * width, width, dtype=np.int64 if large else np.int32)
    kind = pa.LargeStringArray if large else pa.StringArray
    return kind.from_buffers(n, pa.py_buffer(ends), pa.py_buffer(out))


def _joined(
    dates: pa.Array,
    date: np.ndarray,
    second: np.ndarray,
    span: list[str],
    index: np.ndarray,
    before: str,
    after: str,
) -> pa.Array:
    """The same text by Arrow joins, for pieces of varying width."""
    clock = pa.array(_times_of_day().view("S8").ravel()).cast(pa.string())
    return pc.binary_join_element_wise(
        before,
        dates.take(pa.array(date)),
        clock.take(pa.array(second)),
        pa.array(span, pa.string()).take(pa.array(index)),
        after,
        "",
    )
