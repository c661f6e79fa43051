"""Event tables: read, validate strictly, return columnar numpy arrays.

    dataset = load("data/", streams, accounts, on_bad_rows="error")
    dataset.tables["incidents"].columns["opened"].values   # int64 ns since the epoch, UTC

See docs/data.md for formats, what "row" means per format, and every check.
"""

from slagraph.data.loader import BAD_ROW_POLICIES, load
from slagraph.data.schema import ACCOUNT_COLUMN, ACCOUNTS, COLUMN_TYPES, ColumnSpec, StreamSchema
from slagraph.data.tables import Column, Dataset, EventTable

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
