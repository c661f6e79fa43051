"""The columnar result of loading: plain numpy arrays the engine's kernels consume.

Arrays live in `eq=False` classes: comparing arrays element-wise is never what `==` on a
table should mean, and identity keeps these hashable for caches keyed by table.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import numpy as np


class TextSource:
    """A text column's strings as read (an Arrow array), coded only when first needed.

    A filter such as `service == "api"` is answered by Arrow on the strings, about twice
    as cheap as coding the column first; a column that nothing reads by code is never
    coded. `codes()` codes it once, whichever worker thread asks first."""

    def __init__(self, strings: Any, code: Callable[[Any], tuple[np.ndarray, np.ndarray]]):
        self.strings = strings
        self._code = code
        self._coded: tuple[np.ndarray, np.ndarray] | None = None
        self._lock = threading.Lock()

    @property
    def coded(self) -> bool:
        return self._coded is not None

    def codes(self) -> tuple[np.ndarray, np.ndarray]:
        """(int32 codes, -1 on null rows; the distinct values)."""
        with self._lock:
            if self._coded is None:
                self._coded = self._code(self.strings)
            return self._coded


@attrs.frozen(eq=False)
class Column:
    """One typed column.

    Attributes:
        type: "text", "number", "bool" or "time".
        values: time → int64 ns since the epoch, UTC; number → float64; bool → bool;
            text → int32 codes into `dictionary` (-1 on null rows). Null rows hold an
            unspecified value: always consult `valid`.
        valid: bool mask of non-null rows, or None when the column has no nulls (so
            kernels can skip masking in the common case).
        dictionary: text only: the distinct values (object array of str).
        source: text only, optional: the strings as read, when `values` and `dictionary`
            are left to be coded on first use (then given as None).
        bounds: time only, optional: (earliest, latest) of the known values, when the
            loader found them on the way (Arrow's `min_max`, on a worker thread), so the
            engine's probe does not pass over the column again. A column whose `valid`
            changes must drop them (`attrs.evolve(column, valid=..., bounds=None)`).
    """

    type: str
    _values: np.ndarray | None = attrs.field(alias="values")
    valid: np.ndarray | None
    _dictionary: np.ndarray | None = attrs.field(default=None, alias="dictionary")
    source: TextSource | None = attrs.field(default=None, kw_only=True)
    bounds: tuple[int, int] | None = attrs.field(default=None, kw_only=True)

    @property
    def values(self) -> np.ndarray:
        if self._values is None:
            assert self.source is not None
            return self.source.codes()[0]
        return self._values

    @property
    def dictionary(self) -> np.ndarray | None:
        if self._values is None and self.source is not None:
            return self.source.codes()[1]
        return self._dictionary

    def __len__(self) -> int:
        if self._values is None and self.source is not None:
            return len(self.source.strings)
        return len(self.values)

    def is_valid(self) -> np.ndarray:
        """The non-null mask, materialised even when there are no nulls."""
        return np.ones(len(self), bool) if self.valid is None else self.valid

    def to_list(self) -> list[object]:
        """Python values with None for nulls: for tests, explain output and debugging."""
        if self.type == "text":
            assert self.dictionary is not None
            safe = np.append(self.dictionary, np.array([None], object))  # code -1 → None
            out = safe[self.values].tolist()
        else:
            out = self.values.tolist()
        valid = self.is_valid()
        return [v if ok else None for v, ok in zip(out, valid.tolist(), strict=True)]


@attrs.frozen(eq=False)
class EventTable:
    """One stream's records after validation.

    Attributes:
        stream: the stream's name.
        origin: where it was read from: a file path, `sqlite:FILE:TABLE` or `<memory>`.
        columns: the declared columns only, by name (extra source columns are dropped).
        rows: int64, the 1-based row number in the source of each kept record, so
            explanations and messages can point back at the input (see docs/data.md for
            what "row" means per format).
    """

    stream: str
    origin: str
    columns: Mapping[str, Column]
    rows: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, name: str) -> Column:
        return self.columns[name]


@attrs.frozen(eq=False)
class Dataset:
    """Every table a model reads, with the global account axis.

    Attributes:
        tables: by stream name.
        accounts: the accounts table when the model declares one.
        account_names: the global account list: the accounts table's keys in file order
            when present, else the sorted union of every stream's `account` values. Every
            stream's `account` column is coded into this array (its dictionary), so the
            engine groups by account with the codes directly.
        bad_rows: per stream, how many rows `on_bad_rows="skip"` left out (no 0 entries).
    """

    tables: Mapping[str, EventTable]
    accounts: EventTable | None
    account_names: np.ndarray
    bad_rows: Mapping[str, int]
