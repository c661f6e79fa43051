"""The canonical formatter: golden layouts, the SPEC examples, comments, and properties.

The properties: for any text, `format_source` is idempotent and keeps the meaning
(`parse(fmt(src)) == parse(src)`); for any generated AST, `parse(format_module(ast)) == ast`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import strategies
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slagraph.errors import SlaSyntaxError
from slagraph.syntax import ast
from slagraph.syntax.format import format_module, format_source
from slagraph.syntax.parser import parse
from tests.spec_source import LIVE_SPEC, SPEC
from tests.spec_source import SPEC_COPY as SPEC_FILE_COPY

FIXTURES = Path(__file__).parent / "fixtures"
SPEC_COPY = FIXTURES / "spec_example.sla"


def spec_blocks(text: str) -> list[str]:
    """The ```-fenced (untagged) code blocks of a markdown file: the SPEC's `.sla` examples."""
    return re.findall(r"^```\n(.*?)^```", text, re.S | re.M)


def _spec_sources() -> list[pytest.param]:
    cases = [pytest.param(SPEC_COPY.read_text("utf-8"), id="fixture-copy")]
    if SPEC.is_file():
        blocks = spec_blocks(SPEC.read_text("utf-8"))
        cases += [pytest.param(b, id=f"spec-block-{i}") for i, b in enumerate(blocks, 1)]
        cases.append(pytest.param("\n".join(blocks), id="spec-all-blocks"))
    return cases


def comments(text: str) -> list[str]:
    """Comment texts, found the way the formatter finds them (a `#` outside strings)."""
    found = re.findall(r'"(?:[^"\\\n]|\\["\\])*"|(#[^\n]*)', text)
    return [c.rstrip() for c in found if c]


def assert_canonical(source: str) -> str:
    """fmt keeps the meaning, is idempotent, and keeps every comment's text."""
    out = format_source(source)
    assert parse(out) == parse(source)
    assert format_source(out) == out
    for comment in comments(source):
        assert comment in out
    return out


# ------------------------------------------------------------------ golden cases

GOLDEN = [
    pytest.param(
        """calendar   biz{timezone "UTC"  hours mon-fri 9:00-12:00   13:00-18:00
        hours sat 10:00-14:00 holidays 2026-01-01 holidays country "CL" subdivision "RM"
        holidays 2026-12-25,2026-05-01}
        stream  s{a:text,b : time ?,} timezone "UTC" from "x"
        accounts{account:text}""",
        """\
calendar biz {
    timezone "UTC"
    hours mon-fri 09:00-12:00 13:00-18:00, sat 10:00-14:00
    holidays 2026-01-01, 2026-12-25, 2026-05-01
    holidays country "CL" subdivision "RM"
}

stream s { a: text, b: time? } from "x" timezone "UTC"

accounts { account: text }
""",
        id="declarations",
    ),
    pytest.param(
        """sla x{objective a=not(a and b)objective b=((a or b))and c
        objective c=a-(b-c)objective d=(a-b)-c    objective e = (x during cal) - y
        met when ((a<b)) == c or not not d
        objective f = count(t where (p in ("a","b")) and q is not null, (r-s) excluding k<=2w)
           >=99.90%warn at 50.0%weight 2.50
        }""",
        """\
sla x {
    objective a = not (a and b)
    objective b = (a or b) and c
    objective c = a - (b - c)
    objective d = a - b - c
    objective e = (x during cal) - y
    met when (a < b) == c or not not d
    objective f = count(t where p in ("a", "b") and q is not null, r - s excluding k <= 14d) >= \
99.9% warn at 50% weight 2.5
}
""",
        id="expressions-and-parentheses",
    ),
    pytest.param(
        r"""master m "Say \"hi\" \\ bye" extends base for accounts where tier=="gold"{
        period monthly timezone "UTC" include a weight 50%,b
        credit on a: below 99.0% -> 10%, below 1h30m -> 25%, below 90s -> 1%
        credit 5% when breached credit cap 30%
        terminate when a breached in 3 consecutive periods terminate
        when a breached in 4 of 6 periods
        at_risk 12% allocate a 80%, b 40% earnback when met in 3 following periods
        objective t = mean(x, 0s) < 3600s}""",
        r"""master m "Say \"hi\" \\ bye" extends base for accounts where tier == "gold" {
    period monthly
    timezone "UTC"
    include a weight 50%, b
    credit on a: below 99% -> 10%, below 1h30m -> 25%, below 1m30s -> 1%
    credit 5% when breached
    credit cap 30%
    terminate when a breached in 3 consecutive periods
    terminate when a breached in 4 of 6 periods
    at_risk 12%
    allocate a 80%, b 40%
    earnback when met in 3 following periods
    objective t = mean(x, 0s) < 1h
}
""",
        id="agreement-statements-and-literals",
    ),
    pytest.param(
        """# header comment


# about s
stream s { a: text,   # the key
   # about b
   b: time }
sla x {   # on the header
  # before a
  objective a = count(s)   # on a
  objective b = count(s
     # inside b
     ) >= 1   # on b
  # before the brace
}  # on the brace
calendar c { hours mon 09:00-10:00  # h1
  hours tue 09:00-10:00  # h2
}
# at the end
""",
        """\
# header comment
# about s
stream s { a: text, b: time }  # the key

# about b
sla x {  # on the header
    # before a
    objective a = count(s)  # on a
    objective b = count(s) >= 1  # on b
    # inside b
    # before the brace
}  # on the brace

calendar c {
    hours mon 09:00-10:00, tue 09:00-10:00  # h1  # h2
}

# at the end
""",
        id="comments",
    ),
    pytest.param(
        "sla x { objective a = x >= 12345678901234.50 weight 0.000 }",
        "sla x {\n    objective a = x >= 12345678901234.5 weight 0\n}\n",
        id="numbers-at-the-15-digit-limit",
    ),
    pytest.param(
        'stream s { a: text } from "x#y\\"#"   # real\n',
        'stream s { a: text } from "x#y\\"#"  # real\n',
        id="hash-inside-string-is-not-a-comment",
    ),
    pytest.param("", "", id="empty"),
    pytest.param("  # only a comment\n\n", "# only a comment\n", id="only-a-comment"),
]


