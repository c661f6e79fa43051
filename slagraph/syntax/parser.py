"""Text → AST. The grammar is `grammar/slagraph.lark`; this module only maps its tree to
`slagraph.syntax.ast` values and turns lark's exceptions into `SlaSyntaxError`s that say,
in words, what was expected at the exact spot.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import re
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, cast

import lark
from lark import Token, Transformer, v_args

from slagraph.errors import SlaSyntaxError, SlaUsageError, Span, did_you_mean
from slagraph.syntax import ast
from slagraph.syntax.lalr import LalrDriver

MAX_SOURCE_CHARS = 8 * 1024 * 1024
MAX_DEPTH = 64
MAX_DURATION_DIGITS = 18
# Literals are checked as they are read (docs/language.md, Limits), so that no value
# changes on its way to the evaluator: a number has at most 15 significant digits and
# is below 10^15 (so it reads back from a float64 exactly as written), a duration fits
# int64 nanoseconds (times are int64 ns), and business days stay within the calendars'
# reach.
MAX_NUMBER_DIGITS = 15
MAX_DURATION_SECONDS = (2**63 - 1) // 1_000_000_000  # 106,751 days, 23:47:16
MAX_BUSINESS_DAYS = 10_000

_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}

# How lark's named terminals read in an error message.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": 'a "string"',
    "NUMBER": "a number",
    "PERCENT": "a percentage like 99.9%",
    "DURATION": "a duration like 15m",
    "BUSINESS_DAYS": "business days like 2bd",
    "DATE": "a date like 2026-01-01",
    "CLOCK": "a time like 09:00",
    "COMPARE": "a comparison (<, <=, >, >=, ==, !=)",
    "OPTIONAL": "'?'",
    "$END": "the end of the file",
}


def grammar_path(name: str = "slagraph.lark") -> Path:
    """A grammar file, inside the installed package or, in a source checkout, `grammar/`."""
    packaged = resources.files("slagraph").joinpath(f"grammar/{name}")
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "grammar" / name


def grammar_text() -> str:
    return grammar_path().read_text(encoding="utf-8")


@functools.cache
def _lark() -> lark.Lark:
    return lark.Lark(
        grammar_text(),
        parser="lalr",
        strict=True,
        propagate_positions=True,
        maybe_placeholders=False,
    )


def keywords() -> frozenset[str]:
    """Every keyword of the language (for suggestions and the formatter's quoting)."""
    return frozenset(
        t.pattern.value
        for t in _lark().terminals
        if isinstance(t.pattern, lark.lexer.PatternStr) and t.pattern.value.isidentifier()
    )


def parse(text: str, file: str = "<string>") -> ast.Module:
    """Parse `.sla` source text into a `Module`; raise `SlaSyntaxError` on bad input.

    Valid input takes the fast path (`parse_fast`); anything it does not accept — every
    error — goes through lark's own parser (`parse_reference`), so that every message and
    its position come from one place.
    """
    text = text.removeprefix("\ufeff")
    module = parse_fast(text, file)
    return module if module is not None else parse_reference(text, file)


def parse_fast(text: str, file: str = "<string>") -> ast.Module | None:
    """`parse` by `lalr.LalrDriver` (lark's tables, no tree), or None where it does not
    accept the text: a syntax error, a bad literal, a tree deeper than MAX_DEPTH."""
    _check_size(text, file)
    try:
        decls = _driver().parse(
            text, file, _Direct(file).callback, _TERMINALS, MAX_DEPTH, _SPANLESS
        )
    except SlaSyntaxError:  # a bad literal: lark decides which error comes first
        return None
    if decls is None:
        return None
    return ast.Module(tuple(decls), file=file, source=text)


def parse_reference(text: str, file: str = "<string>") -> ast.Module:
    """`parse` by lark's tree and the `_ToAst` Transformer: the reference for `parse`'s fast
    path, and the path of every syntax error."""
    _check_size(text, file)
    try:
        tree = _lark().parse(text)
    except lark.exceptions.UnexpectedInput as exc:
        raise _syntax_error(exc, text, file) from exc
    _check_depth(tree, text, file)
    try:
        decls = _ToAst(file).transform(tree)
    except lark.exceptions.VisitError as exc:
        if isinstance(exc.orig_exc, SlaSyntaxError):
            error = exc.orig_exc
            error.source = text
            raise error from None
        raise
    return ast.Module(tuple(decls), file=file, source=text)


def _check_size(text: str, file: str) -> None:
    if len(text) > MAX_SOURCE_CHARS:
        raise SlaSyntaxError(
            f"input too large: {len(text):,} characters, the limit is {MAX_SOURCE_CHARS:,}",
            Span(file, 1, 1, 1, 1),
            text[:200],
        )


# `_ToAst` callbacks that never read their meta: the driver passes them no span.
_SPANLESS = frozenset(
    "start cal_timezone cal_hours days cal_holidays source stream_timezone columns title "
    "parent coverage warn weight name string number percent duration date clock".split()
)


@functools.cache
def _driver() -> LalrDriver:
    driver = LalrDriver(_lark())
    missing = driver.kept_terminals - _TERMINALS.keys()
    if missing:
        raise NotImplementedError(f"no conversion for terminals {sorted(missing)}")
    return driver


def parse_file(path: str | Path) -> ast.Module:
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_SOURCE_CHARS * 4 + 1)
        if len(raw) > MAX_SOURCE_CHARS * 4:
            raise SlaSyntaxError(
                f"input too large: over {MAX_SOURCE_CHARS * 4:,} bytes, "
                f"the limit is {MAX_SOURCE_CHARS:,} characters",
                Span(str(path), 1, 1, 1, 1),
            )
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SlaSyntaxError(
            f"{path} is not UTF-8 text (byte {exc.start}: {exc.reason})",
            Span(str(path), 1, 1, 1, 1),
        ) from None
    except OSError as exc:
        raise SlaUsageError(f"cannot read {path}: {exc.strerror}") from None
    return parse(text, str(path))


