"""Reporting periods: labels, DST-correct bounds, bucketing and splitting vs plain loops."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slagraph.calendars import PERIOD_KINDS, PeriodGrid, parent_index, parse_label
from slagraph.errors import SlaError, SlaUsageError

NS = 1_000_000_000
H = 3600 * NS
DAY = 24 * H


def ns(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp()) * NS


def utc(t: int) -> str:
    return dt.datetime.fromtimestamp(t // NS, dt.UTC).strftime("%Y-%m-%dT%H:%M")


def local_label(kind: str, zone: str, t: int) -> str:
    """The label of the period holding instant `t`, computed the slow, obvious way."""
    day = dt.datetime.fromtimestamp(t // NS, zoneinfo.ZoneInfo(zone)).date()
    if kind == "daily":
        return day.isoformat()
    if kind == "weekly":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if kind == "monthly":
        return f"{day.year}-{day.month:02d}"
    if kind == "quarterly":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return str(day.year)


# --------------------------------------------------------------------------- labels


@pytest.mark.parametrize(
    ("kind", "labels"),
    [
        ("daily", ["2026-12-31", "2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04"]),
        ("weekly", ["2026-W53", "2027-W01"]),  # 2026 has 53 ISO weeks; Jan 1 2027 is in W53
        ("monthly", ["2026-12", "2027-01"]),
        ("quarterly", ["2026-Q4", "2027-Q1"]),
        ("yearly", ["2026", "2027"]),
    ],
)
def test_labels_across_a_year_end(kind: str, labels: list[str]) -> None:
    grid = PeriodGrid.build(kind, "UTC", ns("2026-12-31T12:00Z"), ns("2027-01-04T12:00Z"))
    assert labels == list(grid.labels)


def test_iso_week_one_starts_in_the_previous_calendar_year() -> None:
    """2024-12-30 (Monday) is the first day of 2025-W01."""
    grid = PeriodGrid.build("weekly", "UTC", ns("2024-12-25T00:00Z"), ns("2025-01-01T00:00Z"))
    assert ("2024-W52", "2025-W01") == grid.labels
    assert "2024-12-30T00:00" == utc(int(grid.bounds[1]))
    assert (dt.date(2024, 12, 30), dt.date(2025, 1, 6)) == parse_label("weekly", "2025-W01")
    assert (dt.date(2026, 12, 28), dt.date(2027, 1, 4)) == parse_label("weekly", "2026-W53")


@pytest.mark.parametrize(
    ("kind", "label", "first", "end"),
    [
        ("daily", "2028-02-29", "2028-02-29", "2028-03-01"),
        ("monthly", "2028-02", "2028-02-01", "2028-03-01"),
        ("monthly", "2026-12", "2026-12-01", "2027-01-01"),
        ("quarterly", "2026-Q4", "2026-10-01", "2027-01-01"),
        ("yearly", "2026", "2026-01-01", "2027-01-01"),
    ],
)
def test_parse_label_is_half_open(kind: str, label: str, first: str, end: str) -> None:
    expected = (dt.date.fromisoformat(first), dt.date.fromisoformat(end))
    assert expected == parse_label(kind, label)


@pytest.mark.parametrize(
    ("kind", "label", "form"),
    [
        ("daily", "2026-02-30", "YYYY-MM-DD"),
        ("daily", "2026-1-5", "YYYY-MM-DD"),
        ("weekly", "2025-W53", "YYYY-Www"),  # 2025 has 52 ISO weeks
        ("weekly", "2026-05", "YYYY-Www"),
        ("monthly", "2026-13", "YYYY-MM"),
        ("quarterly", "2026-Q5", "YYYY-Qn"),
        ("yearly", "26", "YYYY"),
        ("monthly", " 2026-01", "YYYY-MM"),
    ],
)
def test_parse_label_rejects_bad_labels(kind: str, label: str, form: str) -> None:
    with pytest.raises(SlaUsageError) as info:
        parse_label(kind, label)
    assert repr(label) in str(info.value)
    assert form in str(info.value)


def test_unknown_kind_and_zone() -> None:
    with pytest.raises(SlaError, match="'period' must be one of daily, weekly"):
        parse_label("hourly", "2026")
    with pytest.raises(SlaError, match="'period' must be one of"):
        PeriodGrid.build("fortnightly", "UTC", 0, DAY)
    with pytest.raises(SlaError, match="Europe/Atlantis"):
        PeriodGrid.build("daily", "Europe/Atlantis", 0, DAY)


def test_position() -> None:
    grid = PeriodGrid.build("monthly", "UTC", ns("2026-01-15T00:00Z"), ns("2026-03-15T00:00Z"))
    assert 2 == grid.position("2026-03")
    with pytest.raises(SlaUsageError, match=r"'2026-3' is not a monthly period; expected YYYY-MM"):
        grid.position("2026-3")
    with pytest.raises(SlaUsageError, match=r"'2026-04' is outside .* \(2026-01 to 2026-03\)"):
        grid.position("2026-04")


# --------------------------------------------------------------------------- bounds


def test_santiago_day_with_skipped_midnight_starts_at_one() -> None:
    """2026-09-06: Santiago's clocks jump 00:00 → 01:00, so the day starts at 01:00 local."""
    grid = PeriodGrid.build(
        "daily", "America/Santiago", ns("2026-09-05T12:00-04:00"), ns("2026-09-07T12:00-03:00")
    )
    assert ("2026-09-05", "2026-09-06", "2026-09-07") == grid.labels
    assert ["2026-09-05T04:00", "2026-09-06T04:00", "2026-09-07T03:00", "2026-09-08T03:00"] == [
        utc(int(b)) for b in grid.bounds
    ]
    assert [24 * H, 23 * H, 24 * H] == grid.length().tolist()


