"""Expressions: row predicates, metrics and `met when` conditions, type-checked into IR.

Every expression has a unit (text, number, bool, time, duration, ratio); mixing units is a
compile error that names both, at the spot where they meet.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

import attrs

from slagraph.compiler import ir
from slagraph.data.schema import StreamSchema
from slagraph.errors import SlaCompileError, Span, did_you_mean
from slagraph.syntax import ast

UNIT_WORDS = {
    "text": "text",
    "number": "a number",
    "bool": "a bool",
    "time": "a time",
    "duration": "a duration",
    "business_days": "business days",
    "ratio": "a percentage",
    "date": "a date",
    "clock": "a time of day",
}
METRICS = ("share", "uptime", "count", "sum", "mean", "min", "max", "percentile", "met")
_PCT_FUNC = re.compile(r"p([1-9][0-9]?)$")
ORDERINGS = ("<", "<=", ">", ">=")


def span_of(node: object) -> Span | None:
    return getattr(node, "span", None)


def _literal(node: ast.Expr) -> ir.Const | None:
    match node:
        case ast.String(value=v):
            return ir.Const(v, "text")
        case ast.Number(value=v):
            return ir.Const(float(v), "number")
        case ast.Percent():
            return ir.Const(float(node.ratio), "ratio")
        case ast.Duration(seconds=s):
            return ir.Const(s, "duration")
        case ast.BusinessDays(days=d):
            return ir.Const(d, "business_days")
        case ast.Date(value=v):
            return ir.Const(v, "date")
        case ast.Clock(seconds=s):
            return ir.Const(s, "clock")
    return None


def literal_value(node: ast.Expr, unit: str, what: str) -> float:
    """A literal of the given unit as a float (ratios 0..1, durations in seconds)."""
    const = _literal(node)
    if const is None or const.type != unit:
        found = UNIT_WORDS.get(const.type, "an expression") if const else "an expression"
        raise SlaCompileError(
            f"{what} must be {UNIT_WORDS[unit]}{_unit_hint(unit)}, got {found}", span_of(node)
        )
    return float(const.value)  # type: ignore[arg-type]


def _unit_hint(unit: str) -> str:
    return {
        "ratio": " such as 99.9%",
        "duration": " such as 15m or 4h",
        "number": " such as 200",
    }.get(unit, "")


@attrs.frozen
class Scope:
    """What names mean inside an agreement: streams, calendars, its objectives, agreements."""

    streams: Mapping[str, StreamSchema]
    calendars: Collection[str]
    objectives: Collection[str] = ()
    agreements: Collection[str] = ()
    clocks: Mapping[str, ir.Clock] = attrs.field(factory=dict)


# ------------------------------------------------------------------ row predicates


class _Predicates:
    """Compiles a condition over the columns of one stream (or the accounts table)."""

    def __init__(self, schema: StreamSchema, scope: Scope) -> None:
        self.schema = schema
        self.scope = scope
        self.columns = {c.name: c for c in schema.columns}

    def where(self) -> str:
        return "accounts" if self.schema.name == "accounts" else f"stream '{self.schema.name}'"

    def column(self, name: ast.Name) -> ir.Column:
        col = self.columns.get(name.id)
        if col is None:
            raise SlaCompileError(
                f"{self.where()} has no column '{name.id}'{did_you_mean(name.id, self.columns)}"
                f"; its columns are {', '.join(self.columns)}",
                name.span,
            )
        return ir.Column(col.name, col.type)

    def predicate(self, node: ast.Expr) -> ir.Predicate:
        match node:
            case ast.And(operands=ops):
                return ir.AllOf(tuple(self.predicate(o) for o in ops))
            case ast.Or(operands=ops):
                return ir.AnyOf(tuple(self.predicate(o) for o in ops))
            case ast.Not(operand=op):
                return ir.Negate(self.predicate(op))
            case ast.Name():
                col = self.column(node)
                if col.type != "bool":
                    example = '"…"' if col.type == "text" else "…"
                    raise SlaCompileError(
                        f"column '{col.name}' is {UNIT_WORDS[col.type]}, not a bool; "
                        f"compare it, e.g. {col.name} == {example}",
                        node.span,
                    )
                return ir.Truthy(col)
            case ast.Compare():
                return self.compare(node)
            case ast.InList(operand=operand, values=values, negated=negated):
                col = self._column_operand(operand, "in (…)")
                consts = []
                for v in values:
                    c = _literal(v)
                    if c is None or not _comparable(col.type, c.type):
                        raise SlaCompileError(
                            f"'{col.name}' is {UNIT_WORDS[col.type]}; this value is "
                            f"{UNIT_WORDS.get(c.type, '?') if c else '?'}",
                            span_of(v),
                        )
                    consts.append(c.value)
                return ir.IsIn(col, tuple(consts), negated)
            case ast.IsNull(operand=operand, negated=negated):
                return ir.IsNull(self._column_operand(operand, "is null"), negated)
        raise SlaCompileError(
            'expected a condition over columns (such as priority == "P1" or not planned)',
            span_of(node),
        )

    def _column_operand(self, node: ast.Expr, what: str) -> ir.Column:
        if not isinstance(node, ast.Name):
            raise SlaCompileError(f"'{what}' applies to a column name", span_of(node))
        return self.column(node)

    def operand(self, node: ast.Expr) -> tuple[ir.Column | ir.Const | ir.Elapsed, str]:
        const = _literal(node)
        if const is not None:
            return const, const.type
        match node:
            case ast.Name(id="true" | "false") if node.id not in self.columns:
                return ir.Const(node.id == "true", "bool"), "bool"
            case ast.Name():
                col = self.column(node)
                return col, col.type
            case ast.Minus() | ast.Window():
                return self.elapsed(node), "duration"
        raise SlaCompileError(
            "expected a column, a literal or a duration (later - earlier)", span_of(node)
        )

    def compare(self, node: ast.Compare) -> ir.Cmp:
        left, lt = self.operand(node.left)
        right, rt = self.operand(node.right)
        if not _comparable(lt, rt):
            raise SlaCompileError(
                f"cannot compare {UNIT_WORDS[lt]} with {UNIT_WORDS[rt]}", node.span
            )
        if lt == "bool" and node.op not in ("==", "!="):
            raise SlaCompileError("bools compare only with == or !=", node.span)
        return ir.Cmp(node.op, left, right)

    def elapsed(self, node: ast.Expr) -> ir.Elapsed:
        calendar = None
        if isinstance(node, ast.Window):
            if node.mode != "during":
                raise SlaCompileError(
                    "'excluding' applies to uptime(…); a duration is measured 'during' a calendar",
                    node.span,
                )
            calendar = self.scope_calendar(node.calendar)
            node = node.operand
            if isinstance(node, ast.Window):
                raise SlaCompileError("a duration can be measured during one calendar", node.span)
        if not isinstance(node, ast.Minus):
            raise SlaCompileError(
                "'during' measures a duration: write it as later - earlier during CALENDAR",
                span_of(node),
            )
        names = []
        for side in (node.left, node.right):
            if not isinstance(side, ast.Name):
                raise SlaCompileError(
                    "a duration is the difference of two time columns (later - earlier)",
                    span_of(side),
                )
            col = self.column(side)
            if col.type != "time":
                raise SlaCompileError(
                    f"column '{col.name}' is {UNIT_WORDS[col.type]}; a duration subtracts "
                    "two time columns",
                    side.span,
                )
            names.append(col.name)
        return ir.Elapsed(names[0], names[1], calendar)

    def scope_calendar(self, name: ast.Name) -> str:
        if name.id not in self.scope.calendars:
            raise SlaCompileError(
                f"unknown calendar '{name.id}'{did_you_mean(name.id, self.scope.calendars)}",
                name.span,
            )
        return name.id


def _comparable(a: str, b: str) -> bool:
    return a == b


def compile_predicate(node: ast.Expr, schema: StreamSchema, scope: Scope) -> ir.Predicate:
    return _Predicates(schema, scope).predicate(node)


# ------------------------------------------------------------------ metrics


def _selection(node: ast.Expr, scope: Scope) -> tuple[ir.Select, _Predicates]:
    where = None
    if isinstance(node, ast.Selection):
        where, node = node.filter, node.stream
    if not isinstance(node, ast.Name):
        raise SlaCompileError(
            'expected a stream, optionally filtered: incidents where priority == "P1"',
            span_of(node),
        )
    schema = scope.streams.get(node.id)
    if schema is None:
        raise SlaCompileError(
            f"unknown stream '{node.id}'{did_you_mean(node.id, scope.streams)}", node.span
        )
    preds = _Predicates(schema, scope)
    return ir.Select(schema.name, preds.predicate(where) if where is not None else None), preds


def _arity(call: ast.Call, low: int, high: int, form: str) -> None:
    if not low <= len(call.args) <= high:
        raise SlaCompileError(
            f"{call.func.id}(…) takes {form}; got {len(call.args)} argument"
            f"{'s' if len(call.args) != 1 else ''}",
            call.span,
        )


def _value(node: ast.Expr, preds: _Predicates, func: str) -> tuple[ir.Column | ir.Elapsed, str]:
    if isinstance(node, ast.Minus | ast.Window):
        return preds.elapsed(node), "duration"
    if isinstance(node, ast.Name):
        col = preds.column(node)
        if col.type in ("number", "duration"):
            return col, col.type
        raise SlaCompileError(
            f"{func}(…) needs a number column or a duration; '{col.name}' is "
            f"{UNIT_WORDS[col.type]}",
            node.span,
        )
    raise SlaCompileError(
        f"{func}(…) needs a number column or a duration (later - earlier)", span_of(node)
    )


def _measured(cond: ast.Expr, preds: _Predicates, scope: Scope) -> ir.Measured | None:
    """`elapsed <= 4h` over a clock: its duration column, with the clock's calendar."""
    if not (isinstance(cond, ast.Compare) and isinstance(cond.left, ast.Name)):
        return None
    col = preds.columns.get(cond.left.id)
    if col is None or col.type != "duration":
        return None
    clock = scope.clocks.get(preds.schema.name)
    return ir.Measured(col.name, clock.calendar if clock else None)


