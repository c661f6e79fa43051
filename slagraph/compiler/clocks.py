"""`clock` declarations: checked against their stream, compiled to `ir.Clock` and the
schema of the stream of cycles they produce (what metrics and `where` read)."""

from __future__ import annotations

from collections.abc import Mapping

from slagraph.compiler import ir
from slagraph.compiler.expressions import Scope, compile_predicate
from slagraph.data.schema import ColumnSpec, StreamSchema
from slagraph.errors import SlaCompileError, did_you_mean
from slagraph.syntax import ast


def _column(schema: StreamSchema, name: ast.Name, role: str) -> ColumnSpec:
    spec = schema.column(name.id)
    if spec is None:
        raise SlaCompileError(
            f"stream '{schema.name}' has no column '{name.id}'"
            f"{did_you_mean(name.id, schema.names)} for the clock's {role}; its columns are "
            f"{', '.join(schema.names)}",
            name.span,
        )
    return spec


def compile_clock(
    decl: ast.ClockDecl, streams: Mapping[str, StreamSchema], calendars: Mapping[str, object]
) -> tuple[ir.Clock, StreamSchema]:
    name = decl.name.id
    source = streams.get(decl.stream.id)
    if source is None:
        raise SlaCompileError(
            f"clock '{name}' is on unknown stream '{decl.stream.id}'"
            f"{did_you_mean(decl.stream.id, streams)}",
            decl.stream.span,
        )
    keys: list[str] = []
    for key in decl.keys:
        spec = _column(source, key, "'per' key")
        if spec.nullable:
            raise SlaCompileError(
                f"the clock's key '{key.id}' is nullable: every row must name its item; "
                f"declare it '{key.id}: {spec.type}' (without ?)",
                key.span,
            )
        if key.id in keys:
            raise SlaCompileError(f"'{key.id}' is named twice in 'per'", key.span)
        keys.append(key.id)
    by = _column(source, decl.by, "'by' time")
    if by.type != "time":
        raise SlaCompileError(
            f"a clock orders events by a time column; '{by.name}' is {by.type}", decl.by.span
        )
    if by.nullable:
        raise SlaCompileError(
            f"the clock's time '{by.name}' is nullable: every event needs its instant; "
            f"declare it '{by.name}: time' (without ?)",
            decl.by.span,
        )
    if decl.start is None:
        raise SlaCompileError(
            f"clock '{name}' never starts: add 'start when …' (a condition on a row)",
            decl.name.span,
        )
    clash = [c for c in ir.CLOCK_COLUMNS if source.column(c) is not None]
    if clash:
        raise SlaCompileError(
            f"stream '{source.name}' has a column '{clash[0]}', which clock '{name}' "
            f"defines ({', '.join(ir.CLOCK_COLUMNS)}); rename that column",
            decl.stream.span,
        )
    calendar = None
    if decl.during is not None:
        calendar = decl.during.id
        if calendar not in calendars:
            raise SlaCompileError(
                f"unknown calendar '{calendar}'{did_you_mean(calendar, calendars)}",
                decl.during.span,
            )
    scope = Scope(streams, calendars)

    def condition(node: ast.Expr | None) -> ir.Predicate | None:
        return None if node is None else compile_predicate(node, source, scope)

    clock = ir.Clock(
        name,
        source.name,
        tuple(keys),
        by.name,
        compile_predicate(decl.start, source, scope),
        condition(decl.pause),
        condition(decl.stop),
        condition(decl.reset),
        calendar,
    )
    added = (
        ColumnSpec("cycle", "number"),
        ColumnSpec("started", "time"),
        ColumnSpec("stopped", "time", nullable=True),
        ColumnSpec("elapsed", "duration", nullable=True),
        ColumnSpec("paused", "duration", nullable=True),
    )
    schema = StreamSchema(
        name, (*added, *source.columns), name, source.timezone, account=source.account
    )
    return clock, schema
