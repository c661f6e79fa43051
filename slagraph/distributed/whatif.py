"""`Model.whatif(…, client=…)`: base and changed data of each partition evaluated as two
scenarios on its worker, the pairs merged in one process's order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from slagraph.compiler import ir
from slagraph.distributed.evaluate import account_key, frame_of, termination_key
from slagraph.distributed.session import Failed, gathered, raise_first, start_session
from slagraph.distributed.tasks import Frame, Loaded, bounds_of, load_task
from slagraph.engine import (
    evaluate_framed,
    to_ns,
)
from slagraph.errors import SlaError, SlaUsageError, did_you_mean

# ------------------------------------------------------------------ what-if


def whatif_sides(model: ir.Model, loaded: Loaded, changes: Sequence[str], seed: int) -> Any:
    """Base and changed data of one partition; the changes' draws are seeded by (seed,
    partition's first account), so they do not depend on where the task runs."""
    from slagraph.whatif.changes import apply, parse_changes

    base = loaded.dataset
    first = str(base.account_names[0]) if len(base.account_names) else ""
    rng = np.random.default_rng([seed, *first.encode()])
    mine = set(base.account_names)
    parsed = [  # a record added for one account is added where that account is
        c for c in parse_changes(model, changes) if _added_for(c) in (None, *mine)
    ]
    return base, apply(model, base, parsed, rng)


def _added_for(change: Any) -> str | None:
    """The account an `add … account="X"` change adds its record for (None: every one)."""
    given = dict(change.fields).get("account") if change.kind == "add" else None
    return None if given is None else str(given[1] if isinstance(given, tuple) else given)


def _whatif_bounds(
    model: ir.Model, loaded: Any, changes: Sequence[str], seed: int, as_of: int | None
) -> Any:
    if isinstance(loaded, Failed):
        return loaded
    try:
        return [bounds_of(model, d, as_of) for d in whatif_sides(model, loaded, changes, seed)]
    except SlaError as e:
        return Failed(e)


def _whatif_part(
    model: ir.Model,
    loaded: Any,
    changes: Sequence[str],
    seed: int,
    frame: Frame,
    start: str | None,
    end: str | None,
) -> Any:
    from slagraph.whatif import paired
    from slagraph.whatif.scenarios import per_scenario, stack

    if isinstance(loaded, Failed):
        return loaded
    try:
        both = stack(list(whatif_sides(model, loaded, changes, seed)))
        result = evaluate_framed(
            per_scenario(model),
            both,
            as_of=frame.as_of,
            lo=frame.lo,
            through=frame.through,
            start=start,
            end=end,
        )
    except SlaError as e:
        return Failed(e)
    base = loaded.dataset
    rank = base.accounts.rows.astype(np.int64) if base.accounts is not None else None
    return (*paired(result), base.account_names, rank)


def whatif(
    model: ir.Model,
    data: Any,
    changes: Sequence[str],
    client: Any,
    *,
    as_of: Any = None,
    seed: int = 0,
    on_bad_rows: str = "error",
    start: str | None = None,
    end: str | None = None,
    partitions: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Any:
    """`Model.whatif(…, client=…)`: base and changed data of each partition of the
    accounts evaluated on Dask, pairs in one process's order. The same as one process
    but for `volume` changes by a fraction, whose seeded draws are per partition."""
    from slagraph.whatif import WhatIf
    from slagraph.whatif.changes import parse_changes

    parsed = parse_changes(model, changes)  # a bad change fails here, before any task
    for change in parsed:
        if change.kind == "set" and change.column == "account" and change.stream != "accounts":
            raise SlaUsageError(
                "a change that moves records to another account cannot run on Dask (the "
                "accounts are evaluated apart): run this what-if without a Dask client"
            )
    submit, subsets = start_session(model, data, client, partitions)
    known = {str(n) for s in subsets for n in s.accounts.to_pylist()}
    for change in parsed:
        account = _added_for(change)
        if account is not None and account not in known:
            raise SlaUsageError(f"unknown account '{account}'{did_you_mean(account, known)}")
    loads = [submit(load_task, "load", i, s, on_bad_rows) for i, s in enumerate(subsets)]
    as_of_ns = None if as_of is None else to_ns(as_of)
    found = client.gather(
        [
            submit(_whatif_bounds, "bounds", i, f, list(changes), seed, as_of_ns)
            for i, f in enumerate(loads)
        ]
    )
    raise_first(found)
    frame = frame_of([b for sides in found for b in sides], as_of_ns, None)
    futures = [
        submit(_whatif_part, "whatif", i, f, list(changes), seed, frame, start, end)
        for i, f in enumerate(loads)
    ]
    parts = gathered(client, futures, progress)
    del loads, futures
    raise_first(parts)
    key = termination_key(model)
    pairs: list[tuple[Any, dict[str, Any]]] = []
    terms: list[tuple[Any, dict[str, Any]]] = []
    for part_pairs, part_terms, names, rank in parts:
        of = account_key(names, rank)
        # base rows first, then those only the changed side has, each in account order
        pairs += [((p["base_met"] is None, of(p["account"])), p) for p in part_pairs]
        terms += [((t["base_period"] is None, *key(t, of)), t) for t in part_terms]
    pairs.sort(key=lambda pair: pair[0])
    terms.sort(key=lambda pair: pair[0])
    return WhatIf([p for _, p in pairs], [t for _, t in terms], parsed, frame.as_of)
