"""The compiler's own cycle search names the cycle networkx would (compiler/graph.py)."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

import slagraph
from slagraph.compiler import ir
from slagraph.compiler.graph import find_cycle, to_networkx

NODES = [f"n{i}" for i in range(8)]


@st.composite
def graphs(draw: st.DrawFn) -> ir.Dependencies:
    names = draw(st.lists(st.sampled_from(NODES), min_size=1, max_size=8, unique=True))
    pairs = st.tuples(st.sampled_from(names), st.sampled_from(names))
    edges = draw(st.lists(pairs, max_size=20, unique=True))
    return ir.Dependencies({n: {} for n in names}, {e: {} for e in edges})


@settings(max_examples=500, deadline=None)
@given(graphs())
def test_find_cycle_is_networkx_find_cycle(graph: ir.Dependencies) -> None:
    """Same cycle, same first edge: the error message names it in the same order."""
    try:
        expected = [(u, v) for u, v in nx.find_cycle(to_networkx(graph))]
    except nx.NetworkXNoCycle:
        expected = []
    assert expected == find_cycle(graph)


def test_model_graph_is_the_networkx_graph_of_its_dependencies() -> None:
    model = slagraph.load("examples/multilevel/model.sla")
    graph = model.graph
    assert list(model.ir.dependencies.nodes) == list(graph.nodes)
    assert dict(model.ir.dependencies.edges) == {(u, v): d for u, v, d in graph.edges(data=True)}
    assert model.graph is graph  # built once


EXTENDS = """
stream tickets { account: text, created: time, first_reply: time? }
sla base "Base" { objective reply = share(tickets, first_reply - created <= 4h) >= 90% }
sla gold "Gold" extends base { objective reply = share(tickets, first_reply - created <= 2h) >= 9% }
master all { include gold }
"""


def test_extends_is_drawn_dashed_from_the_child_to_its_parent() -> None:
    """`extends` is an edge of the graph (relation "extends"), drawn dashed and labelled."""
    from slagraph.compiler import render

    model = slagraph.compile(EXTENDS)
    assert model.graph.edges["sla:base", "sla:gold"] == {"relation": "extends"}
    assert "    sla_gold -. extends .-> sla_base\n" in render.to_mermaid(model.graph)
    assert '  sla_gold -> sla_base [style=dashed, label="extends"];\n' in render.to_dot(model.graph)
    assert model.roots == ("base", "all")


def test_extends_takes_no_part_in_the_cycle_check() -> None:
    """A parent asking met() of a child that overrides that objective is no cycle: the
    child's statements were copied at compile time."""
    model = slagraph.compile("""
stream tickets { account: text, created: time, first_reply: time? }
sla base { objective g = met(gold) >= 1 }
sla gold extends base { objective g = count(tickets) >= 0 }
""")
    assert ("sla:base", "sla:gold") in model.graph.edges
