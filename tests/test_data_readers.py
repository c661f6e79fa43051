"""Readers: one table through every format gives the same arrays; times, zones, nulls,
sources, accounts; and property tests that random tables read back exactly."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
import zoneinfo
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slagraph.data import ColumnSpec, Dataset, StreamSchema, load
from slagraph.data.times import NAIVE, OK, localize, parse_iso
from slagraph.errors import SlaDataError, SlaUsageError

NS = 10**9

INCIDENTS = StreamSchema(
    "incidents",
    (
        ColumnSpec("account", "text"),
        ColumnSpec("priority", "text", nullable=True),
        ColumnSpec("opened", "time"),
        ColumnSpec("resolved", "time", nullable=True),
        ColumnSpec("cost", "number", nullable=True),
        ColumnSpec("escalated", "bool"),
    ),
    "incidents",
)

ROWS = {
    "account": ["acme", "beta", "acme", "gamma"],
    "priority": ["P1", None, "P2", "P1"],
    "opened": [
        "2026-01-05T10:15:00Z",
        "2026-01-05T10:15:00.123456789-03:00",
        "2026-03-01T00:00:00+05:30",
        "2026-12-31T23:59:59.5Z",
    ],
    "resolved": ["2026-01-05T11:00:00Z", None, "2026-03-01T01:00:00+05:30", None],
    "cost": [1.5, None, -2.0, 1e6],
    "escalated": [True, False, False, True],
}

EXPECTED_OPENED = [
    1767608100 * NS,
    1767618900 * NS + 123456789,
    (1772323200 - 19800) * NS,
    1798761599 * NS + 500_000_000,
]


def columns_of(data: Dataset, stream: str = "incidents") -> dict[str, list]:
    """Python values of every column, text decoded: what round-trips must agree on."""
    return {name: col.to_list() for name, col in data.tables[stream].columns.items()}


def write_csv(folder: Path, name: str, rows: dict) -> None:
    frame = pd.DataFrame(rows)
    frame.to_csv(folder / f"{name}.csv", index=False)


def write_jsonl(folder: Path, name: str, rows: dict) -> None:
    keys = list(rows)
    with open(folder / f"{name}.jsonl", "w") as f:
        for values in zip(*rows.values(), strict=True):
            f.write(json.dumps(dict(zip(keys, values, strict=True))) + "\n")


def arrow_table(rows: dict) -> pa.Table:
    opened = pc.cast(pa.array(rows["opened"]), pa.timestamp("ns", "UTC"))
    resolved = pc.cast(pa.array(rows["resolved"], pa.string()), pa.timestamp("ns", "UTC"))
    return pa.table(
        {
            "account": rows["account"],
            "priority": pa.array(rows["priority"], pa.string()),
            "opened": opened,
            "resolved": resolved,
            "cost": pa.array(rows["cost"], pa.float64()),
            "escalated": rows["escalated"],
        }
    )


def all_sources(tmp_path: Path) -> dict[str, object]:
    """The same incidents table in every supported form."""
    sources: dict[str, object] = {}
    for fmt, writer in (("csv", write_csv), ("jsonl", write_jsonl)):
        folder = tmp_path / fmt
        folder.mkdir()
        writer(folder, "incidents", ROWS)
        sources[fmt] = folder
    folder = tmp_path / "parquet"
    folder.mkdir()
    pq.write_table(arrow_table(ROWS), folder / "incidents.parquet")
    sources["parquet"] = folder
    db = tmp_path / "events.sqlite"
    con = sqlite3.connect(db)
    con.execute(
        "CREATE TABLE incidents (account TEXT, priority TEXT, opened TEXT, resolved TEXT,"
        " cost REAL, escalated INTEGER, extra TEXT)"
    )
    con.executemany(
        "INSERT INTO incidents VALUES (?, ?, ?, ?, ?, ?, 'x')",
        list(zip(*ROWS.values(), strict=True)),
    )
    con.commit()
    con.close()
    sources["sqlite"] = db
    sources["pyarrow"] = {"incidents": arrow_table(ROWS)}
    frame = arrow_table(ROWS).to_pandas()
    sources["pandas"] = {"incidents": frame}
    sources["pandas-strings"] = {"incidents": pd.DataFrame(ROWS)}
    sources["dict"] = {"incidents": dict(ROWS)}
    sources["dict-numpy"] = {"incidents": {k: np.array(v, dtype=object) for k, v in ROWS.items()}}
    return sources


def test_every_format_gives_identical_arrays(tmp_path):
    """CSV, JSONL, Parquet, SQLite, pandas, pyarrow and dicts read to the same columns."""
    results = {name: load(source, [INCIDENTS]) for name, source in all_sources(tmp_path).items()}
    reference = results.pop("csv")
    expected = columns_of(reference)
    assert EXPECTED_OPENED == expected["opened"]
    assert ["acme", "beta", "acme", "gamma"] == expected["account"]
    assert [1.5, None, -2.0, 1e6] == expected["cost"]
    for name, data in results.items():
        assert expected == columns_of(data), name
        table, ref = data.tables["incidents"], reference.tables["incidents"]
        assert [1, 2, 3, 4] == table.rows.tolist(), name
        for col in ref.columns:
            assert ref[col].values.dtype == table[col].values.dtype, (name, col)


def test_column_arrays_have_the_agreed_types(tmp_path):
    data = load({"incidents": dict(ROWS)}, [INCIDENTS])
    table = data.tables["incidents"]
    assert 4 == len(table)
    assert np.int64 == table["opened"].values.dtype
    assert np.float64 == table["cost"].values.dtype
    assert np.bool_ == table["escalated"].values.dtype
    assert np.int32 == table["priority"].values.dtype
    assert -1 == table["priority"].values[1]
    assert table["opened"].valid is None  # no nulls: no mask to consult
    assert [True, False, True, True] == table["priority"].valid.tolist()
    assert [True, False, True, False] == table["resolved"].valid.tolist()
    assert "<memory>" == table.origin


def test_offsets_and_fractional_seconds():
    strings = [
        "2026-01-05T10:15:00Z",
        "2026-01-05T10:15:00.5Z",
        "2026-01-05T13:15:00.000000001+03:00",
        "2026-01-05T07:15:00-03:00",
        "2026-01-05 10:15Z",
        "2026-01-05T10:15:00+0000",
    ]
    schema = StreamSchema("s", (ColumnSpec("t", "time"),), "s")
    values = load({"s": {"t": strings}}, [schema]).tables["s"]["t"].values
    base = 1767608100 * NS
    assert [base, base + 500_000_000, base + 1, base, base, base] == values.tolist()


def test_naive_times_read_in_the_stream_timezone_across_santiago_dst():
    """Santiago moves clocks at midnight: 2026-04-05 00:00 (-03) → 04-04 23:00 (-04), and
    2026-09-06 00:00 (-04) → 01:00 (-03). Ambiguous times take the first occurrence and
    nonexistent ones the offset before the gap (Python's fold=0)."""
    zone = "America/Santiago"
    schema = StreamSchema("s", (ColumnSpec("t", "time"),), "s", timezone=zone)
    strings = [
        "2026-01-15 12:00:00",  # summer, -03
        "2026-07-15 12:00:00",  # winter, -04
        "2026-04-04 23:30:00",  # ambiguous: first occurrence, -03
        "2026-09-06 00:30:00",  # nonexistent: read with -04, i.e. 01:30 -03
        "2026-07-15T12:00:00Z",  # an explicit offset wins over the stream zone
    ]
    values = load({"s": {"t": strings}}, [schema]).tables["s"]["t"].values.tolist()
    utc = dt.UTC
    expected = [
        dt.datetime(2026, 1, 15, 15, 0, tzinfo=utc),
        dt.datetime(2026, 7, 15, 16, 0, tzinfo=utc),
        dt.datetime(2026, 4, 5, 2, 30, tzinfo=utc),
        dt.datetime(2026, 9, 6, 4, 30, tzinfo=utc),
        dt.datetime(2026, 7, 15, 12, 0, tzinfo=utc),
    ]
    assert [int(e.timestamp()) * NS for e in expected] == values
    # the same through the CSV fast path (all naive) gives the same instants
    one = load({"s": {"t": strings[:4]}}, [schema]).tables["s"]["t"].values.tolist()
    assert values[:4] == one


def test_naive_csv_column_with_a_timezone_uses_the_fast_path(tmp_path):
    schema = StreamSchema("s", (ColumnSpec("t", "time"),), "s", timezone="Europe/Paris")
    (tmp_path / "s.csv").write_text("t\n2026-07-01 12:00:00\n2026-01-01T12:00:00\n")
    values = load(tmp_path, [schema]).tables["s"]["t"].values.tolist()
    assert [1782900000 * NS, 1767265200 * NS] == values


@given(st.lists(st.integers(0, 2**31), min_size=1, max_size=50))
@settings(max_examples=50, deadline=None)
def test_localize_agrees_with_zoneinfo(seconds):
    """The searchsorted localisation equals `datetime(..., tzinfo=ZoneInfo(z))` (fold=0)."""
    for zone in ("America/Santiago", "Europe/London", "Australia/Lord_Howe"):
        info = zoneinfo.ZoneInfo(zone)
        wall = np.array(seconds, np.int64) * NS
        expected = [
            int(
                (dt.datetime(1970, 1, 1) + dt.timedelta(seconds=s)).replace(tzinfo=info).timestamp()
            )
            * NS
            for s in seconds
        ]
        assert expected == localize(wall, zone).tolist()


@st.composite
def iso_strings(draw):
    """Strings near and inside Arrow's ISO-8601 grammar."""
    date = draw(st.dates(dt.date(1970, 1, 1), dt.date(2200, 12, 31)))
    text = draw(st.sampled_from(["{:04d}-{:02d}-{:02d}", "{:04d}-{:02d}-{:02d}"])).format(
        date.year, date.month, draw(st.integers(0, 32))
    )
    if draw(st.booleans()):
        text += draw(st.sampled_from(["T", " ", "t"])) + f"{draw(st.integers(0, 25)):02d}"
        if draw(st.booleans()):
            text += f":{draw(st.integers(0, 61)):02d}"
            if draw(st.booleans()):
                text += f":{draw(st.integers(0, 61)):02d}"
                if draw(st.booleans()):
                    text += "." + "".join(
                        draw(st.lists(st.sampled_from("0123456789"), min_size=1, max_size=10))
                    )
        text += draw(st.sampled_from(["", "Z", "+03:00", "-0530", "+01", "+24:00", "z"]))
    return text


@given(st.lists(iso_strings(), min_size=1, max_size=20))
@settings(max_examples=200, deadline=None)
def test_slow_path_parser_agrees_with_arrow(strings):
    """`parse_iso` (per-row, used to locate bad rows) accepts exactly what Arrow's cast
    (the fast path) accepts, with the same instants."""
    parsed = parse_iso(pa.array(strings))
    for i, s in enumerate(strings):
        try:
            aware = pc.cast(pa.array([s]), pa.timestamp("ns", "UTC"))[0].value
        except pa.ArrowInvalid:
            aware = None
        try:
            naive = pc.cast(pa.array([s]), pa.timestamp("ns"))[0].value
        except pa.ArrowInvalid:
            naive = None
        if aware is not None:
            assert (OK, aware) == (parsed.status[i], parsed.ns[i]), s
        elif naive is not None:
            assert (NAIVE, naive) == (parsed.status[i], parsed.ns[i]), s
        else:
            assert parsed.status[i] not in (OK, NAIVE), s


def test_nullable_columns_keep_nulls_and_masks(tmp_path):
    (tmp_path / "incidents.csv").write_text(
        "account,priority,opened,resolved,cost,escalated\n"
        'acme,,2026-01-05T10:15:00Z,,,true\nacme,"",2026-01-05T10:15:00Z,,"",TRUE\nacme,,2026-01-05T10:15:00Z,,nan,true\n'
    )
    data = load(tmp_path, [INCIDENTS], on_bad_rows="skip")
    assert {"incidents": 1} == dict(data.bad_rows)  # NaN is a bad value, not a null
    table = data.tables["incidents"]
    assert [None, None] == table["priority"].to_list()
    assert [None, None] == table["resolved"].to_list()
    assert [None, None] == table["cost"].to_list()
    assert [True, True] == table["escalated"].to_list()


def test_stream_reads_its_from_source(tmp_path):
    """`stream leads { … } from "crm_leads"` reads crm_leads.* and is keyed 'leads'."""
    leads = StreamSchema(
        "leads",
        (
            ColumnSpec("account", "text"),
            ColumnSpec("qualified", "time"),
            ColumnSpec("contacted", "time", nullable=True),
        ),
        "crm_leads",
    )
    (tmp_path / "crm_leads.csv").write_text(
        "account,qualified,contacted\nacme,2026-01-05T10:00:00Z,2026-01-05T12:00:00Z\n"
    )
    data = load(tmp_path, [leads])
    assert ["leads"] == list(data.tables)
    assert str(tmp_path / "crm_leads.csv") == data.tables["leads"].origin
    memory = load(
        {
            "crm_leads": {
                "account": ["a"],
                "qualified": ["2026-01-05T10:00:00Z"],
                "contacted": [None],
            }
        },
        [leads],
    )
    assert [None] == memory.tables["leads"]["contacted"].to_list()


def test_accounts_recoding_with_an_accounts_table():
    """Stream account codes index the accounts table's keys in file order."""
    accounts = StreamSchema(
        "accounts", (ColumnSpec("account", "text"), ColumnSpec("fee", "number")), "accounts"
    )
    data = load(
        {
            "accounts": {"account": ["zeta", "acme", "beta"], "fee": [1, 2, 3]},
            "incidents": dict(ROWS, account=["beta", "acme", "beta", "zeta"]),
        },
        [INCIDENTS],
        accounts,
    )
    assert ["zeta", "acme", "beta"] == data.account_names.tolist()
    column = data.tables["incidents"]["account"]
    assert [2, 1, 2, 0] == column.values.tolist()
    assert column.dictionary is data.account_names
    assert [0, 1, 2] == data.accounts["account"].values.tolist()
    assert [1.0, 2.0, 3.0] == data.accounts["fee"].to_list()


def test_accounts_without_a_table_are_the_sorted_union():
    other = StreamSchema("tickets", (ColumnSpec("account", "text"),), "tickets")
    data = load(
        {"incidents": dict(ROWS), "tickets": {"account": ["delta", "acme"]}}, [INCIDENTS, other]
    )
    assert ["acme", "beta", "delta", "gamma"] == data.account_names.tolist()
    assert [0, 1, 0, 3] == data.tables["incidents"]["account"].values.tolist()
    assert [2, 0] == data.tables["tickets"]["account"].values.tolist()
    assert {} == dict(data.bad_rows)


def test_single_account_stream_has_no_account_column():
    schema = StreamSchema("leads", (ColumnSpec("qualified", "time"),), "leads")
    data = load({"leads": {"qualified": ["2026-01-05T10:00:00Z"]}}, [schema])
    assert [] == data.account_names.tolist()
    assert data.accounts is None


def test_empty_tables_load(tmp_path):
    (tmp_path / "incidents.csv").write_text("account,priority,opened,resolved,cost,escalated\n")
    table = load(tmp_path, [INCIDENTS]).tables["incidents"]
    assert 0 == len(table)
    assert np.int64 == table["opened"].values.dtype


def test_bad_options_and_sources_are_usage_errors(tmp_path):
    with pytest.raises(SlaUsageError):
        load({}, [], on_bad_rows="ignore")
    with pytest.raises(SlaUsageError):
        load(tmp_path / "nope", [INCIDENTS])
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(SlaUsageError):
        load(tmp_path / "notes.txt", [INCIDENTS])
    with pytest.raises(SlaUsageError):
        load({"incidents": [1, 2]}, [INCIDENTS])


def test_memory_mixed_types_locate_the_bad_element():
    rows = dict(ROWS, cost=[1.0, "12,5", None, 3])
    with pytest.raises(SlaDataError) as info:
        load({"incidents": rows}, [INCIDENTS])
    assert (
        "data error: stream 'incidents', row 2, column 'cost': expected a number, "
        "got '12,5'; in <memory>" == str(info.value)
    )
    data = load({"incidents": rows}, [INCIDENTS], on_bad_rows="skip")
    assert {"incidents": 1} == dict(data.bad_rows)
    assert [1, 3, 4] == data.tables["incidents"].rows.tolist()


def test_first_bad_row_wins_across_columns_and_checks():
    """Row 2's bad cost is reported before row 3's bad account order, whatever the
    column order; within a row, the first declared column wins."""
    rows = dict(ROWS, cost=[1.0, float("inf"), 2.0, 3.0])
    rows["opened"] = list(ROWS["opened"])
    rows["opened"][1] = "yesterday"
    with pytest.raises(SlaDataError) as info:
        load({"incidents": rows}, [INCIDENTS])
    assert "row 2, column 'opened'" in str(info.value)
    data = load({"incidents": rows}, [INCIDENTS], on_bad_rows="skip")
    assert {"incidents": 1} == dict(data.bad_rows)


# ------------------------------------------------------------------ properties

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=8)


