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
from slagraph.distributed.items import clock_keys, components, item_codes, items_of, plain
from slagraph.engine import schemas_read
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
    (a loop over accounts, never over records). Accounts sharing a clock's item are
    packed as one (items.py)."""
    keys = clock_keys(model) if model.clocks else {}
    if keys is None:  # two clocks key one stream differently: not cut (items.py)
        keys, partitions = {}, 1
    columns: dict[str, pa.ChunkedArray] = {}
    key_tables: dict[str, pa.Table] = {}
    if isinstance(data, Mapping):
        reader = open_source(data)
        raws = {schema.name: reader.read(schema) for schema in schemas(model)}
        for s in schemas(model):
            if s.account_column in raws[s.name].table.column_names:
                columns[s.name] = raws[s.name].table.column(s.account_column)
            if s.name in keys:
                key_tables[s.name] = raws[s.name].table.select(list(keys[s.name]))
    elif shippable(data):
        raws = {}
        reader = open_source(data)
        try:
            for schema in schemas(model):
                name = schema.account_column
                wanted = [name] if name is not None else []
                wanted += [k for k in keys.get(schema.name, ()) if k not in wanted]
                specs = tuple(s for s in map(schema.column, wanted) if s is not None)
                if not specs:
                    continue
                only = attrs.evolve(schema, columns=specs)
                table = reader.read(only).table
                if name in table.column_names:
                    columns[schema.name] = table.column(name)
                if schema.name in keys:
                    key_tables[schema.name] = table.select(list(keys[schema.name]))
        finally:
            reader.close()
    else:
        raise SlaUsageError(NOT_SHIPPABLE.format(shown_as(data)))
    strings = {n: s for n, s in ((n, account_strings(c)) for n, c in columns.items())}
    present = [s for s in strings.values() if s is not None]
    names = (
        np.unique(np.concatenate([pc.unique(s).drop_null().to_numpy(False) for s in present]))
        if present
        else np.array([], object)
    ).astype(object)
    value_set = pa.array(names, pa.string())
    records = np.zeros(len(names), np.int64)
    for s in present:
        codes = pc.index_in(s, value_set=value_set).drop_null().to_numpy(False)
        records += np.bincount(codes, minlength=len(names))
    label = np.arange(len(names), dtype=np.int64)
    item_labels: list[np.ndarray] = []
    firsts: list[np.ndarray] = []
    if keys:
        pairs = []
        for stream in keys:
            key_tables[stream] = plain(key_tables[stream])
            item, first = item_codes(key_tables[stream])
            found = strings.get(stream)
            if found is None:
                account = np.full(len(item), -1, np.int64)
            else:
                at = pc.index_in(found, value_set=value_set).fill_null(-1)
                account = np.asarray(at.to_numpy(zero_copy_only=False), np.int64)
            pairs.append((item, account, len(first)))
            firsts.append(first)
        label, item_labels = components(pairs, len(names))
    roots = np.unique(label)
    grouped = np.bincount(label, weights=records, minlength=len(names)).astype(np.int64)
    bins = _pack(grouped[roots], max(1, min(partitions, len(roots))))
    part_of_label = np.zeros(len(names), np.int64)
    for i, members in enumerate(bins):
        part_of_label[roots[members]] = i
    part_of = part_of_label[label]
    parts = [np.flatnonzero(part_of == i) for i in range(len(bins))]
    subsets = []
    for i, part in enumerate(parts):
        mine = pa.array(names[part], pa.string())
        subset = Subset(data, mine, value_set if i == 0 else None)
        if keys:
            held = items_of(keys, key_tables, item_labels, firsts, part_of_label, i)
            subset = attrs.evolve(subset, items=held)
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