def test_dst_day_lengths() -> None:
    santiago = PeriodGrid.build(
        "daily", "America/Santiago", ns("2026-04-04T12:00-03:00"), ns("2026-04-05T12:00-04:00")
    )
    assert ("2026-04-04", "2026-04-05") == santiago.labels
    assert [25 * H, 24 * H] == santiago.length().tolist()
    madrid = PeriodGrid.build(
        "daily", "Europe/Madrid", ns("2026-03-29T12:00+02:00"), ns("2026-10-25T12:00+01:00")
    )
    lengths = dict(zip(madrid.labels, madrid.length().tolist(), strict=True))
    assert 23 * H == lengths["2026-03-29"]
    assert 25 * H == lengths["2026-10-25"]
    assert {24 * H} == {v for k, v in lengths.items() if k not in ("2026-03-29", "2026-10-25")}


def test_month_end_in_a_utc_minus_3_zone() -> None:
    """In São Paulo (UTC−3), 01:30 UTC on Feb 1 is still January."""
    grid = PeriodGrid.build(
        "monthly", "America/Sao_Paulo", ns("2026-01-01T00:00-03:00"), ns("2026-03-01T00:00-03:00")
    )
    assert ("2026-01", "2026-02") == grid.labels
    t = np.array([ns("2026-02-01T01:30Z"), ns("2026-02-01T02:59:59Z"), ns("2026-02-01T03:00Z")])
    assert [0, 0, 1] == grid.index(t).tolist()
    assert "2026-02-01T03:00" == utc(int(grid.bounds[1]))


def test_feb_29_2028() -> None:
    grid = PeriodGrid.build("daily", "UTC", ns("2028-02-28T00:00Z"), ns("2028-03-01T00:00Z"))
    assert ("2028-02-28", "2028-02-29") == grid.labels
    months = PeriodGrid.build("monthly", "UTC", ns("2028-02-10T00:00Z"), ns("2028-02-11T00:00Z"))
    assert [29 * DAY] == months.length().tolist()


def test_grid_covers_exactly_the_periods_intersecting_the_span() -> None:
    lo, hi = ns("2026-01-31T23:00Z"), ns("2026-03-01T00:00Z")
    grid = PeriodGrid.build("monthly", "UTC", lo, hi)
    assert ("2026-01", "2026-02") == grid.labels  # March starts exactly at hi: excluded
    empty = PeriodGrid.build("monthly", "UTC", lo, lo)
    assert () == empty.labels and 1 == len(empty.bounds)
    assert [-1] == empty.index(np.array([lo])).tolist()


# --------------------------------------------------------------------------- index, split


def loop_split(grid: PeriodGrid, starts: list[int], ends: list[int]) -> list[tuple]:
    """Pieces by a plain double loop: every (record, period) with a non-empty overlap."""
    pieces = []
    for r, (s, e) in enumerate(zip(starts, ends, strict=True)):
        for p in range(len(grid.labels)):
            a, b = max(s, int(grid.bounds[p])), min(e, int(grid.bounds[p + 1]))
            if a < b:
                pieces.append((r, p, a, b))
    return pieces


