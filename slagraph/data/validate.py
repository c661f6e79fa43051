"""From raw Arrow columns to typed `Column`s, with every per-row problem located.

Each check returns a `Problem`: a boolean mask over the table's rows plus a function
that words the message for one row. Nothing here raises on a bad row: `checks.resolve`
decides, under the bad-row policy, whether the first bad row stops loading (its message)
or every bad row is left out and counted. Keeping "find" apart from "decide" is what lets the
error path stay vectorised: the first bad row is `np.flatnonzero(mask)[0]`, never a loop.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slagraph.data import time_formats, times
from slagraph.data.buffers import arrow_kind, filled, fixed_values, valid_mask
from slagraph.data.encoding import encode_among, encode_text
from slagraph.data.schema import ColumnSpec, StreamSchema
from slagraph.data.tables import Column, Deferred

EXAMPLE_TIME = "2026-01-05T10:15:00Z"
_MAX_SHOWN = 60


@attrs.frozen(eq=False)
class Problem:
    """Rows failing one check. `describe(i)` words the message for row index `i`."""

    mask: np.ndarray
    column: str | None
    describe: Callable[[int], str]


@attrs.frozen
class RowError:
    """A bad row found while reading (before the table exists), by source row number."""

    row: int
    column: str | None
    message: str


def shown(value: object) -> str:
    """A value as quoted in messages: strings in quotes, long ones cut."""
    if isinstance(value, str):
        text = value if len(value) <= _MAX_SHOWN else value[: _MAX_SHOWN - 1] + "…"
        return "'" + text.replace("'", "\\'") + "'"
    return repr(value)


def format_ns(ns: int) -> str:
    """An instant as ISO-8601 UTC, for messages."""
    text = str(np.datetime64(int(ns), "ns"))
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return text + "Z"


def _deferred_time(ns: pa.ChunkedArray) -> Column:
    """A checked timestamp[ns, UTC] column, copied out of Arrow when first read."""
    valid = valid_mask(ns)
    copy = functools.partial(_time_values, valid=valid)  # the bitmaps are unpacked once
    return Column("time", None, valid, bounds=_bounds(ns), source=Deferred(ns, copy))


def _time_values(ns: pa.ChunkedArray, valid: np.ndarray | None) -> tuple[np.ndarray, None]:
    return fixed_values(ns, np.int64, 0, valid=valid)[0], None


def _bounds(ns: pa.ChunkedArray) -> tuple[int, int] | None:
    """(earliest, latest) non-null value of a timestamp[ns] column, None when all null."""
    found = pc.min_max(ns)
    low, high = found["min"], found["max"]
    if not low.is_valid:
        return None
    return low.cast(pa.int64()).as_py(), high.cast(pa.int64()).as_py()


def _as_string(array: pa.ChunkedArray) -> pa.ChunkedArray:
    if arrow_kind(array.type) == "dictstring":
        return pc.cast(array, pa.string())
    return array


def _type_name(t: pa.DataType) -> str:
    return {
        "int": "an integer",
        "float": "a number",
        "bool": "a bool",
        "string": "text",
        "dictstring": "text",
        "timestamp": "a timestamp",
    }.get(arrow_kind(t), f"a {t} value")


class ColumnConverter:
    """Converts one Arrow column to a `Column` for a declared `ColumnSpec`.

    `from_text` is true for text formats (CSV): strings there are the only encoding, so
    numbers and bools are parsed from them. Elsewhere a string in a number column is a
    type error, because the source had a way to say "number" and did not.
    """

    def __init__(
        self,
        schema: StreamSchema,
        spec: ColumnSpec,
        from_text: bool,
        known: np.ndarray | None = None,
    ) -> None:
        self.schema = schema
        self.spec = spec
        self.from_text = from_text
        self.known = known  # text whose values must be among these (accounts): coded so
        self.problems: list[Problem] = []

    def convert(self, array: pa.ChunkedArray) -> Column:
        if isinstance(array, pa.Array):
            array = pa.chunked_array([array], type=array.type)
        if self.schema.nulls is not None and not self.from_text:  # CSV: pyarrow did it
            array = _null_tokens(array, self.schema.nulls)
        column = getattr(self, "_" + self.spec.type)(array)
        if not self.spec.nullable:
            self._check_nulls(array, column)
        return column

    # ---- helpers

    def _problem(self, mask: np.ndarray, describe: Callable[[int], str]) -> None:
        if mask.any():
            self.problems.append(Problem(mask, self.spec.name, describe))

    def _got(self, array: pa.ChunkedArray, i: int) -> str:
        return shown(array[i].as_py())

    def _wrong_type(self, array: pa.ChunkedArray, expected: str) -> np.ndarray:
        """Every non-null value is wrong: the column's type itself does not fit."""
        mask = filled(array.is_valid(), False)
        self._problem(
            mask,
            lambda i: (
                f"expected {expected}, got {self._got(array, i)} ({_type_name(array.type)} column)"
            ),
        )
        return mask

    def _check_nulls(self, array: pa.ChunkedArray, column: Column) -> None:
        if array.null_count == 0:
            return
        mask = ~filled(array.is_valid(), False)
        spec = self.spec
        self._problem(
            mask,
            lambda i: (
                f"expected {expected_text(spec, self.schema)}, got an empty "
                f"value (null); declare '{spec.name}: {spec.type}?' to allow nulls"
            ),
        )

    @staticmethod
    def _finish(
        values: np.ndarray,
        valid: np.ndarray | None,
        bad: np.ndarray | None,
        type_: str,
        dictionary: np.ndarray | None = None,
    ) -> Column:
        if bad is not None and bad.any():
            valid = (~bad) if valid is None else (valid & ~bad)
        if valid is not None and valid.all():
            valid = None
        return Column(type_, values, valid, dictionary)

    # ---- per type

    def _text(self, array: pa.ChunkedArray) -> Column:
        kind = arrow_kind(array.type)
        if kind == "null":
            return Column(
                "text", np.full(len(array), -1, np.int32), _none(len(array)), np.array([], object)
            )
        if kind not in ("string", "dictstring"):
            self._wrong_type(array, "text")
            return Column(
                "text", np.full(len(array), -1, np.int32), _none(len(array)), np.array([], object)
            )
        if self.known is not None and kind == "string":
            coded = encode_among(array, self.known)
            if coded is not None:
                return self._finish(coded, valid_mask(array), None, "text", self.known)
        valid = valid_mask(array)
        if kind == "string" or self.known is None:  # coded when first needed (`Deferred`)
            # Parquet's text comes as dictionary chunks, one dictionary per row group:
            # coding unifies them (costly: docs/performance.md), which a filter answered on
            # each dictionary (`strings.equal_any`) or a clock's key read as integers
            # (`engine/clock_order.py`) never needs.
            return Column("text", None, valid, source=Deferred(array, encode_text))
        codes, dictionary = encode_text(array)
        return self._finish(codes, valid, None, "text", dictionary)

    def _number(self, array: pa.ChunkedArray) -> Column:
        kind = arrow_kind(array.type)
        n = len(array)
        if kind in ("int", "float"):
            values = filled(pc.cast(array, pa.float64()), np.nan)
        elif kind == "null":
            return Column("number", np.full(n, np.nan), _none(n))
        elif kind in ("string", "dictstring") and self.from_text:
            strings = pc.utf8_trim_whitespace(_as_string(array))  # ' 1 ' is 1, as in pandas
            expected = "a number"
            if self.schema.decimal == ",":  # 1.234,5: dots group thousands
                expected = "a number with a decimal comma, like 1.234,5 or 12,5"
                ok = pc.match_substring_regex(strings, _DECIMAL_COMMA_RE)
                strings = pc.replace_substring(pc.replace_substring(strings, ".", ""), ",", ".")
            else:
                ok = pc.match_substring_regex(strings, _NUMBER_RE)
            bad = filled(pc.invert(ok), False)
            self._problem(bad, lambda i: f"expected {expected}, got {self._got(array, i)}")
            values = filled(pc.cast(pc.if_else(ok, strings, None), pa.float64()), np.nan)
            values = np.where(bad, np.nan, values)
        else:
            self._wrong_type(array, "a number")
            return Column("number", np.full(n, np.nan), _none(n))
        finite = np.isfinite(values)
        if finite.all():  # the common case: one pass, no masks to build
            return self._finish(values, None, None, "number")
        inf = np.isinf(values)
        self._problem(inf, lambda i: f"expected a finite number, got {values[i]!r}")
        # A NaN the source wrote is a bad value, not a null (nullable or not): it would
        # silently leave sums, means and maxima. Nulls were filled with NaN above.
        nan = np.isnan(values)
        valid = valid_mask(array)
        written = nan if valid is None else nan & valid
        if kind in ("string", "dictstring"):
            written &= ~bad
        self._problem(written, lambda i: f"expected a number, got {self._nan_text(array, i)}")
        return self._finish(values, ~nan if nan.any() else None, inf | written, "number")

    def _nan_text(self, array: pa.ChunkedArray, i: int) -> str:
        value = array[i].as_py()
        return shown(value.strip()) if isinstance(value, str) else "'NaN'"

    def _bool(self, array: pa.ChunkedArray) -> Column:
        kind = arrow_kind(array.type)
        n = len(array)
        valid = valid_mask(array)
        if kind == "bool":
            return self._finish(filled(array, False), valid, None, "bool")
        if kind == "null":
            return Column("bool", np.zeros(n, bool), _none(n))
        expected = "a bool (true/false or 1/0)"
        if kind == "int":
            ints = filled(array, 0)
            bad = (ints != 0) & (ints != 1)
            if valid is not None:
                bad &= valid
            self._problem(bad, lambda i: f"expected {expected}, got {self._got(array, i)}")
            return self._finish(ints == 1, valid, bad, "bool")
        if kind in ("string", "dictstring"):
            lower = pc.utf8_lower(_as_string(array))
            true = filled(pc.is_in(lower, pa.array(["true", "1"])), False)
            false = filled(pc.is_in(lower, pa.array(["false", "0"])), False)
            bad = ~(true | false)
            if valid is not None:
                bad &= valid
            self._problem(bad, lambda i: f"expected {expected}, got {self._got(array, i)}")
            return self._finish(true, valid, bad, "bool")
        self._wrong_type(array, expected)
        return Column("bool", np.zeros(n, bool), _none(n))

    def _time(self, array: pa.ChunkedArray) -> Column:
        kind = arrow_kind(array.type)
        n = len(array)
        zone = self.schema.timezone
        expected = expected_text(self.spec, self.schema)
        if kind == "null":
            return Column("time", np.zeros(n, np.int64), _none(n))
        if kind == "timestamp":
            array = self._time_range(array, expected)
            if array.type.tz is not None:
                return _deferred_time(pc.cast(array, pa.timestamp("ns", "UTC")))
            wall, valid = fixed_values(pc.cast(array, pa.timestamp("ns")), np.int64, 0)
            if zone is None:
                bad = filled(array.is_valid(), False)
                self._problem(
                    bad,
                    lambda i: (
                        f"expected {expected}, got "
                        f"{format_ns(wall[i])[:-1]} (a naive timestamp column; "
                        f"{_NAIVE_HINT})"
                    ),
                )
                return self._finish(wall, valid, bad, "time")
            far = self._zoned_range(wall, valid, lambda w, i: format_ns(w[i])[:-1])
            return self._finish(times.localize(wall, zone), valid, far, "time")
        if kind not in ("string", "dictstring"):
            self._wrong_type(array, expected)
            return Column("time", np.zeros(n, np.int64), _none(n))
        strings = _as_string(array)
        fmt = self.schema.time_format
        if fmt is None:
            try:  # Arrow's parser: one pass, no per-row bookkeeping
                if zone is None:
                    return _deferred_time(pc.cast(strings, pa.timestamp("ns", "UTC")))
                wall, valid = fixed_values(pc.cast(strings, pa.timestamp("ns")), np.int64, 0)
                far = self._zoned_range(wall, valid, lambda w, i: self._got(array, i))
                return self._finish(times.localize(wall, zone), valid, far, "time")
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
        valid = valid_mask(strings)
        if fmt is None:
            parsed = times.parse_iso(strings.combine_chunks())
        else:  # `time format`: read strictly, field by field (see time_formats)
            parsed = time_formats.parse(strings.combine_chunks(), _format(fmt))
        status = parsed.status
        values = parsed.ns.copy()
        naive = status == times.NAIVE
        if zone is not None:
            near = naive & ~times.zoned_fits(values)
            if near.any():
                status = status.copy()
                status[near] = times.OUT_OF_RANGE
                values[near] = 0
                naive &= ~near
            values[naive] = times.localize(values[naive], zone)
        else:
            self._problem(
                naive,
                lambda i: (
                    f"expected {expected}, got {self._got(array, i)} (naive time; {_NAIVE_HINT})"
                ),
            )
        not_time = status == times.NOT_A_TIME
        self._problem(not_time, lambda i: f"expected {expected}, got {self._got(array, i)}")
        far = status == times.OUT_OF_RANGE
        self._problem(
            far,
            lambda i: f"expected {expected}, got {self._got(array, i)} ({_RANGE_HINT})",
        )
        bad_date = status == times.BAD_DATE
        self._problem(
            bad_date,
            lambda i: (
                f"expected {expected}, got {self._got(array, i)} "
                "(no such date, time of day or offset)"
            ),
        )
        bad = not_time | bad_date | far | (naive if zone is None else False)
        return self._finish(values, valid, bad, "time")

    def _zoned_range(
        self,
        wall: np.ndarray,
        valid: np.ndarray | None,
        got: Callable[[np.ndarray, int], str],
    ) -> np.ndarray | None:
        """Naive times too near the ends of the ns range to read in a zone: reported,
        and set to 0 in `wall` (in place) so `localize` cannot wrap round."""
        far = ~times.zoned_fits(wall)
        if valid is not None:
            far &= valid
        if not far.any():
            return None
        expected = expected_text(self.spec, self.schema)
        before = wall.copy()
        self._problem(far, lambda i: f"expected {expected}, got {got(before, i)} ({_RANGE_HINT})")
        wall[far] = 0
        return far

    def _time_range(self, array: pa.ChunkedArray, expected: str) -> pa.ChunkedArray:
        """A timestamp column with the values ns cannot hold reported and nulled, so the
        cast to ns that follows neither fails nor wraps round."""
        far = times.out_of_range(array)
        if not far.any():
            return array
        unit, zone = array.type.unit, array.type.tz

        def describe(i: int) -> str:
            value = int(pc.cast(array.slice(i, 1), pa.int64())[0].as_py())
            text = str(np.datetime64(value, unit))
            text = text.rstrip("0").rstrip(".") if "." in text else text
            text += "Z" if zone is not None else ""
            return f"expected {expected}, got {text} ({_RANGE_HINT})"

        self._problem(far, describe)
        return pc.if_else(pa.array(far), pa.scalar(None, array.type), array)


