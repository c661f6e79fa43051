"""From the verdicts of many runs to what a simulation reports: P(breach) with a 95%
interval, expected credit, credit exposure quantiles per account and in total, and the
drivers (how often a member's breach coincides with its parent's).

Counts are accumulated chunk by chunk; only the credits of slas and masters are kept per
run (runs × accounts × periods floats), since their quantiles need every run.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

Z95 = 1.959963984540054


def wilson(breaches: np.ndarray, runs: int) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval at 95% for a proportion (exact 0 and 1 stay in range)."""
    p = breaches / runs
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * runs)) / (1 + z2 / runs)
    half = Z95 * np.sqrt(p * (1 - p) / runs + z2 / (4 * runs * runs)) / (1 + z2 / runs)
    low = np.where(breaches == 0, 0.0, np.maximum(centre - half, 0.0))
    high = np.where(breaches == runs, 1.0, np.minimum(centre + half, 1.0))
    return low, high


class NodeTally:
    """One node's counts over runs, on its covered accounts × reported periods."""

    def __init__(self, path: str, kind: str, accounts: np.ndarray, periods: np.ndarray) -> None:
        self.path, self.kind = path, kind
        self.accounts, self.periods = accounts, periods
        shape = (len(accounts), len(periods))
        self.breaches = np.zeros(shape, np.int64)
        self.credit = np.zeros(shape)
        self.any_breach = np.zeros(len(periods), np.int64)
        self.per_run: list[np.ndarray] = []  # credit fraction per run, slas and masters
        # member path → [both breached, member breached, member's cells, node breached
        # in the member's cells]: a child counts only on the accounts it covers
        self.members: dict[str, list[int]] = {}
        self.cells_breached = 0
        # on Dask: (chunk index, whole, credit) per chunk of runs: the chunk's credit sum
        # when the task ran all of it, else its (runs, A', P') credits (see `merged`)
        self.pieces: list[tuple[int, bool, np.ndarray]] = []

    def cells(self, a: np.ndarray, runs: int, accounts: int) -> np.ndarray:
        """(runs, covered accounts, reported periods) out of a stacked (runs·A, P) array."""
        return a.reshape(runs, accounts, a.shape[-1])[:, self.accounts][:, :, self.periods]

    def add(
        self,
        met: np.ndarray,
        credit: np.ndarray,
        runs: int,
        accounts: int,
        keep: tuple[int, bool] | None = None,
    ) -> np.ndarray:
        """`keep` (on Dask): (chunk index, whole): keep this chunk's credits in `pieces`."""
        breached = ~self.cells(met, runs, accounts)
        self.breaches += breached.sum(axis=0)
        self.any_breach += breached.any(axis=1).sum(axis=0)
        c = self.cells(credit, runs, accounts)
        total = c.sum(axis=0)
        self.credit += total
        if self.kind in ("sla", "master"):
            self.per_run.append(c.copy())
        if keep is not None:
            # a part keeps its layout (fancy indexing may give Fortran order), whose
            # sum along runs its concatenation must repeat (pairwise, not in a row)
            self.pieces.append((keep[0], keep[1], total if keep[1] else c.copy(order="K")))
        self.cells_breached += int(breached.sum())
        return breached

    def add_member(
        self, path: str, breached: np.ndarray, member: np.ndarray, within: np.ndarray | None = None
    ) -> None:
        """`within`: which of this node's accounts the member covers (None: all)."""
        if within is not None and not within.all():
            breached, member = breached[:, within], member[:, within]
        both, alone, cells, node = self.members.setdefault(path, [0, 0, 0, 0])
        self.members[path] = [
            both + int((breached & member).sum()),
            alone + int(member.sum()),
            cells + member.size,
            node + int(breached.sum()),
        ]


