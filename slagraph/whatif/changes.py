"""The change language of `whatif` and `simulate`: parse, check against a model, apply.

    outages += 2h where service == "db"                  lengthen matching intervals
    add outages service="api" start=2026-01-10T00:00Z duration=3h   (account: one or all)
    incidents.resolved - incidents.opened *= 1.3 where priority == "P1"
    tickets volume *= 1.2                                duplicate (or drop) a seeded share
    drop incidents where priority == "P3"
    set accounts.fee = 5000 where account == "acme"

The grammar is `grammar/whatif.lark`; its `where` filters are the DSL's own expressions,
checked by the same compiler code against the stream's columns. Applying a change is a
vectorised transformation of a `Dataset`; nothing runs user code.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs
import lark
import numpy as np
from lark import v_args

from slagraph.compiler import ir
from slagraph.compiler.expressions import Scope, compile_predicate
from slagraph.data import Column, Dataset, EventTable
from slagraph.data.schema import ColumnSpec, StreamSchema
from slagraph.engine.kernels import NS
from slagraph.engine.predicates import evaluate_predicate
from slagraph.errors import SlaCompileError, SlaSyntaxError, Span, did_you_mean
from slagraph.syntax import ast, tables
from slagraph.syntax.parser import ToAst, syntax_error

MAX_CHANGE_CHARS = 10_000
_PREFIX = "slagraph__"


@attrs.frozen
class Change:
    """One parsed change. `kind`: lengthen, add, scale, volume, drop or set."""

    kind: str
    stream: str
    where: ast.Expr | None = None
    amount: Any = None  # seconds (lengthen), factor (scale, volume), value (set)
    column: str | None = None  # set: the column; scale: the later time column
    earlier: str | None = None  # scale: the earlier time column
    fields: tuple[tuple[str, Any], ...] = ()  # add: (column, value)
    text: str = attrs.field(default="", eq=False)
    span: Span | None = attrs.field(default=None, eq=False)


@functools.cache
def _lark() -> lark.Lark:
    return tables.load("whatif.lark")


@v_args(meta=True)
class _ToChange(ToAst):
    """The DSL's transformer (for the imported filter rules) plus the change rules."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith(_PREFIX):  # rules and tokens imported from slagraph.lark
            return getattr(self, name[len(_PREFIX) :])
        raise AttributeError(name)

    @v_args(meta=False)
    def TIMESTAMP(self, tok: lark.Token) -> tuple[str, Any]:  # noqa: N802
        text = str(tok).replace("Z", "+00:00")
        if len(text) == 22:  # 2026-01-10T00:00+00:00: no seconds
            text = text[:16] + ":00" + text[16:]
        moment = dt.datetime.fromisoformat(text)
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        delta = moment - epoch
        ns = (delta.days * 86400 + delta.seconds) * NS + delta.microseconds * 1000
        return ("time", ns)

    def start(self, meta, children):  # type: ignore[no-untyped-def]
        return children[0]

    def where(self, meta, children):  # type: ignore[no-untyped-def]
        return children[0]

    def field(self, meta, children):  # type: ignore[no-untyped-def]
        return (children[0], children[1])

    def text(self, meta, children):  # type: ignore[no-untyped-def]
        return ("text", children[0].value)

    def timestamp(self, meta, children):  # type: ignore[no-untyped-def]
        return children[0]

    def span(self, meta, children):  # type: ignore[no-untyped-def]
        return ("duration", children[0].seconds)

    def num(self, meta, children):  # type: ignore[no-untyped-def]
        return ("number", children[0].value)

    def word(self, meta, children):  # type: ignore[no-untyped-def]
        name = children[0]
        if name.id not in ("true", "false"):
            raise SlaSyntaxError(
                f"'{name.id}' is not a value; write text in quotes, a number, a time like "
                "2026-01-10T00:00Z, a duration like 3h, or true/false",
                name.span,
            )
        return ("bool", name.id == "true")

    def lengthen(self, meta, children):  # type: ignore[no-untyped-def]
        stream, duration, *rest = children
        return Change(
            "lengthen",
            stream.id,
            rest[0] if rest else None,
            duration.seconds,
            span=self._span(meta),
        )

    def add(self, meta, children):  # type: ignore[no-untyped-def]
        stream, *fields = children
        return Change(
            "add", stream.id, fields=tuple((n.id, v) for n, v in fields), span=self._span(meta)
        )

    def scale(self, meta, children):  # type: ignore[no-untyped-def]
        s1, later, s2, earlier, factor, *rest = children
        if s1.id != s2.id:
            raise SlaSyntaxError(
                f"both times of a duration come from one stream; got '{s1.id}' and '{s2.id}'",
                s2.span,
            )
        return Change(
            "scale",
            s1.id,
            rest[0] if rest else None,
            factor.value,
            later.id,
            earlier.id,
            span=self._span(meta),
        )

    def volume(self, meta, children):  # type: ignore[no-untyped-def]
        stream, factor, *rest = children
        return Change(
            "volume", stream.id, rest[0] if rest else None, factor.value, span=self._span(meta)
        )

    def drop(self, meta, children):  # type: ignore[no-untyped-def]
        stream, *rest = children
        return Change("drop", stream.id, rest[0] if rest else None, span=self._span(meta))

    def set(self, meta, children):  # type: ignore[no-untyped-def]
        table, column, value, *rest = children
        return Change(
            "set", table.id, rest[0] if rest else None, value, column.id, span=self._span(meta)
        )


