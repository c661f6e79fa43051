"""`records`: every record behind an objective with its verdict (SPEC §6.3).

The table a desk works from. It is built the way the metric is measured, over the whole
grid at once: the stream's records placed in the node's periods (the metric's own
placing), the selection and the metric's test as masks, verdicts as codes into a small
dictionary. So its verdicts re-aggregate exactly to the objective's rows: per account and
period, `ok` + `failed` are the decided records and `failed` the failed ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slagraph.calendars import PeriodGrid
from slagraph.compiler import ir
from slagraph.data import Column, EventTable
from slagraph.engine import metrics, versions
from slagraph.engine.context import Context, Placed
from slagraph.engine.evaluate import accounts_table, coverage_mask
from slagraph.engine.kernels import NS
from slagraph.engine.predicates import elapsed_ns, evaluate_predicate
from slagraph.errors import SlaUsageError, did_you_mean

VERDICTS = ("ok", "failed", "pending", "counted", "not counted", "down")
OK, FAILED, PENDING, COUNTED, NOT_COUNTED, DOWN = range(len(VERDICTS))
FIXED = ("account", "period", "node", "row", "verdict", "value", "limit")


def arrow_column(column: Column, rows: np.ndarray, timezone: str, coded: bool = False) -> pa.Array:
    """A stream column's values at `rows` for output: text decoded (or, `coded`, an Arrow
    dictionary array over the stream's own dictionary: no string gathered per row, and
    writers encode each distinct value once), times in `timezone`, durations in seconds,
    nulls as nulls."""
    values = column.values[rows]
    null = None if column.valid is None else ~column.valid[rows]
    if column.type == "text":
        assert column.dictionary is not None
        strings = pa.array([str(x) for x in column.dictionary], pa.string())
        codes = values.astype(np.int32, copy=False)
        indices = pa.array(codes, mask=null if null is not None else codes < 0)
        if coded:
            return pa.DictionaryArray.from_arrays(indices, strings)
        return strings.take(indices)
    if column.type == "time":
        utc = pa.array(values, pa.timestamp("ns", tz="UTC"), mask=null)
        return utc.cast(pa.timestamp("ns", tz=timezone))
    if column.type == "duration":
        return pa.array(values / NS, pa.float64(), mask=null)
    if column.type == "bool":
        return pa.array(values, pa.bool_(), mask=null)
    return pa.array(values.astype(np.float64, copy=False), pa.float64(), mask=null)


def measured_ns(ctx: Context, metric: ir.ShareWithin, placed: Placed) -> np.ndarray:
    """Each placed record's measured time in ns: to its end when known, else so far (to
    as-of), in business time where the metric says `during`."""
    table = ctx.table(metric.select.stream)
    measure = metric.elapsed
    if isinstance(measure, ir.Measured):  # open cycles hold their time so far
        return placed.take(table.columns[measure.column].values)
    clock = ctx.clock if measure.calendar else None
    duration, known = elapsed_ns(measure, table, clock, placed.rows)
    if known.all():
        return duration
    earlier = table.columns[measure.earlier].values[placed.rows[~known]]
    as_of = np.full(len(earlier), ctx.as_of, np.int64)
    so_far = as_of - earlier
    if measure.calendar:
        so_far = ctx.clock(measure.calendar).duration(earlier, as_of)
    duration = duration.copy()
    duration[~known] = so_far
    return duration


def limits_ns(ctx: Context, metric: ir.ShareWithin, placed: Placed) -> np.ndarray:
    """Each placed record's limit in ns (its own with business days)."""
    if not metric.business_days:
        return np.full(len(placed.rows), metric.limit * NS, np.int64)
    table = ctx.table(metric.select.stream)
    measure = metric.elapsed
    start = "started" if isinstance(measure, ir.Measured) else measure.earlier
    assert measure.calendar is not None
    earlier = table.columns[start].values[placed.rows]
    return ctx.business_day_limits(measure.calendar, earlier, metric.business_days)


def resolve_node(model: ir.Model, node: str) -> tuple[ir.Instance, str | None]:
    """A dotted path: an agreement instance, or one of its objectives (then its name)."""
    by_path = model.plan.by_path()
    if node in by_path:
        return by_path[node], None
    head, _, tail = node.rpartition(".")
    if head in by_path and any(
        o.name == tail for o in model.agreements[by_path[head].agreement].objectives
    ):
        return by_path[head], tail
    known = [
        *by_path,
        *(
            f"{p}.{o.name}"
            for p, i in by_path.items()
            for o in model.agreements[i.agreement].objectives
        ),
    ]
    raise SlaUsageError(f"unknown node '{node}'{did_you_mean(node, known)}")


