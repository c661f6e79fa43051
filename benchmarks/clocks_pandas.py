"""benchmarks/clocks.sla by hand in pandas: what a user would write without slagraph.

    python benchmarks/clocks_pandas.py DIR [--as-of 2026-12-31T00:00:00-03:00] > out.jsonl

reads DIR/changes.parquet and writes one JSON line per (account, month) with the seven
objective values of benchmarks/clocks.sla. A plain script (pandas, numpy, `holidays`; no
slagraph) so that `benchmarks/bench_clocks.py` can time it as a whole process; `cycles`
and `objectives` are what it times in memory.

The method, step by step (each a whole-column pandas/numpy operation):

1. keep the rows known at as-of; sort by (ticket, at), ties in file order;
2. the rules as masks: start `New`, stop `Resolved`/`Closed`, reset `Reopened`, pause
   sub-status `Wait - Customer`/`Awaiting User Info`;
3. the state after each row, per ticket: a start or reset puts it in a cycle, a stop out
   of it, any other row keeps the state (forward fill per ticket, out before the first
   mark). Exact here because no row both starts and stops (one status per row); a cycle
   opens at a reset, or at a start while out; the running total of openings numbers them;
4. each in-cycle row's interval runs to the ticket's next row (`shift(-1)`), or to as-of;
   its business time is B(next) − B(at) with B(t) = open days before t's local day × 9 h
   + the open part of t's own day (`tz_convert`, `numpy.busday_count` with the `holidays`
   package's Chilean holidays: the vectorised formula of benchmarks/bench_business_time.py,
   exact for one range a day that no DST change crosses, as in Santiago);
5. per cycle (groupby): started, stopped (the stop row, or the reset row that closes it),
   elapsed = running time, paused = paused time, account and priority at its last row;
6. per (account, month of `started` in Santiago): the objectives, with §3.1's open-record
   rule for `elapsed <= 4h` (an open cycle past 4 h has failed, else it is pending), means
   and the nearest-rank p90 over stopped cycles.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import holidays
import numpy as np
import pandas as pd

ZONE = "America/Santiago"
OPEN_S, CLOSE_S = 9 * 3600, 18 * 3600
NS = 1_000_000_000
OBJECTIVES = ("p1_fix", "first", "elapsed", "held", "p90", "open", "cycles")


def business_ns(t: pd.Series, holidays_d: np.ndarray) -> np.ndarray:
    """B(t): open ns from 2000-01-01 to each instant (Mon–Fri 09:00–18:00 local)."""
    local = t.dt.tz_convert(ZONE).dt.tz_localize(None).to_numpy().astype("datetime64[s]")
    day = local.astype("datetime64[D]")
    days = np.busday_count("2000-01-01", day, weekmask="1111100", holidays=holidays_d)
    open_today = np.is_busday(day, weekmask="1111100", holidays=holidays_d)
    into = (local - day).astype(np.int64)
    part = np.where(open_today, np.clip(into - OPEN_S, 0, CLOSE_S - OPEN_S), 0)
    return (days.astype(np.int64) * (CLOSE_S - OPEN_S) + part) * NS


def cycles(df: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per (ticket, cycle): ticket, cycle, started, stopped, elapsed, paused (ns),
    account, priority."""
    df = df[df["at"] <= as_of]
    df = df.assign(row=np.arange(len(df))).sort_values(["ticket", "at", "row"])
    df = df.reset_index(drop=True)
    status = df["status"]
    start = (status == "New").to_numpy()
    stop = status.isin(["Resolved", "Closed"]).to_numpy()
    reset = (status == "Reopened").to_numpy()
    pause = df["sub_status"].isin(["Wait - Customer", "Awaiting User Info"]).to_numpy()
    ticket = df["ticket"]
    first = (ticket != ticket.shift()).to_numpy()
    item = np.cumsum(first)  # a number per ticket, for the per-ticket groupbys

    mark = pd.Series(np.where(start | reset, 1.0, np.where(stop, 0.0, np.nan)))
    in_after = mark.groupby(item).ffill().fillna(0.0).to_numpy().astype(bool)
    in_before = pd.Series(in_after).groupby(item).shift(fill_value=False).to_numpy(bool)
    opens = reset | (start & ~in_before)
    ends_here = in_before & stop & ~reset
    member = in_after | ends_here
    cycle_id = np.cumsum(opens)  # global; the number within the ticket comes below

    at = df["at"]
    nxt = at.groupby(item).shift(-1).fillna(as_of)
    next_reset = pd.Series(reset).groupby(item).shift(-1, fill_value=False).to_numpy(bool)
    holidays_d = np.array(
        sorted(holidays.country_holidays("CL", years=range(2025, 2028))), dtype="datetime64[D]"
    )
    length = business_ns(nxt, holidays_d) - business_ns(at, holidays_d)
    at_utc, nxt_utc = (x.dt.tz_localize(None).to_numpy() for x in (at, nxt))  # UTC
    stopped = np.where(
        ends_here, at_utc, np.where(in_after & next_reset, nxt_utc, np.datetime64("NaT"))
    )
    per_row = pd.DataFrame(
        {
            "cycle_id": cycle_id,
            "item": item,
            "ticket": ticket,
            "started": at,
            "stopped": pd.Series(stopped).dt.tz_localize("UTC"),
            "elapsed": np.where(in_after & ~pause, length, 0),
            "paused": np.where(in_after & pause, length, 0),
            "account": df["account"],
            "priority": df["priority"],
            "opens_before": np.cumsum(opens) - opens,
        }
    )[member]
    out = per_row.groupby("cycle_id", sort=False).agg(
        ticket=("ticket", "first"),
        item=("item", "first"),
        started=("started", "first"),
        stopped=("stopped", "last"),
        elapsed=("elapsed", "sum"),
        paused=("paused", "sum"),
        account=("account", "last"),
        priority=("priority", "last"),
    )
    first_cycle = per_row.groupby("item", sort=False)["cycle_id"].min()
    out["cycle"] = out.index.to_numpy() - first_cycle.loc[out["item"]].to_numpy() + 1
    return out.drop(columns="item").reset_index(drop=True)


