"""`slagraph.Source` wherever `data=` is taken, and partitions of a database read only
their accounts' rows (SPEC §6.7; docs/data-sources.md#source)."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import distributed
import duckdb
import pyarrow as pa
import pytest

import slagraph
from slagraph import distributed as dist
from slagraph.data.partitions import Subset
from slagraph.errors import SlaDataError, SlaUsageError
from tests import postgres_server
from tests.postgres_server import PASSWORD
from tests.test_data_databases import AS_OF, execute, postgres, statements

__all__ = ["postgres"]  # the PostgreSQL server fixture, shared with test_data_databases

MODEL = """
stream tickets { account: text, opened: time, resolved: time?, cost: number }
sla support {
    period monthly
    timezone "UTC"
    objective fast = share(tickets, resolved - opened <= 4h) >= 50%
    objective spend = sum(tickets, cost) <= 20
}
"""
ROWS = """
CREATE SCHEMA ops;
CREATE TABLE ops.incidents (id integer PRIMARY KEY, account text, opened timestamptz,
    resolved timestamptz, cost double precision);
INSERT INTO ops.incidents VALUES
    (5, 'gamma', '2026-01-09 10:00:00+00', '2026-01-09 11:00:00+00', 1),
    (3, 'acme', '2026-01-20 23:30:00+00', '2026-01-21 08:00:00+00', 0.25),
    (1, 'acme', '2026-01-05 10:00:00+00', '2026-01-05 12:00:00+00', 12.5),
    (6, null, '2026-01-09 10:00:00+00', null, 1),
    (4, 'beta', '2026-02-02 08:00:00+01', '2026-02-02 09:00:00+01', 40),
    (2, 'beta', '2026-01-06 10:00:00+00', null, 3)
"""
FOLDER_CSV = """account,opened,resolved,cost
acme,2026-01-05T10:00:00Z,2026-01-05T12:00:00Z,12.5
beta,2026-01-06T10:00:00Z,,3
acme,2026-01-20T23:30:00Z,2026-01-21T08:00:00Z,0.25
beta,2026-02-02T08:00:00+01:00,2026-02-02T09:00:00+01:00,40
gamma,2026-01-09T10:00:00Z,2026-01-09T11:00:00Z,1
,2026-01-09T10:00:00Z,,1
"""
OPS = {"tickets": "ops.incidents"}


@pytest.fixture(scope="module")
def model() -> slagraph.Model:
    return slagraph.compile(MODEL)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("folder")
    (path / "tickets.csv").write_text(FOLDER_CSV)
    return path


@pytest.fixture(scope="module")
def expected(model: slagraph.Model, folder: Path) -> str:
    return model.evaluate(str(folder), as_of=AS_OF, on_bad_rows="skip").to_jsonl()


@pytest.fixture(scope="module")
def duck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rows under ops.incidents, no table of the stream's own name: only `tables=`
    (or `schema=` with the table's name) finds them. The null account is skipped."""
    path = tmp_path_factory.mktemp("duck") / "history.duckdb"
    con = duckdb.connect(str(path))
    for sql in statements(ROWS):
        con.execute(sql)
    con.execute("CREATE TABLE ops.tickets AS SELECT * FROM ops.incidents")
    con.close()
    return path


@pytest.fixture(scope="module")
def pg(postgres: postgres_server.Server) -> postgres_server.Server:
    execute(postgres, "DROP SCHEMA IF EXISTS ops CASCADE", *statements(ROWS))
    return postgres


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def _eval(model: slagraph.Model, data: object, **options: Any) -> str:
    return model.evaluate(data, as_of=AS_OF, on_bad_rows="skip", **options).to_jsonl()


# ------------------------------------------------------------------ Source itself


def test_source_of_a_duckdb_file_with_tables_or_schema(
    model: slagraph.Model, duck: Path, expected: str
) -> None:
    assert expected == _eval(model, slagraph.Source(duck, tables=OPS))
    assert expected == _eval(model, slagraph.Source(str(duck), schema="ops"))
    with pytest.raises(SlaDataError, match="no table 'tickets'"):
        _eval(model, slagraph.Source(duck))


