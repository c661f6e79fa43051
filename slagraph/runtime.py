"""How much of its host an evaluation may use: threads, bounded by the caller.

A library is a guest in its host's process. Every call that loads or evaluates takes
`threads=` (how many threads it may run at once; 1 runs everything in the calling
thread) or `executor=` (a `concurrent.futures.Executor` the caller owns and keeps, so
many calls share one pool). Without either, a call uses up to the CPUs this process
may run on (at most 8, or `SLAGRAPH_THREADS`), in a pool it creates and joins before it
returns: no thread outlives the call, and nothing process-wide is changed.

The choice travels with the call (a context variable set by the entry points), so the
functions in between need not pass it on. A task already running on a worker never
opens a second pool: work nested inside it runs inline, so an evaluation never holds
more threads than it was given, and a caller's executor of one worker cannot deadlock.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, TypeVar

from slagraph.errors import SlaUsageError

T = TypeVar("T")

PARALLEL_MIN_RECORDS = 250_000  # below this, handing work to threads costs more than it saves
MAX_DEFAULT_THREADS = 8


def default_threads() -> int:
    """The CPUs this process may run on (at most 8), or `SLAGRAPH_THREADS` when set."""
    configured = os.environ.get("SLAGRAPH_THREADS", "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            raise SlaUsageError(
                f"SLAGRAPH_THREADS must be a whole number, got {configured!r}"
            ) from None
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_DEFAULT_THREADS))


class Inline(Executor):
    """An executor that runs each task at once, in the calling thread (one worker)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # re-raised by result(), as a thread pool does
            future.set_exception(error)
        return future


_on_worker = threading.local()


def _as_worker(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    _on_worker.active = True
    try:
        return fn(*args, **kwargs)
    finally:
        _on_worker.active = False


class _Marked(Executor):
    """Runs tasks on `inner`, marking the worker so that nested work stays inline."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return self.inner.submit(_as_worker, fn, *args, **kwargs)


class Runtime:
    """The threads one call may use: `threads` at most, or the caller's `executor`."""

    __slots__ = ("executor", "threads")

    def __init__(self, threads: int | None = None, executor: Executor | None = None) -> None:
        if threads is not None and executor is not None:
            raise SlaUsageError("give threads= or executor=, not both")
        if threads is not None and (
            isinstance(threads, bool) or not isinstance(threads, int) or threads < 1
        ):
            raise SlaUsageError(f"threads must be a whole number ≥ 1, got {threads!r}")
        if executor is not None and not isinstance(executor, Executor):
            raise SlaUsageError(
                f"executor must be a concurrent.futures.Executor, got {type(executor).__name__}"
            )
        self.threads = threads
        self.executor = executor

    @contextlib.contextmanager
    def workers(self, records: int | None = None) -> Iterator[Executor]:
        """An executor for one step: inline when the work is small (fewer than
        `PARALLEL_MIN_RECORDS` records), when one thread is allowed, or when already on
        a worker; else the caller's executor, or a pool joined when the step ends. Tasks
        must never wait for other tasks of the same executor."""
        small = records is not None and records < PARALLEL_MIN_RECORDS
        if small or getattr(_on_worker, "active", False):
            yield Inline()
            return
        if self.executor is not None:
            yield _Marked(self.executor)
            return
        count = self.threads if self.threads is not None else default_threads()
        if count == 1:
            yield Inline()
            return
        with ThreadPoolExecutor(count, thread_name_prefix="slagraph") as pool:
            yield _Marked(pool)


_current: contextvars.ContextVar[Runtime | None] = contextvars.ContextVar(
    "slagraph_runtime", default=None
)


def current() -> Runtime:
    """The runtime of the call in progress (the default one outside any call)."""
    return _current.get() or Runtime()


@contextlib.contextmanager
def using(threads: int | None = None, executor: Executor | None = None) -> Iterator[Runtime]:
    """Run the enclosed call with this runtime. An inner entry point given neither
    threads nor executor keeps the outer call's."""
    if threads is None and executor is None and _current.get() is not None:
        yield current()
        return
    runtime = Runtime(threads, executor)
    token = _current.set(runtime)
    try:
        yield runtime
    finally:
        _current.reset(token)


def workers(records: int | None = None) -> contextlib.AbstractContextManager[Executor]:
    """`current().workers(records)`: the executor for one step of the call in progress."""
    return current().workers(records)
