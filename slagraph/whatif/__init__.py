"""What-if: evaluate a model on its data and on changed data, side by side.

Base and changed data are two scenarios of one evaluation (see `scenarios`): the engine
runs once over both, with the same as-of and the same periods, and the rows are paired by
(account, period, node).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor
from typing import Any

import numpy as np

from slagraph import runtime
from slagraph.compiler import ir
from slagraph.data import Dataset
from slagraph.engine import default_as_of, evaluate, load_for, to_ns, writers
from slagraph.engine.context import Context
from slagraph.whatif.changes import Change, apply, parse_change, parse_changes
from slagraph.whatif.scenarios import per_scenario, split, stack

__all__ = ["Change", "WhatIf", "pair_rows", "paired", "parse_change", "whatif"]

COMPARED = ("status", "met", "value", "score", "budget_used", "credit_pct", "credit", "earned_back")
_KEY = ("account", "period", "node", "kind")


class WhatIf:
    """Base and changed rows, paired. `rows()` gives only what differs unless all=True."""

    side = "whatif"  # the prefix of the changed side's fields (`whatif_status`)

    def __init__(
        self,
        pairs: list[dict[str, Any]],
        terminations: list[dict[str, Any]],
        changes: Sequence[Change],
        as_of: int | None = None,
    ) -> None:
        self.pairs = pairs
        self.terminations = terminations
        self.changes = tuple(changes)
        self.as_of = as_of  # the instant both sides were evaluated as of (UTC ns)

    def rows(self, all: bool = False) -> list[dict[str, Any]]:  # noqa: A002 - CLI's --all
        out = [p for p in self.pairs if all or p["differs"]]
        return out + [t for t in self.terminations if all or t["differs"]]

    def iter_rows(self, all: bool = False) -> Iterator[dict[str, Any]]:  # noqa: A002
        yield from self.rows(all)

    def to_pandas(self, all: bool = False) -> Any:  # noqa: A002
        import pandas as pd

        return pd.DataFrame(self.rows(all))

    def to_jsonl(self, all: bool = False) -> str:  # noqa: A002
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.rows(all))

    def to_json(self, all: bool = False) -> str:  # noqa: A002
        return json.dumps({"rows": self.rows(all)}, ensure_ascii=False, indent=1) + "\n"

    def to_csv(self, all: bool = False) -> str:  # noqa: A002
        rows = [r for r in self.rows(all) if r["kind"] != "termination"]
        fields = [
            *_KEY,
            "final",
            "differs",
            *(f"{w}_{f}" for f in COMPARED for w in ("base", self.side)),
        ]
        return writers.rows_csv(rows, fields)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return bool(np.isclose(a, b, rtol=1e-12, atol=0.0))
    return a == b


def whatif(
    model: ir.Model,
    data: Any,
    changes: Sequence[str | Change],
    *,
    as_of: Any = None,
    seed: int = 0,
    on_bad_rows: str = "error",
    threads: int | None = None,
    executor: Executor | None = None,
    start: str | None = None,
    end: str | None = None,
) -> WhatIf:
    with runtime.using(threads, executor):
        return _whatif(model, data, changes, as_of, seed, on_bad_rows, start, end)


def _whatif(
    model: ir.Model,
    data: Any,
    changes: Sequence[str | Change],
    as_of: Any,
    seed: int,
    on_bad_rows: str,
    start: str | None = None,
    end: str | None = None,
) -> WhatIf:
    base = data if isinstance(data, Dataset) else load_for(model, data, on_bad_rows)
    parsed = parse_changes(model, changes)
    changed = apply(model, base, parsed, np.random.default_rng(seed))
    probe, probe_changed = Context(model, base, 0, 0), Context(model, changed, 0, 0)
    if as_of is not None:
        as_of_ns = to_ns(as_of)
    else:  # both sides' data, as `evaluate` chooses it (the latest placing time)
        latest = [default_as_of(model, d) for d in (base, changed)]
        found = [t for t in latest if t is not None]
        as_of_ns = max(found) if found else probe.data_hi
    lows = [c.data_lo for c in (probe, probe_changed) if c.has_times]
    since = min(lows) if lows else as_of_ns
    stacked = stack([base, changed])
    result = evaluate(
        per_scenario(model), stacked, as_of=as_of_ns, since=since, start=start, end=end
    )
    pairs, terms = paired(result)
    return WhatIf(pairs, terms, parsed, as_of_ns)


def paired(result: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of a two-scenario evaluation (`per_scenario`) paired by (account,
    period, node), then the termination lines: base order first, then what only the
    changed side has (`pair_rows`)."""
    sides: list[list[dict[str, Any]]] = [[], []]
    for row in result.iter_rows():
        if row["kind"] == "bad_rows":
            continue
        scenario, account = split(row["account"])
        sides[scenario].append({**row, "account": account})
    return pair_rows(sides[0], sides[1])


def pair_rows(
    base: Iterable[dict[str, Any]], other: Iterable[dict[str, Any]], side: str = "whatif"
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Two evaluations' rows paired by (account, period, node, kind), and their
    terminations by (node, account, target, rule): `base_F` beside `{side}_F` for every
    compared field F, `differs` when any differs or a key is on one side only. Shared by
    `whatif` (changed data) and `diff` (changed model), so both compare alike."""
    sides: list[dict[tuple, dict[str, Any]]] = [{}, {}]
    for i, rows in enumerate((base, other)):
        for row in rows:
            if row["kind"] == "bad_rows":
                continue
            if row["kind"] == "termination":
                key = ("termination", row["node"], row["account"], row["target"], row["rule"])
            else:
                key = tuple(row[k] for k in _KEY)
            sides[i][key] = row
    pairs, terms = [], []
    for key in dict.fromkeys([*sides[0], *sides[1]]):
        b, w = sides[0].get(key), sides[1].get(key)
        if key[0] == "termination":
            node, account, target, rule = key[1:]
            terms.append(
                {
                    "kind": "termination",
                    "node": node,
                    "account": account,
                    "target": target,
                    "rule": rule,
                    "base_period": b["period"] if b else None,
                    f"{side}_period": w["period"] if w else None,
                    "differs": (b or {}).get("period") != (w or {}).get("period"),
                }
            )
            continue
        pair: dict[str, Any] = dict(zip(_KEY, key, strict=True))
        pair["final"] = (b or w or {}).get("final")  # one as-of: the same on both sides
        differs = b is None or w is None
        for field in COMPARED:
            bv, wv = (b or {}).get(field), (w or {}).get(field)
            pair[f"base_{field}"] = bv
            pair[f"{side}_{field}"] = wv
            differs = differs or not _same(bv, wv)
        pair["differs"] = differs
        pairs.append(pair)
    return pairs, terms
