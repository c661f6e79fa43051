"""Process-wide tuning that only the command line opts in to, since it owns its process.

The library never calls these: an application that embeds slagraph keeps its own malloc
settings and its own garbage collector (docs/embedding.md). The CLI applies both:
`tune_malloc()` once, `gc_paused()` around parsing and compiling.

glibc's malloc, set up for an evaluation's big, short-lived numpy arrays.

An evaluation of millions of records allocates gigabytes of temporaries, most of a few
MB, each freed moments after it is made. glibc's defaults serve every block above a threshold
(128 KiB at first, raised as blocks are freed) with a fresh `mmap` and unmap it on free,
and give the heap's free top back to the kernel above twice that threshold. So most
temporaries are new pages: a page fault and a zeroed page each, for memory that was
free a moment before. Fixing the threshold at glibc's maximum (32 MiB) and keeping up to
256 MiB of free heap lets numpy reuse that memory instead (measured in
docs/performance.md, "Evaluate at 10^7 events").

Worker threads are the other half. glibc gives each thread an arena of its own, made of
64 MiB heaps that it maps as big blocks arrive and unmaps as they go, hundreds per
evaluation of millions of records, and the page faults with them. So glibc is held
to one arena (`M_ARENA_MAX`; the blocks are few and big, so threads hardly contend for
its lock) and 64 MiB are kept on top of every heap, main or per-thread (`M_TOP_PAD`).
The arena limit is best effort: arenas made before it stay, and glibc gives new threads
those (one a finished thread left, or a share of the others); the pad is what keeps
their heaps mapped (docs/performance.md, round 5, has the page faults and times).

`tune_malloc()` applies this once per process, only where the C library is glibc. The cost is
memory: up to 256 MiB freed by an evaluation stays with the process, ready for the next
allocation, rather than going back to the kernel at once; blocks over 32 MiB are still
mapped and unmapped. `SLAGRAPH_MALLOC=system` in the environment leaves malloc as it
is (`tuned`, the default, applies the settings; anything else is a usage error).
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from slagraph.errors import SlaUsageError

if TYPE_CHECKING:
    import ctypes

M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's malloc.h
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed value on 64-bit systems
TRIM_THRESHOLD = 256 << 20
TOP_PAD = 64 << 20
ARENAS = 1

_lock = threading.Lock()
_tuned: bool | None = None  # None: not tried yet


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # here, not at import: `slagraph --version` never tunes malloc

    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - present on glibc only
        libc.mallopt  # noqa: B018
    except (OSError, AttributeError, TypeError):
        return None
    return libc


def tune_malloc() -> bool:
    """Apply the settings above once per process; True when they are in effect."""
    global _tuned
    choice = os.environ.get("SLAGRAPH_MALLOC", "").strip().lower()
    if choice not in ("", "tuned", "system"):
        raise SlaUsageError(
            f"SLAGRAPH_MALLOC must be 'tuned' (the default) or 'system', got {choice!r}"
        )
    with _lock:
        if _tuned is None:
            _tuned = False
            libc = _glibc() if choice != "system" else None
            if libc is not None:
                _tuned = bool(
                    libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                    and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
                    and libc.mallopt(M_TOP_PAD, TOP_PAD)
                    and libc.mallopt(M_ARENA_MAX, ARENAS)
                )
        return _tuned


_gc_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large, acyclic object graph is built.

    Parsing and compiling a 1 MB model creates some 400,000 small container objects (AST
    nodes, spans, IR values) that all survive. CPython's collector counts them as they are
    allocated and, because the survivors keep growing, runs several *full* collections over
    everything in the process meanwhile — about as long as the parse itself. None of these
    objects form cycles, so the collections find nothing. Pausing collection for the build
    (as Mercurial's `util.nogc` does) avoids those passes.

    When the pause ends the new objects are still "young", and the next young collection
    would scan all of them (docs/performance.md, "Compile") to learn what we know: they live on.
    `gc.freeze()` + `gc.unfreeze()` moves every tracked object to the oldest generation
    without scanning, so they are examined only by the next full collection, as old objects
    are. Other young objects of the process move with them: their cycles, if any, are then
    found by that full collection instead of a young one — later, never missed.

    Process-wide but reference-counted: nested and concurrent pauses re-enable the collector
    once, when the last ends, and only if it was enabled when the first began.
    """
    global _depth, _was_enabled
    with _gc_lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
                gc.freeze()  # promote what was built to the oldest generation, unscanned
                gc.unfreeze()


def tuned() -> bool | None:
    """Whether `tune_malloc` applied its settings; None when it was never called."""
    return _tuned
