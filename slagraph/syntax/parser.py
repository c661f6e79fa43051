"""Text → AST: the entry points (`parse`, `parse_file`) and the choice between the two
parse paths. The grammar is `grammar/slagraph.lark` (`grammar.py`); the fast path is
`lalr.py`, the reference path lark's tree mapped by `transformer.py`; literals are read by
`literals.py` and lark's exceptions worded by `messages.py`.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import lark

from slagraph.errors import SlaSyntaxError, SlaUsageError, SlaWarning, Span
from slagraph.syntax import ast
from slagraph.syntax.grammar import grammar_path, grammar_text, keywords, lark_parser
from slagraph.syntax.lalr import LalrDriver
from slagraph.syntax.literals import TERMINALS, duration_seconds
from slagraph.syntax.messages import syntax_error
from slagraph.syntax.transformer import SPANLESS, Direct, ToAst

__all__ = [
    "MAX_DEPTH",
    "MAX_SOURCE_CHARS",
    "ToAst",
    "duration_seconds",
    "grammar_path",
    "grammar_text",
    "keywords",
    "parse",
    "parse_fast",
    "parse_file",
    "parse_reference",
    "syntax_error",
]

MAX_SOURCE_CHARS = 8 * 1024 * 1024
MAX_DEPTH = 64


def parse(text: str, file: str = "<string>") -> ast.Module:
    """Parse `.sla` source text into a `Module`; raise `SlaSyntaxError` on bad input.

    Valid input takes the fast path (`parse_fast`); anything it does not accept — every
    error — goes through lark's own parser (`parse_reference`), so that every message and
    its position come from one place.
    """
    text = text.removeprefix("\ufeff")
    module = parse_fast(text, file)
    return module if module is not None else parse_reference(text, file)


def parse_fast(text: str, file: str = "<string>") -> ast.Module | None:
    """`parse` by `lalr.LalrDriver` (lark's tables, no tree), or None where it does not
    accept the text: a syntax error, a bad literal, a tree deeper than MAX_DEPTH."""
    _check_size(text, file)
    driver = _driver()
    if driver is None:
        return None
    try:
        decls = driver.parse(text, file, Direct(file).callback, TERMINALS, MAX_DEPTH, SPANLESS)
    except SlaSyntaxError:  # a bad literal: lark decides which error comes first
        return None
    except _LARK_CHANGED as exc:  # a lexer table read on first use, in the loop
        _give_up_fast_path(exc)
        return None
    if decls is None:
        return None
    return ast.Module(tuple(decls), file=file, source=text)


def parse_reference(text: str, file: str = "<string>") -> ast.Module:
    """`parse` by lark's tree and the `ToAst` Transformer: the reference for `parse`'s fast
    path, and the path of every syntax error."""
    _check_size(text, file)
    try:
        tree = lark_parser().parse(text)
    except lark.exceptions.UnexpectedInput as exc:
        raise syntax_error(exc, text, file) from exc
    _check_depth(tree, text, file)
    try:
        decls = ToAst(file).transform(tree)
    except lark.exceptions.VisitError as exc:
        if isinstance(exc.orig_exc, SlaSyntaxError):
            error = exc.orig_exc
            error.source = text
            raise error from None
        raise
    return ast.Module(tuple(decls), file=file, source=text)


def _check_size(text: str, file: str) -> None:
    if len(text) > MAX_SOURCE_CHARS:
        raise SlaSyntaxError(
            f"input too large: {len(text):,} characters, the limit is {MAX_SOURCE_CHARS:,}",
            Span(file, 1, 1, 1, 1),
            text[:200],
        )


# What reading lark's private tables raises when a lark release has changed them.
_LARK_CHANGED = (AttributeError, KeyError, IndexError, TypeError, NotImplementedError)
_fast_path = {"usable": True}


def _driver() -> LalrDriver | None:
    """The fast path's automaton, or None once it cannot read this lark's tables."""
    if not _fast_path["usable"]:
        return None
    try:
        return _build_driver()
    except _LARK_CHANGED as exc:
        _give_up_fast_path(exc)
        return None


@functools.cache
def _build_driver() -> LalrDriver:
    driver = LalrDriver(lark_parser())
    missing = driver.kept_terminals - TERMINALS.keys()
    if missing:
        raise NotImplementedError(f"no conversion for terminals {sorted(missing)}")
    return driver


def _give_up_fast_path(exc: BaseException) -> None:
    """Parse with lark's own parser from now on, and say so once: `lalr.py` reads lark's
    private tables, which a lark release may change (pyproject.toml bounds lark to the
    versions tested, but an installer may not honour it)."""
    if not _fast_path["usable"]:
        return
    _fast_path["usable"] = False
    warnings.warn(
        f"slagraph's fast parser cannot read the tables of lark {lark.__version__} "
        f"({type(exc).__name__}: {exc}); parsing with lark's own parser, which gives the "
        "same result more slowly",
        SlaWarning,
        stacklevel=3,
    )


def parse_file(path: str | Path) -> ast.Module:
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_SOURCE_CHARS * 4 + 1)
        if len(raw) > MAX_SOURCE_CHARS * 4:
            raise SlaSyntaxError(
                f"input too large: over {MAX_SOURCE_CHARS * 4:,} bytes, "
                f"the limit is {MAX_SOURCE_CHARS:,} characters",
                Span(str(path), 1, 1, 1, 1),
            )
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SlaSyntaxError(
            f"{path} is not UTF-8 text (byte {exc.start}: {exc.reason})",
            Span(str(path), 1, 1, 1, 1),
        ) from None
    except OSError as exc:
        raise SlaUsageError(f"cannot read {path}: {exc.strerror}") from None
    return parse(text, str(path))


def _check_depth(tree: lark.Tree, text: str, file: str) -> None:
    """Reject trees deeper than MAX_DEPTH before the (recursive) transformer sees them."""
    stack: list[tuple[lark.Tree, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            meta = node.meta
            span = Span(file, meta.line, meta.column, meta.line, meta.column + 1)
            raise SlaSyntaxError(
                f"expression nested too deeply (more than {MAX_DEPTH} levels); split it up",
                span,
                text,
            )
        stack.extend((c, depth + 1) for c in node.children if isinstance(c, lark.Tree))


# ------------------------------------------------------------------ tree → AST
