"""One partition of the accounts: every stream's rows that name them, and nothing else.

Accounts are independent (SPEC §6.7), so a load of a `Subset` is a load of the whole
data restricted to some accounts: `loader.load` takes a `Subset` wherever it takes a
source (`readers.open_source` asks it for its reader). Row numbers stay those of the
whole source, so a bad row is named as a single load names it.

Rows that name no account of any partition (a null or unknown account, rows a reader
could not read at all) go to the partition holding `others`, so that each bad row is
counted exactly once. A stream without an account column is read whole by every
partition (its bad rows are counted by the partition holding `others` only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slagraph.data.databases import Accounts
from slagraph.data.raw import RawTable
from slagraph.data.readers import open_source
from slagraph.data.schema import StreamSchema
from slagraph.data.sources import Source, read_some

_ROW = "__slagraph_row__"


def account_strings(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """An account column as plain strings (None when it holds no text at all: its rows
    are bad rows, which the loader reports)."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_null(column.type):
        return None
    if pa.types.is_large_string(column.type):
        column = column.cast(pa.string())
    return column if pa.types.is_string(column.type) else None


@attrs.frozen(eq=False)
class Subset:
    """The rows of `accounts` (names) in `source`; with `others` (every partitioned
    account), also the rows naming none of them. `tables`: streams read already (an
    in-memory source, filtered before it is shipped), by stream name."""

    source: Any
    accounts: pa.Array
    others: pa.Array | None = None
    tables: Mapping[str, RawTable] | None = None
    items: Mapping[str, pa.Table] | None = None
    """Clocked streams: the key rows of the items this partition holds (their rows are
    kept whatever account they name; rows with a null key go with `others`)."""

    def keep(self, schema: StreamSchema, column: pa.ChunkedArray) -> np.ndarray:
        """Which rows of a stream's account column belong to this partition."""
        strings = account_strings(column)
        if strings is None:
            return np.full(len(column), self.others is not None)
        mine = pc.is_in(strings, value_set=self.accounts)
        if self.others is not None:
            mine = pc.or_(mine, pc.invert(pc.is_in(strings, value_set=self.others)))
        return np.asarray(mine.fill_null(self.others is not None).to_numpy(zero_copy_only=False))

    def filter(self, raw: RawTable, schema: StreamSchema) -> RawTable:
        """`raw` cut to this partition's rows (a no-op on rows already cut)."""
        if self.items is not None and schema.name in self.items:
            mask = self._of_items(raw.table, self.items[schema.name])
        elif schema.account_column is None or schema.account_column not in raw.table.column_names:
            return raw  # every partition reads it; slagraph.distributed counts it once
        else:
            mask = self.keep(schema, raw.table.column(schema.account_column))
        if mask.all():
            return raw
        rows = raw.rows[mask]
        errors = raw.read_errors
        if errors:  # nulled rows follow their row; rows not in the table, `others`
            at = np.array([e.row for e in errors], np.int64)
            ours = np.isin(at, rows) | (self.others is not None) & ~np.isin(at, raw.rows)
            errors = tuple(e for e, mine in zip(errors, ours, strict=True) if mine)
        return attrs.evolve(
            raw, table=raw.table.filter(pa.array(mask)), rows=rows, read_errors=errors
        )

    def _of_items(self, table: pa.Table, held: pa.Table) -> np.ndarray:
        """Rows whose item key is one of `held` (a semi-join in Arrow); null keys: others."""
        keys = held.column_names
        probe = table.select(keys)
        probe = pa.table(
            [
                c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c
                for c in probe.columns
            ],
            names=keys,
        ).append_column(_ROW, pa.array(np.arange(table.num_rows, dtype=np.int64)))
        hit = probe.join(held, keys=keys, join_type="left semi")
        mask = np.zeros(table.num_rows, bool)
        mask[np.asarray(hit.column(_ROW).to_numpy(), np.int64)] = True
        if self.others is not None:
            for column in probe.columns[: len(keys)]:
                mask |= np.asarray(column.is_null().to_numpy(zero_copy_only=False), bool)
        return mask

    def pushdown(self) -> Accounts:
        """The partition's rows as a database reads them (`WHERE account IN …`)."""
        others = None if self.others is None else self.others.to_pylist()
        return Accounts(self.accounts.to_pylist(), others)

    def open_reader(self) -> _SubsetReader:
        return _SubsetReader(self)


class _SubsetReader:
    """A source's reader whose tables hold only one partition's rows."""

    def __init__(self, subset: Subset) -> None:
        self.subset = subset
        self.inner = None if subset.tables is not None else open_source(subset.source)

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()

    def read(self, schema: StreamSchema) -> RawTable:
        if self.subset.tables is not None:
            return self.subset.tables[schema.name]
        assert self.inner is not None
        if self.subset.items is not None and schema.name in self.subset.items:
            raw = read_some(self.inner, schema)  # an item's rows name several accounts
        else:
            raw = read_some(self.inner, schema, self.subset.keep, self.subset.pushdown())
        return self.subset.filter(raw, schema)


def shippable(source: object) -> bool:
    """Whether a worker can open `source` itself: a path or URI (or a `Source` of one),
    not an open connection."""
    import os

    if isinstance(source, Source):
        return not source.connected
    return isinstance(source, str | os.PathLike)
