"""Which rows of an Arrow string column equal a constant, read straight from its buffers.

Filters such as `priority == "P1"` or `channel in ["chat", "email"]` ask one question of
millions of short strings. Arrow's `equal` visits the rows one by one. Here the
constant's bytes are compared as one or two machine words read at every row's offset, in
numpy: rows of another length are out at once, and when every row has the constant's
length (codes such as P1…P4, ISO country codes) the reads are strided views of the data
with no gather at all (docs/performance.md, "Figures behind the code").

Byte equality is string equality: Arrow strings are UTF-8, and `str.encode()` gives the
one UTF-8 spelling of a Python string. Null rows come out undefined; callers mask them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slagraph.data.buffers import arrow_mask, spans

_OFFSETS = {pa.string(): np.int32, pa.large_string(): np.int64}
MOST_VALUES = 8  # each constant costs a pass; past this, Arrow's one hashed pass is cheaper


def equal_any(array: pa.ChunkedArray | pa.Array, values: Sequence[str]) -> np.ndarray | None:
    """Rows equal to one of `values`; None for a layout other than string / large_string
    or more than `MOST_VALUES` values.

    A chunk where too many rows have a constant's length for the numpy reads to pay
    (each row read costs a gather) is left to Arrow (`equal`, `is_in`)."""
    if pa.types.is_dictionary(array.type) and array.type.value_type in _OFFSETS:
        return _dictionary_equal_any(array, values)
    offset_type = _OFFSETS.get(array.type)
    if offset_type is None or len(values) > MOST_VALUES:
        return None
    literals = [v.encode("utf-8") for v in values]
    out = np.empty(len(array), bool)
    for chunk, at, rows in spans(array):
        hit = _chunk_equal_any(chunk, at, literals, offset_type)
        if hit is None:
            hit = arrow_mask(
                pc.equal(chunk, pa.scalar(values[0], chunk.type))
                if len(values) == 1
                else pc.is_in(chunk, pa.array(values, chunk.type))
            )
        out[rows] = hit
    return out


def _dictionary_equal_any(array: pa.ChunkedArray | pa.Array, values: Sequence[str]) -> np.ndarray:
    """`equal_any` of dictionary chunks (Parquet's text as read): the question is asked of
    each chunk's few distinct values, and every row looks its answer up by its index, a
    gather from a small table instead of Arrow's `equal`/`is_in` on every row (0.15–0.3 s
    for 10^7 rows each, against ~0.02 s)."""
    out = np.empty(len(array), bool)
    for chunk, _, rows in spans(array):
        dictionary = chunk.dictionary
        per_value = equal_any(dictionary, values) if len(dictionary) else np.zeros(0, bool)
        if per_value is None:
            per_value = arrow_mask(pc.is_in(dictionary, pa.array(values, dictionary.type)))
        indices = chunk.indices.fill_null(0) if chunk.null_count else chunk.indices
        # a null row's index is 0 here: undefined for the caller, who masks nulls
        table = np.append(per_value, False)
        out[rows] = table[np.asarray(indices.to_numpy(zero_copy_only=False))]
    return out


def _chunk_equal_any(
    chunk: pa.Array, at: int, literals: list[bytes], offset_type: type
) -> np.ndarray | None:
    k = len(chunk)
    _, offset_buffer, data = chunk.buffers()
    offsets: np.ndarray = np.frombuffer(offset_buffer, offset_type, count=at + k + 1)[at:]
    lengths = np.diff(offsets)
    first = int(offsets[0])
    hit = np.zeros(k, bool)
    for literal in literals:
        width = len(literal)
        same = lengths == width
        if width == 0:
            hit |= same
        elif int(offsets[-1]) - first == k * width and same.all():  # every row this wide
            found = np.ones(k, bool)
            for shift, word in _words(literal):  # strided views: no gather
                view = np.ndarray((k,), word.dtype, data, first + shift, (width,))
                found &= view == word
            hit |= found
        else:
            if 2 * np.count_nonzero(same) > k:
                return None
            rows = np.flatnonzero(same)
            if not len(rows):
                continue
            starts = offsets[:-1][rows].astype(np.intp)
            found = np.ones(len(rows), bool)
            for shift, word in _words(literal):  # the word at every byte, read where needed
                window = np.ndarray((data.size - word.itemsize + 1,), word.dtype, data, 0, (1,))
                found &= window[starts + shift] == word
            hit[rows] |= found
    return hit


def _words(literal: bytes) -> list[tuple[int, np.ndarray]]:
    """(offset, value) of the words that cover `literal`: 8-byte words for 8 bytes or
    more, else the largest power of two that fits, the last one overlapping its
    neighbour, so no read goes past the string."""
    width = len(literal)
    size = 8 if width >= 8 else 1 << (width.bit_length() - 1)
    shifts = list(range(0, width - size + 1, size))
    if shifts[-1] != width - size:
        shifts.append(width - size)
    return [
        (s, np.array(int.from_bytes(literal[s : s + size], "little"), f"<u{size}")) for s in shifts
    ]
