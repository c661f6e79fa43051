"""The error tree. Every error a user can cause is a `SlaError` that knows where it happened.

DSL errors carry a `Span` (file, line, column) and render the source line with a caret;
data errors carry a `DataLocation` (stream, row, column). The CLI prints `str(error)` and
never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import attrs


class Span(NamedTuple):
    """A region of source text. Lines and columns are 1-based; positions are 0-based offsets.

    A named tuple rather than an attrs class: the parser makes one per node and kept token,
    and a tuple is much quicker to build (docs/performance.md, "Figures behind the code")."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    start_pos: int = 0
    end_pos: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@attrs.frozen
class DataLocation:
    """Where in the input data something went wrong. `row` is 1-based, as in the file.
    `header`: the column's name in the file, when the declaration renames it."""

    stream: str
    row: int | None = None
    column: str | None = None
    header: str | None = None

    def __str__(self) -> str:
        parts = [f"stream '{self.stream}'"]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
            if self.header is not None:
                parts[-1] += f' ("{self.header}" in the file)'
        return ", ".join(parts)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest candidate, or '' when nothing is close."""
    import difflib  # only on the way to an error message

    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def caret_excerpt(source: str, span: Span) -> str:
    """The source line of `span` with a caret (or underline) under the offending text."""
    lines = source.split("\n")  # as the lexer counts lines: a form feed is not a break
    if not 1 <= span.line <= len(lines):
        return ""
    text = lines[span.line - 1].rstrip("\r").expandtabs(1)
    width = 1
    if span.end_line == span.line and span.end_column > span.column:
        width = span.end_column - span.column
    gutter = f"{span.line} | "
    pad = " " * (len(gutter) - 2) + "| "
    return f"{gutter}{text}\n{pad}{' ' * (span.column - 1)}{'^' * width}"


def located(kind: str, message: str, span: Span | None, source: str | None) -> str:
    """`file:line:col: KIND: message`, then the source line with a caret (errors and
    `check --strict` warnings alike)."""
    if span is None:
        return f"{kind}: {message}"
    head = f"{span}: {kind}: {message}"
    excerpt = caret_excerpt(source, span) if source else ""
    return f"{head}\n{excerpt}" if excerpt else head


class SlaError(Exception):
    """Root of every error slagraph raises on bad input."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class SlaSourceError(SlaError):
    """An error located in `.sla` source text."""

    kind = "error"

    def __init__(self, message: str, span: Span | None = None, source: str | None = None) -> None:
        super().__init__(message)
        self.span = span
        self.source = source

    def __reduce__(self) -> tuple[Any, ...]:  # pickled whole (errors raised on Dask workers)
        return (type(self), (self.message, self.span, self.source))

    def __str__(self) -> str:
        return located(self.kind, self.message, self.span, self.source)


class SlaSyntaxError(SlaSourceError):
    """The text is not in the language: bad token, missing brace, input too large or deep."""

    kind = "syntax error"


class SlaCompileError(SlaSourceError):
    """The text parses but means nothing: unknown or duplicate names, type errors, cycles."""

    kind = "compile error"


class SlaDataError(SlaError):
    """An event table does not match its declared stream, or holds impossible values."""

    def __init__(self, message: str, location: DataLocation | None = None) -> None:
        super().__init__(message)
        self.location = location

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.location))

    def __str__(self) -> str:
        if self.location is None:
            return f"data error: {self.message}"
        return f"data error: {self.location}: {self.message}"


class SlaUsageError(SlaError):
    """A call that cannot be answered as asked: unknown account, period or node, bad option."""


class SlaTestFileError(SlaUsageError):
    """An agreement's test file (`slagraph test`) is not valid: bad TOML, an unknown or
    mistyped key. Located at the file's line where it can be, and the case it is in."""

    def __init__(
        self, message: str, file: str, line: int | None = None, case: str | None = None
    ) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.case = case

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.file, self.line, self.case))

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        case = f"case '{self.case}': " if self.case is not None else ""
        return f"{where}: {case}{self.message}"


class SlaWarning(UserWarning):
    """Something an evaluation did as asked but that is probably not what was meant (a
    placeholder date stretching the evaluated range over decades); issued with
    `warnings.warn`, so the host decides how it is shown. The CLI prints it on stderr."""


@attrs.frozen
class StrictWarning:
    """What `slagraph check --strict` reports (docs/authoring.md, "Strict checks"): the
    file compiles, but an agreement in it cannot be met, is trivially met, or declares
    what nothing reads. `code` names the check; `str()` is formatted like a compile error."""

    code: str  # "series-targets" | "no-budget" | "trivial-target" | "unused" | "credit-tier"
    # | "no-accounts" (with data)
    message: str
    span: Span | None = None
    source: str | None = attrs.field(default=None, eq=False, repr=False)

    def __str__(self) -> str:
        return located("warning", self.message, self.span, self.source)