class Recorder:
    """Answers `Result.records(node, account=…, period=…)` from one evaluation."""

    def __init__(self, model: ir.Model, ctx: Context, names: np.ndarray) -> None:
        self.model = model
        self.ctx = ctx
        self.names = [str(n) for n in names]

    def __call__(
        self,
        node: str,
        account: str | None = None,
        period: str | None = None,
        limit: int | None = None,
        start: str | None = None,
        end: str | None = None,
        verdicts: Any = None,
    ) -> pa.Table:
        inst, objective = resolve_node(self.model, node)
        wanted = (
            None
            if verdicts is None
            else [verdicts]
            if isinstance(verdicts, str)
            else list(verdicts)
        )
        for v in wanted or ():
            if v not in VERDICTS:
                raise SlaUsageError(
                    f"unknown verdict '{v}'{did_you_mean(v, VERDICTS)}; verdicts are "
                    + ", ".join(VERDICTS)
                )
        agreement = self.model.agreements[inst.agreement]
        if agreement.kind != "sla":
            slas = ", ".join(inst.children) or "none"
            raise SlaUsageError(
                f"'{inst.path}' is a master; records are those of an sla's objectives: "
                f"ask for one of {slas}"
            )
        if ir.window_seconds(inst.period) is not None:
            raise SlaUsageError(
                f"'{inst.path}' is judged over a rolling window; records are listed for "
                "calendar periods (evaluate an sla that extends it with a 'period')"
            )
        grid = self.ctx.grid(inst.period, inst.timezone)
        accounts = coverage_mask(inst, accounts_table(self.ctx.data), self.ctx)
        if account is not None:
            if account not in self.names:
                raise SlaUsageError(
                    f"unknown account '{account}'{did_you_mean(account, self.names)}"
                )
            only = np.zeros_like(accounts)
            only[self.names.index(account)] = True
            accounts &= only
        periods = np.ones(len(grid.labels), bool)
        if period is not None:
            if period not in grid.labels:
                shown = f"{grid.labels[0]} … {grid.labels[-1]}" if grid.labels else "none"
                raise SlaUsageError(
                    f"period '{period}' is not evaluated for '{inst.path}'; its periods are {shown}"
                )
            periods[:] = False
            periods[grid.labels.index(period)] = True
        if start or end:  # `--from/--to`, as eval reads them
            from slagraph.engine import periods_in, require_periods

            require_periods(self.model, self.ctx, start, end)
            from slagraph.engine.rollup import label_dates

            lo = label_dates(start)[0] if start else None
            hi = label_dates(end)[1] if end else None
            between = np.zeros_like(periods)
            between[periods_in(grid, lo, hi)] = True
            periods &= between
        parts = [  # each version's objectives over the periods it judges (SPEC §6.6)
            self._objective(
                inst, o, grid, accounts, periods & judge.periods, asked=objective is not None
            )
            for judge in versions.judged(agreement, grid)
            for o in judge.terms.objectives
            if objective in (None, o.name)
        ]
        tables = [p for p in parts if p is not None]
        if not tables:
            return _empty()
        table = pa.concat_tables(tables, promote_options="permissive")
        if wanted is not None:
            table = table.filter(pc.is_in(table.column("verdict"), pa.array(wanted)))
        return table if limit is None else table.slice(0, limit)

    def _objective(
        self,
        inst: ir.Instance,
        objective: ir.Objective,
        grid: PeriodGrid,
        accounts: np.ndarray,
        periods: np.ndarray,
        asked: bool,
    ) -> pa.Table | None:
        metric = objective.metric
        path = f"{inst.path}.{objective.name}"
        if isinstance(metric, ir.MetOf):  # no records of its own
            if asked:
                raise SlaUsageError(
                    f"'{path}' is met({metric.target}): its records are those of {metric.target}"
                )
            return None
        if isinstance(metric, ir.Uptime):
            return self._outages(path, metric, grid, accounts, periods, inst.timezone)
        return self._selected(path, metric, grid, accounts, periods, inst.timezone)

    def _selected(
        self,
        path: str,
        metric: Any,
        grid: PeriodGrid,
        accounts: np.ndarray,
        periods: np.ndarray,
        timezone: str,
    ) -> pa.Table:
        select: ir.Select = metric.select
        value = getattr(metric, "elapsed", None) or getattr(metric, "value", None)
        everything = metrics.placed_records(self.ctx, ir.Select(select.stream), value, grid)
        table = self.ctx.table(select.stream)
        rows, group = everything.rows, everything.group
        size = len(grid.labels)
        # Only the cells asked for (an account, a period, the covered accounts) are
        # measured: `explain` asks for one cell at a time.
        wanted = (
            periods[group % size]
            if everything.shared
            else (accounts[group // size] & periods[group % size])
        )
        whole = everything.complete  # `rows` is every record's index, in order
        if not wanted.all():
            rows, group, whole = rows[wanted], group[wanted], False
        chosen = self.ctx.mask(select)[rows] if select.where is not None else None
        verdict = np.full(len(rows), NOT_COUNTED, np.int8)
        measured = np.full(len(rows), np.nan)
        limit = np.full(len(rows), np.nan)
        kept = Placed(
            rows if chosen is None else rows[chosen],
            group if chosen is None else group[chosen],
            everything.shared,
        )
        at = slice(None) if chosen is None else chosen
        if isinstance(metric, ir.ShareWithin):
            ok, decided = metrics.share_outcomes(self.ctx, metric, kept)
            verdict[at] = np.where(decided, np.where(ok, OK, FAILED), PENDING)
            measured[at] = measured_ns(self.ctx, metric, kept) / NS
            limit[at] = limits_ns(self.ctx, metric, kept) / NS
        elif isinstance(metric, ir.ShareWhere):
            holds = evaluate_predicate(metric.condition, table, self.ctx.clock)[kept.rows]
            verdict[at] = np.where(holds, OK, FAILED)
        elif isinstance(metric, ir.Count):
            verdict[at] = COUNTED
        else:  # sum/mean/min/max/percentile: the records whose value is known count
            values, known = metrics.known_values(self.ctx, select, metric.value, kept)
            verdict[at] = np.where(known, COUNTED, NOT_COUNTED)
            measured[at] = np.where(known, values, np.nan)
        # Every record here is in a wanted cell already; what is left is to put them in
        # (account, period) order, rows in file order within a cell.
        take: np.ndarray | None = None  # positions into `rows`, in output order
        if everything.shared:  # a single-account stream counts for every covered account
            covered = np.flatnonzero(accounts)
            take = np.tile(np.arange(len(rows)), len(covered))
            key = np.repeat(covered * size, len(rows)) + group[take]
        else:
            key = group
        cells = len(self.names) * size
        order = cell_order(key, cells)
        if order is not None:
            take = order if take is None else take[order]
            # the sorted keys without a gather: each cell's count of them, in order
            key = np.repeat(np.arange(cells), np.bincount(key, minlength=cells))
        acc, per = np.divmod(key, size)
        source = rows if take is None else take if whole else rows[take]

        def out(values: np.ndarray) -> np.ndarray:
            return values if take is None else values[take]

        columns: dict[str, pa.Array] = {
            "account": coded_strings(self.names, acc),
            "period": coded_strings(grid.labels, per),
            "node": coded_strings([path], np.zeros(len(source), np.int32)),
            "row": pa.array(table.rows[source], pa.int64()),
            "verdict": coded_strings(VERDICTS, out(verdict)),
            "value": pa.array(out(measured), pa.float64(), from_pandas=True),
            "limit": pa.array(out(limit), pa.float64(), from_pandas=True),
        }
        columns.update(stream_columns(table, source, timezone, coded=True))
        return pa.table(columns)

    def _outages(
        self,
        path: str,
        metric: ir.Uptime,
        grid: PeriodGrid,
        accounts: np.ndarray,
        periods: np.ndarray,
        timezone: str,
    ) -> pa.Table:
        """Each outage record cut at the period bounds: `value` is its down time in the
        period (seconds, before `excluding` windows)."""
        bounds = grid.bounds
        size = len(grid.labels)
        parts = []
        for select in metric.selects:
            table = self.ctx.table(select.stream)
            start = table.columns["start"].values
            end_col = table.columns["end"]
            end = end_col.values
            if end_col.valid is not None:  # still down: until as-of
                end = np.where(end_col.valid, end, self.ctx.as_of)
            end = np.minimum(end, self.ctx.as_of)
            hi = min(int(bounds[-1]), self.ctx.as_of) if size else 0
            inside = self.ctx.mask(select) & (start < hi) & (end > int(bounds[0])) & (end > start)
            code = table.columns.get("account")
            if code is not None and code.valid is not None:
                inside &= code.valid
            rows = np.flatnonzero(inside)
            s, e = start[rows], end[rows]
            first = np.searchsorted(bounds, np.maximum(s, bounds[0]), side="right") - 1
            last = np.minimum(np.searchsorted(bounds, e - 1, side="right") - 1, size - 1)
            spans = last - first + 1
            take = np.repeat(np.arange(len(rows)), spans)
            step = np.arange(len(take)) - np.repeat(np.cumsum(spans) - spans, spans)
            per = first[take] + step
            down = np.minimum(e[take], bounds[per + 1]) - np.maximum(s[take], bounds[per])
            if code is None:
                covered = np.flatnonzero(accounts)
                acc = np.repeat(covered, len(take))
                take, per, down = (np.tile(x, len(covered)) for x in (take, per, down))
            else:
                acc = code.values[rows[take]].astype(np.int64)
            keep = accounts[acc] & periods[per]
            acc, per, take, down = acc[keep], per[keep], take[keep], down[keep]
            source = rows[take]
            parts.append((acc, per, source, down, select.stream, table))
        tables, keys = [], []
        for acc, per, source, down, stream, table in parts:
            columns = {
                "account": coded_strings(self.names, acc),
                "period": coded_strings(grid.labels, per),
                "node": coded_strings([path], np.zeros(len(source), np.int32)),
                "row": pa.array(table.rows[source], pa.int64()),
                "verdict": coded_strings(VERDICTS, np.full(len(source), DOWN, np.int32)),
                "value": pa.array(down / NS, pa.float64()),
                "limit": pa.nulls(len(source), pa.float64()),
                "stream": coded_strings([stream], np.zeros(len(source), np.int32)),
            }
            columns.update(stream_columns(table, source, timezone, coded=True))
            tables.append(pa.table(columns))
            keys.append(acc * size + per)
        merged = pa.concat_tables(tables, promote_options="permissive")
        order = cell_order(np.concatenate(keys), len(self.names) * size)
        return merged if order is None else merged.take(pa.array(order))


def take_strings(dictionary: Any, codes: np.ndarray) -> pa.Array:
    strings = pa.array([str(x) for x in dictionary], pa.string())
    return strings.take(pa.array(np.asarray(codes, np.int64)))


def coded_strings(dictionary: Any, codes: np.ndarray) -> pa.DictionaryArray:
    """Codes into a small dictionary as an Arrow dictionary array: no string per row."""
    strings = pa.array([str(x) for x in dictionary], pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32, copy=False)), strings)


