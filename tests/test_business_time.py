"""Business time: named cases, then the breakpoint lookup against two independent oracles.

Oracles: `tests/reference.py`'s brute-force walk (UTC steps, each instant converted to local
time with zoneinfo) for every calendar, and `businesstimedelta` for the calendars it can
express. Exact agreement, to the second.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

import businesstimedelta as btd
import numpy as np
import pytest
import pytz
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slagraph.calendars import BusinessClock, Calendar, OpenHours
from slagraph.errors import SlaError
from tests.reference import BruteForceCalendar

NS = 1_000_000_000
H = 3600
MON_FRI = range(5)


def ns(text: str) -> int:
    """An ISO timestamp with offset as UTC ns."""
    return int(dt.datetime.fromisoformat(text).timestamp()) * NS


def weekly(days: range | list[int], *ranges: tuple[int, int]) -> tuple[OpenHours, ...]:
    """The same ranges (hours from midnight, may be fractional) on each of `days`."""
    return tuple(OpenHours(d, int(s * H), int(e * H)) for d in days for s, e in ranges)


def business_hours(cal: Calendar, start: str, end: str) -> float:
    """Business duration of [start, end) in hours, via a clock built around the pair."""
    lo, hi = ns(start), ns(end)
    clock = BusinessClock.build(cal, lo - 86400 * NS, hi + 86400 * NS)
    return int(clock.duration(np.array([lo]), np.array([hi]))[0]) / (H * NS)


# --------------------------------------------------------------------------- named cases


def test_references_lunch_break_week() -> None:
    """REFERENCES.md: Mon–Fri 09–18 UTC with lunch 12–13, Mon 09:00 → next Mon 09:00 = 40 h."""
    cal = Calendar("office", "UTC", weekly(MON_FRI, (9, 12), (13, 18)))
    assert 40.0 == business_hours(cal, "2016-01-18T09:00+00:00", "2016-01-25T09:00+00:00")


def test_references_saturday_plus_two_hours() -> None:
    """REFERENCES.md: Sat 2016-01-23 13:14 + 2 business hours (09–17 UTC) = Mon 11:00."""
    cal = Calendar("office", "UTC", weekly(MON_FRI, (9, 17)))
    assert 2.0 == business_hours(cal, "2016-01-23T13:14+00:00", "2016-01-25T11:00+00:00")


def test_friday_1759_to_monday_0901_is_two_minutes() -> None:
    cal = Calendar("support", "America/Santiago", weekly(MON_FRI, (9, 18)))
    hours = business_hours(cal, "2026-01-16T17:59-03:00", "2026-01-19T09:01-03:00")
    assert 2 == round(hours * 60)


def test_explicit_holiday_on_a_weekday() -> None:
    """Friday 2026-05-01 is closed: Thu 17:00 → Mon 10:00 is 1 h + 1 h."""
    cal = Calendar("b", "Europe/Madrid", weekly(MON_FRI, (9, 18)), (dt.date(2026, 5, 1),))
    assert 2.0 == business_hours(cal, "2026-04-30T17:00+02:00", "2026-05-04T10:00+02:00")
    open_friday = Calendar("b", "Europe/Madrid", weekly(MON_FRI, (9, 18)))
    assert 11.0 == business_hours(open_friday, "2026-04-30T17:00+02:00", "2026-05-04T10:00+02:00")


def test_chilean_public_holiday_via_country() -> None:
    """Fiestas Patrias, Fri 2026-09-18, comes from the `holidays` package for "CL"."""
    cal = Calendar("b", "America/Santiago", weekly(MON_FRI, (9, 18)), countries=(("CL", None),))
    assert 9.0 == business_hours(cal, "2026-09-17T09:00-03:00", "2026-09-21T09:00-03:00")
    assert 0.0 == business_hours(cal, "2026-09-18T00:00-03:00", "2026-09-19T00:00-03:00")


def test_holiday_closes_whole_local_day_in_far_zone() -> None:
    """A holiday is a local date: in Kolkata it starts at 18:30 UTC the day before."""
    cal = Calendar("b", "Asia/Kolkata", (), (dt.date(2026, 3, 10),))
    assert 24.0 - 5.5 == business_hours(cal, "2026-03-09T00:00+00:00", "2026-03-10T00:00+00:00")


@pytest.mark.parametrize(
    ("zone", "day", "length"),
    [
        ("America/Santiago", "2026-04-04", 25),  # clocks back at 24:00 → 23:00
        ("America/Santiago", "2026-04-05", 24),  # the Sunday after: an ordinary length
        ("America/Santiago", "2026-09-06", 23),  # clocks skip 00:00 → 01:00
        ("Europe/Madrid", "2026-03-29", 23),  # 02:00 → 03:00
        ("Europe/Madrid", "2026-10-25", 25),  # 03:00 → 02:00
    ],
)
def test_dst_days(zone: str, day: str, length: int) -> None:
    """A 09:00–18:00 day is 9 h on DST days; a day open around the clock is 23 h or 25 h."""
    tz = zoneinfo.ZoneInfo(zone)
    d = dt.date.fromisoformat(day)
    # Santiago's 2026-09-06 00:00 does not exist; read with the offset before the jump it
    # names the jump itself (01:00 local), which is where that day starts.
    midnight = dt.datetime.combine(d, dt.time(), tzinfo=tz)
    nxt = dt.datetime.combine(d + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    office = Calendar("b", zone, weekly(range(7), (9, 18)))
    always = Calendar("all", zone)
    assert 9.0 == business_hours(office, midnight.isoformat(), nxt.isoformat())
    assert float(length) == business_hours(always, midnight.isoformat(), nxt.isoformat())


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (2, 3, 1.0),  # wholly inside the repeated hour: counted once
        (2.25, 2.75, 0.5),  # strictly inside it: once, on the later pass
        (1, 2.5, 1.5),  # ends inside: the first pass up to 02:30
        (2.5, 4, 1.5),  # starts inside: from the second 02:30
        (1, 4, 4.0),  # spans it: real elapsed time, both passes
        (0, 24, 25.0),
    ],
)
def test_madrid_repeated_hour_rule(start: float, end: float, hours: float) -> None:
    """2026-10-25 Madrid, 03:00 CEST → 02:00 CET: start reads late, end reads early."""
    cal = Calendar("night", "Europe/Madrid", weekly([6], (start, end)))
    assert hours == business_hours(cal, "2026-10-24T00:00+02:00", "2026-10-26T12:00+01:00")


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [(2, 3, 0.0), (2.25, 2.75, 0.0), (1, 2.5, 1.0), (2.5, 4, 1.0), (1, 4, 2.0), (0, 24, 23.0)],
)
def test_madrid_skipped_hour_rule(start: float, end: float, hours: float) -> None:
    """2026-03-29 Madrid, 02:00 CET → 03:00 CEST: a range in the gap shrinks or vanishes."""
    cal = Calendar("night", "Europe/Madrid", weekly([6], (start, end)))
    assert hours == business_hours(cal, "2026-03-28T00:00+01:00", "2026-03-30T12:00+02:00")


def test_santiago_repeated_hour_before_midnight() -> None:
    """Santiago 2026-04-04: 23:00–24:00 happens twice; a sat 23:00–24:00 range counts 1 h."""
    cal = Calendar("late", "America/Santiago", weekly([5], (23, 24)))
    assert 1.0 == business_hours(cal, "2026-04-03T00:00-03:00", "2026-04-06T00:00-04:00")
    # Open Sat 22:00–24:00 and Sun 00:00–02:00 is one stretch: 5 h of real time.
    cal = Calendar("late", "America/Santiago", weekly([5], (22, 24)) + weekly([6], (0, 2)))
    assert 5.0 == business_hours(cal, "2026-04-03T00:00-03:00", "2026-04-06T00:00-04:00")


def test_santiago_skipped_midnight() -> None:
    """Santiago 2026-09-06 00:00–01:00 does not exist: a sun 00:00–02:00 range is 1 h."""
    cal = Calendar("early", "America/Santiago", weekly([6], (0, 2)))
    assert 1.0 == business_hours(cal, "2026-09-05T00:00-04:00", "2026-09-07T00:00-03:00")


def test_feb_29_2028() -> None:
    always = Calendar("all", "UTC")
    assert 48.0 == business_hours(always, "2028-02-28T00:00+00:00", "2028-03-01T00:00+00:00")
    leap_holiday = Calendar("all", "UTC", (), (dt.date(2028, 2, 29),))
    assert 24.0 == business_hours(leap_holiday, "2028-02-28T00:00+00:00", "2028-03-01T00:00+00:00")


def test_24_00_runs_to_next_midnight_and_joins_next_day() -> None:
    cal = Calendar("late", "UTC", weekly([0], (20, 24)) + weekly([1], (0, 4)))
    assert 8.0 == business_hours(cal, "2026-01-05T00:00+00:00", "2026-01-07T00:00+00:00")


def test_overlapping_ranges_count_once() -> None:
    cal = Calendar("b", "UTC", weekly([0], (9, 13), (11, 15), (15, 16)))
    assert 7.0 == business_hours(cal, "2026-01-05T00:00+00:00", "2026-01-06T00:00+00:00")


def test_nothing_open() -> None:
    closed = Calendar("never", "UTC", weekly([0], (9, 10)), (dt.date(2026, 1, 5),))
    assert 0.0 == business_hours(closed, "2026-01-05T00:00+00:00", "2026-01-10T00:00+00:00")


# --------------------------------------------------------------------------- the clock


def test_elapsed_counts_from_lo_and_widens_outside_the_span() -> None:
    """Queries outside [lo, hi) rebuild a wider lookup: exact, origin kept at lo."""
    cal = Calendar("b", "UTC", weekly(MON_FRI, (9, 17)))
    lo, hi = ns("2026-01-05T00:00+00:00"), ns("2026-01-10T00:00+00:00")
    clock = BusinessClock.build(cal, lo, hi)
    assert [0, 8 * H * NS] == clock.elapsed(np.array([lo, ns("2026-01-05T18:00+00:00")])).tolist()
    before = clock.elapsed(np.array([ns("2025-12-29T00:00+00:00")]))
    assert [-5 * 8 * H * NS] == before.tolist()
    after = clock.duration(
        np.array([ns("2026-03-02T00:00+00:00")]), np.array([ns("2026-03-09T00:00+00:00")])
    )
    assert [40 * H * NS] == after.tolist()
    assert clock.hi > ns("2026-03-09T00:00+00:00")
    assert [0] == clock.elapsed(np.array([lo])).tolist()


def test_duration_keeps_shape_and_signs() -> None:
    cal = Calendar("b", "UTC")
    clock = BusinessClock.build(cal, 0, 10 * 86400 * NS)
    start = np.array([[0, 5 * NS], [7 * NS, 0]])
    end = np.array([[H * NS, 5 * NS], [2 * NS, 0]])
    assert [[H * NS, 0], [-5 * NS, 0]] == clock.duration(start, end).tolist()
    assert (0,) == clock.elapsed(np.array([], np.int64)).shape


def test_buckets_blocks_and_bisection_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bucket table, its block-by-block evaluation and the `searchsorted` fallback
    (forced here; naturally taken when gaps are too short for the span) give the same
    answers, on enough queries to cross several blocks."""
    cal = Calendar(
        "b", "America/Santiago", weekly(MON_FRI, (9, 12), (13, 18)), countries=(("CL", None),)
    )
    lo, hi = ns("2026-01-01T00:00-03:00"), ns("2027-01-01T00:00-03:00")
    rng = np.random.default_rng(5)
    start = rng.integers(lo, hi, 100_000)
    end = start + rng.integers(-3 * 86400, 5 * 86400, len(start)) * NS
    clock = BusinessClock.build(cal, lo, hi)
    bucketed = clock.duration(start, end)
    assert clock._table.bucketed
    monkeypatch.setattr("slagraph.calendars.business._MAX_BUCKETS", 0)
    bisected = BusinessClock.build(cal, lo, hi)
    assert not bisected._table.bucketed
    assert bucketed.tolist() == bisected.duration(start, end).tolist()
    assert clock.elapsed(end).tolist() == bisected.elapsed(end).tolist()


