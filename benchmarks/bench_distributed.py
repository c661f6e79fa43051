"""One process against a local Dask cluster, on generated SPEC data read from Parquet.

    PYTHONPATH=. python benchmarks/bench_distributed.py            # 10^6 events
    BENCH_EVENTS=1e7 PYTHONPATH=. python benchmarks/bench_distributed.py
    BENCH_WORKERS=4 …                                              # default 2

Prints the time of `Model.evaluate(folder)` in one process, the same on a
`LocalCluster(n_workers=W, threads_per_worker=1)` (started beforehand: its start-up is
printed apart), and their ratio; checks the outputs are the same bytes. Times only,
never asserted: on one machine the cluster pays for moving every result table between
processes, so it wins only when partitions are large and the cores many.
"""

from __future__ import annotations

import os
import time

from benchmarks import harness
from benchmarks.generate import cached


def main() -> None:
    import distributed

    events = int(float(os.environ.get("BENCH_EVENTS", "1e6")))
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    folder, _, as_of = cached(events)
    model = harness.spec_model()
    began = time.perf_counter()
    one = model.evaluate(str(folder), as_of=as_of)
    alone = time.perf_counter() - began
    began = time.perf_counter()
    with (
        distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        started = time.perf_counter() - began
        model.evaluate(str(folder), as_of=as_of, client=client)  # warm: imports on workers
        began = time.perf_counter()
        spread = model.evaluate(str(folder), as_of=as_of, client=client)
        on_dask = time.perf_counter() - began
    same = one.to_jsonl() == spread.to_jsonl()
    print(f"{events:,} events, {len(one):,} rows; cluster of {workers} started in {started:.1f} s")
    print(f"one process      {alone:7.2f} s")
    ratio = on_dask / alone
    print(f"--workers {workers:<6} {on_dask:7.2f} s   ratio {ratio:.2f}   same bytes: {same}")


if __name__ == "__main__":
    main()
