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


class Deferred:
    """A column's data as read (an Arrow array), converted only when first needed.

    Text: a filter such as `service == "api"` is answered on the strings (`strings.py`,
    or Arrow's comparisons), cheaper than coding the column first. Time: a column that
    no metric, filter or check reads (a stream's `solved` when only replies are
    measured) is never copied out of Arrow. Only conversions that cannot find a bad
    value are deferred (coding text, copying typed timestamps), so loading still reports
    every bad row up front. `get()` converts once, whichever worker thread asks first."""

    def __init__(
        self, arrow: Any, convert: Callable[[Any], tuple[np.ndarray, np.ndarray | None]]
    ) -> None:
        self.arrow = arrow
        self._convert = convert
        self._got: tuple[np.ndarray, np.ndarray | None] | None = None
        self._lock = threading.Lock()

    @property
    def done(self) -> bool:
        return self._got is not None

    def get(self) -> tuple[np.ndarray, np.ndarray | None]:
        """(values, the dictionary of a text column or None)."""
        got = self._got
        if got is not None:
            return got
        with self._lock:
            if self._got is None:
                self._got = self._convert(self.arrow)
            return self._got


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
        source: optional: the data as read, when `values` (and a text column's
            `dictionary`) are left to be converted on first use (then given as None).
        bounds: time only, optional: (earliest, latest) of the known values of
            `source`, found by the loader on the way (Arrow's `min_max`, on a worker
            thread), so that the engine's probe does not pass over the column again.
            Dropped with the source; a column whose `valid` narrows must drop them too
            (`attrs.evolve(column, valid=..., bounds=None)`).
    """

    type: str
    _values: np.ndarray | None = attrs.field(alias="values")
    valid: np.ndarray | None
    _dictionary: np.ndarray | None = attrs.field(default=None, alias="dictionary")
    source: Deferred | None = attrs.field(default=None, kw_only=True)
    bounds: tuple[int, int] | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        """A column rebuilt with data of its own (`attrs.evolve(column, values=…)` in a
        what-if change, say) no longer reads its Arrow source, and the extremes found
        in that source no longer describe it: both are dropped here, and a text
        column keeps the dictionary its codes refer to."""
        if self.source is None:
            object.__setattr__(self, "bounds", None)  # extremes are those of a source
            return
        if self._values is None and self._dictionary is None:
            return  # still deferred
        values, dictionary = self._values, self._dictionary
        if values is None:
            values = self.source.get()[0]
        if dictionary is None and self.type == "text":
            dictionary = self.source.get()[1]
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "_dictionary", dictionary)
        object.__setattr__(self, "source", None)
        object.__setattr__(self, "bounds", None)

    @property
    def values(self) -> np.ndarray:
        if self._values is None:
            assert self.source is not None
            return self.source.get()[0]
        return self._values

    @property
    def dictionary(self) -> np.ndarray | None:
        if self._values is None and self.source is not None:
            return self.source.get()[1]
        return self._dictionary

    def __len__(self) -> int:
        if self._values is None and self.source is not None:
            return len(self.source.arrow)
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
