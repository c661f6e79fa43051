"""Arrow columns as numpy arrays, read straight from their buffers.

`to_numpy`, `fill_null` and `is_valid` each write a whole new copy of a column; the loader
reads columns of 10^8 rows, so these helpers copy each chunk's values and unpack its
validity bitmap once, into the result (sliced chunks and their offsets included).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def filled(array: pa.ChunkedArray | pa.Array, fill: object) -> np.ndarray:
    """A numpy view of an Arrow column with nulls replaced by `fill` (no object arrays)."""
    if array.null_count:
        array = pc.fill_null(array, fill)
    return (
        array.to_numpy()
        if isinstance(array, pa.ChunkedArray)
        else array.to_numpy(zero_copy_only=False)
    )


def fixed_values(
    array: pa.ChunkedArray,
    dtype: type[np.generic],
    fill: int | float,
    out: np.ndarray | None = None,
    valid: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """(values, non-null mask or None) of a fixed-width column whose storage is `dtype`
    (int32 codes, int64 ns, float64), nulls set to `fill`; written into `out` if given.
    `valid`: the column's non-null mask when already unpacked (`valid_mask`).

    One copy per chunk straight from Arrow's buffers into the result, with the validity
    bitmap unpacked on the way: `fill_null` and `to_numpy` would each write the whole
    column to fresh memory, and `is_valid` a third array."""
    n = len(array)
    values = np.empty(n, dtype) if out is None else out
    unpacked = valid is not None
    if not unpacked and array.null_count:
        valid = np.empty(n, bool)
    for chunk, at, rows in spans(array):
        view = np.frombuffer(chunk.buffers()[1], dtype, count=at + len(chunk))[at:]
        part = values[rows]
        if chunk.null_count == 0:
            part[:] = view
            if valid is not None and not unpacked:
                valid[rows] = True
        else:
            assert valid is not None
            if unpacked:
                known = valid[rows]
            else:
                known = unpack_bits(chunk.buffers()[0], at, len(chunk))
                valid[rows] = known
            if fill == 0 and part.dtype.kind in "iu":  # NaN × 0 would stay NaN
                np.multiply(view, known.view(np.uint8), out=part)  # no bool → int cast
            else:
                part[:] = view
                np.copyto(part, fill, where=~known)
    return values, valid


def spans(array: pa.ChunkedArray | pa.Array) -> Iterator[tuple[pa.Array, int, slice]]:
    """Each non-empty chunk, its offset into its buffers, and its rows in the whole."""
    pos = 0
    for chunk in array.chunks if isinstance(array, pa.ChunkedArray) else [array]:
        k = len(chunk)
        if k:
            yield chunk, chunk.offset, slice(pos, pos + k)
        pos += k


def unpack_bits(bitmap: pa.Buffer, at: int, k: int) -> np.ndarray:
    """Bits at..at+k of an Arrow bitmap (least significant bit first) as bools."""
    bits = np.frombuffer(bitmap, np.uint8)
    return np.unpackbits(bits, count=at + k, bitorder="little")[at:].view(bool)


def arrow_mask(array: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A boolean Arrow array (a comparison's result) as a numpy mask, null as False:
    its value and validity bitmaps unpacked chunk by chunk into one array, rather than
    `fill_null` then `to_numpy`, which each write a whole new copy."""
    mask = np.empty(len(array), bool)
    for chunk, at, rows in spans(array):
        validity, values = chunk.buffers()[:2]
        mask[rows] = unpack_bits(values, at, len(chunk))
        if chunk.null_count:
            mask[rows] &= unpack_bits(validity, at, len(chunk))
    return mask


def valid_mask(array: pa.ChunkedArray | pa.Array) -> np.ndarray | None:
    """The non-null mask, None when nothing is null. Read straight from each chunk's
    validity bitmap (cheaper than `is_valid`, which builds new bitmaps first) for the
    types that keep one first in their buffers; `is_valid` for the others."""
    if array.null_count == 0:
        return None
    t = array.type
    if not (
        pa.types.is_primitive(t)
        or pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_dictionary(t)
    ):
        return filled(array.is_valid(), False)
    valid = np.empty(len(array), bool)
    for chunk, at, rows in spans(array):
        valid[rows] = unpack_bits(chunk.buffers()[0], at, len(chunk)) if chunk.null_count else True
    return valid


def arrow_kind(t: pa.DataType) -> str:
    """What a column of Arrow type `t` holds, in the words the converters dispatch on."""
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    if pa.types.is_dictionary(t) and (
        pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type)
    ):
        return "dictstring"
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "float"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_null(t):
        return "null"
    return "other"
