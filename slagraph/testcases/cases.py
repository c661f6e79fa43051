"""An agreement's test file (`NAME.sla-test.toml`) read into plain values.

TOML, read with the standard library's `tomllib`: an ops team writes it by hand next to
its agreement, and it needs no new dependency. `tomllib` gives no positions, so
`_Lines` finds the line of each table and key by a scan of the text; an error names the
file, that line, the case and the key (docs/authoring.md, "Test files").
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs

from slagraph.data.inline import CsvText
from slagraph.errors import SlaTestFileError, SlaUsageError, did_you_mean
from slagraph.syntax.parser import duration_seconds

SUFFIX = ".sla-test.toml"
STATUSES = ("met", "at_risk", "breached", "no_data")
NUMBER_FIELDS = ("value", "target", "score", "budget_used", "credit_pct", "credit")
BOOL_FIELDS = ("met", "earned_back", "final")
ROW_FIELDS = ("status", *BOOL_FIELDS, *NUMBER_FIELDS, "version")
EXPECT_KEYS = ("node", "account", "period", *ROW_FIELDS, "tolerance", "termination")
CASE_KEYS = ("name", "as_of", "account", "period", "data", "expect")
TOP_KEYS = ("model", "data", "case")
REL_TOLERANCE = 1e-9  # numbers are equal to 9 significant digits unless `tolerance` says
ABS_TOLERANCE = 1e-12  # … and a value of 0 is 0 to within this (a float sum of zeros)


@attrs.frozen
class Check:
    """One asserted field of a row. `expected`: a str (status), bool, float, or None (the
    value is asserted null); `written`: as the file wrote it, for messages; `tolerance`:
    an absolute bound, None for the default (equal to 9 significant digits)."""

    field: str
    expected: Any
    written: str
    tolerance: float | None = None


@attrs.frozen
class Expectation:
    """What a case asserts of one (node, account, period) row, and of its termination
    right (`termination`: True, False, or None when not asserted)."""

    line: int | None
    node: str
    account: str
    period: str | None
    checks: tuple[Check, ...]
    termination: bool | None = None


@attrs.frozen
class Case:
    """One test case: its data (stream → CSV text), as-of and expectations."""

    name: str
    line: int | None
    data: Mapping[str, CsvText]
    expects: tuple[Expectation, ...]
    as_of: str | None = None


@attrs.frozen
class CaseFile:
    """A test file: the model it tests (None: `NAME.sla` beside `NAME.sla-test.toml`)."""

    path: Path
    model: Path | None
    cases: tuple[Case, ...]


def model_beside(path: Path) -> Path | None:
    """`support.sla` for `support.sla-test.toml` (the naming convention)."""
    if not path.name.endswith(SUFFIX):
        return None
    return path.with_name(path.name[: -len(SUFFIX)] + ".sla")


def read_case_file(path: str | Path) -> CaseFile:
    """Read and check a test file; raises `SlaTestFileError` with its location."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise SlaTestFileError(f"cannot read the test file: {reason}", name) from e
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(e))
        line = int(found.group(1)) if found else None
        column = f" (column {found.group(2)})" if found else ""
        raise SlaTestFileError(f"not valid TOML: {message}{column}", name, line) from e
    return _Reader(name, _Lines(text)).file(path, doc)


class _Lines:
    """The line of each table header and key, by section: ("",) the top, ("case", i),
    ("case", i, "data"), ("case", i, "expect", j), ("data",). Multi-line strings (the CSV
    data) are skipped over."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*(#.*)?$")
    _KEY = re.compile(r"^\s*([A-Za-z0-9_-]+|\"[^\"]*\")\s*=\s*(.*)$")

    def __init__(self, text: str) -> None:
        self.keys: dict[tuple[Any, ...], dict[str, tuple[int, str]]] = {}
        self.headers: dict[tuple[Any, ...], int] = {}
        section: tuple[Any, ...] = ("",)
        cases = -1
        expects = -1
        inside: str | None = None  # the quote of the multi-line string being skipped
        for number, line in enumerate(text.split("\n"), start=1):
            if inside is not None:
                if line.count(inside) % 2 == 1:
                    inside = None
                continue
            header = self._HEADER.match(line)
            if header:
                table = header.group(2).replace(" ", "")
                if table == "case" and header.group(1) == "[[":
                    cases += 1
                    expects = -1
                    section = ("case", cases)
                elif table == "case.expect" and header.group(1) == "[[":
                    expects += 1
                    section = ("case", cases, "expect", expects)
                elif table == "case.data":
                    section = ("case", cases, "data")
                elif table == "data":
                    section = ("data",)
                else:
                    section = ("other", table)
                self.headers.setdefault(section, number)
                continue
            key = self._KEY.match(line)
            if key:
                rest = key.group(2)
                self.keys.setdefault(section, {}).setdefault(
                    key.group(1).strip('"'), (number, rest)
                )
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        inside = quote

    def of(self, section: tuple[Any, ...], key: str | None = None) -> int | None:
        """The line of `key` in `section`, else of the section's header; for a table
        written inline (`expect = [{…}]`), the line of its key in the case."""
        if key is not None and key in self.keys.get(section, {}):
            return self.keys[section][key][0]
        if section in self.headers:
            return self.headers[section]
        if len(section) > 2:
            return self.of(section[:2], section[2])
        return None

    def text_start(self, section: tuple[Any, ...], key: str) -> int:
        """The line a multi-line string value's first line is on (TOML drops a newline
        right after the opening quotes)."""
        line, rest = self.keys.get(section, {}).get(key, (1, ""))
        for quote in ('"""', "'''"):
            if rest.startswith(quote) and not rest[3:].strip():
                return line + 1
        return line


