"""AST → compiled model. The passes, in order:

1. ``declarations``: calendars, streams, the accounts table (duplicates rejected);
2. ``agreements``: each `sla`/`master` with its `extends` chain merged, statements and
   expressions type-checked (``expressions``); ``versions`` compiles each `effective`
   version of one against the others as they stood on its date;
3. ``graph``: the dependency graph, checked for cycles, and the topological ``Plan``.
"""

from __future__ import annotations

from slagraph.compiler import ir
from slagraph.compiler.agreements import compile_agreement
from slagraph.compiler.clocks import compile_clock
from slagraph.compiler.declarations import compile_accounts, compile_calendar, compile_stream
from slagraph.compiler.graph import build_graph, build_plan
from slagraph.compiler.versions import compile_versions, group_versions
from slagraph.errors import SlaCompileError, Span
from slagraph.syntax import ast

__all__ = ["compile_module", "ir"]


def _unique(decls: list, what: str) -> dict:  # type: ignore[type-arg]
    seen: dict = {}  # type: ignore[type-arg]
    for decl in decls:
        name = decl.name.id
        if name in seen:
            first: Span | None = seen[name].name.span
            where = f"; the first is at line {first.line}" if first else ""
            raise SlaCompileError(f"{what} '{name}' is declared twice{where}", decl.name.span)
        seen[name] = decl
    return seen


def compile_module(module: ast.Module) -> ir.Model:
    """Compile a parsed module; errors carry the module's source for the caret excerpt."""
    try:
        return _compile(module)
    except SlaCompileError as error:
        if error.source is None:
            error.source = module.source
        raise


def _compile(module: ast.Module) -> ir.Model:
    decls = module.decls
    calendars = {
        name: compile_calendar(d)
        for name, d in _unique(
            [d for d in decls if isinstance(d, ast.CalendarDecl)], "calendar"
        ).items()
    }
    streams = {
        name: compile_stream(d)
        for name, d in _unique(
            [d for d in decls if isinstance(d, ast.StreamDecl)], "stream"
        ).items()
    }
    clock_decls = _unique(
        [d for d in decls if isinstance(d, ast.StreamDecl | ast.ClockDecl)], "stream or clock"
    )
    clocks: dict[str, ir.Clock] = {}
    for name, d in clock_decls.items():
        if isinstance(d, ast.ClockDecl):
            clocks[name], schema = compile_clock(d, streams, calendars)
            streams[name] = schema
    account_decls = [d for d in decls if isinstance(d, ast.AccountsDecl)]
    if len(account_decls) > 1:
        raise SlaCompileError("the accounts table is declared twice", account_decls[1].span)
    accounts = compile_accounts(account_decls[0]) if account_decls else None
    groups = group_versions([d for d in decls if isinstance(d, ast.AgreementDecl)])
    agreements = compile_versions(
        groups,
        lambda decl, known: compile_agreement(decl, known, streams, calendars, accounts, clocks),
    )
    graph = build_graph(agreements, clocks)
    plan = build_plan(agreements)
    return ir.Model(calendars, streams, accounts, agreements, graph, plan, module.file, clocks)
