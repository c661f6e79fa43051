"""What importing slagraph costs, and the shape of its import graph.

No timer is asserted here (timings are benchmarks/bench_startup.py's job): what is checked
is which modules get imported, which does not depend on the machine's load.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "slagraph"
HEAVY = {"networkx", "holidays", "rich", "pandas", "lark", "numpy", "pyarrow", "click"}


def _imported_after(code: str) -> list[str]:
    """The heavy top-level packages in sys.modules after running `code` in a fresh process."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {HEAVY!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    found: list[str] = json.loads(done.stdout.splitlines()[-1])
    return found


def test_import_slagraph_imports_nothing_heavy() -> None:
    assert [] == _imported_after("import slagraph")


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("examples/service_availability/model.sla", ["lark"]),
        ("examples/customer_support/model.sla", ["holidays", "lark"]),  # `holidays country`
    ],
)
def test_checking_a_model_needs_only_the_parser(model: str, expected: list[str]) -> None:
    """Parsing and compiling import lark (and holidays for a public-holiday calendar), not
    numpy, pyarrow or networkx: those are the evaluator's and `slagraph graph`'s."""
    assert expected == _imported_after(f"import slagraph; slagraph.load({model!r})")


PARQUET_READ = """
import pathlib
from slagraph.compiler import compile_module
from slagraph.data.readers import read_parquet
from slagraph.syntax.parser import parse

model = compile_module(parse("stream downs { account: text, start: time, end: time }"))
raw = read_parquet(pathlib.Path(FOLDER) / "downs.parquet", model.streams["downs"], "downs")
assert raw.table.num_rows == 1
"""


def test_reading_parquet_does_not_import_pandas(tmp_path: Path) -> None:
    """`pq.read_table` imports pandas (for the file's pandas metadata); slagraph reads with
    `ParquetFile.read`, which does not. (pyarrow itself still imports pandas, when it is
    installed, on the first `pa.array` of Python or numpy values, which evaluating does.)"""
    import pyarrow as pa
    import pyarrow.parquet as pq

    utc = pa.timestamp("s", "UTC")
    downs = {"account": ["a"], "start": pa.array([0], utc), "end": pa.array([60], utc)}
    pq.write_table(pa.table(downs), tmp_path / "downs.parquet")  # imports pandas: not here
    code = f"FOLDER = {str(tmp_path)!r}\n{PARQUET_READ}"
    assert "pandas" not in _imported_after(code)


def _cli(args: list[str]) -> str:
    """Code running the `slagraph` console script's entry point with `args`."""
    return (
        f"import sys; sys.argv = ['slagraph', *{args!r}]\n"
        "from slagraph.__main__ import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )


def test_version_imports_click_only() -> None:
    """rich is imported when something is printed through it (an error, a table), not to
    print the version."""
    assert ["click"] == _imported_after(_cli(["--version"]))


def test_check_imports_click_and_the_parser_only() -> None:
    """A `check` that succeeds prints one line with click: no rich, and nothing of the
    evaluator (numpy, pyarrow, networkx)."""
    model = "examples/service_availability/model.sla"
    assert ["click", "lark"] == _imported_after(_cli(["check", model]))


def test_an_error_still_prints_through_rich(tmp_path: Path) -> None:
    """The lazy console: a `check` that fails makes it, and the located message is
    printed."""
    bad = tmp_path / "bad.sla"
    bad.write_text("sla x {\n  objective\n}\n", encoding="utf-8")
    code = _cli(["check", str(bad)]) + "\nprint(sorted(m for m in sys.modules if m == 'rich'))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert "['rich']" in done.stdout
    assert f"{bad}:3:1" in done.stderr or f"{bad}:2" in done.stderr, done.stderr


# ------------------------------------------------------------------ the import graph


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(module: str) -> str:
    """The stage a module belongs to: `slagraph.engine.kernels` → `slagraph.engine`;
    top-level modules (`slagraph.model`, `slagraph.cli`) are their own."""
    parts = module.split(".")
    return ".".join(parts[:2])


def _imports() -> list[tuple[str, str, list[str], int]]:
    """(importing module, imported module, names taken from it, line) for every import of
    slagraph in slagraph/, at any depth (function-level imports included)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("slagraph"):
                        found.append((module, alias.name, [], node.lineno))
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module.startswith("slagraph"):
                    names = [a.name for a in node.names]
                    found.append((module, node.module, names, node.lineno))
    return found


def test_no_private_names_imported_across_packages() -> None:
    """A `_name` is its package's business: what another stage needs is public there."""
    offences = []
    for module, target, names, line in _imports():
        if _package(module) == _package(target):
            continue
        private_modules = [part for part in target.split(".")[1:] if part.startswith("_")]
        private_names = [n for n in names if n.startswith("_")]
        if private_modules or private_names:
            offences.append(f"{module}:{line}: from {target} import {', '.join(names)}")
    assert [] == offences


def _find_cycle(edges: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return []

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_packages_import_each_other_without_cycles() -> None:
    """The pipeline is the layout: a stage imports the stages before it, never one after.
    Counted are imports at module level and in functions alike (`slagraph` itself, the
    public face, is left out: it imports the stages lazily and nothing should import it
    but clients)."""
    edges: dict[str, set[str]] = {}
    for module, target, _, _ in _imports():
        source, sink = _package(module), _package(target)
        if source != sink and sink != "slagraph":
            edges.setdefault(source, set()).add(sink)
    assert [] == _find_cycle(edges)


def test_the_import_walk_sees_the_imports() -> None:
    """The walk itself: it finds a known cross-package import (else the tests above pass
    vacuously)."""
    pairs = {(_package(m), _package(t)) for m, t, _, _ in _imports()}
    assert ("slagraph.engine", "slagraph.compiler") in pairs
