"""Clocks (SPEC §6.2) at 10^7 status events: slagraph against the pandas a user would write.

    python -m benchmarks.bench_clocks                 # 10^6 tickets, 10^7 events, ~15 min
    python -m benchmarks.bench_clocks --tickets 1e5 --rounds 2     # quick

Data: `benchmarks/clocks_data.py` (seeded, vectorised; 10 events a ticket, 40 accounts,
pauses, reopens, handoffs, ties, open cycles at as-of), kept as Parquet under
benchmarks/.cache/clocks-N/ (or `BENCH_CLOCKS_CACHE`). Model: benchmarks/clocks.sla (SPEC
§6.2's clock in Santiago business hours, Mon–Fri 09:00–18:00, Chilean holidays; seven
objectives per account × month). Peer: benchmarks/clocks_pandas.py.

1. **Check first** (`--check-tickets`, default 20,000 tickets, 200,000 events): every
   cycle's started, stopped, elapsed, paused, account and priority equal between the
   engine's clock table and the pandas script's, and the seven objective values of every
   (account, month) equal (1e-9 relative). The run stops if they do not.
2. **In memory**: `model.evaluate({"changes": table}, as_of=...)` on the Arrow table as
   generated (plain strings) against `clocks_pandas.objectives(clocks_pandas.cycles(df))`
   on `table.to_pandas()`; one untimed run of each, then rounds of slagraph, pandas.
3. **Whole processes** from the same Parquet file: `slagraph eval benchmarks/clocks.sla
   --data DIR --as-of … --format jsonl > file` against `python benchmarks/clocks_pandas.py
   DIR > file`, alternating, start to exit (the last byte written); peak RSS of each child
   from `os.wait4`.

Load average (`os.getloadavg`) is printed with every round: this 2-core VM is shared.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import slagraph
from benchmarks import clocks_pandas
from benchmarks.clocks_data import AS_OF, generate, write

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "benchmarks" / "clocks.sla"
PANDAS_SCRIPT = ROOT / "benchmarks" / "clocks_pandas.py"
AS_OF_TEXT = "2026-12-31T00:00:00-03:00"
assert pd.Timestamp(AS_OF_TEXT) == pd.Timestamp(AS_OF)


def cached(tickets: int) -> Path:
    """The folder holding changes.parquet for `tickets` tickets (generated once)."""
    base = Path(os.environ.get("BENCH_CLOCKS_CACHE", ROOT / "benchmarks" / ".cache"))
    folder = base / f"clocks-{tickets}"
    if not (folder / "changes.parquet").exists():
        write(generate(tickets), folder)
    return folder


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


# ------------------------------------------------------------------ the check


def engine_cycles(model: slagraph.Model, table: pa.Table) -> pd.DataFrame:
    """The engine's clock table (one row per ticket and cycle), via the engine's own
    context: what the objectives are computed from."""
    from slagraph.engine import known_at, load_for
    from slagraph.engine.context import Context

    data = load_for(model.ir, {"changes": table})
    k = known_at(model.ir, data, AS_OF)
    ctx = Context(model.ir, k.data, k.as_of, k.lo, extremes=k.extremes, through=k.through)
    t = ctx.table("resolution")
    c = t.columns

    def text(name: str) -> np.ndarray:
        return np.asarray(c[name].dictionary, dtype=object)[c[name].values]

    stopped = pd.to_datetime(c["stopped"].values, utc=True).where(c["stopped"].is_valid())
    return pd.DataFrame(
        {
            "ticket": text("ticket"),
            "cycle": c["cycle"].values.astype(np.int64),
            "started": pd.to_datetime(c["started"].values, utc=True),
            "stopped": stopped,
            "elapsed": c["elapsed"].values,  # so far, for an open cycle
            "paused": c["paused"].values,
            "account": text("account"),
            "priority": text("priority"),
        }
    )


def engine_objectives(result: Any) -> pd.DataFrame:
    rows = result.to_pandas()
    rows = rows[rows["kind"] == "objective"].copy()
    rows["objective"] = rows["node"].str.split(".").str[-1]
    wide = rows.pivot(index=["account", "period"], columns="objective", values="value")
    return wide[list(clocks_pandas.OBJECTIVES)].astype("float64")


def compare(model: slagraph.Model, table: pa.Table) -> dict[str, int]:
    """Raise unless slagraph and the pandas script agree cycle by cycle and objective by
    objective; return what was compared."""
    df = table.to_pandas()
    as_of = pd.Timestamp(AS_OF)
    ours = engine_cycles(model, table).sort_values(["ticket", "cycle"]).reset_index(drop=True)
    theirs = clocks_pandas.cycles(df, as_of).sort_values(["ticket", "cycle"])
    theirs = theirs[list(ours.columns)].reset_index(drop=True)
    theirs["account"] = theirs["account"].astype(object)
    theirs["priority"] = theirs["priority"].astype(object)
    theirs["ticket"] = theirs["ticket"].astype(object)
    if len(ours) != len(theirs):
        raise AssertionError(f"cycles: slagraph {len(ours)}, pandas {len(theirs)}")
    for name in ours.columns:
        a, b = ours[name], theirs[name]
        same = (a == b) | (a.isna() & b.isna())
        if not same.all():
            bad = int(np.flatnonzero(~same.to_numpy())[0])
            raise AssertionError(
                f"cycle column {name!r} differs, first at {ours.iloc[bad].to_dict()} "
                f"against {theirs.iloc[bad].to_dict()}"
            )
    engine = engine_objectives(model.evaluate({"changes": table}, as_of=AS_OF))
    peer = clocks_pandas.objectives(clocks_pandas.cycles(df, as_of))
    peer = peer.set_index(["account", "period"]).reindex(engine.index)
    peer[["open", "cycles"]] = peer[["open", "cycles"]].fillna(0.0)  # counts of no cycles
    a, b = engine.to_numpy(), peer[list(clocks_pandas.OBJECTIVES)].to_numpy(np.float64)
    close = np.isclose(a, b, rtol=1e-9, atol=0) | (np.isnan(a) & np.isnan(b))
    if not close.all():
        i, j = (int(x[0]) for x in np.nonzero(~close))
        raise AssertionError(
            f"objective {clocks_pandas.OBJECTIVES[j]} of {engine.index[i]}: "
            f"slagraph {a[i, j]}, pandas {b[i, j]}"
        )
    return {
        "events": table.num_rows,
        "cycles": len(ours),
        "open cycles": int(ours["stopped"].isna().sum()),
        "reopened": int((ours["cycle"] > 1).sum()),
        "cells": int(close.size),
    }


# ------------------------------------------------------------------ in memory


def in_memory(folder: Path, rounds: int) -> dict[str, list[float]]:
    table = pq.read_table(folder / "changes.parquet").combine_chunks()
    df = table.to_pandas()
    model = slagraph.load(MODEL)
    as_of = pd.Timestamp(AS_OF)
    tools = {
        "slagraph": lambda: model.evaluate({"changes": table}, as_of=AS_OF),
        "pandas": lambda: clocks_pandas.objectives(clocks_pandas.cycles(df, as_of)),
    }
    for fn in tools.values():  # untimed: imports, caches, first-touch pages
        fn()
    times: dict[str, list[float]] = {name: [] for name in tools}
    for i in range(rounds):
        for name, fn in tools.items():
            gc.collect()
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
        print(
            f"in memory, round {i + 1}: slagraph {times['slagraph'][-1]:.2f} s, "
            f"pandas {times['pandas'][-1]:.2f} s, load {load()}",
            flush=True,
        )
    return times


# ------------------------------------------------------------------ processes


def _child(command: list[str], out: Path) -> tuple[float, int]:
    """(wall seconds from start to exit, peak RSS bytes) of one child writing to `out`.

    The peak comes from `/usr/bin/time -f %M` (GNU time, the child's own `ru_maxrss`):
    a child forked from this process directly would report this process's RSS at the
    fork when that is higher (Linux carries the high-water mark across exec)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    report = out.with_suffix(".time")
    with open(out, "wb") as sink:
        start = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", str(report), *command],
            stdout=sink,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        wall = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"{command}: exit {done.returncode}: {done.stderr.decode()}")
    return wall, int(report.read_text().split()[-1]) * 1024