@st.composite
def random_tables(draw):
    n = draw(st.integers(0, 30))
    base = st.integers(-(2**40), 2**40).map(lambda s: s * 1000)  # µs-aligned ns... any ns
    return {
        "account": draw(st.lists(_TEXT, min_size=n, max_size=n)),
        "label": draw(st.lists(st.none() | _TEXT, min_size=n, max_size=n)),
        "at": draw(st.lists(base, min_size=n, max_size=n)),
        "until": draw(st.lists(st.none() | base, min_size=n, max_size=n)),
        "value": draw(
            st.lists(
                st.none() | st.floats(allow_nan=False, allow_infinity=False, width=64),
                min_size=n,
                max_size=n,
            )
        ),
        "flag": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
    }


RANDOM = StreamSchema(
    "events",
    (
        ColumnSpec("account", "text"),
        ColumnSpec("label", "text", nullable=True),
        ColumnSpec("at", "time"),
        ColumnSpec("until", "time", nullable=True),
        ColumnSpec("value", "number", nullable=True),
        ColumnSpec("flag", "bool"),
    ),
    "events",
)


def _arrow(rows: dict) -> pa.Table:
    return pa.table(
        {
            "account": pa.array(rows["account"], pa.string()),
            "label": pa.array(rows["label"], pa.string()),
            "at": pa.array(rows["at"], pa.int64()).cast(pa.timestamp("ns", "UTC")),
            "until": pa.array(rows["until"], pa.int64()).cast(pa.timestamp("ns", "UTC")),
            "value": pa.array(rows["value"], pa.float64()),
            "flag": pa.array(rows["flag"], pa.bool_()),
        }
    )


