"""The editor grammar (editors/slagraph.tmLanguage.json) highlights every real file.

The grammar is run by a TextMate engine (textmate-grammar-python, a port of VS Code's
vscode-textmate on the Oniguruma regex library), not by a tokenizer written here, so what
passes is what an editor would show. The grammar ends each rule list with a catch-all
`invalid.illegal` pattern: a file that shows no `invalid` scope is one every character of
which some rule of the language claimed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import plistlib
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lark.exceptions import UnexpectedCharacters

import slagraph

ROOT = Path(__file__).resolve().parents[1]
EDITORS = ROOT / "editors"
GRAMMAR = EDITORS / "slagraph.tmLanguage.json"
VSCODE = EDITORS / "vscode"

Token = tuple[int, int, str, tuple[str, ...]]  # line (0-based), column, text, scopes
Tokenize = Callable[[str], list[Token]]

# Files the grammar must take without an `invalid` scope: every .sla of the project but
# the broken-file cases (tests/broken/, some of which hold characters outside the language).
SLA_FOLDERS = [
    "examples",
    "tests/golden",
    "tests/strict",
    "tests/faults",
    "tests/fixtures",
    "benchmarks",
]
# ```sla and ~~~sla fences (SPEC-style pages use the tilde form).
_FENCE = re.compile(r"^(```|~~~)sla\s*\n(.*?)^\1\s*$", re.MULTILINE | re.DOTALL)


@pytest.fixture(scope="module")
def tokenize(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tokenize]:
    """The grammar loaded into the TextMate engine, as text -> tokens."""
    # The package makes a `.textmate_cache` folder in the working directory on import.
    with contextlib.chdir(tmp_path_factory.mktemp("textmate")):
        from textmate_grammar.parsers.base import LanguageParser
    quiet = logging.getLogger("textmate_grammar")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # it warns for every string body ("skipping")
    parser = LanguageParser(json.loads(GRAMMAR.read_text(encoding="utf-8")))

    def run(text: str) -> list[Token]:
        element = parser.parse_string(text)
        assert element is not None, "the engine produced no tokens"
        return [
            (line, col, content, tuple(scopes))
            for (line, col), content, scopes in element.flatten()
        ]

    yield run
    quiet.setLevel(level)


def sla_files() -> list[Path]:
    return sorted(p for folder in SLA_FOLDERS for p in (ROOT / folder).rglob("*.sla"))


def fences() -> list[tuple[str, str]]:
    """(page:line, text) of every sla fence in the project's Markdown pages."""
    pages = sorted({*ROOT.glob("*.md"), *ROOT.glob("docs/**/*.md"), *ROOT.glob("examples/**/*.md")})
    found = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for m in _FENCE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            found.append((f"{page.relative_to(ROOT)}:{line}", m.group(2)))
    return found


def invalid(tokens: list[Token]) -> list[str]:
    """Where a token carries an `invalid` scope, as 'line:col text scope'."""
    return [
        f"{line + 1}:{col + 1} {text!r} {scopes[-1]}"
        for line, col, text, scopes in tokens
        if any(s.startswith("invalid") for s in scopes)
    ]


def scope_of(tokens: list[Token], text: str, line: int | None = None) -> str:
    """The innermost scope of the first token spelled `text` (on a 1-based `line`)."""
    for ln, _, content, scopes in tokens:
        if content == text and (line is None or ln + 1 == line):
            return scopes[-1]
    raise AssertionError(f"no token {text!r} in {[t[2] for t in tokens]}")


# --------------------------------------------------------------------------- the corpus


def test_the_corpus_is_there() -> None:
    """A moved folder would otherwise leave the parametrised tests below with nothing."""
    assert len(sla_files()) >= 50
    assert len(fences()) >= 30


