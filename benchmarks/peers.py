"""What a user would otherwise write: benchmarks/spec_subset.sla by hand in pandas, DuckDB
and Polars.

Each peer computes, for every account × month (UTC) from the month of the earliest
record to the month of as-of:

* availability: `api_up` (uptime of unplanned api outages, overlapping outages merged per
  account, cut at month ends, the weekly maintenance window Sun 02:00–04:00 UTC removed
  from both down and measured time, a still-open outage down until as-of, the last month
  measured up to as-of), `db_up` (the same without the maintenance window), tiered credit
  on `api_up`;
* incidents: `p1_response` (share within 15 min with the open-record rule: an open P1
  older than 15 min at as-of has failed, a younger one is pending and left out), `mttr`
  (mean of resolved − opened over resolved incidents), flat 5% credit when breached;
* support: `chat_p95` (nearest-rank p95 of first_reply − created over chats);
* lead_handoff: `contacted_24h` (share within 24 h, open-record rule), `volume` (count);
* each SLA's `met` (all objectives met; a null value is met), score and credit, and the
  master `all`: weighted score 50/30/10/10, met = availability and incidents and score ≥
  80%, credit = sum of the children's, capped at 30%.

Not covered: the business-time objectives of the SPEC model (`p1_resolve`,
`email_reply`: Santiago business hours with Chilean holidays and DST have no reasonable
SQL/DataFrame formula), statuses and error budgets, earnback, terminations.

Every peer returns one wide frame, a row per (account, period), with the columns of
`COLUMNS`; `long_form` turns it into (account, period, node) rows to compare with
slagraph's. Inputs: the generator's pyarrow tables converted to the tool's own in-memory
form by `prepare_*` (not timed as evaluation), or Parquet files (`*_parquet`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

# Weekly maintenance window Sun 02:00–04:00 UTC. 1970-01-04 (the first Sunday of the Unix
# epoch) 02:00 UTC is 266,400 s; the window is the first 7,200 s of every 604,800 s week
# counted from there. M(t) = maintenance time before t, so M(e) − M(s) is the maintenance
# time inside [s, e): the closed form any of these tools can evaluate per row.
MAINT_REF_S = 3 * 86400 + 2 * 3600
MAINT_LEN_S = 2 * 3600
WEEK_S = 7 * 86400
NS = 1_000_000_000

LIMIT_P1_S = 15 * 60
LIMIT_LEAD_S = 24 * 3600
WEIGHTS = {"availability": 0.5, "incidents": 0.3, "support": 0.1, "lead_handoff": 0.1}

COLUMNS = [
    "account",
    "period",
    "api_up",
    "db_up",
    "availability_met",
    "availability_credit",
    "p1_response",
    "mttr",
    "incidents_met",
    "incidents_credit",
    "chat_p95",
    "support_met",
    "contacted_24h",
    "volume",
    "lead_handoff_met",
    "all_score",
    "all_met",
    "all_credit",
]

# node path → (value column or None, met column or None, credit column or None)
NODES = {
    "all": (None, "all_met", "all_credit"),
    "all.availability": (None, "availability_met", "availability_credit"),
    "all.availability.api_up": ("api_up", None, "availability_credit"),  # its tier credit
    "all.availability.db_up": ("db_up", None, None),
    "all.incidents": (None, "incidents_met", "incidents_credit"),
    "all.incidents.p1_response": ("p1_response", None, None),
    "all.incidents.mttr": ("mttr", None, None),
    "all.support": (None, "support_met", None),
    "all.support.chat_p95": ("chat_p95", None, None),
    "all.lead_handoff": (None, "lead_handoff_met", None),
    "all.lead_handoff.contacted_24h": ("contacted_24h", None, None),
    "all.lead_handoff.volume": ("volume", None, None),
}
TARGETS = {
    "api_up": (">=", 0.999),
    "db_up": (">=", 0.9995),
    "p1_response": (">=", 0.95),
    "mttr": ("<=", 8 * 3600.0),
    "chat_p95": ("<=", 120.0),
    "contacted_24h": (">=", 0.90),
    "volume": (">=", 200.0),
}
COVERED = sorted(NODES)


def _ns(t: dt.datetime) -> int:
    return int(t.timestamp()) * NS


def long_form(wide: pd.DataFrame) -> pd.DataFrame:
    """(account, period, node, value, met, credit_pct, score) rows from a peer's frame.
    `score` is the master's only (slagraph also scores each SLA by its objectives)."""
    parts = []
    for node, (value, met, credit) in NODES.items():
        part = pd.DataFrame({"account": wide["account"], "period": wide["period"]})
        part["node"] = node
        if value is not None:
            v = wide[value].astype("float64")
            op, target = TARGETS[value]
            part["value"] = v
            part["met"] = v.isna() | ((v >= target) if op == ">=" else (v <= target))
        else:
            part["value"] = np.nan
            part["met"] = wide[met].astype(bool)
        part["credit_pct"] = wide[credit].astype("float64") if credit else 0.0
        part["score"] = wide["all_score"].astype("float64") if node == "all" else np.nan
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["account"] = out["account"].astype(str)
    out["period"] = out["period"].astype(str)
    return out.sort_values(["account", "period", "node"]).reset_index(drop=True)