@given(random_tables(), st.sampled_from(["csv", "parquet"]))
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_random_tables_read_back_exactly(tmp_path_factory, rows, fmt):
    """Whatever pyarrow writes, slagraph reads back value for value (CSV via pyarrow's
    writer: ISO times with Z, quoted strings; empty strings would be nulls in CSV, so the
    text strategy never makes them)."""
    folder = tmp_path_factory.mktemp(fmt)
    table = _arrow(rows)
    if fmt == "csv":
        pcsv.write_csv(table, folder / "events.csv")
    else:
        pq.write_table(table, folder / "events.parquet")
    data = load(folder, [RANDOM])
    got = columns_of(data, "events")
    assert rows["account"] == got["account"]
    assert rows["label"] == got["label"]
    assert rows["at"] == got["at"]
    assert rows["until"] == got["until"]
    assert rows["value"] == got["value"]
    assert rows["flag"] == got["flag"]
    assert list(range(1, len(rows["at"]) + 1)) == data.tables["events"].rows.tolist()


NOTES = StreamSchema("notes", (ColumnSpec("note", "text"), ColumnSpec("n", "number")), "notes")


def _notes_csv(newline_at: int) -> tuple[str, int]:
    """A CSV whose record `"multi<LF>line",-1` has its inner newline at byte `newline_at`;
    returns the text and that record's index."""
    lines = ["note,n\n"]
    size = len(lines[0])
    while size < newline_at - 40:
        lines.append(f"v{len(lines)},{len(lines)}\n")
        size += len(lines[-1])
    lines.append("x" * (newline_at - size - len(',0\n"multi')) + ",0\n")  # pad to the byte
    lines.append('"multi\nline",-1\n')
    lines += [f"w{i},{i}\n" for i in range(1000)]
    text = "".join(lines)
    assert newline_at == text.index('"multi\n') + len('"multi')
    return text, len(lines) - 1002


