"""SPEC §6.1, reading exports as they come: `from "Header"`, `time format`, `nulls`,
`account from`, gzip, `;` separators and decimal commas, byte-order marks — per option and
per format, with the messages a user sees (the value as the file writes it, file:line)."""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import slagraph
from slagraph.data import load
from slagraph.data.schema import StreamSchema
from slagraph.errors import SlaCompileError, SlaDataError
from slagraph.syntax.format import format_source
from slagraph.syntax.parser import parse
from tests.spec_source import SPEC


def stream(text: str, name: str | None = None) -> StreamSchema:
    """The StreamSchema the compiler makes of one `stream` declaration."""
    streams = slagraph.compile(text).ir.streams
    return streams[name or next(iter(streams))]


def utc(text: str) -> int:
    return int(np.datetime64(text, "ns").astype(np.int64))


def values(data, name: str) -> dict[str, list]:
    return {k: c.to_list() for k, c in data.tables[name].columns.items()}


def error(folder: Path, schemas: list[StreamSchema], **kw) -> str:
    with pytest.raises(SlaDataError) as info:
        load(folder, schemas, **kw)
    return str(info.value)


# ------------------------------------------------------------------ from "Header"

HEADERS = 'stream t { id: text from "Ticket ID", n: number? from "Story Points" }'


def test_header_csv(tmp_path):
    (tmp_path / "t.csv").write_text("Story Points,Ticket ID,other\n3,A-1,x\n,A-2,y\n")
    assert {"id": ["A-1", "A-2"], "n": [3.0, None]} == values(
        load(tmp_path, [stream(HEADERS)]), "t"
    )


def test_header_jsonl_parquet_sqlite_memory(tmp_path):
    schema = stream(HEADERS)
    expected = {"id": ["A-1", "A-2"], "n": [3.0, None]}
    jsonl = tmp_path / "jsonl"
    jsonl.mkdir()
    (jsonl / "t.jsonl").write_text(
        '{"Ticket ID": "A-1", "Story Points": 3}\n{"Ticket ID": "A-2"}\n'
    )
    assert expected == values(load(jsonl, [schema]), "t")
    parquet = tmp_path / "parquet"
    parquet.mkdir()
    table = pa.table({"Story Points": [3.0, None], "Ticket ID": ["A-1", "A-2"]})
    pq.write_table(table, parquet / "t.parquet")
    assert expected == values(load(parquet, [schema]), "t")
    db = tmp_path / "t.sqlite"
    con = sqlite3.connect(db)
    con.execute('CREATE TABLE t ("Ticket ID" TEXT, "Story Points" REAL)')
    con.executemany("INSERT INTO t VALUES (?, ?)", [("A-1", 3.0), ("A-2", None)])
    con.commit()
    con.close()
    assert expected == values(load(db, [schema]), "t")
    assert expected == values(load({"t": table}, [schema]), "t")


def test_header_missing_names_header_and_column(tmp_path):
    (tmp_path / "t.csv").write_text("Ticket Id,Story Points\nA-1,3\n")
    assert (
        "data error: stream 't', column 'id': missing column: "
        f"{tmp_path / 't.csv'} has no column \"Ticket ID\" (read into 'id') (did you mean "
        "'Ticket Id'?); columns there: Ticket Id, Story Points"
    ) == error(tmp_path, [stream(HEADERS)])


def test_header_bad_value_names_column_and_header(tmp_path):
    (tmp_path / "t.csv").write_text("Ticket ID,Story Points\nA-1,3\nA-2,lots\n")
    assert (
        "data error: stream 't', row 2, column 'n' (\"Story Points\" in the file): expected a "
        f"number, got 'lots'; at {tmp_path / 't.csv'}:3"
    ) == error(tmp_path, [stream(HEADERS)])


def test_two_columns_from_one_header_is_a_compile_error():
    with pytest.raises(SlaCompileError, match='both read the source column "a"'):
        stream('stream t { x: text from "a", a: text }')


# ------------------------------------------------------------------ time format

DAY_FIRST = (
    'stream t { id: text, at: time, done: time? } time format "%d/%m/%Y %H:%M" '
    'timezone "America/Sao_Paulo"'
)


def test_time_format_day_first_in_a_zone(tmp_path):
    (tmp_path / "t.csv").write_text(
        "id,at,done\na,29/2/2016 01:16,03/01/2016 14:05\nb,5/3/2016 12:00,\n"
    )
    got = values(load(tmp_path, [stream(DAY_FIRST)]), "t")
    # Sao Paulo is UTC-3 in February and March 2016 (its summer time ended on 21 February)
    assert [utc("2016-02-29T04:16"), utc("2016-03-05T15:00")] == got["at"]
    assert [utc("2016-01-03T16:05"), None] == got["done"]  # summer time: UTC-2