def parse_change(text: str, label: str = "--change") -> Change:
    """One change; `SlaSyntaxError` pointing into the change text when it is malformed."""
    if len(text) > MAX_CHANGE_CHARS:
        raise SlaSyntaxError(f"change too long: {len(text):,} characters", Span(label, 1, 1, 1, 1))
    try:
        tree = _lark().parse(text)
    except lark.exceptions.UnexpectedInput as exc:
        error = syntax_error(exc, text, label)
        error.message = error.message.replace(_PREFIX.upper(), "").replace(_PREFIX, "")
        raise error from exc
    try:
        change = _ToChange(label).transform(tree)
    except lark.exceptions.VisitError as exc:
        if isinstance(exc.orig_exc, SlaSyntaxError):
            exc.orig_exc.source = text
            raise exc.orig_exc from None
        raise
    return attrs.evolve(change, text=text)


# ------------------------------------------------------------------ checking


def _schema(model: ir.Model, change: Change) -> StreamSchema:
    if change.stream == "accounts" and model.accounts is not None:
        return model.accounts
    clock = model.clocks.get(change.stream)
    if clock is not None:
        raise SlaCompileError(
            f"'{change.stream}' is a clock: its cycles are derived from stream "
            f"'{clock.stream}'; change that stream's rows instead",
            change.span,
            change.text,
        )
    schema = model.streams.get(change.stream)
    if schema is None:
        known = [*model.streams, *(["accounts"] if model.accounts else [])]
        raise SlaCompileError(
            f"unknown stream '{change.stream}'{did_you_mean(change.stream, known)}",
            change.span,
            change.text,
        )
    return schema


def _column(schema: StreamSchema, name: str, change: Change, types: Sequence[str]) -> ColumnSpec:
    spec = next((c for c in schema.columns if c.name == name), None)
    if spec is None:
        names = [c.name for c in schema.columns]
        raise SlaCompileError(
            f"'{schema.name}' has no column '{name}'{did_you_mean(name, names)}",
            change.span,
            change.text,
        )
    if spec.type not in types:
        raise SlaCompileError(
            f"column '{name}' is {spec.type}; this change needs {' or '.join(types)}",
            change.span,
            change.text,
        )
    return spec