def test_quoted_newline_across_a_block_boundary_is_read_whole(tmp_path):
    """pyarrow reads in 1 MiB blocks. Where a quoted value's newline is the last one
    before a block boundary, reading without `newlines_in_values` loses half the record
    silently (checked here, so the file really straddles); slagraph keeps it whole."""
    text, index = _notes_csv((1 << 20) - 5)
    path = tmp_path / "notes.csv"
    path.write_text(text)
    careless = pcsv.read_csv(path, parse_options=pcsv.ParseOptions(newlines_in_values=False))
    assert "multi\nline" not in careless.column("note").to_pylist()
    got = columns_of(load(tmp_path, [NOTES]), "notes")
    assert "multi\nline" == got["note"][index]
    assert -1.0 == got["n"][index]
    assert text.count("\n") - 2 == len(got["note"])


def test_csv_without_quotes_reads_the_same(tmp_path):
    """Files with no quote at all (pandas' default output) take the faster block split;
    the values are the same as from the quoted file."""
    rows = {"note": [f"n{i}" for i in range(50_000)], "n": [float(i) for i in range(50_000)]}
    quoted, bare = tmp_path / "quoted", tmp_path / "bare"
    quoted.mkdir(), bare.mkdir()
    pcsv.write_csv(pa.table(rows), quoted / "notes.csv")  # quotes every string
    pd.DataFrame(rows).to_csv(bare / "notes.csv", index=False)  # quotes none
    assert '"' not in (bare / "notes.csv").read_text()
    assert rows == columns_of(load(quoted, [NOTES]), "notes")
    assert rows == columns_of(load(bare, [NOTES]), "notes")


