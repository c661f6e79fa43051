"""Pause the cyclic garbage collector while a large, acyclic object graph is built.

Parsing and compiling a 1 MB model creates some 400,000 small container objects (AST
nodes, spans, IR values) that all survive. CPython's collector counts them as they are
allocated and, because the survivors keep growing, runs several *full* collections over
everything in the process meanwhile — about as long as the parse itself. None of these
objects form cycles, so the collections find nothing. Pausing collection for the build
(as Mercurial's `util.nogc` does) avoids those passes.

When the pause ends the new objects are still "young", and the next young collection
would scan all of them (0.25 s for a 1 MB model) to learn what we know: they live on.
`gc.freeze()` + `gc.unfreeze()` moves every tracked object to the oldest generation
without scanning, so they are examined only by the next full collection, as old objects
are. Other young objects of the process move with them: their cycles, if any, are then
found by that full collection instead of a young one — later, never missed.

Process-wide but reference-counted: nested and concurrent pauses re-enable the collector
once, when the last ends, and only if it was enabled when the first began.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
                gc.freeze()  # promote what was built to the oldest generation, unscanned
                gc.unfreeze()