# ------------------------------------------------------------------ errors


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    for term in _lark().terminals:
        if term.name == name and isinstance(term.pattern, lark.lexer.PatternStr):
            return f"'{term.pattern.value}'"
    return name.lower()


def _describe_token(token: Token) -> str:
    if token.type == "$END":
        return "end of file"
    if token.type in ("NAME",):
        return f"name '{token}'"
    if token.type in _TERMINAL_WORDS:
        return f"{_TERMINAL_WORDS[token.type].split(' like ')[0].removeprefix('a ')} {token}"
    return f"'{token}'"


_STATEMENTS = frozenset(
    "'allocate' 'at_risk' 'credit' 'earnback' 'include' 'met' 'objective' 'period' "
    "'terminate' 'timezone'".split()
)


def _expected_words(names: set[str]) -> str:
    words = {_describe_terminal(n) for n in names}
    if _STATEMENTS <= words:  # a whole statement position: name the idea, not ten keywords
        words = (words - _STATEMENTS) | {"a statement (objective, credit, met when, include, …)"}
    ordered = sorted(words, key=lambda w: (not w.startswith("'"), w))
    if len(ordered) == 1:
        return ordered[0]
    return ", ".join(ordered[:-1]) + " or " + ordered[-1]


def _syntax_error(exc: lark.exceptions.UnexpectedInput, text: str, file: str) -> SlaSyntaxError:
    line, column = exc.line, exc.column
    if isinstance(exc, lark.exceptions.UnexpectedToken):
        token = exc.token
        expected = set(exc.accepts or exc.expected)
        if token.type == "$END":
            lines = text.splitlines() or [""]
            line, column = len(lines), len(lines[-1]) + 1
            width = 1
        else:
            width = max(1, len(str(token)))
        message = f"unexpected {_describe_token(token)}; expected {_expected_words(expected)}"
        if token.type == "NAME":
            kws = [_describe_terminal(n).strip("'") for n in expected]
            message += did_you_mean(str(token), [k for k in kws if k.isidentifier()])
    elif isinstance(exc, lark.exceptions.UnexpectedCharacters):
        pos = cast(int, exc.pos_in_stream)  # lark types it Optional; UnexpectedCharacters sets it
        char = text[pos] if pos < len(text) else ""
        width = 1
        allowed = set(exc.allowed or ())
        if char == '"':
            message = (
                "unterminated string: a string must close with '\"' on the same line "
                '(strings are one line; the escapes are \\" and \\\\)'
            )
        else:
            message = f"unexpected character {char!r}"
            if allowed and len(allowed) <= 8:
                message += f"; expected {_expected_words(allowed)}"
    else:  # UnexpectedEOF and anything else lark adds
        width = 1
        message = "unexpected end of file"
    span = Span(file, line or 1, column or 1, line or 1, (column or 1) + width)
    return SlaSyntaxError(message, span, text)


