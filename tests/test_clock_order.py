"""`engine/clock_order.py`: a text key read as integers orders a clock's rows exactly as
the coded key does (`encode_text`'s first-appearance codes), so cycles come out the same."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from slagraph.data.validate import encode_text
from slagraph.engine.clock_order import first_appearance, order, rank_bits, text_key


def _names(rng: np.random.Generator, n: int, distinct: int, width: int) -> list[str]:
    pool = [f"T{i:0{width - 1}d}" for i in rng.permutation(10 ** (width - 1))[:distinct]]
    return [pool[i] for i in rng.integers(0, len(pool), n)]


def _coded(arrow: pa.ChunkedArray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes = encode_text(arrow)[0]
    rows = order([codes], t)
    k = codes[rows]
    first = np.ones(len(rows), bool)
    first[1:] = k[1:] != k[:-1]
    return rows, first


@pytest.mark.parametrize("n", [1, 2, 40, 3000])
@pytest.mark.parametrize("layout", ["plain", "chunks", "dictionary chunks", "large"])
def test_the_order_equals_the_coded_order(n: int, layout: str) -> None:
    rng = np.random.default_rng(n)
    names = _names(rng, n, max(n // 5, 1), 5)
    t = rng.integers(0, 50, n).astype(np.int64)  # ties, and not in time order
    half = n // 2
    if layout == "plain":
        arrow = pa.chunked_array([pa.array(names)])
    elif layout == "chunks":
        arrow = pa.chunked_array([pa.array(names[:half], pa.string()), pa.array(names[half:])])

    elif layout == "large":
        arrow = pa.chunked_array([pa.array(names, pa.large_string())])
    else:  # as Parquet reads it: a dictionary per row group
        parts = (names[:half], names[half:])
        arrow = pa.chunked_array([pa.array(p, pa.string()).dictionary_encode() for p in parts])
    for times in (t, np.sort(t)):
        key = text_key(arrow, 63 - rank_bits(n))
        assert key is not None
        rows, first = first_appearance(key, times)
        expected_rows, expected_first = _coded(arrow, times)
        assert rows.tolist() == expected_rows.tolist()
        assert first.tolist() == expected_first.tolist()


def test_a_key_equals_exactly_when_the_strings_do() -> None:
    names = ["AB12", "AB21", "BA12", "AB12", "ZZ99", "BA12"]
    key = text_key(pa.array(names), 40)
    assert key is not None
    assert [[a == b for b in names] for a in names] == [[x == y for y in key] for x in key]


@pytest.mark.parametrize(
    "arrow",
    [
        pa.array(["T1", "T22"]),  # two widths
        pa.array(["T1", None]),  # a null
        pa.array(["", ""]),  # nothing to read
        pa.chunked_array([pa.array(["T1"]), pa.array(["T12"])]),  # widths differ by chunk
    ],
)
def test_what_it_cannot_read_is_left_to_the_codes(arrow: pa.Array) -> None:
    assert text_key(arrow, 40) is None


def test_too_many_varying_bytes_are_left_to_the_codes() -> None:
    names = pa.array(["".join(chr(65 + (i * 7 + j) % 26) for j in range(16)) for i in range(30)])
    assert text_key(names, 40) is None
    assert text_key(names.slice(0, 1), 40) is not None  # one name: no byte varies
