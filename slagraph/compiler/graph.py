"""The dependency graph (streams → clocks → objectives → SLAs → masters) and the plan.

Edges come from the IR, never from text: a stream feeds an objective that selects it, an
objective feeds its SLA, a child feeds every master that includes it, and whatever
`met(X)` names feeds the objective that asks. A cycle is an error naming the cycle.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import networkx as nx

from slagraph.calendars import PERIOD_KINDS
from slagraph.compiler import ir
from slagraph.errors import SlaCompileError, did_you_mean

MAX_INSTANCES = 200_000
# Levels of `include` below a root (docs/semantics.md): real trees are a handful deep;
# the bound keeps the plan, the roll-up and the report far from Python's stack limit.
MAX_NESTING = 64


def node_id(kind: str, name: str) -> str:
    return f"{kind}:{name}"


def _selects(metric: ir.Metric) -> Iterator[ir.Select]:
    match metric:
        case ir.Uptime(selects=selects):
            yield from selects
        case ir.MetOf():
            return
        case _:
            yield metric.select  # type: ignore[union-attr]


def _calendars(metric: ir.Metric) -> Iterator[str]:
    match metric:
        case ir.Uptime(during=d, excluding=e):
            yield from (*d, *e)
        case (
            ir.ShareWithin(elapsed=el)
            | ir.Aggregate(value=ir.Elapsed() as el)
            | ir.Percentile(value=ir.Elapsed() as el)
        ):
            if el.calendar:
                yield el.calendar


def build_graph(
    agreements: Mapping[str, ir.Agreement], clocks: Mapping[str, ir.Clock] | None = None
) -> nx.DiGraph:
    # Nodes and edges are gathered first, in the order they are first named, and added in
    # two bulk calls: the same graph (node order, adjacency order, attributes) as adding
    # them one by one, at a fraction of networkx's per-call cost.
    nodes: dict[str, dict[str, object]] = {}
    edges: dict[tuple[str, str], dict[str, object]] = {}

    def node(n: str, **attr: object) -> None:
        nodes.setdefault(n, {}).update(attr)

    def edge(u: str, v: str, relation: str) -> None:
        nodes.setdefault(u, {})
        nodes.setdefault(v, {})
        edges.setdefault((u, v), {})["relation"] = relation

    for agreement in agreements.values():
        me = node_id(agreement.kind, agreement.name)
        node(me, kind=agreement.kind, name=agreement.name, title=agreement.title)
        for child, _ in agreement.children:
            target = agreements.get(child)
            if target is None:
                raise SlaCompileError(
                    f"master '{agreement.name}' includes unknown agreement '{child}'"
                    f"{did_you_mean(child, agreements)}",
                    agreement.span,
                )
            edge(node_id(target.kind, child), me, "include")
        for objective in agreement.objectives:
            oid = node_id("objective", f"{agreement.name}.{objective.name}")
            node(oid, kind="objective", name=objective.name, agreement=agreement.name)
            edge(oid, me, "objective")
            for select in _selects(objective.metric):
                clock = (clocks or {}).get(select.stream)
                if clock is None:
                    node(node_id("stream", select.stream), kind="stream", name=select.stream)
                    edge(node_id("stream", select.stream), oid, "reads")
                    continue
                cid = node_id("clock", clock.name)
                node(cid, kind="clock", name=clock.name)
                node(node_id("stream", clock.stream), kind="stream", name=clock.stream)
                edge(node_id("stream", clock.stream), cid, "clock")
                if clock.calendar:
                    node(node_id("calendar", clock.calendar), kind="calendar", name=clock.calendar)
                    edge(node_id("calendar", clock.calendar), cid, "calendar")
                edge(cid, oid, "reads")
            for cal in _calendars(objective.metric):
                node(node_id("calendar", cal), kind="calendar", name=cal)
                edge(node_id("calendar", cal), oid, "calendar")
            if isinstance(objective.metric, ir.MetOf):
                m = objective.metric
                if m.objective:
                    source = node_id("objective", f"{agreement.name}.{m.target}")
                else:
                    source = node_id(agreements[m.target].kind, m.target)
                edge(source, oid, "met")
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes.items())
    graph.add_edges_from((u, v, data) for (u, v), data in edges.items())
    # `find_cycle` walks every edge in Python; a topological check is several times
    # faster, so it only runs (and picks the cycle to name) when there is one.
    if nx.is_directed_acyclic_graph(graph):
        return graph
    cycle = nx.find_cycle(graph)
    names = [
        graph.nodes[u]["name"] if graph.nodes[u]["kind"] != "objective" else u.split(":")[1]
        for u, _ in cycle
    ]
    first = graph.nodes[cycle[0][0]]
    span = agreements[first.get("agreement", first["name"])].span
    # Show the cycle in the direction people read `include`: parent → child.
    path = " → ".join([*reversed(names), names[-1]])
    raise SlaCompileError(f"cycle in the agreement graph: {path}", span)


def roots(agreements: Mapping[str, ir.Agreement]) -> tuple[str, ...]:
    """Agreements that nothing includes, in declaration order."""
    included = {c for a in agreements.values() for c, _ in a.children}
    return tuple(name for name in agreements if name not in included)


def build_plan(agreements: Mapping[str, ir.Agreement]) -> ir.Plan:
    """Every path from a root, children before parents, with period and zone resolved."""
    instances: list[ir.Instance] = []

    def visit(name: str, path: str, parent: ir.Instance | None, chain: tuple[str, ...]) -> None:
        agreement = agreements[name]
        if len(chain) - 1 > MAX_NESTING:
            shown = " → ".join(chain[:3])
            raise SlaCompileError(
                f"master '{chain[0]}' nests more than {MAX_NESTING} levels of include "
                f"({shown} → …); the limit is {MAX_NESTING}: flatten the tree",
                agreements[chain[0]].span,
            )
        period = agreement.period or (parent.period if parent else "monthly")
        zone = agreement.timezone or (parent.timezone if parent else "UTC")
        if parent is not None and PERIOD_KINDS.index(period) > PERIOD_KINDS.index(parent.period):
            raise SlaCompileError(
                f"'{name}' is measured {period} but '{parent.agreement}' includes it "
                f"{parent.period}; a child's period must be the same as its parent's or finer",
                agreement.span,
            )
        for objective in agreement.objectives:
            metric = objective.metric
            if isinstance(metric, ir.MetOf) and not metric.objective:
                other = agreements[metric.target].period
                if other and PERIOD_KINDS.index(other) > PERIOD_KINDS.index(period):
                    raise SlaCompileError(
                        f"met({metric.target}) asks about a {other} agreement from '{name}', "
                        f"which is measured {period}; it must be the same period or finer",
                        objective.span,
                    )
        coverage = (*(parent.coverage if parent else ()),)
        if agreement.coverage is not None:
            coverage = (*coverage, agreement.coverage)
        children = tuple(f"{path}.{c}" for c, _ in agreement.children)
        me = ir.Instance(
            path, name, period, zone, coverage, parent.path if parent else None, children
        )
        for (child, _), child_path in zip(agreement.children, children, strict=True):
            visit(child, child_path, me, (*chain, child))
        if len(instances) >= MAX_INSTANCES:
            raise SlaCompileError(
                f"the agreement tree unfolds into more than {MAX_INSTANCES:,} paths; "
                "share fewer children between masters",
                agreement.span,
            )
        instances.append(me)

    tops = roots(agreements)
    for root in tops:
        visit(root, root, None, (root,))
    return ir.Plan(tops, tuple(instances))
