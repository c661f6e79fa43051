"""CSV text held in memory as a data source: a test case's inline data (slagraph/testcases).

Each table is read by the CSV file reader itself (`csv_reader.read_csv_text`), so types,
time zones, nulls and bad-row messages are exactly those of a `NAME.csv` file; messages
point at the line of the text's own file (the test file) instead of a CSV file.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from slagraph.data.csv_reader import read_csv_text
from slagraph.data.raw import RawTable
from slagraph.data.schema import StreamSchema


@attrs.frozen
class CsvText:
    """One table as CSV text; its header is on line `first_line` of `origin`."""

    text: str
    origin: str
    first_line: int = 1


@attrs.frozen(eq=False)
class CsvTexts:
    """`{stream name or source: CsvText}`, given to `Model.evaluate` like a folder. A
    declared stream missing from it reads as empty (its header only): a case states
    just the streams it is about."""

    tables: Mapping[str, CsvText]
    origin: str = "<inline>"

    def open_reader(self) -> _Reader:
        return _Reader(self)


class _Reader:
    def __init__(self, texts: CsvTexts) -> None:
        self.texts = texts

    def close(self) -> None:
        pass

    def read(self, schema: StreamSchema) -> RawTable:
        for key in (schema.name, schema.source):
            if key in self.texts.tables:
                table = self.texts.tables[key]
                return read_csv_text(
                    table.text.encode("utf-8"), schema, table.origin, table.first_line
                )
        separator = schema.separator or ","
        header = separator.join(_quoted(c.source) for c in schema.columns) + "\n"
        return read_csv_text(header.encode("utf-8"), schema, self.texts.origin, 1)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"' if any(c in name for c in ',"\n;') else name
