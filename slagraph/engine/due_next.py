"""`due`: what breaches next — every open record and running or paused clock cycle that a
`share(…, d <= L)` objective limits, with its time left and breach instant (SPEC §6.3).

The open records are found as the objective finds them (the same selection, placing and
limits, `records.measured_ns`/`limits_ns`); the breach instant is the calendar's inverse
lookup (`BusinessClock.reached`): the limit's remaining business time counted on from
as-of for a running cycle, from the start for an open record. A paused cycle has none.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa

from slagraph.compiler import ir
from slagraph.engine import metrics, versions
from slagraph.engine.clocks import state_key
from slagraph.engine.context import Context, Placed
from slagraph.engine.evaluate import accounts_table, coverage_mask
from slagraph.engine.kernels import NS
from slagraph.engine.records import limits_ns, measured_ns, stream_columns, take_strings

STATES = ("breached", "running", "paused")
BREACHED, RUNNING, PAUSED = range(3)
NEVER = np.iinfo(np.int64).max


def due(model: ir.Model, ctx: Context, within: int | None = None) -> pa.Table:
    """The due table of one evaluation context, soonest breach first; `within` (ns)
    keeps the breached ones and those breaching by as-of + within. The as-of used and
    the bad rows skipped are in the schema's metadata (`as_of`, `bad_rows`)."""
    table = _due(model, ctx, within)
    meta = {"as_of": str(ctx.as_of), "bad_rows": json.dumps(dict(ctx.data.bad_rows))}
    return table.replace_schema_metadata(meta)


def _due(model: ir.Model, ctx: Context, within: int | None) -> pa.Table:
    from slagraph.engine import preorder

    names = [str(n) for n in ctx.data.account_names]
    accounts = accounts_table(ctx.data)
    parts: list[tuple[pa.Table, np.ndarray]] = []
    for inst in preorder(model.plan):
        agreement = model.agreements[inst.agreement]
        if agreement.kind != "sla" or ir.window_seconds(inst.period) is not None:
            continue
        covered = coverage_mask(inst, accounts, ctx)
        for objective in _in_effect_at_as_of(agreement, ctx, inst):
            if isinstance(objective.metric, ir.ShareWithin):
                path = f"{inst.path}.{objective.name}"
                part = _open(ctx, inst, path, objective.metric, covered, names)
                if part is not None:
                    parts.append(part)
    if not parts:
        return _empty()
    table = _concat([t for t, _ in parts])
    key = np.concatenate([k for _, k in parts])
    state = np.concatenate([t.column("state").to_numpy(zero_copy_only=False) for t, _ in parts])
    if within is not None:
        keep = (state != "paused") & (key <= ctx.as_of + within)
        table, key, state = table.filter(pa.array(keep)), key[keep], state[keep]
    paused = state == "paused"
    order = np.lexsort((np.where(paused, table.column("left").to_numpy(), 0), key, paused))
    return table.take(pa.array(order))