def check(model: ir.Model, change: Change) -> ir.Predicate | None:
    """Type-check a change against the model; return its compiled `where` predicate."""
    schema = _schema(model, change)
    try:
        where = (
            compile_predicate(change.where, schema, Scope(model.streams, model.calendars))
            if change.where is not None
            else None
        )
    except SlaCompileError as error:
        error.source = change.text
        raise
    if change.kind == "lengthen":
        _column(schema, "start", change, ("time",))
        _column(schema, "end", change, ("time",))
    elif change.kind == "scale":
        _column(schema, change.column or "", change, ("time",))
        _column(schema, change.earlier or "", change, ("time",))
        if Decimal(change.amount) < 0:
            raise SlaCompileError(
                "a duration scales by a factor of 0 or more", change.span, change.text
            )
    elif change.kind == "volume" and Decimal(change.amount) < 0:
        raise SlaCompileError("volume scales by a factor of 0 or more", change.span, change.text)
    elif change.kind == "set":
        spec = _column(schema, change.column or "", change, ("text", "number", "bool", "time"))
        _check_value(spec, change.amount, change)
    elif change.kind == "add":
        given = dict(change.fields)
        specs = {c.name: c for c in schema.columns}
        duration = given.pop("duration", None)
        if duration is not None:
            if duration[0] != "duration" or "end" not in specs or "start" not in given:
                raise SlaCompileError(
                    "duration=… sets end = start + duration on a stream with start and end",
                    change.span,
                    change.text,
                )
        for name, value in given.items():
            _check_value(
                _column(schema, name, change, ("text", "number", "bool", "time")), value, change
            )
        missing = [
            c.name
            for c in schema.columns
            if not c.nullable
            and c.name not in given
            and c.name != "account"
            and not (c.name == "end" and duration)
        ]
        if missing:
            raise SlaCompileError(
                f"add {schema.name}: give {', '.join(missing)} (not nullable)",
                change.span,
                change.text,
            )
    return where


def _check_value(spec: ColumnSpec, value: tuple[str, Any], change: Change) -> None:
    kind, _ = value
    if kind != spec.type:
        raise SlaCompileError(
            f"column '{spec.name}' is {spec.type}; the value given is {kind}",
            change.span,
            change.text,
        )


# ------------------------------------------------------------------ applying


def _take(table: EventTable, index: np.ndarray) -> EventTable:
    columns = {
        name: Column(
            c.type, c.values[index], None if c.valid is None else c.valid[index], c.dictionary
        )
        for name, c in table.columns.items()
    }
    return attrs.evolve(table, columns=columns, rows=table.rows[index])


def _encode(column: Column, value: Any, names: np.ndarray | None) -> tuple[Column, int]:
    """The code of a text value, extending the column's dictionary when it is new."""
    dictionary = column.dictionary if column.dictionary is not None else np.array([], object)
    hits = np.flatnonzero(dictionary == value)
    if len(hits):
        return column, int(hits[0])
    if names is not None:  # the account column's dictionary is the account list
        raise SlaCompileError(f"unknown account '{value}'{did_you_mean(value, names)}")
    extended = np.concatenate((dictionary, np.array([value], object)))
    return attrs.evolve(column, dictionary=extended), len(dictionary)


def _set(
    column: Column, mask: np.ndarray, value: tuple[str, Any], names: np.ndarray | None
) -> Column:
    kind, raw = value
    if kind == "text":
        column, code = _encode(column, raw, names)
        stored: Any = code
    elif kind == "number":
        stored = float(raw)
    else:
        stored = raw
    values = column.values.copy()
    values[mask] = stored
    valid = None if column.valid is None else column.valid | mask
    return attrs.evolve(column, values=values, valid=valid)


def parse_changes(model: ir.Model, changes: Sequence[str | Change]) -> list[Change]:
    """Changes given as text (labelled `--change N` in errors) or parsed, each checked
    against the model."""
    parsed = [
        c if isinstance(c, Change) else parse_change(c, f"--change {i + 1}")
        for i, c in enumerate(changes)
    ]
    for change in parsed:
        check(model, change)
    return parsed


