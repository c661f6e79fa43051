"""The parser's fast path against its reference, pairwise.

`parse_fast` drives lark's own LALR tables with a tight loop and builds the AST in the
reduce steps (`slagraph/syntax/lalr.py`); `parse_reference` is lark's tree plus the
`ToAst` Transformer, the path every error takes. On every input they must agree: both
reject it, or both accept it with equal ASTs *including spans* (AST equality ignores
spans, so the comparison here walks them explicitly).

Inputs: every `.sla` file in the repository (examples, golden and broken cases,
fixtures), every `sla` block of the docs and of the SPEC, a generated large model, and
three generators — modules drawn from `tests/strategies.py` and formatted (valid by
construction), sentences of the grammar itself (`from_lark`), and the mutation fuzzer of
tests/test_parser.py (mostly invalid: the accept/reject decision must match).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import attrs
import pytest
import strategies
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_parser import grammar_texts, mutated_spec

from benchmarks.model_gen import large_model
from slagraph.errors import SlaSyntaxError
from slagraph.syntax.format import format_module
from slagraph.syntax.parser import MAX_DEPTH, parse, parse_fast, parse_reference
from tests.spec_source import SPEC

ROOT = Path(__file__).resolve().parents[1]

MODULE_EXAMPLES = 500
GRAMMAR_EXAMPLES = 150  # from_lark draws are slow (~50 ms)
MUTATION_EXAMPLES = 1000


def with_spans(value: Any) -> Any:
    """A comparable copy of an AST with every field, spans included."""
    if attrs.has(type(value)):
        fields = attrs.fields(type(value))
        return (
            type(value).__name__,
            *((f.name, with_spans(getattr(value, f.name))) for f in fields),
        )
    if isinstance(value, (tuple, list)):
        return tuple(with_spans(v) for v in value)
    return value


def assert_same(text: str) -> bool:
    """Both paths reject `text`, or both accept it with the same AST and spans.
    Returns whether it was accepted."""
    try:
        expected = parse_reference(text)
    except SlaSyntaxError:
        assert parse_fast(text) is None
        return False
    actual = parse_fast(text)
    assert actual is not None, "the fast path rejects what lark accepts"
    assert with_spans(actual) == with_spans(expected)
    return True


# ------------------------------------------------------------------ files and blocks


def _sla_files() -> list[Any]:
    paths = sorted(
        p for p in ROOT.glob("**/*.sla") if ".git" not in p.parts and "node_modules" not in p.parts
    )
    return [pytest.param(p, id=str(p.relative_to(ROOT))) for p in paths]


def _doc_blocks() -> list[Any]:
    cases = []
    for page in sorted([*ROOT.glob("docs/*.md"), ROOT / "README.md"]):
        text = page.read_text("utf-8") if page.is_file() else ""
        for i, block in enumerate(re.findall(r"^```sla\n(.*?)^```", text, re.S | re.M), 1):
            cases.append(pytest.param(block, id=f"{page.name}-{i}"))
    if SPEC.is_file():
        blocks = re.findall(r"^```\n(.*?)^```", SPEC.read_text("utf-8"), re.S | re.M)
        cases += [pytest.param(b, id=f"SPEC-{i}") for i, b in enumerate(blocks, 1)]
    return cases


def test_there_are_files_and_blocks() -> None:
    assert len(_sla_files()) >= 50
    assert len(_doc_blocks()) >= 10


@pytest.mark.parametrize("path", _sla_files())
def test_sla_files_agree(path: Path) -> None:
    assert_same(path.read_text("utf-8"))


@pytest.mark.parametrize("text", _doc_blocks())
def test_doc_blocks_agree(text: str) -> None:
    assert assert_same(text)


def test_generated_model_agrees() -> None:
    assert assert_same(large_model(30, 10))


# ------------------------------------------------------------------ corner cases


CORNERS = {
    "empty": "",
    "only-comments": "# a\n   # b\n",
    "crlf": 'sla x "t" {\r\n    met when a and b\r\n}\r\n',
    "form-feed-and-tabs": "sla x {\x0c\tmet when\t(a)\n}",
    "unicode-string": 'stream s { a: text } from "ü → ☃"',
    "escaped-quotes": r'sla x "a \"q\" \\ b" { }',
    "parenthesised-first": "sla x {\n met when ((a - b) during c) <= 5m and (d)\n}",
    "negative-and-literals": "sla x {\n met when a in "
    '(-1, 2.5, 99%, 1h30m, 2026-01-01, 09:00, "s")\n}',
    "windows-chain": "sla x {\n met when a during b excluding c during d - e - f > 1\n}",
    "selection-args": "sla x {\n objective o = share(t where a == 1, b - c <= 1h) >= 1%"
    " warn at 2% weight 3\n}",
    "keyword-as-name": "stream s { period: text, sla: number, in: bool? }",
    "keyword-glued-to-name": "slax {}\nsla y {\n objectivea = count(t) >= 1\n}",
    "calendar": 'calendar c {\n timezone "UTC"\n'
    " hours mon-fri 09:00-12:00 13:00-18:00, sat 10:00-12:00\n"
    ' holidays 2026-01-01, 2026-12-25\n holidays country "CL" subdivision "RM"\n}',
    "statements": 'master m "T" extends p for accounts where tier == "gold" {\n'
    " include a, b weight 2\n"
    " credit on o: below 99% -> 10%, below 95% -> 25%\n credit 5% when breached\n credit cap 30%\n"
    ' period monthly\n timezone "UTC"\n terminate when o breached in 3 consecutive periods\n'
    " terminate when o breached in 2 of 6 periods\n at_risk 12%\n allocate o 50%, p 50%\n"
    " earnback when met in 3 following periods\n}",
    "bad-clock": "calendar c { hours mon 09:00-25:00 }",
    "bad-date": "calendar c { holidays 2026-02-30 }",
    "huge-duration": "sla x { met when t <= 1234567890123456789012s }",
    "twice-timezone": 'calendar c { timezone "UTC" timezone "UTC" }',
    "syntax-error-after-bad-literal": "calendar c { holidays 2026-02-30 }\nsla {",
    "unterminated": 'sla x "abc\n{}',
    "stray": "sla x { met when a & b }",
    "truncated": "sla x { met when (a",
}


@pytest.mark.parametrize("text", list(CORNERS.values()), ids=list(CORNERS))
def test_corner_cases_agree(text: str) -> None:
    assert_same(text)


@pytest.mark.parametrize("depth", [MAX_DEPTH - 5, MAX_DEPTH - 4, MAX_DEPTH - 3, MAX_DEPTH])
def test_depth_bound_is_the_same(depth: int) -> None:
    """start → sla → met when, then the calls, then the innermost name: MAX_DEPTH - 4
    calls are the most either path accepts; deeper is refused with the reference's
    message (the fast path hands it over)."""
    text = "sla x {\n    met when " + "f(" * depth + "a" + ")" * depth + "\n}\n"
    accepted = assert_same(text)
    assert accepted == (depth <= MAX_DEPTH - 4)
    if not accepted:
        with pytest.raises(SlaSyntaxError, match="nested too deeply"):
            parse(text)


def test_left_nested_depth_bound() -> None:
    """`a - b - c …` nests to the left without deepening lark's stack: still counted."""
    for n in (MAX_DEPTH - 4, MAX_DEPTH):
        assert_same("sla x {\n met when a" + " - b" * n + " > 1\n}")


