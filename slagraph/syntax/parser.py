"""Text → AST. The grammar is `grammar/slagraph.lark`; this module only maps its tree to
`slagraph.syntax.ast` values and turns lark's exceptions into `SlaSyntaxError`s that say,
in words, what was expected at the exact spot.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import re
import warnings
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, cast

import lark
from lark import Token, Transformer, v_args

from slagraph.errors import SlaSyntaxError, SlaUsageError, SlaWarning, Span, did_you_mean
from slagraph.syntax import ast, tables
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
    """lark's parser for the grammar: saved in the package, or built (syntax/tables.py)."""
    return tables.load("slagraph.lark")


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
    driver = _driver()
    if driver is None:
        return None
    try:
        decls = driver.parse(text, file, _Direct(file).callback, _TERMINALS, MAX_DEPTH, _SPANLESS)
    except SlaSyntaxError:  # a bad literal: lark decides which error comes first
        return None
    except _LARK_CHANGED as exc:  # a lexer table read on first use, in the loop
        _give_up_fast_path(exc)
        return None
    if decls is None:
        return None
    return ast.Module(tuple(decls), file=file, source=text)


def parse_reference(text: str, file: str = "<string>") -> ast.Module:
    """`parse` by lark's tree and the `ToAst` Transformer: the reference for `parse`'s fast
    path, and the path of every syntax error."""
    _check_size(text, file)
    try:
        tree = _lark().parse(text)
    except lark.exceptions.UnexpectedInput as exc:
        raise syntax_error(exc, text, file) from exc
    _check_depth(tree, text, file)
    try:
        decls = ToAst(file).transform(tree)
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


# `ToAst` callbacks that never read their meta: the driver passes them no span.
_SPANLESS = frozenset(
    "start cal_timezone cal_hours days cal_holidays source stream_timezone columns title "
    "time_format nulls account_from csv_options csv_separator csv_decimal column_header "
    "parent coverage warn weight minimum name string number percent duration date clock".split()
)


# What reading lark's private tables raises when a lark release has changed them.
_LARK_CHANGED = (AttributeError, KeyError, IndexError, TypeError, NotImplementedError)
_fast_path = {"usable": True}


def _driver() -> LalrDriver | None:
    """The fast path's automaton, or None once it cannot read this lark's tables."""
    if not _fast_path["usable"]:
        return None
    try:
        return _build_driver()
    except _LARK_CHANGED as exc:
        _give_up_fast_path(exc)
        return None


@functools.cache
def _build_driver() -> LalrDriver:
    driver = LalrDriver(_lark())
    missing = driver.kept_terminals - _TERMINALS.keys()
    if missing:
        raise NotImplementedError(f"no conversion for terminals {sorted(missing)}")
    return driver


def _give_up_fast_path(exc: BaseException) -> None:
    """Parse with lark's own parser from now on, and say so once: `lalr.py` reads lark's
    private tables, which a lark release may change (pyproject.toml bounds lark to the
    versions tested, but an installer may not honour it)."""
    if not _fast_path["usable"]:
        return
    _fast_path["usable"] = False
    warnings.warn(
        f"slagraph's fast parser cannot read the tables of lark {lark.__version__} "
        f"({type(exc).__name__}: {exc}); parsing with lark's own parser, which gives the "
        "same result more slowly",
        SlaWarning,
        stacklevel=3,
    )


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
    "'terminate' 'timezone' 'window' 'alert'".split()
)


def _expected_words(names: set[str]) -> str:
    words = {_describe_terminal(n) for n in names}
    if _STATEMENTS <= words:  # a whole statement position: name the idea, not ten keywords
        words = (words - _STATEMENTS) | {"a statement (objective, credit, met when, include, …)"}
    ordered = sorted(words, key=lambda w: (not w.startswith("'"), w))
    if len(ordered) == 1:
        return ordered[0]
    return ", ".join(ordered[:-1]) + " or " + ordered[-1]


# A number and a unit word as people write them (`4hrs`, `1.5h`, `90 min`): the spelling
# is answered with the accepted one instead of "unexpected character '4'".
_LOOSE_DURATION = re.compile(r"(?<![\w.])([0-9]+(?:\.[0-9]+)?)([ \t]*)([A-Za-z]+)\b")
_UNIT_WORDS = {
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), "w"),
    **dict.fromkeys(("d", "day", "days"), "d"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "m"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "s"),
}


