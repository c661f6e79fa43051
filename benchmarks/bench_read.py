"""Reading event tables: slagraph `load` against pyarrow reading the same file alone.

    BENCH_READ_ROWS=10000000 python -m pytest benchmarks/bench_read.py --benchmark-only

The files (account text, service text, start/end time, a number) are generated once per
size and cached under benchmarks/.cache/ (gitignored; BENCH_READ_CACHE=DIR puts them
elsewhere, e.g. /tmp: the 10M CSV is ~1 GB and takes ~1 min to write). The default size
is 1M rows so the suite iterates quickly; the 10M figures in docs/performance.md were
measured with the env var above. The target: `load` within 1.5x of pyarrow alone for
Parquet and CSV.
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
CACHE = Path(os.environ.get("BENCH_READ_CACHE", Path(__file__).parent / ".cache"))

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


def pyarrow_alone(path: Path) -> pa.Table:
    """The baseline: pyarrow reading the file alone, no options."""
    return pq.read_table(path) if path.suffix == ".parquet" else pcsv.read_csv(path)


# One test, the tools inside the format: each pair runs back to back, so a change in the
# shared machine's load between formats does not skew a ratio.
@pytest.mark.parametrize("tool", ["pyarrow", "slagraph"])
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_read(benchmark, fmt, tool):
    folder = dataset_dir(fmt)
    benchmark.group = f"read {fmt} {ROWS:,} rows"
    if tool == "pyarrow":
        run, args = pyarrow_alone, (folder / f"outages.{fmt}",)
    else:
        run, args = load, (folder, [SCHEMA])
    result = benchmark.pedantic(run, args=args, rounds=3, iterations=1, warmup_rounds=1)
    rows = result.num_rows if tool == "pyarrow" else len(result.tables["outages"])
    assert rows == ROWS
