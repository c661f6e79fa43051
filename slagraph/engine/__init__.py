"""The vectorised evaluator: load the data a model reads, walk the plan, build the rows.

kernels.py     pure array functions (group counts, percentiles, interval sweeps)
predicates.py  `where` filters over whole tables
context.py     one evaluation's data, as-of, grids, clocks and selection caches
metrics.py     each metric kind → (account, period) measures
rollup.py      statuses, budgets, `met when`, roll-up, credits, earnback, terminations
evaluate.py    the walk over the plan, memoised per (agreement, period, timezone)
result.py      the rows of SPEC §4.1 as columns
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from concurrent.futures import Executor
from typing import Any

import attrs
import numpy as np

from slagraph import runtime
from slagraph.compiler import ir
from slagraph.compiler.expressions import placing_column
from slagraph.data import Column, Dataset, load
from slagraph.data.schema import StreamSchema
from slagraph.data.times import MAX_NS, MIN_NS, RANGE_TEXT
from slagraph.engine.context import Context, _column_extremes
from slagraph.engine.evaluate import Walk, accounts_table, coverage_mask
from slagraph.engine.explain import Explainer
from slagraph.engine.records import Recorder
from slagraph.engine.result import Result, build_table
from slagraph.engine.rollup import in_progress, label_dates
from slagraph.engine.windows import RollingGrid, step_ns
from slagraph.errors import SlaDataError, SlaUsageError, SlaWarning
from slagraph.runtime import workers

__all__ = [
    "Known",
    "Result",
    "evaluate",
    "evaluate_framed",
    "known_at",
    "load_for",
    "schemas_read",
]


def _elapsed_in(node: Any) -> Iterator[tuple[str, ir.Elapsed]]:
    """Every (stream, Elapsed) a metric reads, so the loader can check later >= earlier."""
    match node:
        case ir.ShareWithin(select=s, elapsed=ir.Elapsed() as e):
            yield s.stream, e
        case (
            ir.Aggregate(select=s, value=ir.Elapsed() as e)
            | ir.Percentile(select=s, value=ir.Elapsed() as e)
        ):
            yield s.stream, e


def streams_read(model: ir.Model) -> list[str]:
    names = [n.split(":", 1)[1] for n in model.dependencies.nodes if n.startswith("stream:")]
    return sorted(names)


def _as_loaded(model: ir.Model, name: str) -> StreamSchema:
    """A stream read only through clocks may have rows that name no account."""
    schema = model.streams[name]
    readers = list(model.graph.successors(f"stream:{name}"))
    if readers and all(r.startswith("clock:") for r in readers):
        return attrs.evolve(schema, unassigned=True)
    return schema


def load_for(model: ir.Model, source: Any, on_bad_rows: str = "error") -> Dataset:
    """Read exactly the streams the model uses (and its accounts table)."""

    checks: dict[str, set[tuple[str, str]]] = {}
    for agreement in ir.all_terms(model.agreements.values()):
        for objective in agreement.objectives:
            for stream, e in _elapsed_in(objective.metric):
                checks.setdefault(stream, set()).add((e.later, e.earlier))
    schemas = [_as_loaded(model, name) for name in streams_read(model)]
    return load(
        source,
        schemas,
        model.accounts,
        order_checks={k: sorted(v) for k, v in checks.items()},
        on_bad_rows=on_bad_rows,
    )


def to_ns(value: Any, what: str = "as-of") -> int:
    """An instant given as ns, datetime (aware) or ISO string with offset → int64 ns."""
    ns = _to_ns(value, what)
    if not MIN_NS <= ns <= MAX_NS:
        raise SlaUsageError(f"{what} '{value}' is out of range: {RANGE_TEXT}")
    return ns


def _to_ns(value: Any, what: str) -> int:
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise SlaUsageError(
                f"{what} '{value}' is not a time; expected e.g. 2026-03-31T23:59:59Z"
            ) from None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise SlaUsageError(f"{what} needs an offset, e.g. 2026-03-31T23:59:59Z")
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        delta = value - epoch
        return (delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    raise SlaUsageError(f"{what} must be a time, got {type(value).__name__}")


def evaluate(
    model: ir.Model,
    data: Any,
    *,
    as_of: Any = None,
    start: str | None = None,
    end: str | None = None,
    on_bad_rows: str = "error",
    since: Any = None,
    threads: int | None = None,
    executor: Executor | None = None,
    every: Any = None,
) -> Result:
    """Evaluate a compiled model. `since` (an instant) fixes where the first period may
    start, so that evaluations of disjoint account sets share one period grid and their
    rows concatenate to those of a single evaluation; `threads`/`executor` bound the
    threads it uses (`slagraph.runtime`); `every` (seconds, or a duration such as "1h")
    steps rolling windows (default: each local midnight)."""
    with runtime.using(threads, executor):
        ctx = context(model, data, as_of, on_bad_rows, since, every)
        return _rows(model, ctx, ctx.data, start, end)


def schemas_read(model: ir.Model) -> list[StreamSchema]:
    """The schemas `load_for` reads: the streams the graph uses, then the accounts table."""
    schemas = [_as_loaded(model, name) for name in streams_read(model)]
    return schemas + ([model.accounts] if model.accounts is not None else [])


def evaluate_framed(
    model: ir.Model,
    dataset: Dataset,
    *,
    as_of: int,
    lo: int,
    through: int,
    start: str | None = None,
    end: str | None = None,
    every: Any = None,
) -> Result:
    """`evaluate` of loaded data with as-of, first and last instant given (see `Known`)
    rather than found in it: so that partitions of the accounts (slagraph.distributed),
    each seeing part of the data, build the periods the whole data gives."""
    probe = Context(model, dataset, 0, 0)
    known = _as_known_at(model, dataset, as_of, probe.data_hi if probe.has_times else 0)
    ctx = Context(model, known, as_of, lo, through=through, every=step_ns(every))
    return _rows(model, ctx, ctx.data, start, end)


def context(
    model: ir.Model,
    data: Any,
    as_of: Any = None,
    on_bad_rows: str = "error",
    since: Any = None,
    every: Any = None,
) -> Context:
    """The data loaded and known as of as-of, ready for the walk (or `due`)."""
    dataset = data if isinstance(data, Dataset) else load_for(model, data, on_bad_rows)
    known = known_at(model, dataset, as_of, since)
    return Context(
        model,
        known.data,
        known.as_of,
        known.lo,
        extremes=known.extremes,
        through=known.through,
        every=step_ns(every),
    )


def due(
    model: ir.Model,
    data: Any,
    *,
    as_of: Any = None,
    within: Any = None,
    on_bad_rows: str = "error",
    threads: int | None = None,
    executor: Executor | None = None,
) -> Any:
    """`Model.due`: the open records and clock cycles soonest to breach (engine/due_next.py)."""
    from slagraph.engine import due_next

    with runtime.using(threads, executor):
        ctx = context(model, data, as_of, on_bad_rows)
        return due_next.due(model, ctx, step_ns(within, "--within"))


@attrs.frozen(eq=False)
class Known:
    """What an evaluation starts from: the data as known at as-of, as-of, the first
    instant periods cover (`lo`), the last one they must cover (`through`: as-of, or the
    instant before it when as-of is a period boundary that no record is placed at, so
    that no empty period opens there), and the time extremes a `Context` may reuse (...
    when as-of hid some)."""

    data: Dataset
    as_of: int
    lo: int
    through: int
    extremes: Any = ...


def known_at(model: ir.Model, dataset: Dataset, as_of: Any = None, since: Any = None) -> Known:
    """As-of defaults to the latest placing time of any record (`default_as_of`); the
    first instant to the earliest timestamp, or `since`."""
    probe = Context(model, dataset, 0, 0)
    if as_of is None:
        as_of_ns = default_as_of(model, dataset)
        if as_of_ns is None:
            if not probe.has_times:
                raise SlaUsageError("the data holds no timestamps; give an as-of time")
            as_of_ns = probe.data_hi
    else:
        as_of_ns = to_ns(as_of)
    lo = probe.data_lo if probe.has_times else as_of_ns
    if since is not None:
        lo = to_ns(since, "since")
    elif probe.has_times:
        _warn_if_far_before_the_rest(dataset, lo)
    known = _as_known_at(model, dataset, as_of_ns, probe.data_hi if probe.has_times else 0)
    same = known is dataset  # nothing hidden: the probe's extremes hold
    through = as_of_ns if placed_at(model, dataset, as_of_ns) else as_of_ns - 1
    return Known(known, as_of_ns, lo, through, probe._extremes if same else ...)


def placing_columns(model: ir.Model) -> list[tuple[str, str]]:
    """(table, time column) that place the records of every metric the model reads: the
    earlier time of a duration, else the stream's first time column; an outage's `start`;
    for a clock, its stream's `by` column (each status change is an event of the data)."""
    found: dict[tuple[str, str], None] = {}
    for agreement in ir.all_terms(model.agreements.values()):
        for objective in agreement.objectives:
            metric = objective.metric
            if isinstance(metric, ir.MetOf):
                continue
            selects = getattr(metric, "selects", None) or (metric.select,)  # type: ignore[union-attr]
            value = getattr(metric, "elapsed", None) or getattr(metric, "value", None)
            for select in selects:
                clock = model.clocks.get(select.stream)
                if clock is not None:
                    found[(clock.stream, clock.by)] = None
                elif isinstance(metric, ir.Uptime):
                    found[(select.stream, "start")] = None
                else:
                    column = placing_column(model.streams[select.stream], value)
                    if column is not None:
                        found[(select.stream, column)] = None
    return list(found)


