"""Times outside int64 nanoseconds (1677-09-21 .. 2262-04-11 UTC) are bad values.

They used to wrap round silently (text sources: year 2300 became 1715, year 1500 became
2084) or end in an Arrow/Overflow traceback (typed sources). Now every source gives an
`SlaDataError` naming stream, row, column and the value, and `skip` counts the row.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from slagraph.data import ColumnSpec, StreamSchema, load
from slagraph.engine import to_ns
from slagraph.errors import SlaDataError, SlaUsageError

SCHEMA = [
    StreamSchema(
        "incidents", (ColumnSpec("account", "text", False), ColumnSpec("opened", "time", False))
    )
]
GOOD = "2026-01-03T17:48:14Z"
HINT = "(out of range: times must lie between 1677-09-21 and 2262-04-11 UTC)"
EXPECTED = "expected a time with an offset like 2026-01-05T10:15:00Z"


def message(got: str, where: str) -> str:
    at = "data error: stream 'incidents', row 2, column 'opened'"
    return f"{at}: {EXPECTED}, got {got} {HINT}{where}"


def check(source, got: str, where: str) -> None:
    with pytest.raises(SlaDataError) as info:
        load(source, SCHEMA, None)
    assert str(info.value) == message(got, where)
    data = load(source, SCHEMA, None, on_bad_rows="skip")
    assert dict(data.bad_rows) == {"incidents": 1}
    assert data.tables["incidents"].rows.tolist() == [1]


FAR = ["2300-01-04T21:04:33Z", "1500-01-04T21:04:33Z", "2262-04-12T00:00:00Z"]


@pytest.mark.parametrize("far", FAR)
def test_csv(tmp_path, far):
    (tmp_path / "incidents.csv").write_text(f"account,opened\nacme,{GOOD}\nacme,{far}\n")
    check(tmp_path, f"'{far}'", f"; at {tmp_path}/incidents.csv:3")


@pytest.mark.parametrize("far", FAR)
def test_jsonl(tmp_path, far):
    lines = [{"account": "acme", "opened": t} for t in (GOOD, far)]
    (tmp_path / "incidents.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    check(tmp_path, f"'{far}'", f"; at {tmp_path}/incidents.jsonl:2")


@pytest.mark.parametrize("far", FAR)
def test_sqlite(tmp_path, far):
    db = tmp_path / "events.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE incidents (account TEXT, opened TEXT)")
    con.executemany("INSERT INTO incidents VALUES (?, ?)", [("acme", GOOD), ("acme", far)])
    con.commit()
    con.close()
    with pytest.raises(SlaDataError) as info:
        load(db, SCHEMA, None)
    assert str(info.value).startswith(message(f"'{far}'", ""))
    data = load(db, SCHEMA, None, on_bad_rows="skip")
    assert dict(data.bad_rows) == {"incidents": 1}


@pytest.mark.parametrize("far", FAR)
def test_memory_strings(far):
    check(
        {"incidents": {"account": ["a", "b"], "opened": [GOOD, far]}}, f"'{far}'", "; in <memory>"
    )


def test_memory_datetimes():
    opened = [
        dt.datetime(2026, 1, 3, tzinfo=dt.UTC),
        dt.datetime(2300, 1, 4, 21, 4, 33, tzinfo=dt.UTC),
    ]
    check(
        {"incidents": {"account": ["a", "b"], "opened": opened}},
        "2300-01-04T21:04:33Z",
        "; in <memory>",
    )


def test_memory_arrow_year_1500():
    seconds = [0, int(dt.datetime(1500, 1, 4, tzinfo=dt.UTC).timestamp())]
    table = pa.table({"account": ["a", "b"], "opened": pa.array(seconds, pa.timestamp("s", "UTC"))})
    check({"incidents": table}, "1500-01-04T00:00:00Z", "; in <memory>")


def test_parquet_us_out_of_ns_range(tmp_path):
    us = [
        0,
        int(dt.datetime(2300, 1, 4, 21, 4, 33, 500000, tzinfo=dt.UTC).timestamp()) * 10**6 + 500000,
    ]
    table = pa.table({"account": ["a", "b"], "opened": pa.array(us, pa.timestamp("us", "UTC"))})
    pq.write_table(table, tmp_path / "incidents.parquet")
    check(tmp_path, "2300-01-04T21:04:33.5Z", f"; in {tmp_path}/incidents.parquet")


def test_pandas():
    opened = pd.Series([dt.datetime(2026, 1, 3), dt.datetime(2300, 1, 4)], dtype="datetime64[us]")
    frame = pd.DataFrame({"account": ["a", "b"], "opened": opened.dt.tz_localize("UTC")})
    check({"incidents": frame}, "2300-01-04T00:00:00Z", "; in <memory>")


def test_edges_still_read(tmp_path):
    edges = ["1677-09-21T00:12:43.145224193Z", "2262-04-11T23:47:16.854775807Z"]
    (tmp_path / "incidents.csv").write_text("account,opened\n" + "".join(f"a,{t}\n" for t in edges))
    data = load(tmp_path, SCHEMA, None)
    values = data.tables["incidents"].columns["opened"].values.tolist()
    assert values == [-(2**63) + 1, 2**63 - 1]


def test_as_of_out_of_range():
    with pytest.raises(SlaUsageError) as info:
        to_ns("2300-01-01T00:00:00Z")
    assert str(info.value) == (
        "as-of '2300-01-01T00:00:00Z' is out of range: "
        "times must lie between 1677-09-21 and 2262-04-11 UTC"
    )


ZONED = [
    StreamSchema(
        "incidents",
        (ColumnSpec("account", "text", False), ColumnSpec("opened", "time", False)),
        timezone="America/Santiago",
    )
]
ZONED_EXPECTED = (
    "expected a time like 2026-01-05T10:15:00Z or 2026-01-05 10:15:00 (read in America/Santiago)"
)


@pytest.mark.parametrize("far", ["2262-04-11 20:00:00", "1677-09-21 12:00:00", "2300-01-01 00:00"])
@pytest.mark.parametrize("mixed", [False, True], ids=["arrow", "parse_iso"])
def test_naive_in_zone_near_the_ends(tmp_path, far, mixed):
    """Naive times are read in the zone; near the ends that would leave the range."""
    good = "2026-01-03 12:00:00" if not mixed else "2026-01-03T12:00:00Z"
    (tmp_path / "incidents.csv").write_text(f"account,opened\nacme,{good}\nacme,{far}\n")
    with pytest.raises(SlaDataError) as info:
        load(tmp_path, ZONED, None)
    at = "data error: stream 'incidents', row 2, column 'opened'"
    # a CSV column Arrow could read as timestamps has lost its text: shown as ISO
    got = far.replace(" ", "T") if not mixed and far < "2263" else f"'{far}'"
    assert str(info.value) == (
        f"{at}: {ZONED_EXPECTED}, got {got} {HINT}; at {tmp_path}/incidents.csv:3"
    )
    data = load(tmp_path, ZONED, None, on_bad_rows="skip")
    assert dict(data.bad_rows) == {"incidents": 1}


def test_naive_typed_in_zone_near_the_end():
    wall = [0, 2**63 - 1 - 3600 * 10**9]
    table = pa.table({"account": ["a", "b"], "opened": pa.array(wall, pa.timestamp("ns"))})
    with pytest.raises(SlaDataError) as info:
        load({"incidents": table}, ZONED, None)
    assert str(info.value) == (
        "data error: stream 'incidents', row 2, column 'opened': "
        f"{ZONED_EXPECTED}, got 2262-04-11T22:47:16.854775807 {HINT}; in <memory>"
    )
