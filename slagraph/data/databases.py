"""Tables that live in a database: PostgreSQL (a `postgresql://` URI or an open ADBC
connection) and DuckDB (a database file or an open connection). One table per stream.

Every query is built from quoted identifiers only (`"schema"."table"`, each `"` doubled)
and every value (a schema or table name looked up in the catalog) is a bound parameter:
no name of the model's or the data's is ever SQL text. Each stream is one
`SELECT "declared", "columns" FROM "schema"."table" [ORDER BY primary key]` fetched as
Arrow in one piece (the drivers build the columns in C; there is no Python loop over
rows), and the Arrow columns take the same typing path as Parquet (`validate`), so bad
values get the same stream/row/column messages as files.

What "row" means: the position (1-based) in the query's result, which is ordered by the
table's primary key when it has one; without one it is the order the database returned,
which PostgreSQL does not promise to keep between reads. The message's origin says which.

Credentials never reach a message: a URI is shown with its password as `***`, and the
drivers' own messages (which can quote the URI) are scrubbed the same way.

The drivers are imported when a database is opened, never by `import slagraph`.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slagraph.data.raw import RawTable, _check_columns, _error, _positions, renamed
from slagraph.data.schema import StreamSchema
from slagraph.errors import SlaDataError, SlaUsageError, did_you_mean

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
DUCKDB_MAGIC = b"DUCK"
"""Bytes 8–11 of every DuckDB database file."""
DUCKDB_SUFFIXES = (".duckdb", ".ddb")

Query = Callable[[str, Sequence[object]], pa.Table]


def quote(name: str) -> str:
    """An SQL identifier: in double quotes, embedded quotes doubled. Nothing else of a
    name ever enters a query's text."""
    return '"' + name.replace('"', '""') + '"'


def is_postgres_uri(value: object) -> bool:
    return isinstance(value, str) and value.startswith(POSTGRES_SCHEMES)


def is_duckdb_file(path: Path, head: bytes) -> bool:
    """A DuckDB file by its magic bytes, or by its name when it is too short to have them
    (DuckDB then says what is wrong with it)."""
    return head[8:12] == DUCKDB_MAGIC or path.suffix.lower() in DUCKDB_SUFFIXES


def is_connection(value: object) -> bool:
    """An open ADBC, psycopg or DuckDB connection, known by its module (nothing imported)."""
    module = type(value).__module__
    return module.startswith(("adbc_driver_manager", "psycopg", "duckdb", "_duckdb"))


# ------------------------------------------------------------------ credentials

_SECRET_PARAMS = re.compile(r"((?:^|[?&])(?:password|sslpassword|passfile)=)[^&#]*", re.I)


