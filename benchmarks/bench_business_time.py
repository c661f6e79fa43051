"""Business durations: slagraph's lookup vs businesstimedelta vs a pandas/numpy formula.

One run compares all three on the same calendar and pairs:

    python -m pytest benchmarks/bench_business_time.py --benchmark-only \\
        --benchmark-columns=min,median,rounds -s

Calendar: America/Santiago, Mon–Fri 09:00–18:00, Chilean public holidays (the calendar
all three can express). Pairs: 1,000,000 starts uniform over 2026, durations exponential
with a mean of two days. businesstimedelta (~1 k pairs/s) runs on the first 2,000 pairs
and is extrapolated to 1M. Every peer's answers are checked against slagraph's on a sample
first, so the table compares equal work. `-s` prints the summary table (pairs/s, time for
1M, ratio to slagraph) that docs/performance.md records.
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
BTD_SAMPLE = int(os.environ.get("BENCH_BTD_SAMPLE", 2_000))
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
    sample = starts[:BTD_SAMPLE], ends[:BTD_SAMPLE]  # equal work: every peer agrees first
    ours = slagraph_durations(*sample).tolist()
    assert ours == btd_durations(*sample).tolist()
    assert ours == pandas_durations(*sample).tolist()
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


def pandas_durations(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The formula a pandas user writes: local wall time, `busday_count`, clip the ends.

    B(t) = open days before t's day × 9 h + the open part of t's own day; exact for one
    range per day that no DST change crosses (true here: Santiago changes at midnight).
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
    benchmark.pedantic(slagraph_durations, args=pairs, rounds=5, warmup_rounds=1)  # type: ignore[attr-defined]
    _record("slagraph BusinessClock", N, benchmark)


@pytest.mark.benchmark(group="business time")
def test_pandas_busday_count(benchmark: object, pairs: tuple[np.ndarray, np.ndarray]) -> None:
    benchmark.pedantic(pandas_durations, args=pairs, rounds=5, warmup_rounds=1)  # type: ignore[attr-defined]
    _record("pandas tz_convert + numpy busday_count", N, benchmark)


@pytest.mark.benchmark(group="business time")
def test_businesstimedelta(benchmark: object, pairs: tuple[np.ndarray, np.ndarray]) -> None:
    sample = (pairs[0][:BTD_SAMPLE], pairs[1][:BTD_SAMPLE])
    benchmark.pedantic(btd_durations, args=sample, rounds=1, iterations=1)  # type: ignore[attr-defined]
    _record(f"businesstimedelta ({BTD_SAMPLE:,} pairs, extrapolated)", BTD_SAMPLE, benchmark)
