"""The alerts benchmark's own check at a small size (benchmarks/bench_alerts.py), and the
evenly spaced cumulative counts the alerts rest on against the searching ones."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import bench_alerts
from slagraph.engine.windows import cells_regular, upto


def test_pandas_and_slagraph_give_the_same_intervals() -> None:
    """20,000 requests over 30 days, 100 accounts: both alerts fire, and every interval
    is equal (the check raises SystemExit otherwise)."""
    assert bench_alerts.check(20_000, 100) > 0


@pytest.mark.parametrize("shared", [False, True])
def test_cells_regular_are_upto_on_an_evenly_spaced_grid(shared: bool) -> None:
    """Records exactly on a query (in: t ≤ q), before the first and after the last."""
    rng = np.random.default_rng(4)
    step, q0, n_q, rows = 60, 1_000, 50, 4
    t = q0 + rng.integers(-3, n_q + 3, 500) * step + rng.choice([0, 0, 1, -1, 30], 500)
    codes = None if shared else rng.integers(0, rows, 500)
    failed = rng.random(500) < 0.3
    out_rows = 1 if shared else rows
    q = q0 + np.arange(n_q) * step
    got = cells_regular(codes, t, [failed, None], out_rows, q0, step, n_q)
    for cells, weights in zip(got, [failed, None], strict=True):
        expected = upto(codes, t, weights, out_rows, q)
        assert np.array_equal(np.cumsum(cells[:, :-1], axis=1), expected)