def test_time_format_dst_follows_the_naive_rule(tmp_path):
    """An hour that happens twice (20 Feb 2016, 23:00-24:00 in Sao Paulo) is its first
    occurrence; a missing one (16 Oct 2016, 00:00-01:00) moves forward: as for ISO naive
    times with a timezone."""
    (tmp_path / "t.csv").write_text("id,at,done\na,20/02/2016 23:30,\nb,16/10/2016 00:30,\n")
    got = values(load(tmp_path, [stream(DAY_FIRST)]), "t")
    assert [utc("2016-02-21T01:30"), utc("2016-10-16T03:30")] == got["at"]


def test_time_format_impossible_date_shows_the_file_value(tmp_path):
    """31/02 is an error (the platform's strptime would roll it over into March)."""
    (tmp_path / "t.csv").write_text("id,at,done\na,29/2/2016 01:16,\nb,31/02/2016 10:00,\n")
    assert (
        "data error: stream 't', row 2, column 'at': expected a time like 05/01/2026 10:15 "
        "(time format \"%d/%m/%Y %H:%M\", read in America/Sao_Paulo), got '31/02/2016 10:00' "
        f"(no such date, time of day or offset); at {tmp_path / 't.csv'}:3"
    ) == error(tmp_path, [stream(DAY_FIRST)])


def test_time_format_order_error_shows_values_as_written(tmp_path):
    (tmp_path / "t.csv").write_text("id,at,done\na,03/01/2016 14:05,03/01/2016 13:00\n")
    assert (
        "data error: stream 't', row 1, column 'done': 'done' ('03/01/2016 13:00') is before "
        "'at' ('03/01/2016 14:05'); expected done >= at; at "
        f"{tmp_path / 't.csv'}:2"
    ) == error(tmp_path, [stream(DAY_FIRST)], order_checks={"t": [("done", "at")]})


def test_time_format_with_offset_needs_no_zone(tmp_path):
    schema = stream('stream t { at: time } time format "%d.%m.%Y %H:%M:%S %z"')
    (tmp_path / "t.jsonl").write_text('{"at": "05.01.2026 10:15:00 +01:00"}\n')
    assert [utc("2026-01-05T09:15")] == values(load(tmp_path, [schema]), "t")["at"]


def test_time_format_month_names_and_12_hour_clock(tmp_path):
    schema = stream('stream t { at: time } time format "%b %d, %Y %I:%M %p" timezone "UTC"')
    (tmp_path / "t.csv").write_text('at\n"Jan 5, 2026 12:15 AM"\n"feb 29, 2024 1:00 pm"\n')
    got = values(load(tmp_path, [schema]), "t")["at"]
    assert [utc("2026-01-05T00:15"), utc("2024-02-29T13:00")] == got


def test_time_format_applies_to_text_only(tmp_path):
    """Parquet timestamps are already times: the format is for text."""
    schema = stream('stream t { at: time } time format "%d/%m/%Y %H:%M%z"')
    table = pa.table({"at": pa.array([utc("2026-01-05T10:15")], pa.timestamp("ns", "UTC"))})
    pq.write_table(table, tmp_path / "t.parquet")
    assert [utc("2026-01-05T10:15")] == values(load(tmp_path, [schema]), "t")["at"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ('time format "%d/%m/%Y %Q" timezone "UTC"', "'%Q' is not a time format code"),
        ('time format "%H:%M" timezone "UTC"', "reads no year (%Y or %y), no month"),
        ('time format "%d/%m/%Y %H:%M"', "reads no offset (%z)"),
        ('time format "%d/%d/%Y" timezone "UTC"', "already reads"),
    ],
)
def test_time_format_compile_errors(options, message):
    with pytest.raises(SlaCompileError, match=re.escape(message)):
        stream(f"stream t {{ at: time }} {options}")


# ------------------------------------------------------------------ nulls

NULLS = 'stream t { id: text, group: text?, n: number?, ok: bool? } nulls "?", "N/A"'


def test_nulls_csv(tmp_path):
    (tmp_path / "t.csv").write_text("id,group,n,ok\na,?,N/A,?\nb,g,2,true\n")
    got = values(load(tmp_path, [stream(NULLS)]), "t")
    assert {"id": ["a", "b"], "group": [None, "g"], "n": [None, 2.0], "ok": [None, True]} == got


