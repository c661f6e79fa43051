"""`Model`: a compiled `.sla` file, the object an embedding application keeps and reuses.

Compile once, evaluate many times: a `Model` is immutable and holds no per-evaluation
state, so one instance may be shared across threads.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from slagraph.compiler import compile_module, ir
from slagraph.syntax.parser import parse, parse_file


class Model:
    """A compiled agreement model. Build it with `slagraph.compile` or `slagraph.load`."""

    def __init__(self, compiled: ir.Model, source: str) -> None:
        self.ir = compiled
        self.source = source

    @property
    def graph(self) -> nx.DiGraph:
        """The dependency graph: streams → objectives → SLAs → masters."""
        return self.ir.graph

    @property
    def roots(self) -> tuple[str, ...]:
        return self.ir.plan.roots

    def __repr__(self) -> str:
        return f"<Model {self.ir.file}: {len(self.ir.agreements)} agreements, roots {self.roots}>"


def compile(text: str, file: str = "<string>") -> Model:  # noqa: A001 - the natural name
    """Parse and compile `.sla` source text. Raises `SlaSyntaxError` or `SlaCompileError`."""
    module = parse(text, file)
    return Model(compile_module(module), text)


def load(path: str | Path) -> Model:
    """Read, parse and compile a `.sla` file."""
    module = parse_file(path)
    return Model(compile_module(module), module.source)