def redact(uri: str) -> str:
    """The URI with its password (in the user part or a `password=` parameter) as `***`."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        return uri
    end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=-1)
    netloc, tail = (rest, "") if end < 0 else (rest[:end], rest[end:])
    userinfo, at, host = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.split(':', 1)[0]}:***@{host}"
    tail = _SECRET_PARAMS.sub(r"\1***", tail)
    return f"{scheme}://{netloc}{tail}"


def _secrets(uri: str) -> list[str]:
    """The strings of `uri` that must not be shown, longest first."""
    import urllib.parse

    found = [uri]
    _, _, rest = uri.partition("://")
    userinfo, at, _ = rest.split("/", 1)[0].rpartition("@")
    if at and ":" in userinfo:
        found.append(userinfo.split(":", 1)[1])
    for match in re.finditer(r"(?:password|sslpassword)=([^&#]*)", uri, re.I):
        found.append(match.group(1))
    found += [urllib.parse.unquote(s) for s in found]
    return sorted({s for s in found if s}, key=len, reverse=True)


def scrubber(uri: str | None) -> Callable[[str], str]:
    """A function that takes every secret of `uri` out of a text (a driver's message)."""
    if uri is None:
        return lambda text: text
    secrets = _secrets(uri)
    shown = redact(uri)

    def scrub(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, shown if secret == uri else "***")
        return text

    return scrub


def _reason(error: BaseException, scrub: Callable[[str], str]) -> str:
    """A driver's message, secrets scrubbed, on one line and without the query echo."""
    text = scrub(str(error)).strip()
    text = text.split("\nQuery was:")[0]  # ADBC repeats the query: we name the table
    return " ".join(text.split())


def _driver(module: str, extra: str, what: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise SlaUsageError(
            f"reading {what} needs the {module.split('.')[0]} package: "
            f"pip install 'slagraph[{extra}]'"
        ) from None


# ------------------------------------------------------------------ dialects


@attrs.frozen
class Dialect:
    """What differs between databases: the name shown and the primary-key lookup."""

    name: str
    primary_key: str  # parameters $1 (schema), $2 (table); one row per key column
    list_key: bool = False  # the key query returns one row holding a list of names
    order: str = "the order the database returned them"
    array_parameter: bool = False  # `= ANY($1)` binds a list; else `IN ($1, …, $n)`
    stored_order: str = ""  # what orders a base table's rows as stored (DuckDB: rowid)
    tables: str = ""  # (table_schema, table_name, table_type) of every readable relation
    columns: str = ""  # (column_name, data_type) of $1.$2, in column order

    def among(self, column: str, values: Sequence[str], first: int) -> tuple[str, list[object]]:
        """`column` is one of `values`: SQL text of placeholders only, numbered from
        `first`, and the parameters to bind."""
        if not values:
            return "FALSE", []
        if self.array_parameter:
            return f"{column} = ANY(${first})", [list(values)]
        marks = ", ".join(f"${first + i}" for i in range(len(values)))
        return f"{column} IN ({marks})", list(values)


_TABLES = (
    "SELECT table_schema, table_name, table_type FROM information_schema.tables "
    "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
    "ORDER BY table_schema, table_name"
)
_COLUMNS = (
    "SELECT column_name, data_type FROM information_schema.columns "
    "WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position"
)
# PostgreSQL's information_schema leaves out materialized views, where reporting data
# often lives; pg_catalog lists them, with the tables, views, partitioned and foreign
# tables the user may SELECT from (not the partitions of a partitioned table).
_PG_TABLES = (
    "SELECT n.nspname AS table_schema, c.relname AS table_name, "
    "CASE WHEN c.relkind IN ('r', 'p') THEN 'BASE TABLE' WHEN c.relkind = 'v' THEN 'VIEW' "
    "WHEN c.relkind = 'm' THEN 'MATERIALIZED VIEW' ELSE 'FOREIGN TABLE' END AS table_type "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition "
    "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg\\_toast%' AND has_table_privilege(c.oid, 'SELECT') "
    "ORDER BY 1, 2"
)
_PG_COLUMNS = (
    "SELECT a.attname AS column_name, format_type(a.atttypid, NULL) AS data_type "
    "FROM pg_attribute a WHERE a.attrelid = to_regclass(format('%I.%I', $1::text, $2::text)) "
    "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
)
# pg_index, not information_schema.table_constraints: the latter hides the keys of
# tables the user may only SELECT from, which is what a reporting user usually has.
POSTGRESQL = Dialect(
    "postgresql",
    "SELECT a.attname FROM pg_index i "
    "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) "
    "WHERE i.indisprimary "
    "AND i.indrelid = to_regclass(format('%I.%I', $1::text, $2::text)) "
    "ORDER BY array_position(i.indkey::int2[], a.attnum)",
    order="the order the server returned them, which may change between reads",
    array_parameter=True,
    tables=_PG_TABLES,
    columns=_PG_COLUMNS,
)
DUCKDB = Dialect(
    "duckdb",
    "SELECT constraint_column_names FROM duckdb_constraints() "
    "WHERE constraint_type = 'PRIMARY KEY' AND schema_name = $1 AND table_name = $2",
    list_key=True,
    order="stored order",
    stored_order="rowid",
    tables=_TABLES,
    columns=_COLUMNS,
)

TEXT_TYPES = frozenset({"text", "character varying", "character", "varchar", "char"})
"""Column types an account filter is pushed into (other types are read and cut)."""
ROW = "__slagraph_row__"
"""The row-number column of a filtered query: rows keep their number in the whole table."""


@attrs.frozen
class Accounts:
    """The rows a partition reads: its `accounts`, and, when it also holds the rows that
    name none of the partitioned accounts (`others`), those and the null ones."""

    accounts: Sequence[str]
    others: Sequence[str] | None = None


# ------------------------------------------------------------------ the source


class DatabaseSource:
    """One connection for all streams of a load; `query(sql, params)` returns Arrow.

    Attributes:
        shown: the database as messages name it (never with a password).
        errors: the driver's exception classes, turned into slagraph errors here.
    """

    def __init__(
        self,
        dialect: Dialect,
        query: Query,
        shown: str,
        errors: tuple[type[BaseException], ...],
        scrub: Callable[[str], str] = lambda text: text,
        close: Callable[[], None] | None = None,
        schema: str | None = None,
    ) -> None:
        self.dialect = dialect
        self.query = query
        self.shown = shown
        self.errors = errors
        self.scrub = scrub
        self._close = close
        found = self._ask(None, dialect.tables, ())
        listed = found.to_pydict().values()
        self.tables = [(str(s), str(t)) for s, t, _ in zip(*listed, strict=True)]
        self.base = {(str(s), str(t)) for s, t, k in zip(*listed, strict=True) if k == "BASE TABLE"}
        if schema is None:
            current = self._ask(None, "SELECT current_schema() AS s", ()).column(0).to_pylist()
            schema = str(current[0]) if current and current[0] is not None else ""
        self.default: str = schema

    def close(self) -> None:
        if self._close is not None:
            try:
                self._close()
            except self.errors:
                pass  # closing after a failed read: the read's error is the one to see

    def _ask(self, schema: StreamSchema | None, sql: str, params: Sequence[object]) -> pa.Table:
        try:
            return self.query(sql, params)
        except self.errors as e:
            message = f"cannot read {self.shown}: {_reason(e, self.scrub)}"
            if schema is None:
                raise SlaDataError(message) from None
            raise _error(schema, message) from None

    def _display(self, schema_name: str, table: str) -> str:
        return table if schema_name == self.default else f"{schema_name}.{table}"

    def _table(self, schema: StreamSchema) -> tuple[str, str]:
        """The (schema, table) a stream's source names: the table of that name in the
        default schema, else `schema.table` split at the first dot."""
        name = schema.source
        if (self.default, name) in self.tables:
            return self.default, name
        if "." in name:
            owner, _, table = name.partition(".")
            if (owner, table) in self.tables:
                return owner, table
        shown = sorted(self._display(s, t) for s, t in self.tables)
        raise _error(
            schema,
            f"no table '{name}'{did_you_mean(name, shown)} in {self.shown}; "
            f"tables there: {', '.join(shown) or 'none'}",
        )

    def _key(self, schema: StreamSchema, owner: str, table: str) -> list[str]:
        rows = self._ask(schema, self.dialect.primary_key, (owner, table)).to_pylist()
        names = [next(iter(row.values())) for row in rows]
        if self.dialect.list_key:
            return list(names[0]) if names else []
        return names

    def read(self, schema: StreamSchema, only: Accounts | None = None) -> RawTable:
        """The stream's declared columns; with `only`, the rows of those accounts (a
        parameterised WHERE on the account column), numbered as in the whole table."""
        owner, table = self._table(schema)
        where = f"{self.shown}:{self._display(owner, table)}"
        found = self._ask(schema, self.dialect.columns, (owner, table)).to_pydict()
        present, types = found["column_name"], dict(zip(*found.values(), strict=True))
        _check_columns(schema, present, where)
        key = self._key(schema, owner, table)
        sources = list(dict.fromkeys(spec.source for spec in schema.columns))
        columns, named = ", ".join(map(quote, sources)), f"{quote(owner)}.{quote(table)}"
        if key:
            order = ", ".join(map(quote, key))
            rows = f"rows numbered in primary-key order ({', '.join(key)})"
        else:
            order = self.dialect.stored_order if (owner, table) in self.base else ""
            rows = f"no primary key: rows numbered in {self.dialect.order}"
        origin = f"{where} ({rows})"
        account = schema.column(schema.account_column) if schema.account_column else None
        pushed = (
            only is not None
            and account is not None
            and str(types.get(account.source, "")).lower() in TEXT_TYPES
            and (bool(order) or self.dialect.array_parameter)  # DuckDB views: no stable number
        )
        if not pushed:
            sql = f"SELECT {columns} FROM {named}" + (f" ORDER BY {order}" if order else "")
            data = self._ask(schema, sql, ())
            numbers = _positions(data.num_rows)
        else:
            assert only is not None and account is not None
            sql, params = self._filtered(columns, named, order, quote(account.source), only)
            data = self._ask(schema, sql, params)
            numbers = np.asarray(data.column(ROW).to_numpy(), np.int64)
            data = data.drop_columns([ROW])
        data = pa.table([_typed(data.column(i)) for i in range(data.num_columns)], names=sources)
        return RawTable(renamed(data, schema), origin, numbers)

    def _filtered(
        self, columns: str, named: str, order: str, account: str, only: Accounts
    ) -> tuple[str, list[object]]:
        """Rows numbered over the whole table first, then only the partition's kept: the
        server scans the table, but only the partition's rows are sent."""
        mine, params = self.dialect.among(account, only.accounts, 1)
        if only.others is not None:
            theirs, more = self.dialect.among(account, only.others, 1 + len(params))
            mine = f"{account} IS NULL OR {mine} OR NOT ({theirs})"
            params += more
        numbered = f"row_number() OVER ({f'ORDER BY {order}' if order else ''}) AS {quote(ROW)}"
        sql = (
            f"SELECT {columns}, {quote(ROW)} FROM (SELECT {columns}, {numbered} FROM {named}) "
            f"AS numbered WHERE {mine} ORDER BY {quote(ROW)}"
        )
        return sql, params


def _typed(array: pa.ChunkedArray) -> pa.ChunkedArray:
    """A database column as Parquet would give it: PostgreSQL's `numeric` (text inside
    an opaque extension type) as float64, a date as a naive midnight (read, like any
    naive time, in the stream's timezone), other extension types as their storage."""
    t = array.type
    if isinstance(t, pa.BaseExtensionType):
        if getattr(t, "extension_name", None) == "arrow.uuid":
            return pa.chunked_array([uuid_text(c.storage) for c in array.chunks], pa.string())
        array = pa.chunked_array([c.storage for c in array.chunks], t.storage_type)
        if getattr(t, "type_name", None) == "numeric":
            try:
                return pc.cast(array, pa.float64())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return array
        return array
    if pa.types.is_date(t):
        return pc.cast(array, pa.timestamp("s"))
    return array


_HEX = np.frombuffer(b"0123456789abcdef", np.uint8)
_UUID_DIGITS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])


