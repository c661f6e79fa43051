"""What a stream's table must look like: the declared columns, their types, where it lives.

The compiler builds these from `stream` and `accounts` declarations; the readers only
consult them. They are plain values so a compiled model can be compared and hashed.
"""

from __future__ import annotations

import attrs

COLUMN_TYPES = ("text", "number", "bool", "time")
"""The column types of the language (SPEC §2.1)."""

ACCOUNTS = "accounts"
"""The name of the accounts table's schema; its key column is `account`."""

ACCOUNT_COLUMN = "account"


@attrs.frozen
class ColumnSpec:
    """One declared column. `nullable` is the `?` of the declaration."""

    name: str
    type: str
    nullable: bool = False


@attrs.frozen
class StreamSchema:
    """A declared stream (or the accounts table).

    Attributes:
        name: the stream's name in the model.
        columns: declared columns, in declaration order (the order errors are checked in).
        source: the table or file base name (`from "crm_leads"`); defaults to the name.
        timezone: IANA zone naive times of this stream are read in; without one a naive
            time is a data error, because guessing a zone silently shifts every duration.
    """

    name: str
    columns: tuple[ColumnSpec, ...]
    source: str = ""
    timezone: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.source:
            object.__setattr__(self, "source", self.name)

    def column(self, name: str) -> ColumnSpec | None:
        """The declared column called `name`, or None."""
        return next((c for c in self.columns if c.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)
