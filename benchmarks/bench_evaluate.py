"""The evaluator end to end, on generated SPEC data (benchmarks/generate.py).

    python -m pytest benchmarks/bench_evaluate.py --benchmark-only \
        --benchmark-columns=min,median,max,rounds
    BENCH_EVENTS=1e5,1e6,1e7 python -m pytest benchmarks/bench_evaluate.py --benchmark-only

Sizes come from BENCH_EVENTS (default 1e5,1e6; 10^7 takes ~10 s to generate once and
~1 s per evaluation on two cores; `SLAGRAPH_THREADS=1` times one). Per size:

* `test_evaluate[subset|spec]`: `Model.evaluate` on in-memory Arrow tables, for the SPEC
  subset that the peers compute (benchmarks/spec_subset.sla) and the full SPEC model;
* `test_read_evaluate_parquet`: evaluate straight from the folder of Parquet files;
* `test_floor` / `test_floor_with_placing`: the one-pass numpy floor of REFERENCES.md
  (count, breaches and mean per (account, month) by `np.bincount` over the same records);
* `test_peak_memory`: peak RSS of read + evaluate from Parquet in a fresh process (VmHWM),
  and the tracemalloc peak (numpy's allocations) of an in-memory evaluation; recorded in
  the benchmark's extra_info (`--benchmark-json`) and printed with `-s`. Nothing here
  asserts a time or a memory target: docs/performance.md records them.
"""

from __future__ import annotations

import os
import tracemalloc

import pytest

from benchmarks import harness
from benchmarks.generate import cached

SIZES = [int(float(s)) for s in os.environ.get("BENCH_EVENTS", "1e5,1e6").split(",") if s]
MODELS = {"subset": harness.subset_model, "spec": harness.spec_model}


def _rounds(events: int) -> int:
    return 5 if events < 5_000_000 else 3


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"{n:.0e}")
def dataset(request):  # type: ignore[no-untyped-def]
    return cached(request.param), request.param


@pytest.mark.parametrize("which", sorted(MODELS))
def test_evaluate(benchmark, dataset, which: str) -> None:  # type: ignore[no-untyped-def]
    (_, tables, as_of), events = dataset
    model = MODELS[which]()
    benchmark.group = f"evaluate {events:,} events"
    result = benchmark.pedantic(
        model.evaluate,
        args=(tables,),
        kwargs={"as_of": as_of},
        rounds=_rounds(events),
        iterations=1,
        warmup_rounds=1,
    )
    assert result.rows()


def test_read_evaluate_parquet(benchmark, dataset) -> None:  # type: ignore[no-untyped-def]
    (folder, _, as_of), events = dataset
    model = harness.subset_model()
    benchmark.group = f"evaluate {events:,} events"
    result = benchmark.pedantic(
        model.evaluate,
        args=(folder,),
        kwargs={"as_of": as_of},
        rounds=_rounds(events),
        iterations=1,
        warmup_rounds=1,
    )
    assert result.rows()


def test_floor(benchmark, dataset) -> None:  # type: ignore[no-untyped-def]
    (_, tables, as_of), events = dataset
    groups = harness.floor_groups(harness.floor_inputs(tables, as_of))
    benchmark.group = f"evaluate {events:,} events"
    count, _, _ = benchmark.pedantic(
        harness.floor, args=(groups,), rounds=10, iterations=1, warmup_rounds=1
    )
    assert count.sum() == events


def test_floor_with_placing(benchmark, dataset) -> None:  # type: ignore[no-untyped-def]
    (_, tables, as_of), events = dataset
    records = harness.floor_inputs(tables, as_of)
    benchmark.group = f"evaluate {events:,} events"
    count, _, _ = benchmark.pedantic(
        harness.floor_with_placing, args=(records,), rounds=10, iterations=1, warmup_rounds=1
    )
    assert count.sum() == events


def test_peak_memory(benchmark, dataset) -> None:  # type: ignore[no-untyped-def]
    (_, tables, as_of), events = dataset
    model = harness.subset_model()
    rss = harness.measure_memory("slagraph", events, "parquet")
    tracemalloc.start()
    try:
        model.evaluate(tables, as_of=as_of)
        _, traced_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    benchmark.group = f"memory {events:,} events"
    benchmark.extra_info.update(
        {
            "peak_rss_read_evaluate_mib": rss["peak"] / 2**20,
            "rss_before_mib": rss["before"] / 2**20,
            "tracemalloc_peak_evaluate_mib": traced_peak / 2**20,
        }
    )
    print(
        f"\n{events:,} events: peak RSS read+evaluate {rss['peak'] / 2**20:,.0f} MiB "
        f"(process before: {rss['before'] / 2**20:,.0f} MiB); tracemalloc peak of an "
        f"in-memory evaluate {traced_peak / 2**20:,.0f} MiB"
    )
    # time one evaluation too, so the memory row sits beside a time in the report
    benchmark.pedantic(
        model.evaluate, args=(tables,), kwargs={"as_of": as_of}, rounds=1, iterations=1
    )