def _loose_duration(text: str, pos: int) -> tuple[int, int, str] | None:
    """(start, end, accepted spelling) of a misspelled duration around `pos`, if any."""
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    line_end = len(text) if line_end < 0 else line_end
    for m in _LOOSE_DURATION.finditer(text, line_start, line_end):
        number, space, word = m.groups()
        unit = _UNIT_WORDS.get(word.lower())
        if not m.start() <= pos < m.end() or unit is None:
            continue
        if "." not in number and not space and word == unit:
            return None  # already a duration: the error is something else
        seconds = Decimal(number) * _UNITS[unit]
        if seconds != seconds.to_integral_value():
            return None
        if "." not in number:
            spelled = f"{number}{unit}"
        else:
            rest, parts = int(seconds), []
            for u, size in _UNITS.items():
                count, rest = divmod(rest, size)
                if count:
                    parts.append(f"{count}{u}")
            spelled = "".join(parts) or "0s"
        return m.start(), m.end(), spelled
    return None


def _duration_hint(
    exc: lark.exceptions.UnexpectedInput, text: str, file: str
) -> SlaSyntaxError | None:
    pos = exc.pos_in_stream
    if isinstance(exc, lark.exceptions.UnexpectedToken) and exc.token.type != "$END":
        pos = exc.token.start_pos
    if pos is None:
        return None
    found = _loose_duration(text, pos)
    if found is None:
        return None
    start, end, spelled = found
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    written = text[start:end]
    message = (
        f"{written!r} is not a duration; write {spelled!r} (a whole number and w, d, h, m "
        "or s, written together: 4h, 1h30m, 90m)"
    )
    return SlaSyntaxError(message, Span(file, line, column, line, column + len(written)), text)


def syntax_error(exc: lark.exceptions.UnexpectedInput, text: str, file: str) -> SlaSyntaxError:
    hint = _duration_hint(exc, text, file)
    if hint is not None:
        return hint
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


_DURATION_TEXT = re.compile(r"([0-9]{1,18}[wdhms])+")