# ============================================================================ pandas


def prepare_pandas(tables: dict[str, pa.Table]) -> dict[str, pd.DataFrame]:
    return {name: t.to_pandas() for name, t in tables.items()}


def pandas_parquet(folder: Path, as_of: dt.datetime) -> pd.DataFrame:
    names = ("accounts", "outages", "incidents", "tickets", "crm_leads")
    frames = {n: pd.read_parquet(folder / f"{n}.parquet") for n in names}
    return pandas_peer(frames, as_of)


def _pd_seconds(t: pd.Series) -> np.ndarray:
    """Whole seconds since the epoch (the data holds whole seconds)."""
    return t.dt.as_unit("s").astype("int64").to_numpy()


def _pd_maint(seconds: np.ndarray) -> np.ndarray:
    """Maintenance seconds before each instant (see MAINT_REF_S)."""
    x = seconds - MAINT_REF_S
    return (x // WEEK_S) * MAINT_LEN_S + np.minimum(x % WEEK_S, MAINT_LEN_S)


def _pd_month(t: pd.Series) -> pd.Series:
    return t.dt.year * 12 + t.dt.month - 1


def pandas_peer(t: dict[str, pd.DataFrame], as_of: dt.datetime) -> pd.DataFrame:
    as_of_ts = pd.Timestamp(as_of)
    outages, incidents, tickets, leads = (
        t["outages"],
        t["incidents"],
        t["tickets"],
        t["crm_leads"],
    )
    lo = min(
        outages["start"].min(),
        incidents["opened"].min(),
        tickets["created"].min(),
        leads["qualified"].min(),
    )
    first = lo.year * 12 + lo.month - 1
    last = as_of_ts.year * 12 + as_of_ts.month - 1
    month_no = np.arange(first, last + 1)
    bounds = pd.to_datetime(
        [f"{m // 12:04d}-{m % 12 + 1:02d}-01" for m in range(first, last + 2)], utc=True
    )
    labels = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in month_no]
    accounts = t["accounts"]["account"]
    grid = pd.MultiIndex.from_product([accounts, month_no], names=["account", "month"])
    out = pd.DataFrame(index=grid)

    # ---- availability
    bounds_s = _pd_seconds(pd.Series(bounds))
    period_start = bounds_s[:-1]
    period_end = np.maximum(np.minimum(bounds_s[1:], int(as_of.timestamp())), period_start)
    length_s = (period_end - period_start).astype("float64")
    maint_in_period = _pd_maint(period_end) - _pd_maint(period_start)

    def uptime(service: str, exclude_maintenance: bool) -> pd.Series:
        o = outages[(outages["service"] == service) & ~outages["planned"]]
        o = o.assign(end=o["end"].fillna(as_of_ts).clip(upper=as_of_ts))
        o = o[o["end"] > o["start"]].sort_values(["account", "start"])
        # union of overlapping outages per account: a new block starts after the
        # running maximum of the previous ends
        reach = o.groupby("account", sort=False)["end"].cummax()
        prev = reach.groupby(o["account"], sort=False).shift()
        block = (prev.isna() | (o["start"] > prev)).cumsum()
        merged = o.groupby(block).agg(
            account=("account", "first"), start=("start", "min"), end=("end", "max")
        )
        # cut at month ends: one row per (interval, month) it touches
        m0 = _pd_month(merged["start"])
        m1 = _pd_month(merged["end"] - pd.Timedelta(1, "ns"))
        pieces = merged.loc[merged.index.repeat(m1 - m0 + 1)]
        month = (m0.loc[pieces.index] + pieces.groupby(level=0).cumcount()).to_numpy()
        k = month - first
        s = np.maximum(_pd_seconds(pieces["start"]), bounds_s[k])
        e = np.minimum(_pd_seconds(pieces["end"]), bounds_s[k + 1])
        down = pd.Series(e - s, dtype="float64")
        measured = pd.Series(length_s, index=month_no)
        if exclude_maintenance:
            down = down - (_pd_maint(e) - _pd_maint(s))
            measured = measured - maint_in_period
        down_by = down.groupby([pieces["account"].to_numpy(), month]).sum()
        down_by.index.names = ["account", "month"]
        down_by = down_by.reindex(grid, fill_value=0.0)
        measured_by = measured.reindex(grid.get_level_values("month")).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            value = 1 - down_by / np.where(measured_by > 0, measured_by, np.nan)
        return value

    out["api_up"] = uptime("api", True)
    out["db_up"] = uptime("db", False)

    # ---- shares with the open-record rule, mean, p95, count
    def share_within(df, earlier, later, limit_s):
        df = df[df[earlier] <= as_of_ts]
        known = df[later].notna()
        ok = known & ((df[later] - df[earlier]).dt.total_seconds() <= limit_s)
        decided = known | ((as_of_ts - df[earlier]).dt.total_seconds() > limit_s)
        g = (
            pd.DataFrame({"ok": ok, "decided": decided})
            .groupby([df["account"], _pd_month(df[earlier]).rename("month")])
            .sum()
        )
        g = g.reindex(grid, fill_value=0)
        return (g["ok"] / g["decided"].where(g["decided"] > 0)).astype("float64")

    inc = incidents
    out["p1_response"] = share_within(
        inc[inc["priority"] == "P1"], "opened", "responded", LIMIT_P1_S
    )
    inc = inc[inc["opened"] <= as_of_ts]
    resolve_s = (inc["resolved"] - inc["opened"]).dt.total_seconds()
    out["mttr"] = (
        resolve_s.groupby([inc["account"], _pd_month(inc["opened"]).rename("month")])
        .mean()
        .reindex(grid)
    )

    chat = tickets[(tickets["channel"] == "chat") & (tickets["created"] <= as_of_ts)]
    chat = (
        pd.DataFrame(
            {
                "account": chat["account"],
                "month": _pd_month(chat["created"]),
                "wait": (chat["first_reply"] - chat["created"]).dt.total_seconds(),
            }
        )
        .dropna(subset=["wait"])
        .sort_values(["account", "month", "wait"])
    )
    # nearest rank: the ceil(0.95 n)-th smallest (q·n rounded first: 0.95 × 20 is 19)
    by = chat.groupby(["account", "month"], sort=False)["wait"]
    n = by.transform("size")
    rank = np.ceil((0.95 * n).round(9)).clip(lower=1)
    p95 = chat[by.cumcount() + 1 == rank].set_index(["account", "month"])["wait"]
    out["chat_p95"] = p95.reindex(grid)

    out["contacted_24h"] = share_within(leads, "qualified", "contacted", LIMIT_LEAD_S)
    ld = leads[leads["qualified"] <= as_of_ts]
    out["volume"] = (
        ld.groupby([ld["account"], _pd_month(ld["qualified"]).rename("month")])
        .size()
        .reindex(grid, fill_value=0)
        .astype("float64")
    )

    # ---- objectives → SLAs → master
    def met(col):
        op, target = TARGETS[col]
        v = out[col]
        return v.isna() | ((v >= target) if op == ">=" else (v <= target))

    out["availability_met"] = met("api_up") & met("db_up")
    api = out["api_up"]
    out["availability_credit"] = np.select(
        [api < 0.95, api < 0.99, api < 0.999], [1.0, 0.25, 0.10], default=0.0
    )
    out["incidents_met"] = met("p1_response") & met("mttr")
    out["incidents_credit"] = np.where(out["incidents_met"], 0.0, 0.05)
    out["support_met"] = met("chat_p95")
    out["lead_handoff_met"] = met("contacted_24h") & met("volume")
    score = sum(out[f"{c}_met"].astype("float64") * w for c, w in WEIGHTS.items())
    out["all_score"] = score / sum(WEIGHTS.values())
    out["all_met"] = out["availability_met"] & out["incidents_met"] & (out["all_score"] >= 0.8)
    out["all_credit"] = (out["availability_credit"] + out["incidents_credit"]).clip(upper=0.3)
    out = out.reset_index()
    out["period"] = np.asarray(labels, dtype=object)[out["month"].to_numpy() - first]
    return out[COLUMNS]


