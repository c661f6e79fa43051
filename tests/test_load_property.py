"""Whatever values a file holds, `load()` either reads them exactly or stops with an
`SlaDataError` naming the stream, a bad row and its column: no value wraps round, none
turns silently into a null, and nothing escapes as a traceback (SPEC §3.7).

Times anywhere in years 1–9999 (only 1677-09-21 … 2262-04-11 fit int64 nanoseconds),
numbers with NaN, ±inf, −0 and huge magnitudes, and empty fields, written as CSV, JSONL
and typed Parquet, through both bad-row policies.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slagraph.data import ColumnSpec, StreamSchema, load
from slagraph.errors import SlaDataError

UTC = dt.UTC
NS_LOW = dt.datetime(1677, 9, 21, 0, 12, 44, tzinfo=UTC)  # first whole second in range
NS_HIGH = dt.datetime(2262, 4, 11, 23, 47, 16, tzinfo=UTC)  # last whole second in range
SCHEMA = StreamSchema(
    "events",
    (ColumnSpec("account", "text"), ColumnSpec("at", "time"), ColumnSpec("v", "number")),
)

times = st.one_of(
    st.datetimes(
        min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31), timezones=st.just(UTC)
    ).map(lambda t: t.replace(microsecond=0)),
    st.sampled_from(
        [NS_LOW, NS_HIGH, NS_LOW - dt.timedelta(seconds=1), NS_HIGH + dt.timedelta(seconds=1)]
    ),
    st.datetimes(
        min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1), timezones=st.just(UTC)
    ).map(lambda t: t.replace(microsecond=0)),
    st.none(),
)
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, math.nan, math.inf, -math.inf]),
    st.none(),
)
rows_strategy = st.lists(
    st.tuples(st.sampled_from(["a", "b"]), times, numbers), min_size=1, max_size=12
)


def good(row: tuple[str, dt.datetime | None, float | None]) -> bool | None:
    """True: must load exactly; False: must be a bad row; None: either (infinities)."""
    _, at, v = row
    if at is None or v is None or not (NS_LOW <= at <= NS_HIGH) or math.isnan(v):
        return False
    return None if math.isinf(v) else True


def iso(t: dt.datetime) -> str:
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}Z"


def write(folder: Path, fmt: str, rows: list) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        lines = ["account,at,v"]
        for account, at, v in rows:
            lines.append(
                f"{account},{'' if at is None else iso(at)},{'' if v is None else repr(v)}"
            )
        (folder / "events.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif fmt == "jsonl":
        with (folder / "events.jsonl").open("w", encoding="utf-8") as out:
            for account, at, v in rows:
                at_text = None if at is None else iso(at)
                out.write(json.dumps({"account": account, "at": at_text, "v": v}) + "\n")
    else:
        table = pa.table(
            {
                "account": pa.array([r[0] for r in rows], pa.string()),
                "at": pa.array([r[1] for r in rows], pa.timestamp("us", tz="UTC")),
                "v": pa.array([r[2] for r in rows], pa.float64()),
            }
        )
        pq.write_table(table, folder / "events.parquet")


def ns(t: dt.datetime) -> int:
    delta = t - dt.datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000_000


def check(tmp: Path, fmt: str, rows: list) -> None:
    verdicts = [good(r) for r in rows]
    folder = tmp / fmt
    write(folder, fmt, rows)
    # error policy: the first bad row, located; or everything, exactly
    try:
        table = load(folder, [SCHEMA]).tables["events"]
    except SlaDataError as error:
        assert error.location is not None and error.location.stream == "events", str(error)
        assert error.location.column in ("at", "v"), str(error)
        row = error.location.row
        assert row is not None and verdicts[row - 1] is not True, (str(error), rows)
    else:
        assert False not in verdicts, rows
        assert_exact(table, rows, list(range(1, len(rows) + 1)))
    # skip policy: the good rows exactly, the bad ones counted
    dataset = load(folder, [SCHEMA], on_bad_rows="skip")
    table = dataset.tables["events"]
    kept = [int(r) for r in table.rows]
    assert all(verdicts[r - 1] is not False for r in kept), rows
    assert all(r in kept for r, v in enumerate(verdicts, 1) if v is True), rows
    assert dataset.bad_rows.get("events", 0) == len(rows) - len(kept)
    assert_exact(table, [rows[r - 1] for r in kept], kept)


def assert_exact(table, rows: list, numbers: list[int]) -> None:
    assert [int(r) for r in table.rows] == numbers
    assert table["at"].values.tolist() == [ns(r[1]) for r in rows]
    got = table["v"].values.tolist()
    want = [r[2] for r in rows]
    assert [(g, math.copysign(1, g)) for g in got] == [(w, math.copysign(1, w)) for w in want]


def examples(n: int) -> settings:
    return settings(max_examples=n, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
@examples(350)
@given(rows=rows_strategy)
def test_values_load_exactly_or_fail_located(tmp_path_factory, fmt: str, rows: list) -> None:
    check(tmp_path_factory.mktemp("load"), fmt, rows)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
@examples(17000)
@given(rows=rows_strategy)
def test_values_load_exactly_or_fail_located_long(tmp_path_factory, fmt: str, rows: list) -> None:
    check(tmp_path_factory.mktemp("load"), fmt, rows)
