"""The parsers saved in the package (syntax/tables.py) and the fast path's fallback."""

from __future__ import annotations

import warnings
from pathlib import Path

import lark
import pytest

from slagraph import SlaWarning
from slagraph.syntax import grammar, parser, tables
from slagraph.whatif import changes

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("**/*.sla"))


@pytest.mark.parametrize("name", tables.GRAMMARS)
def test_saved_parser_is_of_this_grammar_and_lark(name: str) -> None:
    """Fails after an edit of grammar/*.lark or an upgrade of lark: run
    `python -m slagraph.syntax.tables` and commit slagraph/syntax/lark_tables/."""
    path = tables.TABLES / f"{Path(name).stem}.pickle"
    with path.open("rb") as handle:
        saved = handle.readline().rstrip(b"\n")
    assert tables.fingerprint() == saved, "stale: python -m slagraph.syntax.tables"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_saved_parser_parses_as_the_built_one(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    expected = tables.build("slagraph.lark").parse(text)
    assert expected == tables.load("slagraph.lark").parse(text)


def test_saved_whatif_parser_parses_as_the_built_one() -> None:
    text = 'incidents.resolved - incidents.opened *= 1.3 where priority in ("P1", "P2")'
    expected = tables.build("whatif.lark").parse(text)
    assert expected == tables.load("whatif.lark").parse(text)
    assert changes._lark().parse(text) == expected


def test_a_stale_table_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A table of another grammar or lark is ignored, and the parser built in memory."""
    (tmp_path / "slagraph.pickle").write_bytes(b"0" * 64 + b"\nnot a parser")
    monkeypatch.setattr(tables, "TABLES", tmp_path)
    built = tables.load("slagraph.lark")
    assert isinstance(built, lark.Lark)
    assert list(tmp_path.iterdir()) == [tmp_path / "slagraph.pickle"]  # nothing written


def test_missing_lark_attribute_falls_back_with_one_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`lalr.py` reads lark's private tables. When a lark release lacks one of them, every
    parse still succeeds — by lark's own parser — and one warning says so."""
    text = (ROOT / "examples" / "customer_support" / "model.sla").read_text(encoding="utf-8")
    expected = parser.parse_reference(text, "m.sla")
    grammar.lark_parser()  # built before the attribute goes (what a changed lark would have)
    monkeypatch.setattr(parser, "_fast_path", {"usable": True})
    monkeypatch.delattr(lark.parsers.lalr_analysis, "Shift")
    parser._build_driver.cache_clear()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            first = parser.parse(text, "m.sla")
            second = parser.parse(text, "m.sla")
    finally:
        parser._build_driver.cache_clear()
    assert [expected, expected] == [first, second]
    assert [SlaWarning] == [w.category for w in caught]
    assert "parsing with lark's own parser" in str(caught[0].message)