def _placing_values(model: ir.Model, dataset: Dataset) -> Iterator[Column]:
    for table, column in placing_columns(model):
        if table in dataset.tables and column in dataset.tables[table].columns:
            yield dataset.tables[table].columns[column]


def default_as_of(model: ir.Model, dataset: Dataset) -> int | None:
    """The latest placing time of any record (None when no record is placed).

    Not the latest timestamp of any column: a resolution, an outage's end or a column of
    planned dates can lie weeks past the last event, and evaluating as of then would run
    the periods (and their empty, breached volume objectives) past the data. Hiding what
    came after the last placed record never turns a verdict wrong: a record whose later
    time is hidden is pending, or failed only if it had already run past its limit."""
    latest = [e[1] for e in map(_column_extremes, _placing_values(model, dataset)) if e]
    return max(latest) if latest else None


def placed_at(model: ir.Model, dataset: Dataset, instant: int) -> bool:
    """Whether any record is placed at exactly `instant` (so its period is not empty)."""
    for column in _placing_values(model, dataset):
        bounds = _column_extremes(column)
        if bounds is None or not bounds[0] <= instant <= bounds[1]:
            continue
        hits = column.values == instant
        if column.valid is not None:
            hits &= column.valid
        if instant in bounds or bool(hits.any()):
            return True
    return False