def test_quoted_newline_inside_a_block_is_read_whole(tmp_path):
    """A value holding a newline in the middle of a block is one record, whole."""
    text, index = _notes_csv(5000)
    (tmp_path / "notes.csv").write_text(text)
    got = columns_of(load(tmp_path, [NOTES]), "notes")
    assert "multi\nline" == got["note"][index]
    assert text.count("\n") - 2 == len(got["note"])


def test_one_column_quoted_file_with_a_newline_at_a_block_boundary(tmp_path):
    """With one column the two halves of a cut record would each look like a valid
    record (no field count to betray them): the quoted value is still read whole."""
    one = StreamSchema("notes", (ColumnSpec("note", "text"),), "notes")
    text, index = _notes_csv((1 << 20) - 5)
    single = "".join(line.rsplit(",", 1)[0] + "\n" for line in text.splitlines())
    rows = [r for r in csv.reader(io.StringIO(single))]
    (tmp_path / "notes.csv").write_text(single)
    got = columns_of(load(tmp_path, [one]), "notes")
    assert [r[0] for r in rows[1:]] == got["note"]
    assert "multi\nline" in got["note"]


NULLABLE_NOTES = StreamSchema(
    "notes", (ColumnSpec("note", "text", nullable=True), ColumnSpec("n", "number")), "notes"
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    notes=st.lists(st.text(alphabet='ab,"\n\r ', max_size=12), min_size=1, max_size=60),
    terminator=st.sampled_from(["\n", "\r\n"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_NONNUMERIC]),
    blank_after=st.sets(st.integers(0, 59), max_size=2),
    block=st.sampled_from([64, 128, 1 << 20]),
)
def test_csv_blocks_never_cut_a_record(notes, terminator, quoting, blank_after, block):
    """Whatever the values hold (newlines of both kinds, quotes, commas) and wherever the
    block boundaries fall, every record is read whole: the fast threaded read is kept
    only when it is exact. The reference is Python's csv module."""
    import tempfile

    from slagraph.data import csv_reader

    if quoting == csv.QUOTE_MINIMAL and terminator == "\n":
        # this writer leaves a lone CR unquoted, which every CSV reader takes as a line end
        notes = [note.replace("\r", "") for note in notes]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=terminator, quoting=quoting)
    writer.writerow(["note", "n"])
    for i, note in enumerate(notes):
        writer.writerow([note, i])
        if i in blank_after:
            out.write(terminator)
    text = out.getvalue()
    expected = [row for row in csv.reader(io.StringIO(text, newline="")) if row][1:]
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.setattr(csv_reader, "block_size", lambda size: block)
        (Path(folder) / "notes.csv").write_bytes(text.encode())
        got = columns_of(load(folder, [NULLABLE_NOTES]), "notes")
    assert [r[0] or None for r in expected] == got["note"]
    assert [float(r[1]) for r in expected] == got["n"]


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("", 0),
        ("a", 1),
        ("a\n", 1),
        ("a\nb", 2),
        ("a\r\nb\r\n", 2),
        ("a\rb\r", 2),
        ("a\r\n\r\nb", 3),
        ("a\r", 1),
        ("\n\n", 2),
    ],
)
def test_physical_lines_counts_as_the_csv_parser_ends_lines(tmp_path, monkeypatch, text, lines):
    from slagraph.data import csv_reader, readers

    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    assert lines == readers.physical_lines(path)
    monkeypatch.setattr(csv_reader, "_SCAN", 1)  # every CRLF straddles a step
    assert lines == readers.physical_lines(path)


