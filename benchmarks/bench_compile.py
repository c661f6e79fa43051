"""Parse and compile a generated model of 1,000 SLAs / 10,000 objectives.

python -m pytest benchmarks/bench_compile.py --benchmark-only
"""

from __future__ import annotations

import pytest

from benchmarks.model_gen import large_model
from slagraph.compiler import compile_module
from slagraph.syntax.parser import parse, parse_reference

TEXT = large_model(1000, 10)


@pytest.fixture(scope="module")
def module():  # type: ignore[no-untyped-def]
    return parse(TEXT, "large.sla")


def test_parse_1000_slas(benchmark) -> None:  # type: ignore[no-untyped-def]
    result = benchmark(parse, TEXT, "large.sla")
    assert len(result.decls) == 3 + 1 + 1000 + 100 + 1


def test_parse_reference_1000_slas(benchmark) -> None:  # type: ignore[no-untyped-def]
    """lark's own parser and tree (the path of every error): what `parse`'s fast path is
    measured against when deciding whether it still pays for itself."""
    result = benchmark.pedantic(parse_reference, (TEXT, "large.sla"), rounds=3)
    assert len(result.decls) == 3 + 1 + 1000 + 100 + 1


def test_compile_1000_slas(benchmark, module) -> None:  # type: ignore[no-untyped-def]
    model = benchmark(compile_module, module)
    assert sum(len(a.objectives) for a in model.agreements.values()) == 10_000


def test_parse_and_compile_1000_slas(benchmark) -> None:  # type: ignore[no-untyped-def]
    model = benchmark.pedantic(lambda: compile_module(parse(TEXT, "large.sla")), rounds=3)
    assert len(model.plan.instances) == 1000 + 100 + 1