def uuid_text(storage: pa.Array) -> pa.Array:
    """16-byte UUIDs as their canonical text (`a0eebc99-9c0b-4ef8-…`), as PostgreSQL
    prints them: each byte's two hex digits laid out by numpy, dashes in place."""
    n = len(storage)
    raw = np.frombuffer(storage.buffers()[1], np.uint8, 16 * n, 16 * storage.offset)
    text = np.full((n, 36), ord("-"), np.uint8)
    digits = np.empty((n, 32), np.uint8)
    pairs = raw.reshape(n, 16)
    digits[:, 0::2] = _HEX[pairs >> 4]
    digits[:, 1::2] = _HEX[pairs & 15]
    text[:, _UUID_DIGITS] = digits
    offsets = np.arange(0, 36 * n + 1, 36, dtype=np.int32)
    validity = storage.buffers()[0] if storage.null_count else None
    if validity is not None and storage.offset:
        validity = pa.array(storage.is_valid()).buffers()[1]
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(text.tobytes()), validity, storage.null_count
    )


# ------------------------------------------------------------------ opening


def _adbc_query(con: Any) -> Query:
    def query(sql: str, params: Sequence[object]) -> pa.Table:
        with con.cursor() as cursor:
            cursor.execute(sql, parameters=tuple(params) or None)
            return cursor.fetch_arrow_table()

    return query


