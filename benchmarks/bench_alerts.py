"""Burn-rate alerts (SPEC §6.5) at 10^7 requests: `Model.alerts` against the pandas a user
would write (benchmarks/alerts_pandas.py).

    python -m benchmarks.bench_alerts             # 10^7 requests, 1,000 accounts, ~3 min
    python -m benchmarks.bench_alerts --small     # 10^5 requests, 100 accounts, seconds

Data (seeded, vectorised): requests spread uniformly over the 30 days before as-of
(2026-03-31T00:00Z), a base failure rate of 0.02% and six incidents per account (10 min to
1 day, 0.5% to 50% failed), so that pages and tickets both fire. Model: `window rolling
30d`, `share(requests, ok) >= 99.9% min 100`, `alert burn_rates sre` (the four pairs).
Replayed over the last 7 days before as-of at 1-minute steps (SPEC's default): 10,080
steps × accounts per window.

1. **Check first** at `--check-requests` (default 10^5, 100 accounts): the intervals of
   both are equal, row for row; the run stops if they are not.
2. **Timing**: one untimed run of slagraph (pandas ran in the check), then `--rounds`
   (default 3, to keep the run near 3 minutes: pandas takes ~45 s a round at 10^7)
   alternating rounds (slagraph, pandas), median of each and of the per-round ratios.
   slagraph is given the Arrow table (its reading is timed), pandas a DataFrame
   (`to_pandas`, untimed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

import slagraph
from benchmarks import alerts_pandas

NS = 1_000_000_000
MINUTE = 60 * NS
DAY = 86400 * NS
AS_OF = dt.datetime(2026, 3, 31, tzinfo=dt.UTC)
SPAN = 30 * DAY
REPLAY = 7 * DAY
MODEL = """\
stream requests { account: text, at: time, ok: bool }

sla api_slo "API availability SLO" {
    window rolling 30d
    objective good = share(requests, ok) >= 99.9% min 100
    alert burn_rates sre
}
"""
LENGTHS = np.array([10, 30, 120, 480, 1440]) * MINUTE
RATES = np.array([0.5, 0.1, 0.02, 0.005])


def generate(requests: int, accounts: int, seed: int = 18) -> pa.Table:
    """`requests` rows (account, at, ok) over (as-of − 30d, as-of], ordered by time."""
    rng = np.random.default_rng(seed)
    end = int(AS_OF.timestamp()) * NS
    t = np.sort(end - SPAN + rng.integers(1, SPAN + 1, requests, dtype=np.int64))
    acc = rng.integers(0, accounts, requests)
    per = 6  # incidents per account, each (start, length, failure rate)
    i_acc = np.repeat(np.arange(accounts), per)
    i_start = end - SPAN + rng.integers(0, SPAN, accounts * per, dtype=np.int64)
    order = np.lexsort((i_start, i_acc))
    i_acc, i_start = i_acc[order], i_start[order]
    i_end = i_start + rng.choice(LENGTHS, accounts * per)
    i_rate = rng.choice(RATES, accounts * per)
    # the latest incident of the account starting at or before each request
    key = i_acc.astype(np.int64) * (2 * SPAN) + (i_start - (end - SPAN))
    j = np.searchsorted(key, acc * (2 * SPAN) + (t - (end - SPAN)), side="right") - 1
    inside = (j >= 0) & (i_acc[np.maximum(j, 0)] == acc) & (t < i_end[np.maximum(j, 0)])
    rate = np.where(inside, i_rate[np.maximum(j, 0)], 0.0002)
    ok = rng.random(requests) >= rate
    names = np.array([f"acct{a:05d}" for a in range(accounts)], dtype=object)
    return pa.table(
        {
            "account": pa.array(names[acc], pa.string()),
            "at": pa.array(t, pa.timestamp("ns", tz="UTC")),
            "ok": pa.array(ok),
        }
    )


def run_slagraph(model: slagraph.Model, table: pa.Table) -> pd.DataFrame:
    result = model.alerts({"requests": table}, as_of=AS_OF)
    return result.to_pandas()[["account", "alert", "start", "end"]]


def run_pandas(df: pd.DataFrame) -> pd.DataFrame:
    to = pd.Timestamp(AS_OF)
    return alerts_pandas.alerts(df, to - pd.Timedelta(REPLAY, "ns"), to)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """pandas' intervals as slagraph writes them (ISO instants in UTC)."""
    out = frame.copy()
    for c in ("start", "end"):
        out[c] = out[c].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return out.sort_values(["alert", "account", "start"], kind="stable").reset_index(drop=True)


def check(requests: int, accounts: int) -> int:
    """Both give the same intervals; returns how many."""
    model = slagraph.compile(MODEL, "bench_alerts.sla")
    table = generate(requests, accounts)
    ours = run_slagraph(model, table).reset_index(drop=True)
    theirs = as_text(run_pandas(table.to_pandas()))
    if not ours.equals(theirs):
        merged = ours.merge(theirs, how="outer", indicator=True)
        diff = merged[merged["_merge"] != "both"]
        raise SystemExit(f"slagraph and pandas differ ({len(diff)} rows):\n{diff.head(20)}")
    assert set(ours["alert"]) == {"good_page", "good_ticket"}, "the data fires both alerts"
    return len(ours)


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def timed(fn: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--requests", type=float, default=1e7)
    p.add_argument("--accounts", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--check-requests", type=float, default=1e5)
    p.add_argument("--small", action="store_true", help="10^5 requests, 100 accounts")
    args = p.parse_args(argv)
    if args.small:
        args.requests, args.accounts = 1e5, 100
    requests = int(args.requests)

    start = time.perf_counter()
    n = check(int(args.check_requests), 100)
    print(f"check: {int(args.check_requests):,} requests, 100 accounts: {n} equal intervals")

    model = slagraph.compile(MODEL, "bench_alerts.sla")
    table = generate(requests, args.accounts)
    df = table.to_pandas()
    print(f"{requests:,} requests, {args.accounts:,} accounts, 10,080 steps; load {load()}")
    ours = run_slagraph(model, table)  # untimed warm-up (pandas warmed up in the check)
    print(f"{len(ours):,} intervals")
    times: dict[str, list[float]] = {"slagraph": [], "pandas": []}
    for r in range(args.rounds):
        times["slagraph"].append(timed(lambda: run_slagraph(model, table)))
        times["pandas"].append(timed(lambda: run_pandas(df)))
        s, q = times["slagraph"][-1], times["pandas"][-1]
        print(f"round {r + 1}: slagraph {s:.2f} s, pandas {q:.2f} s, {q / s:.1f}× (load {load()})")
    med = {k: statistics.median(v) for k, v in times.items()}
    ratios = [q / s for s, q in zip(times["slagraph"], times["pandas"], strict=True)]
    print(
        f"median: slagraph {med['slagraph']:.2f} s, pandas {med['pandas']:.2f} s; "
        f"ratio of medians {med['pandas'] / med['slagraph']:.1f}×, "
        f"median of ratios {statistics.median(ratios):.1f}×"
    )
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
