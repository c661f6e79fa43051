"""The plan: each account's records counted from the account columns alone, and the
accounts packed, largest first, into partitions of about equal record counts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slagraph.compiler import ir
from slagraph.data.databases import is_connection
from slagraph.data.partitions import Subset, account_strings, shippable
from slagraph.data.readers import open_source
from slagraph.data.schema import StreamSchema
from slagraph.data.sources import Source
from slagraph.engine import (
    schemas_read,
)
from slagraph.errors import SlaUsageError

# ------------------------------------------------------------------ the plan


@attrs.frozen(eq=False)
class Plan:
    """Which accounts each partition evaluates. `names`: every account found (sorted);
    `parts`: indices into `names`, one array per partition; `records`: each account's
    records over every stream read (the accounts table included)."""

    names: np.ndarray
    parts: tuple[np.ndarray, ...]
    records: np.ndarray
    subsets: tuple[Subset, ...]

    def part_records(self) -> list[int]:
        return [int(self.records[p].sum()) for p in self.parts]


def schemas(model: ir.Model) -> list[StreamSchema]:
    return schemas_read(model)


def plan(model: ir.Model, data: Any, partitions: int) -> Plan:
    """Accounts packed into at most `partitions` partitions of about equal record counts:
    largest account first, each into the partition holding the fewest records so far
    (a loop over accounts, never over records)."""
    if isinstance(data, Mapping):
        reader = open_source(data)
        raws = {schema.name: reader.read(schema) for schema in schemas(model)}
        columns = {
            s.name: raws[s.name].table.column(s.account_column)
            for s in schemas(model)
            if s.account_column in raws[s.name].table.column_names
        }
    elif shippable(data):
        raws = {}
        reader = open_source(data)
        columns = {}
        try:
            for schema in schemas(model):
                name = schema.account_column
                spec = schema.column(name) if name is not None else None
                if spec is not None:
                    only = attrs.evolve(schema, columns=(spec,))
                    columns[schema.name] = reader.read(only).table.column(spec.name)
        finally:
            reader.close()
    else:
        raise SlaUsageError(NOT_SHIPPABLE.format(shown_as(data)))
    strings = [s for s in map(account_strings, columns.values()) if s is not None]
    names = (
        np.unique(np.concatenate([pc.unique(s).drop_null().to_numpy(False) for s in strings]))
        if strings
        else np.array([], object)
    ).astype(object)
    value_set = pa.array(names, pa.string())
    records = np.zeros(len(names), np.int64)
    for s in strings:
        codes = pc.index_in(s, value_set=value_set).drop_null().to_numpy(False)
        records += np.bincount(codes, minlength=len(names))
    parts = _pack(records, max(1, min(partitions, len(names))))
    subsets = []
    for i, part in enumerate(parts):
        mine = pa.array(names[part], pa.string())
        subset = Subset(data, mine, value_set if i == 0 else None)
        if raws:
            subset = attrs.evolve(
                subset,
                source=None,
                tables={n: subset.filter(raw, schema_named(model, n)) for n, raw in raws.items()},
            )
        subsets.append(subset)
    return Plan(names, tuple(parts), records, tuple(subsets))


NOT_SHIPPABLE = (
    "on Dask, data must be a folder, a database file or URI (or a Source of one), or a "
    "mapping of tables: each worker opens it itself, and {} cannot be sent to a worker; "
    "pass Source('postgresql://…') or the database file's path"
)


def shown_as(data: Any) -> str:
    if isinstance(data, Source):
        return f"{data!r} (an open connection)"
    if is_connection(data):
        return "an open connection"
    return f"a {type(data).__name__}"


def schema_named(model: ir.Model, name: str) -> StreamSchema:
    return next(s for s in schemas(model) if s.name == name)


def _pack(records: np.ndarray, count: int) -> list[np.ndarray]:
    """Greedy largest-first bin packing; each partition's accounts in name order."""
    import heapq

    bins: list[list[int]] = [[] for _ in range(count)]
    heap = [(0, i) for i in range(count)]
    for account in np.argsort(-records, kind="stable"):
        load, i = heapq.heappop(heap)
        bins[i].append(int(account))
        heapq.heappush(heap, (load + int(records[account]), i))
    return [np.sort(np.array(b, np.int64)) for b in bins if b]
