"""Result rows as JSON lines, a JSON document or CSV, built column by column and streamed
in batches: no Python object per row, and never one giant string.

The bytes are those that Python's `json.dumps(row, ensure_ascii=False)` (with `indent=1`
for the document) and `csv.writer` give for the same rows (tests/test_writers.py checks
it on generated values), so the output contract does not depend on the path that wrote
it: a float is written as `repr` writes it (`2400.0`, `1e-05`, `1e+16`), NaN and
infinity as `null` in JSON and an empty cell in CSV, booleans as `true`/`false`.

How: each field becomes pieces of text — key literals, Arrow string arrays of its
values *with the separator that follows them* (`"acme",`), or the words of a dictionary
column (encoded once per table) named by code — and one `take` over a pool of all the
pieces lays a batch's lines out in order (`_interleave`). Floats are formatted by
orjson from the numpy column in one call and cut into an Arrow array by the positions
of its commas (docs/architecture.md says why orjson); times come from `iso_times`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from slagraph.engine.iso_times import iso_text

BATCH_ROWS = 65_536  # rows per batch: a few MiB of text, written, then freed

# Python writes |x| < 1e-4 in scientific notation, orjson in fixed notation down to 1e-9:
# those values are rebuilt from Arrow's shortest digits (either notation).
_NUMBER = r"^(?P<sign>-?)(?P<int>\d+)(?:\.(?P<frac>\d+))?(?:e\+?(?P<exp>-?\d+))?$"


def _floats(values: pa.Array, null: str) -> pa.Array:
    """Each float's `repr` followed by a comma; `null` + comma for null, NaN, ±inf."""
    numbers = values.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    raw = orjson.dumps(numbers, option=orjson.OPT_SERIALIZE_NUMPY)  # b"[1.0,null,…]"
    body = np.frombuffer(raw, np.uint8)
    ends = np.flatnonzero(body == ord(","))
    offsets = np.empty(len(numbers) + 1, np.int64)
    offsets[0] = 1
    offsets[1:-1] = ends + 1
    offsets[-1] = len(raw)  # the last value takes the closing "]", made a comma below
    data = bytearray(raw)
    if len(numbers):
        data[-1] = ord(",")
    text = pa.LargeStringArray.from_buffers(
        len(numbers), pa.py_buffer(offsets), pa.py_buffer(bytes(data))
    ).cast(pa.string())
    small = (numbers != 0) & (np.abs(numbers) < 1e-4)  # False for NaN
    if small.any():
        mask = pa.array(small)
        text = pc.replace_with_mask(text, mask, _scientific(numbers[small]))
    if null != "null":
        text = pc.if_else(pa.array(np.isfinite(numbers)), text, pa.scalar(null + ","))
    return text


def _scientific(numbers: np.ndarray) -> pa.Array:
    """`repr` of finite floats with 0 < |x| < 1e-4 (always `d[.ddd]e-XX`), with a comma."""
    parts = pc.extract_regex(pc.cast(pa.array(numbers), pa.string()), _NUMBER)
    sign, whole, frac = (pc.struct_field(parts, name) for name in ("sign", "int", "frac"))
    exp = pc.struct_field(parts, "exp")
    exp = pc.cast(pc.if_else(pc.equal(exp, ""), "0", exp), pa.int64())
    digits = pc.binary_join_element_wise(whole, frac, "")
    stripped = pc.utf8_ltrim(digits, "0")
    leading = pc.subtract(pc.utf8_length(digits), pc.utf8_length(stripped)).cast(pa.int64())
    exponent = pc.subtract(pc.add(pc.utf8_length(whole).cast(pa.int64()), exp), pc.add(leading, 1))
    significant = pc.utf8_rtrim(stripped, "0")
    head = pc.utf8_slice_codeunits(significant, 0, 1)
    tail = pc.utf8_slice_codeunits(significant, 1)
    mantissa = pc.if_else(
        pc.greater(pc.utf8_length(significant), 1),
        pc.binary_join_element_wise(head, ".", tail, ""),
        head,
    )
    power = pc.utf8_lpad(pc.cast(pc.negate(exponent), pa.string()), 2, "0")
    return pc.binary_join_element_wise(sign, mantissa, "e-", power, ",", "")


def _by_value(values: pa.Array, encode: Any, null: str) -> pa.Array:
    """Text columns and booleans: each distinct value encoded once, then taken by code."""
    coded = pc.dictionary_encode(values, null_encoding="encode")
    words = [null if v is None else encode(v) for v in coded.dictionary.to_pylist()]
    return pa.array([w + "," for w in words], pa.string()).take(coded.indices)


def _json_value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _csv_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value == "":  # a one-field row would write "" for it; in a wider row it is empty
        return ""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([value])
    return out.getvalue()[:-1]


