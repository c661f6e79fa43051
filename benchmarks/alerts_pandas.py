"""The SRE burn-rate alerts (SPEC §6.5) as a pandas user would write them by hand.

`alert burn_rates sre` on `share(requests, ok) >= 99.9% min 100` over `window rolling 30d`,
replayed at every minute step t of [first, to): per account, rolling sums of failed and
total requests over (t − W, t] for each window W, burn = (failed ÷ total) ÷ (1 − target),
the four pairs (page: 1h & 5m over 14.4 or 6h & 30m over 6; ticket: 1d & 2h over 3 or 3d &
6h over 1 — the documented factors for 30 days), quiet where the 30-day window holds fewer
than 100 requests, then the runs of consecutive held steps merged into intervals.

The pandas idiom: count requests into one-minute bins closed on the right (`ceil`), so
bin T holds (T − 1m, T], one column per account on a full minute index, then a
time-based `rolling(W).sum()` — exact for windows that are whole minutes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SLACK = 0.001  # 1 − 99.9%
MINIMUM = 100
SLO_WINDOW = "30D"
PAIRS = {  # alert: [(long, short, factor), …]
    "good_page": [("1h", "5min", 14.4), ("6h", "30min", 6.0)],
    "good_ticket": [("1D", "2h", 3.0), ("3D", "6h", 1.0)],
}


def alerts(df: pd.DataFrame, first: pd.Timestamp, to: pd.Timestamp) -> pd.DataFrame:
    """Rows (account, alert, start, end) ordered by alert, account and start; `df` has
    columns account (str), at (UTC datetime64), ok (bool); steps each minute of [first, to)."""
    lo = first - pd.Timedelta(SLO_WINDOW)
    df = df[(df["at"] > lo) & (df["at"] <= to)]
    minute = df["at"].dt.ceil("1min")
    counts = (
        pd.DataFrame({"account": df["account"], "minute": minute, "failed": ~df["ok"]})
        .groupby(["minute", "account"])["failed"]
        .agg(["sum", "size"])
    )
    index = pd.date_range(lo + pd.Timedelta("1min"), to, freq="1min", tz="UTC")
    failed = counts["sum"].unstack("account", fill_value=0).reindex(index, fill_value=0)
    total = counts["size"].unstack("account", fill_value=0).reindex(index, fill_value=0)
    failed, total = failed.astype("float64"), total.astype("float64")
    steps = pd.date_range(first, to, freq="1min", tz="UTC", inclusive="left")

    def rolling(frame: pd.DataFrame, window: str) -> pd.DataFrame:
        return frame.rolling(window).sum().reindex(steps)

    burn: dict[str, pd.DataFrame] = {}
    for window in {w for pairs in PAIRS.values() for p in pairs for w in p[:2]}:
        f, n = rolling(failed, window), rolling(total, window)
        burn[window] = (f / n.where(n > 0)) / SLACK
    quiet = rolling(total, SLO_WINDOW) < MINIMUM

    rows = []
    for name, pairs in PAIRS.items():
        held = np.zeros(quiet.shape, bool)
        for long, short, factor in pairs:
            held |= ((burn[long] > factor) & (burn[short] > factor)).to_numpy()
        held &= ~quiet.to_numpy()
        rows.append(runs(held, quiet.columns, steps, name, to))
    return pd.concat(rows, ignore_index=True)


def runs(
    held: np.ndarray, accounts: pd.Index, steps: pd.DatetimeIndex, name: str, to: pd.Timestamp
) -> pd.DataFrame:
    """Consecutive held steps per account (column) merged into [start, end) intervals."""
    frame = pd.DataFrame(held, index=steps, columns=accounts)
    starts = (frame & ~frame.shift(1, fill_value=False)).stack()
    ends = (frame & ~frame.shift(-1, fill_value=False)).stack()

    def ordered(marks: pd.Series, column: str) -> pd.DataFrame:
        marks = marks[marks]
        found = pd.DataFrame(
            {"account": marks.index.get_level_values(1), column: marks.index.get_level_values(0)}
        )
        return found.sort_values(["account", column], kind="stable").reset_index(drop=True)

    out = ordered(starts, "start")
    # the k-th start of an account pairs with its k-th end; a step stands for [t, t + 1m)
    out["end"] = (ordered(ends, "end")["end"] + pd.Timedelta("1min")).clip(upper=to)
    out.insert(1, "alert", name)
    return out
