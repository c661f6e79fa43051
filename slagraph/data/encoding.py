"""Text columns as int32 codes and their distinct values: the shape the engine groups by
(accounts, services, ticket ids), built by Arrow's hash tables, never a loop over rows.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slagraph.data.buffers import arrow_kind, filled, fixed_values

_FEW = 64  # distinct values in a column's first rows that make `_few_values` worth trying
_PROBE_ROWS = 65_536


def _few_values(array: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray] | None:
    """Codes for a low-cardinality text column (a service, a priority, a channel), or None.

    The distinct values of the first rows, in order of first appearance, are looked up for
    every row with `index_in` (faster than `dictionary_encode`, which also grows its
    table). When every non-null value is among them, their order is the order of
    first appearance in the whole column, so the result equals `dictionary_encode`'s."""
    if len(array) <= _PROBE_ROWS:
        return None
    head = pc.unique(array.slice(0, _PROBE_ROWS))
    if len(head) > _FEW:
        return None
    head = head.drop_null()
    codes = pc.index_in(array, value_set=head)
    if codes.null_count != array.null_count:  # a value the first rows do not have
        return None
    values = fixed_values(pc.cast(codes, pa.int32()), np.int32, -1)[0]
    return values, np.asarray(head.to_numpy(zero_copy_only=False), dtype=object)


def encode_text(array: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """int32 codes (-1 for null) and the distinct values, in order of first appearance."""
    if arrow_kind(array.type) != "dictstring":
        few = _few_values(array)
        if few is not None:
            return few
        array = pc.dictionary_encode(array)
    if array.num_chunks == 0:
        return np.zeros(0, np.int32), np.array([], object)
    dictionary = array.chunk(0).dictionary
    # `dictionary_encode` of a chunked array gives every chunk the same dictionary, which
    # `unify_dictionaries` would still rebuild, chunk by chunk (slow on millions of distinct
    # tickets: docs/performance.md); `equals` on shared buffers is a pointer check.
    if not all(c.dictionary.equals(dictionary) for c in array.chunks[1:]):
        array = array.unify_dictionaries()
        dictionary = array.chunk(0).dictionary
    indices = pa.chunked_array([c.indices for c in array.chunks])
    codes = filled(pc.cast(indices, pa.int32()), -1).astype(np.int32, copy=False)
    return codes, np.asarray(dictionary.to_numpy(zero_copy_only=False), dtype=object)


def encode_among(
    array: pa.ChunkedArray, known: np.ndarray | pa.Array, out: np.ndarray | None = None
) -> np.ndarray | None:
    """int32 positions in `known` (-1 for null), or None when some value is not in
    `known`. One hash lookup per row against a small set, cheaper than `encode_text`'s
    growing table, and the codes are already those of the global account axis. With
    `out`, the codes are written there (the loader codes a big column in pieces)."""
    value_set = known if isinstance(known, pa.Array) else pa.array(known, pa.string())
    codes = pc.index_in(array, value_set=value_set)
    if codes.null_count != array.null_count:  # an unknown value: the general path names it
        return None
    return fixed_values(pc.cast(codes, pa.int32()), np.int32, -1, out)[0]
