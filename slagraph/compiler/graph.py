"""The dependency graph (streams → clocks → objectives → SLAs → masters) and the plan.

Edges come from the IR, never from text: a stream feeds an objective that selects it, an
objective feeds its SLA, a child feeds every master that includes it, and whatever
`met(X)` names feeds the objective that asks. A cycle is an error naming the cycle.
`extends` edges (parent → child) are drawn but take no part in the cycle check: the
child's statements were copied at compile time, where an extends cycle is its own error.

Compiling does not import networkx: the graph is a few hundred nodes, and the two things
compiling asks of it — is there a cycle, which one — are one depth-first search here
(`find_cycle`, the cycle `networkx.find_cycle` names, tested against it). The
`networkx.DiGraph` that `Model.graph` shows is built from the same nodes and edges on
first use (`to_networkx`), for `slagraph graph` and embedding applications.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from slagraph.calendars import PERIOD_KINDS
from slagraph.compiler import ir
from slagraph.errors import SlaCompileError, did_you_mean

if TYPE_CHECKING:
    import networkx as nx

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
) -> ir.Dependencies:
    # Nodes and edges in the order they are first named: the order of the networkx graph
    # (nodes, adjacency) built from them, as if they had been added one by one.
    nodes: dict[str, dict[str, object]] = {}
    edges: dict[tuple[str, str], dict[str, object]] = {}

    def node(n: str, **attr: object) -> None:
        nodes.setdefault(n, {}).update(attr)

    def edge(u: str, v: str, relation: str) -> None:
        nodes.setdefault(u, {})
        nodes.setdefault(v, {})
        edges.setdefault((u, v), {})["relation"] = relation

    for agreement in ir.all_terms(agreements.values()):  # every version's edges
        me = node_id(agreement.kind, agreement.name)
        node(me, kind=agreement.kind, name=agreement.name, title=agreement.title)
        if agreement.extends is not None:  # merged already: drawn, never evaluated
            edge(node_id(agreement.kind, agreement.extends), me, "extends")
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
    graph = ir.Dependencies(nodes, edges)
    cycle = find_cycle(graph)
    if not cycle:
        return graph
    names = [
        nodes[u]["name"] if nodes[u]["kind"] != "objective" else u.split(":")[1] for u, _ in cycle
    ]
    first = nodes[cycle[0][0]]
    span = agreements[str(first.get("agreement", first["name"]))].span
    # Show the cycle in the direction people read `include`: parent → child.
    path = " → ".join(str(name) for name in [*reversed(names), names[-1]])
    raise SlaCompileError(f"cycle in the agreement graph: {path}", span)


def find_cycle(graph: ir.Dependencies) -> list[tuple[str, str]]:
    """The edges of a cycle, or [] if there is none: the cycle `networkx.find_cycle`
    returns for the same graph (depth first from each node in order, successors in edge
    order; the first edge back into the current path closes it)."""
    successors: dict[str, list[str]] = {n: [] for n in graph.nodes}
    for (u, v), data in graph.edges.items():
        if data.get("relation") != "extends":  # a copy made at compile time, not a dependency
            successors[u].append(v)
    done: set[str] = set()
    for root in graph.nodes:
        if root in done:
            continue
        path = [root]
        on_path = {root: 0}
        pending = [iter(successors[root])]
        while pending:
            head = next(pending[-1], None)
            if head is None:
                pending.pop()
                done.add(path[-1])
                del on_path[path.pop()]
            elif head in on_path:
                loop = path[on_path[head] :]
                return [*itertools.pairwise(loop), (path[-1], head)]
            elif head not in done:
                on_path[head] = len(path)
                path.append(head)
                pending.append(iter(successors[head]))
    return []


def to_networkx(graph: ir.Dependencies) -> nx.DiGraph:
    """The graph as a `networkx.DiGraph`: nodes with their attributes, edges with their
    `relation`, in the order they were named."""
    import networkx as nx

    out = nx.DiGraph()
    out.add_nodes_from(graph.nodes.items())
    out.add_edges_from((u, v, data) for (u, v), data in graph.edges.items())
    return out


def _check_rolling_child(
    agreement: ir.Agreement, period: str, zone: str, parent: ir.Instance
) -> None:
    """Rolling windows and calendar periods do not mix in one tree: a rolling child is
    judged at its parent's steps (the same zone), a periodic one in its parent's periods."""
    child_rolling = ir.window_seconds(period) is not None
    parent_rolling = ir.window_seconds(parent.period) is not None
    if child_rolling != parent_rolling:
        mine = "over a rolling window" if child_rolling else f"{period}"
        theirs = "over a rolling window" if parent_rolling else f"{parent.period}"
        raise SlaCompileError(
            f"'{agreement.name}' is judged {mine} but '{parent.agreement}' includes it "
            f"{theirs}; rolling windows and calendar periods do not mix in one tree",
            agreement.span,
        )
    if child_rolling and zone != parent.timezone:
        raise SlaCompileError(
            f"'{agreement.name}' sets timezone {zone!r} but '{parent.agreement}', which "
            f"includes it over a rolling window, steps at midnights of {parent.timezone!r}; "
            "a rolling child is judged at its parent's steps",
            agreement.span,
        )


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
        period = ir.own_period(agreement) or (parent.period if parent else "monthly")
        zone = agreement.timezone or (parent.timezone if parent else "UTC")
        if parent is not None:
            _check_rolling_child(agreement, period, zone, parent)
        rolling = ir.window_seconds(period) is not None
        if (
            not rolling
            and parent
            and PERIOD_KINDS.index(period) > PERIOD_KINDS.index(parent.period)
        ):
            raise SlaCompileError(
                f"'{name}' is measured {period} but '{parent.agreement}' includes it "
                f"{parent.period}; a child's period must be the same as its parent's or finer",
                agreement.span,
            )
        for objective in agreement.objectives:
            metric = objective.metric
            if isinstance(metric, ir.MetOf) and not metric.objective:
                other = ir.own_period(agreements[metric.target])
                if other and rolling != (ir.window_seconds(other) is not None):
                    raise SlaCompileError(
                        f"met({metric.target}) mixes a rolling window with calendar periods; "
                        "both agreements must be rolling, or both periodic",
                        objective.span,
                    )
                if other and not rolling and PERIOD_KINDS.index(other) > PERIOD_KINDS.index(period):
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
