"""The agreement graph as text: Graphviz dot, Mermaid, or JSON (node-link).

Drawn top-down the way people read an agreement: masters → SLAs → objectives → clocks →
streams (the reverse of the dependency edges, which point from what is read to what reads it).
An `extends` edge is dashed and labelled, from the child to the agreement it copies.
"""

from __future__ import annotations

import json
import re

import networkx as nx

_ORDER = {"master": 0, "sla": 1, "objective": 2, "clock": 3, "calendar": 4, "stream": 5}
_SHAPES = {
    "master": "box3d",
    "sla": "box",
    "objective": "ellipse",
    "stream": "cylinder",
    "clock": "hexagon",
    "calendar": "note",
}


def _ident(node: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", node)


def _label(graph: nx.DiGraph, node: str) -> str:
    data = graph.nodes[node]
    label = f"{data['kind']} {data['name']}"
    return f"{label}\n{data['title']}" if data.get("title") else label


def _edges(graph: nx.DiGraph) -> list[tuple[str, str]]:
    return sorted(
        ((v, u) for u, v in graph.edges), key=lambda e: (_ORDER[graph.nodes[e[0]]["kind"]], e)
    )


def _extends(graph: nx.DiGraph, drawn_from: str, drawn_to: str) -> bool:
    return bool(graph.edges[drawn_to, drawn_from].get("relation") == "extends")


def to_dot(graph: nx.DiGraph) -> str:
    lines = ["digraph slagraph {", "  rankdir=TB;"]
    for node in sorted(graph.nodes, key=lambda n: (_ORDER[graph.nodes[n]["kind"]], n)):
        label = json.dumps(_label(graph, node)).replace("\\n", "\\n")
        lines.append(
            f"  {_ident(node)} [label={label}, shape={_SHAPES[graph.nodes[node]['kind']]}];"
        )
    lines += [
        f"  {_ident(a)} -> {_ident(b)}"
        + (' [style=dashed, label="extends"];' if _extends(graph, a, b) else ";")
        for a, b in _edges(graph)
    ]
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_mermaid(graph: nx.DiGraph) -> str:
    brackets = {
        "master": ("[[", "]]"),
        "sla": ("[", "]"),
        "objective": ("([", "])"),
        "stream": ("[(", ")]"),
        "clock": ("[/", "/]"),
        "calendar": ("{{", "}}"),
    }
    lines = ["flowchart TD"]
    for node in sorted(graph.nodes, key=lambda n: (_ORDER[graph.nodes[n]["kind"]], n)):
        left, right = brackets[graph.nodes[node]["kind"]]
        text = _label(graph, node).replace('"', "'").replace("\n", "<br/>")
        lines.append(f'    {_ident(node)}{left}"{text}"{right}')
    lines += [
        f"    {_ident(a)} {'-. extends .->' if _extends(graph, a, b) else '-->'} {_ident(b)}"
        for a, b in _edges(graph)
    ]
    return "\n".join(lines) + "\n"


def to_json(graph: nx.DiGraph) -> str:
    data = nx.node_link_data(graph, edges="edges")
    return json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"