# ============================================================================ DuckDB

DUCKDB_SQL = f"""
WITH
-- Arrow/Parquet timestamp[ns, UTC] arrives as TIMESTAMPTZ_NS, which date_trunc and the
-- ICU calendar functions do not take: cast to TIMESTAMPTZ (µs; the data is whole seconds)
o AS (SELECT account, service, start::TIMESTAMPTZ AS start, "end"::TIMESTAMPTZ AS "end",
             planned FROM outages),
i AS (SELECT account, priority, opened::TIMESTAMPTZ AS opened,
             responded::TIMESTAMPTZ AS responded, resolved::TIMESTAMPTZ AS resolved
      FROM incidents),
tk AS (SELECT account, channel, created::TIMESTAMPTZ AS created,
              first_reply::TIMESTAMPTZ AS first_reply FROM tickets),
ld AS (SELECT account, qualified::TIMESTAMPTZ AS qualified,
              contacted::TIMESTAMPTZ AS contacted FROM crm_leads),
params AS (SELECT $as_of::TIMESTAMPTZ AS as_of),
lo AS (
    SELECT least(
        (SELECT min(start) FROM o), (SELECT min(opened) FROM i),
        (SELECT min(created) FROM tk), (SELECT min(qualified) FROM ld)) AS lo
),
months AS (
    SELECT m AS period_start, m + INTERVAL 1 MONTH AS period_end,
           least(m + INTERVAL 1 MONTH, as_of) AS measured_end
    FROM params, lo,
         generate_series(date_trunc('month', lo), date_trunc('month', as_of),
                         INTERVAL 1 MONTH) AS g(m)
),
grid AS (SELECT a.account, m.* FROM accounts a CROSS JOIN months m),

-- uptime: merge overlapping outages per account (gaps-and-islands), cut at month ends
down_api AS (
    SELECT account, start, least(coalesce("end", as_of), as_of) AS stop
    FROM o, params
    WHERE service = 'api' AND NOT planned
),
down_db AS (
    SELECT account, start, least(coalesce("end", as_of), as_of) AS stop
    FROM o, params
    WHERE service = 'db' AND NOT planned
),
islands AS (
    SELECT 'api' AS svc, * FROM down_api WHERE stop > start
    UNION ALL
    SELECT 'db', * FROM down_db WHERE stop > start
),
flagged AS (
    SELECT *, CASE WHEN start <= max(stop) OVER (
                PARTITION BY svc, account ORDER BY start, stop
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
            THEN 0 ELSE 1 END AS is_new
    FROM islands
),
blocks AS (
    SELECT *, sum(is_new) OVER (PARTITION BY svc, account ORDER BY start, stop
                                ROWS UNBOUNDED PRECEDING) AS block
    FROM flagged
),
merged AS (
    SELECT svc, account, min(start) AS start, max(stop) AS stop
    FROM blocks GROUP BY svc, account, block
),
pieces AS (
    SELECT svc, account, m.period_start,
           epoch_ns(greatest(start, m.period_start)) // 1000000000 AS s,
           epoch_ns(least(stop, m.period_end)) // 1000000000 AS e
    FROM merged JOIN months m ON merged.start < m.period_end AND merged.stop > m.period_start
),
-- maint(t): maintenance seconds before t (a macro, below); maint(e) - maint(s) is the
-- maintenance time inside [s, e)
down AS (
    SELECT svc, account, period_start,
           sum(e - s) AS down_s,
           sum((e - s) - (maint(e) - maint(s))) AS down_x
    FROM pieces GROUP BY ALL
),
measured AS (
    SELECT period_start, e - s AS measured_s, (e - s) - (maint(e) - maint(s)) AS measured_x
    FROM (SELECT period_start, epoch_ns(period_start) // 1000000000 AS s,
                 epoch_ns(greatest(measured_end, period_start)) // 1000000000 AS e FROM months)
),

-- record metrics, placed in the month of their earlier time
p1 AS (
    SELECT account, date_trunc('month', opened) AS period_start,
           count(*) FILTER (WHERE responded IS NOT NULL
                            AND epoch(responded) - epoch(opened) <= {LIMIT_P1_S}) AS ok,
           count(*) FILTER (WHERE responded IS NOT NULL
                            OR epoch(as_of) - epoch(opened) > {LIMIT_P1_S}) AS decided
    FROM i, params WHERE priority = 'P1' AND opened <= as_of GROUP BY ALL
),
mttr AS (
    SELECT account, date_trunc('month', opened) AS period_start,
           avg(epoch(resolved) - epoch(opened)) AS mttr
    FROM i, params WHERE opened <= as_of GROUP BY ALL
),
p95 AS (  -- quantile_disc is nearest rank (checked: n = 1..2000, q = 0.5..0.99)
    SELECT account, date_trunc('month', created) AS period_start,
           quantile_disc(epoch(first_reply) - epoch(created), 0.95) AS chat_p95
    FROM tk, params
    WHERE channel = 'chat' AND created <= as_of AND first_reply IS NOT NULL
    GROUP BY ALL
),
lead AS (
    SELECT account, date_trunc('month', qualified) AS period_start,
           count(*) FILTER (WHERE contacted IS NOT NULL
                            AND epoch(contacted) - epoch(qualified) <= {LIMIT_LEAD_S}) AS ok,
           count(*) FILTER (WHERE contacted IS NOT NULL
                            OR epoch(as_of) - epoch(qualified) > {LIMIT_LEAD_S}) AS decided,
           count(*) AS volume
    FROM ld, params WHERE qualified <= as_of GROUP BY ALL
),
objectives AS (
    SELECT g.account, g.period_start,
           CASE WHEN ms.measured_x > 0
                THEN 1 - coalesce(da.down_x, 0) / ms.measured_x END AS api_up,
           CASE WHEN ms.measured_s > 0
                THEN 1 - coalesce(dd.down_s, 0) / ms.measured_s END AS db_up,
           p1.ok / nullif(p1.decided, 0) AS p1_response,
           mttr.mttr,
           p95.chat_p95,
           lead.ok / nullif(lead.decided, 0) AS contacted_24h,
           coalesce(lead.volume, 0)::DOUBLE AS volume
    FROM grid g
    JOIN measured ms ON ms.period_start = g.period_start
    LEFT JOIN down da ON da.svc = 'api' AND da.account = g.account
                     AND da.period_start = g.period_start
    LEFT JOIN down dd ON dd.svc = 'db' AND dd.account = g.account
                     AND dd.period_start = g.period_start
    LEFT JOIN p1 ON p1.account = g.account AND p1.period_start = g.period_start
    LEFT JOIN mttr ON mttr.account = g.account AND mttr.period_start = g.period_start
    LEFT JOIN p95 ON p95.account = g.account AND p95.period_start = g.period_start
    LEFT JOIN lead ON lead.account = g.account AND lead.period_start = g.period_start
),
slas AS (
    SELECT *,
           coalesce(api_up >= 0.999, true) AND coalesce(db_up >= 0.9995, true)
               AS availability_met,
           CASE WHEN api_up < 0.95 THEN 1.0 WHEN api_up < 0.99 THEN 0.25
                WHEN api_up < 0.999 THEN 0.10 ELSE 0.0 END AS availability_credit,
           coalesce(p1_response >= 0.95, true) AND coalesce(mttr <= 28800, true)
               AS incidents_met,
           coalesce(chat_p95 <= 120, true) AS support_met,
           coalesce(contacted_24h >= 0.90, true) AND volume >= 200 AS lead_handoff_met
    FROM objectives
),
scored AS (
    SELECT *,
           CASE WHEN incidents_met THEN 0.0 ELSE 0.05 END AS incidents_credit,
           ((((0 + availability_met::INT * 0.5::DOUBLE) + incidents_met::INT * 0.3::DOUBLE)
              + support_met::INT * 0.1::DOUBLE) + lead_handoff_met::INT * 0.1::DOUBLE)
              / {repr(sum(WEIGHTS.values()))} AS all_score
    FROM slas
)
SELECT account, strftime(period_start AT TIME ZONE 'UTC', '%Y-%m') AS period,
       api_up, db_up, availability_met, availability_credit, p1_response, mttr,
       incidents_met, incidents_credit, chat_p95, support_met, contacted_24h, volume,
       lead_handoff_met, all_score,
       availability_met AND incidents_met AND all_score >= 0.8 AS all_met,
       least(availability_credit + incidents_credit, 0.3) AS all_credit
FROM scored
ORDER BY account, period
"""


