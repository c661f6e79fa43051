"""Calendar values and `open_intervals`: what is open, as UTC intervals."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from slagraph.calendars import Calendar, OpenHours, open_intervals
from slagraph.errors import SlaError

NS = 1_000_000_000
H = 3600


def ns(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp()) * NS


def utc(t: int) -> str:
    return dt.datetime.fromtimestamp(t // NS, dt.UTC).strftime("%Y-%m-%dT%H:%M")


def intervals(cal: Calendar, lo: str, hi: str) -> list[tuple[str, str]]:
    starts, ends = open_intervals(cal, ns(lo), ns(hi))
    return [(utc(s), utc(e)) for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]


def test_values_are_frozen_and_hashable() -> None:
    cal = Calendar("b", "UTC", [OpenHours(0, 9 * H, 18 * H)], [dt.date(2026, 1, 1)])
    assert (OpenHours(0, 9 * H, 18 * H),) == cal.hours  # lists become tuples
    assert hash(cal) == hash(Calendar("b", "UTC", (OpenHours(0, 9 * H, 18 * H),), cal.holidays))
    with pytest.raises(AttributeError):
        cal.name = "x"  # type: ignore[misc]
    assert "mon 09:00-24:00" == str(OpenHours(0, 9 * H, 24 * H))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 9 * H, 9 * H), "'end' must be after 'start'"),
        ((0, 9 * H, 24 * H + 1), "at most 86400"),
        ((0, -1, H), "'start' must be seconds in 0..86399"),
        ((-1, 0, H), "'weekday' must be 0 \\(Mon\\) to 6 \\(Sun\\), got -1"),
    ],
)
def test_open_hours_validation(args: tuple[int, int, int], message: str) -> None:
    with pytest.raises(SlaError, match=message):
        OpenHours(*args)


def test_unknown_timezone() -> None:
    with pytest.raises(SlaError, match="'timezone' must be an IANA zone name .* 'America/Santigo'"):
        Calendar("b", "America/Santigo")


def test_holiday_dates_explicit_and_by_country() -> None:
    cal = Calendar(
        "b", "America/Santiago", (), (dt.date(2026, 3, 3), dt.date(2027, 3, 3)), (("CL", None),)
    )
    found = cal.holiday_dates(range(2026, 2027))
    assert dt.date(2026, 3, 3) in found and dt.date(2027, 3, 3) not in found
    assert {dt.date(2026, 9, 18), dt.date(2026, 9, 19), dt.date(2026, 1, 1)} <= found
    assert all(d.year == 2026 for d in found)
    madrid = Calendar("m", "Europe/Madrid", countries=(("ES", "MD"),))
    assert dt.date(2026, 5, 2) in madrid.holiday_dates(range(2026, 2027))  # Comunidad de Madrid


def test_weekly_ranges_merge_per_day() -> None:
    cal = Calendar(
        "b",
        "UTC",
        (OpenHours(0, 13 * H, 18 * H), OpenHours(0, 9 * H, 13 * H), OpenHours(0, 20 * H, 21 * H)),
    )
    assert ((9 * H, 18 * H), (20 * H, 21 * H)) == cal.weekly_ranges()[0]
    assert () == cal.weekly_ranges()[1]
    assert (((0, 24 * H),),) * 7 == Calendar("all", "UTC").weekly_ranges()


def test_open_intervals_lunch_break_and_weekend() -> None:
    cal = Calendar(
        "b",
        "UTC",
        tuple(OpenHours(d, s, e) for d in range(5) for s, e in [(9 * H, 12 * H), (13 * H, 18 * H)]),
    )
    got = intervals(cal, "2016-01-22T10:00+00:00", "2016-01-25T12:30+00:00")
    assert [
        ("2016-01-22T10:00", "2016-01-22T12:00"),
        ("2016-01-22T13:00", "2016-01-22T18:00"),
        ("2016-01-25T09:00", "2016-01-25T12:00"),
    ] == got


def test_open_intervals_are_sorted_disjoint_and_clipped() -> None:
    cal = Calendar(
        "b",
        "America/Santiago",
        (OpenHours(5, 20 * H, 24 * H), OpenHours(6, 0, 3 * H), OpenHours(6, 2 * H, 9 * H)),
    )
    lo, hi = ns("2026-01-01T00:00Z"), ns("2027-01-01T00:00Z")
    starts, ends = open_intervals(cal, lo, hi)
    assert np.int64 == starts.dtype == ends.dtype
    assert (starts < ends).all() and (ends[:-1] < starts[1:]).all()  # merged: none touch
    assert lo <= starts.min() and ends.max() <= hi
    # Saturday 20:00 to Sunday 09:00 is one stretch: 13 h, 14 h across the repeated hour
    # (Apr 4–5), 12 h across the skipped one (Sep 5–6).
    lengths = ((ends - starts) // (H * NS)).tolist()
    assert {12: 1, 13: 50, 14: 1} == {n: lengths.count(n) for n in set(lengths)}


def test_always_open_calendar_is_one_interval_between_holidays() -> None:
    cal = Calendar("all", "Europe/Madrid", (), (dt.date(2026, 10, 26),))
    got = intervals(cal, "2026-10-20T00:00+00:00", "2026-10-31T00:00+00:00")
    assert [
        ("2026-10-20T00:00", "2026-10-25T23:00"),  # Oct 26 starts at 23:00 UTC (CET)
        ("2026-10-26T23:00", "2026-10-31T00:00"),
    ] == got


def test_range_ending_24_00_runs_to_local_midnight() -> None:
    cal = Calendar("late", "Asia/Kolkata", (OpenHours(0, 22 * H, 24 * H),))
    assert [("2026-01-05T16:30", "2026-01-05T18:30")] == intervals(
        cal, "2026-01-05T00:00+00:00", "2026-01-07T00:00+00:00"
    )


def test_dst_conversions_madrid() -> None:
    """Repeated hour (Oct 25): start late, end early; skipped hour (Mar 29): shortened."""
    night = (OpenHours(6, 1 * H, int(2.5 * H)), OpenHours(6, int(2.75 * H), 4 * H))
    cal = Calendar("night", "Europe/Madrid", night)
    assert [
        ("2026-10-24T23:00", "2026-10-25T00:30"),  # 01:00 CEST → first 02:30 (CEST)
        ("2026-10-25T01:45", "2026-10-25T03:00"),  # second 02:45 (CET) → 04:00 CET
    ] == intervals(cal, "2026-10-24T00:00+00:00", "2026-10-26T00:00+00:00")
    # 01:00–02:30 ends in the gap (at the jump, 01:00 UTC) and 02:45–04:00 starts in it
    # (also at the jump): the two touch and merge into 01:00 CET → 04:00 CEST.
    assert [("2026-03-29T00:00", "2026-03-29T02:00")] == intervals(
        cal, "2026-03-28T00:00+00:00", "2026-03-30T00:00+00:00"
    )


def test_window_wholly_in_repeated_hour_counts_once() -> None:
    cal = Calendar("w", "Europe/Madrid", (OpenHours(6, 2 * H, 3 * H),))
    assert [("2026-10-25T01:00", "2026-10-25T02:00")] == intervals(
        cal, "2026-10-24T00:00+00:00", "2026-10-26T00:00+00:00"
    )
    inner = Calendar("w", "Europe/Madrid", (OpenHours(6, int(2.25 * H), int(2.5 * H)),))
    assert [("2026-10-25T01:15", "2026-10-25T01:30")] == intervals(
        inner, "2026-10-24T00:00+00:00", "2026-10-26T00:00+00:00"
    )


def test_empty_span_and_closed_calendar() -> None:
    cal = Calendar("b", "UTC", (OpenHours(0, 9 * H, 10 * H),), (dt.date(2026, 1, 5),))
    assert [] == intervals(cal, "2026-01-05T00:00+00:00", "2026-01-06T00:00+00:00")
    assert [] == intervals(cal, "2026-01-12T12:00+00:00", "2026-01-12T12:00+00:00")