@pytest.mark.parametrize("block", range(8, 23))
def test_final_block_straddling_a_quoted_newline(tmp_path, block):
    """pyarrow parses the line straddling into its final block as final: a value cut at its
    newline comes out as one record and its tail as another, with the line count still
    matching. Found by review; the boundary-line check catches it."""
    from slagraph.data import csv_reader

    schema = StreamSchema("notes", (ColumnSpec("n", "number"), ColumnSpec("note", "text")), "notes")
    (tmp_path / "notes.csv").write_bytes(b'n,note\n1,b\n7,"x\n42,y"\n')
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csv_reader, "block_size", lambda size: block)
        got = columns_of(load(tmp_path, [schema]), "notes")
    assert {"n": [1.0, 7.0], "note": ["b", "x\n42,y"]} == got


TRICKY_CSV = [
    'n,note\n1,b\n7,"x\n42,y"\n',
    'n,note\r\n1,b\r\n7,"x\r\n42,y"\r\n',
    'note\nb\n"1\n1"\n',
    'note\nb\n"1\n\n1"',
    'n,note\n1,"a\nb"\n2,c\n3,"d\ne,f\ng"\n4,h\n',
    'n,note\n1,"say ""hi"""\n2,"x\n""y"",z"\n3,w\n',
]


@pytest.mark.parametrize("text", TRICKY_CSV)
def test_every_block_size_reads_every_record_whole(tmp_path, text):
    """Every block size from 8 bytes to the whole file, on files whose quoted values hold
    newlines in every position: the records are Python's csv module's."""
    from slagraph.data import csv_reader

    header, *rows = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    schema = StreamSchema("t", tuple(ColumnSpec(c, "text", nullable=True) for c in header), "t")
    (tmp_path / "t.csv").write_text(text, newline="")
    expected = {c: [r[i] or None for r in rows] for i, c in enumerate(header)}
    for block in range(8, len(text) + 2):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(csv_reader, "block_size", lambda size, block=block: block)
            data = load(tmp_path, [schema])
        got = {k: c.to_list() for k, c in data.tables["t"].columns.items()}
        assert expected == got, block


def test_value_cut_at_the_real_final_block_boundary(tmp_path):
    """The same at pyarrow's real 1 MiB block: the last record's quoted value opens just
    before the boundary and its newline falls after it."""
    lines = ["n,note\n"]
    size = len(lines[0])
    while size < (1 << 20) - 40:
        lines.append(f"{len(lines)},plain note {len(lines)}\n")
        size += len(lines[-1])
    need = (1 << 20) - 5 - size
    lines.append("9," + "z" * (need - 3) + "\n")
    lines.append('7,"call back\n42,done"\n')
    data = "".join(lines).encode()
    assert data.index(b'"call') < (1 << 20) < data.rindex(b"\n42,")
    (tmp_path / "notes.csv").write_bytes(data)
    schema = StreamSchema("notes", (ColumnSpec("n", "number"), ColumnSpec("note", "text")), "notes")
    got = columns_of(load(tmp_path, [schema]), "notes")
    assert len(lines) - 1 == len(got["n"])
    assert (7.0, "call back\n42,done") == (got["n"][-1], got["note"][-1])


@pytest.mark.parametrize(
    ("line", "outside"),
    [
        (b"a,b,c", True),
        (b'"a","b"', True),
        (b'"a,b', False),
        (b'1,"x', False),
        (b'"say ""hi""",2', True),
        (b'"open ""quote', False),
        (b'a"b,c', False),  # a quote inside an unquoted field: lenient parsers differ
        (b'"a"b,c', False),  # text after a closing quote: likewise
        (b'"",""', True),
        (b"", True),
    ],
)
def test_ends_outside_quotes(line, outside):
    from slagraph.data.readers import _ends_outside_quotes

    assert outside == _ends_outside_quotes(line)


def test_numbers_with_spaces_read_on_the_slow_path(tmp_path):
    """A bad value elsewhere sends the file down the string path; a number written with
    spaces around it is still a number there, and the bad value is reported (it was a
    raw pyarrow error before review found it)."""
    (tmp_path / "notes.csv").write_text("note,n\nx,1 \ny, 2\n")
    got = columns_of(load(tmp_path, [NOTES]), "notes")
    assert [1.0, 2.0] == got["n"]
    (tmp_path / "notes.csv").write_text("note,n\nx,1 \ny,zz\n")
    with pytest.raises(SlaDataError, match="row 2.*expected a number, got 'zz'"):
        load(tmp_path, [NOTES])
    data = load(tmp_path, [NOTES], on_bad_rows="skip")
    assert {"notes": 1} == dict(data.bad_rows)
    assert [1.0] == columns_of(data, "notes")["n"]


def test_csv_header_after_blank_lines(tmp_path):
    """Blank lines before the header are skipped, as pyarrow skips them; row numbers and
    file lines still point at the right records."""
    (tmp_path / "notes.csv").write_text("\n\nnote,n\nx,1\ny,zz\n")
    with pytest.raises(SlaDataError, match=r"row 2.*got 'zz'.*notes.csv:5"):
        load(tmp_path, [NOTES])
    (tmp_path / "notes.csv").write_text("\n\nnote,n\nx,1\ny,2\n")
    assert {"note": ["x", "y"], "n": [1.0, 2.0]} == columns_of(load(tmp_path, [NOTES]), "notes")


