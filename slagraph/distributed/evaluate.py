"""`Model.evaluate(data, client=…)`: partitions evaluated on workers, their rows
concatenated and put back in the order one evaluation gives."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slagraph.compiler import ir
from slagraph.data.partitions import Subset
from slagraph.data.readers import open_source
from slagraph.distributed.plan import plan, schemas
from slagraph.distributed.session import gathered, raise_first, start_session
from slagraph.distributed.tasks import Frame, bounds_task, evaluate_here, evaluate_task, load_task
from slagraph.engine import (
    Result,
    load_for,
    preorder,
    to_ns,
)
from slagraph.errors import SlaUsageError

# ------------------------------------------------------------------ the client side


def evaluate(
    model: ir.Model,
    data: Any,
    client: Any,
    *,
    as_of: Any = None,
    start: str | None = None,
    end: str | None = None,
    on_bad_rows: str = "error",
    since: Any = None,
    every: Any = None,
    partitions: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    """`Model.evaluate(data, client=…)`: the same rows as one process, evaluated on the
    Dask cluster of `client` (a `distributed.Client`). `partitions`: how many (default
    `PER_WORKER` per worker thread); `progress(done, total)` after each partition."""
    submit, subsets = start_session(model, data, client, partitions)
    loads = [submit(load_task, "load", i, s, on_bad_rows) for i, s in enumerate(subsets)]
    as_of_ns = None if as_of is None else to_ns(as_of)
    bounds = client.gather(
        [submit(bounds_task, "bounds", i, f, as_of_ns) for i, f in enumerate(loads)]
    )
    raise_first(bounds)
    frame = frame_of(bounds, as_of_ns, since)
    futures = [
        submit(evaluate_task, "eval", i, f, frame, start, end, every) for i, f in enumerate(loads)
    ]
    parts = gathered(client, futures, progress)
    del loads, futures
    raise_first(parts)
    return _merge(model, parts, frame, Local(model, data, frame, on_bad_rows, every))


def frame_of(bounds: Sequence[Any], as_of: int | None, since: Any) -> Frame:
    """One as-of and one first instant for all partitions, as `engine.known_at` takes
    them from the whole data."""
    los = [b[0] for b in bounds if b[0] is not None]
    defaults = [b[1] for b in bounds if b[1] is not None]
    his = [b[2] for b in bounds if b[2] is not None]
    placed = any(b[3] for b in bounds)
    if as_of is None:
        if defaults:
            as_of, placed = max(defaults), True
        elif his:
            as_of, placed = max(his), False
        else:
            raise SlaUsageError("the data holds no timestamps; give an as-of time")
    lo = to_ns(since, "since") if since is not None else min(los) if los else as_of
    return Frame(as_of, lo, as_of if placed else as_of - 1)


def _merge(model: ir.Model, parts: Sequence[Any], frame: Frame, local: Local) -> Result:
    """The partitions' rows in one evaluation's order: each partition's rows are in that
    order already, and an account's rows are all in one partition, so a stable sort by
    account puts them together."""
    tables = [p[0] for p in parts]
    table = pa.concat_tables(tables)
    ranks = [p[4] for p in parts]
    if all(r is not None for r in ranks):  # by each account's row in the accounts table
        per_row = np.concatenate(
            [
                rank[_codes(t.column("account"), names)]
                for t, (_, _, _, names, rank) in zip(tables, parts, strict=True)
            ]
            or [np.zeros(0, np.int64)]
        )
        order = pa.array(np.argsort(per_row, kind="stable"))
    else:
        order = pc.sort_indices(table, [("account", "ascending")])  # stable
    table = table.take(order)
    bad_rows: dict[str, int] = {}
    broadcast = {s.name for s in schemas(model) if s.account_column is None}
    for i, part in enumerate(parts):
        for stream, count in part[2].items():
            if i == 0 or stream not in broadcast:
                bad_rows[stream] = bad_rows.get(stream, 0) + count
    terminations = _terminations(model, parts)
    return Result(table, terminations, bad_rows, frame.as_of, local.explain, local.records)


def _codes(column: pa.ChunkedArray, names: np.ndarray) -> np.ndarray:
    found = pc.index_in(column, value_set=pa.array(names, pa.string()))
    return np.asarray(found.to_numpy(zero_copy_only=False), np.int64)


def _terminations(model: ir.Model, parts: Sequence[Any]) -> list[dict[str, Any]]:
    """Termination lines in one evaluation's order: by instance, rule, then account."""
    key = termination_key(model)
    keyed = []
    for _, terminations, _, names, rank in parts:
        of = account_key(names, rank)
        keyed += [(key(t, of), t) for t in terminations]  # a few lines per account at most
    keyed.sort(key=lambda pair: pair[0])
    return [t for _, t in keyed]