def test_source_of_open_connections(model: slagraph.Model, duck: Path, expected: str) -> None:
    import adbc_driver_duckdb.dbapi as dbapi

    con = duckdb.connect(str(duck), read_only=True)
    try:
        assert expected == _eval(model, slagraph.Source(con, tables=OPS))
    finally:
        con.close()
    with dbapi.connect(str(duck)) as adbc:
        assert expected == _eval(model, slagraph.Source(adbc, schema="ops"))


def test_source_of_a_folder_maps_streams_to_files(
    model: slagraph.Model, folder: Path, expected: str, tmp_path: Path
) -> None:
    (tmp_path / "tix.csv").write_text(FOLDER_CSV)
    assert expected == _eval(model, slagraph.Source(tmp_path, tables={"tickets": "tix"}))
    with pytest.raises(SlaUsageError, match="schema= is for PostgreSQL and DuckDB"):
        _eval(model, slagraph.Source(folder, schema="ops"))


def test_source_everywhere_data_is_taken(model: slagraph.Model, duck: Path, folder: Path) -> None:
    source = slagraph.Source(duck, tables=OPS)
    path = str(folder)
    opts: dict[str, Any] = {"as_of": AS_OF, "on_bad_rows": "skip"}
    assert model.due(source, **opts) == model.due(path, **opts)
    assert model.alerts(source, **opts).to_jsonl() == model.alerts(path, **opts).to_jsonl()
    change = ["drop tickets where cost > 30"]
    assert (
        model.whatif(source, change, **opts).to_jsonl()
        == model.whatif(path, change, **opts).to_jsonl()
    )
    assert (
        model.diff(model, source, **opts).to_jsonl() == model.diff(model, path, **opts).to_jsonl()
    )
    assert (
        model.simulate(source, runs=20, seed=3, **opts).to_jsonl()
        == model.simulate(path, runs=20, seed=3, **opts).to_jsonl()
    )


@pytest.mark.parametrize(
    "bad, message",
    [
        (42, "got int"),
        ({"tickets": "x"}, "got dict"),
    ],
)
def test_source_refuses_what_it_cannot_read(bad: object, message: str) -> None:
    with pytest.raises(SlaUsageError, match=message):
        slagraph.Source(bad)


def test_source_options_are_checked() -> None:
    with pytest.raises(SlaUsageError, match="tables maps a stream's name"):
        slagraph.Source("data/", tables={"tickets": 3})  # type: ignore[dict-item]
    with pytest.raises(SlaUsageError, match="schema must be"):
        slagraph.Source("data/", schema="")


def test_source_of_a_uri_pickles_as_its_string_and_a_connection_does_not(duck: Path) -> None:
    uri = f"postgresql://me:{PASSWORD}@db.internal:5432/crm"
    again = pickle.loads(pickle.dumps(slagraph.Source(uri, tables=OPS, schema="ops")))
    assert (uri, OPS, "ops") == (again.target, again.tables, again.schema)
    con = duckdb.connect(str(duck), read_only=True)
    try:
        with pytest.raises(SlaUsageError, match="open connection, which cannot be sent"):
            pickle.dumps(slagraph.Source(con))
    finally:
        con.close()


def test_credentials_never_in_repr_or_errors(
    model: slagraph.Model, pg: postgres_server.Server
) -> None:
    source = slagraph.Source(pg.uri(), tables=OPS)
    assert PASSWORD not in repr(source) and PASSWORD not in str(source)
    assert ":***@" in repr(source)
    wrong = slagraph.Source(pg.uri(password=PASSWORD + "x"))
    with pytest.raises(SlaDataError) as caught:
        _eval(model, wrong)
    assert PASSWORD not in str(caught.value) and "password authentication failed" in str(
        caught.value
    )
    with pytest.raises(SlaDataError) as missing:
        _eval(model, slagraph.Source(pg.uri(), tables={"tickets": "ops.nothing"}))
    assert PASSWORD not in str(missing.value) and "no table 'ops.nothing'" in str(missing.value)


