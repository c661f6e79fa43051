"""Robustness on real, messy incident logs (/work/shared/data, beside the repo as
../shared in CI): slagraph must fail with a located SlaDataError, never a traceback, and
load the logs once they are cleaned the way a user would.

ServiceNow: `d/m/yyyy HH:MM` naive local times and `?` for null. Volvo (BPI 2013): ISO
times with offsets and a UTF-8 byte-order mark before the header.
"""

from __future__ import annotations

import gzip
import itertools
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from slagraph.data import ColumnSpec, StreamSchema, load
from slagraph.errors import SlaDataError

# The logs as the examples ship them (copies of ../shared/data's files), or the folder
# SLAGRAPH_SHARED_DATA names, laid out as ../shared/data is.
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SHARED = os.environ.get("SLAGRAPH_SHARED_DATA")
SERVICENOW = (
    Path(SHARED) / "servicenow-incident-log" if SHARED else EXAMPLES / "servicenow" / "data"
) / "incident_event_log.csv.gz"
VOLVO = (
    Path(SHARED) / "volvo-it-incidents" if SHARED else EXAMPLES / "volvo" / "data"
) / "VINST-new.csv.gz"
LINES = 3000


def head(path: Path, lines: int) -> bytes:
    """The first `lines` lines of a gzip file (header included)."""
    with gzip.open(path, "rb") as f:
        return b"".join(itertools.islice(f, lines))


SERVICENOW_SCHEMA = StreamSchema(
    "incidents",
    (
        ColumnSpec("number", "text"),
        ColumnSpec("incident_state", "text"),
        ColumnSpec("active", "bool"),
        ColumnSpec("reassignment_count", "number"),
        ColumnSpec("made_sla", "bool"),
        ColumnSpec("priority", "text"),
        ColumnSpec("opened_at", "time"),
        ColumnSpec("resolved_at", "time", nullable=True),
    ),
    "incidents",
)


def test_servicenow_raw_fails_clearly(tmp_path):
    """Day-first naive dates are not ISO-8601: a located message, not a traceback."""
    (tmp_path / "incidents.csv").write_bytes(head(SERVICENOW, LINES))
    with pytest.raises(SlaDataError) as info:
        load(tmp_path, [SERVICENOW_SCHEMA])
    assert (
        "data error: stream 'incidents', row 1, column 'opened_at': expected a time with an "
        "offset like 2026-01-05T10:15:00Z, got '29/2/2016 01:16'; at "
        f"{tmp_path / 'incidents.csv'}:2" == str(info.value)
    )
    data = load(tmp_path, [SERVICENOW_SCHEMA], on_bad_rows="skip")
    assert {"incidents": LINES - 1} == dict(data.bad_rows)  # nothing is silently kept


def test_servicenow_question_marks_are_not_nulls(tmp_path):
    """With dates fixed but `?` left in, the first `?` in resolved_at is reported."""
    frame = pd.read_csv(_servicenow_csv(tmp_path), dtype=str, keep_default_na=False)
    for col in ("opened_at", "resolved_at"):
        parsed = pd.to_datetime(frame[col], format="%d/%m/%Y %H:%M", errors="coerce")
        frame[col] = parsed.dt.strftime("%Y-%m-%dT%H:%M:%S").where(parsed.notna(), frame[col])
    zoned = StreamSchema(
        "incidents", SERVICENOW_SCHEMA.columns, "incidents", timezone="Europe/Lisbon"
    )
    folder = tmp_path / "dates-fixed"
    folder.mkdir()
    frame.to_csv(folder / "incidents.csv", index=False)
    with pytest.raises(SlaDataError) as info:
        load(folder, [zoned])
    first = int(np.flatnonzero(frame["resolved_at"].to_numpy() == "?")[0]) + 1
    assert (
        f"data error: stream 'incidents', row {first}, column 'resolved_at': expected a time "
        "like 2026-01-05T10:15:00Z or 2026-01-05 10:15:00 (read in Europe/Lisbon), got '?'; "
        f"at {folder / 'incidents.csv'}:{first + 1}" == str(info.value)
    )


def _servicenow_csv(tmp_path: Path) -> Path:
    path = tmp_path / "raw.csv"
    path.write_bytes(head(SERVICENOW, LINES))
    return path


def test_servicenow_cleaned_loads(tmp_path):
    """`?` → empty, dates → ISO naive, read in a declared zone: every row loads."""
    frame = pd.read_csv(
        _servicenow_csv(tmp_path), dtype=str, na_values=["?"], keep_default_na=False
    )
    for col in ("opened_at", "resolved_at"):
        frame[col] = pd.to_datetime(frame[col], format="%d/%m/%Y %H:%M").dt.strftime(
            "%Y-%m-%d %H:%M:%S"
        )
    folder = tmp_path / "clean"
    folder.mkdir()
    frame.to_csv(folder / "incidents.csv", index=False)
    zoned = StreamSchema(
        "incidents", SERVICENOW_SCHEMA.columns, "incidents", timezone="Europe/Lisbon"
    )
    data = load(
        folder,
        [zoned],
        order_checks={"incidents": [("resolved_at", "opened_at")]},
        on_bad_rows="skip",
    )
    table = data.tables["incidents"]
    assert LINES - 1 == len(table) + data.bad_rows.get("incidents", 0)
    assert len(table) > 0.9 * (LINES - 1)
    assert np.int64 == table["opened_at"].values.dtype
    assert table["resolved_at"].valid is not None  # the `?`s became real nulls