def _share_within(
    select: ir.Select, elapsed: ir.Elapsed | ir.Measured, cond: ast.Compare
) -> ir.ShareWithin:
    limit = cond.right
    if cond.op not in ("<=", "<") or not isinstance(limit, ast.Duration | ast.BusinessDays):
        raise SlaCompileError(
            "a duration share compares the duration with a limit: "
            "share(SEL, later - earlier <= 4h)",
            cond.span,
        )
    if isinstance(limit, ast.Duration):
        return ir.ShareWithin(select, elapsed, cond.op, limit.seconds)
    if elapsed.calendar is None:
        raise SlaCompileError(
            f"{limit.days}bd counts open days of a calendar: measure the duration "
            "'during CALENDAR' (or give the clock 'during CALENDAR'), or write the limit "
            "as a duration such as 48h",
            limit.span,
        )
    return ir.ShareWithin(select, elapsed, cond.op, 0, limit.days)


def duration_calendar(metric: ir.Metric, scope: Scope) -> str | None:
    """The calendar a duration metric's values are measured in (business days count in
    it): its `during`, or its clock's."""
    value = getattr(metric, "value", None)
    if isinstance(value, ir.Elapsed):
        return value.calendar
    if isinstance(value, ir.Column) and value.type == "duration":
        clock = scope.clocks.get(metric.select.stream)  # type: ignore[union-attr]
        return clock.calendar if clock else None
    return None


