"""Business durations: slagraph's lookup vs businesstimedelta vs pandas CustomBusinessHour.

The two peers the issue names, plus a vectorised pandas/numpy formula as an extra. One run
compares them all on the same calendar and pairs:

    python -m pytest benchmarks/bench_business_time.py --benchmark-only \\
        --benchmark-columns=min,median,rounds -s

Calendar: America/Santiago, Mon–Fri 09:00–18:00, Chilean public holidays (the calendar
all of them can express). Pairs: 1,000,000 starts uniform over 2026, durations exponential
with a mean of two days. businesstimedelta (~2 k pairs/s) and CustomBusinessHour (~1 k
pairs/s) loop in Python per pair, so they run on the first 2,000 pairs and are
extrapolated to 1M. Every peer's answers are checked against slagraph's on that sample
first (exactly: the pairs are whole seconds), so the table compares equal work. `-s`
prints the summary table (pairs/s, time for 1M, ratio to slagraph) that
docs/performance.md records.
"""

from __future__ import annotations

import datetime as dt
import os
import time

import businesstimedelta as btd
import holidays
import numpy as np
import pandas as pd
import pytest
import pytz

from slagraph.calendars import BusinessClock, Calendar, OpenHours

NS = 1_000_000_000
N = int(os.environ.get("BENCH_PAIRS", 1_000_000))
SAMPLE = int(os.environ.get("BENCH_PEER_SAMPLE", 2_000))  # pairs for the per-pair peers
ZONE = "America/Santiago"
OPEN, CLOSE = 9 * 3600, 18 * 3600
HOLIDAYS = sorted(holidays.country_holidays("CL", years=[2026, 2027]))
CAL = Calendar(
    "business",
    ZONE,
    tuple(OpenHours(d, OPEN, CLOSE) for d in range(5)),
    countries=(("CL", None),),
)
RESULTS: dict[str, tuple[int, float]] = {}  # name -> (pairs, seconds per run)


@pytest.fixture(scope="module")
def pairs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2026)
    lo = int(dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp())
    starts = (lo + rng.integers(0, 365 * 86400, N)) * NS
    ends = starts + (rng.exponential(2 * 86400, N)).astype(np.int64) * NS
    sample = starts[:SAMPLE], ends[:SAMPLE]  # equal work: every peer agrees first
    ours = slagraph_durations(*sample).tolist()
    assert ours == btd_durations(*sample).tolist()
    assert ours == cbh_durations(*sample).tolist()
    assert ours == busday_count_durations(*sample).tolist()
    return starts, ends


@pytest.fixture(scope="module", autouse=True)
def summary() -> object:
    """After the module's benchmarks, print the table for docs/performance.md (with -s)."""
    yield
    if "slagraph BusinessClock" not in RESULTS:
        return
    base = RESULTS["slagraph BusinessClock"]
    base_rate = base[0] / base[1]
    lines = [
        "| implementation | pairs/s | time for 1M pairs | slagraph is faster by |",
        "|---|---|---|---|",
    ]
    for name, (n, seconds) in RESULTS.items():
        rate = n / seconds
        lines.append(
            f"| {name} | {rate:,.0f} | {1_000_000 / rate:,.3f} s | {base_rate / rate:,.1f}× |"
        )
    print(f"\n{N:,} pairs, min of the rounds, {time.strftime('%Y-%m-%d %H:%M')}")
    print("\n".join(lines))


