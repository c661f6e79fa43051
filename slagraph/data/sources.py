"""`slagraph.Source`: where the streams live, said once, with the options a bare string
cannot carry (which table each stream is, which schema), usable wherever `data=` is.

A `Source` is a value: it opens nothing until a load reads it (`open_reader`, the hook
`readers.open_source` looks for), and one of a connection string or a path pickles to the
same string, so a Dask worker opens it itself. An open connection never crosses to
another process: pickling it is a usage error that says what to pass instead.

Its repr and every message name it with the password as `***` (`databases.redact`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from slagraph.data import databases
from slagraph.data.databases import Accounts, DatabaseSource
from slagraph.data.raw import RawTable
from slagraph.data.readers import FolderSource, Keep, open_source
from slagraph.data.schema import StreamSchema
from slagraph.errors import SlaUsageError


def _tables(value: Mapping[str, str] | None) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SlaUsageError(
            f"Source: tables must be a mapping {{stream: table}}, got {type(value).__name__}"
        )
    for stream, table in value.items():
        if not isinstance(stream, str) or not isinstance(table, str) or not table:
            raise SlaUsageError(
                f"Source: tables maps a stream's name to a table's name, got {stream!r}: {table!r}"
            )
    return dict(value)


@attrs.frozen(eq=False, repr=False, init=False)
class Source:
    """Where a model's streams are read.

    Args:
        target: a `postgresql://` URI, a folder, a SQLite or DuckDB file, or an open
            ADBC (PostgreSQL, DuckDB) or `duckdb` connection (used, never closed).
        tables: `{stream: table}` for streams whose table is not their `from` name
            (`{"incidents": "ops.incidents"}`); other streams keep their own.
        schema: PostgreSQL/DuckDB: the schema unqualified names are looked up in, in
            place of the connection's default (`public`, `main`).

    Raises:
        SlaUsageError: a target or option of the wrong kind.
    """

    target: Any
    tables: dict[str, str]
    schema: str | None

    def __init__(
        self, target: Any, *, tables: Mapping[str, str] | None = None, schema: str | None = None
    ) -> None:
        if isinstance(target, Source):
            raise SlaUsageError("Source(Source(…)): pass the inner Source itself")
        if not (isinstance(target, str | os.PathLike) or databases.is_connection(target)):
            raise SlaUsageError(
                "Source: give a postgresql:// URI, a folder, a SQLite or DuckDB file, or an "
                f"open ADBC or DuckDB connection, got {type(target).__name__}"
            )
        if schema is not None and (not isinstance(schema, str) or not schema):
            raise SlaUsageError(f"Source: schema must be a schema's name, got {schema!r}")
        self.__attrs_init__(target, _tables(tables), schema)  # type: ignore[attr-defined]

    @property
    def connected(self) -> bool:
        """Whether the target is an open connection (which stays in this process)."""
        return databases.is_connection(self.target)

    @property
    def shown(self) -> str:
        """The target as messages name it: never with a password."""
        if self.connected:
            return f"<{type(self.target).__module__}.{type(self.target).__name__}>"
        text = os.fspath(self.target)
        return databases.redact(text) if databases.is_postgres_uri(text) else repr(text)

    def __repr__(self) -> str:
        shown = f"'{self.shown}'" if databases.is_postgres_uri(self.target) else self.shown
        options = "".join(
            f", {name}={value!r}"
            for name, value in (("tables", self.tables), ("schema", self.schema))
            if value
        )
        return f"Source({shown}{options})"

    def __reduce__(self) -> tuple[Any, ...]:
        if self.connected:
            raise SlaUsageError(
                f"{self!r} holds an open connection, which cannot be sent to another process "
                "(a Dask worker): pass Source('postgresql://…') or the database file's path"
            )
        return (_rebuilt, (self.target, self.tables, self.schema))

    def open_reader(self) -> SourceReader:
        return SourceReader(self)


def _rebuilt(target: Any, tables: dict[str, str], schema: str | None) -> Source:
    return Source(target, tables=tables, schema=schema)


class SourceReader:
    """A `Source` opened: its target's reader, each stream's table looked up by `tables`."""

    def __init__(self, source: Source) -> None:
        self.source = source
        target = source.target
        if source.connected:
            self.inner: Any = databases.open_connection(target, source.schema)
        elif databases.is_postgres_uri(target):
            self.inner = databases.open_postgres(str(target), source.schema)
        elif source.schema is not None:
            path = Path(target)
            head = b""
            if path.is_file():
                with open(path, "rb") as f:
                    head = f.read(16)
            if not databases.is_duckdb_file(path, head):
                raise SlaUsageError(
                    f"Source: schema= is for PostgreSQL and DuckDB; {source.shown} is neither"
                )
            self.inner = databases.open_duckdb(path, source.schema)
        else:
            self.inner = open_source(target)

    def close(self) -> None:
        self.inner.close()

    def read(
        self, schema: StreamSchema, keep: Keep | None = None, only: Accounts | None = None
    ) -> RawTable:
        table = self.source.tables.get(schema.name)
        if table is not None:
            schema = attrs.evolve(schema, source=table)
        return read_some(self.inner, schema, keep, only)


def read_some(
    reader: Any, schema: StreamSchema, keep: Keep | None = None, only: Accounts | None = None
) -> RawTable:
    """A stream from any reader, with what it can push down of a partition's rows:
    `keep` into Parquet row groups, `only` into a database's WHERE. The caller still
    cuts the result (a no-op on rows already cut)."""
    if isinstance(reader, FolderSource):
        return reader.read(schema, keep)
    if isinstance(reader, SourceReader):
        return reader.read(schema, keep, only)
    if isinstance(reader, DatabaseSource):
        return reader.read(schema, only)
    return reader.read(schema)  # type: ignore[no-any-return]