DUCKDB_MAINT = f"""
CREATE MACRO maint(t) AS
    ((t - {MAINT_REF_S}) // {WEEK_S}) * {MAINT_LEN_S}
    + least((t - {MAINT_REF_S}) % {WEEK_S}, {MAINT_LEN_S})
"""


def _duckdb_connect():
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(DUCKDB_MAINT)
    return con


def prepare_duckdb(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return tables  # DuckDB scans Arrow tables in place


def duckdb_peer(tables: dict[str, pa.Table], as_of: dt.datetime) -> pd.DataFrame:
    con = _duckdb_connect()
    try:
        for name, table in tables.items():
            con.register(name, table)
        return con.execute(DUCKDB_SQL, {"as_of": as_of}).df()
    finally:
        con.close()


def duckdb_parquet(folder: Path, as_of: dt.datetime) -> pd.DataFrame:
    con = _duckdb_connect()
    try:
        for name in ("accounts", "outages", "incidents", "tickets", "crm_leads"):
            path = str(folder / f"{name}.parquet").replace("'", "''")
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
        return con.execute(DUCKDB_SQL, {"as_of": as_of}).df()
    finally:
        con.close()


# ============================================================================ Polars


def prepare_polars(tables: dict[str, pa.Table]):
    import polars as pl

    return {name: pl.from_arrow(t) for name, t in tables.items()}


def polars_parquet(folder: Path, as_of: dt.datetime) -> pd.DataFrame:
    import polars as pl

    names = ("accounts", "outages", "incidents", "tickets", "crm_leads")
    return polars_peer({n: pl.scan_parquet(folder / f"{n}.parquet") for n in names}, as_of)


def polars_peer(frames, as_of: dt.datetime) -> pd.DataFrame:
    import polars as pl

    lf = {name: f.lazy() for name, f in frames.items()}
    as_of_lit = pl.lit(as_of, dtype=pl.Datetime("ns", "UTC"))

    def month(col: str) -> pl.Expr:
        return pl.col(col).dt.year() * 12 + pl.col(col).dt.month() - 1

    def month_start(m: pl.Expr) -> pl.Expr:
        return pl.datetime(m // 12, m % 12 + 1, 1, time_unit="ns", time_zone="UTC")

    def maint(t: pl.Expr) -> pl.Expr:
        x = t.dt.epoch("s") - MAINT_REF_S
        return (x // WEEK_S) * MAINT_LEN_S + pl.min_horizontal(x % WEEK_S, MAINT_LEN_S)

    lo = (
        pl.concat(
            [
                lf["outages"].select(pl.col("start").min().alias("t")),
                lf["incidents"].select(pl.col("opened").min().alias("t")),
                lf["tickets"].select(pl.col("created").min().alias("t")),
                lf["crm_leads"].select(pl.col("qualified").min().alias("t")),
            ]
        )
        .select(pl.col("t").min())
        .collect()
        .item()
    )
    first = lo.year * 12 + lo.month - 1
    last = as_of.year * 12 + as_of.month - 1
    months = (
        pl.LazyFrame({"month": list(range(first, last + 1))})
        .with_columns(
            period_start=month_start(pl.col("month")),
            period_end=month_start(pl.col("month") + 1),
        )
        .with_columns(measured_end=pl.min_horizontal("period_end", as_of_lit))
    )
    grid = lf["accounts"].select("account").join(months, how="cross")
    measured = months.select(
        "month",
        measured_s=(pl.col("measured_end") - pl.col("period_start")).dt.total_seconds(),
        maint_s=maint(pl.col("measured_end")) - maint(pl.col("period_start")),
    )

    def uptime(service: str, exclude_maintenance: bool, name: str) -> pl.LazyFrame:
        o = (
            lf["outages"]
            .filter((pl.col("service") == service) & ~pl.col("planned"))
            .with_columns(
                pl.min_horizontal(pl.col("end").fill_null(as_of_lit), as_of_lit).alias("end")
            )
            .filter(pl.col("end") > pl.col("start"))
            .sort("account", "start")
            .with_columns(
                prev=pl.col("end").cum_max().shift(1).over("account"),
            )
            .with_columns(
                block=(pl.col("prev").is_null() | (pl.col("start") > pl.col("prev"))).cum_sum()
            )
            .group_by("account", "block")
            .agg(pl.col("start").min(), pl.col("end").max())
            .with_columns(
                month=pl.int_ranges(
                    month("start"),
                    (pl.col("end") - pl.duration(nanoseconds=1)).dt.year() * 12
                    + (pl.col("end") - pl.duration(nanoseconds=1)).dt.month(),
                )
            )
            .explode("month")
            .with_columns(
                s=pl.max_horizontal("start", month_start(pl.col("month"))),
                e=pl.min_horizontal("end", month_start(pl.col("month") + 1)),
            )
            .with_columns(down=(pl.col("e") - pl.col("s")).dt.total_seconds())
        )
        if exclude_maintenance:
            o = o.with_columns(down=pl.col("down") - (maint(pl.col("e")) - maint(pl.col("s"))))
        down = o.group_by("account", "month").agg(pl.col("down").sum())
        m = measured.select(
            "month",
            (pl.col("measured_s") - pl.col("maint_s")).alias("measured")
            if exclude_maintenance
            else pl.col("measured_s").alias("measured"),
        )
        return (
            grid.select("account", "month")
            .join(m, on="month")
            .join(down, on=["account", "month"], how="left")
            .select(
                "account",
                "month",
                pl.when(pl.col("measured") > 0)
                .then(1 - pl.col("down").fill_null(0) / pl.col("measured"))
                .alias(name),
            )
        )

    def share_within(frame, earlier, later, limit_s, name, count=None):
        known = pl.col(later).is_not_null()
        wait = (pl.col(later) - pl.col(earlier)).dt.total_seconds()
        waited = (as_of_lit - pl.col(earlier)).dt.total_seconds()
        aggs = [
            (known & (wait <= limit_s)).sum().alias("ok"),
            (known | (waited > limit_s)).sum().alias("decided"),
        ]
        if count:
            aggs.append(pl.len().alias(count))
        return (
            frame.filter(pl.col(earlier) <= as_of_lit)
            .group_by("account", month(earlier).alias("month"))
            .agg(aggs)
            .with_columns(
                pl.when(pl.col("decided") > 0).then(pl.col("ok") / pl.col("decided")).alias(name)
            )
            .drop("ok", "decided")
        )

    inc = lf["incidents"].filter(pl.col("opened") <= as_of_lit)
    p1 = share_within(
        inc.filter(pl.col("priority") == "P1"), "opened", "responded", LIMIT_P1_S, "p1_response"
    )
    mttr = inc.group_by("account", month("opened").alias("month")).agg(
        (pl.col("resolved") - pl.col("opened"))
        .dt.total_seconds(fractional=True)
        .mean()
        .alias("mttr")
    )
    wait = (pl.col("first_reply") - pl.col("created")).dt.total_seconds().cast(pl.Float64)
    p95 = (
        lf["tickets"]
        .filter(
            (pl.col("channel") == "chat")
            & (pl.col("created") <= as_of_lit)
            & pl.col("first_reply").is_not_null()
        )
        .group_by("account", month("created").alias("month"))
        .agg(  # nearest rank: the ceil(0.95 n)-th smallest (q·n rounded first)
            wait.sort()
            .get((pl.len() * 0.95).round(9).ceil().cast(pl.Int64).clip(lower_bound=1) - 1)
            .alias("chat_p95")
        )
    )
    lead = share_within(
        lf["crm_leads"], "qualified", "contacted", LIMIT_LEAD_S, "contacted_24h", count="volume"
    )

    def met(col: str) -> pl.Expr:
        op, target = TARGETS[col]
        c = pl.col(col)
        return c.is_null() | ((c >= target) if op == ">=" else (c <= target))

    api = pl.col("api_up")
    w = WEIGHTS
    out = (
        grid.select("account", "month", "period_start")
        .join(uptime("api", True, "api_up"), on=["account", "month"], how="left")
        .join(uptime("db", False, "db_up"), on=["account", "month"], how="left")
        .join(p1, on=["account", "month"], how="left")
        .join(mttr, on=["account", "month"], how="left")
        .join(p95, on=["account", "month"], how="left")
        .join(lead, on=["account", "month"], how="left")
        .with_columns(pl.col("volume").fill_null(0).cast(pl.Float64))
        .with_columns(
            availability_met=met("api_up") & met("db_up"),
            availability_credit=pl.when(api < 0.95)
            .then(1.0)
            .when(api < 0.99)
            .then(0.25)
            .when(api < 0.999)
            .then(0.10)
            .otherwise(0.0),
            incidents_met=met("p1_response") & met("mttr"),
            support_met=met("chat_p95"),
            lead_handoff_met=met("contacted_24h") & met("volume"),
        )
        .with_columns(
            incidents_credit=pl.when(pl.col("incidents_met")).then(0.0).otherwise(0.05),
            all_score=(
                (
                    (
                        (
                            pl.lit(0.0)
                            + pl.col("availability_met").cast(pl.Float64) * w["availability"]
                        )
                        + pl.col("incidents_met").cast(pl.Float64) * w["incidents"]
                    )
                    + pl.col("support_met").cast(pl.Float64) * w["support"]
                )
                + pl.col("lead_handoff_met").cast(pl.Float64) * w["lead_handoff"]
            )
            / sum(w.values()),
        )
        .with_columns(
            all_met=pl.col("availability_met")
            & pl.col("incidents_met")
            & (pl.col("all_score") >= 0.8),
            all_credit=pl.min_horizontal(
                pl.col("availability_credit") + pl.col("incidents_credit"), 0.3
            ),
            period=pl.col("period_start").dt.strftime("%Y-%m"),
        )
        .sort("account", "period")
        .select(COLUMNS)
        .collect()
    )
    return out.to_pandas()
