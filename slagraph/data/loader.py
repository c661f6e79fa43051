"""`load`: every declared stream read, validated and coded onto one account axis."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from typing import Protocol, TypeVar

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slagraph import runtime
from slagraph.data.checks import (
    duplicate_key_problem,
    null_account_problems,
    order_problems,
    resolve,
    take,
    unknown_account_problem,
)
from slagraph.data.encoding import encode_among
from slagraph.data.readers import RawTable, open_source
from slagraph.data.schema import ACCOUNT_COLUMN, ColumnSpec, StreamSchema
from slagraph.data.tables import Column, Dataset, EventTable
from slagraph.data.validate import Problem, convert_column, shown
from slagraph.errors import SlaUsageError
from slagraph.runtime import Inline, workers

BAD_ROW_POLICIES = ("error", "skip")
T = TypeVar("T")
Converted = tuple[Column, list[Problem]]  # a column and the problems found in it


def _pool_for(pool: Executor, records: int) -> Executor:
    """`pool` for a big table's columns, inline execution for a small one's."""
    return pool if records >= runtime.PARALLEL_MIN_RECORDS else Inline()


def load(
    source: object,
    streams: Sequence[StreamSchema],
    accounts: StreamSchema | None = None,
    *,
    order_checks: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    on_bad_rows: str = "error",
) -> Dataset:
    """Read and validate every declared stream (SPEC §3.7).

    Args:
        source: a folder (`NAME.csv` / `NAME.parquet` / `NAME.jsonl` per stream, NAME being
            the schema's `source`), a SQLite or DuckDB file or a `postgresql://` URI
            (one table per stream), an open ADBC or DuckDB connection, or a mapping
            `{name: DataFrame | pyarrow.Table | dict of columns}`.
        streams: the declared streams.
        accounts: the accounts table's schema, if the model declares one.
        order_checks: per stream, `(later, earlier)` column pairs that must satisfy
            `later >= earlier` where both are known; `(end, start)` is always checked
            when a stream has both.
        on_bad_rows: "error" stops at the first bad row with its message; "skip" leaves
            out every bad row and counts it in `Dataset.bad_rows`. Structural problems
            (missing file, table or column; unreadable file) raise either way.

    Raises:
        SlaDataError: the data does not match the declarations.
        SlaUsageError: `source` is not something that can be read, or a bad option.

    Streams are read one after another; their columns are converted on worker threads
    while later streams are read. Errors are raised in the order a sequential load meets
    them: a bad row of an earlier stream before a read error of a later one.
    """
    if on_bad_rows not in BAD_ROW_POLICIES:
        raise SlaUsageError(f"on_bad_rows must be 'error' or 'skip', got {on_bad_rows!r}")
    skip = on_bad_rows == "skip"
    checks = dict(order_checks or {})
    reader = open_source(source)
    bad_rows: dict[str, int] = {}
    with workers() as pool:
        try:
            account_table = None
            known = None
            if accounts is not None:
                raw = reader.read(accounts)
                accounts = _as_read(accounts, raw)
                account_table, count = _stream(
                    raw,
                    accounts,
                    _convert(_pool_for(pool, raw.table.num_rows), raw, accounts),
                    checks.get(accounts.name, ()),
                    skip,
                    key=True,
                )
                if count:
                    bad_rows[accounts.name] = count
                key = account_table.columns[ACCOUNT_COLUMN]
                assert key.dictionary is not None
                known = key.dictionary[key.values]
                account_table = _recode(account_table, known, _lookup(key, known))
            pending: list[tuple[StreamSchema, RawTable, list[_Pending]]] = []
            try:
                for schema in streams:
                    raw = reader.read(schema)
                    schema = _as_read(schema, raw)
                    converting = _convert(
                        _pool_for(pool, raw.table.num_rows),
                        raw,
                        schema,
                        known,
                        checks.get(schema.name, ()),
                    )
                    pending.append((schema, raw, converting))
            except BaseException:
                for schema, raw, converted in pending:  # their bad rows come first
                    _stream(raw, schema, converted, checks.get(schema.name, ()), skip, known=known)
                raise
            tables: dict[str, EventTable] = {}
            for schema, raw, converted in pending:
                table, count = _stream(
                    raw, schema, converted, checks.get(schema.name, ()), skip, known=known
                )
                tables[schema.name] = table
                if count:
                    bad_rows[schema.name] = count
        finally:
            reader.close()
        if known is None:
            known = _union_of_accounts(tables.values())
        recoded = {
            name: _pool_for(pool, len(table)).submit(
                _recode, table, known, _lookup(table.columns[ACCOUNT_COLUMN], known)
            )
            for name, table in tables.items()
            if ACCOUNT_COLUMN in table.columns
        }
        for name, future in recoded.items():
            tables[name] = future.result()
    return Dataset(tables, account_table, known, bad_rows)


class _Pending(Protocol):
    def result(self) -> Converted: ...


PIECE_ROWS = 1_000_000  # account columns longer than two pieces are coded piece by piece


class _CodedInPieces:
    """A big account column coded onto the accounts table in pieces, one task each, so
    that the pool's threads share the load's longest task (hashing every account name)
    instead of one thread finishing it alone. `result()` is that of `convert_column`; a
    piece holding an account the table lacks sends the column to `convert_column`, which
    names it."""

    def __init__(
        self,
        pool: Executor,
        schema: StreamSchema,
        spec: ColumnSpec,
        array: pa.ChunkedArray,
        from_text: bool,
        known: np.ndarray,
    ) -> None:
        self.args = (schema, spec, array, from_text, known)
        self.codes = np.empty(len(array), np.int32)
        value_set = pa.array(known, pa.string())
        self.pieces = [
            pool.submit(
                encode_among,
                array.slice(start, PIECE_ROWS),
                value_set,
                self.codes[start : start + PIECE_ROWS],
            )
            for start in range(0, len(array), PIECE_ROWS)
        ]

    @staticmethod
    def fits(
        schema: StreamSchema, spec: ColumnSpec, array: pa.ChunkedArray, known: np.ndarray | None
    ) -> bool:
        return (
            spec.name == schema.account_column
            and known is not None
            and len(array) >= 2 * PIECE_ROWS
            and array.null_count == 0
            and (pa.types.is_string(array.type) or pa.types.is_large_string(array.type))
        )

    def result(self) -> Converted:
        if all(piece.result() is not None for piece in self.pieces):
            known = self.args[-1]
            return Column("text", self.codes, None, known), []
        return convert_column(*self.args)


def _convert_read(
    schema: StreamSchema, spec: ColumnSpec, array: pa.ChunkedArray, from_text: bool
) -> Converted:
    """`convert_column`, then the copy out of Arrow that a `Deferred` column would leave
    for its first reader: for columns the model is known to read, so that the copy
    happens here, spread over the pool with the rest of loading, rather than inside
    one metric, which would then finish after the others."""
    column, problems = convert_column(schema, spec, array, from_text)
    if column.source is not None:
        column.source.get()
    return column, problems


def _convert(
    pool: Executor,
    raw: RawTable,
    schema: StreamSchema,
    known: np.ndarray | None = None,
    read: Sequence[tuple[str, str]] = (),
) -> list[_Pending]:
    """Start converting every declared column of a stream (see `validate.convert_column`);
    with `known`, the account column is coded straight onto those accounts. Time columns
    of the `read` pairs (the durations the model measures) are copied out of Arrow now."""
    needed = {name for pair in read for name in pair} | {"start", "end"}
    started: list[_Pending] = []
    for spec in schema.columns:
        array = raw.table.column(spec.name)
        if _CodedInPieces.fits(schema, spec, array, known) and not isinstance(pool, Inline):
            assert known is not None
            started.append(_CodedInPieces(pool, schema, spec, array, raw.from_text, known))
            continue
        if spec.type == "time" and spec.name in needed:
            started.append(pool.submit(_convert_read, schema, spec, array, raw.from_text))
            continue
        ours = known if spec.name == schema.account_column else None
        started.append(pool.submit(convert_column, schema, spec, array, raw.from_text, ours))
    return started


def _stream(
    raw: RawTable,
    schema: StreamSchema,
    converted: list[_Pending],
    pairs: Sequence[tuple[str, str]],
    skip: bool,
    *,
    key: bool = False,
    known: np.ndarray | None = None,
) -> tuple[EventTable, int]:
    """One stream: typed, checked, and filtered or failed by the bad-row policy."""
    columns: dict[str, Column] = {}
    problems: list[Problem] = []
    for spec, future in zip(schema.columns, converted, strict=True):
        columns[spec.name], found = future.result()
        problems.extend(found)
    pairs = list(pairs)
    names = schema.names
    if "start" in names and "end" in names and ("end", "start") not in pairs:
        pairs.append(("end", "start"))
    checked = [p for p in pairs if p[0] in names and p[1] in names]
    problems += order_problems(columns, checked, _as_written(raw, schema))
    name = schema.account_column
    account = columns.get(name) if name is not None else None
    if name is not None and account is not None and account.type == "text":
        if name != ACCOUNT_COLUMN:  # `account from group`: `group` is the account too
            if not schema.unassigned:
                problems += null_account_problems(account, name)
            columns[ACCOUNT_COLUMN] = account
        extra: Problem | None = None
        if key:
            extra = duplicate_key_problem(account, raw.rows, name)
        elif known is not None:
            extra = unknown_account_problem(account, known, _lookup(account, known), name)
        if extra is not None:
            problems.append(extra)
    keep = resolve(
        schema.name, raw.rows, problems, raw.read_errors, skip, raw.where, schema.header_of
    )
    rows = raw.rows
    count = 0
    if raw.read_errors:
        # rows a reader nulled rather than dropped (memory, SQLite) go too
        in_table = np.isin(rows, np.array([e.row for e in raw.read_errors], np.int64))
        if in_table.any():
            keep = ~in_table if keep is None else keep & ~in_table
        count += len({e.row for e in raw.read_errors}) - int(in_table.sum())
    if keep is not None:
        count += int((~keep).sum())
        columns = {name: take(column, keep) for name, column in columns.items()}
        rows = rows[keep]
    return EventTable(schema.name, raw.origin, columns, rows), count


def _as_read(schema: StreamSchema, raw: RawTable) -> StreamSchema:
    """The schema with the decimal mark its CSV file was found to use (`csv_dialect`)."""
    if raw.from_text and schema.decimal != raw.dialect.decimal:
        return attrs.evolve(schema, decimal=raw.dialect.decimal)
    return schema


def _as_written(raw: RawTable, schema: StreamSchema) -> Callable[[str, int], str | None] | None:
    """For messages: a value of a `time format` stream as its file writes it."""
    if schema.time_format is None:
        return None

    def text(name: str, i: int) -> str | None:
        value = raw.table.column(name)[i].as_py()
        return shown(value) if isinstance(value, str) else None

    return text


def _lookup(column: Column, known: np.ndarray) -> np.ndarray:
    """Position in `known` of each dictionary entry of a text column, -1 when absent."""
    assert column.dictionary is not None
    if column.dictionary is known:  # coded onto the accounts table while converting
        return np.arange(len(known), dtype=np.int32)
    if len(column.dictionary) == 0:
        return np.zeros(0, np.int32)
    positions = pc.index_in(
        pa.array(column.dictionary, pa.string()), value_set=pa.array(known, pa.string())
    )
    return positions.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)


def _recode(table: EventTable, known: np.ndarray, lookup: np.ndarray) -> EventTable:
    """The table with its account codes pointing into the global account list."""
    column = table.columns[ACCOUNT_COLUMN]
    if column.dictionary is known:  # coded onto it while converting
        return table
    # one gather: code -1 (null) picks the appended -1
    codes = np.append(lookup, -1).astype(np.int32)[column.values]
    columns = dict(table.columns)
    columns[ACCOUNT_COLUMN] = Column("text", codes, column.valid, known)
    return EventTable(table.stream, table.origin, columns, table.rows)


def _union_of_accounts(tables: object) -> np.ndarray:
    """The sorted account names actually present (unused dictionary entries ignored)."""
    names: list[np.ndarray] = []
    for table in tables:  # type: ignore[attr-defined]
        column = table.columns.get(ACCOUNT_COLUMN)
        if column is None or column.dictionary is None:
            continue
        seen = np.zeros(len(column.dictionary) + 1, bool)
        seen[column.values] = True  # null (-1) marks the spare last slot
        used = np.flatnonzero(seen[:-1])
        names.append(column.dictionary[used])
    if not names:
        return np.array([], dtype=object)
    return np.unique(np.concatenate(names).astype(object)).astype(object)