def _duckdb_query(con: Any) -> Query:
    def query(sql: str, params: Sequence[object]) -> pa.Table:
        relation = con.sql(sql, params=list(params)) if params else con.sql(sql)
        for name in ("to_arrow_table", "fetch_arrow_table", "arrow"):  # DuckDB 2.x, 1.x
            if hasattr(relation, name):
                return getattr(relation, name)()
        raise SlaUsageError("this DuckDB version cannot give Arrow tables")

    return query


def open_postgres(uri: str, schema: str | None = None) -> DatabaseSource:
    """A read-only, repeatable-read transaction, so every stream sees the same snapshot."""
    dbapi = _driver("adbc_driver_postgresql.dbapi", "postgresql", "PostgreSQL")
    manager = importlib.import_module("adbc_driver_manager")
    scrub = scrubber(uri)
    shown = redact(uri)
    try:
        con = dbapi.connect(uri)
    except manager.Error as e:
        raise SlaDataError(f"cannot connect to {shown}: {_reason(e, scrub)}") from None
    try:
        with con.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return DatabaseSource(
            POSTGRESQL, _adbc_query(con), shown, (manager.Error,), scrub, con.close, schema
        )
    except BaseException:
        con.close()
        raise


def open_duckdb(path: Path, schema: str | None = None) -> DatabaseSource:
    duckdb = _driver("duckdb", "duckdb", "a DuckDB file")
    try:
        con = duckdb.connect(os.fspath(path), read_only=True)
    except duckdb.Error as e:
        raise SlaDataError(f"cannot read {path} as DuckDB: {_reason(e, str)}") from None
    try:
        query = _duckdb_query(con)
        shown = f"duckdb:{path}"
        return DatabaseSource(DUCKDB, query, shown, (duckdb.Error,), str, con.close, schema)
    except BaseException:
        con.close()
        raise


