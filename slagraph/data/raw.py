"""The reader's product, `RawTable`, and what every reader shares: the declared columns
checked against the source's, and row numbers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs
import numpy as np
import pyarrow as pa

from slagraph.data.schema import StreamSchema
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
    """

    table: pa.Table
    origin: str
    rows: np.ndarray
    from_text: bool = False
    read_errors: tuple[RowError, ...] = ()
    line_of: Callable[[int], int] | None = None

    def where(self, row: int) -> str:
        """The position suffix of a message about `row`."""
        if self.line_of is not None:
            return f"; at {self.origin}:{self.line_of(row)}"
        return f"; in {self.origin}"


def _error(schema: StreamSchema, message: str, column: str | None = None) -> SlaDataError:
    return SlaDataError(message, DataLocation(schema.name, None, column))


def _check_columns(schema: StreamSchema, present: Sequence[str], origin: str) -> None:
    have = set(present)
    if len(have) < len(present):  # a declared name twice: which column is meant?
        declared = set(schema.names)
        for i, name in enumerate(present):
            if name in declared and name in present[:i]:
                first = present.index(name) + 1
                raise _error(
                    schema,
                    f"column '{name}' appears twice in the header of {origin} "
                    f"(columns {first} and {i + 1})",
                    name,
                )
    for spec in schema.columns:
        if spec.name not in have:
            listed = ", ".join(present) if present else "none"
            raise _error(
                schema,
                f"missing column: {origin} has no column '{spec.name}'"
                f"{did_you_mean(spec.name, present)}; columns there: {listed}",
                spec.name,
            )


_SHARED_POSITIONS = 1 << 24  # rows; longer tables get their own numbers
_shared = np.zeros(0, np.int64)


def _positions(n: int) -> np.ndarray:
    """Row numbers 1…n: a read-only view of one array kept for the largest table read so
    far (at most 128 MiB), since every table needs the same numbers and they never change."""
    global _shared
    if n > _SHARED_POSITIONS:
        return np.arange(1, n + 1, dtype=np.int64)
    shared = _shared  # one read: another thread may replace it meanwhile
    if len(shared) < n:
        shared = np.arange(1, n + 1, dtype=np.int64)
        shared.setflags(write=False)
        _shared = shared
    return shared[:n]
