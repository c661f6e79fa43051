"""Databases as data sources (SPEC §6.7): a DuckDB file and a real PostgreSQL server give
the same results as a folder of CSV files; missing tables and columns, bad values,
quoted identifiers, and credentials that never reach a message."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import slagraph
from slagraph.data import StreamSchema, load
from slagraph.data.databases import quote, redact, scrubber
from slagraph.errors import SlaDataError, SlaUsageError
from tests import postgres_server
from tests.postgres_server import PASSWORD, USER

MODEL = """
stream tickets {
    account: text,
    opened: time,
    resolved: time?,
    cost: number,
    urgent: bool,
    note: text?,
}
stream visits { account: text, seen_at: time, amount: number? }
  from "sales.visits" timezone "Europe/Berlin"

sla support {
    period monthly
    timezone "UTC"
    objective fast = share(tickets where urgent, resolved - opened <= 4h) >= 50%
    objective spend = sum(tickets, cost) <= 20
    objective noted = count(tickets where note == "vip") >= 1
    objective seen = count(visits) >= 2
    objective money = sum(visits, amount) >= 10
}
"""
AS_OF = "2026-03-01T00:00:00Z"

TICKETS_CSV = """account,opened,resolved,cost,urgent,note
acme,2026-01-05T10:00:00Z,2026-01-05T12:00:00Z,12.5,true,vip
beta,2026-01-06T10:00:00Z,,3,false,
acme,2026-01-20T23:30:00Z,2026-01-21T08:00:00Z,0.25,true,
beta,2026-02-02T08:00:00+01:00,2026-02-02T09:00:00+01:00,40,true,vip
"""
VISITS_CSV = """account,seen_at,amount
acme,2026-01-07 09:00:00,5
acme,2026-01-31 23:30:00,
beta,2026-02-01 00:30:00,20
"""
# The same rows, inserted out of key order: rows are numbered in primary-key order.
TICKETS_SQL = """
CREATE TABLE tickets (id integer PRIMARY KEY, account text, opened timestamptz,
    resolved timestamptz, cost numeric(10, 2), urgent boolean, note varchar(10),
    extra text);
INSERT INTO tickets VALUES
    (3, 'acme', '2026-01-20 23:30:00+00', '2026-01-21 08:00:00+00', 0.25, true, null, 'x'),
    (1, 'acme', '2026-01-05 10:00:00+00', '2026-01-05 12:00:00+00', 12.5, true, 'vip', 'x'),
    (4, 'beta', '2026-02-02 08:00:00+01', '2026-02-02 09:00:00+01', 40, true, 'vip', 'x'),
    (2, 'beta', '2026-01-06 10:00:00+00', null, 3, false, null, 'x');
CREATE SCHEMA sales;
CREATE TABLE sales.visits (account text, seen_at timestamp, amount double precision);
INSERT INTO sales.visits VALUES
    ('acme', '2026-01-07 09:00:00', 5),
    ('acme', '2026-01-31 23:30:00', null),
    ('beta', '2026-02-01 00:30:00', 20);
