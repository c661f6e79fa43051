"""`Model.simulate(…, client=…)`: the runs (not the accounts) cut into contiguous ranges,
simulated on workers, the tallies merged to the bit."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from slagraph.compiler import ir
from slagraph.data.partitions import shippable
from slagraph.distributed.plan import NOT_SHIPPABLE, shown_as
from slagraph.distributed.session import PER_WORKER, RETRIES, Failed, dask, raise_first
from slagraph.errors import SlaError, SlaUsageError

# ------------------------------------------------------------------ simulate

_SETUPS: dict[str, Any] = {}
"""On a worker: the last simulation's loaded data and base evaluation, by session key,
so that its tasks load the data once per worker process, not once per task."""


def _simulate_part(
    model: ir.Model, session: str, source: Any, options: dict[str, Any], pieces: Any
) -> Any:
    """The tallies of one task's runs: `pieces`, (chunk index, first, end, whole) each."""
    from slagraph.simulate import Runner, prepare

    try:
        setup = _SETUPS.get(session)
        if setup is None:
            setup = prepare(model, source, **options)
            _SETUPS.clear()  # one simulation's data at a time
            _SETUPS[session] = setup
        runner = Runner(setup)
        for index, lo, hi, whole in pieces:
            runner.run(np.arange(lo, hi), piece=index, whole=whole)
    except SlaError as e:
        return Failed(e)
    return runner.tallies


def _forget(session: str) -> None:
    _SETUPS.pop(session, None)


def task_pieces(
    bounds: Sequence[tuple[int, int]], tasks: int
) -> list[list[tuple[int, int, int, bool]]]:
    """The runs cut into `tasks` contiguous ranges of about equal size, each as its
    pieces of one process's chunks (`bounds`): (chunk index, first, end, whole).

    >>> task_pieces([(0, 10), (10, 20)], 4)
    [[(0, 0, 5, False)], [(0, 5, 10, False)], [(1, 10, 15, False)], [(1, 15, 20, False)]]
    >>> task_pieces([(0, 10), (10, 20)], 1)
    [[(0, 0, 10, True), (1, 10, 20, True)]]
    """
    runs = bounds[-1][1]
    tasks = max(1, min(tasks, runs))
    cuts = [runs * t // tasks for t in range(tasks + 1)]
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        mine = []
        for index, (lo, hi) in enumerate(bounds):
            first, end = max(lo, a), min(hi, b)
            if first < end:
                mine.append((index, first, end, first == lo and end == hi))
        out.append(mine)
    return out


def simulate(
    model: ir.Model,
    data: Any,
    client: Any,
    *,
    runs: int = 1000,
    seed: int = 0,
    method: str = "bootstrap",
    changes: Sequence[str] = (),
    block: str | None = None,
    as_of: Any = None,
    start: str | None = None,
    end: str | None = None,
    on_bad_rows: str = "error",
    chunk: int | None = None,
    pilot: bool = False,
    tasks: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Any:
    """`Model.simulate(…, client=…)`: the runs cut into contiguous ranges (`tasks`,
    default `PER_WORKER` per worker thread) simulated on Dask, each worker loading the
    data itself; the tallies merged into the same rows as one process, to the bit (its
    chunks, `pilot` one first when it had an `on_estimate`, are summed as it sums them).
    `progress(runs_done, runs)` after each task."""
    from slagraph.simulate import chunk_bounds, finish, prepare
    from slagraph.simulate.summary import merged

    dask()
    if not shippable(data) and not isinstance(data, Mapping):
        raise SlaUsageError(NOT_SHIPPABLE.format(shown_as(data)))
    options: dict[str, Any] = dict(
        runs=runs,
        seed=seed,
        method=method,
        changes=list(changes),
        block=block,
        as_of=as_of,
        start=start,
        end=end,
        on_bad_rows=on_bad_rows,
        chunk=chunk,
    )
    setup = prepare(model, data, **options)  # checks all, and the rows' observed statuses
    options["chunk"] = setup.chunk  # the workers' data is the same: so is the chunk
    if tasks is None:
        tasks = PER_WORKER * max(1, sum(client.nthreads().values()))
    pieces = task_pieces(chunk_bounds(runs, setup.chunk, pilot), tasks)
    session = uuid.uuid4().hex[:12]
    shared = client.scatter(model, broadcast=True, hash=False)
    source = client.scatter(data, broadcast=True, hash=False) if isinstance(data, Mapping) else data
    futures = [
        client.submit(
            _simulate_part,
            shared,
            session,
            source,
            options,
            mine,
            key=f"slagraph-simulate-{session}-{i}",
            retries=RETRIES,
            pure=False,
        )
        for i, mine in enumerate(pieces)
    ]
    if progress is not None:
        size = {
            f.key: sum(hi - lo for _, lo, hi, _ in p) for f, p in zip(futures, pieces, strict=True)
        }
        done = 0
        for future in dask().as_completed(futures):
            done += size[future.key]
            progress(done, runs)
    try:
        parts = list(client.gather(futures))
    finally:
        del futures
        client.run(_forget, session)  # the workers' copies of the data
    raise_first(parts)
    tallies = {path: merged([p[path] for p in parts]) for path in parts[0]}
    return finish(setup, tallies)