VOLVO_SCHEMA = StreamSchema(
    "changes",
    (
        ColumnSpec("SR Number", "text"),
        ColumnSpec("Change Date+Time", "time"),
        ColumnSpec("Status", "text"),
        ColumnSpec("Sub Status", "text"),
        ColumnSpec("SR Latest Impact", "text"),
    ),
    "changes",
)


def test_volvo_loads_as_is_despite_the_byte_order_mark(tmp_path):
    (tmp_path / "changes.csv").write_bytes(head(VOLVO, LINES))
    table = load(tmp_path, [VOLVO_SCHEMA]).tables["changes"]
    assert LINES - 1 == len(table)
    first = table["Change Date+Time"].values[0]
    assert np.datetime64("2010-03-31T14:59:42", "ns") == np.datetime64(int(first), "ns")
    assert "Accepted" == table["Status"].to_list()[0]


def test_volvo_with_a_wrong_declaration_fails_clearly(tmp_path):
    """Declaring the SR number a number: the dash-separated ids are reported."""
    (tmp_path / "changes.csv").write_bytes(head(VOLVO, LINES))
    schema = StreamSchema(
        "changes", (ColumnSpec("SR Number", "number"), *VOLVO_SCHEMA.columns[1:]), "changes"
    )
    with pytest.raises(SlaDataError) as info:
        load(tmp_path, [schema])
    assert (
        "data error: stream 'changes', row 1, column 'SR Number': expected a number, got "
        f"'1-364285768'; at {tmp_path / 'changes.csv'}:2" == str(info.value)
    )


# ------------------------------------------------------------------ SPEC §6.1, as they come

EXPORTS = """
stream updates {
    number: text,
    state: text      from "incident_state",
    group: text?     from "assignment_group",
    priority: text,
    at: time         from "sys_updated_at",
    opened: time     from "opened_at"
} from "incident_event_log.csv.gz"
  time format "%d/%m/%Y %H:%M"
  timezone "America/Sao_Paulo"
  nulls "?", ""
  account from group

stream cambios {
    sr: text from "SR Number", at: time from "Change Date+Time", status: text from "Status",
    sub: text from "Sub Status", impact: text from "SR Latest Impact",
    org: text from "Involved Org line 3"
} from "VINST-new.csv.gz"
  account from org
"""  # the SPEC §6.1 block, wrapped (tests/test_data_exports.py reads the SPEC's own)


def _exports():
    import slagraph

    return slagraph.compile(EXPORTS).ir.streams


def test_servicenow_read_as_it_comes():
    """The whole export, gzipped, read in place: every row but the 14,213 updates with no
    assignment group (`?`, and `group` is the account) loads; times read day-first in
    Sao Paulo agree with pandas'."""
    schema = _exports()["updates"]
    data = load(SERVICENOW.parent, [schema], on_bad_rows="skip")
    table = data.tables["updates"]
    frame = pd.read_csv(SERVICENOW, dtype=str, keep_default_na=False)
    assert 119_998 == len(frame)
    no_group = frame["assignment_group"] == "?"
    assert {"updates": int(no_group.sum())} == dict(data.bad_rows)
    assert 119_998 - 14_213 == len(table)
    kept = frame[~no_group]
    assert (np.flatnonzero(~no_group.to_numpy()) + 1).tolist() == table.rows.tolist()
    assert kept["number"].tolist() == table["number"].to_list()
    assert kept["incident_state"].tolist() == table["state"].to_list()
    assert kept["assignment_group"].tolist() == table["account"].to_list()
    assert sorted(set(kept["assignment_group"])) == list(data.account_names)
    for ours, theirs in (("at", "sys_updated_at"), ("opened", "opened_at")):
        local = pd.to_datetime(kept[theirs], format="%d/%m/%Y %H:%M")
        expected = local.dt.tz_localize(
            "America/Sao_Paulo", ambiguous=np.ones(len(local), bool), nonexistent="NaT"
        )
        known = expected.notna().to_numpy()
        assert known.mean() > 0.999
        want = expected[known].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("M8[ns]")
        assert want.astype(np.int64).tolist() == table[ours].values[known].tolist()


def test_servicenow_without_skip_names_the_first_update_without_a_group():
    with pytest.raises(SlaDataError) as info:
        load(SERVICENOW.parent, [_exports()["updates"]])
    frame = pd.read_csv(SERVICENOW, dtype=str, keep_default_na=False, usecols=["assignment_group"])
    first = int(np.flatnonzero(frame["assignment_group"].to_numpy() == "?")[0]) + 1
    assert (
        f"data error: stream 'updates', row {first}, column 'group' (\"assignment_group\" in "
        "the file): no account: 'group' (account from group) is empty; every record must "
        f"belong to an account; at {SERVICENOW}:{first + 1}" == str(info.value)
    )


def test_volvo_read_as_it_comes():
    """The byte-order mark, CRLF lines and ISO times with offsets, gzipped: every row."""
    data = load(VOLVO.parent, [_exports()["cambios"]])
    table = data.tables["cambios"]
    frame = pd.read_csv(VOLVO, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert 65_533 == len(frame) == len(table)
    assert frame["SR Number"].tolist() == table["sr"].to_list()
    assert frame["Involved Org line 3"].tolist() == table["account"].to_list()
    assert frame["Sub Status"].tolist() == table["sub"].to_list()
    at = pd.to_datetime(frame["Change Date+Time"], utc=True).dt.tz_localize(None)
    assert at.to_numpy("M8[ns]").astype(np.int64).tolist() == table["at"].values.tolist()
