"""What runs on a worker for one partition: load it (and keep it there), report its
time bounds, evaluate it in the shared `Frame`."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np

from slagraph.compiler import ir
from slagraph.data.partitions import Subset
from slagraph.distributed.session import Failed
from slagraph.engine import (
    Result,
    default_as_of,
    evaluate_framed,
    load_for,
    placed_at,
)
from slagraph.engine.context import Context
from slagraph.errors import SlaError


class Loaded:
    """A partition's loaded data, kept on the worker that loaded it. Should Dask move
    it (to another worker, or to disk), it travels as what to load and is loaded again
    where it lands: a load is pure, and a `Dataset` holds locks that cannot be pickled."""

    def __init__(self, model: ir.Model, subset: Subset, on_bad_rows: str) -> None:
        self.args = (model, subset, on_bad_rows)
        self.dataset = load_for(model, subset, on_bad_rows)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Loaded, self.args)


def load_task(model: ir.Model, subset: Subset, on_bad_rows: str) -> Any:
    try:
        return Loaded(model, subset, on_bad_rows)
    except SlaError as e:
        return Failed(e)


def bounds_task(model: ir.Model, dataset: Any, as_of: int | None) -> Any:
    if isinstance(dataset, Failed):
        return dataset
    return bounds_of(model, dataset.dataset, as_of)


def bounds_of(model: ir.Model, dataset: Any, as_of: int | None) -> Any:
    """(earliest time, default as-of, latest time, a record placed at `as_of`), Nones
    where the partition has no times."""
    probe = Context(model, dataset, 0, 0)
    if not probe.has_times:
        return None, default_as_of(model, dataset), None, False
    placed = as_of is not None and placed_at(model, dataset, as_of)
    return probe.data_lo, default_as_of(model, dataset), probe.data_hi, placed


@attrs.frozen
class Frame:
    """What every partition must share for their rows to concatenate: as-of, the first
    instant periods cover (`lo`) and the last (`through`, see `engine.Known`)."""

    as_of: int
    lo: int
    through: int


def evaluate_task(
    model: ir.Model,
    dataset: Any,
    frame: Frame,
    start: str | None,
    end: str | None,
    every: Any,
) -> Any:
    """One partition's result, without what would need its data later (explain)."""
    if isinstance(dataset, Failed):
        return dataset
    dataset = dataset.dataset
    try:
        result = evaluate_here(model, dataset, frame, start, end, every)
    except SlaError as e:
        return Failed(e)
    rank = None
    if dataset.accounts is not None:  # order of the accounts table: its rows
        rank = dataset.accounts.rows.astype(np.int64)
    return result.table, result.terminations, result.bad_rows, dataset.account_names, rank


def evaluate_here(
    model: ir.Model, dataset: Any, frame: Frame, start: str | None, end: str | None, every: Any
) -> Result:
    return evaluate_framed(
        model,
        dataset,
        as_of=frame.as_of,
        lo=frame.lo,
        through=frame.through,
        start=start,
        end=end,
        every=every,
    )