def _check_depth(tree: lark.Tree, text: str, file: str) -> None:
    """Reject trees deeper than MAX_DEPTH before the (recursive) transformer sees them."""
    stack: list[tuple[lark.Tree, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            meta = node.meta
            span = Span(file, meta.line, meta.column, meta.line, meta.column + 1)
            raise SlaSyntaxError(
                f"expression nested too deeply (more than {MAX_DEPTH} levels); split it up",
                span,
                text,
            )
        stack.extend((c, depth + 1) for c in node.children if isinstance(c, lark.Tree))


# ------------------------------------------------------------------ tree → AST


@functools.cache
def _callback_names(cls: type) -> tuple[str, ...]:
    return tuple(n for n in dir(cls) if not n.startswith("_") or n == "_literal")


def _span_of_token(file: str, tok: Token) -> Span:
    return Span(
        file,
        tok.line or 1,
        tok.column or 1,
        tok.end_line or tok.line or 1,
        tok.end_column or (tok.column or 1) + len(tok),
        tok.start_pos or 0,
        tok.end_pos or 0,
    )


def _name(text: str, span: Span | None) -> ast.Name:
    return ast.Name(text, span=span)


_ESCAPE = re.compile(r"\\([\"\\])")
_DURATION_PART = re.compile(r"([0-9]+)([wdhms])")


def _string(text: str, span: Span | None) -> ast.String:
    body = text[1:-1]
    return ast.String(_ESCAPE.sub(r"\1", body) if "\\" in body else body, span=span)


def _exact(text: str, span: Span | None, what: str) -> Decimal:
    """`text` as a Decimal a float64 holds exactly as written, or a located error."""
    value = Decimal(text)
    if value and value.adjusted() >= MAX_NUMBER_DIGITS:
        raise SlaSyntaxError(
            f"{what} too large: at most {MAX_NUMBER_DIGITS} digits before the decimal point "
            f"(up to {10**MAX_NUMBER_DIGITS - 1:,}), the most a number holds exactly",
            span,
        )
    digits = "".join(map(str, value.as_tuple().digits)).strip("0")  # not normalize():
    if len(digits) > MAX_NUMBER_DIGITS:  # it rounds to the context's 28 digits first
        raise SlaSyntaxError(
            f"{what} too precise: at most {MAX_NUMBER_DIGITS} significant digits, "
            "the most a number holds exactly",
            span,
        )
    return value


def _number(text: str, span: Span | None) -> ast.Number:
    return ast.Number(_exact(text, span, "number"), span=span)


def _percent(text: str, span: Span | None) -> ast.Percent:
    return ast.Percent(_exact(text[:-1], span, "percentage"), span=span)


def _duration(text: str, span: Span | None) -> ast.Duration:
    parts = _DURATION_PART.findall(text)
    # int() refuses over 4,300 digits; 18 per unit is more than any duration in range.
    too_long = any(len(n) > MAX_DURATION_DIGITS for n, _ in parts)
    if too_long or sum(int(n) * _UNITS[u] for n, u in parts) > MAX_DURATION_SECONDS:
        raise SlaSyntaxError(
            f"duration too large: at most {MAX_DURATION_SECONDS // 86400:,}d (about 292 "
            "years, the span of nanosecond times)",
            span,
        )
    return ast.Duration(sum(int(n) * _UNITS[u] for n, u in parts), span=span)


def _business_days(text: str, span: Span | None) -> ast.BusinessDays:
    digits = text[:-2]
    if len(digits) > MAX_DURATION_DIGITS or int(digits) > MAX_BUSINESS_DAYS:
        raise SlaSyntaxError(
            f"too many business days: at most {MAX_BUSINESS_DAYS:,}bd (about 40 years)", span
        )
    return ast.BusinessDays(int(digits), span=span)


def _date(text: str, span: Span | None) -> ast.Date:
    try:
        return ast.Date(dt.date.fromisoformat(text), span=span)
    except ValueError:
        raise SlaSyntaxError(f"'{text}' is not a calendar date (YYYY-MM-DD)", span) from None


def _clock(text: str, span: Span | None) -> ast.Clock:
    hours, minutes = (int(p) for p in text.split(":"))
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise SlaSyntaxError(f"'{text}' is not a time of day (00:00 to 24:00)", span)
    return ast.Clock(hours * 3600 + minutes * 60, span=span)


def _compare(text: str, span: Span | None) -> str:
    return text


def _optional(text: str, span: Span | None) -> bool:
    return True


# Kept terminals → AST values, from the token's text and span (both parse paths).
_TERMINALS = {
    "NAME": _name,
    "STRING": _string,
    "NUMBER": _number,
    "PERCENT": _percent,
    "DURATION": _duration,
    "BUSINESS_DAYS": _business_days,
    "DATE": _date,
    "CLOCK": _clock,
    "COMPARE": _compare,
    "OPTIONAL": _optional,
}


@v_args(meta=True)
class _ToAst(Transformer):  # type: ignore[type-arg]
    """Maps each grammar alias to an AST class. Holds only the file name, no parse state."""

    def __init__(self, file: str) -> None:
        super().__init__(visit_tokens=True)
        self.file = file
        # `v_args` wraps each callback anew on every attribute lookup (once per tree node);
        # binding them once per parse halves the transform time on large files.
        for name in _callback_names(type(self)):
            object.__setattr__(self, name, getattr(self, name))

    def _span(self, meta: lark.tree.Meta) -> Span | None:
        if getattr(meta, "empty", True):
            return None
        return Span(
            self.file,
            meta.line,
            meta.column,
            meta.end_line,
            meta.end_column,
            meta.start_pos,
            meta.end_pos,
        )

    def _error(self, message: str, span: Span | None) -> SlaSyntaxError:
        return SlaSyntaxError(message, span)

    # ---- terminals: the conversions are the module's `_TERMINALS`, shared with the driver
    @v_args(meta=False, inline=False)
    def NAME(self, tok: Token) -> ast.Name:  # noqa: N802
        return _name(str(tok), _span_of_token(self.file, tok))

    @v_args(meta=False)
    def STRING(self, tok: Token) -> ast.String:  # noqa: N802
        return _string(str(tok), _span_of_token(self.file, tok))

    @v_args(meta=False)
    def NUMBER(self, tok: Token) -> ast.Number:  # noqa: N802
        return _number(str(tok), _span_of_token(self.file, tok))

    @v_args(meta=False)
    def PERCENT(self, tok: Token) -> ast.Percent:  # noqa: N802
        return _percent(str(tok), _span_of_token(self.file, tok))

    @v_args(meta=False)
    def DURATION(self, tok: Token) -> ast.Duration:  # noqa: N802
        return _duration(str(tok), _span_of_token(self.file, tok))

    @v_args(meta=False)
    def BUSINESS_DAYS(self, tok: Token) -> ast.BusinessDays:  # noqa: N802
        return _business_days(str(tok), _span_of_token(self.file, tok))

    @v_args(meta=False)
    def DATE(self, tok: Token) -> ast.Date:  # noqa: N802
        return _date(str(tok), _span_of_token(self.file, tok))

    @v_args(meta=False)
    def CLOCK(self, tok: Token) -> ast.Clock:  # noqa: N802
        return _clock(str(tok), _span_of_token(self.file, tok))

    @v_args(meta=False)
    def COMPARE(self, tok: Token) -> str:  # noqa: N802
        return _compare(str(tok), None)

    @v_args(meta=False)
    def OPTIONAL(self, tok: Token) -> bool:  # noqa: N802
        return _optional(str(tok), None)

    # ---- module and calendars
    def start(self, meta, children):  # type: ignore[no-untyped-def]
        return children

    def calendar(self, meta, children):  # type: ignore[no-untyped-def]
        name, *stmts = children
        zone = None
        hours: list[ast.DayHours] = []
        dates: list[ast.Date] = []
        countries: list[ast.CountryHolidays] = []
        for kind, value in stmts:
            if kind == "timezone":
                if zone is not None:
                    raise self._error("calendar sets its timezone twice", value.span)
                zone = value
            elif kind == "hours":
                hours.extend(value)
            elif kind == "holidays":
                dates.extend(value)
            else:
                countries.append(value)
        return ast.CalendarDecl(
            name, zone, tuple(hours), tuple(dates), tuple(countries), span=self._span(meta)
        )

    def cal_timezone(self, meta, children):  # type: ignore[no-untyped-def]
        return ("timezone", children[0])

    def cal_hours(self, meta, children):  # type: ignore[no-untyped-def]
        return ("hours", children)

    def day_hours(self, meta, children):  # type: ignore[no-untyped-def]
        (first, last), *ranges = children
        return ast.DayHours(first, last, tuple(ranges), span=self._span(meta))

    def days(self, meta, children):  # type: ignore[no-untyped-def]
        return (children[0], children[1] if len(children) > 1 else None)

    def clock_range(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.ClockRange(children[0], children[1], span=self._span(meta))

    def cal_holidays(self, meta, children):  # type: ignore[no-untyped-def]
        return ("holidays", children)

    def cal_country(self, meta, children):  # type: ignore[no-untyped-def]
        sub = children[1] if len(children) > 1 else None
        return ("country", ast.CountryHolidays(children[0], sub, span=self._span(meta)))

    # ---- streams and accounts
    def _stream_parts(self, children):  # type: ignore[no-untyped-def]
        source = zone = None
        for kind, value in children:
            if kind == "from":
                if source is not None:
                    raise self._error("'from' is given twice", value.span)
                source = value
            else:
                if zone is not None:
                    raise self._error("'timezone' is given twice", value.span)
                zone = value
        return source, zone

    def stream(self, meta, children):  # type: ignore[no-untyped-def]
        name, columns, *opts = children
        source, zone = self._stream_parts(opts)
        return ast.StreamDecl(name, columns, source, zone, span=self._span(meta))

    def accounts(self, meta, children):  # type: ignore[no-untyped-def]
        columns, *opts = children
        source, zone = self._stream_parts(opts)
        return ast.AccountsDecl(columns, source, zone, span=self._span(meta))

    def source(self, meta, children):  # type: ignore[no-untyped-def]
        return ("from", children[0])

    def stream_timezone(self, meta, children):  # type: ignore[no-untyped-def]
        return ("timezone", children[0])

    def columns(self, meta, children):  # type: ignore[no-untyped-def]
        return tuple(children)

    def column(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.ColumnDecl(children[0], children[1], len(children) > 2, span=self._span(meta))

    # ---- clocks
    def clock_decl(self, meta, children):  # type: ignore[no-untyped-def]
        name, stream, *rest = children
        keys = []
        while rest and isinstance(rest[0], ast.Name):
            keys.append(rest.pop(0))
        by = keys.pop()  # the grammar puts `by NAME` right after the keys
        parts: dict[str, object] = {}
        for kind, value in rest:
            if kind in parts:
                what = "during" if kind == "during" else f"{kind} when"
                raise self._error(f"'{what}' is given twice in clock '{name.id}'", value.span)
            parts[kind] = value
        return ast.ClockDecl(name, stream, tuple(keys), by, **parts, span=self._span(meta))

    def clock_start(self, meta, children):  # type: ignore[no-untyped-def]
        return ("start", children[0])

    def clock_pause(self, meta, children):  # type: ignore[no-untyped-def]
        return ("pause", children[0])

    def clock_stop(self, meta, children):  # type: ignore[no-untyped-def]
        return ("stop", children[0])

    def clock_reset(self, meta, children):  # type: ignore[no-untyped-def]
        return ("reset", children[0])

    def clock_during(self, meta, children):  # type: ignore[no-untyped-def]
        return ("during", children[0])

    # ---- agreements
    def _agreement(self, kind, meta, children):  # type: ignore[no-untyped-def]
        name, *rest = children
        title = parent = coverage = None
        body = []
        for item in rest:
            if isinstance(item, tuple) and len(item) == 2 and item[0] in ("title", "parent", "for"):
                if item[0] == "title":
                    title = item[1]
                elif item[0] == "parent":
                    parent = item[1]
                else:
                    coverage = item[1]
            else:
                body.append(item)
        return ast.AgreementDecl(
            kind, name, title, parent, coverage, tuple(body), span=self._span(meta)
        )

    def sla(self, meta, children):  # type: ignore[no-untyped-def]
        return self._agreement("sla", meta, children)

    def master(self, meta, children):  # type: ignore[no-untyped-def]
        return self._agreement("master", meta, children)

    def title(self, meta, children):  # type: ignore[no-untyped-def]
        return ("title", children[0])

    def parent(self, meta, children):  # type: ignore[no-untyped-def]
        return ("parent", children[0])

    def coverage(self, meta, children):  # type: ignore[no-untyped-def]
        return ("for", children[0])

    def objective(self, meta, children):  # type: ignore[no-untyped-def]
        name, expr, *rest = children
        warn = weight = None
        for kind, value in rest:
            if kind == "warn":
                warn = value
            else:
                weight = value
        return ast.Objective(name, expr, warn, weight, span=self._span(meta))

    def warn(self, meta, children):  # type: ignore[no-untyped-def]
        return ("warn", children[0])

    def weight(self, meta, children):  # type: ignore[no-untyped-def]
        return ("weight", children[0])

    def credit_tiers(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.CreditTiers(children[0], tuple(children[1:]), span=self._span(meta))

    def tier(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.CreditTier(children[0], children[1], span=self._span(meta))

    def credit_flat(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.CreditFlat(children[0], span=self._span(meta))

    def credit_cap(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.CreditCap(children[0], span=self._span(meta))

    def met_when(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.MetWhen(children[0], span=self._span(meta))

    def include(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Include(tuple(children), span=self._span(meta))

    def child(self, meta, children):  # type: ignore[no-untyped-def]
        weight = children[1][1] if len(children) > 1 else None
        return ast.Child(children[0], weight, span=self._span(meta))

    def period(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.PeriodStmt(children[0], span=self._span(meta))

    def timezone(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.TimezoneStmt(children[0], span=self._span(meta))

    def terminate_consecutive(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Terminate(children[0], children[1], None, span=self._span(meta))

    def terminate_k_of_n(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Terminate(children[0], children[1], children[2], span=self._span(meta))

    def at_risk(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.AtRisk(children[0], span=self._span(meta))

    def allocate(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Allocate(tuple(children), span=self._span(meta))

    def allocation(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Allocation(children[0], children[1], span=self._span(meta))

    def earnback(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Earnback(children[0], span=self._span(meta))

    # ---- expressions
    def or_(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Or(tuple(children), span=self._span(meta))

    def and_(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.And(tuple(children), span=self._span(meta))

    def not_(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Not(children[0], span=self._span(meta))

    def compare(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Compare(children[1], children[0], children[2], span=self._span(meta))

    def in_(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.InList(children[0], tuple(children[1:]), False, span=self._span(meta))

    def not_in(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.InList(children[0], tuple(children[1:]), True, span=self._span(meta))

    def is_null(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.IsNull(children[0], False, span=self._span(meta))

    def is_not_null(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.IsNull(children[0], True, span=self._span(meta))

    def during(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Window(children[0], "during", children[1], span=self._span(meta))

    def excluding(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Window(children[0], "excluding", children[1], span=self._span(meta))

    def minus(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Minus(children[0], children[1], span=self._span(meta))

    def name(self, meta, children):  # type: ignore[no-untyped-def]
        return children[0]

    def negative(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Number(-children[0].value, span=self._span(meta))

    def call(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Call(children[0], tuple(children[1:]), span=self._span(meta))

    def selection(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Selection(children[0], children[1], span=self._span(meta))

    def _literal(self, meta, children):  # type: ignore[no-untyped-def]
        return children[0]

    string = number = percent = duration = business_days = date = clock = _literal


class _Direct(_ToAst):
    """`_ToAst`'s callbacks as the LALR driver calls them: with the node's `Span` (or None
    for an empty node) where lark passes its `Meta`."""

    def _span(self, meta):  # type: ignore[no-untyped-def]
        return meta

    def callback(self, name: str) -> Any:
        """The plain bound method for a rule alias (without lark's `v_args` wrapper)."""
        return inspect.unwrap(getattr(self, name))
