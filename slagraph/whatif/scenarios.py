"""The scenario axis: several datasets evaluated as one, by stacking accounts.

The evaluator's arrays are (account, period); scenario s of n becomes the block of
accounts s·A … s·A + A − 1, so n scenarios run through the kernels as one evaluation of
n·A accounts — no second evaluator and no Python loop over scenarios in the engine.
Shared streams (no `account` column) are given one copy per account and scenario, since
each scenario may change them differently. A clock's items must not merge across
scenarios (ticket T1 of the base and of the what-if are two items), so every stacked
table carries its scenario number in `SCENARIO`, which `per_scenario` makes the first
key of every clock.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np

from slagraph.compiler import ir
from slagraph.data import Column, Dataset, EventTable

SEPARATOR = "\x1f"  # scenario index and account name in a stacked account name


def _unify_text(columns: list[Column], offsets: list[int] | None) -> Column:
    """Concatenate text columns whose dictionaries may differ (an `add` can extend one)."""
    if offsets is not None:  # the account column: codes index the stacked account list
        values = np.concatenate(
            [c.values.astype(np.int64) + o for c, o in zip(columns, offsets, strict=True)]
        )
        return Column("text", values.astype(np.int32), None, None)
    dictionary, inverse = np.unique(
        np.concatenate(
            [c.dictionary if c.dictionary is not None else np.array([], object) for c in columns]
        ).astype(str),
        return_inverse=True,
    )
    parts, start = [], 0
    for c in columns:
        size = 0 if c.dictionary is None else len(c.dictionary)
        remap = inverse[start : start + size]
        start += size
        codes = np.where(c.values >= 0, remap[np.maximum(c.values, 0)] if size else -1, -1)
        parts.append(codes)
    values = np.concatenate(parts).astype(np.int32)
    return Column("text", values, _valid(columns), dictionary.astype(object))


def _valid(columns: list[Column]) -> np.ndarray | None:
    if all(c.valid is None for c in columns):
        return None
    return np.concatenate([c.is_valid() for c in columns])


SCENARIO = "\x00scenario"
"""A column no declaration can name: the scenario of each stacked row."""


def per_scenario(model: ir.Model) -> ir.Model:
    """The model with each clock's items told apart by scenario as well."""
    clocks = {n: attrs.evolve(c, keys=(SCENARIO, *c.keys)) for n, c in model.clocks.items()}
    return attrs.evolve(model, clocks=clocks)


def _concat(tables: list[EventTable], offsets: list[int] | None) -> EventTable:
    first = tables[0]
    columns = {}
    for name, column in first.columns.items():
        parts = [t.columns[name] for t in tables]
        if column.type == "text":
            columns[name] = _unify_text(parts, offsets if name == "account" else None)
        else:
            columns[name] = Column(
                column.type, np.concatenate([c.values for c in parts]), _valid(parts)
            )
    rows = np.concatenate([t.rows for t in tables])
    return attrs.evolve(first, columns=columns, rows=rows)


def _per_account(table: EventTable, accounts: int) -> EventTable:
    """A shared stream as one copy per account, so scenarios can differ."""
    n = len(table)
    index = np.tile(np.arange(n), accounts)
    columns = {
        name: Column(
            c.type, c.values[index], None if c.valid is None else c.valid[index], c.dictionary
        )
        for name, c in table.columns.items()
    }
    columns["account"] = Column(
        "text", np.repeat(np.arange(accounts, dtype=np.int32), n), None, None
    )
    return attrs.evolve(table, columns=columns, rows=table.rows[index])


def stack(datasets: Sequence[Dataset]) -> Dataset:
    """One dataset whose accounts are (scenario, account) pairs, scenario-major.

    Account codes become the stacked index; each account column's dictionary repeats the
    real names, so `account == "acme"` filters and coverage still compare real names, while
    the output names (`account_names`) carry the scenario for splitting the rows."""
    base = datasets[0]
    a = len(base.account_names)
    count = len(datasets)
    offsets = [s * a for s in range(count)]
    real = np.tile(np.asarray(base.account_names, dtype=object), count)
    labels = np.array(
        [f"{s}{SEPARATOR}{n}" for s in range(count) for n in base.account_names], dtype=object
    )
    tables = {}
    for stream in base.tables:
        parts = [d.tables[stream] for d in datasets]
        if "account" not in parts[0].columns:
            parts = [_per_account(t, a) for t in parts]
        table = _concat(parts, offsets)
        columns = dict(table.columns)
        columns["account"] = attrs.evolve(columns["account"], dictionary=real)
        scenario = np.repeat(np.arange(count, dtype=np.float64), [len(p) for p in parts])
        columns[SCENARIO] = Column("number", scenario, None)
        tables[stream] = attrs.evolve(table, columns=columns)
    key = Column("text", np.arange(count * a, dtype=np.int32), None, real)
    if base.accounts is not None:
        accounts = _concat([d.accounts for d in datasets if d.accounts is not None], None)
        accounts = attrs.evolve(accounts, columns={**accounts.columns, "account": key})
    else:
        accounts = EventTable(
            "accounts", "<scenarios>", {"account": key}, np.arange(1, count * a + 1)
        )
    return attrs.evolve(base, tables=tables, accounts=accounts, account_names=labels)


def split(label: str) -> tuple[int, str]:
    """(scenario, account) from a stacked account name."""
    scenario, _, account = label.partition(SEPARATOR)
    return int(scenario), account