def test_one_second_gaps_fall_back_to_bisection() -> None:
    """Gaps of one second would need ~2**30 buckets a year: the table bisects instead."""
    hours = (OpenHours(0, 9 * H, 10 * H), OpenHours(0, 10 * H + 1, 11 * H))
    cal = Calendar("b", "UTC", hours)
    lo = ns("2026-01-05T00:00+00:00")  # a Monday
    clock = BusinessClock.build(cal, lo, lo + 365 * 86400 * NS)
    assert not clock._table.bucketed
    mondays = lo + np.arange(0, 52) * 7 * 86400 * NS
    assert {2 * H - 1} == set(clock.duration(mondays, mondays + 86400 * NS) // NS)
    short = BusinessClock.build(cal, lo, lo + 86400 * NS)
    assert short._table.bucketed
    assert [(2 * H - 1) * NS] == short.duration([lo], [lo + 86400 * NS]).tolist()


def test_bad_values_raise_sla_errors() -> None:
    with pytest.raises(SlaError, match="'end' must be after 'start'"):
        OpenHours(0, 10 * H, 9 * H)
    with pytest.raises(SlaError, match="'weekday'"):
        OpenHours(7, 0, H)
    with pytest.raises(SlaError, match="Mars/Olympus"):
        Calendar("x", "Mars/Olympus")


@pytest.mark.parametrize("zone", ["America/Santiago", "Europe/Madrid", "Asia/Kolkata", "UTC"])
def test_always_open_calendar_measures_real_time(zone: str) -> None:
    """Open around the clock, business time is elapsed time — across every DST change."""
    rng = np.random.default_rng(7)
    lo, hi = ns("2026-01-01T00:00+00:00"), ns("2027-01-01T00:00+00:00")
    starts = rng.integers(lo, hi, 100_000)
    ends = starts + rng.integers(0, 60 * 86400 * NS, 100_000)
    clock = BusinessClock.build(Calendar("all", zone), lo, hi)
    assert (ends - starts).tolist() == clock.duration(starts, ends).tolist()


# --------------------------------------------------------------------------- vs brute force

ZONES = ["America/Santiago", "Europe/Madrid", "Asia/Kolkata", "UTC"]
TRANSITIONS = [  # the 2026 DST changes of Santiago and Madrid, as UTC instants
    ns("2026-04-05T03:00+00:00"),
    ns("2026-09-06T04:00+00:00"),
    ns("2026-03-29T01:00+00:00"),
    ns("2026-10-25T01:00+00:00"),
]
YEAR_2026 = (ns("2026-01-01T00:00+00:00"), ns("2027-01-01T00:00+00:00"))
JAN_1 = dt.date(2026, 1, 1)


COUNTRIES = [(), (), (), (("CL", None),), (("ES", None),), (("ES", "MD"),)]
NEAR_DAYS = 2 * 86400  # queries start up to two days before their anchor ...
AFTER_DAYS = 86400  # ... and up to one day after

# How the cases are drawn. Hypothesis picks the zone, the public holidays and a seed; the
# seed drives `random.Random` for the rest (ranges, explicit holidays, query pairs). Drawing
# all of that through Hypothesis strategies costs ~8 ms a case on our shared 2-core
# machine — 80 s for 10,000 cases before any checking — and its small-value bias left
# most spans at 0 s. Uniform draws with deliberate edge weights (ranges at 00:00/24:00,
# holidays on the DST days, endpoints on quarter hours, empty spans) cover more ground;
# a failure still reproduces from Hypothesis's database and prints the calendar and pairs.


def random_calendar(
    rng: random.Random, zone: str, countries: tuple, unit: int, near: int
) -> Calendar:
    """1–3 ranges on each open weekday, on a `unit`-second grid; sometimes always open."""
    steps = 86400 // unit
    hours = []
    if rng.random() > 0.08:
        for day in range(7):
            if rng.random() < 0.3:
                continue
            for _ in range(rng.randint(1, 3)):
                start = 0 if rng.random() < 0.15 else rng.randrange(steps)
                end = steps if rng.random() < 0.15 else rng.randint(start + 1, steps)
                hours.append(OpenHours(day, start * unit, end * unit))
    holidays = [JAN_1 + dt.timedelta(days=rng.randint(-12, 375)) for _ in range(rng.randint(0, 3))]
    if rng.random() < 0.3:  # a holiday on or next to the anchor's day (a DST day, often)
        anchor_day = dt.datetime.fromtimestamp(near // NS, dt.UTC).date()
        holidays.append(anchor_day + dt.timedelta(days=rng.randint(-1, 1)))
    return Calendar("random", zone, tuple(hours), tuple(holidays), countries)


def random_pairs(
    rng: random.Random, anchor: int, max_span: int, count: int
) -> list[tuple[int, int]]:
    """`count` (start, end) pairs in whole-second ns around `anchor`."""
    pairs = []
    for _ in range(count):
        start = anchor // NS + rng.randint(-NEAR_DAYS, AFTER_DAYS)
        span = 0 if rng.random() < 0.05 else rng.randint(0, max_span)
        if rng.random() < 0.2:
            start -= start % 900
        end = start + span
        if rng.random() < 0.2:
            end -= end % 900
        pairs.append((start * NS, max(start, end) * NS))
    return pairs


@st.composite
def cases(
    draw: st.DrawFn, unit: int, anchors: list[int | None], max_span: int, count: int = 2
) -> tuple[Calendar, list[tuple[int, int]]]:
    zone = draw(st.sampled_from(ZONES))
    countries = draw(st.sampled_from(COUNTRIES))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    anchor = rng.choice(anchors)
    if anchor is None:
        anchor = rng.randrange(*YEAR_2026) // NS * NS
    cal = random_calendar(rng, zone, countries, unit, anchor)
    return cal, random_pairs(rng, anchor, max_span, count)


def check_against_brute_force(
    cal: Calendar, spans: list[tuple[int, int]], step: int, wide: bool
) -> None:
    starts = np.array([s for s, _ in spans], np.int64)
    ends = np.array([e for _, e in spans], np.int64)
    if wide:
        clock = BusinessClock.build(cal, int(starts.min()) - 86400 * NS, int(ends.max()) + NS)
    else:  # a clock built over less than the queries must widen itself, exactly
        clock = BusinessClock.build(cal, int(starts[0]), int(starts[0]) + H * NS)
    got = clock.duration(starts, ends)
    oracle = BruteForceCalendar(
        cal.timezone, [(h.weekday, h.start, h.end) for h in cal.hours], cal.holidays, cal.countries
    )
    expected = [oracle.business_seconds(s // NS, e // NS, step) * NS for s, e in spans]
    readable = [(iso(s), iso(e)) for s, e in spans]
    assert expected == got.tolist(), f"{cal} {readable}"


def iso(t: int) -> str:
    return dt.datetime.fromtimestamp(t // NS, dt.UTC).isoformat()


def oracle_settings(examples: int) -> settings:
    return settings(
        max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )


@oracle_settings(3000)
@given(cases(1800, [None], 2 * 86400), st.booleans())
def test_matches_brute_force_anywhere_in_2026(
    case: tuple[Calendar, list[tuple[int, int]]], wide: bool
) -> None:
    """Half-hour calendars, spans up to two days anywhere in 2026 (30-min steps are exact)."""
    check_against_brute_force(*case, 1800, wide)


@oracle_settings(3500)
@given(cases(900, TRANSITIONS, 36 * 3600), st.booleans())
def test_matches_brute_force_around_dst_changes(
    case: tuple[Calendar, list[tuple[int, int]]], wide: bool
) -> None:
    """Quarter-hour calendars around the 2026 DST changes of Santiago and Madrid."""
    check_against_brute_force(*case, 900, wide)


@oracle_settings(2000)
@given(cases(60, TRANSITIONS + [None], 3 * 3600))
def test_matches_brute_force_to_the_minute(case: tuple[Calendar, list[tuple[int, int]]]) -> None:
    """Calendars written to the minute; the oracle then walks minute by minute."""
    check_against_brute_force(*case, 60, True)


# --------------------------------------------------------------------------- vs businesstimedelta

# btd's `next_holiday` returns None (and the caller crashes) when no holiday lies within
# five years after a query: these two always keep one close.
BTD_ANCHOR_HOLIDAYS = (dt.date(2026, 12, 25), dt.date(2027, 12, 24))


@st.composite
def btd_cases(draw: st.DrawFn) -> tuple[Calendar, list[tuple[int, int]]]:
    """Calendars businesstimedelta can express: one range, the same on every working day.

    The range keeps to 04:00–22:00 so no DST change falls inside it (btd localizes wall
    times with pytz's default and makes a holiday 24 h long, wrong on DST days).
    """
    zone = draw(st.sampled_from(ZONES))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    days = sorted(rng.sample(range(7), rng.randint(1, 7)))
    start = rng.randint(16, 87)  # quarter hours
    end = rng.randint(start + 1, 88)
    hours = tuple(OpenHours(d, start * 900, end * 900) for d in days)
    holidays = [JAN_1 + dt.timedelta(days=rng.randint(0, 364)) for _ in range(rng.randint(0, 3))]
    cal = Calendar("btd", zone, hours, tuple(holidays) + BTD_ANCHOR_HOLIDAYS)
    anchor = rng.choice(TRANSITIONS + [rng.randrange(*YEAR_2026) // NS * NS])
    return cal, random_pairs(rng, anchor, 4 * 86400, 2)


def btd_seconds(cal: Calendar, start: int, end: int) -> int:
    """Business seconds by businesstimedelta, the way its README composes rules."""
    tz = pytz.timezone(cal.timezone)
    first = cal.hours[0]
    rules = btd.Rules(
        [
            btd.WorkDayRule(
                start_time=dt.time(first.start // H, first.start % H // 60),
                end_time=dt.time(first.end // H, first.end % H // 60),
                working_days=sorted({h.weekday for h in cal.hours}),
                tz=tz,
            ),
            btd.HolidayRule(list(cal.holidays), tz=tz),  # tz, or holidays are UTC days
        ]
    )
    delta = rules.difference(
        dt.datetime.fromtimestamp(start // NS, dt.UTC), dt.datetime.fromtimestamp(end // NS, dt.UTC)
    )
    return int(delta.timedelta.total_seconds())


@oracle_settings(1500)
@given(btd_cases())
def test_matches_businesstimedelta(case: tuple[Calendar, list[tuple[int, int]]]) -> None:
    cal, spans = case
    starts = np.array([s for s, _ in spans], np.int64)
    ends = np.array([e for _, e in spans], np.int64)
    clock = BusinessClock.build(cal, int(starts.min()), int(ends.max()) + NS)
    expected = [btd_seconds(cal, s, e) * NS for s, e in spans]
    assert expected == clock.duration(starts, ends).tolist(), f"{cal} {spans}"


def test_matches_pandas_custom_business_hour() -> None:
    """The benchmark's pandas peer (`CustomBusinessHour` idiom, Santiago 09–18 Mon–Fri,
    Chilean holidays) agrees with the clock exactly at its resolution, the microsecond (the
    offsets compute in Python datetimes): random pairs over 2026, and pairs starting or
    ending in both of Santiago's DST changes (Sat Apr 4 repeats 23:00–24:00; Sun Sep 6
    skips 00:00–01:00) and around Fiestas Patrias."""
    from benchmarks.bench_business_time import CAL as SANTIAGO
    from benchmarks.bench_business_time import cbh_durations

    rng = np.random.default_rng(18)
    lo, hi = YEAR_2026
    starts = [rng.integers(lo, hi, 300)]
    for anchor in (
        "2026-04-04T23:30-03:00",
        "2026-04-04T23:30-04:00",
        "2026-09-06T01:00-03:00",
        "2026-09-17T17:59-03:00",
    ):
        starts.append(ns(anchor) + rng.integers(-36 * H, 36 * H, 25) * NS)
    start = np.concatenate(starts) // 1000 * 1000
    end = start + rng.integers(0, 6 * 86400 * NS, len(start)) // 1000 * 1000
    clock = BusinessClock.build(SANTIAGO, int(start.min()), int(end.max()) + 1)
    assert clock.duration(start, end).tolist() == cbh_durations(start, end).tolist()


# --------------------------------------------------------------------------- inverse


def test_reached_is_the_earliest_instant_a_business_limit_runs_out() -> None:
    """`reached(start, L)`: 4 business hours from Friday 16:00 in Santiago end on Monday
    11:00 (2 h on Friday, 2 h on Monday from 09:00); a start in closed time counts from
    the next opening; a zero limit is the start itself."""
    cal = Calendar("support", "America/Santiago", weekly(MON_FRI, (9, 18)))
    start = np.array(
        [
            ns("2026-03-06T16:00:00-03:00"),
            ns("2026-03-07T10:00:00-03:00"),
            ns("2026-03-06T16:00:00-03:00"),
        ]
    )
    clock = BusinessClock.build(cal, start.min() - 86400 * NS, start.max() + 86400 * NS)
    limit = np.array([4 * H * NS, 1 * H * NS, 0])
    got = clock.reached(start, limit)
    assert got.tolist() == [
        ns("2026-03-09T11:00:00-03:00"),
        ns("2026-03-09T10:00:00-03:00"),
        ns("2026-03-06T16:00:00-03:00"),
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.integers(0, 400 * 86400),
    limit=st.integers(0, 90 * 86400),
)
def test_reached_inverts_duration(start: int, limit: int) -> None:
    """duration(start, reached(start, L)) == L, and one second earlier it is less."""
    cal = Calendar("office", "Europe/Madrid", weekly(MON_FRI, (9, 14), (15, 18)))
    base = ns("2026-01-01T00:00:00+00:00")
    s = np.array([base + start * NS])
    clock = BusinessClock.build(cal, base - 86400 * NS, base + 86400 * NS)  # widens itself
    t = clock.reached(s, np.array([limit * NS]))
    assert int(clock.duration(s, t)[0]) == limit * NS
    if limit:
        assert int(clock.duration(s, t - NS)[0]) < limit * NS