_NUMBER_RE = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"
_DECIMAL_COMMA_RE = r"^[+-]?(\d{1,3}(\.\d{3})+(,\d*)?|\d+(,\d*)?|,\d+)([eE][+-]?\d+)?$"
_format = functools.cache(time_formats.compile_format)


def _null_tokens(array: pa.ChunkedArray, tokens: Sequence[str]) -> pa.ChunkedArray:
    """Text values that are one of the stream's `nulls` tokens, made null (formats other
    than CSV, whose reader is told the tokens; typed values are never tokens)."""
    if arrow_kind(array.type) not in ("string", "dictstring") or not tokens:
        return array
    strings = _as_string(array)
    hit = pc.is_in(strings, value_set=pa.array(list(tokens), pa.string()))
    if not pc.any(hit).as_py():
        return array
    return pc.if_else(hit, pa.scalar(None, pa.string()), strings)


_RANGE_HINT = f"out of range: {times.RANGE_TEXT}"
_NAIVE_HINT = 'declare timezone "Area/City" on the stream to read naive times'


def expected_text(spec: ColumnSpec, schema: StreamSchema) -> str:
    if spec.type == "time" and schema.time_format is not None:
        zone = f", read in {schema.timezone}" if schema.timezone else ""
        example = _format(schema.time_format).example
        return f'a time like {example} (time format "{schema.time_format}"{zone})'
    if spec.type == "time":
        if schema.timezone:
            return f"a time like {EXAMPLE_TIME} or 2026-01-05 10:15:00 (read in {schema.timezone})"
        return f"a time with an offset like {EXAMPLE_TIME}"
    return {"text": "text", "number": "a number", "bool": "a bool (true/false or 1/0)"}[spec.type]


def _none(n: int) -> np.ndarray:
    return np.zeros(n, bool)


def convert_column(
    schema: StreamSchema,
    spec: ColumnSpec,
    array: pa.ChunkedArray,
    from_text: bool,
    known: np.ndarray | None = None,
) -> tuple[Column, list[Problem]]:
    """One declared column converted, and the problems found in it. Columns are
    independent, so the loader converts several at once on worker threads (Arrow and
    numpy release the GIL in the conversions). `known`: the values a text column must
    take (the accounts table's, for a stream's account column)."""
    converter = ColumnConverter(schema, spec, from_text, known)
    column = converter.convert(array)
    return column, converter.problems


def convert_columns(
    schema: StreamSchema, table: pa.Table, from_text: bool
) -> tuple[dict[str, Column], list[Problem]]:
    """Every declared column converted, and the problems found, in declaration order."""
    columns: dict[str, Column] = {}
    problems: list[Problem] = []
    for spec in schema.columns:
        columns[spec.name], found = convert_column(schema, spec, table.column(spec.name), from_text)
        problems.extend(found)
    return columns, problems
