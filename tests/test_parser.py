"""The parser: exact messages for common mistakes, and robustness under fuzzing.

Robustness means: whatever the text, `parse` returns a `Module` or raises a
`SlaSyntaxError` whose message renders; it never leaks a lark exception, a
`RecursionError` or anything else. When a fuzzed text does parse, it must also survive
the formatter (`parse(fmt(text)) == parse(text)`, fmt is idempotent, no comment is lost).

Two generators feed it:

* `grammar_texts()`: sentences of `grammar/slagraph.lark` itself (hypothesis' `from_lark`
  on the very `Lark` object the parser uses), with tokens spaced apart as the lexer needs
  and terminal values that are mostly, not always, valid (a `25:00`, a `2026-02-30`);
* `mutated_spec()`: the SPEC example, whole or one declaration of it, with characters or
  tokens deleted, duplicated, swapped, or stray punctuation and keywords inserted, or cut
  short.

The default run draws 2,000 texts; `-m slow` draws 50,000 per generator.
"""

from __future__ import annotations

import re
from pathlib import Path

import lark
import pytest
import strategies
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from slagraph.errors import SlaSyntaxError
from slagraph.syntax import ast, tables
from slagraph.syntax.format import format_source
from slagraph.syntax.parser import MAX_DEPTH, MAX_SOURCE_CHARS, _lark, parse

GRAMMAR_EXAMPLES = 400  # from_lark draws are slow (~50 ms): fewer, but each a whole file
MUTATION_EXAMPLES = 1600
SLOW_EXAMPLES = 50_000

SPEC_EXAMPLE = (Path(__file__).parent / "fixtures" / "spec_example.sla").read_text("utf-8")


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


_COMMENT = re.compile(r'"(?:[^"\\\n]|\\["\\])*"|(#[^\n]*)')  # group 1: a comment


def check_robust(text: str) -> ast.Module | None:
    """Parse `text`: a module, or a `SlaSyntaxError` that renders; nothing else."""
    try:
        module = parse(text)
    except SlaSyntaxError as error:
        rendered = str(error)
        assert rendered.startswith("<string>:")
        assert "syntax error: " in rendered
        return None
    out = format_source(text)
    assert parse(out) == module
    assert format_source(out) == out
    for comment in filter(None, _COMMENT.findall(text)):
        assert comment.rstrip() in out
    return module


# ------------------------------------------------------------------ exact messages

MISTAKES = [
    pytest.param(
        "sla x {\n    objective a = count(t) >= 1\n",
        """\
<string>:2:32: syntax error: unexpected end of file; expected '-', 'and', 'during', \
'excluding', 'min', 'or', 'timeslices', 'warn', 'weight', '}' or a statement (objective, \
credit, met when, include, …)
2 |     objective a = count(t) >= 1
  |                                ^""",
        id="missing-closing-brace",
    ),
    pytest.param(
        "sla x {\n    objectiv a = count(t) >= 1\n}\n",
        """\
<string>:2:5: syntax error: unexpected name 'objectiv'; expected '}' or a statement \
(objective, credit, met when, include, …) (did you mean 'objective'?)
2 |     objectiv a = count(t) >= 1
  |     ^^^^^^^^""",
        id="misspelled-statement-keyword",
    ),
    pytest.param(
        "sal x {\n}\n",
        """\
<string>:1:1: syntax error: unexpected name 'sal'; expected 'accounts', 'calendar', \
'clock', 'master', 'sla', 'stream' or the end of the file (did you mean 'sla'?)
1 | sal x {
  | ^^^""",
        id="misspelled-declaration-keyword",
    ),
    pytest.param(
        'sla x "Platform {\n}\n',
        """\
<string>:1:7: syntax error: unterminated string: a string must close with '"' on the same line \
(strings are one line; the escapes are \\" and \\\\)
1 | sla x "Platform {
  |       ^""",
        id="unterminated-string",
    ),
    pytest.param(
        "calendar c {\n    hours mon 09:00-25:00\n}\n",
        """\
<string>:2:21: syntax error: '25:00' is not a time of day (00:00 to 24:00)
2 |     hours mon 09:00-25:00
  |                     ^^^^^""",
        id="bad-clock",
    ),
    pytest.param(
        "calendar c {\n    holidays 2026-01-01, 2026-02-30\n}\n",
        """\
<string>:2:26: syntax error: '2026-02-30' is not a calendar date (YYYY-MM-DD)
2 |     holidays 2026-01-01, 2026-02-30
  |                          ^^^^^^^^^^""",
        id="bad-date",
    ),
    pytest.param(
        "sla x {\n    objective a = t <= 1234567890123456789012s\n}\n",
        "<string>:2:24: syntax error: duration too large: at most 106,751d (about 292 "
        "years, the span of nanosecond times)\n"
        "2 |     objective a = t <= 1234567890123456789012s\n"
        "  |                        ^^^^^^^^^^^^^^^^^^^^^^^",
        id="huge-duration",
    ),
    pytest.param(
        "sla x {\n    met when a & b\n}\n",
        """\
<string>:2:16: syntax error: unexpected character '&'
2 |     met when a & b
  |                ^""",
        id="stray-character",
    ),
]


