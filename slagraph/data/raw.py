"""The reader's product, `RawTable`, and what every reader shares: the declared columns
checked against the source's, and row numbers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import attrs
import numpy as np
import pyarrow as pa

from slagraph.data.csv_dialect import Dialect
from slagraph.data.schema import ColumnSpec, StreamSchema
from slagraph.data.validate import RowError
from slagraph.errors import DataLocation, SlaDataError, did_you_mean


@attrs.frozen(eq=False)
class RawTable:
    """One stream as read, before typing.

    Attributes:
        table: the declared columns (extra source columns are never materialised).
        origin: a path, `sqlite:FILE:TABLE` or `<memory>`.
        rows: int64 source row number (see the module docstring) of each table row.
        from_text: the format has only strings (CSV): numbers and bools are parsed.
        read_errors: records the reader could not take as they are, by row number.
        line_of: source row → file line, for messages; only called on the error path.
        dialect: CSV only: the separator and decimal mark the file was read with.
    """

    table: pa.Table
    origin: str
    rows: np.ndarray
    from_text: bool = False
    read_errors: tuple[RowError, ...] = ()
    line_of: Callable[[int], int] | None = None
    dialect: Dialect = Dialect()

    def where(self, row: int) -> str:
        """The position suffix of a message about `row`."""
        if self.line_of is not None:
            return f"; at {self.origin}:{self.line_of(row)}"
        return f"; in {self.origin}"


def _error(schema: StreamSchema, message: str, column: str | None = None) -> SlaDataError:
    return SlaDataError(message, DataLocation(schema.name, None, column))


def _read_as(spec: ColumnSpec) -> str:
    """How a message names a declared column: `'state'`, or `"incident_state" (read into
    'state')` when it is read `from` a header."""
    if spec.header is None or spec.header == spec.name:
        return f"'{spec.name}'"
    return f"\"{spec.header}\" (read into '{spec.name}')"


def _check_columns(schema: StreamSchema, present: Sequence[str], origin: str) -> None:
    """Every declared column's source (its `from` header, or its name) is there, once."""
    have = set(present)
    if len(have) < len(present):  # a declared name twice: which column is meant?
        declared = {spec.source for spec in schema.columns}
        for i, name in enumerate(present):
            if name in declared and name in present[:i]:
                first = present.index(name) + 1
                spec = next(c for c in schema.columns if c.source == name)
                raise _error(
                    schema,
                    f"column '{name}' appears twice in the header of {origin} "
                    f"(columns {first} and {i + 1})",
                    spec.name,
                )
    for spec in schema.columns:
        if spec.source not in have:
            listed = ", ".join(present) if present else "none"
            hint = _separator_hint(spec.source, present) or did_you_mean(spec.source, present)
            raise _error(
                schema,
                f"missing column: {origin} has no column {_read_as(spec)}"
                f"{hint}; columns there: {listed}",
                spec.name,
            )


_SEPARATOR_WORDS = {";": "semicolon", ",": "comma", "|": "pipe"}


def _separator_hint(source: str, present: Sequence[str]) -> str:
    """A header read whole (`account;fee` as one name) is a file split by another
    character: say which one to declare, not "did you mean 'account;fee'"."""
    for sep, word in _SEPARATOR_WORDS.items():
        if any(source in (part.strip().strip('"') for part in n.split(sep)) for n in present):
            return f' (it looks like a {word}-separated file; declare `csv separator "{sep}"`)'
    return ""


def renamed(table: pa.Table, schema: StreamSchema) -> pa.Table:
    """The declared columns, in declaration order, under their declared names (a table
    read by source names: `from "Header"` columns arrive under their headers)."""
    table = table.select([spec.source for spec in schema.columns])
    return table.rename_columns(list(schema.names))


BOM = b"\xef\xbb\xbf"


def is_gzip(path: Path) -> bool:
    """Whether a file is read through gzip: by its name (`incidents.csv.gz`)."""
    return path.name.endswith(".gz")


def file_bytes(path: Path, schema: StreamSchema, origin: str) -> bytes:
    """A whole file's bytes, decompressed when it is gzipped (pyarrow's gzip stream)."""
    try:
        if is_gzip(path):
            with pa.input_stream(str(path), compression="gzip") as stream:
                return stream.read()
        return path.read_bytes()
    except OSError as e:
        raise _error(schema, f"cannot read {origin}: {e.strerror or e}") from e
    except pa.ArrowInvalid as e:
        raise _error(schema, f"cannot read {origin} as gzip: {e}") from e


def _positions(n: int) -> np.ndarray:
    """Row numbers 1…n. Made per table, not shared from a module-level cache: a library
    keeps no large buffers alive in its host between calls."""
    return np.arange(1, n + 1, dtype=np.int64)
