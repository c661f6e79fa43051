"""Seeded, vectorised status histories for the clocks benchmark (benchmarks/bench_clocks.py).

    python -m benchmarks.clocks_data --tickets 1e6 --out DIR     # DIR/changes.parquet

One row per status change of a service-desk ticket, the `changes` stream of
benchmarks/clocks.sla (SPEC §6.2): `account, ticket, at, status, sub_status, priority`.

* tickets: created on a uniform day of 2026 (to 15 December); 80% in Santiago office
  hours (09:00–18:00 local, any weekday), the rest at any hour; priorities P1 15%, P2 30%,
  P3 40%, P4 15%; accounts log-normal in size (a few hold most tickets).
* events per ticket: 2 + Binomial(16, 1/2) (mean 10), nudged by ±1 on random tickets so
  that the total is exactly `tickets × 10`. The first is `New`; the last is `Closed`
  (75%), `Resolved` (10%) or a middle status (open at as-of). Middle statuses: In
  Progress 41%, In Progress + Wait - Customer 15% (paused), Pending + Awaiting User Info
  10% (paused), Pending + Vendor 5% (running), Resolved 15% (stop), Reopened 4% (reset:
  a new cycle), New 2% (restarts a stopped ticket), Closed 3%, Assigned 5%.
* gaps between a ticket's events: 3% zero (equal timestamps, kept in file order), else
  exponential with a mean of 10 min (30%), 3 h (50%) or 1.5 days (20%), whole seconds.
* handoffs: 5% of tickets move to another account from a random event on (the cycle
  belongs to the account holding it at its last event).
* the rows are in time order (ties: by ticket, then event), as a log would write them;
  events after as-of (2026-12-31 00:00 −03:00) are in the file and ignored by both tools.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

NS = 1_000_000_000
DAY = 86_400
AS_OF = dt.datetime(2026, 12, 31, 3, 0, tzinfo=dt.UTC)  # 2026-12-31 00:00 −03:00
ZONE = "America/Santiago"
EVENTS_PER_TICKET = 10

MIDDLE = (  # (status, sub_status or None, share)
    ("In Progress", None, 0.41),
    ("In Progress", "Wait - Customer", 0.15),
    ("Pending", "Awaiting User Info", 0.10),
    ("Pending", "Vendor", 0.05),
    ("Resolved", None, 0.15),
    ("Reopened", None, 0.04),
    ("New", None, 0.02),
    ("Closed", None, 0.03),
    ("Assigned", None, 0.05),
)
STATUSES = ("New", "In Progress", "Pending", "Resolved", "Reopened", "Closed", "Assigned")
SUBS = ("Wait - Customer", "Awaiting User Info", "Vendor")
PRIORITIES = ("P1", "P2", "P3", "P4")


def _counts(rng: np.random.Generator, tickets: int) -> np.ndarray:
    """Events per ticket, at least 1, summing to exactly tickets × 10."""
    n = 2 + rng.binomial(16, 0.5, tickets)
    diff = tickets * EVENTS_PER_TICKET - int(n.sum())
    if diff:
        nudged = rng.choice(tickets, abs(diff), replace=False)
        n[nudged] += 1 if diff > 0 else -1
    return n


def _dictionary(codes: np.ndarray, names: list[str] | tuple[str, ...]) -> pa.Array:
    """Plain strings (as a log would hold them) from codes into `names`; code -1 is null."""
    valid = codes >= 0
    idx = pa.array(np.where(valid, codes, 0).astype(np.int32), mask=~valid)
    return pa.DictionaryArray.from_arrays(idx, pa.array(names, pa.string())).cast(pa.string())


def generate(tickets: int, accounts: int = 40, seed: int = 14) -> pa.Table:
    """The `changes` table: tickets × 10 rows, in time order."""
    rng = np.random.default_rng(seed)
    n = _counts(rng, tickets)
    total = int(n.sum())
    ticket = np.repeat(np.arange(tickets, dtype=np.int64), n)
    first_row = np.cumsum(n) - n
    position = np.arange(total, dtype=np.int64) - np.repeat(first_row, n)
    last = position == np.repeat(n - 1, n)

    # creation: a day of 2026, mostly within Santiago office hours (local wall clock)
    day0 = (dt.date(2026, 1, 1) - dt.date(1970, 1, 1)).days
    day = day0 + rng.integers(0, 349, tickets)
    office = rng.random(tickets) < 0.8
    second = np.where(
        office, 9 * 3600 + rng.integers(0, 9 * 3600, tickets), rng.integers(0, DAY, tickets)
    )
    local = pa.array((day * DAY + second) * NS, pa.timestamp("ns"))
    created_ns = pc.assume_timezone(local, ZONE, ambiguous="earliest", nonexistent="latest")
    created = created_ns.cast(pa.int64()).to_numpy() // NS

    # gaps: zero (ties), minutes, hours or days
    kind = rng.choice(3, total, p=[0.3, 0.5, 0.2])
    scale = np.array([600.0, 3 * 3600.0, 1.5 * DAY])[kind]
    gap = rng.exponential(scale).astype(np.int64)
    gap[rng.random(total) < 0.03] = 0
    gap[position == 0] = 0
    run = np.cumsum(gap)
    at = np.repeat(created, n) + run - np.repeat(run[first_row], n)

    # statuses
    shares = np.array([m[2] for m in MIDDLE])
    middle = rng.choice(len(MIDDLE), total, p=shares / shares.sum())
    status = np.array([STATUSES.index(m[0]) for m in MIDDLE])[middle]
    sub = np.array([-1 if m[1] is None else SUBS.index(m[1]) for m in MIDDLE])[middle]
    end = rng.random(total)
    closing = last & (end < 0.85)
    status[closing] = np.where(
        end[closing] < 0.75, STATUSES.index("Closed"), STATUSES.index("Resolved")
    )
    sub[closing] = -1
    status[position == 0] = STATUSES.index("New")
    sub[position == 0] = -1

    # accounts (log-normal sizes), priorities, handoffs
    size = rng.lognormal(0, 1.2, accounts)
    owner = rng.choice(accounts, tickets, p=size / size.sum())
    account = np.repeat(owner, n)
    handed = rng.random(tickets) < 0.05
    at_event = rng.integers(1, np.maximum(n, 2))
    new_owner = (owner + rng.integers(1, accounts, tickets)) % accounts
    moved = np.repeat(handed, n) & (position >= np.repeat(at_event, n))
    account[moved] = np.repeat(new_owner, n)[moved]
    priority = np.repeat(rng.choice(4, tickets, p=[0.15, 0.30, 0.40, 0.15]), n)

    order = np.argsort(at, kind="stable")  # a log in time order; ties by ticket, event
    names = [f"acct{i:03d}" for i in range(accounts)]
    width = len(str(tickets - 1))
    ticket_names = pa.array(np.char.add("T", np.char.zfill(np.arange(tickets).astype(str), width)))
    return pa.table(
        {
            "account": _dictionary(account[order], names),
            "ticket": pa.DictionaryArray.from_arrays(
                pa.array(ticket[order].astype(np.int32)), ticket_names
            ).cast(pa.string()),
            "at": pa.array(at[order] * NS, pa.timestamp("ns", tz="UTC")),
            "status": _dictionary(status[order], STATUSES),
            "sub_status": _dictionary(sub[order], SUBS),
            "priority": _dictionary(priority[order], PRIORITIES),
        }
    )


def write(table: pa.Table, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "changes.parquet"
    pq.write_table(table, path)
    return path


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.clocks_data", description=__doc__)
    p.add_argument("--tickets", type=float, default=1e6)
    p.add_argument("--accounts", type=int, default=40)
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    table = generate(int(args.tickets), args.accounts, args.seed)
    print(f"{write(table, args.out)}: {table.num_rows:,} rows")


if __name__ == "__main__":
    main()
