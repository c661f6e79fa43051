"""The Dask side of every distributed call: the client (`cluster`), task keys and
retries (`start_session`), and slagraph errors returned from workers (`Failed`) rather
than retried. Dask and distributed are imported here only, and only when asked for."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import attrs

from slagraph.compiler import ir
from slagraph.data.partitions import Subset
from slagraph.distributed.plan import plan
from slagraph.errors import SlaUsageError

PER_WORKER = 4
"""Partitions per worker thread: enough that a slow partition does not hold up the end."""
RETRIES = 2
"""How often Dask reruns a task that raised an unexpected error (a lost worker is rerun
by the scheduler on its own); slagraph's own errors are returned, never retried."""

EXTRA = "pip install 'slagraph[dask]'"


def dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise SlaUsageError(
            f"evaluating on Dask needs dask and distributed: {EXTRA} "
            "(or pip install 'dask[distributed]')"
        ) from None
    return distributed


@contextlib.contextmanager
def cluster(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A `distributed.Client`: of a local cluster of `workers` processes (one thread
    each), or connected to the scheduler at `scheduler` (`tcp://host:8786`)."""
    distributed = dask()
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="10s")
        except OSError as e:
            raise SlaUsageError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
        with client:
            yield client
        return
    import logging

    with (
        distributed.LocalCluster(
            n_workers=workers or 1,
            threads_per_worker=1,
            dashboard_address=":0",  # any free port: never "8787 is already in use"
            silence_logs=logging.ERROR,
        ) as local,
        distributed.Client(local) as client,
    ):
        yield client


@attrs.frozen
class Failed:
    """A slagraph error raised on a worker, returned so that Dask does not retry it."""

    error: BaseException


def raise_first(results: Sequence[Any]) -> None:
    """The error of the first partition that failed (by account order, not by time)."""
    for result in results:
        if isinstance(result, Failed):
            raise result.error


def gathered(
    client: Any, futures: list[Any], progress: Callable[[int, int], None] | None
) -> list[Any]:
    if progress is not None:
        for done, _ in enumerate(dask().as_completed(futures), 1):
            progress(done, len(futures))
    return list(client.gather(futures))


def start_session(
    model: ir.Model, data: Any, client: Any, partitions: int | None
) -> tuple[Callable[..., Any], tuple[Subset, ...]]:
    """The plan's subsets and a `submit(fn, step, partition, *args)` giving each task
    one key per (run, step, partition): a rerun replaces a result, never adds one."""
    dask()
    if partitions is None:
        partitions = PER_WORKER * max(1, sum(client.nthreads().values()))
    the_plan = plan(model, data, partitions)
    run = uuid.uuid4().hex[:12]
    shared = client.scatter(model, broadcast=True, hash=False)

    def submit(fn: Callable[..., Any], step: str, i: int, *args: Any) -> Any:
        return client.submit(
            fn, shared, *args, key=f"slagraph-{step}-{run}-{i}", retries=RETRIES, pure=False
        )

    return submit, the_plan.subsets
