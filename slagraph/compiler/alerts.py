"""`alert NAME when …` and `alert burn_rates sre` → `ir.Alert` (SPEC §6.5).

A condition is `and`/`or`/`not` over comparisons `burn_rate(OBJECTIVE, WINDOW) OP N`.
burn_rate(O, W) = (failed ÷ decided over (t − W, t]) ÷ (1 − target): it needs an error
budget, so O is a share or an uptime with a `>=`/`>` target below 100%.

`alert burn_rates sre` is the SRE workbook's multi-window, multi-burn-rate set, with
Sloth's scaling: factor = budget share consumed × SLO window ÷ long window, the short
window a twelfth of the long one. For a 30-day window: 2% of the budget in 1 h → 14.4,
5% in 6 h → 6 (page), 10% in 1 d → 3, 10% in 3 d → 1 (ticket).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from slagraph.compiler import ir
from slagraph.compiler.expressions import span_of
from slagraph.errors import SlaCompileError, did_you_mean
from slagraph.syntax import ast

# (alert, long window s, short window s, share of the budget consumed in the long window)
SRE_PAIRS = (
    ("page", 3600, 300, Fraction(2, 100)),
    ("page", 6 * 3600, 1800, Fraction(5, 100)),
    ("ticket", 86400, 2 * 3600, Fraction(10, 100)),
    ("ticket", 3 * 86400, 6 * 3600, Fraction(10, 100)),
)
# Pyrra's (slo/rules.go `Windows`): windows as fractions of the SLO window (its 28-day
# windows 1h/5m, 6h/30m, 1d/2h, 4d/6h), rounded to the minute, with fixed factors.
# (severity, long window = W ÷ this, short window = W ÷ this, factor)
PYRRA_PAIRS = (
    ("critical", 28 * 24, 28 * 24 * 12, 14.0),
    ("critical", 28 * 4, 28 * 24 * 2, 7.0),
    ("warning", 28, 28 * 12, 2.0),
    ("warning", 7, 28 * 4, 1.0),
)
PRESETS = ("sre", "pyrra")
NOMINAL_DAYS = {"daily": 1, "weekly": 7, "monthly": 30, "quarterly": 90, "yearly": 365}
_OPS = (">", ">=", "<", "<=")


def sre_factors(slo_window: int) -> tuple[tuple[str, int, int, float], ...]:
    """The four pairs for an SLO window of `slo_window` seconds: (alert, long, short,
    factor), factor = budget share × SLO window ÷ long window (exact, then rounded once)."""
    return tuple(
        (name, long, short, float(share * slo_window / long))
        for name, long, short, share in SRE_PAIRS
    )


def _to_minute(seconds: Fraction) -> int:
    """Go's `Duration.Round(time.Minute)`: the nearest minute, halves away from zero."""
    minutes, rest = divmod(seconds, 60)
    return int(minutes + (1 if rest * 2 >= 60 else 0)) * 60


def pyrra_factors(slo_window: int) -> tuple[tuple[str, int, int, float], ...]:
    """Pyrra's four pairs for an SLO window of `slo_window` seconds: (severity, long,
    short, factor); windows scaled from its 28-day ones, factors fixed (14, 7, 2, 1)."""
    return tuple(
        (name, _to_minute(Fraction(slo_window, long)), _to_minute(Fraction(slo_window, short)), f)
        for name, long, short, f in PYRRA_PAIRS
    )


def sre_alerts(objective: str, slo_window: int, preset: str = "sre") -> tuple[ir.Alert, ...]:
    """`<objective>_page` and `<objective>_ticket` (Pyrra: `_critical`, `_warning`):
    each pair is long AND short over the factor; the pairs of a severity are OR-ed."""
    by_alert: dict[str, list[ir.AlertCondition]] = {}
    pairs = sre_factors(slo_window) if preset == "sre" else pyrra_factors(slo_window)
    for name, long, short, factor in pairs:
        pair = ir.AlertAll(
            (
                ir.BurnRate(objective, long, ">", factor),
                ir.BurnRate(objective, short, ">", factor),
            )
        )
        by_alert.setdefault(name, []).append(pair)
    return tuple(
        ir.Alert(f"{objective}_{name}", ir.AlertAny(tuple(parts)))
        for name, parts in by_alert.items()
    )


def _by_slices(objective: ir.Objective) -> bool:
    return isinstance(objective.metric, ir.Uptime) and objective.metric.slices is not None