def cell_order(key: np.ndarray, cells: int) -> np.ndarray | None:
    """The stable order of records by cell (rows stay in file order within a cell), or
    None when they are in that order already. Keys that fit 16 bits sort by radix."""
    if len(key) < 2 or bool((key[1:] >= key[:-1]).all()):
        return None
    dtype = np.uint16 if cells <= 1 << 16 else np.uint32 if cells <= 1 << 32 else np.int64
    return np.argsort(key.astype(dtype, copy=False), kind="stable")


def stream_columns(
    table: EventTable,
    rows: np.ndarray,
    timezone: str,
    taken: Any = FIXED,
    skip: bool = False,
    coded: bool = False,
) -> dict[str, pa.Array]:
    """The stream's own columns (its account is the `account` column already). One whose
    name is `taken` by the fixed columns is prefixed with the stream's name, or left out
    (`skip`) where the caller's column of that name says the same, better. `coded`: text
    as dictionary arrays (`arrow_column`)."""
    out = {}
    for name, column in table.columns.items():
        if name == "account" or (skip and name in taken):
            continue
        key = f"{table.stream}.{name}" if name in taken or name == "stream" else name
        out[key] = arrow_column(column, rows, timezone, coded)
    return out


def _empty() -> pa.Table:
    text = pa.dictionary(pa.int32(), pa.string())
    return pa.table(
        {
            "account": pa.array([], text),
            "period": pa.array([], text),
            "node": pa.array([], text),
            "row": pa.array([], pa.int64()),
            "verdict": pa.array([], text),
            "value": pa.array([], pa.float64()),
            "limit": pa.array([], pa.float64()),
        }
    )
