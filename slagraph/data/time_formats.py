"""`time format "%d/%m/%Y %H:%M"`: strftime codes read strictly and vectorised.

Arrow's `strptime` is the platform's, and glibc's rolls an impossible date over
(`31/02/2016` becomes 2 March) without a word. So a format is translated once into a
regular expression with one named group per field; `pc.extract_regex` splits every value
in one pass, and `times.assemble` judges the fields exactly as it judges ISO-8601 times
(no such date, offset out of range, outside the ns range). Only the codes below are
accepted; anything else is a compile error, so a format never means something other
than what it says.
"""

from __future__ import annotations

import datetime as dt
import re

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slagraph.data import times

_MONTHS = (
    "january february march april may june july august september october november december"
).split()
_DAYS = "monday tuesday wednesday thursday friday saturday sunday".split()

# code → (group name, regular expression). Numbers take one or two digits where
# strptime does ("5/3/2016" and "05/03/2016" both read with %d/%m/%Y).
CODES: dict[str, tuple[str | None, str]] = {
    "Y": ("y", r"\d{4}"),
    "y": ("y2", r"\d{2}"),
    "m": ("mo", r"\d{1,2}"),
    "d": ("d", r"\d{1,2}"),
    "e": ("d", r"\d{1,2}"),
    "H": ("h", r"\d{1,2}"),
    "I": ("h12", r"\d{1,2}"),
    "p": ("p", r"(?i:am|pm)"),
    "M": ("mi", r"\d{1,2}"),
    "S": ("s", r"\d{1,2}"),
    "f": ("f", r"\d{1,9}"),
    "z": ("z", r"Z|[+-]\d{2}(?::?\d{2})?"),
    "b": ("mon", "(?i:" + "|".join(m[:3] for m in _MONTHS) + ")"),
    "B": ("mon", "(?i:" + "|".join(_MONTHS) + ")"),
    "a": (None, "(?i:" + "|".join(d[:3] for d in _DAYS) + ")"),
    "A": (None, "(?i:" + "|".join(_DAYS) + ")"),
}
_SHORTHANDS = {"T": "%H:%M:%S", "R": "%H:%M", "F": "%Y-%m-%d", "D": "%m/%d/%y"}
SUPPORTED = "%Y %y %m %d %e %H %I %p %M %S %f %z %b %B %a %A %T %R %F %D %%"


@attrs.frozen
class TimeFormat:
    """A checked `time format`: its text, its regular expression, whether it reads an
    offset (`%z`; without one every value is a naive wall-clock time)."""

    text: str
    pattern: str
    has_zone: bool

    @property
    def example(self) -> str:
        """2026-01-05 10:15 UTC written in this format, for messages."""
        return dt.datetime(2026, 1, 5, 10, 15, tzinfo=dt.UTC).strftime(self.text)


def compile_format(text: str) -> TimeFormat:
    """The format's regular expression. Raises ValueError with the reason."""
    expanded = text
    pattern = []
    groups: set[str] = set()
    i = 0
    while i < len(expanded):
        c = expanded[i]
        if c != "%":
            pattern.append(r"\s*" if c.isspace() else re.escape(c))
            i += 1
            continue
        code = expanded[i + 1 : i + 2]
        if code in _SHORTHANDS:
            expanded = expanded[:i] + _SHORTHANDS[code] + expanded[i + 2 :]
            continue
        i += 2
        if code == "%":
            pattern.append("%")
            continue
        if code not in CODES:
            raise ValueError(
                f"'%{code}' is not a time format code slagraph reads; use {SUPPORTED}"
                if code
                else "a format cannot end with '%'"
            )
        group, regex = CODES[code]
        if group is None:
            pattern.append(f"(?:{regex})")
            continue
        if group in groups or (group in ("y", "y2") and {"y", "y2"} & groups):
            raise ValueError(f"'%{code}' reads a field the format already reads")
        groups.add(group)
        pattern.append(f"(?P<{group}>{regex})")
    missing = [
        name
        for name, have in (
            ("year (%Y or %y)", {"y", "y2"} & groups),
            ("month (%m, %b or %B)", {"mo", "mon"} & groups),
            ("day (%d)", "d" in groups),
        )
        if not have
    ]
    if missing:
        raise ValueError(f"the format reads no {', no '.join(missing)}")
    if ("h12" in groups) != ("p" in groups):
        raise ValueError("%I (12-hour clock) and %p (AM/PM) go together")
    if "h" in groups and "h12" in groups:
        raise ValueError("%H and %I both read the hour")
    return TimeFormat(text, r"^\s*" + "".join(pattern) + r"\s*$", "z" in groups)


