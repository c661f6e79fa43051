"""Event tables: read, validate strictly, return columnar numpy arrays.

    dataset = load("data/", streams, accounts, on_bad_rows="error")
    dataset.tables["incidents"].columns["opened"].values   # int64 ns since the epoch, UTC

See docs/data.md for formats, what "row" means per format, and every check.

The names are imported on first use (PEP 562): the compiler needs `data.schema` only,
and must not import pyarrow's readers for it when a command only checks a model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slagraph.data.loader import BAD_ROW_POLICIES, load
    from slagraph.data.schema import (
        ACCOUNT_COLUMN,
        ACCOUNTS,
        COLUMN_TYPES,
        ColumnSpec,
        StreamSchema,
    )
    from slagraph.data.tables import Column, Dataset, EventTable

_WHERE = {
    "BAD_ROW_POLICIES": "loader",
    "load": "loader",
    "ACCOUNT_COLUMN": "schema",
    "ACCOUNTS": "schema",
    "COLUMN_TYPES": "schema",
    "ColumnSpec": "schema",
    "StreamSchema": "schema",
    "Column": "tables",
    "Dataset": "tables",
    "EventTable": "tables",
}

__all__ = [
    "ACCOUNTS",
    "ACCOUNT_COLUMN",
    "BAD_ROW_POLICIES",
    "COLUMN_TYPES",
    "Column",
    "ColumnSpec",
    "Dataset",
    "EventTable",
    "StreamSchema",
    "load",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