def duration_seconds(text: str) -> int | None:
    """A duration literal (`15m`, `1h30m`, `1d`) in seconds, None if `text` is not one."""
    if not _DURATION_TEXT.fullmatch(text.strip()):
        return None
    return sum(int(n) * _UNITS[u] for n, u in _DURATION_PART.findall(text))


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
class ToAst(Transformer):  # type: ignore[type-arg]
    """Maps each grammar alias to an AST class. Holds only the file name, no parse state."""

    def __init__(self, file: str) -> None:
        super().__init__(visit_tokens=True)
        self.file = file
        # `v_args` wraps each callback anew on every attribute lookup (once per tree node);
        # binding them once per parse saves that on every node (docs/performance.md).
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
        # `mon-fri 09:00-13:00, 14:00-18:00`: ranges after a comma without days belong to
        # the days before it, as if written `mon-fri 09:00-13:00 14:00-18:00`.
        merged: list[ast.DayHours] = []
        for days, ranges, span in children:
            if days is None:
                if not merged:  # the grammar puts days first; kept for safety
                    raise self._error(
                        "say which days these hours are for, e.g. 'hours mon-fri 09:00-13:00'", span
                    )
                before = merged[-1]
                merged[-1] = ast.DayHours(
                    before.first, before.last, before.ranges + ranges, span=before.span
                )
            else:
                merged.append(ast.DayHours(days[0], days[1], ranges, span=span))
        return ("hours", merged)

    def day_hours(self, meta, children):  # type: ignore[no-untyped-def]
        days = children[0] if isinstance(children[0], tuple) else None
        ranges = tuple(children[1:] if days is not None else children)
        return (days, ranges, self._span(meta))

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
        found: dict[str, Any] = {}
        for kind, value in children:
            pairs = value if kind == "csv" else [(kind, value)]
            for key, item in pairs:
                if key in found:
                    span = item[0].span if isinstance(item, tuple) else item.span
                    raise self._error(f"'{key}' is given twice", span)
                found[key] = item
        options = ast.TableOptions(
            time_format=found.get("time format"),
            nulls=found.get("nulls"),
            account=found.get("account from"),
            separator=found.get("csv separator"),
            decimal=found.get("decimal"),
        )
        return found.get("from"), found.get("timezone"), options

    def stream(self, meta, children):  # type: ignore[no-untyped-def]
        name, columns, *opts = children
        source, zone, options = self._stream_parts(opts)
        return ast.StreamDecl(name, columns, source, zone, options, span=self._span(meta))

    def accounts(self, meta, children):  # type: ignore[no-untyped-def]
        columns, *opts = children
        source, zone, options = self._stream_parts(opts)
        return ast.AccountsDecl(columns, source, zone, options, span=self._span(meta))

    def source(self, meta, children):  # type: ignore[no-untyped-def]
        return ("from", children[0])

    def stream_timezone(self, meta, children):  # type: ignore[no-untyped-def]
        return ("timezone", children[0])

    def time_format(self, meta, children):  # type: ignore[no-untyped-def]
        return ("time format", children[0])

    def nulls(self, meta, children):  # type: ignore[no-untyped-def]
        return ("nulls", tuple(children))

    def account_from(self, meta, children):  # type: ignore[no-untyped-def]
        return ("account from", children[0])

    def csv_options(self, meta, children):  # type: ignore[no-untyped-def]
        return ("csv", children)

    def csv_separator(self, meta, children):  # type: ignore[no-untyped-def]
        return ("csv separator", children[0])

    def csv_decimal(self, meta, children):  # type: ignore[no-untyped-def]
        return ("decimal", children[0])

    def columns(self, meta, children):  # type: ignore[no-untyped-def]
        return tuple(children)

    def column(self, meta, children):  # type: ignore[no-untyped-def]
        name, type_, *rest = children
        nullable = any(r is True for r in rest)
        header = next((r for r in rest if isinstance(r, ast.String)), None)
        return ast.ColumnDecl(name, type_, nullable, header, span=self._span(meta))

    def column_header(self, meta, children):  # type: ignore[no-untyped-def]
        return children[0]

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
        header = {"title": None, "parent": None, "for": None, "effective": None}
        body = []
        for item in rest:
            if isinstance(item, tuple) and len(item) == 2 and item[0] in header:
                header[item[0]] = item[1]
            else:
                body.append(item)
        return ast.AgreementDecl(
            kind,
            name,
            header["title"],
            header["parent"],
            header["for"],
            tuple(body),
            span=self._span(meta),
            effective=header["effective"],
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

    def effective(self, meta, children):  # type: ignore[no-untyped-def]
        return ("effective", children[0])

    def objective(self, meta, children):  # type: ignore[no-untyped-def]
        name, expr, *rest = children
        warn = weight = minimum = slices = None
        for kind, value in rest:
            if kind == "warn":
                warn = value
            elif kind == "min":
                minimum = value
            elif kind == "timeslices":
                slices = value
            else:
                weight = value
        return ast.Objective(
            name, expr, warn, weight, minimum, timeslices=slices, span=self._span(meta)
        )

    def timeslices(self, meta, children):  # type: ignore[no-untyped-def]
        length, op, threshold = children
        return ("timeslices", ast.Timeslices(length, op, threshold, span=self._span(meta)))

    def minimum(self, meta, children):  # type: ignore[no-untyped-def]
        return ("min", children[0])

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

    def window(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.WindowStmt(children[0], span=self._span(meta))

    def alert(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.Alert(children[0], children[1], span=self._span(meta))

    def alert_preset(self, meta, children):  # type: ignore[no-untyped-def]
        return ast.AlertPreset(children[0], span=self._span(meta))

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


class _Direct(ToAst):
    """`ToAst`'s callbacks as the LALR driver calls them: with the node's `Span` (or None
    for an empty node) where lark passes its `Meta`."""

    def _span(self, meta):  # type: ignore[no-untyped-def]
        return meta

    def callback(self, name: str) -> Any:
        """The plain bound method for a rule alias (without lark's `v_args` wrapper)."""
        return inspect.unwrap(getattr(self, name))
