"""Diff: two versions of an agreement on the same data, side by side (SPEC §6.6).

The replay that lets a team check an amendment before signing it. Each model reads the
streams it declares, but both are judged as of one instant and from one first instant,
so their periods line up; the rows are paired as what-if pairs them (`pair_rows`), and
per account one `money` line says what the change is worth: the credits of ended periods
not earned back, summed over root rows (paths without a dot), new minus old.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Executor
from typing import Any

from slagraph import runtime
from slagraph.compiler import ir
from slagraph.data import Dataset
from slagraph.engine import default_as_of, evaluate, load_for, to_ns, writers
from slagraph.engine.context import Context
from slagraph.whatif import _KEY, COMPARED, WhatIf, pair_rows

__all__ = ["Diff", "diff"]


class Diff(WhatIf):
    """Old and new model's rows, paired (`base_F`, `new_F`), their terminations, and one
    `money` line per account; `rows()` gives only what differs (and the money lines)
    unless all=True."""

    side = "new"

    def __init__(
        self,
        pairs: list[dict[str, Any]],
        terminations: list[dict[str, Any]],
        money: list[dict[str, Any]],
        as_of: int | None = None,
    ) -> None:
        super().__init__(pairs, terminations, (), as_of)
        self.money = money

    def rows(self, all: bool = False) -> list[dict[str, Any]]:  # noqa: A002 - CLI's --all
        return super().rows(all) + self.money

    def to_csv(self, all: bool = False) -> str:  # noqa: A002
        fields = [
            *_KEY,
            "final",
            "differs",
            *(f"{w}_{f}" for f in COMPARED for w in ("base", self.side)),
            "difference",
        ]
        rows = [r for r in self.rows(all) if r["kind"] != "termination"]
        return writers.rows_csv([{f: r.get(f) for f in fields} for r in rows], fields)


def diff(
    old: ir.Model,
    new: ir.Model,
    data: Any,
    *,
    as_of: Any = None,
    on_bad_rows: str = "error",
    threads: int | None = None,
    executor: Executor | None = None,
    start: str | None = None,
    end: str | None = None,
) -> Diff:
    with runtime.using(threads, executor):
        return _diff(old, new, data, as_of, on_bad_rows, start, end)


def _diff(
    old: ir.Model,
    new: ir.Model,
    data: Any,
    as_of: Any,
    on_bad_rows: str,
    start: str | None,
    end: str | None,
) -> Diff:
    datasets = [
        data if isinstance(data, Dataset) else load_for(m, data, on_bad_rows) for m in (old, new)
    ]
    probes = [Context(m, d, 0, 0) for m, d in zip((old, new), datasets, strict=True)]
    as_of_ns: int | None
    if as_of is not None:
        as_of_ns = to_ns(as_of)
    else:  # chosen once, from what either model places (as `evaluate` chooses it)
        latest = [default_as_of(m, d) for m, d in zip((old, new), datasets, strict=True)]
        found = [t for t in latest if t is not None]
        timed = [p.data_hi for p in probes if p.has_times]
        as_of_ns = max(found) if found else max(timed) if timed else None  # None: evaluate says
    lows = [p.data_lo for p in probes if p.has_times]
    since = min(lows) if lows else as_of_ns
    sides = [
        list(evaluate(m, d, as_of=as_of_ns, since=since, start=start, end=end).iter_rows())
        for m, d in zip((old, new), datasets, strict=True)
    ]
    pairs, terms = pair_rows(sides[0], sides[1], side="new")
    return Diff(pairs, terms, money_lines(sides[0], sides[1]), as_of_ns)


def _owed(rows: Iterable[dict[str, Any]]) -> dict[str, float]:
    """Credit per account of ended periods not earned back, over root rows."""
    owed: dict[str, float] = {}
    for row in rows:
        if row["kind"] in ("termination", "bad_rows") or "." in row["node"]:
            continue
        owed.setdefault(row["account"], 0.0)
        if row["final"] and not row["earned_back"] and row["credit"]:
            owed[row["account"]] += row["credit"]
    return owed


def money_lines(
    base: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One `money` line per account of either side: credits owed, old and new."""
    before, after = _owed(base), _owed(new)
    lines = []
    for account in dict.fromkeys([*before, *after]):
        b, n = before.get(account, 0.0), after.get(account, 0.0)
        lines.append(
            {
                "kind": "money",
                "account": account,
                "base_credit": b,
                "new_credit": n,
                "difference": n - b,
                "differs": n != b,
            }
        )
    return lines