def _budgeted(name: ast.Name, objectives: Mapping[str, ir.Objective]) -> ir.Objective:
    objective = objectives.get(name.id)
    if objective is None:
        raise SlaCompileError(
            f"burn_rate names an objective of this sla; '{name.id}' is not one"
            f"{did_you_mean(name.id, objectives)}",
            name.span,
        )
    if _by_slices(objective):
        raise SlaCompileError(
            f"burn_rate({name.id}, …) is not computed for an uptime budgeted by timeslices "
            "(not yet): burn rates are in measured time",
            name.span,
        )
    if not objective.has_budget or objective.target >= 1:
        raise SlaCompileError(
            f"burn_rate({name.id}, …) needs an error budget: a share or uptime with a >= "
            "target below 100%",
            name.span,
        )
    return objective


def _condition(node: ast.Expr, objectives: Mapping[str, ir.Objective]) -> ir.AlertCondition:
    match node:
        case ast.And(operands=ops):
            return ir.AlertAll(tuple(_condition(o, objectives) for o in ops))
        case ast.Or(operands=ops):
            return ir.AlertAny(tuple(_condition(o, objectives) for o in ops))
        case ast.Not(operand=op):
            return ir.AlertNot(_condition(op, objectives))
        case ast.Compare(op=op, left=ast.Call() as call, right=ast.Number() as n) if op in _OPS:
            return _burn_rate(call, op, float(n.value), objectives)
        case ast.Compare(op=op, left=ast.Number() as n, right=ast.Call() as call) if op in _OPS:
            flipped = {">": "<", ">=": "<=", "<": ">", "<=": ">="}[op]
            return _burn_rate(call, flipped, float(n.value), objectives)
    raise SlaCompileError(
        "an alert condition compares burn rates with numbers: burn_rate(OBJECTIVE, 1h) > "
        "14.4, joined by and, or, not",
        span_of(node),
    )


def _burn_rate(
    call: ast.Call, op: str, threshold: float, objectives: Mapping[str, ir.Objective]
) -> ir.BurnRate:
    if call.func.id != "burn_rate":
        raise SlaCompileError(
            f"unknown function '{call.func.id}' in an alert"
            f"{did_you_mean(call.func.id, ('burn_rate',))}; expected burn_rate(OBJECTIVE, 1h)",
            call.func.span,
        )
    if len(call.args) != 2 or not isinstance(call.args[0], ast.Name):
        raise SlaCompileError(
            "burn_rate(…) takes an objective and a window: burn_rate(good, 1h)", call.span
        )
    window = call.args[1]
    if not isinstance(window, ast.Duration) or window.seconds < 1:
        raise SlaCompileError(
            "the window of burn_rate is a duration such as 5m or 1h", span_of(window)
        )
    objective = _budgeted(call.args[0], objectives)
    return ir.BurnRate(objective.name, window.seconds, op, threshold)


def compile_alerts(
    items: Sequence[object],
    objectives: tuple[ir.Objective, ...],
    kind: str,
    name: str,
    window: int | None,
    period: str | None = None,
) -> tuple[ir.Alert, ...]:
    """The alerts of one agreement, presets expanded, names unique. A preset scales to the
    rolling window, else to the nominal length of the agreement's period (SLO window)."""
    by_name = {o.name: o for o in objectives}
    alerts: list[ir.Alert] = []
    for item in items:
        if not isinstance(item, ast.Alert | ast.AlertPreset):
            continue
        if kind != "sla":
            raise SlaCompileError(
                f"alerts watch objectives, so they belong in an sla; master '{name}' has none",
                item.span,
            )
        if isinstance(item, ast.Alert):
            alerts.append(ir.Alert(item.name.id, _condition(item.condition, by_name)))
            continue
        preset = item.preset.id
        if preset not in PRESETS:
            raise SlaCompileError(
                f"unknown alert preset '{preset}'{did_you_mean(preset, PRESETS)}; "
                "expected alert burn_rates sre (the SRE workbook's, as Sloth scales them) "
                "or alert burn_rates pyrra",
                item.preset.span,
            )
        if window is None:  # a calendar period's nominal length (monthly: 30 days)
            window = NOMINAL_DAYS[period or "monthly"] * 86400
        budgeted = [o for o in objectives if o.has_budget and o.target < 1 and not _by_slices(o)]
        if not budgeted:
            raise SlaCompileError(
                f"sla '{name}' has no objective with an error budget for burn-rate alerts",
                item.span,
            )
        for objective in budgeted:
            alerts.extend(sre_alerts(objective.name, window, preset))
    seen: set[str] = set()
    for alert in alerts:
        if alert.name in seen:
            span = next((i.span for i in items if isinstance(i, ast.Alert | ast.AlertPreset)), None)
            raise SlaCompileError(f"sla '{name}' has two alerts named '{alert.name}'", span)
        seen.add(alert.name)
    return tuple(alerts)
