"""Writing result rows: the column-wise writers (engine/writers.py) against one
`json.dumps` / `csv.writer` row per row, the way the rows were written before.

    python -m benchmarks.bench_writers            # 10^6 rows, 5 rounds

10^6 rows of the result table's shape (1,000 accounts × 50 periods × 20 nodes; floats
with the mixture of nulls, integral values and small fractions results have), written to
a temporary file; rounds alternate the two ways. Prints rows/s and the ratio.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import statistics
import tempfile
import time

import numpy as np
import pyarrow as pa

from slagraph.engine.result import FIELDS, Result


def result_table(rows: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    accounts = np.array([f"account-{i:04d}" for i in range(1000)])
    periods = np.array([f"20{20 + i // 12:02d}-{i % 12 + 1:02d}" for i in range(50)])
    nodes = np.array([f"gold.sla{i // 5}.objective{i % 5}" for i in range(20)])

    def floats(null_share: float, scale: float) -> pa.Array:
        v = rng.random(rows) * scale
        v = np.where(rng.random(rows) < 0.3, np.round(v), v)
        return pa.array(np.where(rng.random(rows) < null_share, np.nan, v), from_pandas=True)

    take = rng.integers
    return pa.table(
        {
            "account": pa.array(accounts[take(0, 1000, rows)]),
            "period": pa.array(periods[take(0, 50, rows)]),
            "node": pa.array(nodes[take(0, 20, rows)]),
            "kind": pa.array(np.array(["objective", "sla", "master"])[take(0, 3, rows)]),
            "status": pa.array(np.array(["met", "breached", "at_risk"])[take(0, 3, rows)]),
            "met": pa.array(take(0, 2, rows).astype(bool)),
            "value": floats(0.2, 1.0),
            "target": floats(0.1, 1.0),
            "score": floats(0.5, 1.0),
            "budget_used": floats(0.5, 2.0),
            "credit_pct": floats(0.7, 0.1),
            "credit": floats(0.7, 5000.0),
            "earned_back": pa.array(take(0, 2, rows).astype(bool)),
            "final": pa.array(take(0, 2, rows) > 0),
            "unit": pa.array(np.array(["ratio", "duration", "number"])[take(0, 3, rows)]),
        }
    )


def per_row_jsonl(result: Result, out: io.BufferedWriter) -> None:
    for row in result.iter_rows():
        out.write((json.dumps(row, ensure_ascii=False) + "\n").encode())


def per_row_csv(result: Result, out: io.BufferedWriter) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.DictWriter(text, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in result.iter_rows():
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    text.flush()
    text.detach()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    result = Result(result_table(args.rows), [], {}, 0)
    ways = {
        "jsonl, column-wise": result.write_jsonl,
        "jsonl, json.dumps per row": lambda out: per_row_jsonl(result, out),
        "csv, column-wise": result.write_csv,
        "csv, csv.writer per row": lambda out: per_row_csv(result, out),
        "json document, column-wise": result.write_json,
    }
    times: dict[str, list[float]] = {name: [] for name in ways}
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "out")
        for _ in range(args.rounds):
            for name, write in ways.items():
                with open(path, "wb") as out:
                    began = time.perf_counter()
                    write(out)
                    out.flush()
                    times[name].append(time.perf_counter() - began)
    print(f"{args.rows:,} rows, {args.rounds} rounds, load {os.getloadavg()[0]:.1f}")
    for name, seconds in times.items():
        median = statistics.median(seconds)
        print(
            f"{name:28} median {median:6.2f} s  min {min(seconds):6.2f} s  "
            f"{args.rows / median / 1e6:5.2f} M rows/s"
        )


if __name__ == "__main__":
    main()
