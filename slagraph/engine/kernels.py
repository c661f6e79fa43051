"""Pure array kernels. Inputs are numpy arrays and group ids, outputs arrays.

No AST, no validation, no Python loop over records: the evaluator validates once and
calls these. Group ids are flat indices (account × period, and later × scenario), so the
same kernel serves every shape. Times are int64 ns.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import numpy as np

NS = 1_000_000_000
_UNITS = (NS, 1_000_000, 1_000)  # whole seconds, milliseconds, microseconds


def group_count(group: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Records (or True weights) per group, as float64."""
    if weights is not None:
        weights = weights.astype(np.float64, copy=False)
    return np.bincount(group, weights=weights, minlength=size).astype(np.float64, copy=False)


def runs(bounds: np.ndarray, t: np.ndarray) -> list[tuple[int, int]] | None:
    """For instants in time order (event logs usually are): the slice of `t` that has
    0, 1, …, len(bounds) of the sorted `bounds` at or before it, found by looking the
    bounds up among the instants. None when the instants are out of order (one pass
    checks)."""
    if len(t) >= 2 and not (t[1:] >= t[:-1]).all():
        return None
    edges = np.searchsorted(t, bounds, side="left").tolist()  # first instant ≥ each bound
    return list(pairwise([0, *edges, len(t)]))


def counts_of_runs(found: list[tuple[int, int]], n: int) -> np.ndarray:
    """`np.searchsorted(bounds, t, side="right")` from the `runs` of n instants in time
    order: run k holds count k, filled in run by run instead of a binary search per
    instant (cheaper: docs/performance.md, "Figures behind the code")."""
    out = np.empty(n, np.intp)
    for count, (lo, hi) in enumerate(found):
        out[lo:hi] = count  # slice fills: unlike `np.repeat`, they let other threads run
    return out


