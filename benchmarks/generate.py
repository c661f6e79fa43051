"""Realistic, seeded data for the SPEC example model (examples/spec/model.sla) at any size.

    python -m benchmarks.generate --events 1e6 --out DIR [--accounts N] [--months M]
        [--seed S] [--formats parquet,csv,sqlite]

writes DIR/parquet/*.parquet, DIR/csv/*.csv (one file per table: accounts, outages,
incidents, tickets, crm_leads) and DIR/data.sqlite (one table each; times as ISO-8601
text with `Z`): each is a data SOURCE for `slagraph eval --data`. From Python, `generate(...)`
returns the tables in memory (pyarrow) and `cached(...)` keeps them as Parquet under
benchmarks/.cache/ so that a size is generated once.

What the data looks like (all vectorised numpy, ~10^7 events in well under a minute):

* accounts: `acme` first, then `acct00001`…; tiers gold 20% / silver 30% / bronze 50%;
  monthly fees log-normal around 5,000. Account sizes are log-normal, so a few accounts
  hold most of the records, as in real customer bases.
* outages (5% of events): services api/db/web; durations log-normal (median ~12 min) with
  a Pareto tail (hours to days); 8% start inside another outage of the same service
  (overlaps), 6% start just before a month end (they span it), 10% planned; a few are
  still open (null `end`) at as-of. Some accounts are flaky (gamma-distributed rates).
* incidents (35%): P1/P2/P3; 60% uniform arrivals, 40% in bursts (exponential spread
  around burst centres, with more P1s); log-normal response and resolution times by
  priority; records whose reply or resolution lies after as-of are open (null), and a
  few are stuck open.
* tickets (45%): email/chat/phone, created in Santiago business hours (Mon–Fri
  09:00–18:00 America/Santiago, DST-correct); log-normal first-reply times by channel.
* crm_leads (15%): qualified uniformly, contacted after an exponential delay (mean 9 h),
  3% never contacted.

Times are whole seconds, `timestamp[ns, UTC]`. The data is "as known at" `as_of`: no
time lies after it, so `evaluate(..., as_of=as_of)` and the default as-of agree up to
the last record. The last month is partial (as-of is 12 h before its end).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import zoneinfo
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

NS = 1_000_000_000
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CACHE = Path(__file__).parent / ".cache"
STREAMS = ("accounts", "outages", "incidents", "tickets", "crm_leads")
SHARES = {"outages": 0.05, "incidents": 0.35, "tickets": 0.45, "crm_leads": 0.15}
SANTIAGO = zoneinfo.ZoneInfo("America/Santiago")


def default_accounts(events: int) -> int:
    """~2,500 events per account: 10^7 events → 4,000 accounts × 12 months = 48,000
    (account, month) groups, the shape of the group-by baselines in REFERENCES.md."""
    return max(20, round(events / 2500))


def month_start(months: int) -> dt.datetime:
    y, m = divmod(START.month - 1 + months, 12)
    return START.replace(year=START.year + y, month=m + 1)


def as_of_for(months: int) -> dt.datetime:
    """12 hours before the end of the last month: that month is partial."""
    return month_start(months) - dt.timedelta(hours=12)


def _s(t: dt.datetime) -> int:
    return int(t.timestamp())


def _times(seconds: np.ndarray) -> pa.Array:
    return pa.array(seconds.astype(np.int64) * NS, pa.timestamp("ns", "UTC"))


def _nullable_times(seconds: np.ndarray, known: np.ndarray) -> pa.Array:
    return pa.array(seconds.astype(np.int64) * NS, pa.timestamp("ns", "UTC"), mask=~known)


def _text(codes: np.ndarray, words: list[str] | np.ndarray) -> pa.Array:
    """Plain string column (as a CSV or database would give), built by one C++ take."""
    dictionary = pa.array(np.asarray(words, dtype=object), pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), dictionary).cast(
        pa.string()
    )


def _pick(rng: np.random.Generator, n: int, p: np.ndarray) -> np.ndarray:
    """n draws of an index with probabilities p (one searchsorted, not rng.choice's loop)."""
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(p) - 1)


def _lognormal_s(rng: np.random.Generator, median_s: np.ndarray | float, sigma: float, n: int):
    return np.rint(np.exp(np.log(median_s) + sigma * rng.standard_normal(n))).astype(np.int64)


