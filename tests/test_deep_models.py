"""Deep and long inputs: `extends` and `include` chains, nested expressions. Each ends
in a located `SlaError` (or compiles), never in a `RecursionError` or another traceback,
from `slagraph.compile` and from the command line (docs/language.md, Limits)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import slagraph
from slagraph.cli import main
from slagraph.compiler.agreements import MAX_EXTENDS
from slagraph.compiler.graph import MAX_NESTING

HEAD = (
    "stream incidents { account: text, opened: time, resolved: time? }\n"
    'calendar c { timezone "UTC" hours mon-fri 09:00-18:00 }\n'
    "accounts { account: text, fee: number }\n"
    "sla s0 { objective x = count(incidents) >= 1 }\n"
)
FIRST = HEAD.count("\n") + 1  # the line of s1


def extends_chain(n: int) -> str:
    """s0 ← s1 ← … ← s(n-1): n - 1 levels of extends above s(n-1)."""
    return HEAD + "".join(f"sla s{i} extends s{i - 1} {{ }}\n" for i in range(1, n))


def include_chain(n: int) -> str:
    """s(n-1) includes s(n-2) … includes s0: n - 1 levels of include below the root."""
    return HEAD + "".join(f"master s{i} {{ include s{i - 1} }}\n" for i in range(1, n))


def message(text: str) -> str:
    with pytest.raises(slagraph.SlaError) as caught:
        slagraph.compile(text, "deep.sla")
    return str(caught.value)


@pytest.mark.parametrize("n", [MAX_EXTENDS + 2, 1_000, 5_000])
def test_long_extends_chain_is_a_located_error(n: int) -> None:
    line = FIRST + MAX_EXTENDS
    level = MAX_EXTENDS + 1
    assert message(extends_chain(n)) == (
        f"deep.sla:{line}:17: compile error: sla 's{level}' has more than {MAX_EXTENDS} "
        f"levels of extends (s{level} → s{level - 1} → s{level - 2} → …); the limit is "
        f"{MAX_EXTENDS}: extend a shallower agreement\n"
        f"{line} | sla s{level} extends s{level - 1} {{ }}\n"
        f"   |                 ^^^"
    )


def test_extends_chain_at_the_limit_compiles() -> None:
    model = slagraph.compile(extends_chain(MAX_EXTENDS + 1))
    assert len(model.roots) == MAX_EXTENDS + 1  # s0 … s(MAX_EXTENDS): nothing includes them


@pytest.mark.parametrize("n", [MAX_NESTING + 2, 1_000, 5_000])
def test_deep_include_chain_is_a_located_error(n: int) -> None:
    top, line = n - 1, FIRST + n - 2
    pad = " " * len(str(line))
    source = f"master s{top} {{ include s{top - 1} }}"
    assert message(include_chain(n)) == (
        f"deep.sla:{line}:1: compile error: master 's{top}' nests more than {MAX_NESTING} "
        f"levels of include (s{top} → s{top - 1} → s{top - 2} → …); the limit is "
        f"{MAX_NESTING}: flatten the tree\n"
        f"{line} | {source}\n"
        f"{pad} | {'^' * len(source)}"
    )


def test_include_chain_at_the_limit_compiles() -> None:
    model = slagraph.compile(include_chain(MAX_NESTING + 1))
    assert model.roots == (f"s{MAX_NESTING}",)


@pytest.mark.parametrize(
    ("kind", "n"),
    [("extends", 1_000), ("include", 1_000), ("extends", 3_000), ("include", 3_000)],
)
def test_cli_long_chain_exits_1_without_traceback(tmp_path: Path, kind: str, n: int) -> None:
    path = tmp_path / "deep.sla"
    path.write_text((extends_chain if kind == "extends" else include_chain)(n), "utf-8")
    result = CliRunner().invoke(main, ["check", str(path)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"{path}:")
    assert f"the limit is {MAX_EXTENDS if kind == 'extends' else MAX_NESTING}" in result.stderr


EXPRESSIONS = {
    "parentheses": lambda n: "(" * n + "x" + ")" * n,
    "not": lambda n: "not " * n + "x",
    "and": lambda n: " and ".join(["x"] * n),
    "or": lambda n: " or ".join(["x"] * n),
    "nested and/or": lambda n: "(x and " * n + "x" + ")" * n,
    "calls": lambda n: "met(" * n + "x" + ")" * n,
}


@pytest.mark.parametrize("shape", sorted(EXPRESSIONS))
@pytest.mark.parametrize("n", [1_000, 5_000])
def test_deep_or_long_condition_compiles_or_is_located(shape: str, n: int) -> None:
    """`met when` over 1,000 and 5,000 levels or items: flat chains compile; real
    nesting is the parse-tree depth error, at its line and column."""
    text = HEAD + "sla s {\n objective x = count(incidents) >= 1\n met when "
    text += EXPRESSIONS[shape](n) + "\n}\n"
    try:
        slagraph.compile(text, "deep.sla")
    except slagraph.SlaError as error:
        assert str(error).startswith(f"deep.sla:{FIRST + 2}:")
        assert "nested too deeply (more than 64 levels)" in str(error)
    else:
        assert shape in ("parentheses", "and", "or")


@pytest.mark.parametrize("n", [1_000, 5_000])
def test_long_difference_and_during_are_located(n: int) -> None:
    for expr in (
        "resolved" + " - opened" * n,
        "resolved - opened" + " during c" * n,
    ):
        text = HEAD + f"sla s {{ objective y = mean(incidents, {expr}) <= 1h }}\n"
        assert message(text).startswith(f"deep.sla:{FIRST}:")
