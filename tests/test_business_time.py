"""Business time: named cases, then the breakpoint lookup against two independent oracles.

Oracles: `tests/reference.py`'s brute-force walk (UTC steps, each instant converted to local
time with zoneinfo) for every calendar, and `businesstimedelta` for the calendars it can
express. Exact agreement, to the second.
"""

from __future__ import annotations

import datetime as dt
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


def test_bad_values_raise_sla_errors() -> None:
    with pytest.raises(SlaError, match="'end' must be after 'start'"):
        OpenHours(0, 10 * H, 9 * H)
    with pytest.raises(SlaError, match="'weekday'"):
        OpenHours(7, 0, H)
    with pytest.raises(SlaError, match="Mars/Olympus"):
        Calendar("x", "Mars/Olympus")


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


@st.composite
def calendars(draw: st.DrawFn, unit: int) -> Calendar:
    """Random calendars on a `unit`-second grid.

    Up to 10 ranges on random weekdays (so 0–3 per open day, overlapping or touching at
    times; none at all is the always-open calendar), 0–4 explicit holidays around 2026,
    sometimes Chilean or Spanish public holidays. Few, flat draws: drawing is most of the
    cost of a case, and this file must stay well under a minute.
    """
    steps = 86400 // unit
    raw = draw(
        st.lists(
            st.tuples(st.integers(0, 6), st.integers(0, steps - 1), st.integers(0, steps - 1)),
            max_size=10,
        )
    )
    hours = tuple(OpenHours(d, a * unit, (a + 1 + b % (steps - a)) * unit) for d, a, b in raw)
    holidays = draw(st.lists(st.integers(-12, 375), max_size=4))
    return Calendar(
        "random",
        draw(st.sampled_from(ZONES)),
        hours,
        tuple(JAN_1 + dt.timedelta(days=k) for k in holidays),
        draw(st.sampled_from(COUNTRIES)),
    )


@st.composite
def queries(
    draw: st.DrawFn, anchors: list[int | None], max_span: int, count: int = 2
) -> list[tuple[int, int]]:
    """1..count (start, end) pairs in ns, whole seconds, around one anchor instant.

    The anchor is a DST change or (None) any second of 2026; starts fall from two days
    before it to one day after.
    """
    anchor = draw(st.sampled_from(anchors))
    if anchor is None:
        anchor = draw(st.integers(*YEAR_2026)) // NS * NS
    offsets = draw(
        st.lists(
            st.tuples(st.integers(-2 * 86400, 86400), st.integers(0, max_span)),
            min_size=1,
            max_size=count,
        )
    )
    return [(anchor + a * NS, anchor + (a + span) * NS) for a, span in offsets]


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
    assert expected == got.tolist()


def oracle_settings(examples: int) -> settings:
    return settings(
        max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )


@oracle_settings(3000)
@given(calendars(1800), queries([None], 2 * 86400), st.booleans())
def test_matches_brute_force_anywhere_in_2026(
    cal: Calendar, spans: list[tuple[int, int]], wide: bool
) -> None:
    """Half-hour calendars, spans up to two days, anywhere in 2026 (step 30 min is exact)."""
    check_against_brute_force(cal, spans, 1800, wide)


@oracle_settings(4000)
@given(calendars(900), queries(TRANSITIONS, 36 * H), st.booleans())
def test_matches_brute_force_around_dst_changes(
    cal: Calendar, spans: list[tuple[int, int]], wide: bool
) -> None:
    """Quarter-hour calendars around the 2026 DST changes of Santiago and Madrid."""
    check_against_brute_force(cal, spans, 900, wide)


@oracle_settings(1500)
@given(calendars(60), queries(TRANSITIONS + [None], 3 * H))
def test_matches_brute_force_to_the_minute(cal: Calendar, spans: list[tuple[int, int]]) -> None:
    """Calendars written to the minute; the oracle then walks minute by minute."""
    check_against_brute_force(cal, spans, 60, True)


# --------------------------------------------------------------------------- vs businesstimedelta

# btd's `next_holiday` returns None (and the caller crashes) when no holiday lies within
# five years after a query: these two always keep one close.
BTD_ANCHOR_HOLIDAYS = [dt.date(2026, 12, 25), dt.date(2027, 12, 24)]


@st.composite
def btd_calendars(draw: st.DrawFn) -> Calendar:
    """Calendars businesstimedelta can express: one range, the same on every working day.

    The range keeps to 04:00–22:00 so no DST change falls inside it (btd localizes wall
    times with pytz's default and makes a holiday 24 h long, wrong on DST days).
    """
    days = sorted(draw(st.sets(st.integers(0, 6), min_size=1)))
    start = draw(st.integers(16, 87))  # quarter hours
    end = draw(st.integers(start + 1, 88))
    hours = tuple(OpenHours(d, start * 900, end * 900) for d in days)
    holidays = draw(st.lists(st.integers(0, 364), max_size=3))
    dates = tuple(JAN_1 + dt.timedelta(days=k) for k in holidays) + tuple(BTD_ANCHOR_HOLIDAYS)
    return Calendar("btd", draw(st.sampled_from(ZONES)), hours, dates)


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
@given(btd_calendars(), queries(TRANSITIONS + [None], 4 * 86400))
def test_matches_businesstimedelta(cal: Calendar, spans: list[tuple[int, int]]) -> None:
    starts = np.array([s for s, _ in spans], np.int64)
    ends = np.array([e for _, e in spans], np.int64)
    clock = BusinessClock.build(cal, int(starts.min()), int(ends.max()) + NS)
    expected = [btd_seconds(cal, s, e) * NS for s, e in spans]
    assert expected == clock.duration(starts, ends).tolist()