def test_nulls_replace_the_default_empty_field(tmp_path):
    """`nulls "?"` lists what is null: an empty text field is then the empty string."""
    schema = stream('stream t { id: text, group: text? } nulls "?"')
    (tmp_path / "t.csv").write_text("id,group\na,\nb,?\n")
    assert ["", None] == values(load(tmp_path, [schema]), "t")["group"]


def test_nulls_jsonl_sqlite(tmp_path):
    schema = stream(NULLS)
    (tmp_path / "t.jsonl").write_text(
        '{"id": "a", "group": "?", "n": null, "ok": null}\n'
        '{"id": "b", "group": "g", "n": 2, "ok": true}\n'
    )
    assert [None, "g"] == values(load(tmp_path, [schema]), "t")["group"]
    db = tmp_path / "t.sqlite"
    con = sqlite3.connect(db)
    con.execute('CREATE TABLE t (id TEXT, "group" TEXT, n REAL, ok INTEGER)')
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", [("a", "N/A", None, 1), ("b", "g", 2, 0)])
    con.commit()
    con.close()
    assert [None, "g"] == values(load(db, [schema]), "t")["group"]


def test_null_token_in_a_non_nullable_column_is_a_bad_value(tmp_path):
    (tmp_path / "t.csv").write_text("id,group,n,ok\na,g,1,true\n?,g,2,true\n")
    assert (
        "data error: stream 't', row 2, column 'id': expected text, got an empty value (null); "
        f"declare 'id: text?' to allow nulls; at {tmp_path / 't.csv'}:3"
    ) == error(tmp_path, [stream(NULLS)])


# ------------------------------------------------------------------ account from

ACCOUNT = "stream t { id: text, group: text?, n: number } account from group"


def test_account_from_a_column(tmp_path):
    (tmp_path / "t.csv").write_text("id,group,n\na,g1,1\nb,g2,2\nc,g1,3\n")
    data = load(tmp_path, [stream(ACCOUNT)])
    assert ["g1", "g2"] == list(data.account_names)
    got = values(data, "t")
    assert got["account"] == got["group"] == ["g1", "g2", "g1"]


def test_account_from_null_is_a_bad_row(tmp_path):
    (tmp_path / "t.csv").write_text("id,group,n\na,g1,1\nb,,2\n")
    assert (
        "data error: stream 't', row 2, column 'group': no account: 'group' (account from "
        f"group) is empty; every record must belong to an account; at {tmp_path / 't.csv'}:3"
    ) == error(tmp_path, [stream(ACCOUNT)])
    data = load(tmp_path, [stream(ACCOUNT)], on_bad_rows="skip")
    assert {"t": 1} == dict(data.bad_rows)
    assert [1] == data.tables["t"].rows.tolist()


def test_account_from_checked_against_the_accounts_table(tmp_path):
    model = slagraph.compile(ACCOUNT + "\naccounts { account: text }\n")
    (tmp_path / "t.csv").write_text("id,group,n\na,g1,1\nb,g3,2\n")
    (tmp_path / "accounts.csv").write_text("account\ng1\ng2\n")
    assert (
        "data error: stream 't', row 2, column 'group': unknown account 'g3': not in the "
        f"accounts table; at {tmp_path / 't.csv'}:3"
    ) == error(tmp_path, [model.ir.streams["t"]], accounts=model.ir.accounts)


def test_account_from_evaluates_per_group(tmp_path):
    text = (
        "stream t { id: text, group: text, at: time } account from group\n"
        "sla s { objective many = count(t) >= 2 }\n"
    )
    (tmp_path / "t.csv").write_text(
        "id,group,at\na,g1,2026-01-05T10:00Z\nb,g2,2026-01-06T10:00Z\nc,g1,2026-01-07T10:00Z\n"
    )
    rows = slagraph.compile(text).evaluate(tmp_path, as_of="2026-02-01T00:00:00Z").rows()
    got = {
        r["account"]: r["value"] for r in rows if (r["node"], r["period"]) == ("s.many", "2026-01")
    }
    assert {"g1": 2.0, "g2": 1.0} == got


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stream t { id: text } account from grp", "declares no column 'grp'"),
        ("stream t { id: text, n: number } account from n", "must be text, not number"),
        ("stream t { account: text, g: text } account from g", "declares a column 'account'"),
    ],
)
def test_account_from_compile_errors(text, message):
    with pytest.raises(SlaCompileError, match=re.escape(message)):
        stream(text)


# ------------------------------------------------------------------ gzip

GZ = "stream t { id: text, n: number }"