OUTLIER_GAP_NS = 366 * 86400 * 10**9
"""How far the earliest time may lie before the 1st percentile of its column unwarned."""


def _warn_if_far_before_the_rest(dataset: Dataset, lo: int) -> None:
    """Warn when the evaluated range starts at a time far before almost all the data: one
    1970-01-01 placeholder would otherwise add decades of empty periods, silently."""
    for name, table in dataset.tables.items():
        for column_name, column in table.columns.items():
            if column.type != "time" or len(column) == 0:
                continue
            known = column.values if column.valid is None else column.values[column.valid]
            if len(known) == 0 or int(known.min()) != lo:
                continue
            k = len(known) // 100
            p1 = int(np.partition(known, k)[k])
            if p1 - lo <= OUTLIER_GAP_NS:
                return
            at = np.flatnonzero(column.values == lo)
            at = at[column.is_valid()[at]] if column.valid is not None else at
            row = int(table.rows[at[0]])
            warnings.warn(
                SlaWarning(
                    f"stream '{name}', row {row}, column '{column_name}': the evaluation "
                    f"starts at {_iso(lo)}, {(p1 - lo) // (86400 * 10**9):,} days before "
                    f"99% of that column's times (from {_iso(p1)}), and every period from "
                    "then on is evaluated: is it a placeholder date?"
                ),
                stacklevel=2,
            )
            return


def _iso(ns: int) -> str:
    return str(np.datetime64(ns, "ns").astype("datetime64[s]")) + "Z"


def fees(data: Dataset) -> np.ndarray:
    """Each account's `fee` (NaN where unknown or not declared): money = credit × fee."""
    fee = np.full(len(data.account_names), np.nan)
    if data.accounts is not None and "fee" in data.accounts.columns:
        col = data.accounts.columns["fee"]
        fee = np.where(col.valid if col.valid is not None else True, col.values, np.nan)
    return fee


