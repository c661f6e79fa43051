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
    """One declared column. `nullable` is the `?` of the declaration; `header` the source
    column it is read from (`from "Header"`), None when that is `name` itself."""

    name: str
    type: str
    nullable: bool = False
    header: str | None = None

    @property
    def source(self) -> str:
        """The column's name in the file or table."""
        return self.header if self.header is not None else self.name


@attrs.frozen
class StreamSchema:
    """A declared stream (or the accounts table).

    Attributes:
        name: the stream's name in the model.
        columns: declared columns, in declaration order (the order errors are checked in).
        source: the table or file base name (`from "crm_leads"`); defaults to the name.
        timezone: IANA zone naive times of this stream are read in; without one a naive
            time is a data error, because guessing a zone silently shifts every duration.
        time_format: strftime codes text-stored times are read with (`time format`);
            None: ISO 8601.
        nulls: the values that mean null (`nulls "?", ""`); None: the default (the empty
            field in CSV, the format's own null elsewhere).
        account: the declared column that is the account (`account from group`); None:
            the column `account`, if declared.
        separator: the CSV field separator; None: detected from the header line.
        decimal: the CSV decimal mark, "." or ","; None: detected (see docs/data.md).
        unassigned: rows may name no account (`account from group`, `group` null): the
            stream is read only through clocks, which give each cycle the account of its
            last event that names one. Otherwise such a row is a bad row.
    """

    name: str
    columns: tuple[ColumnSpec, ...]
    source: str = ""
    timezone: str | None = None
    time_format: str | None = None
    nulls: tuple[str, ...] | None = None
    account: str | None = None
    separator: str | None = None
    decimal: str | None = None
    unassigned: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.source:
            object.__setattr__(self, "source", self.name)

    def column(self, name: str) -> ColumnSpec | None:
        """The declared column called `name`, or None."""
        return next((c for c in self.columns if c.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def account_column(self) -> str | None:
        """The declared column holding the account, None for a single-account stream."""
        if self.account is not None:
            return self.account
        return ACCOUNT_COLUMN if ACCOUNT_COLUMN in self.names else None

    def header_of(self, name: str | None) -> str | None:
        """The source header of declared column `name` when it differs from the name."""
        spec = self.column(name) if name is not None else None
        if spec is None or spec.header is None or spec.header == spec.name:
            return None
        return spec.header
