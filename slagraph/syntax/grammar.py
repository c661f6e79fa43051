"""Where the grammar lives and lark's parser of it: the one place both parse paths, the
error messages and the formatter's keyword quoting read the language from.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from slagraph.syntax import tables

if TYPE_CHECKING:
    import lark


def grammar_path(name: str = "slagraph.lark") -> Path:
    """A grammar file, inside the installed package or, in a source checkout, `grammar/`."""
    packaged = resources.files("slagraph").joinpath(f"grammar/{name}")
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "grammar" / name


def grammar_text() -> str:
    return grammar_path().read_text(encoding="utf-8")


@functools.cache
def lark_parser() -> lark.Lark:
    """lark's parser for the grammar: saved in the package, or built (syntax/tables.py)."""
    return tables.load("slagraph.lark")


def keywords() -> frozenset[str]:
    """Every keyword of the language (for suggestions and the formatter's quoting)."""
    import lark

    return frozenset(
        t.pattern.value
        for t in lark_parser().terminals
        if isinstance(t.pattern, lark.lexer.PatternStr) and t.pattern.value.isidentifier()
    )
