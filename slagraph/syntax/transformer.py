"""lark's tree → AST: `ToAst` maps each grammar alias to an AST class; `Direct` gives the
same callbacks to the LALR driver (`lalr.py`), which calls them without building a tree.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import lark
from lark import Token, Transformer, v_args

from slagraph.errors import SlaSyntaxError, Span
from slagraph.syntax import ast
from slagraph.syntax.literals import (
    read_business_days,
    read_clock,
    read_compare,
    read_date,
    read_duration,
    read_name,
    read_number,
    read_optional,
    read_percent,
    read_string,
    span_of_token,
)

# `ToAst` callbacks that never read their meta: the driver passes them no span.
SPANLESS = frozenset(
    "start cal_timezone cal_hours days cal_holidays source stream_timezone columns title "
    "time_format nulls account_from csv_options csv_separator csv_decimal column_header "
    "parent coverage warn weight minimum name string number percent duration date clock".split()
)


@functools.cache
def _callback_names(cls: type) -> tuple[str, ...]:
    return tuple(n for n in dir(cls) if not n.startswith("_") or n == "_literal")


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

    # ---- terminals: the conversions are `literals.TERMINALS`, shared with the driver
    @v_args(meta=False, inline=False)
    def NAME(self, tok: Token) -> ast.Name:  # noqa: N802
        return read_name(str(tok), span_of_token(self.file, tok))

    @v_args(meta=False)
    def STRING(self, tok: Token) -> ast.String:  # noqa: N802
        return read_string(str(tok), span_of_token(self.file, tok))

    @v_args(meta=False)
    def NUMBER(self, tok: Token) -> ast.Number:  # noqa: N802
        return read_number(str(tok), span_of_token(self.file, tok))

    @v_args(meta=False)
    def PERCENT(self, tok: Token) -> ast.Percent:  # noqa: N802
        return read_percent(str(tok), span_of_token(self.file, tok))

    @v_args(meta=False)
    def DURATION(self, tok: Token) -> ast.Duration:  # noqa: N802
        return read_duration(str(tok), span_of_token(self.file, tok))

    @v_args(meta=False)
    def BUSINESS_DAYS(self, tok: Token) -> ast.BusinessDays:  # noqa: N802
        return read_business_days(str(tok), span_of_token(self.file, tok))

    @v_args(meta=False)
    def DATE(self, tok: Token) -> ast.Date:  # noqa: N802
        return read_date(str(tok), span_of_token(self.file, tok))

    @v_args(meta=False)
    def CLOCK(self, tok: Token) -> ast.Clock:  # noqa: N802
        return read_clock(str(tok), span_of_token(self.file, tok))

    @v_args(meta=False)
    def COMPARE(self, tok: Token) -> str:  # noqa: N802
        return read_compare(str(tok), None)

    @v_args(meta=False)
    def OPTIONAL(self, tok: Token) -> bool:  # noqa: N802
        return read_optional(str(tok), None)

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


class Direct(ToAst):
    """`ToAst`'s callbacks as the LALR driver calls them: with the node's `Span` (or None
    for an empty node) where lark passes its `Meta`."""

    def _span(self, meta):  # type: ignore[no-untyped-def]
        return meta

    def callback(self, name: str) -> Any:
        """The plain bound method for a rule alias (without lark's `v_args` wrapper)."""
        return inspect.unwrap(getattr(self, name))