class _Reader:
    """Checks a parsed document key by key, each error at its line."""

    def __init__(self, file: str, lines: _Lines) -> None:
        self.name = file
        self.lines = lines

    def fail(
        self,
        message: str,
        section: tuple[Any, ...],
        key: str | None = None,
        case: str | None = None,
    ) -> SlaTestFileError:
        return SlaTestFileError(message, self.name, self.lines.of(section, key), case)

    def known(
        self,
        table: Mapping[str, Any],
        keys: tuple[str, ...],
        section: tuple[Any, ...],
        case: str | None,
    ) -> None:
        for key in table:
            if key not in keys:
                hint = did_you_mean(key, keys)
                raise self.fail(
                    f"unknown key '{key}'{hint}; known here: {', '.join(keys)}", section, key, case
                )

    def file(self, path: Path, doc: dict[str, Any]) -> CaseFile:
        top = ("",)
        self.known(doc, TOP_KEYS, top, None)
        model = doc.get("model")
        if model is not None and not isinstance(model, str):
            raise self.fail(
                "'model' must be a path (text), relative to the test file", top, "model"
            )
        shared = self.data(doc.get("data", {}), ("data",), top, None)
        cases = doc.get("case")
        if cases is None or cases == []:
            raise self.fail("no test cases: add at least one [[case]] table", top)
        if not isinstance(cases, list) or not all(isinstance(c, dict) for c in cases):
            raise self.fail("'case' must be an array of tables ([[case]])", top, "case")
        read = tuple(self.case(i, c, shared) for i, c in enumerate(cases))
        seen: set[str] = set()
        for case in read:
            if case.name in seen:
                raise SlaTestFileError("two cases have this name", self.name, case.line, case.name)
            seen.add(case.name)
        beside = Path(os.path.normpath(path.parent / model)) if model is not None else None
        return CaseFile(path, beside, read)

    def data(
        self, table: Any, section: tuple[Any, ...], owner: tuple[Any, ...], case: str | None
    ) -> dict[str, CsvText]:
        if not isinstance(table, dict):
            raise self.fail("'data' must be a table of stream = CSV text", owner, "data", case)
        out = {}
        for stream, text in table.items():
            if not isinstance(text, str):
                raise self.fail(
                    f'data \'{stream}\' must be CSV text (a """…""" string), got {_kind(text)}',
                    section,
                    stream,
                    case,
                )
            out[stream] = CsvText(text, self.name, self.lines.text_start(section, stream))
        return out

    def case(self, i: int, table: dict[str, Any], shared: dict[str, CsvText]) -> Case:
        section = ("case", i)
        name = table.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self.fail("every [[case]] needs a 'name' (text)", section, "name")
        self.known(table, CASE_KEYS, section, name)
        as_of = table.get("as_of")
        if isinstance(as_of, dt.datetime):
            if as_of.tzinfo is None:
                raise self.fail(
                    "'as_of' needs an offset, e.g. 2026-02-01T00:00:00Z", section, "as_of", name
                )
            as_of = as_of.isoformat()
        elif as_of is not None and not isinstance(as_of, str):
            raise self.fail(
                f"'as_of' must be a time with offset, got {_kind(as_of)}", section, "as_of", name
            )
        if as_of is not None:
            from slagraph.engine import to_ns  # the check `eval --as-of` makes

            try:
                to_ns(as_of, "'as_of'")
            except SlaUsageError as e:
                raise self.fail(e.message, section, "as_of", name) from None
        defaults = {}
        for key in ("account", "period"):
            if key in table and not isinstance(table[key], str):
                raise self.fail(
                    f"'{key}' must be text, got {_kind(table[key])}", section, key, name
                )
            defaults[key] = table.get(key)
        data = {**shared, **self.data(table.get("data", {}), (*section, "data"), section, name)}
        expects = table.get("expect")
        if not expects:
            raise self.fail("a case needs at least one [[case.expect]] table", section, None, name)
        if not isinstance(expects, list) or not all(isinstance(e, dict) for e in expects):
            raise self.fail(
                "'expect' must be an array of tables ([[case.expect]])", section, "expect", name
            )
        read = tuple(
            self.expect((*section, "expect", j), e, defaults, name) for j, e in enumerate(expects)
        )
        return Case(name, self.lines.of(section), data, read, as_of)

    def expect(
        self, section: tuple[Any, ...], table: dict[str, Any], defaults: dict[str, Any], case: str
    ) -> Expectation:
        self.known(table, EXPECT_KEYS, section, case)
        fields = {**{k: v for k, v in defaults.items() if v is not None}, **table}
        for key in ("node", "account"):
            if not isinstance(fields.get(key), str):
                got = "nothing" if key not in fields else _kind(fields[key])
                where = " (or on its case)" if key == "account" else ""
                raise self.fail(
                    f"an expectation needs '{key}' (text){where}, got {got}", section, key, case
                )
        period = fields.get("period")
        if period is not None and not isinstance(period, str):
            raise self.fail(
                f"'period' must be text like \"2026-01\", got {_kind(period)}",
                section,
                "period",
                case,
            )
        tolerance = None
        if "tolerance" in table:
            tolerance = self.number(table["tolerance"], section, "tolerance", case)
            if tolerance is None or tolerance < 0:
                raise self.fail("'tolerance' must be a number ≥ 0", section, "tolerance", case)
        checks = []
        for key in ROW_FIELDS:
            if key not in table:
                continue
            value = table[key]
            if key == "status":
                if value not in STATUSES:
                    hint = did_you_mean(str(value), STATUSES)
                    raise self.fail(
                        f"'status' must be one of {', '.join(STATUSES)}, got {value!r}{hint}",
                        section,
                        key,
                        case,
                    )
                checks.append(Check(key, value, value))
            elif key == "version":  # the effective date of the version judging the row
                written = value.isoformat() if isinstance(value, dt.date) else value
                if not isinstance(written, str) or not _is_date(written):
                    raise self.fail(
                        f"'version' is an effective date such as 2026-07-01, got {value!r}",
                        section,
                        key,
                        case,
                    )
                checks.append(Check(key, written, written))
            elif key in BOOL_FIELDS:
                if not isinstance(value, bool):
                    raise self.fail(
                        f"'{key}' must be true or false, got {_kind(value)}", section, key, case
                    )
                checks.append(Check(key, value, str(value).lower()))
            else:
                number = self.number(value, section, key, case)
                checks.append(Check(key, number, _written(value), tolerance))
        termination = table.get("termination")
        if termination is not None and not isinstance(termination, bool):
            raise self.fail(
                f"'termination' must be true or false, got {_kind(termination)}",
                section,
                "termination",
                case,
            )
        if not checks and termination is None:
            raise self.fail(
                "this expectation asserts nothing: give one of "
                f"{', '.join(ROW_FIELDS)}, termination",
                section,
                None,
                case,
            )
        if checks and period is None:
            raise self.fail(
                "an expectation of a row needs 'period' (or one on its case)",
                section,
                "period",
                case,
            )
        line = self.lines.of(section)
        return Expectation(
            line, fields["node"], fields["account"], period, tuple(checks), termination
        )

    def number(self, value: Any, section: tuple[Any, ...], key: str, case: str) -> float | None:
        """A TOML number, or text: "null", a percentage like "97.5%", a duration like
        "4h30m" (in seconds), or a decimal."""
        if isinstance(value, bool):
            pass
        elif isinstance(value, int | float):
            return float(value)
        elif isinstance(value, str):
            text = value.strip()
            if text == "null":
                return None
            seconds = duration_seconds(text)
            if seconds is not None:
                return float(seconds)
            try:
                if text.endswith("%"):
                    return float(Decimal(text[:-1].strip()) / 100)
                return float(Decimal(text))
            except InvalidOperation:
                pass
        raise self.fail(
            f'\'{key}\' must be a number, "null", a percentage like "97.5%" or a duration '
            f'like "4h", got {_written(value)}',
            section,
            key,
            case,
        )


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a bool)"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"{value!r} ({type(value).__name__})"


def _written(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10
