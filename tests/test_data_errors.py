"""The broken-file corpus: every data error kind, its exact message, and `skip` mode.

Each case in tests/data_errors/cases.json names a folder of committed files (CSV, JSONL)
and/or describes Parquet files and SQLite tables the test writes, because binary fixtures
are unreadable in review (files listed under "gzip" are committed plain and gzipped by
the test). Streams are declared either in the short form "a: text, b: time?" or, under
"sla", as `.sla` declarations compiled by slagraph (for the SPEC §6.1 options).
`{dir}` in an expected message is the folder the case is read
from. Run `python tests/test_data_errors.py` to print what each case produces now.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import slagraph
from slagraph.data import ColumnSpec, StreamSchema, load
from slagraph.errors import SlaDataError

CORPUS = Path(__file__).parent / "data_errors"
CASES = json.loads((CORPUS / "cases.json").read_text())


def columns(text: str) -> tuple[ColumnSpec, ...]:
    """`"a: text, b: time?"` → ColumnSpecs, the way the DSL declares them."""
    specs = []
    for item in text.split(","):
        name, kind = (s.strip() for s in item.split(":"))
        specs.append(ColumnSpec(name, kind.rstrip("?"), kind.endswith("?")))
    return tuple(specs)


_ARROW = {
    "string": pa.string(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "timestamp_naive": pa.timestamp("ns"),
    "timestamp_utc": pa.timestamp("ns", "UTC"),
}


def _parquet_column(kind: str, values: list) -> pa.Array:
    if kind.startswith("timestamp"):
        ns = [None if v is None else np.datetime64(v, "ns").astype(np.int64) for v in values]
        return pa.array(ns, pa.int64()).cast(_ARROW[kind])
    return pa.array(values, _ARROW[kind])


def materialise(case: dict, root: Path) -> tuple[Path, Path]:
    """The case's folder under `root` (committed files plus written Parquet), and the
    source to load (the folder, or the SQLite file)."""
    folder = root / case["case"]
    if (CORPUS / case["case"]).is_dir():
        shutil.copytree(CORPUS / case["case"], folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, cols in case.get("parquet", {}).items():
        table = pa.table({c: _parquet_column(kind, vals) for c, (kind, vals) in cols.items()})
        pq.write_table(table, folder / name)
    for name in case.get("gzip", []):
        plain = folder / name
        (folder / f"{name}.gz").write_bytes(gzip.compress(plain.read_bytes()))
        plain.unlink()
    if "sqlite" in case:
        db = folder / "events.sqlite"
        con = sqlite3.connect(db)
        for table, spec in case["sqlite"].items():
            con.execute(f'CREATE TABLE "{table}" ({spec["columns"]})')
            marks = ", ".join("?" * len(spec["rows"][0]))
            con.executemany(f'INSERT INTO "{table}" VALUES ({marks})', spec["rows"])
        con.commit()
        con.close()
        return folder, db
    return folder, folder


def schemas(case: dict) -> tuple[list[StreamSchema], StreamSchema | None]:
    if "sla" in case:
        model = slagraph.compile(case["sla"]).ir
        return list(model.streams.values()), model.accounts
    sources = case.get("sources", {})
    streams = [
        StreamSchema(name, columns(cols), sources.get(name, name))
        for name, cols in case["streams"].items()
    ]
    accounts = None
    if "accounts" in case:
        accounts = StreamSchema("accounts", columns(case["accounts"]), "accounts")
    return streams, accounts


def run(case: dict, root: Path, on_bad_rows: str):
    folder, source = materialise(case, root / on_bad_rows)
    streams, accounts = schemas(case)
    order = {k: [tuple(p) for p in v] for k, v in case.get("order_checks", {}).items()}
    return folder, lambda: load(
        source, streams, accounts, order_checks=order, on_bad_rows=on_bad_rows
    )


def test_corpus_is_big_enough():
    """One case per error kind, across every format (the brief asks for at least 15)."""
    assert len(CASES) >= 15
    assert {c["case"].split("_")[0] for c in CASES} >= {"csv", "jsonl", "parquet", "sqlite"}


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_error_message(case, tmp_path):
    """The first bad row stops loading with exactly the expected message."""
    folder, go = run(case, tmp_path, "error")
    with pytest.raises(SlaDataError) as info:
        go()
    assert case["message"].replace("{dir}", str(folder)) == str(info.value)


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_skip_mode(case, tmp_path):
    """Structural errors still raise; otherwise the bad rows are counted and the good
    rows kept, identified by their source row numbers."""
    _, go = run(case, tmp_path, "skip")
    if case["skip"] == "raises":
        with pytest.raises(SlaDataError):
            go()
        return
    data = go()
    assert case["skip"]["bad_rows"] == dict(data.bad_rows)
    kept = {name: t.rows.tolist() for name, t in data.tables.items()}
    if data.accounts is not None:
        kept["accounts"] = data.accounts.rows.tolist()
    assert case["skip"]["rows"] == kept


if __name__ == "__main__":  # print the current behaviour, to review and freeze
    import tempfile

    for case in CASES:
        if len(sys.argv) > 1 and case["case"] not in sys.argv[1:]:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            out = {"case": case["case"]}
            folder, go = run(case, Path(tmp), "error")
            try:
                go()
                out["message"] = None
            except SlaDataError as e:
                out["message"] = str(e).replace(str(folder), "{dir}")
            _, go = run(case, Path(tmp), "skip")
            try:
                data = go()
                kept = {n: t.rows.tolist() for n, t in data.tables.items()}
                if data.accounts is not None:
                    kept["accounts"] = data.accounts.rows.tolist()
                out["skip"] = {"bad_rows": dict(data.bad_rows), "rows": kept}
            except SlaDataError:
                out["skip"] = "raises"
            print(json.dumps(out))