"""


def statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


@pytest.fixture(scope="module")
def model() -> slagraph.Model:
    return slagraph.compile(MODEL)


@pytest.fixture(scope="module")
def expected(tmp_path_factory: pytest.TempPathFactory, model: slagraph.Model) -> str:
    folder = tmp_path_factory.mktemp("csv")
    (folder / "tickets.csv").write_text(TICKETS_CSV)
    (folder / "sales.visits.csv").write_text(VISITS_CSV)
    return model.evaluate(str(folder), as_of=AS_OF).to_jsonl()


def one_stream(columns: str, source: str = "t", suffix: str = "") -> StreamSchema:
    """A stream compiled from the language, so names and `from` are as users write them."""
    compiled = slagraph.compile(f'stream s {{ {columns} }} from "{source}" {suffix}')
    return compiled.ir.streams["s"]


# ------------------------------------------------------------------ DuckDB

import duckdb  # noqa: E402  (in the test extra: a missing driver fails, never skips)


@pytest.fixture
def duck(tmp_path: Path) -> Path:
    path = tmp_path / "history.duckdb"
    con = duckdb.connect(str(path))
    for sql in statements(TICKETS_SQL):
        con.execute(sql)
    con.close()
    return path


def test_duckdb_file_gives_the_folders_results(
    duck: Path, model: slagraph.Model, expected: str
) -> None:
    assert expected == model.evaluate(str(duck), as_of=AS_OF).to_jsonl()


def test_duckdb_connection_gives_the_folders_results(
    duck: Path, model: slagraph.Model, expected: str
) -> None:
    con = duckdb.connect(str(duck), read_only=True)
    try:
        assert expected == model.evaluate(con, as_of=AS_OF).to_jsonl()
        assert con.execute("SELECT count(*) FROM tickets").fetchall() == [(4,)]  # still open
    finally:
        con.close()


def test_duckdb_adbc_connection_gives_the_folders_results(
    duck: Path, model: slagraph.Model, expected: str
) -> None:
    import adbc_driver_duckdb.dbapi as dbapi

    with dbapi.connect(str(duck)) as con:
        assert expected == model.evaluate(con, as_of=AS_OF).to_jsonl()


def test_duckdb_file_is_found_by_its_bytes_whatever_its_name(
    duck: Path, model: slagraph.Model, expected: str
) -> None:
    renamed = duck.rename(duck.with_name("history.db"))
    assert expected == model.evaluate(str(renamed), as_of=AS_OF).to_jsonl()


def test_duckdb_missing_table_lists_the_tables(duck: Path) -> None:
    schema = one_stream("account: text", source="tickts")
    with pytest.raises(SlaDataError) as error:
        load(duck, [schema])
    message = str(error.value)
    assert "no table 'tickts'" in message
    assert "did you mean 'tickets'" in message
    assert "tables there: sales.visits, tickets" in message


def test_duckdb_missing_column(duck: Path) -> None:
    schema = one_stream("account: text, closed: time", source="tickets")
    with pytest.raises(SlaDataError) as error:
        load(duck, [schema])
    message = str(error.value)
    assert "missing column" in message and "'closed'" in message
    assert "columns there: id, account, opened" in message


def test_duckdb_bad_value_names_stream_row_and_column(duck: Path) -> None:
    """Row 2 is the second by primary key (id 2), not the second inserted (id 1)."""
    con = duckdb.connect(str(duck))
    con.execute("ALTER TABLE tickets ALTER cost TYPE double")
    con.execute("UPDATE tickets SET cost = 'NaN'::double WHERE id = 2")
    con.close()
    with pytest.raises(SlaDataError) as error:
        load(duck, [one_stream("account: text, cost: number", source="tickets")])
    message = str(error.value)
    assert "stream 's', row 2, column 'cost'" in message
    assert "expected a number, got 'NaN'" in message
    assert "primary-key order (id)" in message


def test_duckdb_identifiers_are_quoted_never_sql(tmp_path: Path) -> None:
    """A table and a column whose names hold a quote, spaces and SQL are read as names:
    the statement inside them is not run."""
    path = tmp_path / "odd.duckdb"
    table = 'we"ird t; DROP TABLE keep; --'
    column = 'sum"'
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE keep (x integer)")
    con.execute(f"CREATE TABLE {quote(table)} (account text, {quote(column)} double)")
    con.execute(f"INSERT INTO {quote(table)} VALUES ('a', 1.5), ('b', 2)")
    con.close()
    source = table.replace('"', '\\"')
    header = column.replace('"', '\\"')
    schema = one_stream(f'account: text, total: number from "{header}"', source=source)
    data = load(path, [schema])
    assert [1.5, 2.0] == data.tables["s"].columns["total"].to_list()
    con = duckdb.connect(str(path), read_only=True)
    assert [("keep",)] == con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_name = 'keep'"
    ).fetchall()
    con.close()


def test_duckdb_naive_time_without_timezone_is_a_data_error(duck: Path) -> None:
    """`timestamp` columns are naive: as with any naive time (SPEC §3.1), the stream must
    say which zone they are in."""
    with pytest.raises(SlaDataError) as error:
        load(duck, [one_stream("account: text, seen_at: time", source="sales.visits")])
    assert "row 1, column 'seen_at'" in str(error.value)
    assert 'timezone "Area/City"' in str(error.value)


def test_cli_reads_a_duckdb_file(duck: Path, expected: str, tmp_path: Path) -> None:
    from slagraph.cli import main

    file = tmp_path / "model.sla"
    file.write_text(MODEL)
    args = ["eval", str(file), "--data", str(duck), "--as-of", AS_OF, "--format", "jsonl"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert expected == result.stdout


# ------------------------------------------------------------------ credentials


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("postgresql://app:s3cr%40t@db:5432/crm", "postgresql://app:***@db:5432/crm"),
        ("postgres://app@db/crm", "postgres://app@db/crm"),
        ("postgresql://app:p@ss@db/crm?sslmode=require", "postgresql://app:***@db/crm?sslmode=require"),
        ("postgresql:///crm?host=/tmp&password=hunter2", "postgresql:///crm?host=/tmp&password=***"),
    ],
)  # fmt: skip
def test_redact_hides_the_password(uri: str, shown: str) -> None:
    assert shown == redact(uri)


def test_scrubber_takes_the_password_out_of_driver_messages() -> None:
    uri = "postgresql://app:s3cr%40t@db/crm"
    scrub = scrubber(uri)
    text = f"failed for {uri} with password s3cr@t (s3cr%40t)"
    assert "failed for postgresql://app:***@db/crm with password *** (***)" == scrub(text)


def test_missing_driver_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "adbc_driver_postgresql.dbapi", None)
    with pytest.raises(SlaUsageError) as error:
        load("postgresql://app:hunter2@localhost/crm", [one_stream("account: text")])
    assert "pip install 'slagraph[postgresql]'" in str(error.value)
    assert "hunter2" not in str(error.value)


def test_drivers_are_not_imported_by_slagraph() -> None:
    import subprocess

    code = (
        "import slagraph, sys; slagraph.load('examples/spec/model.sla')"
        ".evaluate('examples/spec/data');"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'duckdb', '_duckdb', 'adbc_driver_manager', 'adbc_driver_postgresql', 'psycopg'}))"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert "[]" == done.stdout.strip()


# ------------------------------------------------------------------ PostgreSQL


@pytest.fixture(scope="session")
def postgres() -> Iterator[postgres_server.Server]:
    reason = postgres_server.why_not()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must test PostgreSQL, but {reason} (.ci/run installs it)")
        pytest.skip(reason)
    with postgres_server.running() as server:
        import adbc_driver_postgresql.dbapi as dbapi

        with dbapi.connect(server.uri(), autocommit=True) as con, con.cursor() as cur:
            for sql in statements(TICKETS_SQL):
                cur.execute(sql)
        yield server


def execute(server: postgres_server.Server, *script: str) -> None:
    import adbc_driver_postgresql.dbapi as dbapi

    with dbapi.connect(server.uri(), autocommit=True) as con, con.cursor() as cur:
        for sql in script:
            cur.execute(sql)


def test_postgres_gives_the_folders_results(
    postgres: postgres_server.Server, model: slagraph.Model, expected: str
) -> None:
    """timestamptz, timestamp (in the stream's zone), numeric, boolean, text, varchar and
    nulls; `from "sales.visits"` reads the schema-qualified table."""
    assert expected == model.evaluate(postgres.uri(), as_of=AS_OF).to_jsonl()
    other = postgres.uri().replace("postgresql://", "postgres://")
    assert expected == model.evaluate(other, as_of=AS_OF).to_jsonl()


def test_postgres_adbc_connection_gives_the_folders_results(
    postgres: postgres_server.Server, model: slagraph.Model, expected: str
) -> None:
    import adbc_driver_postgresql.dbapi as dbapi

    with dbapi.connect(postgres.uri()) as con:
        assert expected == model.evaluate(con, as_of=AS_OF).to_jsonl()
        with con.cursor() as cur:  # still the caller's, and open
            cur.execute("SELECT 1")
            assert [(1,)] == cur.fetchall()


def test_cli_reads_postgres(
    postgres: postgres_server.Server, expected: str, tmp_path: Path
) -> None:
    from slagraph.cli import main

    file = tmp_path / "model.sla"
    file.write_text(MODEL)
    args = ["eval", str(file), "--data", postgres.uri(), "--as-of", AS_OF, "--format", "jsonl"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert expected == result.stdout


def test_wrong_password_is_never_shown(postgres: postgres_server.Server) -> None:
    wrong = "not-the-" + PASSWORD
    with pytest.raises(SlaDataError) as error:
        load(postgres.uri(password=wrong), [one_stream("account: text", source="tickets")])
    message = str(error.value)
    assert f"postgresql://{USER}:***@" in message
    assert "password authentication failed" in message
    assert wrong not in message and PASSWORD not in message


def test_missing_table_never_shows_the_password(postgres: postgres_server.Server) -> None:
    with pytest.raises(SlaDataError) as error:
        load(postgres.uri(), [one_stream("account: text", source="sales.visit")])
    message = str(error.value)
    assert "no table 'sales.visit'" in message
    assert "did you mean 'sales.visits'" in message
    assert "tables there: sales.visits, tickets" in message
    assert f"postgresql://{USER}:***@" in message
    assert PASSWORD not in message


def test_cli_error_never_shows_the_password(postgres: postgres_server.Server) -> None:
    from slagraph.cli import main

    uri = postgres.uri(password="wrong-" + PASSWORD)
    result = CliRunner().invoke(main, ["eval", "examples/spec/model.sla", "--data", uri])
    assert result.exit_code == 1
    assert "***" in result.output
    assert PASSWORD not in result.output


def test_postgres_missing_column(postgres: postgres_server.Server) -> None:
    with pytest.raises(SlaDataError) as error:
        load(postgres.uri(), [one_stream("account: text, closed: time?", source="tickets")])
    message = str(error.value)
    assert "missing column" in message and "'closed'" in message
    assert PASSWORD not in message


def test_postgres_wrong_type_names_stream_row_and_column(
    postgres: postgres_server.Server,
) -> None:
    """A text column read as a number: each value is a bad value, the first by primary
    key is reported (id 1, though inserted second), as for Parquet."""
    execute(
        postgres,
        "CREATE TABLE amounts (id integer PRIMARY KEY, account text, amount text)",
        "INSERT INTO amounts VALUES (2, 'a', '7'), (1, 'b', 'twelve')",
    )
    with pytest.raises(SlaDataError) as error:
        load(postgres.uri(), [one_stream("account: text, amount: number", source="amounts")])
    message = str(error.value)
    assert "stream 's', row 1, column 'amount': expected a number, got 'twelve'" in message
    assert "rows numbered in primary-key order (id)" in message
    assert PASSWORD not in message


def test_postgres_numeric_nan_is_a_bad_value(postgres: postgres_server.Server) -> None:
    execute(
        postgres,
        "CREATE TABLE costs (account text, cost numeric)",
        "INSERT INTO costs VALUES ('a', 1.5), ('b', 'NaN')",
    )
    schema = one_stream("account: text, cost: number", source="costs")
    with pytest.raises(SlaDataError) as error:
        load(postgres.uri(), [schema])
    message = str(error.value)
    assert "stream 's', row 2, column 'cost': expected a number, got 'NaN'" in message
    assert "no primary key" in message
    skipped = load(postgres.uri(), [schema], on_bad_rows="skip")
    assert [1.5] == skipped.tables["s"].columns["cost"].to_list()


def test_postgres_identifiers_are_quoted_never_sql(postgres: postgres_server.Server) -> None:
    table = 'odd "name"; DROP TABLE tickets; --'
    execute(
        postgres,
        f"CREATE TABLE {quote(table)} (account text, {quote('a b')} date)",
        f"INSERT INTO {quote(table)} VALUES ('x', '2026-01-05')",
    )
    source = table.replace('"', '\\"')
    schema = one_stream('account: text, day: time from "a b"', source, 'timezone "UTC"')
    data = load(postgres.uri(), [schema])
    assert [1767571200 * 10**9] == data.tables["s"].columns["day"].to_list()
    tickets = load(postgres.uri(), [one_stream("account: text", source="tickets")])
    assert 4 == len(tickets.tables["s"].columns["account"].to_list())


def test_postgres_reads_materialized_views_and_uuid_and_json_as_text(
    postgres: postgres_server.Server,
) -> None:
    """Reporting data often lives in a materialized view (which information_schema does
    not list) keyed by a uuid, with a json column: the view is found, the uuid reads as
    PostgreSQL prints it, json as its text; a null uuid stays null."""
    execute(
        postgres,
        "CREATE TABLE cases (id uuid PRIMARY KEY, account text, meta jsonb, ref uuid)",
        "INSERT INTO cases VALUES "
        "('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'acme', '{\"tier\": 1}', NULL), "
        "('00000000-0000-0000-0000-0000000000ff', 'beta', '[]', "
        "'ffffffff-1234-5678-9abc-def012345678')",
        "CREATE MATERIALIZED VIEW case_report AS SELECT * FROM cases",
    )
    schema = one_stream("id: text, account: text, meta: text, ref: text?", source="case_report")
    data = load(postgres.uri(), [schema])
    columns = data.tables["s"].columns
    assert ["acme", "beta"] == sorted(columns["account"].to_list())
    by_account = dict(zip(columns["account"].to_list(), columns["id"].to_list(), strict=True))
    assert "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" == by_account["acme"]
    assert "00000000-0000-0000-0000-0000000000ff" == by_account["beta"]
    refs = dict(zip(columns["account"].to_list(), columns["ref"].to_list(), strict=True))
    assert refs == {"acme": None, "beta": "ffffffff-1234-5678-9abc-def012345678"}
    metas = dict(zip(columns["account"].to_list(), columns["meta"].to_list(), strict=True))
    assert metas == {"acme": '{"tier": 1}', "beta": "[]"}
    with pytest.raises(SlaDataError) as error:
        load(postgres.uri(), [one_stream("account: text", source="case_reprot")])
    assert "did you mean 'case_report'" in str(error.value)


def test_psycopg_connection_is_refused_with_what_to_pass(
    postgres: postgres_server.Server,
) -> None:
    """psycopg hands COPY data over one row at a time and its cursors build a Python
    object per value: the message says what to pass instead."""
    import psycopg

    with psycopg.connect(postgres.uri()) as con:
        with pytest.raises(SlaUsageError) as error:
            load(con, [one_stream("account: text", source="tickets")])
    assert "pass the connection string (postgresql://…) or an ADBC connection" in str(error.value)


def test_whatif_and_explain_read_postgres(postgres: postgres_server.Server, tmp_path: Path) -> None:
    from slagraph.cli import main

    file = tmp_path / "model.sla"
    file.write_text(MODEL)
    uri = postgres.uri()
    runs = [
        ["whatif", str(file), "--data", uri, "--as-of", AS_OF,
         "--change", 'drop tickets where note == "vip"'],
        ["explain", str(file), "--data", uri, "--account", "acme", "--period", "2026-01",
         "--as-of", AS_OF],
    ]  # fmt: skip
    for args in runs:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert PASSWORD not in result.output
