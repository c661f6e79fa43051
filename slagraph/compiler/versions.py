"""Versions of an agreement (SPEC §6.6): several definitions of one name with `effective
DATE`, each compiled on its own against the other agreements as they stood on its date.

`extends` resolves per version: an agreement extending a versioned one gets a version at
each of its parent's dates too (the combination in effect from then), so an amendment of a
base agreement reaches every agreement built on it from its date. `include` and `met(X)`
name an agreement, whose own versions judge its own periods.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

import attrs

from slagraph.compiler import ir
from slagraph.errors import SlaCompileError, Span
from slagraph.syntax import ast

Compile = Callable[[ast.AgreementDecl, Mapping[str, ast.AgreementDecl]], ir.Agreement]


def group_versions(decls: list[ast.AgreementDecl]) -> dict[str, list[ast.AgreementDecl]]:
    """Definitions by name, oldest first; a name defined twice must date every definition,
    and no two of one name share a date."""
    groups: dict[str, list[ast.AgreementDecl]] = {}
    for decl in decls:
        groups.setdefault(decl.name.id, []).append(decl)
    for name, group in groups.items():
        if len(group) == 1:
            continue
        first = group[0]
        for decl in group[1:]:
            if decl.kind != first.kind:
                raise SlaCompileError(
                    f"'{name}' is defined as a {first.kind} (line {_line(first.name.span)}) "
                    f"and as a {decl.kind}; every version of an agreement is the same kind",
                    decl.name.span,
                )
        undated = [d for d in group if d.effective is None]
        if undated:  # shown at the second definition, as any name declared twice
            at = group[1] if undated[0] is group[0] else undated[0]
            raise SlaCompileError(
                f"agreement '{name}' is declared twice; the first is at line "
                f"{_line(group[0].name.span)}; to keep both as versions, give each one "
                "'effective DATE' before its '{', e.g. sla support \"Support\" effective "
                "2026-07-01 { … }",
                at.name.span,
            )
        group.sort(key=_date)
        for before, after in zip(group, group[1:], strict=False):
            if _date(before) == _date(after):
                raise SlaCompileError(
                    f"two versions of '{name}' are effective {_date(after)} (the other at "
                    f"line {_line(before.name.span)}); versions overlap: give each its own date",
                    after.effective.span if after.effective else after.name.span,
                )
    return groups


def compile_versions(
    groups: Mapping[str, list[ast.AgreementDecl]], compile: Compile
) -> dict[str, ir.Agreement]:
    """Every agreement compiled: once when it is not versioned, else once per version
    date (its own and its `extends` chain's), summarised for the graph and plan."""
    dates = _Dates(groups)
    out: dict[str, ir.Agreement] = {}
    for name, group in groups.items():
        when = dates.of(name)
        if not when:
            out[name] = compile(group[0], {n: g[0] for n, g in groups.items()})
            continue
        versions = []
        for day in when:
            decl = _in_effect(group, day) or group[0]
            _check_chain(decl, day, groups)
            snapshot = {n: _in_effect(g, day) or g[0] for n, g in groups.items()}
            versions.append(ir.Version(day, compile(decl, snapshot)))
        out[name] = _summary(name, versions)
    return out


class _Dates:
    """The dates from which a versioned agreement's terms change: its own `effective`
    dates and, from its first one on, those of the agreements it extends."""

    def __init__(self, groups: Mapping[str, list[ast.AgreementDecl]]) -> None:
        self.groups = groups
        self.memo: dict[str, tuple[dt.date, ...]] = {}

    def of(self, name: str, seen: tuple[str, ...] = ()) -> tuple[dt.date, ...]:
        if name in self.memo:
            return self.memo[name]
        group = self.groups.get(name)
        if group is None or name in seen or len(seen) > 64:  # merging reports these
            return ()
        own = [_date(d) for d in group if d.effective is not None]
        found = set(own)
        for i, decl in enumerate(group):
            if decl.parent is None:
                continue
            inherited = self.of(decl.parent.id, (*seen, name))
            lo = own[i] if own else None
            hi = own[i + 1] if i + 1 < len(own) else None
            found.update(d for d in inherited if (lo is None or d > lo) and (hi is None or d < hi))
        self.memo[name] = tuple(sorted(found))
        return self.memo[name]


def _check_chain(
    decl: ast.AgreementDecl, day: dt.date, groups: Mapping[str, list[ast.AgreementDecl]]
) -> None:
    """Every agreement up `decl`'s extends chain must have a version in effect on `day`:
    else part of the terms would be missing, a version gap."""
    current, seen = decl, {decl.name.id}
    while current.parent is not None and current.parent.id in groups:
        parent_name = current.parent.id
        if parent_name in seen:
            return  # a cycle: merging reports it
        seen.add(parent_name)
        group = groups[parent_name]
        parent = _in_effect(group, day)
        if parent is None:
            raise SlaCompileError(
                f"{decl.kind} '{decl.name.id}' is in effect from {day} and extends "
                f"'{parent_name}', whose first version is effective {_date(group[0])}: a "
                f"version gap; give '{parent_name}' a version effective on or before {day}, "
                f"or date '{decl.name.id}' from {_date(group[0])}",
                current.parent.span,
            )
        current = parent


def _summary(name: str, versions: list[ir.Version]) -> ir.Agreement:
    """The latest version's terms, with every version's objectives and children (the
    graph and plan list each path once), after checking what must not change."""
    first, last = versions[0].agreement, versions[-1].agreement
    for v in versions[1:]:
        for field, what in (
            ("period", "period"),
            ("window", "rolling window"),
            ("timezone", "timezone"),
            ("coverage", "'for accounts where'"),
        ):
            if getattr(v.agreement, field) != getattr(first, field):
                raise SlaCompileError(
                    f"the version of '{name}' effective {v.effective} changes its {what}; "
                    f"versions of one agreement keep the same {what} (periods are judged "
                    "whole by one version): define a new agreement instead",
                    v.agreement.span,
                )
    if first.window is not None:
        raise SlaCompileError(
            f"'{name}' is judged over a rolling window; versions judge calendar periods "
            "(each by the version in effect at its start): give it a 'period'",
            first.span,
        )
    objectives: dict[str, ir.Objective] = {}
    children: dict[str, tuple[str, float]] = {}
    for v in versions:
        for o in v.agreement.objectives:
            objectives[o.name] = o
        for child in v.agreement.children:
            children[child[0]] = child
    order = {n: i for i, n in enumerate(_first_seen(versions, "objectives"))}
    child_order = {n: i for i, n in enumerate(_first_seen(versions, "children"))}
    return attrs.evolve(
        last,
        objectives=tuple(sorted(objectives.values(), key=lambda o: order[o.name])),
        children=tuple(sorted(children.values(), key=lambda c: child_order[c[0]])),
        versions=tuple(versions),
    )


def _first_seen(versions: list[ir.Version], field: str) -> list[str]:
    names: list[str] = []
    for v in versions:
        for item in getattr(v.agreement, field):
            key = item.name if field == "objectives" else item[0]
            if key not in names:
                names.append(key)
    return names


def _in_effect(group: list[ast.AgreementDecl], day: dt.date) -> ast.AgreementDecl | None:
    """The definition in effect on `day`: the latest dated on or before it (an undated
    single definition always)."""
    found = None
    for decl in group:
        if decl.effective is None or decl.effective.value <= day:
            found = decl
    return found


def _date(decl: ast.AgreementDecl) -> dt.date:
    return decl.effective.value if decl.effective is not None else dt.date.min


def _line(span: Span | None) -> str:
    return str(span.line) if span is not None else "?"
