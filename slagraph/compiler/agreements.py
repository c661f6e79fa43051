"""`sla` and `master` declarations → `ir.Agreement`: `extends` merged, statements checked.

`extends` copies the parent's statements; the child's override them by key: an objective
by its name, `credit on X` by X, an included child or allocation by the child's name, and
the one-per-agreement statements (`met when`, `period`, `timezone`, `credit … when
breached`, `credit cap`, `at_risk`, `earnback`) outright. Terminations add up.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from slagraph.calendars import PERIOD_KINDS, business_day_seconds
from slagraph.compiler import ir
from slagraph.compiler.alerts import compile_alerts
from slagraph.compiler.declarations import check_timezone
from slagraph.compiler.expressions import (
    Scope,
    compile_condition,
    compile_metric,
    compile_predicate,
    duration_calendar,
    literal_value,
    span_of,
)
from slagraph.data.schema import ColumnSpec, StreamSchema
from slagraph.errors import SlaCompileError, did_you_mean
from slagraph.syntax import ast

# Items: statements with `include` and `allocate` split per child, so merging is by key.
Item = ast.Statement | ast.Child | ast.Allocation

_SINGLE = {
    ast.MetWhen: "met when",
    ast.PeriodStmt: "period",
    ast.TimezoneStmt: "timezone",
    ast.CreditFlat: "credit … when breached",
    ast.CreditCap: "credit cap",
    ast.AtRisk: "at_risk",
    ast.Earnback: "earnback",
    ast.WindowStmt: "period",  # one or the other; an `extends` may swap them
}
_IMPLICIT_ACCOUNTS = StreamSchema("accounts", (ColumnSpec("account", "text"),), "accounts")

# Levels of `extends` above one agreement (docs/semantics.md). Real hierarchies are a
# handful deep (corporate → customer → service); the bound keeps merging, which walks
# the chain once per agreement, linear, and every pass far from Python's stack limit.
MAX_EXTENDS = 64


def _key(item: Item) -> tuple[str, ...]:
    match item:
        case ast.Objective(name=name):
            return ("objective", name.id)
        case ast.CreditTiers(objective=name):
            return ("credit on", name.id)
        case ast.Child(name=name):
            return ("include", name.id)
        case ast.Allocation(child=name):
            return ("allocate", name.id)
        case ast.Terminate(target=t, count=c, of_n=n):
            return ("terminate", t.id, str(c.value), str(n.value) if n else "")
        case ast.Alert(name=name):
            return ("alert", name.id)
        case ast.AlertPreset(preset=name):
            return ("alert burn_rates", name.id)
    return (_SINGLE[type(item)],)


def _items(decl: ast.AgreementDecl) -> list[Item]:
    """The body split into keyed items; a key given twice in one body is an error."""
    items: list[Item] = []
    seen: dict[tuple[str, ...], Item] = {}
    for stmt in decl.body:
        parts: tuple[Item, ...]
        if isinstance(stmt, ast.Include):
            parts = stmt.children
        elif isinstance(stmt, ast.Allocate):
            parts = stmt.allocations
        else:
            parts = (stmt,)
        for item in parts:
            key = _key(item)
            if key in seen:
                first = span_of(seen[key])
                where = f" (first at line {first.line})" if first else ""
                what = " ".join(key[:2]) if key[0] != "terminate" else "this termination"
                raise SlaCompileError(
                    f"{decl.kind} '{decl.name.id}' gives {what} twice{where}", span_of(item)
                )
            seen[key] = item
            items.append(item)
    return items


def merged_items(
    decl: ast.AgreementDecl, decls: Mapping[str, ast.AgreementDecl], chain: tuple[str, ...] = ()
) -> tuple[list[Item], ast.AgreementDecl]:
    """The statements of `decl` after merging its `extends` chain, and the effective header."""
    if not chain:
        _check_extends_depth(decl, decls)
    own = _items(decl)
    if decl.parent is None:
        return own, decl
    name = decl.parent.id
    if name in chain or name == decl.name.id:
        cycle = " → ".join((*chain, decl.name.id, name))
        raise SlaCompileError(f"extends cycle: {cycle}", decl.parent.span)
    parent = decls.get(name)
    if parent is None:
        raise SlaCompileError(
            f"{decl.kind} '{decl.name.id}' extends unknown agreement '{name}'"
            f"{did_you_mean(name, decls)}",
            decl.parent.span,
        )
    if parent.kind != decl.kind:
        raise SlaCompileError(
            f"{decl.kind} '{decl.name.id}' cannot extend {parent.kind} '{name}': "
            "an sla extends an sla, a master extends a master",
            decl.parent.span,
        )
    inherited, parent_header = merged_items(parent, decls, (*chain, decl.name.id))
    position = {_key(item): i for i, item in enumerate(inherited)}
    merged = list(inherited)
    for item in own:
        key = _key(item)
        if key in position:
            merged[position[key]] = item
        else:
            merged.append(item)
    header = ast.AgreementDecl(
        decl.kind,
        decl.name,
        decl.title or parent_header.title,
        decl.parent,
        decl.coverage if decl.coverage is not None else parent_header.coverage,
        (),
        span=decl.span,
    )
    return merged, header


def _check_extends_depth(decl: ast.AgreementDecl, decls: Mapping[str, ast.AgreementDecl]) -> None:
    """Walk the `extends` chain (without recursion) and reject one over MAX_EXTENDS levels,
    at this agreement's `extends`. A cycle or an unknown parent ends the walk: merging
    reports those, with their own message."""
    names = [decl.name.id]
    current = decl
    while current.parent is not None and len(names) <= MAX_EXTENDS:
        parent = decls.get(current.parent.id)
        if parent is None or parent.name.id in names:
            return
        names.append(parent.name.id)
        current = parent
    if current.parent is not None and decl.parent is not None:
        shown = " → ".join(names[:3])
        raise SlaCompileError(
            f"{decl.kind} '{decl.name.id}' has more than {MAX_EXTENDS} levels of extends "
            f"({shown} → …); the limit is {MAX_EXTENDS}: extend a shallower agreement",
            decl.parent.span,
        )


def _whole(number: ast.Number, what: str, low: int = 1) -> int:
    value = int(number.value)
    if value != number.value or value < low:
        raise SlaCompileError(f"{what} must be a whole number of at least {low}", number.span)
    return value


def _weight(node: ast.Number | ast.Percent | None) -> float:
    if node is None:
        return 1.0
    value = float(node.ratio if isinstance(node, ast.Percent) else node.value)
    if value <= 0:
        raise SlaCompileError("a weight must be above zero", node.span)
    return value


def _objective(item: ast.Objective, scope: Scope) -> ir.Objective:
    expr = item.expr
    if not isinstance(expr, ast.Compare):
        raise SlaCompileError(
            "an objective compares a metric with a target: objective NAME = share(…) >= 95%",
            span_of(expr),
        )
    metric, unit = compile_metric(expr.left, scope)
    if item.timeslices is not None:
        slices = _timeslices(item, metric, expr.op)
        assert isinstance(metric, ir.Uptime)
        metric = attrs.evolve(metric, slices=slices)
    if isinstance(expr.right, ast.BusinessDays) and unit == "duration":
        target = _business_days(expr.right, metric, scope)
    else:
        target = literal_value(expr.right, unit, f"the target of '{item.name.id}'")
    if unit == "ratio" and not 0 <= target <= 1:
        raise SlaCompileError(
            f"the target of '{item.name.id}' must be between 0% and 100%: a share or an "
            "uptime never lies outside them",
            span_of(expr.right),
        )
    warn = None
    has_budget = unit == "ratio" and expr.op in (">=", ">") and not isinstance(metric, ir.MetOf)
    if item.warn_at is not None and not has_budget:
        raise SlaCompileError(
            "warn at is a share of the error budget, which only shares and uptime with a "
            ">= or > target have",
            item.warn_at.span,
        )
    if item.warn_at is not None:
        warn = float(item.warn_at.ratio)
        if not 0 < warn <= 1:
            raise SlaCompileError(
                "warn at takes a share of the budget: 1% to 100%", item.warn_at.span
            )
    return ir.Objective(
        item.name.id,
        metric,
        expr.op,
        target,
        unit,
        warn,
        _weight(item.weight),
        _minimum(item, metric),
        span=item.span,
    )


def _timeslices(item: ast.Objective, metric: ir.Metric, op: str) -> ir.Timeslices:
    """`timeslices 1m good when >= 95%`: uptime only, with a lower-bound target."""
    ts = item.timeslices
    assert ts is not None
    if not isinstance(metric, ir.Uptime):
        raise SlaCompileError(
            "timeslices budgets uptime by slices of time; shares are budgeted by their "
            "records (occurrences) already",
            ts.span,
        )
    if op not in (">=", ">"):
        raise SlaCompileError(
            "timeslices needs a lower-bound target (>= or >): the share of good slices",
            ts.span,
        )
    if ts.op not in (">=", ">"):
        raise SlaCompileError(
            f"a slice is good when its uptime is >= or > a threshold, got '{ts.op}'", ts.span
        )
    threshold = float(ts.threshold.ratio)
    if not 0 < threshold <= 1 or (ts.op == ">" and threshold == 1):
        raise SlaCompileError(
            "a slice's threshold must be above 0% and at most 100% (> 100% never holds)",
            ts.threshold.span,
        )
    if ts.length.seconds < 1:
        raise SlaCompileError("a time slice lasts at least 1s", ts.length.span)
    return ir.Timeslices(ts.length.seconds, ts.op, threshold)


def _minimum(item: ast.Objective, metric: ir.Metric) -> float | None:
    """`min N` (records decided) on shares, `min 1h` (measured time) on uptime, `min N`
    (slices with data) on uptime by timeslices."""
    node = item.minimum
    if node is None:
        return None
    if isinstance(metric, ir.Uptime) and metric.slices is not None:
        if not isinstance(node, ast.Number) or int(node.value) != node.value or node.value < 1:
            raise SlaCompileError(
                "min on uptime by timeslices counts slices with data, such as min 60",
                node.span,
            )
        return float(node.value)
    if isinstance(metric, ir.Uptime):
        if not isinstance(node, ast.Duration):
            raise SlaCompileError(
                "min on uptime is measured time, such as min 1h (uptime counts time, not records)",
                node.span,
            )
        return float(node.seconds)
    if not isinstance(metric, ir.ShareWithin | ir.ShareWhere):
        raise SlaCompileError(
            f"min counts decided records (min 100) or measured time (min 1h), which only "
            f"share(…) and uptime(…) have; '{item.name.id}' has neither",
            node.span,
        )
    if not isinstance(node, ast.Number) or int(node.value) != node.value or node.value < 1:
        raise SlaCompileError(
            "min on a share is a whole number of decided records, such as min 100", node.span
        )
    return float(node.value)


def _business_days(days: ast.BusinessDays, metric: ir.Metric, scope: Scope) -> float:
    """An aggregate's `<= 2bd` target in seconds: 2 × the calendar's usual open day."""
    name = duration_calendar(metric, scope)
    if name is None:
        raise SlaCompileError(
            f"{days.days}bd counts open days of a calendar: measure the duration "
            "'during CALENDAR' (or give the clock 'during CALENDAR'), or write the target "
            "as a duration such as 18h",
            days.span,
        )
    calendar = scope.calendars[name]  # type: ignore[index]
    return float(days.days * business_day_seconds(calendar))


def compile_agreement(
    decl: ast.AgreementDecl,
    decls: Mapping[str, ast.AgreementDecl],
    streams: Mapping[str, StreamSchema],
    calendars: Mapping[str, object],
    accounts: StreamSchema | None,
    clocks: Mapping[str, ir.Clock] | None = None,
) -> ir.Agreement:
    items, header = merged_items(decl, decls)
    kind, name = decl.kind, decl.name.id
    objectives_ast = [i for i in items if isinstance(i, ast.Objective)]
    children_ast = [i for i in items if isinstance(i, ast.Child)]
    if kind == "master" and objectives_ast:
        raise SlaCompileError(
            f"master '{name}' composes agreements with include; put objectives in an sla "
            "and include it",
            objectives_ast[0].span,
        )
    if kind == "sla" and children_ast:
        raise SlaCompileError(
            f"sla '{name}' measures objectives; 'include' belongs in a master",
            children_ast[0].span,
        )
    if kind == "sla" and not objectives_ast:
        raise SlaCompileError(f"sla '{name}' has no objectives", decl.name.span)
    if kind == "master" and not children_ast:
        raise SlaCompileError(f"master '{name}' includes nothing", decl.name.span)

    for child in children_ast:
        if child.name.id not in decls:
            raise SlaCompileError(
                f"master '{name}' includes unknown agreement '{child.name.id}'"
                f"{did_you_mean(child.name.id, decls)}",
                child.name.span,
            )
        if child.name.id == name:
            raise SlaCompileError(f"master '{name}' includes itself", child.name.span)
    scope = Scope(streams, calendars, [o.name.id for o in objectives_ast], decls, clocks or {})
    objectives = tuple(_objective(o, scope) for o in objectives_ast)
    by_objective = {o.name: o for o in objectives}
    children = tuple((c.name.id, _weight(c.weight)) for c in children_ast)
    members = [o.name for o in objectives] if kind == "sla" else [c for c, _ in children]
    what = "objectives of this sla" if kind == "sla" else "agreements this master includes"

    fields: dict[str, object] = {}
    tiers: list[tuple[str, tuple[ir.CreditTier, ...]]] = []
    terminations: list[ir.Termination] = []
    allocations: list[tuple[str, float]] = []
    for item in items:
        match item:
            case ast.MetWhen(expr=expr):
                fields["met_when"] = compile_condition(expr, members, what)
            case ast.PeriodStmt(kind=period):
                if period.id not in PERIOD_KINDS:
                    raise SlaCompileError(
                        f"unknown period '{period.id}'{did_you_mean(period.id, PERIOD_KINDS)}; "
                        "expected daily, weekly, monthly, quarterly or yearly",
                        period.span,
                    )
                fields["period"] = period.id
            case ast.TimezoneStmt(zone=zone):
                fields["timezone"] = check_timezone(zone)
            case ast.CreditFlat(credit=credit):
                fields["credit_flat"] = _fraction(credit, "a credit")
            case ast.CreditCap(cap=cap):
                fields["credit_cap"] = _fraction(cap, "a credit cap")
            case ast.AtRisk(amount=amount):
                fields["at_risk"] = _fraction(amount, "the amount at risk")
            case ast.Earnback(periods=periods):
                fields["earnback"] = _whole(periods, "earnback periods")
            case ast.WindowStmt(length=length):
                fields["window"] = _window(length)
            case ast.CreditTiers():
                tiers.append(_tiers(item, by_objective, kind, name))
            case ast.Allocation(child=member, share=share):
                if member.id not in members or kind != "master":
                    raise SlaCompileError(
                        f"allocate names agreements this master includes; '{member.id}' is not "
                        f"one{did_you_mean(member.id, members)}",
                        member.span,
                    )
                allocations.append((member.id, _fraction(share, "an allocation", cap=10.0)))
            case ast.Terminate(target=target, count=count, of_n=of_n):
                if target.id not in (*members, name):
                    raise SlaCompileError(
                        f"terminate names '{name}' or one of the {what}; '{target.id}' is not"
                        f"{did_you_mean(target.id, (*members, name))}",
                        target.span,
                    )
                k = _whole(count, "the number of periods")
                n: int | None = None
                if of_n is not None:
                    n = _whole(of_n, "the number of periods")
                    if n < k:
                        raise SlaCompileError(f"'{k} of {n} periods' needs {k} <= {n}", of_n.span)
                terminations.append(ir.Termination(target.id, k, n))
    if "at_risk" in fields and (kind == "sla" or not allocations):
        pool = next(i for i in items if isinstance(i, ast.AtRisk))
        raise SlaCompileError(
            f"at_risk sets a credit pool, which a master shares out with 'allocate CHILD N%'; "
            f"{kind} '{name}' allocates nothing",
            pool.span,
        )
    if "at_risk" in fields and "credit_flat" in fields:
        flat = next(i for i in items if isinstance(i, ast.CreditFlat))
        raise SlaCompileError(
            f"master '{name}' is a pool (at_risk): its credit is the pool formula alone "
            "(SPEC §3.6), so 'credit … when breached' would never apply; remove one of them",
            flat.span,
        )
    if allocations and "at_risk" not in fields:
        raise SlaCompileError(
            f"master '{name}' allocates a pool but sets no 'at_risk' amount", decl.name.span
        )
    if "window" in fields:
        _check_rolling(items, kind, name)
    alerts = compile_alerts(
        items,
        objectives,
        kind,
        name,
        fields.get("window"),  # type: ignore[arg-type]
        fields.get("period"),  # type: ignore[arg-type]
    )
    coverage = None
    if header.coverage is not None:
        coverage = compile_predicate(header.coverage, accounts or _IMPLICIT_ACCOUNTS, scope)
    return ir.Agreement(
        name=name,
        kind=kind,
        title=header.title.value if header.title else None,
        objectives=objectives,
        children=children,
        coverage=coverage,
        credit_tiers=tuple(tiers),
        allocations=tuple(allocations),
        terminations=tuple(terminations),
        alerts=alerts,
        span=decl.span,
        extends=decl.parent.id if decl.parent is not None else None,
        **fields,  # type: ignore[arg-type]
    )


MAX_WINDOW = 366 * 86400


def _window(length: ast.Duration) -> int:
    if not 60 <= length.seconds <= MAX_WINDOW:
        raise SlaCompileError("a rolling window lasts from 1m to 366d", length.span)
    return length.seconds


# What a rolling agreement cannot have: money and rights arise per calendar period.
_PERIOD_ONLY = {
    ast.CreditTiers: "credits",
    ast.CreditFlat: "credits",
    ast.CreditCap: "credits",
    ast.AtRisk: "credit pools",
    ast.Allocation: "credit pools",
    ast.Earnback: "earnback",
    ast.Terminate: "termination rights",
}


def _check_rolling(items: list[Item], kind: str, name: str) -> None:
    for item in items:
        what = _PERIOD_ONLY.get(type(item))
        if what is None:
            continue
        raise SlaCompileError(
            f"{kind} '{name}' is judged over a rolling window; {what} arise per calendar "
            "period only: put them in an sla that extends this one and sets a 'period'",
            span_of(item),
        )


def _fraction(p: ast.Percent, what: str, cap: float = 1.0) -> float:
    value = float(p.ratio)
    if not 0 <= value <= cap:
        raise SlaCompileError(f"{what} must be between 0% and {cap:.0%}", p.span)
    return value


def _tiers(
    item: ast.CreditTiers, objectives: Mapping[str, ir.Objective], kind: str, name: str
) -> tuple[str, tuple[ir.CreditTier, ...]]:
    obj = objectives.get(item.objective.id)
    if obj is None:
        raise SlaCompileError(
            f"credit on '{item.objective.id}': {kind} '{name}' has no such objective"
            f"{did_you_mean(item.objective.id, objectives)}",
            item.objective.span,
        )
    if obj.op not in (">=", ">"):
        raise SlaCompileError(
            f"'below' tiers apply to objectives with a lower bound (>= or >); "
            f"'{obj.name}' is {obj.op} its target",
            item.span,
        )
    tiers = tuple(
        ir.CreditTier(
            literal_value(t.below, obj.unit, "a tier threshold"), _fraction(t.credit, "a credit")
        )
        for t in item.tiers
    )
    return obj.name, tiers
