"""Clocks (SPEC §6.2): a stream of status rows → one record per (item, cycle), vectorised.

The rows known at as-of are sorted once by (key, time), ties in file order. Each row's
conditions are masks; each row then maps the item's state before it (in a cycle or
not) to the state after it:

    not in a cycle:  start or reset → a cycle starts here; else still out
    in a cycle:      reset → this cycle ends and a new one starts here;
                     stop → it ends here; else it goes on (paused while `pause` holds)

As a function of the state before, a row is constant (always in, always out), the
identity, or a flip (start and stop both hold, no reset). So the state after row i is
the value of the last constant row (or of the item's first row, entered from "out")
XOR the parity of the flips since: a running maximum and a cumulative sum, no loop over
rows or items. A row in a cycle opens the interval to the item's next row (or to as-of),
running or paused as `pause` says at that row; intervals are measured in the clock's
calendar (business time) and summed per cycle, whose rows are contiguous in the order.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection

import numpy as np

from slagraph.calendars import BusinessClock
from slagraph.compiler import ir
from slagraph.data import Column, EventTable
from slagraph.data.encoding import encode_text
from slagraph.data.schema import StreamSchema
from slagraph.data.tables import Deferred
from slagraph.engine.clock_order import first_appearance, order, rank_bits, text_key
from slagraph.engine.predicates import evaluate_predicate
from slagraph.errors import SlaWarning
from slagraph.runtime import workers


def _take(column: Column, rows: np.ndarray) -> Column:
    valid = None if column.valid is None else column.valid[rows]
    if column.type == "text" and column.source is not None and not column.source.done:
        # Text not coded yet (a status, a priority): take the strings and leave them to be
        # coded if a filter needs it, instead of coding every row of the stream first.
        return Column(
            "text", None, valid, source=Deferred(column.source.arrow.take(rows), encode_text)
        )
    return Column(column.type, column.values[rows], valid, column.dictionary)


def _mask(
    pred: ir.Predicate | None, table: EventTable, clocks: Callable[[str], BusinessClock]
) -> np.ndarray | None:
    if pred is None:
        return None
    return evaluate_predicate(pred, table, clocks)


def _rows(
    clock: ir.Clock, source: EventTable, t_all: np.ndarray, as_of: int
) -> tuple[np.ndarray, np.ndarray]:
    """The source positions of the rows known at `as_of` in clock order (by key, then
    time, ties in file order), and each one's "first row of its item" flag. A single
    text key not coded yet is read as `clock_order.text_key` integers when it can be,
    instead of coding it (the same order: items by first appearance)."""
    if len(clock.keys) == 1:
        column = source.columns[clock.keys[0]]
        if column.type == "text" and column.source is not None and not column.source.done:
            key = text_key(column.source.arrow, 63 - rank_bits(len(t_all)))
            if key is not None:
                rows, first = first_appearance(key, t_all)
                item = np.cumsum(first, dtype=np.int32 if len(first) < 1 << 31 else np.int64)
                known = t_all[rows] <= as_of
                rows, item = rows[known], item[known]
                first = np.ones(len(rows), bool)
                first[1:] = item[1:] != item[:-1]
                return rows, first
    known = np.flatnonzero(t_all <= as_of)
    keys = [source.columns[k].values[known] for k in clock.keys]
    by_key = order(keys, t_all[known])
    first = np.zeros(len(by_key), bool)  # an item's first row
    first[:1] = True
    for k in keys:
        k = k[by_key]
        first[1:] |= k[1:] != k[:-1]
    return known[by_key], first


STATES = np.array(["running", "paused", "stopped"], object)


def state_key(clock: str, table_columns: Collection[str]) -> str:
    """The name of a clock table's own `state` column: `state`, or `CLOCK.state` when the
    stream has a `state` of its own (ServiceNow's `incident_state` read as `state`), which
    the clock keeps like every other stream column instead of shadowing it."""
    prefixed = f"{clock}.state"
    return prefixed if prefixed in table_columns else "state"


def clock_table(
    clock: ir.Clock,
    schema: StreamSchema,
    source: EventTable,
    as_of: int,
    clocks: Callable[[str], BusinessClock],
) -> EventTable:
    """The clock's cycles as a table with `schema`'s columns, as of `as_of`."""
    t_all = source.columns[clock.by].values
    # The rules' masks on a second thread while the rows are ordered (text keys: a hash
    # or a read of every row's string): the walk's other threads wait for this anyway.
    with workers(len(t_all)) as pool:
        pending = {
            rule: pool.submit(_mask, getattr(clock, rule), source, clocks)
            for rule in ("start", "pause", "stop", "reset")
        }
        rows, first = _rows(clock, source, t_all, as_of)
        masks = {rule: future.result() for rule, future in pending.items()}
    t = t_all[rows]
    n = len(rows)
    false = np.zeros(n, bool)

    def rule(name: str) -> np.ndarray:
        m = masks[name]
        return false if m is None else m[rows]

    start, pause, stop, reset = rule("start"), rule("pause"), rule("stop"), rule("reset")

    # The state after each row (True: in a cycle), from the row functions.
    index = np.int32 if n < 1 << 31 else np.int64  # half the memory traffic of int64
    if_out = start | reset  # the state after the row when out of a cycle before it
    if_in = reset | ~stop  # ... when in a cycle before it
    flip = if_out & ~if_in
    anchor = (if_out == if_in) | first  # the state after it is known without the past
    last_anchor = np.where(anchor, np.arange(n, dtype=index), 0)
    np.maximum.accumulate(last_anchor, out=last_anchor)
    flips = np.cumsum(flip, dtype=np.uint8)  # only its parity counts: wrapping is fine
    parity = flips - flips[last_anchor]
    parity &= 1
    in_after = if_out[last_anchor] ^ parity.view(bool)
    del last_anchor, flips, parity, flip, anchor
    in_before = np.empty(n, bool)
    in_before[:1] = False
    in_before[1:] = in_after[:-1]
    in_before &= ~first

    opens = np.where(in_before, reset, if_out)  # a cycle starts at this row
    ends_here = in_before & stop & ~reset  # the row that stops its cycle (a member)
    member = in_after | ends_here
    cycle_of = np.cumsum(opens, dtype=index)  # global cycle index + 1, on member rows

    # Each member row's interval: to the item's next row, or to as-of; only the rows in
    # a cycle after them count (a stop row's is zero), running or paused.
    m = np.flatnonzero(member)
    following = np.minimum(m + 1, n - 1)
    nxt = t[following]
    nxt[(m + 1 >= n) | first[following]] = as_of
    start_m = t[m]
    if clock.calendar is None:
        length = nxt - start_m
    else:
        length = clocks(clock.calendar).duration(start_m, nxt)
    del nxt, start_m, following
    counted, held_m = in_after[m], pause[m]
    running = np.where(counted & ~held_m, length, 0)
    paused = np.where(counted & held_m, length, 0)

    cyc = cycle_of[m]
    heads = np.flatnonzero(np.append(True, cyc[1:] != cyc[:-1])) if len(m) else m
    tails = np.append(heads[1:] - 1, len(m) - 1) if len(m) else m
    head_rows, tail_rows = m[heads], m[tails]
    elapsed = np.add.reduceat(running, heads) if len(m) else np.empty(0, np.int64)
    held = np.add.reduceat(paused, heads) if len(m) else np.empty(0, np.int64)
    del running, paused, cyc, counted, held_m, length

    after = tail_rows + 1
    by_reset = np.zeros(len(tails), bool)
    inside = after < n
    by_reset[inside] = ~first[after[inside]] & in_before[after[inside]] & reset[after[inside]]
    by_stop = ends_here[tail_rows]
    closed = by_stop | by_reset
    stopped = np.where(by_stop, t[tail_rows], 0)
    stopped[by_reset] = t[after[by_reset]]

    # The cycle number within its item: its global index minus the cycles opened before
    # the item's first row.
    firsts = np.flatnonzero(first)
    item_base: np.ndarray = cycle_of[firsts] - opens[firsts]
    item = np.searchsorted(firsts, head_rows, side="right") - 1
    number: np.ndarray = cycle_of[head_rows] - item_base[item]

    last_source = rows[tail_rows]  # every other column: at the cycle's last event
    own_state = f"{clock.name}.state" if "state" in source.columns else "state"
    columns: dict[str, Column] = {
        "cycle": Column("number", number.astype(np.float64), None),
        "started": Column("time", t[head_rows], None),
        "stopped": Column("time", stopped, None if closed.all() else closed),
        "elapsed": Column("duration", elapsed, None if closed.all() else closed),
        "paused": Column("duration", held, None if closed.all() else closed),
        # where each cycle stands at as-of (`due` lists the running ones)
        own_state: Column(
            "text", np.where(closed, 2, pause[tail_rows]).astype(np.int32), None, STATES
        ),
    }
    others = [spec.name for spec in schema.columns if spec.name not in columns]
    with workers(len(rows)) as pool:
        taken = [pool.submit(_take, source.columns[name], last_source) for name in others]
        columns.update(zip(others, (future.result() for future in taken), strict=True))
    if "account" in source.columns and "account" not in columns:  # `account from group`
        columns["account"] = _take(source.columns["account"], last_source)
    table = EventTable(clock.name, source.origin, columns, source.rows[rows[head_rows]])
    account = source.columns.get("account")
    if account is not None and account.valid is not None:
        table = _assigned(clock, table, account, rows, head_rows, tail_rows)
    return table


def _assigned(
    clock: ir.Clock,
    table: EventTable,
    account: Column,
    rows: np.ndarray,
    head_rows: np.ndarray,
    tail_rows: np.ndarray,
) -> EventTable:
    """Each cycle's account: that of its last event naming one (a ticket belongs to the
    group that held it last, even when its closing update names none). A cycle none of
    whose events names an account counts for no account, and a warning says so."""
    named = account.is_valid()[rows]
    last_named = np.maximum.accumulate(np.where(named, np.arange(len(rows)), -1))
    at = last_named[tail_rows] if len(tail_rows) else tail_rows
    has = at >= head_rows
    columns = dict(table.columns)
    codes = np.where(has, account.values[rows[np.maximum(at, 0)]], -1)
    columns["account"] = Column("text", codes.astype(account.values.dtype), has, account.dictionary)
    if has.all():
        return EventTable(table.stream, table.origin, columns, table.rows)
    missing = np.flatnonzero(~has)
    warnings.warn(
        SlaWarning(
            f"clock '{clock.name}': {len(missing):,} cycle{'s' if len(missing) != 1 else ''} "
            f"of stream '{clock.stream}' name no account at any of their events and count "
            f"for no account (the first starts at row {int(table.rows[missing[0]])})"
        ),
        stacklevel=2,
    )
    keep = np.flatnonzero(has)
    columns = {name: _take(column, keep) for name, column in columns.items()}
    return EventTable(table.stream, table.origin, columns, table.rows[keep])
