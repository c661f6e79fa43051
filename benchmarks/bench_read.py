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
import statistics
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from slagraph.data import ColumnSpec, StreamSchema, load

ROWS = int(os.environ.get("BENCH_READ_ROWS", "1000000"))
PAIRS = int(os.environ.get("BENCH_READ_PAIRS", "5"))  # rounds of the interleaved test
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


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_read_interleaved(benchmark, fmt):
    """The same comparison with the two tools alternating, round by round (pyarrow, then
    slagraph): on a machine whose speed drifts, each ratio compares neighbours in time.
    Each round is timed as a pair; the per-round ratios are printed with `-s` and kept in
    the benchmark's extra_info (`--benchmark-json`)."""
    folder = dataset_dir(fmt)
    path = folder / f"outages.{fmt}"
    benchmark.group = f"read {fmt} {ROWS:,} rows, interleaved"
    pairs: list[tuple[float, float]] = []

    def pair() -> None:
        start = time.perf_counter()
        alone = pyarrow_alone(path)
        middle = time.perf_counter()
        data = load(folder, [SCHEMA])
        pairs.append((middle - start, time.perf_counter() - middle))
        assert alone.num_rows == len(data.tables["outages"]) == ROWS

    benchmark.pedantic(pair, rounds=PAIRS, iterations=1, warmup_rounds=1)
    timed = pairs[1:]  # the warm-up pair is not a round
    ratios = [ours / alone for alone, ours in timed]
    benchmark.extra_info["pyarrow_s"] = [round(a, 3) for a, _ in timed]
    benchmark.extra_info["slagraph_s"] = [round(b, 3) for _, b in timed]
    benchmark.extra_info["ratio_median"] = round(statistics.median(ratios), 3)
    print(
        f"\n{fmt}: pyarrow {[round(a, 2) for a, _ in timed]} s, "
        f"slagraph {[round(b, 2) for _, b in timed]} s, "
        f"ratio per round {[round(r, 2) for r in ratios]}, median {statistics.median(ratios):.2f}, "
        f"quartiles {[round(q, 2) for q in statistics.quantiles(ratios, n=4)]}"
    )