def test_csv_fields_over_pythons_limit_are_data_errors(tmp_path):
    """Python's csv module (header, ragged-row messages) stops at 128 KiB fields; that is
    a data error with the file named, not a traceback."""
    (tmp_path / "notes.csv").write_text('note,"n\n' + "x" * 200_000)
    with pytest.raises(SlaDataError, match="cannot read the header line"):
        load(tmp_path, [NOTES])
    (tmp_path / "notes.csv").write_text('note,n\n1,2,"' + "x" * 140_000 + '"\n')
    with pytest.raises(SlaDataError, match="expected 2 fields like the header, got a different"):
        load(tmp_path, [NOTES])


def test_block_sizes_split_no_crlf_when_one_is_near(tmp_path):
    """The careful read's block size splits no CRLF when one of the next 64 sizes does;
    else it stays (very short CRLF lines over many blocks), found quickly either way."""
    from slagraph.data import readers

    path = tmp_path / "f.csv"
    path.write_bytes(b"note\r\n" + b'"a\r\nb"\r\n' * 50)
    size = readers._keeping_crlf_whole(path, 16)
    data = path.read_bytes()
    assert 16 <= size < 16 + 64
    assert not any(data[e - 1 : e + 1] == b"\r\n" for e in range(size, len(data), size))
    rng = np.random.default_rng(5)  # CRLFs every 1-3 bytes, irregularly: no size avoids them all
    path.write_bytes(b"".join(b"a" * int(k) + b"\r\n" for k in rng.integers(1, 4, 100_000)))
    assert 8 == readers._keeping_crlf_whole(path, 8)


def _garbage_under_nulls(array: pa.Array) -> pa.Array:
    """The same array with values other than 0 in its null slots, which Arrow leaves
    undefined: what a reader is free to put there."""
    if not array.null_count:
        return array
    validity, data = array.buffers()
    raw = bytearray(data.to_pybytes())
    width = array.type.bit_width // 8
    for i in np.flatnonzero(~np.asarray(array.is_valid().to_numpy(zero_copy_only=False))):
        raw[i * width : (i + 1) * width] = bytes([0x5A]) * width
    return pa.Array.from_buffers(array.type, len(array), [validity, pa.py_buffer(bytes(raw))])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.one_of(st.none(), st.integers(-(2**40), 2**40)), max_size=40), max_size=6),
    st.sampled_from(
        [
            (pa.int64(), np.int64, 0),
            (pa.int32(), np.int32, -1),
            (pa.float64(), np.float64, np.nan),
            (pa.timestamp("ns", "UTC"), np.int64, 0),
        ]
    ),
    st.integers(0, 5),
)
def test_fixed_width_columns_copied_straight_from_buffers(chunks, kind, cut) -> None:
    """`buffers.fixed_values` reads Arrow's buffers itself (offsets of sliced chunks, validity
    bitmaps, empty chunks), or takes the unpacked validity; it must give what `fill_null`
    + `to_numpy` + `is_valid` give."""
    from slagraph.data.buffers import fixed_values, valid_mask

    arrow_type, dtype, fill = kind
    if arrow_type == pa.int32():
        chunks = [[None if v is None else v % 2**31 for v in c] for c in chunks]
    arrays = [_garbage_under_nulls(pa.array(c, pa.int64()).cast(arrow_type)) for c in chunks]
    arrays = [a.slice(min(cut, len(a))) for a in arrays]  # chunks with an offset
    column = pa.chunked_array(arrays, arrow_type)
    values, valid = fixed_values(column, dtype, fill)
    storage = column.cast(pa.int64()) if arrow_type == pa.timestamp("ns", "UTC") else column
    expected = np.asarray(storage.fill_null(fill).to_numpy(), dtype) if len(column) else []
    np.testing.assert_array_equal(values, expected)
    assert values.dtype == dtype
    is_valid = np.asarray(column.is_valid().to_numpy(), bool) if len(column) else []
    if column.null_count:
        np.testing.assert_array_equal(valid, is_valid)
        np.testing.assert_array_equal(valid_mask(column), is_valid)  # bitmaps read alone
    else:
        assert valid is None and valid_mask(column) is None
    again, _ = fixed_values(column, dtype, fill, valid=valid_mask(column))  # bitmaps unpacked
    np.testing.assert_array_equal(again, expected)


