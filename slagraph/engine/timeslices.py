"""Uptime budgeted by time slices (OpenSLO's Timeslices method; docs/sre.md).

Each period [P, P′) is cut into slices [P + k·L, P + (k + 1)·L), the last one cut at P′;
a slice's uptime is 1 − down ÷ measured inside it (measured time as for uptime: inside
every `during`, outside every `excluding`, up to as-of), it is good when that meets the
threshold, and the objective's value is good slices ÷ slices with measured time. Budget
amounts are slices: decided = slices with data, failed = bad ones.

No loop over slices or outages: the slices of every period are one sorted array of
boundaries; down intervals are cut at them (`searchsorted`, `repeat`), their measured
lengths summed per (account, slice) (`unique`, `bincount`), and only the slices an outage
touches are judged: a slice without downtime is always good (the threshold is at most
100%, and `> 100%` is a compile error). Slices with data depend on no account. A
rolling window is cut the same way from its own start (`window_amounts`).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np

from slagraph.calendars import PeriodGrid
from slagraph.compiler import ir
from slagraph.engine import kernels
from slagraph.engine.context import Context

LIMIT = 1 << 62  # int64 products below this are exact


def slice_bounds(
    starts: np.ndarray, ends: np.ndarray, length: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lo, hi, period) of every slice of the periods [starts, ends), `length` ns each
    from the period's start, the last one cut at its end; in order."""
    n = np.where(ends > starts, -((starts - ends) // length), 0)
    period = np.repeat(np.arange(len(starts), dtype=np.int64), n)
    offsets = np.cumsum(n) - n
    k = np.arange(len(period), dtype=np.int64) - offsets[period]
    lo = starts[period] + k * length
    return lo, np.minimum(lo + length, ends[period]), period


def good(down: np.ndarray, measured: np.ndarray, slices: ir.Timeslices) -> np.ndarray:
    """Whether 1 − down ÷ measured meets the threshold, in exact arithmetic: down ÷
    measured ≤ (or <) 1 − threshold, the threshold read from the decimal written."""
    slack = Fraction(1 - Decimal(repr(slices.threshold)))
    p, q = slack.numerator, slack.denominator
    top = int(max(down.max(initial=0), measured.max(initial=0)))
    if top * max(p, q) < LIMIT:
        lhs, rhs = down * q, measured * p
    else:  # too long for int64 products: 80-bit floats, 64-bit mantissa (ns of a year fit)
        lhs = down.astype(np.longdouble) * q
        rhs = measured.astype(np.longdouble) * p
    return lhs <= rhs if slices.op == ">=" else lhs < rhs


def amounts(
    ctx: Context,
    slices: ir.Timeslices,
    grid: PeriodGrid,
    measured_set: tuple[np.ndarray, np.ndarray],
    down_intervals: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """(decided, failed) slices per (account, period), (A, P) float, from the uptime's
    measured set and its combined (account, start, end) down intervals."""
    periods = len(grid.labels)
    ms, me = measured_set
    lo, hi, period = slice_bounds(grid.bounds[:-1], grid.bounds[1:], slices.length * kernels.NS)
    measured = kernels.cumulative(ms, me, np.minimum(hi, ctx.as_of)) - kernels.cumulative(
        ms, me, np.minimum(lo, ctx.as_of)
    )
    with_data = np.bincount(period, weights=measured > 0, minlength=periods)
    decided = np.broadcast_to(with_data.astype(np.float64), (ctx.accounts, periods))

    acc, s, e = down_intervals
    bounds = np.append(lo, hi[-1:]) if len(lo) else grid.bounds[:1]
    s, e = np.maximum(s, bounds[0]), np.minimum(e, bounds[-1])
    first = np.searchsorted(bounds, s, side="right") - 1
    last = np.searchsorted(bounds, e, side="left") - 1  # the slice holding e − 1 ns
    n = np.where(e > s, last - first + 1, 0)
    piece = np.repeat(np.arange(len(s), dtype=np.int64), n)
    offsets = np.cumsum(n) - n
    where = first[piece] + (np.arange(len(piece), dtype=np.int64) - offsets[piece])
    ps, pe = np.maximum(s[piece], lo[where]), np.minimum(e[piece], hi[where])
    down_ns = kernels.cumulative(ms, me, pe) - kernels.cumulative(ms, me, ps)
    key = acc[piece].astype(np.int64) * max(len(lo), 1) + where
    cells, inverse = np.unique(key, return_inverse=True)
    down = np.zeros(len(cells), np.int64)
    np.add.at(down, inverse, down_ns)  # int64: exact for any slice length
    cell_slice = cells % max(len(lo), 1)
    bad = (measured[cell_slice] > 0) & ~good(down, measured[cell_slice], slices)
    cell_acc = cells // max(len(lo), 1)
    group = cell_acc[bad] * periods + period[cell_slice[bad]]
    failed = np.bincount(group, minlength=ctx.accounts * periods).astype(np.float64)
    return decided.copy(), failed.reshape(ctx.accounts, periods)


def window_amounts(
    ctx: Context,
    slices: ir.Timeslices,
    starts: np.ndarray,
    ends: np.ndarray,
    measured_set: tuple[np.ndarray, np.ndarray],
    down_intervals: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """`amounts` for rolling windows [starts, ends) (increasing, of one length, so they
    overlap): each window cut into its own slices from its start. Each outage is paired
    with the windows it meets (`searchsorted` on the sorted bounds, `repeat`), then cut
    into the slices of that window it meets, arithmetically (slices are L apart)."""
    length = slices.length * kernels.NS
    windows = len(ends)
    ms, me = measured_set
    lo, hi, window = slice_bounds(starts, ends, length)
    measured = kernels.cumulative(ms, me, np.minimum(hi, ctx.as_of)) - kernels.cumulative(
        ms, me, np.minimum(lo, ctx.as_of)
    )
    with_data = np.bincount(window, weights=measured > 0, minlength=windows)
    decided = np.broadcast_to(with_data.astype(np.float64), (ctx.accounts, windows))
    first_slice = np.searchsorted(window, np.arange(windows))  # each window's slice 0

    acc, s, e = down_intervals
    after = np.searchsorted(ends, s, side="right")  # the first window ending after s
    before = np.searchsorted(starts, e, side="left")  # … and the windows starting before e
    n = np.maximum(before - after, 0)
    outage = np.repeat(np.arange(len(s), dtype=np.int64), n)
    offsets = np.cumsum(n) - n
    w = after[outage] + (np.arange(len(outage), dtype=np.int64) - offsets[outage])
    ps, pe = np.maximum(s[outage], starts[w]), np.minimum(e[outage], ends[w])
    first = (ps - starts[w]) // length
    m = np.where(pe > ps, (pe - 1 - starts[w]) // length - first + 1, 0)
    pair = np.repeat(np.arange(len(w), dtype=np.int64), m)
    offsets = np.cumsum(m) - m
    where = first_slice[w[pair]] + first[pair] + (np.arange(len(pair)) - offsets[pair])
    qs, qe = np.maximum(ps[pair], lo[where]), np.minimum(pe[pair], hi[where])
    down_ns = kernels.cumulative(ms, me, qe) - kernels.cumulative(ms, me, qs)
    total = max(len(lo), 1)
    key = acc[outage[pair]].astype(np.int64) * total + where
    cells, inverse = np.unique(key, return_inverse=True)
    down = np.zeros(len(cells), np.int64)
    np.add.at(down, inverse, down_ns)
    cell_slice = cells % total
    bad = (measured[cell_slice] > 0) & ~good(down, measured[cell_slice], slices)
    group = (cells // total)[bad] * windows + window[cell_slice[bad]]
    failed = np.bincount(group, minlength=ctx.accounts * windows).astype(np.float64)
    return decided.copy(), failed.reshape(ctx.accounts, windows)