def commands(folder: Path) -> dict[str, list[str]]:
    cli = str(Path(sys.executable).with_name("slagraph"))
    return {
        "slagraph": [cli, "eval", str(MODEL), "--data", str(folder), "--as-of", AS_OF_TEXT]
        + ["--format", "jsonl"],
        "pandas": [sys.executable, str(PANDAS_SCRIPT), str(folder), "--as-of", AS_OF_TEXT],
    }


def processes(folder: Path, rounds: int, scratch: Path) -> dict[str, Any]:
    check = [sys.executable, "-c", "import slagraph; print(slagraph.__file__)"]
    where = subprocess.run(
        check, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    ).stdout.strip()
    assert where.startswith(str(ROOT)), f"the child would import {where}"
    times: dict[str, list[float]] = {"slagraph": [], "pandas": []}
    peaks: dict[str, list[int]] = {"slagraph": [], "pandas": []}
    sizes: dict[str, int] = {}
    for i in range(rounds):
        order = list(commands(folder).items())
        for name, command in order if i % 2 == 0 else order[::-1]:
            out = scratch / f"{name}.jsonl"
            wall, peak = _child(command, out)
            times[name].append(wall)
            peaks[name].append(peak)
            sizes[name] = out.stat().st_size
        print(
            f"processes, round {i + 1}: slagraph {times['slagraph'][-1]:.2f} s "
            f"({peaks['slagraph'][-1] / 2**20:,.0f} MiB), pandas {times['pandas'][-1]:.2f} s "
            f"({peaks['pandas'][-1] / 2**20:,.0f} MiB), load {load()}",
            flush=True,
        )
    return {"times": times, "peaks": peaks, "sizes": sizes}