def _as_known_at(model: ir.Model, data: Dataset, as_of: int, latest: int) -> Dataset:
    """The data as known at as-of: a nullable time after as-of (a reply, a resolution, an
    outage's end that had not happened yet) reads as null, so an evaluation as of a past
    instant never uses what was learnt later."""
    if latest <= as_of:
        return data
    tables = dict(data.tables)
    for name, table in data.tables.items():
        schema = model.streams[name]
        columns = dict(table.columns)
        for spec in schema.columns:
            column = columns.get(spec.name)
            if spec.type != "time" or not spec.nullable or column is None:
                continue
            if column.bounds is not None and column.bounds[1] <= as_of:
                continue  # nothing after as-of (and not converted just to see that)
            future = column.values > as_of
            if future.any():
                valid = column.is_valid() & ~future
                columns[spec.name] = attrs.evolve(column, valid=valid, bounds=None)
        tables[name] = attrs.evolve(table, columns=columns)
    return attrs.evolve(data, tables=tables)


def preorder(plan: ir.Plan) -> list[ir.Instance]:
    by_path = plan.by_path()
    out: list[ir.Instance] = []

    def visit(path: str) -> None:
        out.append(by_path[path])
        for child in by_path[path].children:
            visit(child)

    for root in plan.roots:
        visit(root)
    return out


def _rows(
    model: ir.Model, ctx: Context, data: Dataset, start: str | None, end: str | None
) -> Result:
    walk = Walk(model, ctx)
    with workers(sum(len(t) for t in data.tables.values())) as pool:
        walk.prefetch(pool)
        return _walk_rows(model, ctx, data, walk, start, end, pool)


def _walk_rows(
    model: ir.Model,
    ctx: Context,
    data: Dataset,
    walk: Walk,
    start: str | None,
    end: str | None,
    pool: Executor,
) -> Result:
    """The rows of every instance in pre-order: the accounts its coverage keeps × the
    periods `start`/`end` keep, cut from the verdicts the walk computes."""
    accounts = accounts_table(data)
    names = np.asarray(data.account_names, dtype=object)
    fee = fees(data)
    lo_date = label_dates(start)[0] if start else None
    hi_date = label_dates(end)[1] if end else None
    blocks: list[dict[str, Any]] = []
    terminations: list[dict[str, Any]] = []
    for inst in preorder(model.plan):
        agreement = model.agreements[inst.agreement]
        av = walk.agreement(inst.agreement, inst.period, inst.timezone)
        grid = av.verdict.grid
        keep_acc = np.flatnonzero(coverage_mask(inst, accounts, ctx))
        keep_per = periods_in(grid, lo_date, hi_date)

        final = ~in_progress(grid, ctx.as_of)
        for judge, own in av.judged or ((None, av),):
            periods = keep_per if judge is None else keep_per[judge.periods[keep_per]]
            terms = agreement if judge is None else judge.terms
            cells = _Cells(keep_acc, periods, grid, fee[keep_acc], final[periods], names)
            version = None if judge is None else judge.effective.isoformat()  # type: ignore[union-attr]
            blocks.append(
                cells.block(inst.path, agreement.kind, av.verdict, np.nan, version=version)
            )
            for objective in terms.objectives:
                blocks.append(
                    cells.block(
                        f"{inst.path}.{objective.name}",
                        "objective",
                        own.objectives[objective.name],
                        objective.target,
                        objective.unit,
                        version=version,
                    )
                )
        reported = np.zeros(len(grid.labels) + 1, bool)  # [-1]: none
        reported[keep_per] = True
        dated = [str(j.effective) for j, _ in av.judged for _ in j.terms.terminations]
        for i, (rule, first) in enumerate(av.terminations):  # from the periods reported
            extra = {"version": dated[i]} if dated else {}
            for a in keep_acc[reported[first[keep_acc]] & (first[keep_acc] >= 0)]:
                terminations.append(
                    {
                        "kind": "termination",
                        "node": inst.path,
                        "account": str(names[a]),
                        "period": grid.labels[first[a]],
                        "target": rule.target,
                        "rule": f"{rule.count} consecutive periods"
                        if rule.of_n is None
                        else f"{rule.count} of {rule.of_n} periods",
                        **extra,
                    }
                )
    if (start or end) and not any(len(b["_period"]) for b in blocks):
        require_periods(model, ctx, start, end)
    explainer = Explainer(model, ctx, walk, names)
    table = build_table(blocks, names, pool)
    recorder = Recorder(model, ctx, names)
    return Result(table, terminations, dict(data.bad_rows), ctx.as_of, explainer, recorder)


