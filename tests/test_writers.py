"""The column-wise writers give exactly the bytes of `json.dumps` and `csv.writer` per row
(the simple, obviously correct way they replace)."""

from __future__ import annotations

import csv
import io
import json
import math

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from slagraph.engine import writers

FIELDS = ("name", "x", "ok", "y", "n")

texts = st.one_of(
    st.none(), st.text(max_size=8), st.sampled_from(["a,b", 'q"uote', "l\nf", "ñandú", "\r", ""])
)
floats = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 2400.0, 1e-05, 9.999999999999999e-05, 1e-4, 1e15, 1e16, 5e-324]),
)
rows = st.lists(
    st.tuples(
        texts,
        floats,
        st.one_of(st.none(), st.booleans()),
        floats,
        st.one_of(st.none(), st.integers(-(2**62), 2**62)),
    ),
    max_size=30,
)


def _table(data: list[tuple]) -> pa.Table:
    columns = list(zip(*data, strict=True)) if data else [[] for _ in FIELDS]
    types = (pa.string(), pa.float64(), pa.bool_(), pa.float64(), pa.int64())
    return pa.table(
        {name: pa.array(list(col), t) for name, col, t in zip(FIELDS, columns, types, strict=True)}
    )


def _clean(value: object) -> object:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _dicts(data: list[tuple]) -> list[dict]:
    return [{k: _clean(v) for k, v in zip(FIELDS, row, strict=True)} for row in data]


def _bytes(chunks) -> str:
    return b"".join(bytes(c) for c in chunks).decode("utf-8")


@settings(max_examples=300, deadline=None)
@given(rows, st.integers(1, 4))
def test_json_lines_equal_json_dumps_per_row(data, batch) -> None:
    writers.BATCH_ROWS, saved = batch, writers.BATCH_ROWS
    try:
        got = _bytes(writers.json_lines(_table(data), FIELDS))
    finally:
        writers.BATCH_ROWS = saved
    assert got == "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _dicts(data))


@settings(max_examples=200, deadline=None)
@given(rows, st.lists(st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), max_size=2))
def test_the_json_document_equals_json_dumps_indented(data, extra) -> None:
    got = _bytes(writers.json_document(_table(data), FIELDS, extra, {"runs": 3}))
    want = json.dumps({"runs": 3, "rows": _dicts(data) + extra}, ensure_ascii=False, indent=1)
    assert got == want + "\n"


@settings(max_examples=300, deadline=None)
@given(rows)
def test_csv_equals_csv_writer(data) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for row in _dicts(data):
        writer.writerow(
            [
                "" if v is None else ("true" if v else "false") if isinstance(v, bool) else v
                for v in row.values()
            ]
        )
    assert _bytes(writers.csv_lines(_table(data), FIELDS)) == out.getvalue()


def test_floats_are_written_as_repr_writes_them() -> None:
    import numpy as np

    rng = np.random.default_rng(7)
    values = np.concatenate(
        [
            rng.standard_normal(20_000) * 10.0 ** rng.integers(-30, 30, 20_000),
            10.0 ** np.arange(-12, 25),
            rng.integers(-(2**53), 2**53, 2_000).astype(float),
        ]
    )
    table = pa.table({"v": values})
    got = _bytes(writers.json_lines(table, ["v"])).splitlines()
    assert got == [json.dumps({"v": float(v)}) for v in values]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.integers(-(9 * 10**9), 9 * 10**9)), max_size=30),
    st.sampled_from(
        ["UTC", "America/Santiago", "Europe/Madrid", "Asia/Kolkata", "Pacific/Chatham"]
    ),
)
def test_iso_text_is_isoformat_in_the_zone(seconds: list[int | None], zone: str) -> None:
    """Times written by `records`/`due`: the instant's wall time and offset in its zone
    (zoneinfo's), to the second; `Z` for UTC; null stays null."""
    import datetime as dt
    import zoneinfo

    from slagraph.engine.writers import iso_text

    ns = [None if s is None else s * 10**9 + 123 for s in seconds]
    arrow = pa.array(ns, pa.timestamp("ns", tz="UTC")).cast(pa.timestamp("ns", tz=zone))
    want = []
    for s in seconds:
        if s is None:
            want.append(None)
            continue
        moment = dt.datetime.fromtimestamp(s, dt.UTC).astimezone(zoneinfo.ZoneInfo(zone))
        text = moment.isoformat()
        want.append(text.replace("+00:00", "Z") if zone == "UTC" else text)
    assert iso_text(arrow).to_pylist() == want
