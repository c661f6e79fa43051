"""Reading a stream from PostgreSQL against the floor a user could reach by hand: `COPY …
TO STDOUT` of the same columns, piped by `psql` into `pyarrow.csv` (docs/performance.md,
"PostgreSQL reads"). A throwaway server (tests/postgres_server.py) holds ROWS tickets
with a primary key; slagraph reads them with `slagraph.data.load` (the declared columns
in primary-key order through ADBC, then the same validation as files). The two alternate
round by round, in fresh connections.

    PYTHONPATH=. python -m benchmarks.bench_postgres_read [--rows 1e7] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time

import pyarrow as pa
import pyarrow.csv as pv

import slagraph
from slagraph.data import load
from tests import postgres_server

MODEL = """
stream tickets { account: text, priority: text, opened: time, solved: time?, cost: number }
sla s { period monthly timezone "UTC" objective c = sum(tickets, cost) <= 5 }
"""
COLUMNS = ["account", "priority", "opened", "solved", "cost"]
TYPES = {
    "account": pa.string(),
    "priority": pa.string(),
    "opened": pa.timestamp("us", tz="UTC"),
    "solved": pa.timestamp("us", tz="UTC"),
    "cost": pa.float64(),
}


def fill(server: postgres_server.Server, rows: int) -> None:
    import adbc_driver_postgresql.dbapi as dbapi

    with dbapi.connect(server.uri(), autocommit=True) as con, con.cursor() as cur:
        cur.execute(
            "CREATE TABLE tickets (id bigint PRIMARY KEY, account text, priority text, "
            "opened timestamptz, solved timestamptz, cost double precision)"
        )
        cur.execute(
            "INSERT INTO tickets SELECT g, 'acct' || lpad((g % 4000)::text, 4, '0'), "
            "'P' || (1 + g % 4)::text, timestamptz '2026-01-01' + g * interval '3 seconds', "
            "CASE WHEN g % 10 = 0 THEN NULL "
            "ELSE timestamptz '2026-01-01' + g * interval '3 seconds' + (g % 97) * interval "
            "'1 minute' END, (g % 7)::float FROM generate_series(1, "
            f"{rows}) g"
        )
        cur.execute("VACUUM ANALYZE tickets")


def copy_floor(server: postgres_server.Server) -> int:
    """`psql -c "COPY (SELECT …) TO STDOUT (FORMAT csv)"` read by pyarrow's CSV reader."""
    psql = postgres_server.bindir() / "psql"  # type: ignore[operator]
    select = f"SELECT {', '.join(COLUMNS)} FROM tickets ORDER BY id"
    env = {**os.environ, "PGPASSWORD": postgres_server.PASSWORD}
    proc = subprocess.Popen(
        [
            str(psql), "-X", "-q", "-h", server.host, "-p", str(server.port),
            "-U", postgres_server.USER, "-d", postgres_server.DATABASE,
            "-c", f"COPY ({select}) TO STDOUT (FORMAT csv)",
        ],
        stdout=subprocess.PIPE,
        env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    table = pv.read_csv(
        proc.stdout,
        read_options=pv.ReadOptions(column_names=COLUMNS, block_size=1 << 24),
        convert_options=pv.ConvertOptions(column_types=TYPES),
    )
    if proc.wait() != 0:
        raise RuntimeError("psql failed")
    return int(table.num_rows)


def slagraph_read(server: postgres_server.Server) -> int:
    schema = slagraph.compile(MODEL).ir.streams["tickets"]
    data = load(server.uri(), [schema])
    return len(data.tables["tickets"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e7)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows = int(args.rows)
    with postgres_server.running() as server:
        started = time.perf_counter()
        fill(server, rows)
        print(f"filled {rows:,} rows in {time.perf_counter() - started:.1f} s", flush=True)
        tools = {"slagraph load": slagraph_read, "COPY → pyarrow.csv": copy_floor}
        times: dict[str, list[float]] = {name: [] for name in tools}
        for name, run in tools.items():  # untimed warm-up: the table in the server's cache
            assert run(server) == rows, name
        for round_ in range(args.rounds):
            for name, run in tools.items() if round_ % 2 == 0 else reversed(tools.items()):
                started = time.perf_counter()
                got = run(server)
                times[name].append(time.perf_counter() - started)
                assert got == rows, (name, got)
        for name, values in times.items():
            print(f"{name}: median {statistics.median(values):.2f} s, min {min(values):.2f} s")
        ratio = statistics.median(times["slagraph load"]) / statistics.median(
            times["COPY → pyarrow.csv"]
        )
        print(f"slagraph ÷ COPY (medians): {ratio:.2f}×")


if __name__ == "__main__":
    main()