def slagraph_durations(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """What the engine does: build the clock over the data's span, then one lookup."""
    clock = BusinessClock.build(CAL, int(starts.min()), int(ends.max()) + 1)
    return clock.duration(starts, ends)


def btd_durations(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    tz = pytz.timezone(ZONE)
    rules = btd.Rules(
        [
            btd.WorkDayRule(dt.time(9), dt.time(18), [0, 1, 2, 3, 4], tz=tz),
            btd.HolidayRule(HOLIDAYS, tz=tz),
        ]
    )
    out = np.empty(len(starts), np.int64)
    for i, (s, e) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        a = dt.datetime.fromtimestamp(s // NS, dt.UTC)
        b = dt.datetime.fromtimestamp(e // NS, dt.UTC)
        out[i] = int(rules.difference(a, b).timedelta.total_seconds()) * NS
    return out


CBH = pd.offsets.CustomBusinessHour(start="09:00", end="18:00", holidays=HOLIDAYS)
OPEN_TD, CLOSE_TD = pd.Timedelta(seconds=OPEN), pd.Timedelta(seconds=CLOSE)


def cbh_duration(start: pd.Timestamp, end: pd.Timestamp) -> pd.Timedelta:
    """Business time in [start, end) with pandas' own business-hour offset, exact.

    `CustomBusinessHour` moves timestamps; it has no "hours between". The idiom: roll
    both ends onto business time (`rollforward` leaves open times alone and moves closed
    ones to the next opening, which skips no business time), count the whole business
    hours with `pd.date_range(freq=cbh)` (each step is one business hour, across nights,
    weekends and holidays), then add the part of the last hour up to `end`, which can
    straddle one closing. Local, tz-aware timestamps: the offsets work in wall time, in
    Python datetimes (so to the microsecond). (`pd.date_range(start, end, freq=cbh)` on
    the raw ends, the usual answer, is only hour-accurate, and raises on an end in
    Santiago's repeated hour.)
    """
    start, end = CBH.rollforward(start), CBH.rollforward(end)
    marks = pd.date_range(start, end, freq=CBH, inclusive="left")
    if len(marks) == 0:
        return pd.Timedelta(0)
    last = marks[-1]
    if last.normalize() == end.normalize():
        rest = end - last
    else:  # the last hour runs past the closing into the next business day
        rest = (last.normalize() + CLOSE_TD - last) + (end - end.normalize() - OPEN_TD)
    return pd.Timedelta(hours=len(marks) - 1) + rest


def cbh_durations(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """`cbh_duration` per pair (the offsets take one timestamp at a time)."""
    local_s = pd.DatetimeIndex(starts.astype("datetime64[ns]"), tz="UTC").tz_convert(ZONE)
    local_e = pd.DatetimeIndex(ends.astype("datetime64[ns]"), tz="UTC").tz_convert(ZONE)
    return np.array(
        [cbh_duration(s, e).value for s, e in zip(local_s, local_e, strict=True)], np.int64
    )


def busday_count_durations(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A vectorised formula for this calendar only: local wall time, `busday_count`, clip.

    B(t) = open days before t's day × 9 h + the open part of t's own day. Not a general
    business-hours method: exact only for one range per day, the same every working day,
    that no DST change crosses (true here: Santiago changes at midnight). A lunch break,
    Saturday hours or a Madrid night shift need a different formula each.
    """
    holidays_d = np.array(HOLIDAYS, dtype="datetime64[D]")
    weekmask = "1111100"

    def b_of(t: np.ndarray) -> np.ndarray:
        local = pd.DatetimeIndex(t.astype("datetime64[ns]"), tz="UTC").tz_convert(ZONE)
        wall = local.tz_localize(None).values.astype("datetime64[s]")
        day = wall.astype("datetime64[D]")
        days = np.busday_count("2000-01-01", day, weekmask=weekmask, holidays=holidays_d)
        open_today = np.is_busday(day, weekmask=weekmask, holidays=holidays_d)
        into = (wall - day).astype(np.int64)
        part = np.where(open_today, np.clip(into - OPEN, 0, CLOSE - OPEN), 0)
        return (days.astype(np.int64) * (CLOSE - OPEN) + part) * NS

    return b_of(ends) - b_of(starts)


def _record(name: str, pairs: int, benchmark: object) -> None:
    RESULTS[name] = (pairs, benchmark.stats.stats.min)  # type: ignore[attr-defined]


@pytest.mark.benchmark(group="business time")
def test_slagraph(benchmark: object, pairs: tuple[np.ndarray, np.ndarray]) -> None:
    benchmark.pedantic(slagraph_durations, args=pairs, rounds=20, warmup_rounds=1)  # type: ignore[attr-defined]
    _record("slagraph BusinessClock", N, benchmark)


@pytest.mark.benchmark(group="business time")
def test_pandas_custom_business_hour(
    benchmark: object, pairs: tuple[np.ndarray, np.ndarray]
) -> None:
    sample = (pairs[0][:SAMPLE], pairs[1][:SAMPLE])
    benchmark.pedantic(cbh_durations, args=sample, rounds=1, iterations=1)  # type: ignore[attr-defined]
    _record(f"pandas CustomBusinessHour ({SAMPLE:,} pairs, extrapolated)", SAMPLE, benchmark)


@pytest.mark.benchmark(group="business time")
def test_businesstimedelta(benchmark: object, pairs: tuple[np.ndarray, np.ndarray]) -> None:
    sample = (pairs[0][:SAMPLE], pairs[1][:SAMPLE])
    benchmark.pedantic(btd_durations, args=sample, rounds=1, iterations=1)  # type: ignore[attr-defined]
    _record(f"businesstimedelta ({SAMPLE:,} pairs, extrapolated)", SAMPLE, benchmark)


@pytest.mark.benchmark(group="business time")
def test_busday_count_formula(benchmark: object, pairs: tuple[np.ndarray, np.ndarray]) -> None:
    benchmark.pedantic(busday_count_durations, args=pairs, rounds=10, warmup_rounds=1)  # type: ignore[attr-defined]
    _record(
        "extra: tz_convert + numpy busday_count formula (not a general business-hours method)",
        N,
        benchmark,
    )
