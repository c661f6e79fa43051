"""`records` against `eval` on the same data, in the same run (issue: records within 2×).

    python -m benchmarks.bench_records                 # 10^7 events, 3 rounds
    python -m benchmarks.bench_records --events 1e6

Generated SPEC data (benchmarks/generate.py, cached), the SPEC subset model
(benchmarks/spec_subset.sla). Rounds alternate:

* `evaluate`: `Model.evaluate` on the in-memory tables;
* `records`: `Result.records` of the objectives with the most records — every incident
  behind `all.incidents.p1_response` and every ticket behind `all.support.chat_p95`,
  over every account and period — on the result of that evaluation;
* the whole processes: `slagraph eval … --format jsonl` and `slagraph records … --format
  jsonl` on the Parquet folder, start to last byte written to a file.

Prints medians and the ratios; docs/performance.md records them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import harness
from benchmarks.generate import cached

NODES = ("all.incidents.p1_response", "all.support.chat_p95")
SUBSET = Path(__file__).with_name("spec_subset.sla")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=float, default=1e7)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    events = int(args.events)
    folder, tables, as_of = cached(events)
    model = harness.subset_model()
    as_of_text = as_of.isoformat() if hasattr(as_of, "isoformat") else str(as_of)
    times: dict[str, list[float]] = {
        "evaluate (API)": [],
        "records (API)": [],
        "slagraph eval": [],
        "slagraph records": [],
    }
    rows = {}
    model.evaluate(tables, as_of=as_of)  # warm: imports, lark tables, first-call costs
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.jsonl")
        for _ in range(args.rounds):
            began = time.perf_counter()
            result = model.evaluate(tables, as_of=as_of)
            times["evaluate (API)"].append(time.perf_counter() - began)
            began = time.perf_counter()
            for node in NODES:
                rows[node] = result.records(node).num_rows
            times["records (API)"].append(time.perf_counter() - began)
            for command in ("eval", "records"):
                argv = [sys.executable, "-m", "slagraph", command, str(SUBSET)]
                if command == "records":
                    argv.append(NODES[0])
                argv += ["--data", str(folder), "--as-of", as_of_text, "--format", "jsonl"]
                began = time.perf_counter()
                with open(out, "wb") as sink:
                    subprocess.run(argv, stdout=sink, check=True)
                times[f"slagraph {command}"].append(time.perf_counter() - began)
    medians = {name: statistics.median(t) for name, t in times.items()}
    print(f"{events:,} events, {args.rounds} rounds, load {os.getloadavg()[0]:.1f}")
    print("records listed: " + ", ".join(f"{n} {r:,}" for n, r in rows.items()))
    for name, median in medians.items():
        print(f"{name:18} median {median:6.2f} s  min {min(times[name]):6.2f} s")
    print(
        f"records / evaluate (API): {medians['records (API)'] / medians['evaluate (API)']:.2f}×; "
        f"slagraph records / slagraph eval: "
        f"{medians['slagraph records'] / medians['slagraph eval']:.2f}×"
    )


if __name__ == "__main__":
    main()