def _uptime_select(node: ast.Expr, scope: Scope) -> ir.Select:
    select, preds = _selection(node, scope)
    for needed in ("start", "end"):
        col = preds.columns.get(needed)
        if col is None or col.type != "time":
            raise SlaCompileError(
                f"uptime(…) needs intervals: stream '{select.stream}' has no time column "
                f"'{needed}'",
                span_of(node),
            )
    return select


def _uptime(call: ast.Call, scope: Scope) -> ir.Uptime:
    _arity(call, 1, 1, "one selection, or series(…)/parallel(…)/k_of_n(K, …)")
    arg = call.args[0]
    if isinstance(arg, ast.Call):
        mode = arg.func.id
        if mode not in ("series", "parallel", "k_of_n"):
            raise SlaCompileError(
                f"unknown combination '{mode}'"
                f"{did_you_mean(mode, ('series', 'parallel', 'k_of_n'))}; "
                "expected series, parallel or k_of_n",
                arg.func.span,
            )
        items = list(arg.args)
        k = 1
        if mode == "k_of_n":
            if len(items) < 2 or not isinstance(items[0], ast.Number):
                raise SlaCompileError(
                    "k_of_n(K, SEL, SEL, …) takes a whole number K first", arg.span
                )
            k = int(items[0].value)
            if k != items[0].value or not 1 <= k <= len(items) - 1:
                raise SlaCompileError(
                    f"K must be a whole number from 1 to the {len(items) - 1} selections",
                    items[0].span,
                )
            items = items[1:]
        if not items:
            raise SlaCompileError(f"{mode}(…) needs at least one selection", arg.span)
        return ir.Uptime(mode, k, tuple(_uptime_select(i, scope) for i in items))
    return ir.Uptime("series", 1, (_uptime_select(arg, scope),))


