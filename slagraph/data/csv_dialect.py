"""Which separator and decimal mark a CSV file uses: declared, or read off its first lines.

Excel in Chile, Spain or Germany writes `;` between fields and `,` before decimals
(`12,5`), because `,` is the decimal mark there. A stream may say so
(`csv separator ";" decimal ","`); otherwise:

* the separator is whichever of `,`, `;` and tab occurs most often in the header line
  outside double quotes (`,` on a tie, or when none does);
* the decimal mark is `.` with a `,` separator; with another one it is `,` when some
  value of a declared `number` column in the first MiB of the file holds a comma, else `.`
  (a file whose first MiB has only whole numbers reads `1.5` further on as a bad value,
  never as 15: with a decimal comma, dots are only accepted as thousands separators in
  groups of three, `1.234,5`).
"""

from __future__ import annotations

import re

import attrs
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from slagraph.data.schema import StreamSchema

SEPARATORS = (",", ";", "\t")
HEAD_BYTES = 1 << 20
"""How much of the file the decimal mark is judged on."""


@attrs.frozen
class Dialect:
    separator: str = ","
    decimal: str = "."


def separator_of(first_line: str, schema: StreamSchema) -> str:
    """The declared separator, or the one the header line uses most (see the module)."""
    if schema.separator is not None:
        return schema.separator
    outside = re.sub(r'"[^"]*("|$)', "", first_line)
    counts = [outside.count(c) for c in SEPARATORS]
    best = max(range(len(SEPARATORS)), key=lambda i: (counts[i], -i))
    return SEPARATORS[best] if counts[best] else ","


def dialect_of(first_line: str, schema: StreamSchema) -> Dialect:
    """The separator; the decimal mark as declared (or "." until `decimal_of` looks)."""
    return Dialect(separator_of(first_line, schema), schema.decimal or ".")


def decimal_of(head: bytes, schema: StreamSchema, separator: str, null_values: list[str]) -> str:
    """The declared decimal mark, or the one the first MiB's number values use."""
    if schema.decimal is not None:
        return schema.decimal
    numbers = [c.source for c in schema.columns if c.type == "number"]
    if separator == "," or not numbers:
        return "."
    if len(head) >= HEAD_BYTES:  # whole lines only
        head = head[: max(head.rfind(b"\n"), 0)]
    try:
        table = pcsv.read_csv(
            pa.BufferReader(head),
            read_options=pcsv.ReadOptions(use_threads=False),
            parse_options=pcsv.ParseOptions(
                delimiter=separator, newlines_in_values=True, invalid_row_handler=lambda r: "skip"
            ),
            convert_options=pcsv.ConvertOptions(
                include_columns=numbers,
                column_types=dict.fromkeys(numbers, pa.string()),
                null_values=null_values,
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowKeyError):
        return "."
    for column in table.columns:
        if pc.any(pc.match_substring(column, ",")).as_py():
            return ","
    return "."