@pytest.mark.parametrize("stray", [None, 3, 17])
def test_account_column_coded_in_pieces_equals_one_piece(monkeypatch, stray) -> None:
    """A big account column is coded in pieces on the pool's threads (`_CodedInPieces`):
    the codes equal those of one pass, and an account the table lacks, in any piece, is
    reported as it is without pieces (stream, row, the value)."""
    from slagraph import runtime
    from slagraph.data import loader

    monkeypatch.setattr(loader, "PIECE_ROWS", 4)
    monkeypatch.setattr(runtime, "PARALLEL_MIN_RECORDS", 0)
    monkeypatch.setenv("SLAGRAPH_THREADS", "2")
    names = [f"acct{i:03d}" for i in range(7)]
    rng = np.random.default_rng(1)
    accounts = [names[i] for i in rng.integers(0, len(names), 23)]
    if stray is not None:
        accounts[stray] = "nobody"
    chunks = pa.chunked_array([pa.array(accounts[:10]), pa.array(accounts[10:])])
    source = {
        "accounts": pa.table({"account": names}),
        "ev": pa.table({"account": chunks, "n": np.arange(23.0)}),
    }
    schema = StreamSchema("ev", (ColumnSpec("account", "text"), ColumnSpec("n", "number")))
    key = StreamSchema("accounts", (ColumnSpec("account", "text"),))
    if stray is None:
        data = load(source, [schema], key)
        codes = data.tables["ev"].columns["account"].values
        assert codes.tolist() == [names.index(a) for a in accounts]
        return
    with pytest.raises(SlaDataError) as pieces:
        load(source, [schema], key)
    monkeypatch.setattr(loader, "PIECE_ROWS", 10**9)
    with pytest.raises(SlaDataError) as whole:
        load(source, [schema], key)
    assert str(pieces.value) == str(whole.value)
    assert "'nobody'" in str(pieces.value) and f"row {stray + 1}" in str(pieces.value)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.one_of(st.none(), st.booleans()), max_size=40), max_size=6),
    st.integers(0, 9),
)
def test_arrow_masks_unpacked_from_bitmaps(chunks, cut) -> None:
    """`buffers.arrow_mask` unpacks value and validity bitmaps itself (sliced chunks,
    empty chunks, nulls): it must equal `fill_null(False)` + `to_numpy`."""
    from slagraph.data.buffers import arrow_mask

    arrays = [pa.array(c, pa.bool_()) for c in chunks]
    column = pa.chunked_array([a.slice(min(cut, len(a))) for a in arrays], pa.bool_())
    expected = [bool(v) for v in column.fill_null(False).to_pylist()]
    assert arrow_mask(column).tolist() == expected
    if column.num_chunks:
        assert arrow_mask(column.chunk(0)).tolist() == expected[: len(column.chunk(0))]


_WORDS = st.sampled_from(  # near misses: same width, differing in the last byte only
    ["P1", "P2", "P10", "P11", "a", "", "chat", "chas", "email", "emaim", "ñu", "ñv", "año"]
    + ["acct00001", "acct00002", "customer_support_1", "customer_support_2", "Ñandú", "Ñandú!"]
)
_LONG = st.text(alphabet="abñ€😀", min_size=0, max_size=20)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(st.one_of(st.none(), _WORDS, _LONG), max_size=30), max_size=5),
    st.lists(st.one_of(_WORDS, _LONG), min_size=1, max_size=10),
    st.integers(0, 5),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_string_equality_read_from_buffers(
    chunks, values, cut, large, same_width, dictionary
) -> None:
    """`strings.equal_any` compares the constants' bytes as words read at each row's
    offset (strided views when every row has a constant's width, gathers when few do,
    Arrow otherwise): on every non-null row it must equal Python's `in`, for sliced and
    empty chunks, multi-byte UTF-8, widths from 0 to 80 bytes, string and large_string,
    and dictionary chunks (a dictionary per chunk, sliced, as Parquet reads text)."""
    from slagraph.data.strings import MOST_VALUES, equal_any

    if same_width:  # every row as wide as the first constant: the strided path
        width = len(values[0])
        chunks = [
            [None if v is None else values[0] if v == "" else (v * 90)[:width] for v in c]
            for c in chunks
        ]
    kind = pa.large_string() if large else pa.string()
    arrays = [pa.array(c, kind) for c in chunks]
    column = pa.chunked_array([a.slice(min(cut, len(a))) for a in arrays], kind)
    if dictionary:
        coded = [a.dictionary_encode() for a in arrays]
        column = pa.chunked_array(
            [a.slice(min(cut, len(a))) for a in coded], pa.dictionary(pa.int32(), kind)
        )
    rows = column.to_pylist()
    found = equal_any(column, values)
    if dictionary:  # any number of values: each chunk's dictionary is asked
        assert found is not None and len(found) == len(rows)
    elif len(values) > MOST_VALUES:
        assert found is None
        return
    assert found is not None and len(found) == len(rows)
    for row, hit in zip(rows, found.tolist(), strict=True):
        if row is not None:
            assert hit == (row in values), (row, values)


def test_string_equality_leaves_other_layouts_to_arrow() -> None:
    from slagraph.data.strings import equal_any

    assert equal_any(pa.chunked_array([pa.array(["a"], pa.string_view())]), ["a"]) is None
    mixed = pa.chunked_array([pa.array(["P1", "P2", None, "P1"]), pa.array(["acme", "P1"])])
    hit = equal_any(mixed, ["P1"])
    assert [hit[i] for i in (0, 1, 3, 4, 5)] == [True, False, True, False, True]


def test_nan_in_arrow_memory_table_is_a_bad_value():
    """A NaN stored in an Arrow double column is a bad value, even in a nullable column;
    an Arrow null stays a null."""
    schema = StreamSchema(
        "outages", (ColumnSpec("account", "text"), ColumnSpec("minutes", "number", True))
    )
    table = pa.table({"account": ["a", "a", "b"], "minutes": [1.0, float("nan"), None]})
    with pytest.raises(SlaDataError) as info:
        load({"outages": table}, [schema])
    assert str(info.value) == (
        "data error: stream 'outages', row 2, column 'minutes': expected a number, "
        "got 'NaN'; in <memory>"
    )
    data = load({"outages": table}, [schema], on_bad_rows="skip")
    assert data.tables["outages"].rows.tolist() == [1, 3]
    assert dict(data.bad_rows) == {"outages": 1}