def objectives(c: pd.DataFrame) -> pd.DataFrame:
    """The seven objectives per (account, period), values in seconds, shares in [0, 1]."""
    local = c["started"].dt.tz_convert(ZONE)
    c = c.assign(
        period=local.dt.strftime("%Y-%m"),
        closed=c["stopped"].notna(),
        elapsed_s=c["elapsed"] / NS,
        paused_s=c["paused"] / NS,
    )
    keys = ["account", "period"]
    p1 = c[c["priority"] == "P1"]
    ok = p1["closed"] & (p1["elapsed"] <= 4 * 3600 * NS)
    decided = p1["closed"] | (p1["elapsed"] > 4 * 3600 * NS)
    g = pd.DataFrame({"ok": ok, "decided": decided}).groupby([p1["account"], p1["period"]]).sum()
    out = pd.DataFrame(index=c.groupby(keys).size().index)
    out["p1_fix"] = g["ok"] / g["decided"].where(g["decided"] > 0)
    by = c.groupby(keys)
    out["first"] = (c["cycle"] == 1).groupby([c["account"], c["period"]]).mean()
    closed = c[c["closed"]]
    cb = closed.groupby(keys)
    out["elapsed"] = cb["elapsed_s"].mean()
    out["held"] = cb["paused_s"].mean()
    # nearest rank: the ceil(0.9 n)-th smallest (q·n rounded first)
    s = closed.sort_values([*keys, "elapsed"])
    sb = s.groupby(keys, sort=False)["elapsed_s"]
    rank = np.ceil((0.9 * sb.transform("size")).round(9)).clip(lower=1)
    out["p90"] = s[sb.cumcount() + 1 == rank].set_index(keys)["elapsed_s"]
    out["open"] = (~c["closed"]).groupby([c["account"], c["period"]]).sum().astype("float64")
    out["cycles"] = by.size().astype("float64")
    return out.reset_index()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data", type=Path)
    p.add_argument("--as-of", default="2026-12-31T00:00:00-03:00")
    args = p.parse_args(argv)
    df = pd.read_parquet(args.data / "changes.parquet")
    table = objectives(cycles(df, pd.Timestamp(args.as_of).tz_convert("UTC")))
    out = sys.stdout
    for row in table.to_dict("records"):
        out.write(json.dumps({k: (None if v != v else v) for k, v in row.items()}) + "\n")


if __name__ == "__main__":
    main()
