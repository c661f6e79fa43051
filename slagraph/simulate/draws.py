"""The random part of a simulation: which days a bootstrap run draws, which records a
Poisson run repeats. Every run has its own generator, seeded by (seed, run), so a run's
draws do not depend on how the runs are chunked or on the other runs.
"""

from __future__ import annotations

import zlib

import numpy as np

BLOCK_KINDS = ("daily", "weekly", "monthly", "quarterly", "yearly")


def generator(seed: int, run: int, purpose: str = "") -> np.random.Generator:
    """The generator of one run for one purpose (a stream's name, or '' for the days)."""
    return np.random.default_rng([seed, run, zlib.crc32(purpose.encode())])


def block_ids(dates: np.ndarray, kind: str) -> np.ndarray:
    """The resampling block of each date (`datetime64[D]`): its day, ISO week, month,
    quarter or year, as an integer that is equal exactly within a block."""
    if kind == "daily":
        return dates.astype(np.int64)
    if kind == "weekly":  # 1970-01-05 was a Monday: ISO weeks start on Mondays
        return (dates.astype(np.int64) - 4) // 7
    months = dates.astype("datetime64[M]").astype(np.int64)
    if kind == "monthly":
        return months
    if kind == "quarterly":
        return months // 3
    if kind == "yearly":
        return dates.astype("datetime64[Y]").astype(np.int64)
    raise ValueError(f"unknown block period {kind!r}")


class DayDraws:
    """Bootstrap by day blocks over one list of local dates.

    Each slot (a date) of each account and run receives a source date drawn uniformly,
    with replacement, from the dates of the same block (e.g. the same month) that every
    time zone of the model has; a date missing from some zone keeps itself. The slot then
    reads everything the source date measured: its records, its downtime, its length.
    """

    def __init__(self, dates: np.ndarray, common: np.ndarray, kind: str) -> None:
        self.dates = dates  # sorted datetime64[D], contiguous
        self.slots = np.flatnonzero(common).astype(
            np.int32
        )  # the dates that may be drawn and replaced
        blocks = block_ids(dates[self.slots], kind)
        _, first, size = np.unique(blocks, return_index=True, return_counts=True)
        which = np.searchsorted(first, np.arange(len(self.slots)), side="right") - 1
        self.first = first[which].astype(np.int32)  # position (in `slots`) of its block
        self.size = size[which].astype(np.float32)  # ≤ 366 dates: see test_draws_stay_in_block

    def sources(self, seed: int, run: int, accounts: int) -> np.ndarray:
        """(accounts, dates) int32: the index of each slot's source date in one run."""
        u = generator(seed, run).random((accounts, len(self.slots)), np.float32)
        offset = (u * self.size).astype(np.int32)  # uniform in [0, size)
        if len(self.slots) == len(self.dates):  # every date may be drawn: slots are dates
            return offset + self.first
        drawn = self.slots[self.first + offset]
        out = np.empty((accounts, len(self.dates)), np.int32)
        out[:] = np.arange(len(self.dates), dtype=np.int32)
        out[:, self.slots] = drawn
        return out


def poisson_weights(seed: int, runs: np.ndarray, purpose: str, n: int) -> np.ndarray:
    """(runs, n) int32: how many times each of n records occurs in each run, Poisson(1)."""
    out = np.empty((len(runs), n), np.int32)
    for i, run in enumerate(runs):
        out[i] = generator(seed, int(run), purpose).poisson(1.0, n)
    return out