@pytest.mark.parametrize(("source", "message"), MISTAKES)
def test_common_mistakes_exact_message(source: str, message: str) -> None:
    with pytest.raises(SlaSyntaxError) as info:
        parse(source)
    assert message == str(info.value)


def test_too_deep_nesting_exact_message() -> None:
    """Deep nesting is refused before the recursive transformer can overflow the stack."""
    source = "sla x {\n    met when " + "f(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH + "\n}\n"
    with pytest.raises(SlaSyntaxError) as info:
        parse(source)
    # start → sla → met when are three levels: the call at depth MAX_DEPTH + 1 is the caret.
    column = len("    met when ") + 2 * (MAX_DEPTH - 3) + 1
    expected = (
        f"<string>:2:{column}: syntax error: expression nested too deeply "
        f"(more than {MAX_DEPTH} levels); split it up\n"
        f"2 | {source.splitlines()[1]}\n"
        f"  | {' ' * (column - 1)}^"
    )
    assert expected == str(info.value)


def test_too_large_input_exact_message() -> None:
    source = "sla x {\n}\n" + "#" * MAX_SOURCE_CHARS
    with pytest.raises(SlaSyntaxError) as info:
        parse(source)
    expected = (
        f"<string>:1:1: syntax error: input too large: {len(source):,} characters, "
        f"the limit is {MAX_SOURCE_CHARS:,}\n"
        "1 | sla x {\n"
        "  | ^"
    )
    assert expected == str(info.value)


def test_caret_line_after_form_feed() -> None:
    """A form feed is whitespace to the lexer, so the caret must still sit on the bad line."""
    with pytest.raises(SlaSyntaxError) as info:
        parse("sla x {\x0c met when & }")
    assert str(info.value).endswith("1 | sla x {\x0c met when & }\n  |                   ^")


def test_deep_parentheses_are_not_deep_trees() -> None:
    """Parentheses add no tree depth, so even absurdly many parse (without recursion)."""
    source = "sla x {\n    met when " + "(" * 10_000 + "a" + ")" * 10_000 + "\n}\n"
    (decl,) = parse(source).decls
    assert decl.body == (ast.MetWhen(ast.Name("a")),)


def test_long_flat_chains_parse() -> None:
    """`and`/`or` are flat lists in the grammar, so long chains are not 'too deep'."""
    source = "sla x {\n    met when a" + " and a" * 2_000 + " or b" * 2_000 + "\n}\n"
    check_robust(source)


# ------------------------------------------------------------------ grammar sentences


# Token values come from small pools: one draw per token keeps `from_lark` fast, and the
# values themselves are fuzzed by the mutation test and tests/strategies.py. The pools
# hold a few invalid values (bad clock, bad date) so that transformer errors show up too.
_POOLS = {
    "NAME": ["a", "x1", "_", "share", "score", "mon", "fri", "text", "monthly", "Tz_9", "n"],
    "STRING": ['""', '"UTC"', '"a b"', '"#"', r'"\""', r'"\\"', '"→ ü"'],
    "NUMBER": ["0", "3", "2.5", "10.00", "007", "123456789012345678901234567890", "9" * 5000],
    "PERCENT": ["0%", "99.9%", "100%", "0.50%", "250%", "1." + "0" * 5000 + "1%"],
    "DURATION": ["0s", "90s", "15m", "1h30m", "2w", "1d1s", "99999w", "9" * 5000 + "s"],
    "DATE": ["2026-01-01", "2024-02-29", "0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01"],
    "CLOCK": ["00:00", "9:00", "18:30", "24:00", "24:01", "25:00", "12:60"],
    "COMPARE": list(strategies.COMPARE_OPS),
    "COMMENT": ["#", "# note", '# "quoted', "#\u2028"],
    "WS": ["\n", "\t", "\r\n", "\x0c"],
}


