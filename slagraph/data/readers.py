"""Where tables come from: a folder of CSV/Parquet/JSONL files, a SQLite file, or memory.

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
"""

from __future__ import annotations

import csv
import itertools
import json
import mmap
import os
import sqlite3
import stat
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.json as pjson
import pyarrow.parquet as pq

from slagraph.data.schema import StreamSchema
from slagraph.data.validate import RowError, expected_text, shown
from slagraph.errors import DataLocation, SlaDataError, SlaUsageError, did_you_mean

FORMATS = ("csv", "parquet", "jsonl")
MEMORY = "<memory>"


@attrs.frozen(eq=False)
class RawTable:
    """One stream as read, before typing.

    Attributes:
        table: the declared columns (extra source columns are never materialised).
        origin: a path, `sqlite:FILE:TABLE` or `<memory>`.
        rows: int64 source row number (see the module docstring) of each table row.
        from_text: the format has only strings (CSV): numbers and bools are parsed.
        read_errors: records the reader could not take as they are, by row number.
        line_of: source row → file line, for messages; only called on the error path.
    """

    table: pa.Table
    origin: str
    rows: np.ndarray
    from_text: bool = False
    read_errors: tuple[RowError, ...] = ()
    line_of: Callable[[int], int] | None = None

    def where(self, row: int) -> str:
        """The position suffix of a message about `row`."""
        if self.line_of is not None:
            return f"; at {self.origin}:{self.line_of(row)}"
        return f"; in {self.origin}"


def _error(schema: StreamSchema, message: str, column: str | None = None) -> SlaDataError:
    return SlaDataError(message, DataLocation(schema.name, None, column))


def _check_columns(schema: StreamSchema, present: Sequence[str], origin: str) -> None:
    have = set(present)
    if len(have) < len(present):  # a declared name twice: which column is meant?
        declared = set(schema.names)
        for i, name in enumerate(present):
            if name in declared and name in present[:i]:
                first = present.index(name) + 1
                raise _error(
                    schema,
                    f"column '{name}' appears twice in the header of {origin} "
                    f"(columns {first} and {i + 1})",
                    name,
                )
    for spec in schema.columns:
        if spec.name not in have:
            listed = ", ".join(present) if present else "none"
            raise _error(
                schema,
                f"missing column: {origin} has no column '{spec.name}'"
                f"{did_you_mean(spec.name, present)}; columns there: {listed}",
                spec.name,
            )


_SHARED_POSITIONS = 1 << 24  # rows; longer tables get their own numbers
_shared = np.zeros(0, np.int64)


def _positions(n: int) -> np.ndarray:
    """Row numbers 1…n: a read-only view of one array kept for the largest table read so
    far (at most 128 MiB), since every table needs the same numbers and they never change."""
    global _shared
    if n > _SHARED_POSITIONS:
        return np.arange(1, n + 1, dtype=np.int64)
    shared = _shared  # one read: another thread may replace it meanwhile
    if len(shared) < n:
        shared = np.arange(1, n + 1, dtype=np.int64)
        shared.setflags(write=False)
        _shared = shared
    return shared[:n]


# ------------------------------------------------------------------ CSV


def _case_variants(word: str) -> list[str]:
    return ["".join(p) for p in itertools.product(*[(c.lower(), c.upper()) for c in word])]


_TRUE = [*_case_variants("true"), "1"]
_FALSE = [*_case_variants("false"), "0"]


def _fast_types(schema: StreamSchema) -> dict[str, pa.DataType]:
    naive = schema.timezone is not None
    return {
        c.name: {
            "text": pa.dictionary(pa.int32(), pa.string()),
            "number": pa.float64(),
            "bool": pa.bool_(),
            "time": pa.timestamp("ns") if naive else pa.timestamp("ns", "UTC"),
        }[c.type]
        for c in schema.columns
    }


def _csv_header(path: Path, schema: StreamSchema, origin: str) -> list[str]:
    try:
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
            header = next((row for row in csv.reader(f) if row), None)  # blank lines skipped
    except OSError as e:
        raise _error(schema, f"cannot read {origin}: {e.strerror}") from e
    except csv.Error as e:  # e.g. a quote that never closes: a field over 128 KiB
        raise _error(schema, f"cannot read the header line of {origin}: {e}") from e
    if not header or header == [""]:
        raise _error(schema, f"{origin} is empty: expected a header line naming the columns")
    return header