def generate(
    events: int = 100_000,
    *,
    accounts: int | None = None,
    months: int = 12,
    seed: int = 2026,
) -> tuple[dict[str, pa.Table], dt.datetime]:
    """The SPEC model's tables (keys are table names: `crm_leads` for the leads stream)
    holding about `events` records in all, and the as-of they are known at."""
    rng = np.random.default_rng(seed)
    n_acc = accounts or default_accounts(events)
    t0 = _s(START)
    as_of = as_of_for(months)
    t1 = _s(as_of)
    span = t1 - t0
    bounds = np.array([_s(month_start(m)) for m in range(months + 1)], np.int64)

    # ---- accounts
    names = np.array(["acme"] + [f"acct{i:05d}" for i in range(1, n_acc)], dtype=object)
    tier = _pick(rng, n_acc, np.array([0.2, 0.3, 0.5]))
    tier[0] = 0
    fee = np.round(np.exp(np.log(5000) + 0.8 * rng.standard_normal(n_acc)), -2)
    size = np.exp(rng.standard_normal(n_acc))  # log-normal account sizes
    flaky = rng.gamma(0.7, 1 / 0.7, n_acc)  # outage-proneness
    tables: dict[str, pa.Table] = {
        "accounts": pa.table(
            {
                "account": pa.array(names, pa.string()),
                "tier": _text(tier, ["gold", "silver", "bronze"]),
                "fee": pa.array(fee),
            }
        )
    }
    count = {k: int(round(events * v)) for k, v in SHARES.items()}

    # ---- outages
    n = count["outages"]
    acc = _pick(rng, n, size * flaky)
    service = _pick(rng, n, np.array([0.45, 0.35, 0.20]))
    start = t0 + rng.integers(0, span, n)
    near_end = rng.random(n) < 0.06  # just before a month end: spans it
    which = rng.integers(1, months + 1, n)
    start = np.where(near_end, bounds[which] - rng.integers(60, 4 * 3600, n), start)
    length = _lognormal_s(rng, 12 * 60, 1.2, n)
    tail = rng.random(n) < 0.02
    length = np.where(tail, ((rng.pareto(1.5, n) + 1) * 3600).astype(np.int64), length)
    length = np.clip(length, 30, 5 * 86400)
    overlap = rng.random(n) < 0.08  # starts inside another outage of the same account/service
    other = rng.integers(0, n, n)
    acc = np.where(overlap, acc[other], acc)
    service = np.where(overlap, service[other], service)
    start = np.where(
        overlap, start[other] + (rng.random(n) * length[other]).astype(np.int64), start
    )
    start = np.clip(start, t0, t1 - 60)
    end = start + length
    still_open = rng.random(n) < 0.0005
    still_open[rng.integers(0, n, min(n, 3))] = True  # a few, even in small data
    start = np.where(still_open, t1 - rng.integers(60, 6 * 3600, n), start)
    end_known = (end <= t1) & ~still_open
    order = np.argsort(start, kind="stable")
    tables["outages"] = pa.table(
        {
            "account": _text(acc[order], names),
            "service": _text(service[order], ["api", "db", "web"]),
            "start": _times(start[order]),
            "end": _nullable_times(end[order], end_known[order]),
            "planned": pa.array(rng.random(n) < 0.10),
        }
    )

    # ---- incidents: background + bursts
    n = count["incidents"]
    acc = _pick(rng, n, size)
    opened = t0 + rng.integers(0, span, n)
    bursty = rng.random(n) < 0.4
    n_bursts = max(1, n // 200)
    centre = t0 + rng.integers(0, span, n_bursts)
    centre_acc = _pick(rng, n_bursts, size)
    b = rng.integers(0, n_bursts, n)
    opened = np.where(bursty, centre[b] + rng.exponential(2 * 3600, n).astype(np.int64), opened)
    acc = np.where(bursty, centre_acc[b], acc)
    opened = np.clip(opened, t0, t1)
    p1 = np.where(bursty, 0.30, 0.12)
    u = rng.random(n)
    priority = np.where(u < p1, 0, np.where(u < p1 + 0.33, 1, 2))
    respond = _lognormal_s(rng, np.array([5 * 60, 20 * 60, 3600])[priority], 0.6, n)
    resolve = respond + _lognormal_s(
        rng, np.array([1 * 3600, 3 * 3600, 6 * 3600])[priority], 0.9, n
    )
    responded = opened + respond
    resolved = opened + resolve
    stuck = rng.random(n)
    responded_known = (responded <= t1) & (stuck >= 0.001)
    resolved_known = (resolved <= t1) & (stuck >= 0.004) & responded_known
    order = np.argsort(opened, kind="stable")
    tables["incidents"] = pa.table(
        {
            "account": _text(acc[order], names),
            "priority": _text(priority[order], ["P1", "P2", "P3"]),
            "opened": _times(opened[order]),
            "responded": _nullable_times(responded[order], responded_known[order]),
            "resolved": _nullable_times(resolved[order], resolved_known[order]),
        }
    )

    # ---- tickets: Santiago business hours (Mon–Fri 09–18 local), DST-correct
    n = count["tickets"]
    acc = _pick(rng, n, size)
    days = []
    day = START.astimezone(SANTIAGO).date()
    while True:
        local_end = dt.datetime.combine(day, dt.time(18), SANTIAGO)
        if local_end.timestamp() > t1:
            break
        if day.weekday() < 5:
            days.append(_s(dt.datetime.combine(day, dt.time(9), SANTIAGO)))
        day += dt.timedelta(days=1)
    opening = np.array(days, np.int64)  # 09:00 local as UTC seconds, per business day
    created = opening[rng.integers(0, len(opening), n)] + rng.integers(0, 9 * 3600, n)
    created = np.maximum(created, t0)
    channel = _pick(rng, n, np.array([0.55, 0.35, 0.10]))
    wait = _lognormal_s(
        rng, np.array([3 * 3600, 40, 120])[channel], np.array([1.0, 0.7, 0.6])[channel], n
    )
    first_reply = created + wait
    solved = first_reply + _lognormal_s(rng, 86400, 0.8, n)
    never = rng.random(n) < 0.005
    reply_known = (first_reply <= t1) & ~never
    solved_known = (solved <= t1) & reply_known
    order = np.argsort(created, kind="stable")
    tables["tickets"] = pa.table(
        {
            "account": _text(acc[order], names),
            "channel": _text(channel[order], ["email", "chat", "phone"]),
            "created": _times(created[order]),
            "first_reply": _nullable_times(first_reply[order], reply_known[order]),
            "solved": _nullable_times(solved[order], solved_known[order]),
        }
    )

    # ---- leads
    n = count["crm_leads"]
    acc = _pick(rng, n, size)
    qualified = np.sort(t0 + rng.integers(0, span, n))
    contacted = qualified + rng.exponential(9 * 3600, n).astype(np.int64)
    contacted_known = (contacted <= t1) & (rng.random(n) >= 0.03)
    tables["crm_leads"] = pa.table(
        {
            "account": _text(acc, names),
            "qualified": _times(qualified),
            "contacted": _nullable_times(contacted, contacted_known),
        }
    )
    return tables, as_of


def events_in(tables: dict[str, pa.Table]) -> int:
    return sum(t.num_rows for k, t in tables.items() if k != "accounts")


def cache_dir(events: int, accounts: int | None = None, months: int = 12, seed: int = 2026):
    n_acc = accounts or default_accounts(events)
    return CACHE / f"spec-e{events}-a{n_acc}-m{months}-s{seed}"


def cached(
    events: int, *, accounts: int | None = None, months: int = 12, seed: int = 2026
) -> tuple[Path, dict[str, pa.Table], dt.datetime]:
    """(folder of Parquet files, the tables, as-of), generating the size once."""
    folder = cache_dir(events, accounts, months, seed)
    if not (folder / "done").exists():
        tables, as_of = generate(events, accounts=accounts, months=months, seed=seed)
        write(tables, folder, ("parquet",))
        (folder / "done").write_text(as_of.isoformat())
        return folder, tables, as_of
    tables = {name: pq.read_table(folder / f"{name}.parquet") for name in STREAMS}
    return folder, tables, as_of_for(months)


def _iso(column: pa.ChunkedArray) -> list[str | None]:
    seconds = column.cast(pa.int64()).to_numpy(zero_copy_only=False) // NS
    text = np.char.add(np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s"), "Z")
    out = text.astype(object)
    if column.null_count:
        out[column.is_null().to_numpy(zero_copy_only=False)] = None
    return out.tolist()


def write(tables: dict[str, pa.Table], out: Path, formats=("parquet", "csv", "sqlite")) -> None:
    """Parquet files into out/parquet/ (or straight into `out` when it is the only
    format: the benchmark cache), CSV into out/csv/, SQLite as out/data.sqlite."""
    out.mkdir(parents=True, exist_ok=True)
    for fmt in ("parquet", "csv"):
        if fmt not in formats:
            continue
        folder = out if formats == ("parquet",) else out / fmt
        folder.mkdir(exist_ok=True)
        for name, table in tables.items():
            if fmt == "parquet":
                pq.write_table(table, folder / f"{name}.parquet")
            else:
                pcsv.write_csv(table, folder / f"{name}.csv")  # ISO-8601 times, Z suffix
    if "sqlite" in formats:
        path = out / "data.sqlite"
        path.unlink(missing_ok=True)
        con = sqlite3.connect(path)
        try:
            for name, table in tables.items():
                columns = []
                for field in table.schema:
                    col = table.column(field.name)
                    if pa.types.is_timestamp(field.type):
                        columns.append(_iso(col))
                    elif pa.types.is_boolean(field.type):
                        columns.append([None if v is None else int(v) for v in col.to_pylist()])
                    else:
                        columns.append(col.to_pylist())
                decl = ", ".join(f'"{f.name}"' for f in table.schema)
                con.execute(f'CREATE TABLE "{name}" ({decl})')
                marks = ", ".join("?" * table.num_columns)
                con.executemany(
                    f'INSERT INTO "{name}" VALUES ({marks})', zip(*columns, strict=True)
                )
            con.commit()
        finally:
            con.close()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__)
    p.add_argument("--events", type=float, default=1e5, help="total records, e.g. 1e6")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--accounts", type=int, default=None)
    p.add_argument("--months", type=int, default=12)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--formats", default="parquet,csv,sqlite")
    args = p.parse_args(argv)
    tables, as_of = generate(
        int(args.events), accounts=args.accounts, months=args.months, seed=args.seed
    )
    write(tables, args.out, tuple(args.formats.split(",")))
    print(
        f"{events_in(tables):,} events, {tables['accounts'].num_rows:,} accounts, "
        f"{args.months} months, as-of {as_of.isoformat()} → {args.out}"
    )


if __name__ == "__main__":
    main()
