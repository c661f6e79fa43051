"""Shared pieces of the evaluation benchmarks (bench_evaluate.py, compare.py).

* the two models: the SPEC example model in full, and benchmarks/spec_subset.sla (what the
  peers compute too);
* the runners, each `prepare(tables, as_of) -> state` (untimed: converting the generated
  Arrow tables to the tool's own in-memory form) and `run(state)` (timed);
* the numpy floor of REFERENCES.md: one `np.bincount` pass over group ids, giving count,
  breaches and mean per (account, period) for the same records;
* peak memory of one run, measured in a child process from /proc (VmHWM after resetting
  it with /proc/self/clear_refs), since tracemalloc does not see Arrow, DuckDB or Polars
  allocations.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import slagraph
from benchmarks import peers

ROOT = Path(__file__).resolve().parents[1]
SUBSET_PATH = ROOT / "benchmarks" / "spec_subset.sla"
SPEC_PATH = ROOT / "examples" / "spec" / "model.sla"
NS = 1_000_000_000


def spec_model_text() -> str:
    """The SPEC example model, with `end: time?` on outages so that a still-open outage
    (null end, SPEC §3.1) is valid data; nothing else changes."""
    text = SPEC_PATH.read_text(encoding="utf-8")
    fixed = text.replace("end: time,", "end: time?,", 1)
    assert fixed != text, "the SPEC model's outages stream changed; update spec_model_text"
    return fixed


def subset_model() -> slagraph.Model:
    return slagraph.load(SUBSET_PATH)


def spec_model() -> slagraph.Model:
    return slagraph.compile(spec_model_text(), "spec_model.sla")


# ------------------------------------------------------------------------ the floor

FLOOR_STREAMS = {  # stream: (earlier, later, limit seconds) of a duration per record
    "outages": ("start", "end", 3600),
    "incidents": ("opened", "responded", 15 * 60),
    "tickets": ("created", "first_reply", 120),
    "crm_leads": ("qualified", "contacted", 86400),
}


def _codes(column: pa.ChunkedArray, names: pa.Array) -> np.ndarray:
    return pc.index_in(column, value_set=names).to_numpy(zero_copy_only=False)


def _ns(column: pa.ChunkedArray) -> np.ndarray:
    return column.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)


def floor_inputs(tables: dict[str, pa.Table], as_of: dt.datetime) -> dict[str, Any]:
    """Every record of the four streams as plain numpy: account code, placing time (ns),
    duration (s, NaN when open) and its limit. Building this is not timed."""
    names = tables["accounts"].column("account").combine_chunks()
    acc, t, dur, limit = [], [], [], []
    for stream, (earlier, later, lim) in FLOOR_STREAMS.items():
        table = tables[stream]
        e = _ns(table.column(earlier))
        late = table.column(later)
        d = (_ns(late) - e) / NS
        d[late.is_null().to_numpy(zero_copy_only=False)] = np.nan
        acc.append(_codes(table.column("account"), names))
        t.append(e)
        dur.append(d)
        limit.append(np.full(len(e), float(lim)))
    t_all = np.concatenate(t)
    months = _month_bounds(int(t_all.min()), int(as_of.timestamp()) * NS)
    return {
        "account": np.concatenate(acc).astype(np.int64),
        "time": t_all,
        "duration": np.concatenate(dur),
        "limit": np.concatenate(limit),
        "bounds": months,
        "accounts": len(names),
    }


def _month_bounds(lo: int, hi: int) -> np.ndarray:
    first = np.datetime64(lo, "ns").astype("datetime64[M]")
    last = np.datetime64(hi, "ns").astype("datetime64[M]")
    months = np.arange(first, last + 2, dtype="datetime64[M]")
    return months.astype("datetime64[ns]").astype(np.int64)


def floor_groups(f: dict[str, Any]) -> dict[str, Any]:
    """Group ids (account × month) precomputed: the input of the bincount floor."""
    periods = len(f["bounds"]) - 1
    period = np.searchsorted(f["bounds"], f["time"], side="right") - 1
    known = ~np.isnan(f["duration"])
    return {
        "group": f["account"] * periods + period,
        "breach": (f["duration"] > f["limit"]).astype(np.float64),
        "value": np.where(known, f["duration"], 0.0),
        "known": known.astype(np.float64),
        "size": f["accounts"] * periods,
    }


def floor(g: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The floor: count, breaches and mean per (account, period) in one bincount pass each
    (REFERENCES.md: numpy bincount 0.22 s for 10 M rows, 48,000 groups)."""
    group, size = g["group"], g["size"]
    count = np.bincount(group, minlength=size)
    breaches = np.bincount(group, weights=g["breach"], minlength=size)
    total = np.bincount(group, weights=g["value"], minlength=size)
    known = np.bincount(group, weights=g["known"], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / known
    return count, breaches, mean


def floor_with_placing(f: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The floor plus placing each record in its month (a searchsorted) and forming the
    group id: what any evaluator must do at least once per record."""
    return floor(floor_groups(f))


# ------------------------------------------------------------------------ runners

Runner = tuple[Callable[[dict[str, pa.Table], dt.datetime], Any], Callable[[Any], Any]]


def _slagraph(model_fn: Callable[[], slagraph.Model]) -> Runner:
    def prepare(tables: dict[str, pa.Table], as_of: dt.datetime) -> Any:
        return model_fn(), tables, as_of

    def run(state: Any) -> Any:
        model, tables, as_of = state
        return model.evaluate(tables, as_of=as_of)

    return prepare, run


def _peer(name: str) -> Runner:
    def prepare(tables: dict[str, pa.Table], as_of: dt.datetime) -> Any:
        return getattr(peers, f"prepare_{name}")(tables), as_of

    def run(state: Any) -> Any:
        native, as_of = state
        return getattr(peers, f"{name}_peer")(native, as_of)

    return prepare, run


def _one_thread(runner: Runner) -> Runner:
    """The same runner with slagraph's worker threads off (`SLAGRAPH_THREADS=1`)."""
    prepare, run = runner

    def run_one(state: Any) -> Any:
        before = os.environ.get("SLAGRAPH_THREADS")
        os.environ["SLAGRAPH_THREADS"] = "1"
        try:
            return run(state)
        finally:
            if before is None:
                del os.environ["SLAGRAPH_THREADS"]
            else:
                os.environ["SLAGRAPH_THREADS"] = before

    return prepare, run_one


IN_MEMORY: dict[str, Runner] = {
    "slagraph": _slagraph(subset_model),
    "slagraph (1 thread)": _one_thread(_slagraph(subset_model)),
    "slagraph (full SPEC model)": _slagraph(spec_model),
    "numpy floor (bincount)": (lambda t, a: floor_groups(floor_inputs(t, a)), floor),
    "numpy floor + placing": (floor_inputs, floor_with_placing),
    "pandas": _peer("pandas"),
    "DuckDB": _peer("duckdb"),
    "Polars": _peer("polars"),
}

FROM_PARQUET: dict[str, Callable[[Path, dt.datetime], Any]] = {
    "slagraph": lambda folder, as_of: subset_model().evaluate(folder, as_of=as_of),
    "slagraph (full SPEC model)": lambda folder, as_of: spec_model().evaluate(folder, as_of=as_of),
    "pandas": peers.pandas_parquet,
    "DuckDB": peers.duckdb_parquet,
    "Polars": peers.polars_parquet,
}


def median_time(fn: Callable[[], Any], rounds: int, warmup: int = 1) -> tuple[float, float]:
    """(median, min) seconds of `rounds` calls after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), float(min(times))


# ------------------------------------------------------------------------ memory


def _status(key: str) -> int:
    """A /proc/self/status figure in bytes (VmRSS, VmHWM)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS
        return True
    except OSError:
        return False


def measure_memory_here(tool: str, events: int, mode: str) -> dict[str, float]:
    """In this process: peak RSS of one run of `tool`, and the RSS before it.

    mode "parquet": read the cached Parquet files and evaluate (peak of the whole job);
    mode "memory": the inputs are loaded first; the figure is the peak above them."""
    from benchmarks.generate import as_of_for, cache_dir, cached

    if mode == "parquet":
        folder, as_of = cache_dir(events), as_of_for(12)
        if not (folder / "done").exists():
            raise RuntimeError(f"generate {events} events first: benchmarks.generate.cached")
        fn = FROM_PARQUET[tool]
        gc.collect()
        before = _status("VmRSS")
        _reset_peak()
        fn(folder, as_of)
    else:
        _, tables, as_of = cached(events)
        prepare, run = IN_MEMORY[tool]
        state = prepare(tables, as_of)
        del tables
        gc.collect()
        before = _status("VmRSS")
        _reset_peak()
        run(state)
    return {"before": before, "peak": _status("VmHWM")}


def measure_memory(tool: str, events: int, mode: str) -> dict[str, float]:
    """`measure_memory_here` in a fresh interpreter, so runs do not share high-water marks."""
    code = (
        "import json, sys; from benchmarks.harness import measure_memory_here as m; "
        "print(json.dumps(m(sys.argv[1], int(sys.argv[2]), sys.argv[3])))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, tool, str(events), mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------ phases


def phases(
    which: str = "subset", events: int = 10_000_000, rounds: int = 7, accounts: int | None = None
) -> dict[str, float]:
    """Median wall seconds per phase of `Model.evaluate` on in-memory generated data
    (docs/performance.md, "where the time goes"): load, probe (as-of, extremes, context),
    metrics (`Walk.prefetch`), walk and row blocks, result table. `SLAGRAPH_THREADS=1`
    in the environment gives the single-threaded figures; `accounts=1000` the issue's shape.

        python -c "from benchmarks.harness import phases; print(phases('subset'))"
    """
    import slagraph.engine as engine
    from benchmarks.generate import cached
    from slagraph.engine.evaluate import Walk

    _, tables, as_of = cached(events, accounts=accounts)
    model = subset_model() if which == "subset" else spec_model()
    spent: dict[str, float] = {}
    patched = [(engine, "load_for"), (engine, "build_table"), (engine, "_rows"), (Walk, "prefetch")]
    originals = [getattr(owner, name) for owner, name in patched]

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - start

        return run

    for (owner, name), fn in zip(patched, originals, strict=True):
        setattr(owner, name, timed(name, fn))
    try:
        model.evaluate(tables, as_of=as_of)
        runs = []
        for _ in range(rounds):
            spent.clear()
            gc.collect()
            start = time.perf_counter()
            model.evaluate(tables, as_of=as_of)
            total = time.perf_counter() - start
            runs.append(
                {
                    "load": spent["load_for"],
                    "probe": total - spent["_rows"] - spent["load_for"],
                    "metrics": spent["prefetch"],
                    "walk and blocks": spent["_rows"] - spent["prefetch"] - spent["build_table"],
                    "result table": spent["build_table"],
                    "total": total,
                }
            )
    finally:
        for (owner, name), fn in zip(patched, originals, strict=True):
            setattr(owner, name, fn)
    return {k: float(np.median([r[k] for r in runs])) for k in runs[0]}