def _open(
    ctx: Context,
    inst: ir.Instance,
    path: str,
    metric: ir.ShareWithin,
    covered: np.ndarray,
    names: list[str],
) -> tuple[pa.Table, np.ndarray] | None:
    """The open records of one objective, and each one's sort key (its breach instant;
    for one already breached whose instant is unknown, as-of + time left)."""
    grid = ctx.grid(inst.period, inst.timezone)
    placed = metrics.placed_records(ctx, metric.select, metric.elapsed, grid)
    table = ctx.table(metric.select.stream)
    measure = metric.elapsed
    clocked = isinstance(measure, ir.Measured)
    end = table.columns["stopped" if clocked else measure.later]  # type: ignore[union-attr]
    if end.valid is None:
        return None
    is_open = ~end.valid[placed.rows]
    if not is_open.any():
        return None
    size = len(grid.labels)
    rows, group = placed.rows[is_open], placed.group[is_open]
    kept = Placed(rows, group, placed.shared)
    ok, decided = metrics.share_outcomes(ctx, metric, kept)
    so_far = measured_ns(ctx, metric, kept)
    limit = limits_ns(ctx, metric, kept)
    left = np.where(limit == NEVER, NEVER, limit - so_far)
    state = np.where(decided & ~ok, BREACHED, RUNNING)
    if clocked:
        state[
            (state == RUNNING)
            & (table.columns[state_key(table.stream, table.columns)].values[rows] == 1)
        ] = PAUSED
    calendar = measure.calendar
    clock = ctx.clock(calendar) if calendar else None
    breach = np.full(len(rows), NEVER, np.int64)
    if clocked:  # the time left, counted on from as-of while it runs
        counting = (state == RUNNING) & (left != NEVER)
        start = np.full(int(counting.sum()), ctx.as_of, np.int64)
        extra = left[counting]
    else:  # the whole limit, counted from the record's start
        counting = limit != NEVER
        start = table.columns[measure.earlier].values[rows[counting]]  # type: ignore[union-attr]
        extra = limit[counting]
    if clock is not None:
        breach[counting] = clock.reached(start, np.maximum(extra, 0))
    else:
        breach[counting] = start + np.maximum(extra, 0)
    known = breach != NEVER
    key = np.where(known, breach, np.where(left == NEVER, NEVER, ctx.as_of + np.minimum(left, 0)))
    if placed.shared:
        accs = np.flatnonzero(covered)
        acc = np.repeat(accs, len(rows))
        take = np.tile(np.arange(len(rows)), len(accs))
    else:
        acc = group // size
        take = np.arange(len(rows))
        keep = covered[acc]
        acc, take = acc[keep], take[keep]
    zone = ctx.model.calendars[calendar].timezone if calendar else inst.timezone
    instants = pa.array(breach[take], pa.timestamp("ns", tz="UTC"), mask=~known[take])
    seconds = {
        name: pa.array(
            np.where(values == NEVER, np.nan, values / NS)[take], pa.float64(), from_pandas=True
        )
        for name, values in (("elapsed", so_far), ("limit", limit), ("left", left))
    }
    columns: dict[str, Any] = {
        "node": take_strings([path], np.zeros(len(take), np.int64)),
        "account": take_strings(names, acc),
        "row": pa.array(table.rows[rows[take]], pa.int64()),
        "state": take_strings(STATES, state[take]),
        **seconds,
        "breaches_at": instants.cast(pa.timestamp("ns", tz=zone)),
    }
    if clocked:  # paused so far (the cycle's own column is null until it stops)
        held = table.columns["paused"].values[rows[take]]
        columns["paused"] = pa.array(held / NS, pa.float64())
    columns.update(stream_columns(table, rows[take], zone, columns, skip=True))
    return pa.table(columns), key[take]


def _concat(tables: list[pa.Table]) -> pa.Table:
    """Parts in different zones (calendars of different countries) meet in UTC."""
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        utc = []
        for t in tables:
            for i, field in enumerate(t.schema):
                if pa.types.is_timestamp(field.type):
                    t = t.set_column(i, field.name, t.column(i).cast(pa.timestamp("ns", tz="UTC")))
            utc.append(t)
        return pa.concat_tables(utc, promote_options="permissive")


def _empty() -> pa.Table:
    return pa.table(
        {
            "node": pa.array([], pa.string()),
            "account": pa.array([], pa.string()),
            "row": pa.array([], pa.int64()),
            "state": pa.array([], pa.string()),
            "elapsed": pa.array([], pa.float64()),
            "limit": pa.array([], pa.float64()),
            "left": pa.array([], pa.float64()),
            "breaches_at": pa.array([], pa.timestamp("ns", tz="UTC")),
        }
    )


def _in_effect_at_as_of(
    agreement: ir.Agreement, ctx: Context, inst: ir.Instance
) -> tuple[ir.Objective, ...]:
    """The objectives of the version judging the period that holds as-of (SPEC §6.6):
    what is due is due under the terms in force now."""
    if not agreement.versions:
        return agreement.objectives
    grid = ctx.grid(inst.period, inst.timezone)
    if not len(grid.labels):
        return ()
    holding = np.searchsorted(grid.bounds, ctx.as_of, side="right") - 1
    p = int(np.clip(holding, 0, len(grid.labels) - 1))
    for judge in versions.judged(agreement, grid):
        if judge.periods[p]:
            return judge.terms.objectives
    return ()