# ------------------------------------------------------------------ generators


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


@_settings(MODULE_EXAMPLES)
@given(strategies.modules())
def test_generated_modules_agree(module: Any) -> None:
    assert assert_same(format_module(module))


@_settings(GRAMMAR_EXAMPLES)
@given(grammar_texts())
def test_grammar_sentences_agree(text: str) -> None:
    assert_same(text)


@_settings(MUTATION_EXAMPLES)
@given(mutated_spec())
def test_mutations_accepted_and_rejected_alike(text: str) -> None:
    assert_same(text)


@_settings(300)
@given(
    st.lists(
        st.sampled_from(
            [
                "sla",
                "x",
                "{",
                "}",
                "objective",
                "a",
                "=",
                "met",
                "when",
                "(",
                ")",
                "-",
                "1",
                "in",
                " ",
                "\n",
                "#c\n",
                "not",
                "slax",
                "ab",
                "5m",
                "2026-01-01",
                "9:00",
                '"s"',
                ",",
                "<=",
            ]
        ),
        max_size=30,
    )
)
def test_token_soup_accepted_and_rejected_alike(pieces: list[str]) -> None:
    """Glued keywords and names exercise the contextual lexer (`slax` is `sla` `x` where
    no name fits)."""
    assert_same("".join(pieces))
