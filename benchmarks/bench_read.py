"""Reading event tables: slagraph `load` against pyarrow reading the same file alone.

    BENCH_READ_ROWS=10000000 python -m pytest benchmarks/bench_read.py --benchmark-only

The files (account text, service text, start/end time, a number) are generated once per
size and cached under benchmarks/.cache/ (gitignored). The default size is 1M rows so the
suite iterates quickly; the 10M figures in docs/performance.md were measured with the env
var above. The target: `load` within 1.5x of pyarrow alone for Parquet and CSV.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from slagraph.data import ColumnSpec, StreamSchema, load

ROWS = int(os.environ.get("BENCH_READ_ROWS", "1000000"))
CACHE = Path(__file__).parent / ".cache"

SCHEMA = StreamSchema(
    "outages",
    (
        ColumnSpec("account", "text"),
        ColumnSpec("service", "text"),
        ColumnSpec("start", "time"),
        ColumnSpec("end", "time", nullable=True),
        ColumnSpec("value", "number"),
    ),
    "outages",
)


def _table(n: int) -> pa.Table:
    rng = np.random.default_rng(7)
    start = np.int64(1_767_225_600) * 10**9 + rng.integers(0, 365 * 86_400, n) * 10**9
    end = start + rng.integers(0, 4 * 3600, n) * 10**9
    return pa.table(
        {
            "account": pa.array(np.char.add("acct", rng.integers(0, 5000, n).astype(str))),
            "service": pa.array(np.array(["api", "db", "web", "queue"])[rng.integers(0, 4, n)]),
            "start": pa.array(start, pa.timestamp("ns", "UTC")),
            "end": pa.array(end, pa.timestamp("ns", "UTC")),
            "value": pa.array(rng.random(n) * 100),
        }
    )


def dataset_dir(fmt: str, n: int = ROWS) -> Path:
    """A folder holding only outages.<fmt> with n rows, generated once."""
    folder = CACHE / f"{fmt}-{n}"
    path = folder / f"outages.{fmt}"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        table = _table(n)
        tmp = folder / f"tmp.{fmt}"
        if fmt == "parquet":
            pq.write_table(table, tmp)
        else:
            pcsv.write_csv(table, tmp)  # ISO-8601 with a Z suffix
        tmp.rename(path)
    return folder


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_pyarrow_alone(benchmark, fmt):
    folder = dataset_dir(fmt)
    path = folder / f"outages.{fmt}"
    read = pq.read_table if fmt == "parquet" else pcsv.read_csv
    benchmark.group = f"read {fmt} {ROWS:,} rows"
    table = benchmark.pedantic(read, args=(path,), rounds=3, iterations=1, warmup_rounds=1)
    assert table.num_rows == ROWS


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_slagraph_load(benchmark, fmt):
    folder = dataset_dir(fmt)
    benchmark.group = f"read {fmt} {ROWS:,} rows"
    data = benchmark.pedantic(
        load, args=(folder, [SCHEMA]), rounds=3, iterations=1, warmup_rounds=1
    )
    assert len(data.tables["outages"]) == ROWS