def open_connection(con: Any, schema: str | None = None) -> DatabaseSource:
    """A connection the caller opened (and closes): ADBC (PostgreSQL or DuckDB) or DuckDB."""
    module = type(con).__module__
    if module.startswith(("duckdb", "_duckdb")):
        duckdb = _driver("duckdb", "duckdb", "a DuckDB connection")
        shown = "the DuckDB connection"
        return DatabaseSource(DUCKDB, _duckdb_query(con), shown, (duckdb.Error,), schema=schema)
    if module.startswith("adbc_driver_manager"):
        manager = importlib.import_module("adbc_driver_manager")
        vendor = str(con.adbc_get_info().get("vendor_name", ""))
        dialect = {"postgresql": POSTGRESQL, "duckdb": DUCKDB}.get(vendor.lower())
        if dialect is None:
            raise SlaUsageError(
                f"data: an ADBC connection to {vendor or 'an unknown database'}; "
                "slagraph reads PostgreSQL and DuckDB"
            )
        return DatabaseSource(
            dialect, _adbc_query(con), f"the {vendor} connection", (manager.Error,), schema=schema
        )
    raise SlaUsageError(
        "data: a psycopg connection cannot be read without a Python loop per row; "
        "pass the connection string (postgresql://…) or an ADBC connection"
    )