@pytest.mark.parametrize("ext", ["csv", "jsonl"])
def test_gzipped_file_in_the_folder(tmp_path, ext):
    text = "id,n\na,1\nb,2\n" if ext == "csv" else '{"id": "a", "n": 1}\n{"id": "b", "n": 2}\n'
    (tmp_path / f"t.{ext}.gz").write_bytes(gzip.compress(text.encode()))
    assert {"id": ["a", "b"], "n": [1.0, 2.0]} == values(load(tmp_path, [stream(GZ)]), "t")


def test_gzipped_source_named_in_from(tmp_path):
    schema = stream('stream t { id: text, n: number } from "export.csv.gz"')
    (tmp_path / "export.csv.gz").write_bytes(gzip.compress(b"id,n\na,1\nb,x\n"))
    assert (
        "data error: stream 't', row 2, column 'n': expected a number, got 'x'; at "
        f"{tmp_path / 'export.csv.gz'}:3"
    ) == error(tmp_path, [schema])


def test_gzipped_multiline_csv_keeps_records_whole(tmp_path, monkeypatch):
    from slagraph.data import csv_reader

    text = 'id,n\n"a\nb",1\n' + "".join(f"r{i},{i}\n" for i in range(50)) + '"c\r\nd",2\n'
    (tmp_path / "t.csv.gz").write_bytes(gzip.compress(text.encode()))
    monkeypatch.setattr(csv_reader, "block_size", lambda size: 64)
    got = values(load(tmp_path, [stream(GZ)]), "t")
    assert ["a\nb", *[f"r{i}" for i in range(50)], "c\r\nd"] == got["id"]


def test_corrupt_gzip_is_a_data_error(tmp_path):
    (tmp_path / "t.csv.gz").write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    assert error(tmp_path, [stream(GZ)]).startswith(
        f"data error: stream 't': cannot read {tmp_path / 't.csv.gz'}"
    )


def test_gz_and_plain_file_for_one_stream_is_an_error(tmp_path):
    (tmp_path / "t.csv").write_text("id,n\na,1\n")
    (tmp_path / "t.csv.gz").write_bytes(gzip.compress(b"id,n\na,1\n"))
    assert "more than one file: t.csv, t.csv.gz" in error(tmp_path, [stream(GZ)])


# ------------------------------------------------------------------ separator, decimal

NUMBERS = "stream t { id: text, n: number?, m: number? }"


def test_semicolon_and_decimal_comma_detected(tmp_path):
    (tmp_path / "t.csv").write_text('id;n;m\na;12,5;1.234,5\n"x;y";-3;,5\nc;;7\n')
    got = values(load(tmp_path, [stream(NUMBERS)]), "t")
    assert {"id": ["a", "x;y", "c"], "n": [12.5, -3.0, None], "m": [1234.5, 0.5, 7.0]} == got


def test_decimal_comma_forms(tmp_path):
    schema = stream(NUMBERS + ' csv decimal ","')
    (tmp_path / "t.csv").write_text("id;n;m\na;1.234.567,89;1,5e3\nb; -2 ;+0,25\n")
    got = values(load(tmp_path, [schema]), "t")
    assert {"n": [1234567.89, -2.0], "m": [1500.0, 0.25]} == {k: got[k] for k in "nm"}


def test_semicolon_with_decimal_point_detected(tmp_path):
    (tmp_path / "t.csv").write_text("id;n;m\na;12.5;3\n")
    assert [12.5] == values(load(tmp_path, [stream(NUMBERS)]), "t")["n"]


def test_tab_separator_detected(tmp_path):
    (tmp_path / "t.csv").write_text("id\tn\tm\na\t1.5\t2\n")
    assert [1.5] == values(load(tmp_path, [stream(NUMBERS)]), "t")["n"]


def test_decimal_comma_rejects_a_decimal_point_later(tmp_path):
    """Once the first lines say "decimal comma", 1.5 is not silently read as 15."""
    (tmp_path / "t.csv").write_text("id;n;m\na;12,5;1\nb;1.5;2\n")
    assert (
        "data error: stream 't', row 2, column 'n': expected a number with a decimal comma, "
        f"like 1.234,5 or 12,5, got '1.5'; at {tmp_path / 't.csv'}:3"
    ) == error(tmp_path, [stream(NUMBERS)])


def test_declared_separator_and_decimal(tmp_path):
    schema = stream(NUMBERS + ' csv separator "|" decimal ","')
    (tmp_path / "t.csv").write_text("id|n|m\na|1|2\nb|2,25|3\n")
    assert [1.0, 2.25] == values(load(tmp_path, [schema]), "t")["n"]


def test_declared_decimal_overrides_detection(tmp_path):
    schema = stream(NUMBERS + ' csv decimal "."')
    (tmp_path / "t.csv").write_text("id;n;m\na;1.5;2\nb;1,5;3\n")
    assert "expected a number, got '1,5'" in error(tmp_path, [schema])


