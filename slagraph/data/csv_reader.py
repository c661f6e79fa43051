"""CSV files: pyarrow's multi-threaded reader, checked so that no record is cut or lost.

See `read_csv` for how block boundaries and quoted line breaks are handled, and the
module docstring of `slagraph.data.readers` for what "row" means.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import mmap
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from slagraph.data.csv_dialect import HEAD_BYTES, Dialect, decimal_of, dialect_of
from slagraph.data.raw import (
    RawTable,
    _check_columns,
    _error,
    _positions,
    file_bytes,
    is_gzip,
    renamed,
)
from slagraph.data.schema import StreamSchema
from slagraph.data.validate import RowError, shown

Source = Path | bytes
"""A CSV file on disk (memory-mapped), or the bytes of a decompressed `.csv.gz`."""


@contextlib.contextmanager
def _opened(source: Source) -> Iterator[bytes | mmap.mmap]:
    """The file's bytes with `find`, `rfind` and slicing: an mmap of a file on disk (an
    empty file gives b""), or the bytes themselves."""
    if isinstance(source, bytes):
        yield source
        return
    with open(source, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            yield b""
            return
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            yield m


def _case_variants(word: str) -> list[str]:
    return ["".join(p) for p in itertools.product(*[(c.lower(), c.upper()) for c in word])]


_TRUE = [*_case_variants("true"), "1"]
_FALSE = [*_case_variants("false"), "0"]


def _fast_types(schema: StreamSchema) -> dict[str, pa.DataType]:
    """The types pyarrow is asked for, by source column. Times in a `time format` are
    read as text and parsed by `time_formats` (strictly: Arrow's strptime is the
    platform's, which rolls 31/02 over into March)."""
    naive = schema.timezone is not None
    time = pa.timestamp("ns") if naive else pa.timestamp("ns", "UTC")
    if schema.time_format is not None:
        time = pa.string()
    return {
        c.source: {
            "text": pa.dictionary(pa.int32(), pa.string()),
            "number": pa.float64(),
            "bool": pa.bool_(),
            "time": time,
        }[c.type]
        for c in schema.columns
    }


def _text_of(source: Source) -> io.TextIOBase:
    """The file as text, decoded lazily (a UTF-8 byte-order mark dropped)."""
    raw = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")


def _csv_header(source: Source, schema: StreamSchema, origin: str) -> tuple[list[str], str]:
    """The header's fields and the first non-blank physical line (for the dialect)."""
    try:
        with _text_of(source) as f:
            first = next((line for line in f if line.strip()), "")
            f.seek(0)
            rows = csv.reader(f, delimiter=dialect_of(first, schema).separator)
            header = next((row for row in rows if row), None)  # blank lines skipped
    except OSError as e:
        raise _error(schema, f"cannot read {origin}: {e.strerror}") from e
    except csv.Error as e:  # e.g. a quote that never closes: a field over 128 KiB
        raise _error(schema, f"cannot read the header line of {origin}: {e}") from e
    if not header or header == [""]:
        raise _error(schema, f"{origin} is empty: expected a header line naming the columns")
    return header, first


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


def _field_count(text: str, separator: str = ",") -> str:
    """How many fields one CSV record has, for a message ("a different number" when even
    Python's csv module cannot split it, e.g. a field over its 128 KiB limit)."""
    try:
        return str(len(next(csv.reader([text], delimiter=separator), [])))
    except csv.Error:
        return "a different number"


def _has_quotes(source: Source) -> bool:
    """Whether the file holds a `"` anywhere (memchr speed; stops at the first one)."""
    with _opened(source) as data:
        return data.find(b'"') != -1


def block_size(size: int) -> int:
    """Bytes per pyarrow CSV block for a file of `size` bytes: pyarrow's 1 MiB up to 64 MiB,
    4 MiB up to 512 MiB, 16 MiB above. Text is dictionary-coded per block as it is parsed,
    and bigger blocks repeat each dictionary fewer times (less CPU on big files:
    docs/performance.md, Figures), while leaving 32 or more blocks to share among the
    threads."""
    if size <= 64 << 20:
        return 1 << 20
    return 4 << 20 if size <= 512 << 20 else 16 << 20


_SCAN = 1 << 18  # bytes per step of `physical_lines`: small enough to stay in cache


def physical_lines(source: Source) -> int:
    """Lines of a file as pyarrow's CSV parser ends them (LF, CRLF or a lone CR), a last
    unterminated line included; blank lines count. Vectorised over cache-sized steps that
    release the GIL (it runs beside pyarrow's parse); CRs are looked for by one `memchr`
    once the LFs are counted and pyarrow holds no GIL, and counted only when present."""
    with _opened(source) as m:
        if len(m) == 0:
            return 0
        data = np.frombuffer(m, np.uint8)
        try:
            ends = sum(
                int(np.count_nonzero(data[i : i + _SCAN] == 10)) for i in range(0, len(data), _SCAN)
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


def _keeping_crlf_whole(source: Source, block: int) -> int:
    """The first of `block`, `block` + 1, … (64 sizes) whose buffer boundaries split no
    CRLF: pyarrow drops the LF of a CRLF cut by a buffer boundary, which inside a quoted
    value loses a character (with or without `newlines_in_values`). `block` itself when
    none of them does (a CRLF file of very short lines over many blocks), where pyarrow's
    behaviour stays. Only the reads that keep line breaks inside values need it."""
    with _opened(source) as m:
        size = len(m)
        if size == 0:
            return block
        data = np.frombuffer(m, np.uint8)
        try:
            for size_ in range(block, block + _CRLF_TRIES):
                edges = np.arange(size_, size, size_)
                if not np.any((data[edges - 1] == 13) & (data[edges] == 10)):
                    return size_
        finally:
            del data  # the mmap cannot close while numpy views it
    return block


def _ends_outside_quotes(line: bytes, separator: int = 44) -> bool:
    """Whether one CSV line, read from outside quotes, ends outside them: `"` opens a quoted
    field only at a field start, `""` inside one is a quote. Conservative: a quote whose
    meaning depends on a parser's leniency (inside an unquoted field, or text right after a
    closing quote) counts as not outside. A loop over one line's bytes, not over records."""
    if b'"' not in line:
        return True
    state = 0  # 0 field start, 1 unquoted field, 2 quoted field, 3 quote inside a quoted field
    for c in line:
        if state == 0:
            state = 2 if c == 34 else 0 if c == separator else 1
        elif state == 1:
            if c == 34:
                return False
            if c == separator:
                state = 0
        elif state == 2:
            if c == 34:
                state = 3
        elif c == 34:
            state = 2
        elif c == separator:
            state = 0
        else:
            return False
    return state != 2


_LONGEST_CHECKED_LINE = 1 << 12


def boundaries_outside_quotes(source: Source, block: int, separator: str = ",") -> bool:
    """Whether every physical line that a `block`-byte buffer boundary falls in ends outside
    quotes (lines longer than 4 KiB are not checked: false, and the file is read again).

    pyarrow parses the line that straddles into its *final* buffer on its own, as final: a
    quoted value cut at that line's end is emitted as a record (not dropped, as in other
    blocks) and its tail as the next one, so the line count still matches. Every line
    before it was one whole record (the count says so), so it starts outside quotes and
    this check reads it exactly. Every boundary is checked, not only the last: which
    buffer pyarrow treats as final is its business."""
    with _opened(source) as m:
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
                line = m[start : min(ends) if ends else size]
                if not _ends_outside_quotes(line, ord(separator)):
                    return False
    return True


def read_csv(path: Path, schema: StreamSchema, origin: str) -> RawTable:
    """A CSV file (see `_read`)."""
    source: Source = file_bytes(path, schema, origin) if is_gzip(path) else path

    def data() -> np.ndarray:  # read again on the error path only: not kept in memory
        raw = file_bytes(path, schema, origin) if is_gzip(path) else None
        return np.fromfile(path, dtype=np.uint8) if raw is None else np.frombuffer(raw, np.uint8)

    return _read(source, data, 1, schema, origin)


def read_csv_text(text: bytes, schema: StreamSchema, origin: str, first_line: int) -> RawTable:
    """CSV held in memory (a test case's inline data, slagraph/testcases): read exactly as
    a file is; messages give `origin:LINE` with the header on line `first_line`."""
    return _read(text, lambda: np.frombuffer(text, np.uint8), first_line, schema, origin)


def _read(
    source: Source,
    data_of: Callable[[], np.ndarray],
    first_line: int,
    schema: StreamSchema,
    origin: str,
) -> RawTable:
    """The fast path asks pyarrow for the final types; when any value does not fit, the
    whole file is re-read as strings (single-threaded, so ragged records are numbered)
    and `validate` finds the bad rows.

    Block boundaries: pyarrow splits the file into blocks at newlines and parses them on
    threads. A quoted value holding a newline that happens to straddle a boundary is then
    silently cut, which `newlines_in_values` prevents by lexing the whole file in one
    thread first (costlier than the parse itself). Instead the fast read is checked, and
    kept only when both hold:
    * the records plus the header equal the file's physical lines (`physical_lines`, one
      vectorised count, cheap beside the parse): a quoted newline inside
      a block merges two lines into one record, a value cut at an ordinary block's end
      loses its record, and a blank line is skipped, so equality means every line was
      one whole record;
    * the lines the block boundaries fall in end outside quotes
      (`boundaries_outside_quotes`): the one case the count cannot see, a value cut at
      the start of the final block, which pyarrow emits as two records.
    Otherwise the file is read again with `newlines_in_values`.

    A `.csv.gz` file is decompressed into memory once and read from there the same way.
    """
    header, first = _csv_header(source, schema, origin)
    _check_columns(schema, header, origin)
    separator = dialect_of(first, schema).separator
    sources = [c.source for c in schema.columns]
    null_values = list(schema.nulls) if schema.nulls is not None else [""]
    with _opened(source) as data:
        decimal = decimal_of(bytes(data[:HEAD_BYTES]), schema, separator, null_values)
    dialect = Dialect(separator, decimal)
    convert = dict(
        include_columns=sources,
        null_values=null_values,
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
        true_values=_TRUE,
        false_values=_FALSE,
        timestamp_parsers=[pcsv.ISO8601],
        decimal_point=decimal,
    )

    def line_of(row: int) -> int:
        lines = record_lines(data_of(), quoted=True)
        line = int(lines[row]) if row < len(lines) else int(lines[-1])
        return line + first_line - 1

    def input_of() -> Path | pa.BufferReader:
        return pa.BufferReader(source) if isinstance(source, bytes) else source

    block = block_size(len(source) if isinstance(source, bytes) else source.stat().st_size)

    def fast(newlines_in_values: bool) -> pa.Table:
        # a read kept without `newlines_in_values` has no line break inside any value
        size = _keeping_crlf_whole(source, block) if newlines_in_values else block
        return pcsv.read_csv(
            input_of(),
            read_options=pcsv.ReadOptions(block_size=size),
            parse_options=pcsv.ParseOptions(
                delimiter=separator, newlines_in_values=newlines_in_values
            ),
            convert_options=pcsv.ConvertOptions(column_types=_fast_types(schema), **convert),
        )

    def done(table: pa.Table, rows: np.ndarray, errors: tuple[RowError, ...] = ()) -> RawTable:
        return RawTable(renamed(table, schema), origin, rows, True, errors, line_of, dialect)

    try:
        if not _has_quotes(source):
            table = fast(False)
        else:  # count the lines while pyarrow parses (both release the GIL)
            with ThreadPoolExecutor(1) as counter:
                lines = counter.submit(physical_lines, source)
                table = fast(False)
                exact = table.num_rows + 1 == lines.result()
                if not (exact and boundaries_outside_quotes(source, block, separator)):
                    table = fast(True)
        return done(table, _positions(table.num_rows))
    except pa.ArrowInvalid:
        pass
    ragged: list[tuple[int, str]] = []
    slow_block = _keeping_crlf_whole(source, max(block, 1 << 20))

    def on_invalid(row: pcsv.InvalidRow) -> str:
        ragged.append((row.number - 1 if row.number is not None else -1, row.text))
        return "skip"

    try:
        table = pcsv.read_csv(
            input_of(),
            read_options=pcsv.ReadOptions(use_threads=False, block_size=slow_block),
            parse_options=pcsv.ParseOptions(
                delimiter=separator, newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(sources, pa.string()), **convert
            ),
        )
    except pa.ArrowInvalid as e:
        raise _error(schema, f"cannot read {origin} as CSV: {e}") from e
    n_fields = len(header)
    errors = tuple(
        RowError(
            number,
            None,
            f"expected {n_fields} fields like the header, got "
            f"{_field_count(text, separator)}: {shown(text)}",
        )
        for number, text in ragged
    )
    rows = _positions(table.num_rows + len(errors))
    if errors:
        rows = np.setdiff1d(rows, np.array([e.row for e in errors], np.int64))
    return done(table, rows, errors)