def test_source_of_postgres(
    model: slagraph.Model, pg: postgres_server.Server, expected: str
) -> None:
    assert expected == _eval(model, slagraph.Source(pg.uri(), tables=OPS))
    assert expected == _eval(
        model, slagraph.Source(pg.uri(), schema="ops", tables={"tickets": "incidents"})
    )


# ------------------------------------------------------------------ Dask and pushdown


def _recorded(subset: Subset, model: slagraph.Model) -> tuple[pa.Table, Any, list[Any]]:
    """A partition's tickets as read, with every query its reader sent."""
    reader = subset.open_reader()
    inner = reader.inner.inner if hasattr(reader.inner, "source") else reader.inner
    sent: list[Any] = []
    query = inner.query

    def recording(sql: str, params: Any) -> pa.Table:
        sent.append((sql, list(params)))
        return query(sql, params)

    inner.query = recording
    try:
        raw = reader.read(model.ir.streams["tickets"])
    finally:
        reader.close()
    return raw.table, raw.rows, sent


@pytest.mark.parametrize("kind", ["postgresql", "duckdb"])
def test_a_partition_reads_only_its_accounts_rows(
    model: slagraph.Model, kind: str, request: pytest.FixtureRequest
) -> None:
    """The WHERE is on the account column with bound values; rows keep their number in
    the whole table (primary-key order), so a bad row is named as one process names it."""
    target = (
        request.getfixturevalue("pg").uri()
        if kind == "postgresql"
        else request.getfixturevalue("duck")
    )
    source = slagraph.Source(target, tables=OPS)
    mine = Subset(source, pa.array(["beta"]))
    table, rows, sent = _recorded(mine, model)
    assert ["beta", "beta"] == table.column("account").to_pylist()
    assert [2, 4] == rows.tolist()
    data = [s for s in sent if "__slagraph_row__" in s[0]]
    assert 1 == len(data) and "beta" not in data[0][0]
    assert ("= ANY($1)" if kind == "postgresql" else "IN ($1)") in data[0][0]
    first = Subset(source, pa.array(["acme"]), others=pa.array(["acme", "beta", "gamma"]))
    table, rows, _ = _recorded(first, model)
    assert ["acme", "acme", None] == table.column("account").to_pylist()
    assert [1, 3, 6] == rows.tolist()


@pytest.mark.parametrize("kind", ["postgresql", "duckdb"])
def test_cluster_reads_a_database_source_as_one_process(
    model: slagraph.Model, client: Any, kind: str, request: pytest.FixtureRequest
) -> None:
    target = (
        request.getfixturevalue("pg").uri()
        if kind == "postgresql"
        else request.getfixturevalue("duck")
    )
    source = slagraph.Source(target, tables=OPS)
    one = model.evaluate(source, as_of=AS_OF, on_bad_rows="skip")
    spread = model.evaluate(source, as_of=AS_OF, on_bad_rows="skip", client=client)
    assert 3 == len(dist.plan(model.ir, source, 3).subsets)  # one per account here
    assert one.to_jsonl() == spread.to_jsonl()
    assert {"tickets": 1} == one.bad_rows == spread.bad_rows


def test_simulate_on_worker_processes_opens_the_source_there(
    model: slagraph.Model, pg: postgres_server.Server, duck: Path
) -> None:
    """Each worker process unpickles the Source (a URI or a path) and opens it itself."""
    with dist.cluster(workers=2) as processes:
        for target in (pg.uri(), duck):
            source = slagraph.Source(target, tables=OPS)
            assert (
                model.simulate(source, runs=10, on_bad_rows="skip", client=processes).to_jsonl()
                == model.simulate(source, runs=10, on_bad_rows="skip").to_jsonl()
            )


def test_an_open_connection_is_refused_for_a_cluster(
    model: slagraph.Model, client: Any, duck: Path
) -> None:
    con = duckdb.connect(str(duck), read_only=True)
    try:
        for data in (slagraph.Source(con, tables=OPS), con):
            with pytest.raises(SlaUsageError, match="cannot be sent to a worker"):
                model.evaluate(data, as_of=AS_OF, client=client)
            with pytest.raises(SlaUsageError, match="cannot be sent to a worker"):
                model.simulate(data, runs=10, client=client)
    finally:
        con.close()