def record_lines(data: np.ndarray, quoted: bool) -> np.ndarray:
    """The 1-based file line each non-blank record of a text file starts on (vectorised).

    With `quoted`, newlines inside double quotes do not end a record (CSV); `""` escapes
    toggle the parity twice and so need no special case.
    """
    newlines = np.flatnonzero(data == 10)
    ends = newlines
    if quoted:
        quotes = np.cumsum(data == 34)
        ends = newlines[quotes[newlines] % 2 == 0]
    starts = np.concatenate([[0], ends + 1])
    stops = np.concatenate([ends, [len(data)]])
    blank = np.isin(data, np.frombuffer(b" \t\r\n", np.uint8))
    content = np.concatenate([[0], np.cumsum(~blank)])
    nonblank = content[stops] - content[np.minimum(starts, len(data))] > 0
    return np.searchsorted(newlines, starts[nonblank], side="left") + 1


def _field_count(text: str) -> str:
    """How many fields one CSV record has, for a message ("a different number" when even
    Python's csv module cannot split it, e.g. a field over its 128 KiB limit)."""
    try:
        return str(len(next(csv.reader([text]), [])))
    except csv.Error:
        return "a different number"


def _has_quotes(path: Path) -> bool:
    """Whether the file holds a `"` anywhere (memchr speed; stops at the first one)."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return data.find(b'"') != -1


def block_size(size: int) -> int:
    """Bytes per pyarrow CSV block for a file of `size` bytes: pyarrow's 1 MiB up to 64 MiB,
    4 MiB up to 512 MiB, 16 MiB above. Text is dictionary-coded per block as it is parsed,
    and bigger blocks repeat each dictionary fewer times (the 970 MB benchmark file parses
    with ~20% less CPU at 16 MiB than at 1 MiB), while leaving 32 or more blocks to share
    among the threads."""
    if size <= 64 << 20:
        return 1 << 20
    return 4 << 20 if size <= 512 << 20 else 16 << 20


_SCAN = 1 << 18  # bytes per step of `physical_lines`: small enough to stay in cache


def physical_lines(path: Path) -> int:
    """Lines of a file as pyarrow's CSV parser ends them (LF, CRLF or a lone CR), a last
    unterminated line included; blank lines count. Vectorised over cache-sized steps that
    release the GIL (it runs beside pyarrow's parse); CRs are looked for by one `memchr`
    once the LFs are counted and pyarrow holds no GIL, and counted only when present."""
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return 0
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            data = np.frombuffer(m, np.uint8)
            try:
                ends = sum(
                    int(np.count_nonzero(data[i : i + _SCAN] == 10))
                    for i in range(0, len(data), _SCAN)
                )
                if m.find(b"\r") != -1:  # CRLF is one line end, a lone CR another
                    for i in range(0, len(data), _SCAN):
                        block = data[i : i + _SCAN + 1]  # one byte more: a CRLF across steps
                        cr = block[:_SCAN] == 13
                        ends += int(np.count_nonzero(cr))
                        pairs = cr[: len(block) - 1] & (block[1 : len(cr) + 1] == 10)
                        ends -= int(np.count_nonzero(pairs))
                    del block, cr, pairs
                last = int(data[-1])
            finally:
                del data  # the mmap cannot close while numpy views it
            return ends + (last not in (10, 13))


_CRLF_TRIES = 64


def _keeping_crlf_whole(path: Path, block: int) -> int:
    """The first of `block`, `block` + 1, … (64 sizes) whose buffer boundaries split no
    CRLF: pyarrow drops the LF of a CRLF cut by a buffer boundary, which inside a quoted
    value loses a character (with or without `newlines_in_values`). `block` itself when
    none of them does (a CRLF file of very short lines over many blocks), where pyarrow's
    behaviour stays. Only the reads that keep line breaks inside values need it."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return block
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            data = np.frombuffer(m, np.uint8)
            try:
                for size_ in range(block, block + _CRLF_TRIES):
                    edges = np.arange(size_, size, size_)
                    if not np.any((data[edges - 1] == 13) & (data[edges] == 10)):
                        return size_
            finally:
                del data  # the mmap cannot close while numpy views it
    return block


def _ends_outside_quotes(line: bytes) -> bool:
    """Whether one CSV line, read from outside quotes, ends outside them: `"` opens a quoted
    field only at a field start, `""` inside one is a quote. Conservative: a quote whose
    meaning depends on a parser's leniency (inside an unquoted field, or text right after a
    closing quote) counts as not outside. A loop over one line's bytes, not over records."""
    if b'"' not in line:
        return True
    state = 0  # 0 field start, 1 unquoted field, 2 quoted field, 3 quote inside a quoted field
    for c in line:
        if state == 0:
            state = 2 if c == 34 else 0 if c == 44 else 1
        elif state == 1:
            if c == 34:
                return False
            if c == 44:
                state = 0
        elif state == 2:
            if c == 34:
                state = 3
        elif c == 34:
            state = 2
        elif c == 44:
            state = 0
        else:
            return False
    return state != 2


_LONGEST_CHECKED_LINE = 1 << 12


def boundaries_outside_quotes(path: Path, block: int) -> bool:
    """Whether every physical line that a `block`-byte buffer boundary falls in ends outside
    quotes (lines longer than 4 KiB are not checked: false, and the file is read again).

    pyarrow parses the line that straddles into its *final* buffer on its own, as final: a
    quoted value cut at that line's end is emitted as a record (not dropped, as in other
    blocks) and its tail as the next one, so the line count still matches. Every line
    before it was one whole record (the count says so), so it starts outside quotes and
    this check reads it exactly. Every boundary is checked, not only the last: which
    buffer pyarrow treats as final is its business."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        size = len(m)
        seen = set()
        for edge in range(block, size, block):
            for at in (edge - 1, edge):
                lo = max(0, at - _LONGEST_CHECKED_LINE)
                start = max(m.rfind(b"\n", lo, at), m.rfind(b"\r", lo, at)) + 1
                if start == 0 and lo > 0:
                    return False
                if start in seen:
                    continue
                seen.add(start)
                hi = min(size, at + _LONGEST_CHECKED_LINE)
                ends = [e for e in (m.find(b"\n", at, hi), m.find(b"\r", at, hi)) if e >= 0]
                if not ends and hi < size:
                    return False
                if not _ends_outside_quotes(m[start : min(ends) if ends else size]):
                    return False
    return True


def read_csv(path: Path, schema: StreamSchema, origin: str) -> RawTable:
    """The fast path asks pyarrow for the final types; when any value does not fit, the
    whole file is re-read as strings (single-threaded, so ragged records are numbered)
    and `validate` finds the bad rows.

    Block boundaries: pyarrow splits the file into blocks at newlines and parses them on
    threads. A quoted value holding a newline that happens to straddle a boundary is then
    silently cut, which `newlines_in_values` prevents by lexing the whole file in one
    thread first (~40% more CPU than the parse). Instead the fast read is checked, and
    kept only when both hold:
    * the records plus the header equal the file's physical lines (`physical_lines`, one
      vectorised count, ~0.3 s of CPU per GB, beside the parse): a quoted newline inside
      a block merges two lines into one record, a value cut at an ordinary block's end
      loses its record, and a blank line is skipped, so equality means every line was
      one whole record;
    * the lines the block boundaries fall in end outside quotes
      (`boundaries_outside_quotes`): the one case the count cannot see, a value cut at
      the start of the final block, which pyarrow emits as two records.
    Otherwise the file is read again with `newlines_in_values`.
    """
    header = _csv_header(path, schema, origin)
    _check_columns(schema, header, origin)
    names = list(schema.names)
    convert = dict(
        include_columns=names,
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        true_values=_TRUE,
        false_values=_FALSE,
        timestamp_parsers=[pcsv.ISO8601],
    )

    def line_of(row: int) -> int:
        lines = record_lines(np.fromfile(path, dtype=np.uint8), quoted=True)
        return int(lines[row]) if row < len(lines) else int(lines[-1])

    block = block_size(path.stat().st_size)

    def fast(newlines_in_values: bool) -> pa.Table:
        # a read kept without `newlines_in_values` has no line break inside any value
        size = _keeping_crlf_whole(path, block) if newlines_in_values else block
        return pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(block_size=size),
            parse_options=pcsv.ParseOptions(newlines_in_values=newlines_in_values),
            convert_options=pcsv.ConvertOptions(column_types=_fast_types(schema), **convert),
        )

    try:
        if not _has_quotes(path):
            table = fast(False)
        else:  # count the lines while pyarrow parses (both release the GIL)
            with ThreadPoolExecutor(1) as counter:
                lines = counter.submit(physical_lines, path)
                table = fast(False)
                exact = table.num_rows + 1 == lines.result()
                if not (exact and boundaries_outside_quotes(path, block)):
                    table = fast(True)
        return RawTable(table, origin, _positions(table.num_rows), True, (), line_of)
    except pa.ArrowInvalid:
        pass
    ragged: list[tuple[int, str]] = []
    slow_block = _keeping_crlf_whole(path, max(block, 1 << 20))

    def on_invalid(row: pcsv.InvalidRow) -> str:
        ragged.append((row.number - 1 if row.number is not None else -1, row.text))
        return "skip"

    try:
        table = pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(use_threads=False, block_size=slow_block),
            parse_options=pcsv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pcsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, **convert
            ),
        )
    except pa.ArrowInvalid as e:
        raise _error(schema, f"cannot read {origin} as CSV: {e}") from e
    n_fields = len(header)
    errors = tuple(
        RowError(
            number,
            None,
            f"expected {n_fields} fields like the header, got {_field_count(text)}: {shown(text)}",
        )
        for number, text in ragged
    )
    rows = _positions(table.num_rows + len(errors))
    if errors:
        rows = np.setdiff1d(rows, np.array([e.row for e in errors], np.int64))
    return RawTable(table, origin, rows, True, errors, line_of)


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
        value = record.get(spec.name)
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
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise _error(schema, f"cannot read {origin}: {e.strerror}") from e
    if not raw.strip():
        raise _error(schema, f"{origin} is empty: expected one JSON object per line")
    for spec in schema.columns:
        if not spec.nullable and json.dumps(spec.name).encode() not in raw:
            raise _error(
                schema,
                f'missing column: no line of {origin} has the key "{spec.name}"',
                spec.name,
            )
    options = pjson.ParseOptions(
        explicit_schema=pa.schema([(c.name, _JSON_TYPES[c.type]) for c in schema.columns]),
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


def read_parquet(path: Path, schema: StreamSchema, origin: str) -> RawTable:
    try:
        file = pq.ParquetFile(path)
        present = file.schema_arrow.names
        _check_columns(schema, present, origin)
        text = [c.name for c in schema.columns if c.type == "text"]
        table = pq.read_table(path, columns=list(schema.names), read_dictionary=text)
    except (pa.ArrowInvalid, OSError) as e:
        raise _error(schema, f"cannot read {origin} as Parquet: {e}") from e
    return RawTable(table, origin, _positions(table.num_rows))


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
        array, bad = arrow_column(columns[spec.name], spec.type)
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
        table = value.select(list(schema.names))
        return RawTable(table, MEMORY, _positions(table.num_rows))
    if isinstance(value, Mapping):
        present = [str(k) for k in value]
        _check_columns(schema, present, MEMORY)
        return _python_table(schema, value, MEMORY, None)
    if hasattr(value, "columns") and hasattr(value, "iloc"):  # pandas, without importing it
        present = [str(k) for k in value.columns]
        _check_columns(schema, present, MEMORY)
        frame: Any = value
        columns = {c.name: frame[c.name] for c in schema.columns}
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
        select = ", ".join(_quote(n) for n in schema.names)
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
        by_name = {spec.name: list(col) for spec, col in zip(schema.columns, columns, strict=True)}
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


class FolderSource:
    """A folder with one file per stream: `NAME.csv`, `NAME.parquet` or `NAME.jsonl`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.files = sorted(os.listdir(path))

    def close(self) -> None:
        pass

    def read(self, schema: StreamSchema) -> RawTable:
        wanted = [f"{schema.source}.{ext}" for ext in FORMATS]
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
        if name.endswith(".csv"):
            return read_csv(file, schema, origin)
        if name.endswith(".parquet"):
            return read_parquet(file, schema, origin)
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


def open_source(source: object) -> FolderSource | SqliteSource | MemorySource:
    """Decide what `source` is, opening nothing but it."""
    if isinstance(source, Mapping):
        return MemorySource(source)
    if not isinstance(source, str | os.PathLike):
        raise SlaUsageError(
            "data must be a folder, a SQLite file or a mapping {stream: table}, "
            f"got {type(source).__name__}"
        )
    path = Path(source)
    if path.is_dir():
        return FolderSource(path)
    if not path.exists():
        raise SlaUsageError(f"data source {path} does not exist")
    with open(path, "rb") as f:
        magic = f.read(len(SQLITE_MAGIC))
    if magic != SQLITE_MAGIC:
        raise SlaUsageError(
            f"data source {path} is neither a folder nor a SQLite database; "
            "give a folder with one NAME.csv/NAME.parquet/NAME.jsonl per stream"
        )
    return SqliteSource(path)
