"""Where tables come from: a folder of CSV/Parquet/JSONL files, a SQLite file, memory, or
a database (PostgreSQL, DuckDB: `databases`).

A reader's only job is to produce, for one declared stream, an Arrow table holding the
declared columns (as close to their final types as the format allows), the source row
number of each record, and the records it could not read at all. Typing, nulls and
cross-column checks are `validate`'s. Readers open only what they are given: the
folder's own files by the declared names, or the one SQLite file.

What "row" means (also in docs/data.md):
* CSV: the N-th data record (the header is not counted; blank lines are skipped, a
  quoted field may span lines). Messages also give the file line the record starts on.
* JSONL: the N-th JSON object (blank lines skipped); messages also give the file line.
* Parquet, in-memory tables: the N-th row (position, 1-based; a DataFrame's index
  labels are ignored).
* SQLite: the rowid (`SELECT * FROM t WHERE rowid = N` finds it); tables without rowid
  (and views) fall back to position.
* PostgreSQL, DuckDB: the position in primary-key order; without a key, the position
  in the order the database returned (see `databases`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.json as pjson
import pyarrow.parquet as pq

from slagraph.data import databases
from slagraph.data.csv_reader import (  # noqa: F401 (re-exported: the CSV helpers lived here)
    _ends_outside_quotes,
    _keeping_crlf_whole,
    block_size,
    boundaries_outside_quotes,
    physical_lines,
    read_csv,
    record_lines,
)
from slagraph.data.databases import DatabaseSource
from slagraph.data.raw import (
    BOM,
    RawTable,
    _check_columns,
    _error,
    _positions,
    file_bytes,
    renamed,
)
from slagraph.data.schema import StreamSchema
from slagraph.data.validate import RowError, expected_text, shown
from slagraph.errors import SlaDataError, SlaUsageError, did_you_mean

FORMATS = ("csv", "parquet", "jsonl", "csv.gz", "jsonl.gz")
"""File name endings a folder is searched for, in the order messages list them."""
MEMORY = "<memory>"
__all__ = ["RawTable", "open_source", "read_csv"]


# ------------------------------------------------------------------ JSONL

_JSON_TYPES = {"text": pa.string(), "number": pa.float64(), "bool": pa.bool_(), "time": pa.string()}


def _json_mismatch(line: bytes, schema: StreamSchema, fallback: str) -> tuple[str | None, str]:
    """Which declared field of one unreadable JSON line is wrong, and how (one line)."""
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        return None, f"not valid JSON: {getattr(e, 'msg', str(e))}"
    if not isinstance(record, dict):
        return None, f"expected a JSON object, got {shown(line.decode(errors='replace'))}"
    want = {"text": (str,), "number": (int, float), "bool": (bool,), "time": (str,)}
    for spec in schema.columns:
        value = record.get(spec.source)
        if value is None:
            continue
        ok = isinstance(value, want[spec.type]) and not (
            spec.type == "number" and isinstance(value, bool)
        )
        if not ok:
            return spec.name, f"expected {expected_text(spec, schema)}, got {shown(value)}"
    return None, f"cannot read this line: {fallback}"


def read_jsonl(path: Path, schema: StreamSchema, origin: str) -> RawTable:
    """One JSON object per line. Missing keys are nulls; a declared column that no line
    ever names is a missing column. Declared types are given to pyarrow up front, so each
    line reads or fails on its own, and unreadable lines are found by bisection: a
    logarithmic number of reads per bad line instead of a Python loop over every line."""
    raw = file_bytes(path, schema, origin)
    if raw.startswith(BOM):  # spaces keep every byte offset and line where it was
        raw = b"   " + raw[len(BOM) :]
    if not raw.strip():
        raise _error(schema, f"{origin} is empty: expected one JSON object per line")
    for spec in schema.columns:
        if not spec.nullable and json.dumps(spec.source).encode() not in raw:
            raise _error(
                schema,
                f'missing column: no line of {origin} has the key "{spec.source}"',
                spec.name,
            )
    options = pjson.ParseOptions(
        explicit_schema=pa.schema([(c.source, _JSON_TYPES[c.type]) for c in schema.columns]),
        unexpected_field_behavior="ignore",
    )
    data = np.frombuffer(raw, np.uint8)
    lines = record_lines(data, quoted=False)
    newline_at = np.flatnonzero(data == 10)
    # byte span of each non-blank line
    starts = np.concatenate([[0], newline_at + 1])[lines - 1]
    stops = np.concatenate([newline_at, [len(raw)]])[lines - 1]

    def read(lo: int, hi: int) -> pa.Table | str:
        try:
            block = raw[starts[lo] : stops[hi - 1]] + b"\n"
            return pjson.read_json(pa.BufferReader(block), parse_options=options)
        except pa.ArrowInvalid as e:
            return str(e)

    pieces, bad = bisect(len(lines), read)
    errors = []
    for i, message in bad:
        column, text = _json_mismatch(raw[starts[i] : stops[i]], schema, message)
        errors.append(RowError(i + 1, column, text))
    tables = [t for t in pieces if t.num_rows]
    table = pa.concat_tables(tables) if tables else options.explicit_schema.empty_table()
    table = renamed(table, schema)
    rows = _positions(len(lines))
    if bad:
        rows = np.delete(rows, [i for i, _ in bad])
    return RawTable(table, origin, rows, False, tuple(errors), lambda row: int(lines[row - 1]))


def bisect(n: int, read: Callable[[int, int], object]) -> tuple[list, list[tuple[int, str]]]:
    """Read [0, n) in pieces, splitting every piece that fails until single items.

    `read(lo, hi)` returns a result or an error string. Returns the results of the good
    pieces in order and the (index, error) of every bad item. Costs one read when
    nothing is wrong, and about 2·log2(n) reads per bad item otherwise.
    """
    if n == 0:
        return [], []
    good: list = []
    bad: list[tuple[int, str]] = []
    stack = [(0, n)]
    while stack:
        lo, hi = stack.pop()
        result = read(lo, hi)
        if not isinstance(result, str):
            good.append((lo, result))
        elif hi - lo == 1:
            bad.append((lo, result))
        else:
            mid = (lo + hi) // 2
            stack.extend([(mid, hi), (lo, mid)])
    good.sort(key=lambda p: p[0])
    return [r for _, r in good], sorted(bad)


# ------------------------------------------------------------------ Parquet


Keep = Callable[[StreamSchema, pa.ChunkedArray], np.ndarray]
"""Which rows of a stream to read, from its account column (a partition's accounts)."""


def read_parquet(
    path: Path, schema: StreamSchema, origin: str, keep: Keep | None = None
) -> RawTable:
    """With `keep`, the account column is read first and only the row groups holding a
    kept row are read whole (slagraph.distributed); row numbers stay those of the file."""
    try:
        # `ParquetFile.read`, not `pq.read_table`: the latter imports pandas (for pandas'
        # metadata in the file), which slagraph never uses.
        text = [c.source for c in schema.columns if c.type == "text"]
        file = pq.ParquetFile(path, read_dictionary=text)
        present = file.schema_arrow.names
        _check_columns(schema, present, origin)
        sources = [c.source for c in schema.columns]
        spec = schema.column(schema.account_column) if schema.account_column else None
        if keep is None or spec is None:
            table = file.read(columns=sources)
            return RawTable(renamed(table, schema), origin, _positions(table.num_rows))
        mask = keep(schema, file.read(columns=[spec.source]).column(0))
        sizes = [file.metadata.row_group(i).num_rows for i in range(file.num_row_groups)]
        starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
        kept = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
        groups = np.flatnonzero(kept[starts[1:]] > kept[starts[:-1]])
        table = file.read_row_groups(list(groups), columns=sources)
        inside = np.concatenate(
            [np.arange(starts[g], starts[g + 1]) for g in groups] or [np.zeros(0, np.int64)]
        )
        table = table.filter(pa.array(mask[inside]))
        rows = inside[mask[inside]] + 1
    except (pa.ArrowInvalid, OSError) as e:
        raise _error(schema, f"cannot read {origin} as Parquet: {e}") from e
    return RawTable(renamed(table, schema), origin, rows.astype(np.int64))


# ------------------------------------------------------------------ Python values


_PY_TYPES = {"text": pa.string(), "number": pa.float64(), "bool": pa.bool_(), "time": pa.string()}


def arrow_column(values: object, spec_type: str) -> tuple[pa.Array, list[tuple[int, object]]]:
    """An Arrow array from Python/pandas/numpy values, and the positions that could not
    be taken (mixed types), which are nulled. Inference first (it keeps native types such
    as tz-aware datetimes); bisection against the declared type only when it fails."""
    if isinstance(values, pa.ChunkedArray | pa.Array):
        return values, []
    try:
        return pa.array(values, from_pandas=True), []
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        pass
    items = np.asarray(values, dtype=object)
    target = _PY_TYPES[spec_type]

    def read(lo: int, hi: int) -> pa.Array | str:
        try:
            return pa.array(items[lo:hi], type=target, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as e:
            return str(e)

    pieces, bad = bisect(len(items), read)
    if not bad:
        return pa.concat_arrays(pieces), []
    fixed = items.copy()
    fixed[[i for i, _ in bad]] = None
    return pa.array(fixed, type=target, from_pandas=True), [(i, items[i]) for i, _ in bad]


def _python_table(
    schema: StreamSchema, columns: Mapping[str, object], origin: str, rows: np.ndarray | None
) -> RawTable:
    arrays = {}
    errors = []
    lengths = set()
    for spec in schema.columns:
        array, bad = arrow_column(columns[spec.source], spec.type)
        arrays[spec.name] = array
        lengths.add(len(array))
        for i, value in bad:
            row = int(rows[i]) if rows is not None else i + 1
            errors.append(
                RowError(
                    row, spec.name, f"expected {expected_text(spec, schema)}, got {shown(value)}"
                )
            )
    if len(lengths) > 1:
        sizes = ", ".join(f"'{k}': {len(v)}" for k, v in arrays.items())
        raise _error(schema, f"columns differ in length ({sizes}) in {origin}")
    n = lengths.pop() if lengths else 0
    table = pa.table(arrays) if arrays else pa.table({})
    return RawTable(
        table,
        origin,
        rows if rows is not None else _positions(n),
        False,
        tuple(sorted(errors, key=lambda e: e.row)),
    )


def read_memory(value: object, schema: StreamSchema) -> RawTable:
    """A pandas DataFrame, a pyarrow Table/RecordBatch, or a dict of lists/arrays."""
    if isinstance(value, pa.RecordBatch):
        value = pa.Table.from_batches([value])
    if isinstance(value, pa.Table):
        _check_columns(schema, value.column_names, MEMORY)
        table = renamed(value, schema)
        return RawTable(table, MEMORY, _positions(table.num_rows))
    if isinstance(value, Mapping):
        present = [str(k) for k in value]
        _check_columns(schema, present, MEMORY)
        return _python_table(schema, value, MEMORY, None)
    if hasattr(value, "columns") and hasattr(value, "iloc"):  # pandas, without importing it
        present = [str(k) for k in value.columns]
        _check_columns(schema, present, MEMORY)
        frame: Any = value
        columns = {c.source: frame[c.source] for c in schema.columns}
        return _python_table(schema, columns, MEMORY, None)
    raise SlaUsageError(
        f"stream '{schema.name}': expected a pandas DataFrame, a pyarrow Table or a dict "
        f"of columns, got {type(value).__name__}"
    )


# ------------------------------------------------------------------ SQLite

SQLITE_MAGIC = b"SQLite format 3\x00"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_reason(error: sqlite3.Error) -> str:
    """SQLite's own words, and what they usually mean for a file someone copied."""
    reason = str(error)
    if isinstance(error, sqlite3.DatabaseError) and not isinstance(error, sqlite3.OperationalError):
        reason += " (the file is damaged or incomplete: a truncated or interrupted copy?)"
    return reason


class SqliteSource:
    """One read-only connection to a SQLite file for all streams of a load."""

    def __init__(self, path: Path) -> None:
        self.path = path
        uri = f"file:{urllib.parse.quote(str(path))}?mode=ro"
        try:
            self.con = sqlite3.connect(uri, uri=True)
            found = self.con.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name"
            ).fetchall()
        except sqlite3.Error as e:
            raise SlaDataError(f"cannot read {path} as SQLite: {_sqlite_reason(e)}") from None
        self.tables = [name for (name,) in found]

    def close(self) -> None:
        self.con.close()

    def _fetch(self, schema: StreamSchema, origin: str) -> tuple[list[Any], bool]:
        """The declared columns' rows, with the rowid first when the table has one."""
        table = _quote(schema.source)
        present = [r[1] for r in self.con.execute(f"PRAGMA table_info({table})")]
        _check_columns(schema, present, origin)
        select = ", ".join(_quote(c.source) for c in schema.columns)
        try:
            query = f"SELECT rowid, {select} FROM {table} ORDER BY rowid"
            return self.con.execute(query).fetchall(), True
        except sqlite3.OperationalError as e:
            if "rowid" not in str(e):  # views and WITHOUT ROWID tables: by position
                raise
        return self.con.execute(f"SELECT {select} FROM {table}").fetchall(), False

    def read(self, schema: StreamSchema) -> RawTable:
        origin = f"sqlite:{self.path}:{schema.source}"
        if schema.source not in self.tables:
            listed = ", ".join(self.tables) or "none"
            raise _error(
                schema,
                f"no table '{schema.source}'"
                f"{did_you_mean(schema.source, self.tables)} in {self.path}; "
                f"tables there: {listed}",
            )
        try:
            data, with_rowid = self._fetch(schema, origin)
        except sqlite3.Error as e:
            # A corrupt or truncated file is often only found here, on the pages the
            # query reads; a view over a dropped table fails here too.
            raise _error(
                schema,
                f"cannot read table '{schema.source}' of {self.path} as SQLite: "
                f"{_sqlite_reason(e)}",
            ) from None
        columns = list(zip(*data, strict=True)) if data else [()] * (len(schema.columns) + 1)
        if with_rowid:
            rows = np.array(columns[0], dtype=np.int64)
            columns = columns[1:]
        else:
            rows = _positions(len(data))
        by_name = {
            spec.source: list(col) for spec, col in zip(schema.columns, columns, strict=True)
        }
        return _python_table(schema, by_name, origin, rows)


# ------------------------------------------------------------------ folders


def _check_regular_inside(schema: StreamSchema, file: Path, folder: Path) -> None:
    """Read regular files inside the data folder only: a FIFO or a device (a link to
    /dev/zero) would hang or fill memory, and a link that leaves the folder would read
    a file the user did not give (SPEC §3.7: no file is read that was not given)."""
    try:
        target = file.resolve(strict=True)
        inside = target.is_relative_to(folder.resolve(strict=True))
        regular = stat.S_ISREG(target.stat().st_mode)
    except (OSError, RuntimeError) as error:  # a dangling link, a loop of links
        raise _error(
            schema, f"cannot read {file}: {getattr(error, 'strerror', None) or error}"
        ) from None
    if not inside:
        raise _error(
            schema,
            f"{file} is a link to {target}, outside the data folder {folder}; "
            "copy the file into the folder (links that leave it are not followed)",
        )
    if not regular:
        raise _error(schema, f"{file} is not a regular file (a FIFO, device or folder)")


def file_names(source: str) -> list[str]:
    """The files a stream's `source` may be: exactly itself when it names a format
    (`from "incident_event_log.csv.gz"`), else NAME with each ending of `FORMATS`."""
    if any(source.endswith("." + ext) for ext in FORMATS):
        return [source]
    return [f"{source}.{ext}" for ext in FORMATS]


class FolderSource:
    """A folder with one file per stream: `NAME.csv`, `NAME.parquet` or `NAME.jsonl`,
    the CSV and JSONL ones possibly gzipped (`NAME.csv.gz`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.files = sorted(os.listdir(path))

    def close(self) -> None:
        pass

    def read(self, schema: StreamSchema, keep: Keep | None = None) -> RawTable:
        """`keep`: the rows to read, pushed into Parquet reads (other formats are read
        whole; the caller filters them)."""
        wanted = file_names(schema.source)
        found = [name for name in wanted if name in self.files]
        if len(found) > 1:
            raise _error(
                schema,
                f"more than one file: {', '.join(found)} in {self.path}; keep one",
            )
        if not found:
            listed = ", ".join(self.files) or "none"
            raise _error(
                schema,
                f"no file: looked for {', '.join(wanted)} in {self.path}; files there: {listed}",
            )
        name = found[0]
        file = self.path / name
        origin = str(file)
        _check_regular_inside(schema, file, self.path)
        if name.endswith((".csv", ".csv.gz")):
            return read_csv(file, schema, origin)
        if name.endswith(".parquet"):
            return read_parquet(file, schema, origin, keep)
        return read_jsonl(file, schema, origin)


class MemorySource:
    """`{name: table}`; a stream is looked up by its name, then by its `from` source."""

    def __init__(self, tables: Mapping[str, object]) -> None:
        self.tables = tables

    def close(self) -> None:
        pass

    def read(self, schema: StreamSchema) -> RawTable:
        for key in (schema.name, schema.source):
            if key in self.tables:
                return read_memory(self.tables[key], schema)
        names = [str(k) for k in self.tables]
        raise _error(
            schema,
            f"no table '{schema.name}'{did_you_mean(schema.source, names)} in the given "
            f"data; tables there: {', '.join(names) or 'none'}",
        )


def open_source(source: object) -> FolderSource | SqliteSource | MemorySource | DatabaseSource:
    """Decide what `source` is, opening nothing but it."""
    opener = getattr(source, "open_reader", None)  # a partition (data/partitions.py)
    if callable(opener):
        return opener()  # type: ignore[no-any-return]
    if isinstance(source, Mapping):
        return MemorySource(source)
    if databases.is_connection(source):
        return databases.open_connection(source)
    if databases.is_postgres_uri(source):
        assert isinstance(source, str)
        return databases.open_postgres(source)
    if not isinstance(source, str | os.PathLike):
        raise SlaUsageError(
            "data must be a folder, a SQLite or DuckDB file, a postgresql:// URI, a "
            f"database connection or a mapping {{stream: table}}, got {type(source).__name__}"
        )
    path = Path(source)
    if path.is_dir():
        return FolderSource(path)
    if not path.exists():
        raise SlaUsageError(f"data source {path} does not exist")
    with open(path, "rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return SqliteSource(path)
    if databases.is_duckdb_file(path, head):
        return databases.open_duckdb(path)
    raise SlaUsageError(
        f"data source {path} is neither a folder nor a SQLite or DuckDB database; "
        "give a folder with one NAME.csv/NAME.parquet/NAME.jsonl per stream"
    )