def require_periods(model: ir.Model, ctx: Context, start: str | None, end: str | None) -> None:
    """`--from/--to` must keep a period of some node: else a usage error naming the
    evaluated range (every command that takes them)."""
    if not (start or end):
        return
    lo = label_dates(start)[0] if start else None
    hi = label_dates(end)[1] if end else None
    labels: list[str] = []
    for inst in model.plan.instances:
        grid = ctx.grid(inst.period, inst.timezone)
        if len(periods_in(grid, lo, hi)):
            return
        if ir.window_seconds(inst.period) is None:
            labels += grid.labels
    asked = " ".join(part for part in (start and f"from {start}", end and f"to {end}") if part)
    where = f"{min(labels)} … {max(labels)}" if labels else "none"
    raise SlaUsageError(f"no evaluated period lies {asked}; the periods evaluated are {where}")


@attrs.frozen(eq=False)
class _Cells:
    """The (account, period) cells one path reports: its covered accounts × periods."""

    accounts: np.ndarray
    periods: np.ndarray
    grid: Any
    fee: np.ndarray
    final: np.ndarray  # (kept periods,) ended by as-of
    names: np.ndarray  # every account's name, by index

    def block(
        self,
        path: str,
        kind: str,
        v: Any,
        target: float,
        unit: str = "",
        version: str | None = None,
    ) -> dict[str, Any]:
        """The rows of one node as arrays; text as codes (see `result.build_table`);
        `version`: the effective date of the version judging them (SPEC §6.6)."""
        rows, cols = len(self.accounts), len(self.periods)
        n = rows * cols

        def pick(a: np.ndarray | None, fill: Any = np.nan) -> np.ndarray:
            if a is None:
                return np.full(n, fill)
            if a.shape == (rows, cols):  # sorted subsets as long as the whole: all cells
                return a.reshape(n)
            return a[np.ix_(self.accounts, self.periods)].ravel()

        credit_pct = pick(v.credit)
        value = pick(v.value)
        with np.errstate(over="ignore"):  # an overflow is reported by _check_finite
            credit = credit_pct * np.repeat(self.fee, cols)
        for name, column in (("value", value), ("credit", credit)):
            _check_finite(path, name, column, self)
        return {
            "node": path,
            "kind": kind,
            "unit": unit,
            "labels": self.grid.labels,
            "_account": np.repeat(self.accounts, cols),
            "_period": np.tile(self.periods, rows),
            "status": pick(v.status, 0).astype(np.int64),
            "met": pick(v.met, True).astype(bool),
            "value": value,
            "target": np.full(n, target),
            "score": pick(v.score),
            "budget_used": pick(v.budget_used),
            "credit_pct": credit_pct,
            "credit": credit,
            "earned_back": pick(v.earned_back, False).astype(bool),
            "final": np.tile(self.final, rows),
            "version": version,
        }


def _check_finite(path: str, name: str, column: np.ndarray, cells: _Cells) -> None:
    """A value or credit is never infinite but by float64 overflow (numbers near 1.8e308
    in the data, summed, or a fee that large): a data error, never a silent null in the
    output (docs/data.md, Types)."""
    bad = np.flatnonzero(np.isinf(column))
    if not len(bad):
        return
    at = int(bad[0])
    account = cells.names[cells.accounts[at // len(cells.periods)]]
    period = cells.grid.labels[int(cells.periods[at % len(cells.periods)])]
    if name == "value":
        what, fix = "its value", "numbers this large in the data cannot be added up"
    else:
        what, fix = "its credit (credit_pct × fee)", "a fee this large cannot be credited"
    raise SlaDataError(
        f"node '{path}', account '{account}', period {period}: {what} overflows a "
        f"64-bit float (beyond ±1.8e308); {fix}: give the column in a larger unit "
        "(e.g. thousands)"
    )


def periods_in(grid: Any, lo: dt.date | None, hi: dt.date | None) -> np.ndarray:
    if isinstance(grid, RollingGrid):
        return grid.between(lo, hi)
    idx = np.arange(len(grid.labels))
    if lo is None and hi is None:
        return idx
    keep = np.ones(len(idx), bool)
    for i, label in enumerate(grid.labels):
        first, last = label_dates(label)
        if lo is not None and last <= lo:
            keep[i] = False
        if hi is not None and first >= hi:
            keep[i] = False
    return idx[keep]