def _texts(column: pa.Array, json_null: bool) -> pa.Array:
    null = "null" if json_null else ""
    if pa.types.is_floating(column.type):
        return _floats(column, null)
    if pa.types.is_integer(column.type):
        text = pc.binary_join_element_wise(pc.cast(column, pa.string()), ",", "")
        return pc.fill_null(text, null + ",")
    if pa.types.is_timestamp(column.type):  # ISO text: nothing to escape or quote
        text = iso_text(column, '"' if json_null else "", '",' if json_null else ",")
        return pc.fill_null(text, null + ",")
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        coded = pc.dictionary_encode(column, null_encoding="encode")
        if len(coded.dictionary) * 4 < len(column):  # few distinct: each written once
            return _strings(coded.dictionary, json_null).take(coded.indices)
        return _strings(column, json_null)
    return _by_value(column, _json_value if json_null else _csv_value, null)


# Characters that make json.dumps escape a string, or csv.writer quote a field.
_JSON_SPECIAL = r'[\x00-\x1f"\\]'
_CSV_SPECIAL = r'[,"\r\n]'


def _strings(column: pa.Array, json_null: bool) -> pa.Array:
    """Text: the plain strings wrapped by Arrow (`"…",` or `…,`), only those with a
    character to escape or quote encoded one by one as `json.dumps`/`csv.writer` do."""
    special = pc.fill_null(
        pc.match_substring_regex(column, _JSON_SPECIAL if json_null else _CSV_SPECIAL), False
    )
    if json_null:
        plain = pc.binary_join_element_wise('"', column, '",', "")
    else:
        plain = pc.binary_join_element_wise(column, ",", "")
    if pc.any(special).as_py():
        at = np.flatnonzero(special.to_numpy(zero_copy_only=False))
        encode = _json_value if json_null else _csv_value
        words = ["", *(encode(v) + "," for v in column.take(pa.array(at)).to_pylist())]
        slot = np.zeros(len(column), np.int64)
        slot[at] = np.arange(1, len(at) + 1)
        plain = pc.if_else(special, pa.array(words, pa.string()).take(pa.array(slot)), plain)
    return pc.fill_null(plain, ("null" if json_null else "") + ",")


def _bytes(lines: pa.Array) -> memoryview:
    """The text of a freshly built string array, as one buffer (no copy)."""
    if not len(lines):
        return memoryview(b"")
    _, offsets, data = lines.buffers()
    at = np.frombuffer(offsets, np.int32, count=len(lines) + 1, offset=4 * lines.offset)
    return memoryview(data)[int(at[0]) : int(at[-1])]


class _Field:
    """One output column's text, batch by batch: `prefix` (the key, or the line's
    opening) and the value, with a trailing comma unless `last`.

    A dictionary column (`records`' account, period, verdict, a stream's text) is
    encoded once for the whole table, prefix included, and a batch only names its words
    by code; a timestamp column gets the prefix inside its text (`iso_text`). Other
    columns are a literal and a text array. `_lines` puts the pieces together."""

    def __init__(self, column: pa.ChunkedArray, prefix: str, json_null: bool, last: bool):
        self.prefix, self.json_null, self.last = prefix, json_null, last
        self.column = column
        self.words: pa.Array | None = None
        if pa.types.is_dictionary(column.type):
            coded = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
            if len(coded.dictionary) <= max(len(coded), 1):
                null = "null" if json_null else ""
                dictionary = coded.dictionary.cast(pa.string())
                text = _texts(dictionary, json_null).cast(pa.string())
                words = pa.concat_arrays([text, pa.array([null + ","], pa.string())])
                words = pc.binary_join_element_wise(prefix, words, "")
                self.words = pc.utf8_rtrim(words, ",") if last else words
                self.indices = coded.indices.fill_null(len(coded.dictionary))
            else:  # most values distinct (a slice of a big stream): write them plainly
                self.column = pa.chunked_array([coded.cast(pa.string())])

    def parts(self, start: int, stop: int) -> list[Any]:
        """The row's pieces: a literal, a text array of the batch's rows, or (words,
        codes) for the words of a dictionary taken by code."""
        if self.words is not None:
            codes = self.indices.slice(start, stop - start)
            if len(self.words) > BATCH_ROWS:  # too many to put in every batch's pool
                return [self.words.take(codes)]
            return [(self.words, codes.to_numpy(zero_copy_only=False))]
        column = self.column.slice(start, stop - start).combine_chunks()
        if pa.types.is_timestamp(column.type):  # ISO text: nothing to escape or quote
            quote = '"' if self.json_null else ""
            null = "null" if self.json_null else ""
            tail = quote + ("" if self.last else ",")
            text = iso_text(column, self.prefix + quote, tail)
            return [pc.fill_null(text, self.prefix + null + ("" if self.last else ","))]
        if pa.types.is_integer(column.type):  # Arrow's digits; the comma is a piece
            text = pc.fill_null(pc.cast(column, pa.string()), "null" if self.json_null else "")
            return [self.prefix, text] if self.last else [self.prefix, text, ","]
        text = _texts(column, self.json_null)
        return [self.prefix, pc.utf8_rtrim(text, ",") if self.last else text]


