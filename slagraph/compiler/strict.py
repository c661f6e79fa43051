"""`slagraph check --strict`: warnings about a model that compiles but is probably wrong.

Each check is documented, with an example, in docs/authoring.md ("Strict checks"); each
has a snapshot in tests/strict/. The checks read the compiled IR for meaning and the
syntax tree for where to point the caret:

* ``series-targets``: an `uptime(series|parallel|k_of_n(…))` objective whose components
  have objectives of their own, and those targets, combined by block-diagram maths, fall
  short of the composite's target;
* ``no-budget`` / ``trivial-target``: a target of 100% on an objective with an error
  budget; a ratio target that can never be missed or never be met;
* ``unused``: a stream, clock or calendar that nothing reads;
* ``credit-tier``: a `below` tier that can never apply, or that applies while the
  objective is met;
* ``no-accounts`` (only given data): a `for accounts where` no account satisfies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

import attrs

from slagraph.compiler import ir
from slagraph.compiler.agreements import merged_items
from slagraph.errors import SlaError, Span, StrictWarning
from slagraph.syntax import ast

EPSILON = 1e-12


Accounts = tuple[int, Callable[[ir.Predicate], bool]]
"""The data's accounts table, as its row count and whether any row satisfies a predicate
(built by `Model.warnings` from the data: the compiler reads no data)."""


def strict_warnings(
    module: ast.Module, model: ir.Model, accounts: Accounts | None = None
) -> list[StrictWarning]:
    """Every strict warning for a compiled module, in source order, each once. With
    `accounts`, also `for accounts where` no account satisfies."""
    found: list[StrictWarning] = []
    seen: set[tuple[Span | None, str]] = set()
    for code, message, span in (
        *_unused(module, model),
        *_targets(module, model),
        *_series(module, model),
        *_credit_tiers(module, model),
        *(_coverage(module, model, accounts) if accounts is not None else ()),
    ):
        if (span, message) not in seen:
            seen.add((span, message))
            found.append(StrictWarning(code, message, span, module.source))
    found.sort(key=lambda w: (w.span.start_pos, w.span.end_pos) if w.span else (-1, -1))
    return found


Found = Iterator[tuple[str, str, Span | None]]


def pct(value: float) -> str:
    """A ratio as the language writes it: 0.998001 → '99.8001%'."""
    return f"{format(round(value * 100, 8), '.12g')}%"


def _text(module: ast.Module, span: Span | None, default: str) -> str:
    if span is None or span.end_pos <= span.start_pos:
        return default
    return module.source[span.start_pos : span.end_pos]


# ------------------------------------------------------------------ unused declarations


def _reads(node: object, streams: set[str], calendars: set[str]) -> None:
    """Collect the streams and calendars an IR node reads, at any depth."""
    if isinstance(node, ir.Select):
        streams.add(node.stream)
    elif isinstance(node, ir.Elapsed | ir.Measured) and node.calendar:
        calendars.add(node.calendar)
    elif isinstance(node, ir.Uptime):
        calendars.update(node.during, node.excluding)
    elif isinstance(node, ir.Clock):
        streams.add(node.stream)
        if node.calendar:
            calendars.add(node.calendar)
    if isinstance(node, tuple):
        for part in node:
            _reads(part, streams, calendars)
    elif attrs.has(type(node)):
        for field in attrs.fields(type(node)):  # type: ignore[arg-type]
            _reads(getattr(node, field.name), streams, calendars)


def _unused(module: ast.Module, model: ir.Model) -> Found:
    streams: set[str] = set()
    calendars: set[str] = set()
    _reads(tuple(model.agreements.values()), streams, calendars)
    # a clock reads its stream only if something reads the clock
    for name, clock in model.clocks.items():
        if name in streams:
            _reads(clock, streams, calendars)
    for decl in module.decls:
        if isinstance(decl, ast.StreamDecl) and decl.name.id not in streams:
            yield (
                "unused",
                f"stream '{decl.name.id}' is declared but no objective or clock reads it",
                decl.name.span,
            )
        elif isinstance(decl, ast.ClockDecl) and decl.name.id not in streams:
            yield (
                "unused",
                f"clock '{decl.name.id}' is declared but no objective reads it",
                decl.name.span,
            )
        elif isinstance(decl, ast.CalendarDecl) and decl.name.id not in calendars:
            yield (
                "unused",
                f"calendar '{decl.name.id}' is declared but nothing measures during or "
                "excluding it",
                decl.name.span,
            )


# ------------------------------------------------------------------ targets


def _objective_nodes(module: ast.Module) -> dict[Span, ast.Objective]:
    """AST objectives by their span (the span the IR objective keeps)."""
    found: dict[Span, ast.Objective] = {}
    for decl in module.decls:
        if isinstance(decl, ast.AgreementDecl):
            for item in decl.body:
                if isinstance(item, ast.Objective) and item.span is not None:
                    found[item.span] = item
    return found


def _target_span(nodes: Mapping[Span, ast.Objective], objective: ir.Objective) -> Span | None:
    node = nodes.get(objective.span) if objective.span else None
    if node is not None and isinstance(node.expr, ast.Compare):
        span: Span | None = getattr(node.expr.right, "span", None)
        if span is not None:
            return span
    return objective.span


def _targets(module: ast.Module, model: ir.Model) -> Found:
    nodes = _objective_nodes(module)
    for agreement in model.agreements.values():
        for objective in agreement.objectives:
            if objective.unit != "ratio" or isinstance(objective.metric, ir.MetOf):
                continue
            where = _target_span(nodes, objective)
            name = f"'{agreement.name}.{objective.name}'"
            if objective.op == ">=" and objective.target >= 1 - EPSILON and objective.has_budget:
                yield (
                    "no-budget",
                    f"objective {name} has a target of 100%: its error budget is zero, so "
                    "any failure breaches it",
                    where,
                )
            elif objective.op == ">" and objective.target >= 1 - EPSILON:
                yield (
                    "trivial-target",
                    f"objective {name} can never be met: no ratio is above 100%",
                    where,
                )
            elif objective.op == ">=" and objective.target <= EPSILON:
                yield (
                    "trivial-target",
                    f"objective {name} is always met: no ratio is below 0%",
                    where,
                )


# ------------------------------------------------------------------ series targets


def combined(mode: str, k: int, targets: Iterable[float]) -> float:
    """Availability of independent components at the given availabilities: series ∏Aᵢ,
    parallel 1 − ∏(1 − Aᵢ), k_of_n P(at least k up)."""
    values = list(targets)
    if mode == "series":
        result = 1.0
        for a in values:
            result *= a
        return result
    if mode == "parallel":
        down = 1.0
        for a in values:
            down *= 1 - a
        return 1 - down
    # k_of_n: the distribution of how many are up (Poisson binomial)
    up = [1.0]
    for a in values:
        up = [
            (up[i] if i < len(up) else 0.0) * (1 - a) + (up[i - 1] * a if i > 0 else 0.0)
            for i in range(len(up) + 1)
        ]
    return sum(up[k:])


def _roots_of(model: ir.Model) -> dict[str, set[str]]:
    roots: dict[str, set[str]] = {}
    for instance in model.plan.instances:
        roots.setdefault(instance.agreement, set()).add(instance.path.split(".")[0])
    return roots


def _series(module: ast.Module, model: ir.Model) -> Found:
    nodes = _objective_nodes(module)
    roots = _roots_of(model)
    singles: list[tuple[ir.Agreement, ir.Objective, ir.Uptime]] = [
        (a, o, o.metric)
        for a in model.agreements.values()
        for o in a.objectives
        if isinstance(o.metric, ir.Uptime) and len(o.metric.selects) == 1 and o.op in (">=", ">")
    ]
    for agreement in model.agreements.values():
        trees = roots.get(agreement.name, set())
        for objective in agreement.objectives:
            metric = objective.metric
            if not isinstance(metric, ir.Uptime) or len(metric.selects) < 2:
                continue
            if objective.op not in (">=", ">"):
                continue
            parts: list[tuple[str, float]] = []
            for select in metric.selects:
                matches = [
                    (f"{a.name}.{o.name}", o.target)
                    for a, o, m in singles
                    if m.selects[0] == select
                    and (m.during, m.excluding) == (metric.during, metric.excluding)
                    and (a.name == agreement.name or roots.get(a.name, set()) & trees)
                ]
                if not matches:
                    break
                parts.append(max(matches, key=lambda m: m[1]))  # the strictest component
            else:
                value = combined(metric.mode, metric.k, (t for _, t in parts))
                short = (
                    value < objective.target - EPSILON
                    if objective.op == ">="
                    else value <= objective.target + EPSILON
                )
                if short:
                    mode = metric.mode if metric.mode != "k_of_n" else f"k_of_n({metric.k})"
                    listed = ", ".join(f"{n} {pct(t)}" for n, t in parts)
                    yield (
                        "series-targets",
                        f"objective '{agreement.name}.{objective.name}' needs "
                        f"{objective.op} {pct(objective.target)}, but its {mode} components "
                        f"at their own targets ({listed}) give {pct(value)}: it can breach "
                        "while every component is met",
                        _target_span(nodes, objective),
                    )


# ------------------------------------------------------------------ credit tiers


def _credit_tiers(module: ast.Module, model: ir.Model) -> Found:
    from slagraph.compiler.expressions import literal_value

    decls = {d.name.id: d for d in module.decls if isinstance(d, ast.AgreementDecl)}
    for name, decl in decls.items():
        agreement = model.agreements.get(name)
        if agreement is None:
            continue
        objectives = {o.name: o for o in agreement.objectives}
        items, _ = merged_items(decl, decls)
        for item in items:
            if not isinstance(item, ast.CreditTiers):
                continue
            objective = objectives.get(item.objective.id)
            if objective is None:
                continue
            try:
                values = [literal_value(t.below, objective.unit, "") for t in item.tiers]
            except SlaError:  # pragma: no cover - the compiler has accepted these
                continue
            label = f"'{name}.{objective.name}'"
            lowest = objective.unit == "ratio" or isinstance(objective.metric, ir.Count)
            for i, (tier, below) in enumerate(zip(item.tiers, values, strict=True)):
                text = _text(module, tier.span, f"below {below}")
                floor = "0%" if objective.unit == "ratio" else "0"
                if lowest and below <= EPSILON:
                    yield (
                        "credit-tier",
                        f"tier '{text}' on {label} never applies: the value is never below {floor}",
                        tier.span,
                    )
                elif below > objective.target + EPSILON:
                    yield (
                        "credit-tier",
                        f"tier '{text}' on {label} applies while the objective is met "
                        f"(its target is {objective.op} {_value(objective, objective.target)})",
                        tier.span,
                    )
                elif any(abs(later - below) <= EPSILON for later in values[i + 1 :]):
                    yield (
                        "credit-tier",
                        f"tier '{text}' on {label} never applies: a later tier has the "
                        "same threshold and replaces it",
                        tier.span,
                    )


def _value(objective: ir.Objective, value: float) -> str:
    if objective.unit == "ratio":
        return pct(value)
    return format(value, "g")


# ------------------------------------------------------------------ coverage on data


def _coverage(module: ast.Module, model: ir.Model, accounts: Accounts) -> Found:
    """`for accounts where …` that no row of the data's accounts table satisfies."""
    if model.accounts is None:
        return  # accounts are then those seen in the streams: nothing to hold them to
    from slagraph.compiler.expressions import span_of

    rows, satisfied = accounts
    decls = {d.name.id: d for d in module.decls if isinstance(d, ast.AgreementDecl)}
    for name, agreement in model.agreements.items():
        if agreement.coverage is None or satisfied(agreement.coverage):
            continue
        decl = decls.get(name)
        where = span_of(decl.coverage) if decl is not None and decl.coverage else None
        yield (
            "no-accounts",
            f"{agreement.kind} '{name}' covers no account: none of the {rows} rows of "
            "the accounts table satisfies its 'for accounts where'",
            where or agreement.span,
        )