def _field(parts: pa.StructArray, names: list[str], name: str, default: int) -> np.ndarray:
    if name not in names:
        return np.full(len(parts), default, np.int64)
    field = parts.field(name)
    filled = pc.if_else(pc.equal(field, ""), str(default), field)
    return np.asarray(pc.cast(filled, pa.int64()).to_numpy(zero_copy_only=False), np.int64)


def parse(strings: pa.Array, fmt: TimeFormat) -> times.ParsedTimes:
    """Every value read with `fmt` and classified like `times.parse_iso`: OK (with an
    offset), NAIVE (wall clock), NOT_A_TIME (does not match), BAD_DATE, OUT_OF_RANGE.

    Exports repeat times a lot (an incident's `opened_at` on each of its updates), so
    the distinct values are parsed and the result gathered: one hash per row instead of
    one regular-expression match."""
    encoded = pc.dictionary_encode(strings)
    once = _parse(encoded.dictionary, fmt)
    valid = np.asarray(strings.is_valid().to_numpy(zero_copy_only=False), bool)
    codes = np.asarray(pc.fill_null(encoded.indices, 0).to_numpy(zero_copy_only=False))
    if len(once.ns) == 0:  # all null
        zeros = np.zeros(len(strings), np.int64)
        return times.ParsedTimes(zeros, zeros.astype(np.int8), valid)
    return times.ParsedTimes(once.ns[codes], np.where(valid, once.status[codes], times.OK), valid)


def _parse(strings: pa.Array, fmt: TimeFormat) -> times.ParsedTimes:
    n = len(strings)
    valid = np.asarray(strings.is_valid().to_numpy(zero_copy_only=False), bool)
    parts = pc.extract_regex(pc.fill_null(strings, ""), fmt.pattern)
    matched = np.asarray(parts.is_valid().to_numpy(zero_copy_only=False), bool)
    names = [parts.type.field(k).name for k in range(parts.type.num_fields)]
    parts = pc.fill_null(parts, pa.scalar(dict.fromkeys(names, ""), type=parts.type))
    if "y" in names:
        year = _field(parts, names, "y", 1970)
    else:  # POSIX: 69–99 are 19xx, 00–68 20xx
        y2 = _field(parts, names, "y2", 70)
        year = np.where(y2 >= 69, 1900 + y2, 2000 + y2)
    if "mon" in names:
        lower = pc.utf8_lower(parts.field("mon"))
        full = pc.index_in(lower, value_set=pa.array(_MONTHS))
        short = pc.index_in(lower, value_set=pa.array([m[:3] for m in _MONTHS]))
        index = pc.fill_null(pc.coalesce(full, short), 0)
        month = np.asarray(index.to_numpy(zero_copy_only=False), np.int64) + 1
    else:
        month = _field(parts, names, "mo", 1)
    day = _field(parts, names, "d", 1)
    clock_ok: np.ndarray | bool = True
    if "h12" in names:
        h12 = _field(parts, names, "h12", 12)
        pm = np.asarray(
            pc.equal(pc.utf8_lower(parts.field("p")), "pm").to_numpy(zero_copy_only=False), bool
        )
        clock_ok = (h12 >= 1) & (h12 <= 12)
        hour = h12 % 12 + np.where(pm, 12, 0)
    else:
        hour = _field(parts, names, "h", 0)
    minute = _field(parts, names, "mi", 0)
    second = _field(parts, names, "s", 0)
    if "f" in names:
        frac = pc.utf8_rpad(parts.field("f"), 9, "0")
        ns = _field(pa.StructArray.from_arrays([frac], ["f"]), ["f"], "f", 0)
    else:
        ns = np.zeros(n, np.int64)
    if "z" in names:
        z = parts.field("z")
        has_zone = np.asarray(pc.not_equal(z, "").to_numpy(zero_copy_only=False), bool)
        digits = pc.replace_substring(pc.utf8_slice_codeunits(z, 1), ":", "")
        zparts = pa.StructArray.from_arrays(
            [pc.utf8_slice_codeunits(digits, 0, 2), pc.utf8_slice_codeunits(digits, 2, 4)],
            ["zh", "zm"],
        )
        zh = _field(zparts, ["zh", "zm"], "zh", 0)
        zm = _field(zparts, ["zh", "zm"], "zm", 0)
        sign = np.where(pc.starts_with(z, "-").to_numpy(zero_copy_only=False), -1, 1)
    else:
        has_zone = np.zeros(n, bool)
        zh = zm = np.zeros(n, np.int64)
        sign = np.ones(n, np.int64)
    fields = (year, month, day, hour, minute, second, ns)
    return times.assemble(valid, matched, fields, has_zone, sign, zh, zm, clock_ok)
