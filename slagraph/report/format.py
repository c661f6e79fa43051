"""How the report shows things: statuses, values, money, conditions, and the node tree
the page walks (shared by the page and its explanation and credit sections)."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from slagraph.compiler import ir

STATUSES = ("met", "at_risk", "breached", "no_data")
SEVERITY = {"no_data": 0, "met": 1, "at_risk": 2, "breached": 3}
CLASS = {"met": "s-m", "at_risk": "s-r", "breached": "s-b", "no_data": "s-n"}
GLYPH = {"met": "✓", "at_risk": "!", "breached": "✗", "no_data": "–"}
LABEL = {"met": "met", "at_risk": "at risk", "breached": "breached", "no_data": "no data"}
OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "=", "!=": "≠"}
EPS = 1e-9


def _e(value: Any) -> str:
    """Escape for text and double-quoted attributes alike."""
    return escape(str(value), quote=True)


def _num(value: float) -> str:
    """A float attribute that reads back exactly (`float(attr) == value`)."""
    return repr(float(value))


# ------------------------------------------------------------------ formatting


def duration(seconds: float) -> str:
    s = int(round(seconds))
    sign = "-" if s < 0 else ""
    s = abs(s)
    parts = [(s // 86400, "d"), (s % 86400 // 3600, "h"), (s % 3600 // 60, "m"), (s % 60, "s")]
    return sign + ("".join(f"{n}{u}" for n, u in parts if n) or "0s")


def fmt_value(value: float | None, unit: str | None) -> str:
    """An objective's value or target as `eval --format table` shows it."""
    if value is None:
        return "—"
    if unit == "duration":
        return duration(value)
    if unit == "number":
        return f"{value:,.6g}"
    return f"{value:.3%}"


def fmt_pct(value: float) -> str:
    return f"{value:.2%}"


def fmt_money(value: float) -> str:
    return f"{value:,.2f}"


def fmt_score(value: float | None) -> str:
    return "—" if value is None else f"score {value:.1%}"


def fmt_budget(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def _iso(ns: int) -> str:
    moment = dt.datetime.fromtimestamp(ns / 1e9, dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _iso_arg(ns: int) -> str:
    """An instant as `--as-of` reads it back exactly (UTC, fraction only when needed)."""
    seconds, frac = divmod(int(ns), 1_000_000_000)
    text = dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        text += f".{frac:09d}".rstrip("0")
    return text + "Z"


def _condition(cond: ir.Condition | None) -> str:
    if cond is None:
        return ""
    if isinstance(cond, ir.MetRef):
        return cond.name
    if isinstance(cond, ir.ScoreCmp):
        return f"score {OPS.get(cond.op, cond.op)} {cond.value * 100:.4g}%"
    if isinstance(cond, ir.AtLeast):
        return f"at_least({cond.k}, {', '.join(cond.names)})"
    if isinstance(cond, ir.Both | ir.Either):
        word = " and " if isinstance(cond, ir.Both) else " or "
        parts = []
        for part in cond.parts:
            text = _condition(part)
            if isinstance(part, ir.Both | ir.Either):
                text = f"({text})"
            parts.append(text)
        return word.join(parts)
    if isinstance(cond, ir.NotMet):
        inner = _condition(cond.part)
        return f"not ({inner})" if " " in inner else f"not {inner}"
    return ""


def chip(status: str) -> str:
    return f'<span class="chip {CLASS[status]}">{GLYPH[status]} {LABEL[status]}</span>'


# ------------------------------------------------------------------ the model's side


class Node:
    """What the report knows about one dotted path: kind, names, terms."""

    def __init__(self, path: str, kind: str) -> None:
        self.path = path
        self.kind = kind
        self.name = path.rsplit(".", 1)[-1]
        self.depth = path.count(".")
        self.title: str | None = None
        self.agreement: ir.Agreement | None = None
        self.objective: ir.Objective | None = None
        self.children: tuple[str, ...] = ()
        self.definition = ""
        self.parent: str | None = path.rsplit(".", 1)[0] if "." in path else None


def _nodes(model: Any) -> dict[str, Node]:
    """Every node path of the plan, in tree pre-order (a master, then each child in
    `include` order, an sla before its objectives) — the order of the rows."""
    compiled: ir.Model = model.ir
    source: str = getattr(model, "source", "") or ""
    by_path = compiled.plan.by_path()
    out: dict[str, Node] = {}

    def visit(path: str) -> None:
        inst = by_path[path]
        agreement = compiled.agreements[inst.agreement]
        node = Node(path, agreement.kind)
        node.title = agreement.title
        node.agreement = agreement
        if agreement.kind == "sla":
            node.children = tuple(f"{path}.{o.name}" for o in agreement.objectives)
        else:
            node.children = tuple(inst.children)
        out[path] = node
        for objective in agreement.objectives:
            child = Node(f"{path}.{objective.name}", "objective")
            child.objective = objective
            child.agreement = agreement
            span = objective.span
            if span is not None and 0 <= span.start_pos < span.end_pos <= len(source):
                text = " ".join(source[span.start_pos : span.end_pos].split())
                if text.startswith("objective"):
                    child.definition = text
            out[child.path] = child
        for child_path in inst.children:
            visit(child_path)

    for root in compiled.plan.roots:
        visit(root)
    return out


# ------------------------------------------------------------------ the page