ZONES = ["UTC", "America/Santiago", "Europe/Madrid", "Asia/Kolkata", "America/Sao_Paulo"]
SPAN = (ns("2025-11-01T00:00Z"), ns("2028-03-01T00:00Z"))


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(PERIOD_KINDS),
    st.sampled_from(ZONES),
    st.integers(*SPAN),
    st.lists(st.integers(0, 120 * DAY // NS), min_size=1, max_size=30),
    st.lists(st.integers(-5 * DAY // NS, 200 * DAY // NS), min_size=30, max_size=30),
)
def test_index_and_split_match_loops(
    kind: str, zone: str, lo: int, offsets: list[int], lengths: list[int]
) -> None:
    """index = the label of t's local date; split = a double loop over periods."""
    hi = lo + 90 * DAY
    grid = PeriodGrid.build(kind, zone, lo, hi)
    t = np.array([lo - 10 * DAY + o * NS for o in offsets], np.int64)
    index = grid.index(t)
    for ti, i in zip(t.tolist(), index.tolist(), strict=True):
        inside = int(grid.bounds[0]) <= ti < int(grid.bounds[-1])
        assert (local_label(kind, zone, ti) if inside else None) == (
            grid.labels[i] if i >= 0 else None
        )
    assert local_label(kind, zone, lo) == grid.labels[0]
    assert local_label(kind, zone, hi - 1) == grid.labels[-1]
    starts = t.tolist()
    ends = [s + d * NS for s, d in zip(starts, lengths, strict=False)]
    record, period, ps, pe = grid.split(np.array(starts), np.array(ends))
    got = list(zip(record.tolist(), period.tolist(), ps.tolist(), pe.tolist(), strict=True))
    assert loop_split(grid, starts, ends) == got


def test_split_outage_across_month_end_and_three_months() -> None:
    grid = PeriodGrid.build(
        "monthly", "America/Santiago", ns("2026-01-01T00:00-03:00"), ns("2026-06-01T00:00-04:00")
    )
    starts = np.array([ns("2026-01-31T23:00-03:00"), ns("2026-02-20T00:00-03:00")])
    ends = np.array([ns("2026-02-01T01:00-03:00"), ns("2026-04-10T00:00-04:00")])
    record, period, ps, pe = grid.split(starts, ends)
    assert [0, 0, 1, 1, 1] == record.tolist()
    assert ["2026-01", "2026-02", "2026-02", "2026-03", "2026-04"] == [
        grid.labels[p] for p in period
    ]
    assert [H, H] == (pe - ps)[:2].tolist()
    assert (ends - starts).tolist() == np.bincount(record, weights=pe - ps).astype(int).tolist()


def test_split_drops_empty_and_outside_intervals() -> None:
    grid = PeriodGrid.build("daily", "UTC", ns("2026-01-01T00:00Z"), ns("2026-01-03T00:00Z"))
    starts = np.array([ns("2025-12-30T00:00Z"), ns("2026-01-01T05:00Z"), ns("2025-12-31T22:00Z")])
    ends = np.array([ns("2025-12-31T00:00Z"), ns("2026-01-01T05:00Z"), ns("2026-01-05T00:00Z")])
    record, period, ps, pe = grid.split(starts, ends)
    assert [2, 2] == record.tolist()
    assert [0, 1] == period.tolist()
    assert [ns("2026-01-01T00:00Z"), ns("2026-01-02T00:00Z")] == ps.tolist()
    assert [ns("2026-01-02T00:00Z"), ns("2026-01-03T00:00Z")] == pe.tolist()


# --------------------------------------------------------------------------- parent_index


def test_parent_index() -> None:
    lo, hi = ns("2026-01-01T00:00-03:00"), ns("2026-07-01T00:00-04:00")
    zone = "America/Santiago"
    days = PeriodGrid.build("daily", zone, lo, hi)
    weeks = PeriodGrid.build("weekly", zone, lo, hi)
    months = PeriodGrid.build("monthly", zone, lo, hi)
    quarters = PeriodGrid.build("quarterly", zone, lo, hi)
    years = PeriodGrid.build("yearly", zone, lo, hi)

    by_day = parent_index(days, months)
    assert [months.labels[j] for j in by_day] == [label[:7] for label in days.labels]
    by_month = parent_index(months, quarters)
    assert ["2026-Q1"] * 3 + ["2026-Q2"] * 3 == [quarters.labels[j] for j in by_month]
    assert [0] * 6 == parent_index(months, years).tolist()
    by_week = dict(zip(weeks.labels, parent_index(weeks, months).tolist(), strict=True))
    assert -1 == by_week["2026-W05"]  # Mon Jan 26 – Sun Feb 1: straddles two months
    assert 1 == by_week["2026-W06"]  # Feb 2 – Feb 8
    assert -1 == by_week["2026-W01"]  # starts Dec 29 2025, before the month grid
    assert [-1] * 6 == parent_index(months, PeriodGrid.build("yearly", zone, lo, lo)).tolist()