def group_sum(group: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(group, weights=values, minlength=size)


def _sorted_groups(group: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(group, value) pairs in (group, value) order; only the pairs, not the permutation:
    argsort by value, then a stable radix pass by group (`_stable_group_order`). Integer
    values that pack with their group into one key take `_packed` instead (a plain sort,
    much faster); this is the general path, for floats and keys too wide for int64."""
    order = np.argsort(values)  # equal values may come in any order: they are equal
    order = order[_stable_group_order(group[order])]
    return group[order], values[order]


def _stable_group_order(group: np.ndarray) -> np.ndarray:
    """A stable argsort of non-negative group ids, as LSD radix passes of 16 bits (numpy
    sorts 16-bit integers stably by radix, in linear time)."""
    g = group.astype(np.int64, copy=False)
    order = np.argsort((g & 0xFFFF).astype(np.uint16), kind="stable")
    shift = 16
    top = int(g.max()) if len(g) else 0
    while top >> shift:
        digit = ((g[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
    return order


def _packed(group: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, int, int, int] | None:
    """(key, span, unit, low): integer values packed with their group into one key,
    group·span + (value − low)/unit, whose sort is the (group, value) order; None when
    the values are not integers or the key would not fit in int64.

    The unit is the coarsest of s, ms, µs, ns dividing every value's distance from the
    smallest (durations of event logs are mostly whole seconds), and the key is int32
    when it fits: a sort of 4-byte keys moves half the memory of 8-byte ones."""
    if values.dtype.kind != "i" or not len(values):
        return None
    low, top = int(values.min()), int(group.max()) + 1
    found = _coarsest_steps(values, low, top, slots=1, units=(*_UNITS, 1))
    if found is None:
        return None
    unit, span, steps = found
    dtype = np.dtype(np.int32 if top * span < 2**31 else np.int64)
    key: np.ndarray = group.astype(dtype)
    np.multiply(key, span, out=key)
    np.add(key, steps.astype(dtype, copy=False), out=key)
    return key, span, unit, low


def _coarsest_steps(
    t: np.ndarray, low: int, top: int, slots: int, units: tuple[int, ...]
) -> tuple[int, int, np.ndarray] | None:
    """(unit, span, steps) for packing integers `t` ≥ `low` with `top` group ids into one
    int64 key group·span + steps·slots + slot, steps = (t − low)/unit: the first of
    `units` (coarsest first) dividing every t − low whose key fits, or None.

    Divisibility is checked as steps·unit == t − low (`_whole`): numpy divides int64 by a
    constant several times faster than it takes remainders, and the steps are needed
    anyway."""
    high = int(t.max())
    if high - low >= 2**63:
        return None  # t − low would wrap around in int64
    offset = t - low
    for unit in units:
        span = ((high - low) // unit + 1) * slots
        if top * span >= 2**63:
            return None  # a finer unit would only widen the span
        if unit == 1:
            return unit, span, offset
        steps = offset // unit
        if _whole(steps, unit, offset):
            return unit, span, steps
    return None


def _whole(steps: np.ndarray, unit: int, offset: np.ndarray, block: int = 1 << 20) -> bool:
    """steps·unit == offset everywhere, a block at a time: no third full-size array, and
    a unit that does not divide stops at the first block that shows it."""
    return all(
        np.array_equal(steps[i : i + block] * unit, offset[i : i + block])
        for i in range(0, len(offset), block)
    )


def _values_at(group: np.ndarray, values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The values found at `positions` of the (group, value) order of the pairs."""
    packed = _packed(group, values)
    if packed is None:
        return _sorted_groups(group, values)[1][positions]
    key, span, unit, low = packed
    key.sort()
    picked = key[positions].astype(np.int64) % span
    return picked * unit + low


def _ranked(
    group: np.ndarray, values: np.ndarray, size: int, rank: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Per group of n values, its rank(n)-th smallest (1-based); NaN where empty. Group
    sizes come from a `bincount` of the unsorted ids, so after the sort only the picked
    positions are decoded, not every pair."""
    out = np.full(size, np.nan)
    if not len(group):
        return out
    counts = np.bincount(group, minlength=size)
    starts = np.cumsum(counts) - counts
    present = np.flatnonzero(counts)
    positions = starts[present] + rank(counts[present]) - 1
    out[present] = _values_at(group, values, positions)
    return out


def group_min(group: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Smallest value per group; NaN where a group is empty."""
    return _ranked(group, values, size, np.ones_like)


def group_max(group: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    return _ranked(group, values, size, lambda n: n)


def group_percentile(group: np.ndarray, values: np.ndarray, size: int, q: float) -> np.ndarray:
    """Nearest rank per group: the ceil(q·n)-th smallest of n values; NaN where empty."""

    def rank(n: np.ndarray) -> np.ndarray:
        # Round before ceil so that 0.95 * 20 = 19.000000000000004 ranks 19, not 20.
        return np.maximum(np.ceil(np.round(q * n, 9)).astype(np.int64), 1)

    return _ranked(group, values, size, rank)


def coverage(
    group: np.ndarray, starts: np.ndarray, ends: np.ndarray, threshold: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where at least `threshold` intervals of a group overlap, as merged intervals.

    A sweep: boundary events sorted by (group, time), a running count, and the segments
    between consecutive events whose count reaches the threshold. threshold=1 is the
    union; threshold=n over n disjoint-per-component sets is the intersection.
    """
    keep = ends > starts
    group, starts, ends = group[keep], starts[keep], ends[keep]
    if not len(group):
        empty = np.empty(0, np.int64)
        return empty, empty, empty
    g = np.concatenate((group, group))
    t = np.concatenate((starts, ends))
    d = np.concatenate((np.ones(len(starts), np.int64), -np.ones(len(ends), np.int64)))
    g, t, d = _sweep_sorted(g, t, d)
    level = np.cumsum(d)  # every group's events net to zero, so the count resets per group
    seg = np.flatnonzero((level[:-1] >= threshold) & (g[1:] == g[:-1]) & (t[1:] > t[:-1]))
    sg, ss, se = g[seg], t[seg], t[seg + 1]
    if not len(sg):
        return sg, ss, se
    # Merge touching segments of the same group into maximal intervals.
    new = np.r_[True, (sg[1:] != sg[:-1]) | (ss[1:] != se[:-1])]
    heads = np.flatnonzero(new)
    tails = np.r_[heads[1:] - 1, len(sg) - 1]
    return sg[heads], ss[heads], se[tails]


def _sweep_sorted(
    g: np.ndarray, t: np.ndarray, d: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boundary events (group, time, +1 start / -1 end) in (group, time) order, ends
    before starts at the same instant.

    When the times are whole numbers of some unit apart (seconds, as event logs mostly
    are) and groups × span in that unit fits in int64, the three are packed into one key,
    group·span + (time − min)/unit·2 + start, and sorted in place: no argsort, no
    gathers (docs/performance.md, "Figures behind the code"). Otherwise `_sweep_order`."""
    low = int(t.min())
    found = _coarsest_steps(t, low, int(g.max()) + 1, slots=2, units=_UNITS)
    if found is not None:
        unit, span, steps = found
        key = g.astype(np.int64) * span
        key += steps * 2
        key += d > 0
        key.sort()
        group, rest = np.divmod(key, span)
        return group, (rest >> 1) * unit + low, np.where(rest & 1, 1, -1).astype(np.int64)
    order = _sweep_order(g, t, d)
    return g[order], t[order], d[order]


def _sweep_order(g: np.ndarray, t: np.ndarray, d: np.ndarray) -> np.ndarray:
    """The order of boundary events by (group, time), ends before starts at the same
    instant: `np.lexsort((d, t, g))`, done as one argsort of time·2 + (start) and a
    stable radix pass by group, which is faster. Events equal in all three are
    interchangeable, so the unstable argsort gives the same sequence."""
    low = int(t.min())
    if (int(t.max()) - low) * 2 + 1 >= 2**63:
        return np.lexsort((d, t, g))
    key = (t - low) * 2 + (d > 0)
    order = np.argsort(key)
    return order[_stable_group_order(g[order])]


def inside(starts: np.ndarray, ends: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Whether each instant lies in one of the sorted, disjoint [start, end) intervals."""
    i = np.searchsorted(starts, t, side="right") - 1
    ok = i >= 0
    result = np.zeros(len(t), bool)
    result[ok] = t[ok] < ends[i[ok]]
    return result


def combine(
    during: list[tuple[np.ndarray, np.ndarray]],
    excluding: list[tuple[np.ndarray, np.ndarray]],
    lo: int,
    hi: int,
) -> tuple[np.ndarray, np.ndarray]:
    """[lo, hi) ∩ every `during` set − every `excluding` set, as sorted disjoint intervals."""
    points = [np.array([lo, hi], np.int64)]
    for s, e in (*during, *excluding):
        points += [s, e]
    cuts = np.unique(np.clip(np.concatenate(points), lo, hi))
    left, right = cuts[:-1], cuts[1:]
    keep = np.ones(len(left), bool)
    for s, e in during:
        keep &= inside(s, e, left)
    for s, e in excluding:
        keep &= ~inside(s, e, left)
    left, right = left[keep], right[keep]
    if not len(left):
        return left, right
    new = np.r_[True, left[1:] != right[:-1]]
    heads = np.flatnonzero(new)
    tails = np.r_[heads[1:] - 1, len(left) - 1]
    return left[heads], right[tails]


def cumulative(starts: np.ndarray, ends: np.ndarray, t: np.ndarray) -> np.ndarray:
    """M(t): total length of the sorted, disjoint intervals that lies before each instant."""
    t = np.asarray(t, dtype=np.int64)
    if not len(starts):
        return np.zeros(t.shape, np.int64)
    lengths = ends - starts
    before = np.concatenate(([0], np.cumsum(lengths)))
    i = np.searchsorted(starts, t, side="right") - 1
    safe = np.maximum(i, 0)
    partial = np.clip(t - starts[safe], 0, lengths[safe])
    return np.where(i >= 0, before[safe] + partial, 0)


def runs_reaching(flags: np.ndarray, length: int) -> np.ndarray:
    """First column where `length` consecutive True end, per row; -1 where never."""
    rows, cols = flags.shape
    if cols == 0:
        return np.full(rows, -1)
    f = flags.astype(np.int64)
    c = np.cumsum(f, axis=1)
    # Run length at each column: cumulative count minus its value at the last False.
    reset = np.where(f == 0, c, 0)
    last_reset = np.maximum.accumulate(reset, axis=1)
    run = c - last_reset
    return _first(run >= length)


def window_reaching(flags: np.ndarray, k: int, n: int) -> np.ndarray:
    """First column where at least k of the last n columns are True, per row; -1 if never."""
    f = flags.astype(np.int64)
    c = np.cumsum(f, axis=1)
    shifted = np.zeros_like(c)
    if f.shape[1] > n:
        shifted[:, n:] = c[:, :-n]
    return _first((c - shifted) >= k)


def _first(hits: np.ndarray) -> np.ndarray:
    if hits.shape[1] == 0:
        return np.full(hits.shape[0], -1)
    any_hit = hits.any(axis=1)
    return np.where(any_hit, hits.argmax(axis=1), -1)


def followed_by(flags: np.ndarray, n: int, complete: np.ndarray) -> np.ndarray:
    """True at column p when columns p+1 … p+n are all True and all `complete`."""
    rows, cols = flags.shape
    ok = (flags & complete[None, :]).astype(np.int64)
    c = np.concatenate((np.zeros((rows, 1), np.int64), np.cumsum(ok, axis=1)), axis=1)
    out = np.zeros((rows, cols), bool)
    if cols > n:
        # columns p+1 .. p+n: c[p+n+1] - c[p+1]
        out[:, : cols - n] = (c[:, n + 1 :] - c[:, 1 : cols - n + 1]) == n
    return out