def merged(parts: list[NodeTally]) -> NodeTally:
    """One node's tally of all runs out of those of contiguous ranges of runs (in run
    order), the same to the bit as one process's: counts are summed, per-run credits
    concatenated, and the credit sums added chunk by chunk as one process adds them
    (a chunk cut between two tasks is put together again and summed here)."""
    first = parts[0]
    out = NodeTally(first.path, first.kind, first.accounts, first.periods)
    for part in parts:
        out.breaches += part.breaches
        out.any_breach += part.any_breach
        out.cells_breached += part.cells_breached
        out.per_run += part.per_run
        for path, counts in part.members.items():
            have = out.members.setdefault(path, [0, 0, 0, 0])
            out.members[path] = [a + b for a, b in zip(have, counts, strict=True)]
    pieces = [p for part in parts for p in part.pieces]
    i = 0
    while i < len(pieces):
        index, whole, credit = pieces[i]
        if whole:
            out.credit += credit
            i += 1
            continue
        cut = []
        while i < len(pieces) and pieces[i][0] == index:
            cut.append(pieces[i][2])
            i += 1
        shape = (sum(len(c) for c in cut), *cut[0].shape[1:])
        whole_chunk = np.empty_like(cut[0], shape=shape)  # order "K": the parts' layout
        np.concatenate(cut, out=whole_chunk)
        out.credit += whole_chunk.sum(axis=0)
    return out


def _money(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def node_rows(
    tally: NodeTally,
    runs: int,
    names: np.ndarray,
    periods: tuple[tuple[str, ...], np.ndarray],
    fee: np.ndarray,
    observed: np.ndarray,
) -> list[dict[str, Any]]:
    """One row per (covered account, reported period), then one total row per period.
    `periods`: the grid's labels and which periods have ended (`final`); in a period in
    progress, P(breach) and the credits are those that would apply if it ended at as-of."""
    labels, final = periods
    lo, hi = wilson(tally.breaches, runs)
    fees = fee[tally.accounts][:, None]
    expected_pct = tally.credit / runs
    quantiles = None
    if tally.per_run:
        stacked = np.concatenate(tally.per_run)  # (runs, A', P')
        tally.per_run = []
        totals = (stacked * np.nan_to_num(fees)[None]).sum(axis=1)  # (runs, P')
        quantiles = np.quantile(
            stacked, [0.5, 0.95, 0.99], axis=0, method="inverted_cdf", overwrite_input=True
        )
        del stacked
        total_q = np.quantile(totals, [0.5, 0.95, 0.99], axis=0, method="inverted_cdf")
    rows = []
    for i, a in enumerate(tally.accounts):
        for j, p in enumerate(tally.periods):
            row = {
                "kind": tally.kind,
                "account": str(names[a]),
                "period": labels[p],
                "node": tally.path,
                "observed": str(observed[a, p]),
                "final": bool(final[p]),
                "runs": runs,
                "p_breach": float(tally.breaches[i, j] / runs),
                "p_breach_low": float(lo[i, j]),
                "p_breach_high": float(hi[i, j]),
                "expected_credit_pct": float(expected_pct[i, j]),
                "expected_credit": _money(expected_pct[i, j] * fees[i, 0]),
            }
            for q, name in enumerate(("credit_p50", "credit_p95", "credit_p99")):
                row[name] = None if quantiles is None else _money(quantiles[q, i, j] * fees[i, 0])
            rows.append(row)
    if quantiles is not None:
        any_lo, any_hi = wilson(tally.any_breach, runs)
        known_fees = not np.isnan(fees).all()
        for j, p in enumerate(tally.periods):
            expected = float((expected_pct[:, j] * np.nan_to_num(fees[:, 0])).sum())
            row = {
                "kind": "total",
                "account": "*",
                "period": labels[p],
                "node": tally.path,
                "observed": None,
                "final": bool(final[p]),
                "runs": runs,
                "p_breach": float(tally.any_breach[j] / runs),
                "p_breach_low": float(any_lo[j]),
                "p_breach_high": float(any_hi[j]),
                "expected_credit_pct": None,
                "expected_credit": expected if known_fees else None,
            }
            for q, name in enumerate(("credit_p50", "credit_p95", "credit_p99")):
                row[name] = float(total_q[q, j]) if known_fees else None
            rows.append(row)
    return rows


def driver_rows(tally: NodeTally, runs: int) -> list[dict[str, Any]]:
    """For each member (child agreement or objective): P(member breached | node breached),
    over the accounts the member covers (a child `for accounts where` leaves some out)."""
    rows = []
    for path, (both, alone, cells, node) in tally.members.items():
        rows.append(
            {
                "kind": "driver",
                "node": tally.path,
                "member": path,
                "p_breach": node / cells if cells else None,
                "p_member_breach": alone / cells if cells else None,
                "coincidence": both / node if node else None,
            }
        )
    return rows
