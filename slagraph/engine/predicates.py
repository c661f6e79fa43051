"""Row predicates (`where …`) evaluated over a whole table at once.

Null rule: a comparison, `in` or bare bool involving a null value is false, and `not`
flips it (two-valued logic, so `not (x == 1)` keeps rows where x is null). Text compares
by value: the predicate is evaluated once per distinct value and looked up by code.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slagraph.compiler import ir
from slagraph.data import Column, EventTable
from slagraph.data.buffers import arrow_mask
from slagraph.data.strings import equal_any
from slagraph.engine.kernels import NS

OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

# Elapsed business time needs the evaluation's clocks: a function (calendar) -> clock.
ClockLookup = Callable[[str], Any]


def _valid(column: Column) -> np.ndarray:
    return np.ones(len(column), bool) if column.valid is None else column.valid


def elapsed_ns(
    elapsed: ir.Elapsed,
    table: EventTable,
    clock: ClockLookup | None,
    rows: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """`later - earlier [during cal]` in ns, and where both ends are known; for `rows`
    only when given (business time is then looked up for those records alone)."""
    later, earlier = table.columns[elapsed.later], table.columns[elapsed.earlier]
    lv, ev = later.values, earlier.values
    masks = [c.valid for c in (later, earlier) if c.valid is not None]
    if rows is not None:  # gather the rows first: no whole-table temporaries
        lv, ev, masks = lv[rows], ev[rows], [m[rows] for m in masks]
    known = np.ones(len(lv), bool) if not masks else masks[0].copy()
    for m in masks[1:]:
        known &= m
    if elapsed.calendar is None:
        return lv - ev, known
    if clock is None:
        raise RuntimeError("a business-time predicate needs the evaluation's clocks")
    c = clock(elapsed.calendar)
    return c.duration(ev, np.where(known, lv, ev)), known


def _operand(
    node: ir.Column | ir.Const | ir.Elapsed, table: EventTable, clock: ClockLookup | None
) -> tuple[object, np.ndarray | None, Column | None]:
    """(values, known-mask or None for constants, the text column if any)."""
    match node:
        case ir.Const(value=v, type="duration"):
            return int(v) * NS, None, None  # type: ignore[call-overload]
        case ir.Const(value=v):
            return v, None, None
        case ir.Elapsed():
            values, known = elapsed_ns(node, table, clock)
            return values, known, None
        case ir.Column(name=name):
            column = table.columns[name]
            if column.type == "text":  # compared by value: see `_text_compare`
                return None, _valid(column), column
            return column.values, _valid(column), None
    raise TypeError(node)


_ARROW_OPS = {
    "==": "equal",
    "!=": "not_equal",
    "<": "less",
    "<=": "less_equal",
    ">": "greater",
    ">=": "greater_equal",
}


def _strings_compare(op: str, column: Column, value: str) -> np.ndarray:
    """`_text_compare` on the strings as read, for a column not coded yet: equality by
    the constant's bytes (`strings.equal_any`), order by Arrow's comparisons of bytes;
    UTF-8 byte order is code point order, Python's order of `str`."""
    assert column.source is not None
    strings = column.source.arrow
    if op in ("==", "!=") and (hit := equal_any(strings, [value])) is not None:
        return _known(column, hit if op == "==" else ~hit)
    found = pc.call_function(_ARROW_OPS[op], [strings, pa.scalar(value, pa.string())])
    return _known(column, arrow_mask(found))


def _known(column: Column, hit: np.ndarray) -> np.ndarray:
    """`hit` false where the column is null, should its mask say more than the source."""
    if column.valid is not None:
        hit &= column.valid
    return hit


def _text_compare(op: str, column: Column, value: object) -> np.ndarray:
    """Text against a constant, by value; a null compares false."""
    source = column.source
    if source is not None and not source.done and isinstance(value, str):
        if op in ("==", "!=") or not pa.types.is_dictionary(source.arrow.type):
            return _strings_compare(op, column, value)  # order on dictionaries: by codes
    dictionary = np.asarray(column.dictionary, dtype=object)
    per_code = np.fromiter((bool(OPS[op](d, value)) for d in dictionary), bool, len(dictionary))
    return np.append(per_code, False)[column.values]  # code -1 (null) picks the False


def evaluate_predicate(
    pred: ir.Predicate, table: EventTable, clock: ClockLookup | None = None
) -> np.ndarray:
    n = len(table)
    match pred:
        case ir.AllOf(parts=parts):
            out = np.ones(n, bool)
            for p in parts:
                out &= evaluate_predicate(p, table, clock)
            return out
        case ir.AnyOf(parts=parts):
            out = np.zeros(n, bool)
            for p in parts:
                out |= evaluate_predicate(p, table, clock)
            return out
        case ir.Negate(part=part):
            return ~evaluate_predicate(part, table, clock)
        case ir.Truthy(column=col):
            c = table.columns[col.name]
            return c.values.astype(bool) & _valid(c)
        case ir.IsNull(column=col, negated=negated):
            known = _valid(table.columns[col.name])
            return known if negated else ~known
        case ir.IsIn(column=col, values=values, negated=negated):
            c = table.columns[col.name]
            if c.type == "text" and c.source is not None and not c.source.done:
                texts = [v for v in values if isinstance(v, str)]
                found = equal_any(c.source.arrow, texts)
                if found is None:
                    found = arrow_mask(pc.is_in(c.source.arrow, pa.array(texts, pa.string())))
                hit = _known(c, found)
            elif c.type == "text":
                hit = np.zeros(n, bool)
                for v in values:
                    hit |= _text_compare("==", c, v)
            else:
                hit = np.isin(c.values, np.asarray(values)) & _valid(c)
            return ~hit if negated else hit
        case ir.Cmp(op=op, left=left, right=right):
            lv, lk, ltext = _operand(left, table, clock)
            rv, rk, rtext = _operand(right, table, clock)
            if ltext is not None and rk is None:
                return _text_compare(op, ltext, rv)
            if rtext is not None and lk is None:
                flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
                return _text_compare(flipped, rtext, lv)
            if ltext is not None and rtext is not None:
                lv = np.asarray(ltext.dictionary, dtype=object)[ltext.values]
                rv = np.asarray(rtext.dictionary, dtype=object)[rtext.values]
            result = np.asarray(OPS[op](lv, rv), dtype=bool)
            result = np.broadcast_to(result, (n,)).copy()
            for side in (lk, rk):
                if side is not None:
                    result &= side
            return result
    raise TypeError(pred)