# ------------------------------------------------------------------ report


def summary(name: str, times: dict[str, list[float]]) -> list[str]:
    s, p = np.asarray(times["slagraph"]), np.asarray(times["pandas"])
    ratios = p / s
    return [
        f"| {name} | {statistics.median(s):.2f} s ({s.min():.2f}–{s.max():.2f}) "
        f"| {statistics.median(p):.2f} s ({p.min():.2f}–{p.max():.2f}) "
        f"| {statistics.median(p) / statistics.median(s):.1f}× "
        f"| {ratios.min():.1f}–{ratios.max():.1f}× |"
    ]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench_clocks", description=__doc__)
    p.add_argument("--tickets", type=float, default=1e6)
    p.add_argument("--check-tickets", type=float, default=2e4)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--skip", choices=("memory", "processes"), action="append", default=[])
    args = p.parse_args(argv)
    print(f"start {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, load {load()}", flush=True)
    checked = compare(slagraph.load(MODEL), generate(int(args.check_tickets)))
    print(f"check: slagraph and pandas agree: {checked}", flush=True)
    folder = cached(int(args.tickets))
    events = pq.ParquetFile(folder / "changes.parquet").metadata.num_rows
    print(f"data: {folder} ({events:,} events)", flush=True)
    lines = [
        "| measurement | slagraph: median (min–max) | pandas: median (min–max) "
        "| pandas ÷ slagraph (medians) | per-round ratios |",
        "|---|---|---|---|---|",
    ]
    if "memory" not in args.skip:
        lines += summary(
            "in memory: `evaluate` vs `cycles` + `objectives`", in_memory(folder, args.rounds)
        )
    if "processes" not in args.skip:
        scratch = folder / "out"
        scratch.mkdir(exist_ok=True)
        got = processes(folder, args.rounds, scratch)
        lines += summary("whole process from Parquet, to the last byte", got["times"])
        peaks = {k: max(v) / 2**20 for k, v in got["peaks"].items()}
        lines.append(
            f"\npeak RSS of the processes: slagraph {peaks['slagraph']:,.0f} MiB, "
            f"pandas {peaks['pandas']:,.0f} MiB; output: slagraph "
            f"{got['sizes']['slagraph']:,} bytes of JSONL, pandas {got['sizes']['pandas']:,}"
        )
    print(f"\n{events:,} events, end {time.strftime('%H:%M:%S')}, load {load()}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