def account_key(names: np.ndarray, rank: np.ndarray | None) -> Callable[[str], Any]:
    """An account's place in one evaluation's order: its accounts-table row, or its name."""
    if rank is None:
        return lambda name: name
    where = {str(n): int(rank[i]) for i, n in enumerate(names)}
    return where.__getitem__


def termination_key(model: ir.Model) -> Callable[[dict[str, Any], Any], tuple[Any, ...]]:
    node = {inst.path: i for i, inst in enumerate(preorder(model.plan))}
    rules: dict[tuple[str, Any, str, Any], int] = {}
    for inst in preorder(model.plan):
        every = ir.versions_of(model.agreements[inst.agreement])
        dated = [(d, rule) for d, terms in every for rule in terms.terminations]
        for j, (day, rule) in enumerate(dated):  # each version's rules, as evaluate lists them
            text = (
                f"{rule.count} consecutive periods"
                if rule.of_n is None
                else f"{rule.count} of {rule.of_n} periods"
            )
            version = day.isoformat() if day is not None else None
            rules.setdefault((inst.path, rule.target, text, version), j)

    def key(t: dict[str, Any], account: Callable[[str], Any]) -> tuple[Any, ...]:
        j = rules.get((t["node"], t["target"], t["rule"], t.get("version")), 0)
        return node[t["node"]], j, account(t["account"])

    return key


class Local:
    """`explain` and `records` of a distributed result: the one account asked about is
    evaluated again here, in this process, with the same frame (its rows only)."""

    def __init__(
        self, model: ir.Model, data: Any, frame: Frame, on_bad_rows: str, every: Any
    ) -> None:
        self.model, self.data, self.frame = model, data, frame
        self.on_bad_rows, self.every = on_bad_rows, every

    def _one(self, account: str | None, what: str) -> Result:
        if account is None:
            raise SlaUsageError(
                f"{what} of a result evaluated on Dask needs an account: it evaluates that "
                "account again in this process (or evaluate without a Dask client)"
            )
        subset: Any = Subset(self.data, pa.array([account], pa.string()))
        if self.model.clocks:  # its items may name other accounts: its whole component
            found = plan(self.model, self.data, 2**20).subsets
            mine = [s for s in found if account in s.accounts.to_pylist()]
            subset = mine[0] if mine else self.data
        elif isinstance(self.data, Mapping):
            reader = open_source(self.data)
            subset = attrs.evolve(
                subset,
                source=None,
                tables={s.name: subset.filter(reader.read(s), s) for s in schemas(self.model)},
            )
        dataset = load_for(self.model, subset, self.on_bad_rows)
        return evaluate_here(self.model, dataset, self.frame, None, None, self.every)

    def explain(self, account: str, period: str, node: str | None, limit: int | None) -> Any:
        return self._one(account, "explain").explain(account, period, node, limit)

    def records(
        self,
        node: str,
        account: str | None,
        period: str | None,
        limit: int | None,
        start: str | None,
        end: str | None,
        verdict: Any,
    ) -> Any:
        return self._one(account, "records").records(
            node, account, period, limit, start=start, end=end, verdict=verdict
        )
