"""One Dask partition's read from PostgreSQL: the pushed-down `WHERE account = ANY($1)`
against reading the whole table and cutting it (docs/performance.md, "Database
partitions"). A throwaway server (tests/postgres_server.py), 400,000 rows of 40
accounts; the partition holds 5 of them (1/8). Alternating rounds, medians.

    PYTHONPATH=. python benchmarks/pushdown_postgres.py
"""

from __future__ import annotations

import os
import statistics
import time

import pyarrow as pa

import slagraph
from slagraph.data.partitions import Subset
from tests import postgres_server

MODEL = """
stream tickets { account: text, opened: time, cost: number }
sla s { period monthly timezone "UTC" objective c = sum(tickets, cost) <= 5 }
"""
ROWS = 400_000
ROUNDS = 7


def main() -> None:
    import adbc_driver_postgresql.dbapi as dbapi

    schema = slagraph.compile(MODEL).ir.streams["tickets"]
    with postgres_server.running() as server:
        with dbapi.connect(server.uri(), autocommit=True) as con, con.cursor() as cur:
            cur.execute(
                "CREATE TABLE tickets (id bigint PRIMARY KEY, account text, "
                "opened timestamptz, cost double precision)"
            )
            cur.execute(
                "INSERT INTO tickets SELECT g, 'acct' || lpad((g % 40)::text, 2, '0'), "
                "timestamptz '2026-01-01' + g * interval '10 seconds', (g % 7)::float "
                f"FROM generate_series(1, {ROWS}) g"
            )
        subset = Subset(server.uri(), pa.array([f"acct{i:02d}" for i in range(0, 40, 8)]))

        def pushed() -> int:
            reader = subset.open_reader()
            try:
                return int(reader.read(schema).table.num_rows)
            finally:
                reader.close()

        def whole() -> int:
            reader = subset.open_reader()
            try:
                assert reader.inner is not None
                return int(subset.filter(reader.inner.read(schema), schema).table.num_rows)
            finally:
                reader.close()

        a, b = [], []
        for _ in range(ROUNDS):
            t = time.perf_counter()
            kept = pushed()
            a.append(time.perf_counter() - t)
            t = time.perf_counter()
            assert kept == whole()
            b.append(time.perf_counter() - t)
    pa_ms, wh_ms = statistics.median(a) * 1000, statistics.median(b) * 1000
    print(f"rows kept {kept:,} of {ROWS:,}: pushed {pa_ms:.0f} ms, whole and cut {wh_ms:.0f} ms")
    print(f"ratio whole/pushed {wh_ms / pa_ms:.2f}; {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main()