def test_ragged_row_counts_fields_with_the_separator(tmp_path):
    (tmp_path / "t.csv").write_text("id;n;m\na;1;2\nb;2\n")
    assert (
        "data error: stream 't', row 2: expected 3 fields like the header, got 2: 'b;2'; at "
        f"{tmp_path / 't.csv'}:3"
    ) == error(tmp_path, [stream(NUMBERS)])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ('csv separator ";;"', "csv separator must be one character"),
        ('csv decimal "_"', 'decimal must be "." or ","'),
        ('csv separator "," decimal ","', "cannot also be the csv separator"),
    ],
)
def test_csv_option_compile_errors(options, message):
    with pytest.raises(SlaCompileError, match=re.escape(message)):
        stream(f"{NUMBERS} {options}")


# ------------------------------------------------------------------ byte-order mark


def test_byte_order_mark_is_ignored(tmp_path):
    schema = stream(HEADERS)
    (tmp_path / "t.csv").write_bytes(b"\xef\xbb\xbfTicket ID;Story Points\r\nA-1;3,5\r\n")
    assert {"id": ["A-1"], "n": [3.5]} == values(load(tmp_path, [schema]), "t")
    jsonl = tmp_path / "j"
    jsonl.mkdir()
    line = json.dumps({"Ticket ID": "A-1", "Story Points": 3})
    (jsonl / "t.jsonl.gz").write_bytes(gzip.compress(b"\xef\xbb\xbf" + line.encode() + b"\n"))
    assert {"id": ["A-1"], "n": [3.0]} == values(load(jsonl, [schema]), "t")


# ------------------------------------------------------------------ SPEC §6.1


def spec_block() -> str:
    text = SPEC.read_text(encoding="utf-8")
    section = text[text.index("### 6.1 Reading exports") : text.index("### 6.2")]
    return re.search(r"~~~sla\n(.*?)~~~", section, re.S).group(1)  # type: ignore[union-attr]


def test_spec_block_parses_compiles_and_loads(tmp_path):
    """The §6.1 block, as written, over small exports shaped like the real ones: gzip,
    day-first local times, `?` for null, a `;`-separated file with a byte-order mark."""
    block = spec_block()
    assert parse(format_source(block)) == parse(block)  # `fmt` keeps every option
    model = slagraph.compile(
        block + "\nsla s {\n    objective n = count(updates) >= 1\n"
        "    objective c = count(cambios) >= 1\n}\n"
    )
    updates = (
        "number,incident_state,assignment_group,priority,sys_updated_at,opened_at,extra\n"
        "INC1,New,Group 56,3 - Moderate,29/2/2016 01:23,29/2/2016 01:16,?\n"
        "INC1,Resolved,Group 56,3 - Moderate,29/2/2016 08:53,29/2/2016 01:16,x\n"
        "INC2,New,Group 7,1 - Critical,5/3/2016 12:00,5/3/2016 11:59,?\n"
    )
    (tmp_path / "incident_event_log.csv.gz").write_bytes(gzip.compress(updates.encode()))
    cambios = (
        "\ufeffSR Number;Change Date+Time;Status;Sub Status;SR Latest Impact;"
        "Involved Org line 3\r\n"
        "1-364285768;2010-03-31T15:59:42+01:00;Accepted;In Progress;Medium;Org line A2\r\n"
        "1-364285768;2010-04-01T08:00:00+01:00;Completed;Resolved;Medium;Org line A2\r\n"
    )
    (tmp_path / "VINST-new.csv.gz").write_bytes(gzip.compress(cambios.encode()))
    streams = list(model.ir.streams.values())
    data = load(tmp_path, streams)
    got = values(data, "updates")
    assert ["Group 56", "Group 56", "Group 7"] == got["account"]
    assert utc("2016-02-29T04:23") == got["at"][0]  # 01:23 in Sao Paulo (UTC-3)
    assert ["New", "Resolved", "New"] == got["state"]
    cam = values(data, "cambios")
    assert ["Org line A2", "Org line A2"] == cam["account"]
    assert utc("2010-03-31T14:59:42") == cam["at"][0]
    assert ["Group 56", "Group 7", "Org line A2"] == list(data.account_names)
    rows = model.evaluate(tmp_path, as_of="2016-04-01T00:00:00Z").rows()
    march = {
        r["account"]: r["value"] for r in rows if r["node"] == "s.n" and r["period"] == "2016-03"
    }
    assert {"Group 56": 0.0, "Group 7": 1.0, "Org line A2": 0.0} == march
