"""How large and how slow the HTML report is with burn-down charts and the alert timeline.

    python -m benchmarks.report_size [--accounts 200] [--months 12] [--out report.html]

The model is examples/sre/api_slo.sla (a rolling 30-day SLO with the SRE alerts, and the
same objective per calendar month), or `--model` (any model reading that stream). The
data, generated with numpy: one request per account per hour from 2026-01-01, 0.3%
failing at random, and for a fifth of the accounts one outage hour a month in which 60%
fail (enough to page). Prints the page's size, the
number of charts and alert intervals, and the seconds spent evaluating and rendering.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

import slagraph
from slagraph.report import render

ROOT = Path(__file__).resolve().parents[1]
HOUR = 3600 * 1_000_000_000


def requests(accounts: int, months: int, seed: int = 3) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-01-01T00:00:00", "ns").astype(np.int64)
    hours = months * 30 * 24
    at = start + np.arange(hours, dtype=np.int64) * HOUR + 30 * 1_000_000_000
    who = np.repeat(np.arange(accounts), hours)
    t = np.tile(at, accounts)
    ok = rng.random(len(t)) >= 0.003
    flaky = rng.random(accounts) < 0.2
    for month in range(months):  # a loop over months: one bad hour for the flaky accounts
        hour = month * 30 * 24 + rng.integers(0, 30 * 24, accounts)
        rows = np.flatnonzero(flaky) * hours + hour[flaky]
        ok[rows] = rng.random(len(rows)) >= 0.6
    names = np.array([f"acct{i:04d}" for i in range(accounts)], dtype=object)
    return {
        "requests": {
            "account": names[who].tolist(),
            "at": pa.array(t, pa.timestamp("ns", tz="UTC")),
            "ok": ok,
        }
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--out", type=Path, default=Path("report_size.html"))
    parser.add_argument(
        "--model",
        type=Path,
        default=ROOT / "examples" / "sre" / "api_slo.sla",
        help="a model reading `requests { account, at, ok }`",
    )
    args = parser.parse_args()
    model = slagraph.load(args.model)
    data = requests(args.accounts, args.months)
    began = time.perf_counter()
    result = model.evaluate(data)
    evaluated = time.perf_counter()
    page = render(result, model)
    rendered = time.perf_counter()
    args.out.write_text(page, encoding="utf-8")
    charts = page.count('<figure class="bd-f"')
    bars = page.count('<rect class="bar"')
    print(
        f"{args.accounts} accounts × {args.months} months: {len(page.encode()) / 1e6:.2f} MB, "
        f"{charts} charts, {bars} alert intervals; "
        f"evaluate {evaluated - began:.1f} s, render {rendered - evaluated:.1f} s → {args.out}"
    )


if __name__ == "__main__":
    main()
