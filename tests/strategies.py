"""Hypothesis strategies for slagraph ASTs.

Every strategy here yields nodes that the *grammar* can express, so that
`parse(format_module(m)) == m` holds for any generated `m`. They are syntactic only: names
are random, so a generated module will not usually compile. To generate models that do,
build on these pieces and pass your own name pools, e.g.::

    columns = st.sampled_from(["opened", "resolved"]).map(ast.Name)
    filters = expressions(name_pool=columns, max_leaves=6)
    body = statements(exprs=filters)

Building blocks, smallest first (each a function returning a strategy):

* `names()` — identifiers that are not keywords, as `ast.Name`;
* `strings()`, `numbers()`, `percents()`, `durations()`, `dates()`, `clocks()`,
  `literals()` — literal nodes in the canonical value ranges the language can write;
* `expressions(name_pool=..., max_leaves=...)` — any expression tree, including calls whose
  arguments may be `where` selections (the only place a `Selection` may appear);
* `calendars()`, `columns()`, `streams()`, `accounts()` — declarations;
* `statements(exprs=...)` and `agreements(exprs=...)` — `sla`/`master` bodies;
* `declarations()` and `modules()` — whole files.

Spans are left as `None` (AST equality ignores them).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import strategies as st

from slagraph.syntax import ast
from slagraph.syntax.parser import keywords

KEYWORDS = keywords()
COMPARE_OPS = ("<", "<=", ">", ">=", "==", "!=")

Strategy = st.SearchStrategy


# ------------------------------------------------------------------ names and literals


_FIRST = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
_REST = _FIRST + "0123456789"


def identifiers(max_size: int = 8) -> Strategy[str]:
    """Identifier text `[A-Za-z_][A-Za-z0-9_]*` that is not a keyword of the language."""
    rest = st.text(st.sampled_from(_REST), max_size=max_size - 1)
    return st.builds(str.__add__, st.sampled_from(_FIRST), rest).filter(lambda s: s not in KEYWORDS)


def names(max_size: int = 8) -> Strategy[ast.Name]:
    return identifiers(max_size).map(ast.Name)


def strings(max_size: int = 12) -> Strategy[ast.String]:
    """Any text on one line: quotes and backslashes included (the formatter escapes them)."""
    alphabet = st.characters(exclude_characters="\n", exclude_categories=("Cs",))
    return st.text(alphabet, max_size=max_size).map(ast.String)


def decimals(max_value: int = 1_000_000) -> Strategy[Decimal]:
    """Non-negative decimals as the grammar writes them: mostly small with up to four
    places, sometimes at the limit of 15 significant digits below 10^15 (a literal
    beyond it is an error: docs/language.md, Limits)."""
    small = st.tuples(st.integers(0, max_value), st.integers(0, 4))
    big = st.tuples(st.integers(0, 10**15 - 1), st.integers(0, 15))
    return st.one_of(small, big).map(lambda t: Decimal(f"{t[0]}e-{t[1]}"))


def numbers() -> Strategy[ast.Number]:
    return decimals().map(ast.Number)


def percents() -> Strategy[ast.Percent]:
    return decimals(100_000).map(ast.Percent)


def durations() -> Strategy[ast.Duration]:
    return st.integers(0, 10**8).map(ast.Duration)


def dates() -> Strategy[ast.Date]:
    return st.dates(min_value=dt.date(1000, 1, 1)).map(ast.Date)


def clocks() -> Strategy[ast.Clock]:
    """Whole minutes from 00:00 to 24:00 inclusive."""
    return st.integers(0, 24 * 60).map(lambda m: ast.Clock(m * 60))


def literals() -> Strategy[ast.Expr]:
    return st.one_of(strings(), numbers(), percents(), durations(), dates(), clocks())


# ------------------------------------------------------------------ expressions


def _pool(name_pool: Strategy[ast.Name] | None) -> Strategy[ast.Name]:
    return name_pool if name_pool is not None else names()


def expressions(
    name_pool: Strategy[ast.Name] | None = None,
    leaves: Strategy[ast.Expr] | None = None,
    max_leaves: int = 12,
) -> Strategy[ast.Expr]:
    """Any expression tree, of any shape: the formatter adds the parentheses it needs.

    Args:
        name_pool: the names used for columns, calendars and functions (default: `names()`).
        leaves: the leaf expressions (default: those names and every literal).
        max_leaves: bound on the tree's size (keep it well under the parser's depth limit).
    """
    pool = _pool(name_pool)
    leaves = leaves if leaves is not None else st.one_of(pool, literals())
    small_lists = st.lists(literals(), min_size=1, max_size=3).map(tuple)

    def extend(sub: Strategy[ast.Expr]) -> Strategy[ast.Expr]:
        many = st.lists(sub, min_size=2, max_size=3).map(tuple)
        arg = st.one_of(sub, st.builds(ast.Selection, sub, sub))
        return st.one_of(
            st.builds(ast.Compare, st.sampled_from(COMPARE_OPS), sub, sub),
            st.builds(ast.InList, sub, small_lists, st.booleans()),
            st.builds(ast.IsNull, sub, st.booleans()),
            st.builds(ast.And, many),
            st.builds(ast.Or, many),
            st.builds(ast.Not, sub),
            st.builds(ast.Minus, sub, sub),
            st.builds(ast.Window, sub, st.sampled_from(("during", "excluding")), pool),
            st.builds(ast.Call, pool, st.lists(arg, min_size=1, max_size=3).map(tuple)),
        )

    return st.recursive(leaves, extend, max_leaves=max_leaves)


# ------------------------------------------------------------------ declarations


def _tuples(elements: Strategy, min_size: int = 0, max_size: int = 3) -> Strategy[tuple]:
    return st.lists(elements, min_size=min_size, max_size=max_size).map(tuple)


def calendars(name_pool: Strategy[ast.Name] | None = None) -> Strategy[ast.CalendarDecl]:
    pool = _pool(name_pool)
    day_hours = st.builds(
        ast.DayHours,
        pool,
        st.none() | pool,
        _tuples(st.builds(ast.ClockRange, clocks(), clocks()), 1),
    )
    countries = st.builds(ast.CountryHolidays, strings(), st.none() | strings())
    return st.builds(
        ast.CalendarDecl,
        pool,
        st.none() | strings(),
        _tuples(day_hours),
        _tuples(dates()),
        _tuples(countries, max_size=2),
    )


def columns(name_pool: Strategy[ast.Name] | None = None) -> Strategy[tuple[ast.ColumnDecl, ...]]:
    pool = _pool(name_pool)
    return _tuples(st.builds(ast.ColumnDecl, pool, pool, st.booleans()), 1, 5)


def streams(name_pool: Strategy[ast.Name] | None = None) -> Strategy[ast.StreamDecl]:
    pool = _pool(name_pool)
    return st.builds(
        ast.StreamDecl, pool, columns(pool), st.none() | strings(), st.none() | strings()
    )


def accounts(name_pool: Strategy[ast.Name] | None = None) -> Strategy[ast.AccountsDecl]:
    pool = _pool(name_pool)
    return st.builds(ast.AccountsDecl, columns(pool), st.none() | strings(), st.none() | strings())


def statements(
    name_pool: Strategy[ast.Name] | None = None, exprs: Strategy[ast.Expr] | None = None
) -> Strategy[ast.Statement]:
    """One statement of an `sla`/`master` body; `exprs` feeds objectives and `met when`."""
    pool = _pool(name_pool)
    exprs = exprs if exprs is not None else expressions(pool, max_leaves=8)
    amounts = st.one_of(numbers(), percents())
    counts = st.integers(0, 12).map(lambda n: ast.Number(Decimal(n)))
    return st.one_of(
        st.builds(ast.Objective, pool, exprs, st.none() | percents(), st.none() | amounts),
        st.builds(
            ast.CreditTiers, pool, _tuples(st.builds(ast.CreditTier, literals(), percents()), 1)
        ),
        st.builds(ast.CreditFlat, percents()),
        st.builds(ast.CreditCap, percents()),
        st.builds(ast.MetWhen, exprs),
        st.builds(ast.Include, _tuples(st.builds(ast.Child, pool, st.none() | amounts), 1)),
        st.builds(ast.PeriodStmt, pool),
        st.builds(ast.TimezoneStmt, strings()),
        st.builds(ast.Terminate, pool, counts, st.none() | counts),
        st.builds(ast.AtRisk, percents()),
        st.builds(ast.Allocate, _tuples(st.builds(ast.Allocation, pool, percents()), 1)),
        st.builds(ast.Earnback, counts),
    )


def agreements(
    name_pool: Strategy[ast.Name] | None = None, exprs: Strategy[ast.Expr] | None = None
) -> Strategy[ast.AgreementDecl]:
    pool = _pool(name_pool)
    exprs = exprs if exprs is not None else expressions(pool, max_leaves=8)
    return st.builds(
        ast.AgreementDecl,
        st.sampled_from(("sla", "master")),
        pool,
        st.none() | strings(),
        st.none() | pool,
        st.none() | exprs,
        _tuples(statements(pool, exprs), max_size=5),
    )


def declarations(name_pool: Strategy[ast.Name] | None = None) -> Strategy[ast.Decl]:
    pool = _pool(name_pool)
    return st.one_of(calendars(pool), streams(pool), accounts(pool), agreements(pool))


def modules(
    name_pool: Strategy[ast.Name] | None = None, max_decls: int = 4
) -> Strategy[ast.Module]:
    return _tuples(declarations(name_pool), max_size=max_decls).map(ast.Module)