def _grammar_terminals() -> dict[str, st.SearchStrategy[str]]:
    """A strategy per terminal, each ending in whitespace so that tokens never run together."""
    explicit = {
        t.name: st.just(t.pattern.value + " ")
        for t in _lark().terminals
        if isinstance(t.pattern, lark.lexer.PatternStr)
    }
    explicit |= {name: st.sampled_from([v + " " for v in pool]) for name, pool in _POOLS.items()}
    explicit["COMMENT"] = st.sampled_from([v + "\n" for v in _POOLS["COMMENT"]])
    return explicit


def grammar_texts() -> st.SearchStrategy[str]:
    # `from_lark` reads the analysed grammar, which a parser loaded from its saved tables
    # (the one `parse` uses) does not keep: build one from the grammar file.
    return from_lark(tables.build("slagraph.lark"), explicit=_grammar_terminals())


@_settings(GRAMMAR_EXAMPLES)
@given(grammar_texts())
def test_grammar_sentences_parse_or_fail_cleanly(text: str) -> None:
    check_robust(text)


@pytest.mark.slow
@_settings(SLOW_EXAMPLES)
@given(grammar_texts())
def test_grammar_sentences_parse_or_fail_cleanly_long(text: str) -> None:
    check_robust(text)


# ------------------------------------------------------------------ mutated SPEC example

_TOKENS = re.compile(r'"(?:[^"\\\n]|\\["\\])*"|#[^\n]*|\s+|\w+|.', re.S)
_STRAY = st.sampled_from(
    list('{}(),:=-<>!?"#%\\.;\n\t')
    + ["->", "<=", "==", '"', "\u2028", "\x00", "é", "2026-"]
    + sorted(strategies.KEYWORDS)
)


def _spec_pieces() -> list[str]:
    """The whole SPEC example and each of its declarations (small texts fuzz faster)."""
    module = parse(SPEC_EXAMPLE)
    return [SPEC_EXAMPLE] + [SPEC_EXAMPLE[d.span.start_pos : d.span.end_pos] for d in module.decls]


SPEC_PIECES = _spec_pieces()


@st.composite
def mutated_spec(draw: st.DrawFn) -> str:
    """A piece of the SPEC example after one to four random character or token edits."""
    base = draw(st.sampled_from(SPEC_PIECES))
    text = base
    for _ in range(draw(st.integers(1, 4))):
        by_token = draw(st.booleans())
        units = _TOKENS.findall(text) if by_token else list(text)
        if not units:
            break
        i = draw(st.integers(0, len(units) - 1))
        j = draw(st.integers(i, min(len(units), i + (3 if by_token else 8))))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "truncate"]))
        if op == "delete":
            del units[i:j]
        elif op == "duplicate":
            units[i:i] = units[i:j]
        elif op == "swap":
            k = draw(st.integers(0, len(units) - 1))
            units[i], units[k] = units[k], units[i]
        elif op == "insert":
            units.insert(i, draw(_STRAY) + (" " if by_token else ""))
        else:
            units = units[:i]
        text = "".join(units)
    return text


@_settings(MUTATION_EXAMPLES)
@given(mutated_spec())
def test_mutated_spec_parses_or_fails_cleanly(text: str) -> None:
    check_robust(text)


@pytest.mark.slow
@_settings(SLOW_EXAMPLES)
@given(mutated_spec())
def test_mutated_spec_parses_or_fails_cleanly_long(text: str) -> None:
    check_robust(text)


def test_spec_example_parses() -> None:
    module = check_robust(SPEC_EXAMPLE)
    assert module is not None
    assert len(module.decls) == 14


def test_gc_pause_restores_the_collector_and_frees_nothing_live() -> None:
    """The parser's collector pause: nested pauses re-enable once, a disabled collector
    stays disabled, and the objects built during a pause are promoted, not collected."""
    import gc

    from slagraph.process import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
        built = [[i] for i in range(1000)]
    assert gc.isenabled()
    assert gc.get_count()[0] < 100  # moved out of the young generation, unscanned
    assert built[999] == [999]
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
