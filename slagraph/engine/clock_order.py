"""The order of a clock's rows: by (item, time), ties in file order, items in order of
first appearance.

A text key (a ticket) would be coded first by a hash of every row's string
(`dictionary_encode`: ~1 s for 10^7 rows of 10^6 distinct tickets, its table out of
cache). Ticket names are usually of one width (`INC0012345`, `T000123`), so here the
bytes of each row's string are read as a small integer instead (`text_key`): a mixed
radix over the byte positions that vary, no hash. Sorting those (`order`) groups the
rows by ticket in name order; the groups are then put in order of first appearance in
the file, which is the order that `encode_text`'s codes give, so the clock's cycles,
and every sum over them, come out exactly as from the coded path.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def order(keys: list[np.ndarray], t: np.ndarray) -> np.ndarray:
    """`np.lexsort((t, *reversed(keys)))`: rows by (keys, time), ties in input order.

    When the keys are integers (codes, `text_key`), they are combined into one integer
    per row and packed above each row's rank in stable time order; one `np.sort` of
    those distinct int64 values (0.6 s for 10^7 rows against lexsort's 3.5 s) then gives
    the same permutation. Logs usually come in time order, where the rank is the
    position and the time sort is skipped."""
    packed = _packed(keys, t)
    if packed is None:
        return np.lexsort((t, *reversed(keys)))
    combined, bits, by_time = packed
    combined &= (1 << bits) - 1
    return combined if by_time is None else by_time[combined]


def _packed(
    keys: list[np.ndarray], t: np.ndarray
) -> tuple[np.ndarray, int, np.ndarray | None] | None:
    """(the sorted int64 values `key << bits | rank`, bits, the stable time order or None
    when `t` is in order already), or None when the keys do not pack into 63 bits."""
    n = len(t)
    if n == 0 or not all(np.issubdtype(k.dtype, np.integer) for k in keys):
        return None
    combined = np.zeros(n, np.int64)
    span = 1
    for k in keys:  # mixed radix: the combined order is the keys' lexicographic order
        lo, hi = int(k.min()), int(k.max())
        width = hi - lo + 1
        span *= width
        if span >= 1 << 62:
            return None
        combined *= width
        combined += k
        combined -= lo
    bits = rank_bits(n)
    if int(span - 1).bit_length() + bits > 63:
        return None
    by_time = None if bool((t[1:] >= t[:-1]).all()) else np.argsort(t, kind="stable")
    if by_time is not None:
        combined = combined[by_time]
    combined <<= bits
    combined |= np.arange(n, dtype=np.int64)
    combined.sort()
    return combined, bits, by_time


def rank_bits(n: int) -> int:
    """Bits that `order` keeps below the key for each row's rank."""
    return max(int(n - 1).bit_length(), 1)


def text_key(arrow: pa.ChunkedArray | pa.Array, bits: int) -> np.ndarray | None:
    """One int64 per row, equal exactly when the strings are, under `1 << bits`; or None
    (nulls, strings of several widths, or too many varying bytes for `bits`).

    Each chunk's strings (or its dictionary's, for a dictionary chunk as Parquet reads
    it) are one width W, so the data buffer is an (n, W) byte matrix read in place; the
    byte positions that vary form a mixed-radix number. A loop over byte positions and
    chunks, not rows."""
    chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
    if arrow.null_count or not chunks:
        return None
    parts: list[tuple[np.ndarray, np.ndarray | None]] = []
    for chunk in chunks:
        if len(chunk) == 0:
            continue
        indices = None
        if pa.types.is_dictionary(chunk.type):
            indices = np.asarray(chunk.indices.to_numpy(zero_copy_only=False))
            chunk = chunk.dictionary
        matrix = _bytes(chunk)
        if matrix is None:
            return None
        parts.append((matrix, indices))
    if not parts:
        return np.zeros(0, np.int64)
    if len({m.shape[1] for m, _ in parts}) != 1:
        return None
    # Byte positions as rows (one copy): reductions and sums along contiguous memory.
    columns = [np.ascontiguousarray(m.T) for m, _ in parts]
    nonempty = [c for c in columns if c.shape[1]]  # a dictionary chunk's may be empty
    lo = np.min([c.min(axis=1) for c in nonempty], axis=0).astype(np.int64)
    hi = np.max([c.max(axis=1) for c in nonempty], axis=0).astype(np.int64)
    span = 1
    varying = np.flatnonzero(hi > lo)
    for j in varying:
        span *= int(hi[j] - lo[j] + 1)
        if int(span - 1).bit_length() > bits:
            return None
    small = np.int32 if span < 1 << 31 else np.int64  # half the memory traffic
    out: list[np.ndarray] = []
    for matrix, (_, indices) in zip(columns, parts, strict=True):
        key: np.ndarray = np.zeros(matrix.shape[1], small)
        for j in varying:  # byte positions, most significant first
            np.multiply(key, int(hi[j] - lo[j] + 1), out=key)
            np.add(key, matrix[j], out=key)
            np.subtract(key, int(lo[j]), out=key)
        out.append(key if indices is None else key[indices])
    return out[0] if len(out) == 1 else np.concatenate(out)


def _bytes(strings: pa.Array) -> np.ndarray | None:
    """The (n, W) uint8 matrix of a string array all of whose values are W bytes long."""
    if strings.type == pa.string():
        offset_type: type[np.integer] = np.int32
    elif strings.type == pa.large_string():
        offset_type = np.int64
    else:
        return None
    n = len(strings)
    if strings.null_count:
        return None
    _, offsets_buf, data_buf = strings.buffers()
    step = np.dtype(offset_type).itemsize
    offsets = np.frombuffer(offsets_buf, offset_type, n + 1, strings.offset * step)
    if n == 0:
        return np.zeros((0, 0), np.uint8)
    first, last = int(offsets[0]), int(offsets[-1])
    width = (last - first) // n
    if width * n != last - first or width == 0:
        return None
    lengths = np.diff(offsets)
    if not bool((lengths == width).all()):
        return None
    data = np.frombuffer(data_buf, np.uint8, last - first, first)
    return data.reshape(n, width)


def first_appearance(key: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows by (key, time) with ties in file order and items in order of first
    appearance, each row's "first of its item" flag): the order of `order` on the codes
    that `encode_text` would give the key's strings."""
    n = len(t)
    packed = _packed([key], t)
    if packed is None:  # `text_key` keeps within the bits; this is for other callers
        rows = order([key], t)
        k = key[rows]
    else:
        combined, bits, by_time = packed
        k = combined >> bits  # the key in sorted order, without a gather
        rows = combined
        rows &= (1 << bits) - 1
        if by_time is not None:
            rows = by_time[rows]
    if n == 0:
        return rows, np.zeros(0, bool)
    starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
    del k
    lengths = np.diff(np.append(starts, n))
    seen = np.argsort(np.minimum.reduceat(rows, starts))  # items by first appearance
    lengths = lengths[seen]
    placed = np.cumsum(lengths) - lengths  # where each item's rows go
    src = np.repeat(starts[seen] - placed, lengths)
    src += np.arange(n)
    first = np.zeros(n, bool)
    first[placed] = True
    return rows[src], first