def _lines(
    table: pa.Table, fields: Sequence[str], prefixes: Sequence[str], json_null: bool, end: str
) -> Iterator[memoryview]:
    """Each row as the fields' texts after their prefixes, then `end`, in batches."""
    columns = [
        _Field(table.column(name), prefix, json_null, i == len(fields) - 1)
        for i, (name, prefix) in enumerate(zip(fields, prefixes, strict=True))
    ]
    for start in range(0, table.num_rows, BATCH_ROWS):
        stop = min(start + BATCH_ROWS, table.num_rows)
        parts = [part for column in columns for part in column.parts(start, stop)]
        yield _bytes(_interleave([*parts, end], stop - start))


def _interleave(parts: list[Any], rows: int) -> pa.Array:
    """Row i's pieces, all rows after one another, as one string array: every piece goes
    into one pool (literals once, a dictionary's words once) and one `take` lays them
    out in line order, so its data buffer is the lines' text. (An element-wise join of
    the parts costs five times as much per row.)"""
    pool: list[pa.Array] = []
    at = np.empty((rows, len(parts)), np.int64)
    base = 0
    for j, part in enumerate(parts):
        codes: Any
        if isinstance(part, str):
            words, codes = pa.array([part], pa.string()), 0
        elif isinstance(part, tuple):
            words, codes = part
        else:
            words, codes = part, np.arange(rows)
        pool.append(words.cast(pa.string()))
        at[:, j] = base + codes
        base += len(words)
    return pa.concat_arrays(pool).take(pa.array(at.ravel()))


def json_lines(table: pa.Table, fields: Sequence[str]) -> Iterator[memoryview]:
    """`json.dumps(row, ensure_ascii=False) + "\\n"` for every row, in batches."""
    prefixes = [
        ("{" if i == 0 else " ") + _json_value(name) + ": " for i, name in enumerate(fields)
    ]
    yield from _lines(table, fields, prefixes, True, "}\n")


def json_rows(table: pa.Table, fields: Sequence[str], first: bool = True) -> Iterator[memoryview]:
    """The rows of a `json.dumps({"rows": […]}, indent=1)` document, each but the first
    overall (`first`) preceded by `,\\n`: the caller writes the brackets around them."""
    prefixes = [
        (",\n  {\n" if i == 0 else "\n") + "   " + _json_value(name) + ": "
        for i, name in enumerate(fields)
    ]
    for text in _lines(table, fields, prefixes, True, "\n  }"):
        yield text[2:] if first else text
        first = False


def csv_lines(table: pa.Table, fields: Sequence[str]) -> Iterator[memoryview | bytes]:
    """The header, then every row as `csv.writer` writes it (booleans `true`/`false`,
    null and non-finite numbers as empty cells)."""
    yield (",".join(_csv_value(name) for name in fields) + "\n").encode()
    yield from _lines(table, fields, [""] * len(fields), False, "\n")


def json_document(
    table: pa.Table, fields: Sequence[str], extra: Sequence[dict[str, Any]] = (), meta: Any = None
) -> Iterator[memoryview | bytes]:
    """`json.dumps({**meta, "rows": rows + extra}, ensure_ascii=False, indent=1) + "\\n"`."""
    head = json.dumps({**(meta or {}), "rows": [None]}, ensure_ascii=False, indent=1)
    before, after = head.split("  null", 1)
    if not table.num_rows and not extra:
        empty = json.dumps({**(meta or {}), "rows": []}, ensure_ascii=False, indent=1)
        yield (empty + "\n").encode()
        return
    yield before.encode()
    yield from json_rows(table, fields)
    for i, row in enumerate(extra):
        text = json.dumps(row, ensure_ascii=False, indent=1).replace("\n", "\n  ")
        yield (("" if i == 0 and not table.num_rows else ",\n") + "  " + text).encode()
    yield (after + "\n").encode()


def with_text_times(table: pa.Table) -> pa.Table:
    """Timestamp columns as ISO 8601 text in their own timezone, to the second
    (`2026-01-14T11:00:00-03:00`), for the text formats."""
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            text = iso_text(table.column(i).combine_chunks())
            table = table.set_column(i, field.name, text)
    return table


def write_table(table: pa.Table, fmt: str, out: Any) -> None:
    """Any Arrow table (`records`, `due`) as jsonl, json (`{"rows": […]}`) or csv; times
    as ISO 8601 in their own zone (`iso_text`)."""
    fields = table.column_names
    if fmt == "jsonl":
        chunks: Iterator[Any] = json_lines(table, fields)
    elif fmt == "json":
        chunks = json_document(table, fields)
    else:
        chunks = csv_lines(table, fields)
    for chunk in chunks:
        out.write(chunk)


def rows_csv(rows: Sequence[dict[str, Any]], fields: Sequence[str]) -> str:
    """Row dicts (whatif, simulate, alerts) as CSV spelled as `eval` spells it (booleans
    `true`/`false`, nulls empty), through one Arrow table and `csv_lines`."""
    table = pa.Table.from_pylist(list(rows)) if rows else pa.table({})
    for name in fields:
        if name not in table.column_names:
            table = table.append_column(name, pa.nulls(table.num_rows))
    return b"".join(bytes(chunk) for chunk in csv_lines(table, list(fields))).decode()