@pytest.mark.parametrize(("source", "expected"), GOLDEN)
def test_golden(source: str, expected: str) -> None:
    assert expected == format_source(source)
    assert_canonical(source)


# ------------------------------------------------------------------ the SPEC examples


def test_spec_copy_matches_live_spec() -> None:
    """The fixtures are faithful copies: spec_example.sla holds the SPEC's untagged ```
    blocks, and tests/fixtures/SPEC.md equals the live SPEC whenever it sits beside the
    repo. If this fails, the SPEC changed: refresh both copies from it.
    """
    copy = SPEC_COPY.read_text("utf-8")
    for block in spec_blocks(SPEC.read_text("utf-8")):
        assert block in copy
    if LIVE_SPEC.is_file():
        assert LIVE_SPEC.read_bytes() == SPEC_FILE_COPY.read_bytes()


@pytest.mark.parametrize("source", _spec_sources())
def test_spec_examples_round_trip(source: str) -> None:
    out = assert_canonical(source)
    assert "\n\n\n" not in out


def test_spec_example_layout() -> None:
    """Spot checks of the canonical layout on the SPEC's own text."""
    out = format_source(SPEC_COPY.read_text("utf-8"))
    assert "    hours mon-fri 09:00-18:00, sat 10:00-14:00\n" in out
    assert "    holidays 2026-01-01, 2026-05-01  # explicit dates, and/or\n" in out
    assert (
        'stream leads { account: text, qualified: time, contacted: time? } from "crm_leads"\n'
        in out
    )
    assert "credit on api_up: below 99.9% -> 10%, below 99% -> 25%, below 95% -> 100%" in out
    assert "share(leads, contacted - qualified <= 1d) >= 90%" in out
    assert 'sla lead_handoff "Marketing → Sales lead hand-off" {  # an internal SLA\n' in out


# ------------------------------------------------------------------ errors


def test_format_source_raises_syntax_errors() -> None:
    with pytest.raises(SlaSyntaxError):
        format_source("sla x {")


def test_negative_numbers_round_trip() -> None:
    """`-1` is a number literal (SPEC §2), and `a - -1` keeps its meaning."""
    text = "sla a {\n    objective x = sum(s where n > -1, n) >= -2.5\n}\n"
    assert format_source(text) == text
    assert parse(format_source(text)) == parse(text)


@pytest.mark.parametrize(
    "expr",
    [
        ast.Selection(ast.Name("s"), ast.Name("f")),  # only a call argument may be `where`
        ast.Duration(-5),
        ast.String("two\nlines"),
        ast.Clock(90),
    ],
)
def test_unwritable_ast_raises_value_error(expr: ast.Expr) -> None:
    module = ast.Module(
        (ast.AgreementDecl("sla", ast.Name("x"), None, None, None, (ast.MetWhen(expr),)),)
    )
    with pytest.raises(ValueError):
        format_module(module)


def test_unknown_node_raises_type_error() -> None:
    module = ast.Module((ast.AgreementDecl("sla", ast.Name("x"), None, None, None, ("met",)),))
    with pytest.raises(TypeError, match="cannot format str"):
        format_module(module)


# ------------------------------------------------------------------ properties

PROPERTY = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(strategies.modules())
def test_generated_ast_round_trips(module: ast.Module) -> None:
    """Any AST the grammar can express prints to text that parses back to it, canonically."""
    out = format_module(module)
    reparsed = parse(out)
    assert module == reparsed
    assert out == format_module(reparsed)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies.modules(), st.data())
def test_comments_survive_anywhere(module: ast.Module, data: st.DataObject) -> None:
    """Comments put at the end of, or on their own line before, any printed line survive."""
    lines = format_module(module).split("\n")[:-1]  # not splitlines: strings may hold \x1e
    text = st.text(st.characters(exclude_characters="\n", exclude_categories=("Cs",)), max_size=8)
    edited = []
    for i, line in enumerate(lines):
        if data.draw(st.booleans()):
            edited.append(f"# c{i} " + data.draw(text))
        edited.append(line)
        if line.strip() and data.draw(st.booleans()):
            edited[-1] += f"  # t{i} " + data.draw(text)
    source = "\n".join(edited) + "\n"
    assert_canonical(source)