def apply(
    model: ir.Model, data: Dataset, changes: Sequence[Change], rng: np.random.Generator
) -> Dataset:
    """The dataset after the changes, in order. Added rows have row number 0."""
    tables = dict(data.tables)
    accounts = data.accounts
    for change in changes:
        where = check(model, change)
        is_accounts = change.stream == "accounts" and model.accounts is not None
        if not is_accounts and change.stream not in tables:
            continue  # a stream the model does not read: nothing it evaluates can change
        table = accounts if is_accounts else tables[change.stream]
        assert table is not None
        mask = evaluate_predicate(where, table) if where is not None else np.ones(len(table), bool)
        table = _apply_one(change, table, mask, rng, data.account_names)
        if is_accounts:
            accounts = table
        else:
            tables[change.stream] = table
    return attrs.evolve(data, tables=tables, accounts=accounts)


def _apply_one(
    change: Change, table: EventTable, mask: np.ndarray, rng: np.random.Generator, names: np.ndarray
) -> EventTable:
    cols = dict(table.columns)
    if change.kind == "drop":
        return _take(table, np.flatnonzero(~mask))
    if change.kind == "volume":
        factor = float(change.amount)
        counts = np.ones(len(table), np.int64)
        whole, part = int(factor), factor - int(factor)
        counts[mask] = whole + (rng.random(int(mask.sum())) < part)
        return _take(table, np.repeat(np.arange(len(table)), counts))
    if change.kind == "lengthen":
        end = cols["end"]
        known = end.is_valid() & mask
        cols["end"] = attrs.evolve(
            end, values=np.where(known, end.values + change.amount * NS, end.values)
        )
        return attrs.evolve(table, columns=cols)
    if change.kind == "scale":
        later, earlier = cols[change.column], cols[change.earlier]  # type: ignore[index]
        known = later.is_valid() & earlier.is_valid() & mask
        span = (later.values - earlier.values).astype(np.float64) * float(change.amount)
        moved = earlier.values + np.round(span).astype(np.int64)
        cols[change.column] = attrs.evolve(  # type: ignore[index]
            later, values=np.where(known, moved, later.values)
        )
        return attrs.evolve(table, columns=cols)
    if change.kind == "set":
        column = cols[change.column]  # type: ignore[index]
        is_account = change.column == "account" and table.stream != "accounts"
        cols[change.column] = _set(  # type: ignore[index]
            column, mask, change.amount, names if is_account else None
        )
        return attrs.evolve(table, columns=cols)
    return _add(change, table, names)


def _add(change: Change, table: EventTable, names: np.ndarray) -> EventTable:
    given = dict(change.fields)
    duration = given.pop("duration", None)
    if duration is not None:
        given["end"] = ("time", given["start"][1] + duration[1] * NS)
    accounts: list[int | None]
    if "account" in table.columns and "account" not in given:
        accounts = list(range(len(names)))  # no account given: one record for every account
    else:
        accounts = [None]
    n = len(accounts)
    cols = {}
    for name, column in table.columns.items():
        new = Column(
            column.type, np.zeros(n, column.values.dtype), np.zeros(n, bool), column.dictionary
        )
        if name == "account" and accounts != [None]:
            new = Column(
                column.type, np.array(accounts, column.values.dtype), None, column.dictionary
            )
        elif name in given:
            new = _set(new, np.ones(n, bool), given[name], names if name == "account" else None)
        merged_dict = new.dictionary
        values = np.concatenate((column.values, new.values))
        valid = None
        if column.valid is not None or new.valid is not None:
            valid = np.concatenate((column.is_valid(), new.is_valid()))
        cols[name] = Column(column.type, values, valid, merged_dict)
    rows = np.concatenate((table.rows, np.zeros(n, table.rows.dtype)))
    return attrs.evolve(table, columns=cols, rows=rows)