@pytest.mark.parametrize("path", sla_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_sla_file_tokenises_without_invalid(tokenize: Tokenize, path: Path) -> None:
    text = path.read_text(encoding="utf-8-sig")  # a golden case may start with a BOM
    assert invalid(tokenize(text)) == []


@pytest.mark.parametrize("where, text", fences(), ids=[w for w, _ in fences()])
def test_every_docs_fence_tokenises_without_invalid(
    tokenize: Tokenize, where: str, text: str
) -> None:
    assert invalid(tokenize(text)) == []


# --------------------------------------------------------------------------- scopes

SAMPLE = """\
# the api's availability
calendar office { timezone "UTC"  hours mon-fri 09:00-18:00  holidays 2026-01-01 }
stream tickets { account: text, start: time, first_reply: time? } from "crm"
sla support "Support \\"desk\\"" effective 2026-07-01 extends base
    for accounts where tier == "gold" {
    period monthly
    objective reply = share(tickets where start > 2026-01-01, first_reply - start <= 1h30m) >= 99.5%
    objective fix = p90(tickets, first_reply - start during office) <= 2bd min 10 warn at 50%
    credit on reply: below 99.5% -> 10%, below -1 -> 25%
    terminate when reply breached in 3 consecutive periods
    alert page when burn_rate(reply, 1h) > 14.4 and not score >= 90%
}
clock fixing on changes per ticket by at { start when status in ("New", "Open") }
"""


def test_hand_picked_tokens_get_their_scopes(tokenize: Tokenize) -> None:
    tokens = tokenize(SAMPLE)
    assert invalid(tokens) == []
    expected = [
        # (line, token, innermost scope)
        (1, " the api's availability", "comment.line.number-sign.slagraph"),
        (1, "#", "punctuation.definition.comment.slagraph"),
        (2, "calendar", "storage.type.calendar.slagraph"),
        (2, "office", "entity.name.type.calendar.slagraph"),
        (2, "mon", "support.constant.weekday.slagraph"),
        (2, "09:00", "constant.numeric.time.slagraph"),
        (2, "2026-01-01", "constant.numeric.date.slagraph"),
        (3, "account", "variable.other.column.slagraph"),
        (3, "time", "support.type.column.slagraph"),
        (3, "?", "keyword.operator.optional.slagraph"),
        (3, "from", "keyword.other.slagraph"),
        (4, "sla", "storage.type.agreement.slagraph"),
        (4, "support", "entity.name.type.agreement.slagraph"),
        (4, "Support ", "string.quoted.double.slagraph"),
        (4, '\\"', "constant.character.escape.slagraph"),
        (4, "effective", "keyword.other.slagraph"),
        (4, "2026-07-01", "constant.numeric.date.slagraph"),
        (4, "base", "entity.other.inherited-class.slagraph"),
        (5, "accounts", "keyword.other.slagraph"),
        (6, "monthly", "support.constant.period.slagraph"),
        (7, "objective", "keyword.other.slagraph"),
        (7, "reply", "entity.name.function.objective.slagraph"),
        (7, "share", "support.function.builtin.slagraph"),
        (7, "start", "variable.other.slagraph"),  # a column, not the clock's `start when`
        (7, "1h30m", "constant.numeric.duration.slagraph"),
        (7, "99.5%", "constant.numeric.percentage.slagraph"),
        (7, "<=", "keyword.operator.comparison.slagraph"),
        (8, "during", "keyword.other.slagraph"),
        (8, "p90", "support.function.builtin.slagraph"),
        (8, "2bd", "constant.numeric.business-days.slagraph"),
        (8, "min", "keyword.other.slagraph"),
        (8, "10", "constant.numeric.decimal.slagraph"),
        (9, "->", "keyword.operator.arrow.slagraph"),
        (9, "-", "keyword.operator.arithmetic.slagraph"),
        (10, "consecutive", "keyword.other.slagraph"),
        (11, "page", "entity.name.function.alert.slagraph"),
        (11, "not", "keyword.operator.logical.slagraph"),
        (11, "score", "variable.language.score.slagraph"),
        (11, "burn_rate", "support.function.builtin.slagraph"),
        (13, "clock", "storage.type.clock.slagraph"),
        (13, "fixing", "entity.name.type.clock.slagraph"),
        (13, "per", "keyword.other.slagraph"),
        (13, "start", "keyword.other.slagraph"),
        (13, "in", "keyword.other.slagraph"),
    ]
    actual = [(line, text, scope_of(tokens, text, line)) for line, text, _ in expected]
    assert actual == expected


# (text, what the first invalid token says): text outside the language.
BAD = [
    ("sla a { objective x = count(t) >= 3 ; }", "';'"),  # no rule for `;`
    ("sla a { objective x = share(t, a - b <= 1.5h) >= 9% }", "'1.'"),  # not a duration
    ('sla a "unterminated {', "newline"),
    ('sla a "bad \\n escape" {}', "escape"),
    ("stream s { a: text } ?", "'?'"),  # `?` only marks a nullable column
    ("sla a { objective x = count(t) >= 3 } @", "'@'"),
]


@pytest.mark.parametrize("source, bad", BAD)
def test_a_bad_token_shows_invalid(tokenize: Tokenize, source: str, bad: str) -> None:
    """The catch-all is there: text outside the language is marked, so the tests above
    could fail."""
    found = invalid(tokenize(source))
    assert found, f"nothing invalid in {source!r}"
    assert bad in found[0], found


@pytest.mark.parametrize(
    "opened", ["stream s { a: text", "stream s", "calendar c { hours mon 09:00-18:00"]
)
def test_a_block_left_open_ends_at_the_next_declaration(tokenize: Tokenize, opened: str) -> None:
    """While a block is being typed, the declarations after it keep their colours."""
    tokens = tokenize(f"{opened}\nsla x {{ objective y = count(s) >= 95% }}\n")
    assert invalid(tokens) == []
    assert scope_of(tokens, "objective", line=2) == "keyword.other.slagraph"
    assert scope_of(tokens, "95%", line=2) == "constant.numeric.percentage.slagraph"


BROKEN = sorted((ROOT / "tests" / "broken").glob("*.sla"))


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_invalid_where_lark_finds_no_token(tokenize: Tokenize, path: Path) -> None:
    """The broken-file cases read as the parser reads them: a file that lark cannot cut
    into tokens (`@`, `1.5h`, `4hrs`, an unterminated string) shows `invalid` on the line
    of its error; a file whose error comes later (a token in the wrong place, a value out
    of range, a compile error) shows none."""
    text = path.read_text(encoding="utf-8")
    with pytest.raises(slagraph.SlaError) as caught:
        slagraph.compile(text, path.name)
    lexical = isinstance(caught.value.__cause__, UnexpectedCharacters)
    lines = {int(where.split(":")[0]) for where in invalid(tokenize(text))}
    if lexical:
        assert caught.value.span.line in lines, (caught.value, lines)
    else:
        assert lines == set(), caught.value


def test_the_broken_corpus_has_lexical_errors() -> None:
    """So test_invalid_where_lark_finds_no_token checks both directions."""
    lexical = []
    for path in BROKEN:
        try:
            slagraph.compile(path.read_text(encoding="utf-8"), path.name)
        except slagraph.SlaError as e:
            if isinstance(e.__cause__, UnexpectedCharacters):
                lexical.append(path.name)
    assert len(BROKEN) >= 50
    assert len(lexical) >= 3, lexical


# --------------------------------------------------------------------------- coverage

LARK = ROOT / "grammar" / "slagraph.lark"


def grammar_regexes() -> list[str]:
    """Every `match`, `begin` and `end` regex of the TextMate grammar."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            found.extend(v for k, v in node.items() if k in ("match", "begin", "end"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(GRAMMAR.read_text(encoding="utf-8")))
    return found


def test_every_keyword_of_the_lark_grammar_has_a_rule() -> None:
    """A keyword added to grammar/slagraph.lark must be added to the editor grammar too;
    `effective` (SPEC §6.6) is there already."""
    keywords = set(re.findall(r'"([a-z_]+)"', LARK.read_text(encoding="utf-8"))) | {"effective"}
    assert {"calendar", "objective", "earnback", "terminate", "window"} <= keywords
    regexes = "\n".join(grammar_regexes())
    missing = sorted(
        w for w in keywords if not re.search(rf"(?<![A-Za-z_]){w}(?![A-Za-z_])", regexes)
    )
    assert missing == []


def test_the_regexes_are_plain() -> None:
    """The grammar keeps to what Oniguruma and Python's `re` share (no \\G, \\h, \\A, possessive
    or named-group syntax of Oniguruma's own), so any TextMate engine reads it alike."""
    for regex in grammar_regexes():
        re.compile(regex)
        assert not re.search(r"\\[GhHAzK]|\(\?<[A-Za-z]|[*+?]\+", regex), regex


def compiler_names() -> list[tuple[str, str, str]]:
    """(word, snippet, scope): the names the compiler gives a meaning, each in a context."""
    from slagraph.calendars.periods import PERIOD_KINDS
    from slagraph.compiler.alerts import PRESETS
    from slagraph.compiler.declarations import COLUMN_TYPES, WEEKDAYS
    from slagraph.compiler.expressions import METRICS

    functions = [*METRICS, "series", "parallel", "k_of_n", "at_least", "burn_rate", "p1", "p99"]
    return [
        *[
            (d, f"calendar c {{ hours {d} 09:00-18:00 }}", "support.constant.weekday")
            for d in WEEKDAYS
        ],
        *[(t, f"stream s {{ a: {t}? }}", "support.type.column") for t in COLUMN_TYPES],
        *[(k, f"sla a {{ period {k} }}", "support.constant.period") for k in PERIOD_KINDS],
        *[
            (f, f"sla a {{ objective x = {f}(t) >= 1 }}", "support.function.builtin")
            for f in functions
        ],
        *[(p, f"sla a {{ alert burn_rates {p} }}", "support.constant.preset") for p in PRESETS],
    ]


@pytest.mark.parametrize("word, snippet, scope", compiler_names(), ids=lambda x: str(x)[:30])
def test_names_the_compiler_knows_are_highlighted(
    tokenize: Tokenize, word: str, snippet: str, scope: str
) -> None:
    tokens = tokenize(snippet)
    assert invalid(tokens) == []
    assert scope_of(tokens, word) == f"{scope}.slagraph"


# --------------------------------------------------------------------------- the extension


def test_the_vscode_extension_points_at_the_grammar() -> None:
    """package.json contributes the language for *.sla with this grammar and a language
    configuration whose comment and brackets are the language's."""
    package = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    (language,) = package["contributes"]["languages"]
    (grammar,) = package["contributes"]["grammars"]
    assert (language["id"], language["extensions"]) == ("slagraph", [".sla"])
    assert grammar["language"] == "slagraph"
    scope = json.loads(GRAMMAR.read_text(encoding="utf-8"))["scopeName"]
    assert grammar["scopeName"] == scope
    # The extension folder must stand alone (copied to ~/.vscode/extensions or packed
    # into a .vsix), so it carries a copy of the grammar: the same bytes.
    assert (VSCODE / grammar["path"]).read_bytes() == GRAMMAR.read_bytes()
    config = json.loads((VSCODE / language["configuration"]).read_text(encoding="utf-8"))
    assert config["comments"] == {"lineComment": "#"}
    assert config["brackets"] == [["{", "}"], ["(", ")"]]
    assert {"open": '"', "close": '"', "notIn": ["string", "comment"]} in config["autoClosingPairs"]


def test_the_tmbundle_carries_the_same_grammar(tmp_path: Path) -> None:
    """editors/tmbundle.py writes the bundle TextMate, Sublime Text and JetBrains read: the
    grammar as a property list equal to the JSON one, and `#` for Toggle Comment."""
    done = subprocess.run(
        [sys.executable, str(EDITORS / "tmbundle.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    bundle = Path(done.stdout.strip())
    assert bundle == tmp_path / "slagraph.tmbundle"
    grammar = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    del grammar["$schema"]
    with (bundle / "Syntaxes" / "slagraph.tmLanguage").open("rb") as f:
        assert plistlib.load(f) == grammar
    with (bundle / "Preferences" / "Comments.tmPreferences").open("rb") as f:
        comments = plistlib.load(f)
    assert comments["scope"] == "source.slagraph"
    assert comments["settings"]["shellVariables"] == [{"name": "TM_COMMENT_START", "value": "# "}]
    with (bundle / "info.plist").open("rb") as f:
        assert plistlib.load(f)["name"] == "slagraph"


def test_the_language_configuration_words_and_indents() -> None:
    """Double-click selects a whole literal; Enter after an open `{` indents."""
    config = json.loads((VSCODE / "language-configuration.json").read_text(encoding="utf-8"))
    words = re.findall(config["wordPattern"], "p90 = 1h30m >= 99.9% hours 09:00-18:00 2026-01-01")
    assert words == ["p90", "1h30m", "99.9%", "hours", "09:00", "18:00", "2026-01-01"]
    indent = re.compile(config["indentationRules"]["increaseIndentPattern"])
    dedent = re.compile(config["indentationRules"]["decreaseIndentPattern"])
    lines = ["sla x {", "calendar c {  # hours", "s { a: text }", "    }"]
    assert [bool(indent.search(x)) for x in lines] == [True, True, False, False]
    assert [bool(dedent.search(x)) for x in lines] == [False, False, False, True]