def placing_column(schema: StreamSchema, value: object = None) -> str | None:
    """The time column that places a metric's records in periods (SPEC §3.1): the earlier
    time of its duration, else the stream's first declared time column."""
    if isinstance(value, ir.Elapsed):
        return value.earlier
    if isinstance(value, ir.Measured):
        return "started"
    return next((c.name for c in schema.columns if c.type == "time"), None)


def _minus_span(node: object, value: ir.Elapsed) -> Span | None:
    """Where `later - earlier` is written inside the metric, for the caret."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Minus):
            left, right = item.left, item.right
            if isinstance(left, ast.Name) and isinstance(right, ast.Name):
                if (left.id, right.id) == (value.later, value.earlier):
                    return item.span
        if attrs.has(type(item)):
            for child in attrs.astuple(item, recurse=False):  # type: ignore[arg-type]
                stack.extend(child if isinstance(child, tuple) else [child])
    return None


def _check_placement(
    metric: ir.Metric, scope: Scope, span: Span | None, node: object = None
) -> None:
    if isinstance(metric, ir.MetOf | ir.Uptime):
        return
    value = getattr(metric, "elapsed", None) or getattr(metric, "value", None)
    schema = scope.streams[metric.select.stream]
    column = placing_column(schema, value)
    if column is None:
        raise SlaCompileError(
            f"stream '{schema.name}' has no time column to place its records in periods",
            span,
        )
    nullable = {c.name for c in schema.columns if c.nullable}
    order = [c.name for c in schema.columns]
    if (
        isinstance(value, ir.Elapsed)
        and column in nullable
        and value.later not in nullable
        and order.index(value.later) < order.index(value.earlier)
    ):
        # `created - first_reply`: the optional time, declared after, is the later one
        raise SlaCompileError(
            f"'{value.later} - {value.earlier}' is earlier minus later ('{value.earlier}' "
            f"is optional and declared after '{value.later}'); a duration is the later time "
            f"minus the earlier: write '{value.earlier} - {value.later}'",
            _minus_span(node, value) or span,
        )
    if column in nullable:
        raise SlaCompileError(
            f"records of '{schema.name}' are placed in periods by '{column}', which is "
            f"nullable; declare it '{column}: time' (without ?) or measure from another column",
            span,
        )


def compile_metric(node: ast.Expr, scope: Scope) -> tuple[ir.Metric, str]:
    """A metric and its unit: "ratio", "duration" or "number"."""
    metric, unit = _metric(node, scope)
    _check_placement(metric, scope, span_of(node), node)
    return metric, unit


def _metric(node: ast.Expr, scope: Scope) -> tuple[ir.Metric, str]:
    windows: list[tuple[str, ast.Name]] = []
    while isinstance(node, ast.Window):
        windows.append((node.mode, node.calendar))
        node = node.operand
    if not isinstance(node, ast.Call):
        raise SlaCompileError(
            "expected a metric such as share(…), uptime(…), count(…) or p95(…)", span_of(node)
        )
    func = node.func.id
    if windows and func != "uptime":
        raise SlaCompileError(
            f"'{windows[0][0]}' after a metric applies to uptime(…) only; to measure a "
            "duration in business time put it inside: resolved - opened during CALENDAR",
            node.span,
        )
    pct = _PCT_FUNC.match(func)
    if func == "uptime":
        metric = _uptime(node, scope)
        for mode, cal in reversed(windows):
            if cal.id not in scope.calendars:
                raise SlaCompileError(
                    f"unknown calendar '{cal.id}'{did_you_mean(cal.id, scope.calendars)}",
                    cal.span,
                )
            if mode == "during":  # the grammar makes only "during" and "excluding" windows
                metric = attrs.evolve(metric, during=(*metric.during, cal.id))
            else:
                metric = attrs.evolve(metric, excluding=(*metric.excluding, cal.id))
        return metric, "ratio"
    if func == "share":
        _arity(node, 2, 2, "a selection and a condition: share(SEL, later - earlier <= 4h)")
        select, preds = _selection(node.args[0], scope)
        cond = node.args[1]
        measured = _measured(cond, preds, scope)
        if measured is not None or (
            isinstance(cond, ast.Compare) and isinstance(cond.left, ast.Minus | ast.Window)
        ):
            assert isinstance(cond, ast.Compare)
            elapsed = measured or preds.elapsed(cond.left)
            return _share_within(select, elapsed, cond), "ratio"
        return ir.ShareWhere(select, preds.predicate(cond)), "ratio"
    if func == "count":
        _arity(node, 1, 1, "one selection")
        return ir.Count(_selection(node.args[0], scope)[0]), "number"
    if func in ("sum", "mean", "min", "max"):
        _arity(node, 2, 2, "a selection and a number column or duration")
        select, preds = _selection(node.args[0], scope)
        value, unit = _value(node.args[1], preds, func)
        return ir.Aggregate(func, select, value), unit
    if pct or func == "percentile":
        if pct:
            _arity(node, 2, 2, "a selection and a duration")
            q = int(pct.group(1)) / 100
        else:
            _arity(node, 3, 3, "a selection, a duration and a percentage")
            q = literal_value(node.args[2], "ratio", "the percentile")
            if not 0 < q <= 1:
                raise SlaCompileError(
                    "the percentile must be above 0% and at most 100%", span_of(node.args[2])
                )
        select, preds = _selection(node.args[0], scope)
        value, unit = _value(node.args[1], preds, func)
        return ir.Percentile(select, value, q), unit
    if func == "met":
        _arity(node, 1, 1, "the name of an objective or agreement")
        target = node.args[0]
        if not isinstance(target, ast.Name):
            raise SlaCompileError("met(…) takes a name", span_of(target))
        if target.id in scope.objectives:
            return ir.MetOf(target.id, True), "number"
        if target.id in scope.agreements:
            return ir.MetOf(target.id, False), "number"
        known = [*scope.objectives, *scope.agreements]
        raise SlaCompileError(
            f"met({target.id}): no objective or agreement named '{target.id}'"
            f"{did_you_mean(target.id, known)}",
            target.span,
        )
    raise SlaCompileError(
        f"unknown metric '{func}'{did_you_mean(func, METRICS)}; expected share, uptime, "
        "count, sum, mean, min, max, p50…p99, percentile or met",
        node.func.span,
    )


# ------------------------------------------------------------------ `met when`


def compile_condition(node: ast.Expr, names: Collection[str], what: str) -> ir.Condition:
    """A `met when` expression over child (or objective) names, score and at_least."""
    match node:
        case ast.And(operands=ops):
            return ir.Both(tuple(compile_condition(o, names, what) for o in ops))
        case ast.Or(operands=ops):
            return ir.Either(tuple(compile_condition(o, names, what) for o in ops))
        case ast.Not(operand=op):
            return ir.NotMet(compile_condition(op, names, what))
        case ast.Name(id="score"):
            raise SlaCompileError(
                "score is a number from 0% to 100%; compare it: score >= 90%", node.span
            )
        case ast.Name():
            return ir.MetRef(_member(node, names, what))
        case ast.Compare(right=ast.Name(id="score"), left=left) if not (
            isinstance(left, ast.Name) and left.id == "score"
        ):
            flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(node.op, node.op)
            return compile_condition(
                ast.Compare(flipped, node.right, node.left, span=node.span), names, what
            )
        case ast.Compare(left=ast.Name(id="score")):
            if node.op not in ORDERINGS:
                raise SlaCompileError("compare score with <, <=, > or >=", node.span)
            return ir.ScoreCmp(node.op, literal_value(node.right, "ratio", "score's bound"))
        case ast.Call(func=ast.Name(id="at_least")):
            args = node.args
            if len(args) < 2 or not isinstance(args[0], ast.Number):
                raise SlaCompileError(
                    "at_least(K, NAME, NAME, …) takes a whole number K first", node.span
                )
            k = int(args[0].value)
            if k != args[0].value or not 1 <= k <= len(args) - 1:
                raise SlaCompileError(
                    f"K must be a whole number from 1 to the {len(args) - 1} names",
                    args[0].span,
                )
            members = []
            for a in args[1:]:
                if not isinstance(a, ast.Name):
                    raise SlaCompileError(f"at_least(…) takes names of {what}", span_of(a))
                members.append(_member(a, names, what))
            return ir.AtLeast(k, tuple(members))
        case ast.Call():
            raise SlaCompileError(
                f"unknown function '{node.func.id}' in met when"
                f"{did_you_mean(node.func.id, ('at_least',))}; expected at_least(K, …)",
                node.func.span,
            )
    raise SlaCompileError(
        f"expected a condition over {what}: names, score >= N%, at_least(K, …), and, or, not",
        span_of(node),
    )


def _member(name: ast.Name, names: Collection[str], what: str) -> str:
    if name.id not in names:
        raise SlaCompileError(
            f"'{name.id}' is not one of the {what}{did_you_mean(name.id, names)}; "
            f"expected one of {', '.join(names) or '(none)'}",
            name.span,
        )
    return name.id
