"""`Result`: the rows of SPEC §4.1, held as columns and turned into rows only on demand."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from concurrent.futures import Executor
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa

from slagraph.engine import writers
from slagraph.engine.rollup import STATUS_NAMES

FIELDS = (
    "account",
    "period",
    "node",
    "kind",
    "status",
    "met",
    "value",
    "target",
    "score",
    "budget_used",
    "credit_pct",
    "credit",
    "earned_back",
    "final",
)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, np.generic):
        return _clean(value.item())
    return value


class Result:
    """Evaluation result: one row per (account, period, node path), plus termination and
    bad-row lines. Build it with `Model.evaluate`."""

    def __init__(
        self,
        table: pa.Table,
        terminations: list[dict[str, Any]],
        bad_rows: dict[str, int],
        as_of: int,
        explainer: Any = None,
        recorder: Any = None,
    ) -> None:
        self.table = table
        self.fields = (*FIELDS, "version") if "version" in table.column_names else FIELDS
        """The columns of a row: FIELDS, and `version` when the model versions an agreement."""
        self.terminations = terminations
        self.bad_rows = dict(bad_rows)
        self.as_of = as_of
        self._explainer = explainer
        self._recorder = recorder

    def __len__(self) -> int:
        return self.table.num_rows

    @property
    def context(self) -> Any:
        """The evaluation's data as known at as-of (an engine `Context`), so that a client
        computing more from the same data (the report's burn-down charts and alerts) need
        not read it again; None when the result carries none (evaluated on Dask)."""
        return getattr(self._explainer, "ctx", None)

    def rows(self) -> list[dict[str, Any]]:
        """Every line of the jsonl contract: node rows, then terminations, then bad rows."""
        return list(self.iter_rows())

    def iter_rows(self, units: bool = False) -> Iterator[dict[str, Any]]:
        """Rows as dicts; `units=True` adds each objective's unit (ratio/duration/number)."""
        names = (*self.fields, "unit") if units else self.fields
        columns = {name: self.table.column(name).to_pylist() for name in names}
        for i in range(self.table.num_rows):
            yield {name: _clean(columns[name][i]) for name in names}
        yield from self._extra()

    def to_arrow(self) -> pa.Table:
        """The node rows as an Arrow table (terminations and bad rows are attributes)."""
        return self.table

    def to_pandas(self) -> Any:
        """The node rows as a pandas DataFrame (pandas is needed only for this)."""
        return self.table.to_pandas()

    def to_jsonl(self) -> str:
        return _text(self.write_jsonl)

    def to_json(self) -> str:
        return _text(self.write_json)

    def to_csv(self) -> str:
        """Node rows as CSV (terminations and bad rows go to the JSON formats)."""
        return _text(self.write_csv)

    def write_jsonl(self, out: BinaryIO) -> None:
        """The jsonl lines (SPEC §4.1) written to a binary file in batches, UTF-8."""
        for chunk in writers.json_lines(self.table, self.fields):
            out.write(chunk)
        for row in self._extra():
            out.write((json.dumps(row, ensure_ascii=False) + "\n").encode())

    def write_json(self, out: BinaryIO) -> None:
        """`{"rows": […]}`, indented, written to a binary file in batches."""
        for chunk in writers.json_document(self.table, self.fields, list(self._extra())):
            out.write(chunk)

    def write_csv(self, out: BinaryIO) -> None:
        """The node rows as CSV written to a binary file in batches."""
        for chunk in writers.csv_lines(self.table, self.fields):
            out.write(chunk)

    def _extra(self) -> Iterator[dict[str, Any]]:
        yield from self.terminations
        for stream, count in sorted(self.bad_rows.items()):
            yield {"kind": "bad_rows", "stream": stream, "count": count}

    def explain(
        self, account: str, period: str, node: str | None = None, limit: int | None = 20
    ) -> Any:
        """Why `node` (a dotted path; default: the first root) is met or breached for
        `account` in `period`, down to the failing objectives and at most `limit` of
        their records each (None: all). Returns an `Explanation`: `str()` it for text,
        `.to_dict()` for data."""
        if self._explainer is None:
            raise RuntimeError("this result carries no explanation data")
        return self._explainer(account, period, node, limit)

    def records(
        self,
        node: str,
        account: str | None = None,
        period: str | None = None,
        limit: int | None = None,
        *,
        start: str | None = None,
        end: str | None = None,
        verdict: Any = None,
    ) -> pa.Table:
        """Every record behind `node` (an objective's dotted path, or an sla's for all its
        objectives), per account and period, with its verdict (`ok`/`failed`/`pending`,
        `counted`/`not counted`, `down` for outages), measured `value` (seconds for
        durations, business time where it applies), `limit`, source `row` and the
        stream's columns, times in the node's timezone (SPEC §6.3). `start`/`end`
        bound the periods as in `evaluate`; `verdict` ("failed", or several) keeps those.
        An Arrow table (`.to_pandas()` for pandas)."""
        if self._recorder is None:
            raise RuntimeError("this result carries no record data")
        return self._recorder(node, account, period, limit, start, end, verdict)


def _text(write: Any) -> str:
    out = io.BytesIO()
    write(out)
    return out.getvalue().decode("utf-8")


def build_table(
    blocks: list[dict[str, Any]], names: Any = (), pool: Executor | None = None
) -> pa.Table:
    """Concatenate per-node column blocks and sort by (account, period label, node order).

    A block (engine/__init__.py `_Cells.block`) holds its rows' numbers as arrays and its
    text as codes: `_account` indexes `names`, `_period` the block's `labels`, and `node`,
    `kind` and `unit` are one value per block. The order comes from one unique integer
    key (`_order`), text columns are taken from small dictionaries in Arrow, so no
    per-row Python string is ever made, and the columns are built on `pool`'s threads."""
    if not blocks:
        return pa.table({name: pa.array([], type=_TYPES[name]) for name in _TYPES})
    all_labels = sorted(set().union(*(b["labels"] for b in blocks)))
    rank = {label: i for i, label in enumerate(all_labels)}
    sizes = [len(b["_account"]) for b in blocks]
    account = np.concatenate([b["_account"] for b in blocks]).astype(np.int64, copy=False)
    period = np.concatenate(
        [np.array([rank[x] for x in b["labels"]], np.int64)[b["_period"]] for b in blocks]
    )
    block = np.repeat(np.arange(len(blocks), dtype=np.int64), sizes)
    # (account, period label, block) is unique per row, so any sort of the key is the order
    key = (account * len(all_labels) + period) * len(blocks) + block
    order = _order(key)

    def column(name: str) -> pa.Array:
        if name == "account":
            return _take(names, account[order])
        if name == "period":
            return _take(all_labels, period[order])
        if name in ("node", "kind", "unit"):
            return _take([b[name] for b in blocks], block[order])
        if name == "version":
            dates = pa.array([b.get("version") for b in blocks], pa.string())
            return dates.take(pa.array(block[order].astype(np.int32, copy=False)))
        values = np.concatenate([b[name] for b in blocks])[order]
        if name == "status":
            return _take(STATUS_NAMES, values)
        if values.dtype.kind == "f":
            return pa.array(values, type=pa.float64(), from_pandas=True)
        return pa.array(values, type=_TYPES[name])

    fields: tuple[str, ...] = (*FIELDS, "unit")
    if any(b.get("version") and len(b["_account"]) for b in blocks):  # which version judged
        fields = (*FIELDS, "version", "unit")
    built = list(pool.map(column, fields)) if pool is not None else [column(f) for f in fields]
    return pa.table(dict(zip(fields, built, strict=True)))


def _order(key: np.ndarray) -> np.ndarray:
    """The permutation sorting unique non-negative keys. Keys are nearly dense (every
    account × period × node, less what coverage leaves out), so a scatter into a table
    of all possible keys is a linear-time sort; an argsort when they are sparse."""
    top = int(key.max()) + 1 if len(key) else 0
    if top > 4 * len(key) + 1024:
        return np.argsort(key)
    slots = np.full(top, -1, np.int64)
    slots[key] = np.arange(len(key))
    return slots[slots >= 0]


def _take(dictionary: Any, codes: np.ndarray) -> pa.Array:
    """Strings by code from a small dictionary (Arrow's take: no Python string per row)."""
    strings = pa.array([str(x) for x in dictionary], pa.string())
    return strings.take(pa.array(codes.astype(np.int32, copy=False)))


_TYPES = {
    "account": pa.string(),
    "period": pa.string(),
    "node": pa.string(),
    "kind": pa.string(),
    "status": pa.string(),
    "met": pa.bool_(),
    "value": pa.float64(),
    "target": pa.float64(),
    "score": pa.float64(),
    "budget_used": pa.float64(),
    "credit_pct": pa.float64(),
    "credit": pa.float64(),
    "earned_back": pa.bool_(),
    "final": pa.bool_(),
    "unit": pa.string(),
}
