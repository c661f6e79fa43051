"""Deterministic lead data for the marketing → sales hand-off example, Q1 2026.

    python examples/internal_leads/generate.py            # rewrites data/*.csv
    python examples/internal_leads/generate.py OUT_DIR    # writes elsewhere (tests)

The counts are fixed by construction (see PLAN); only the exact minutes are drawn from
a seeded Mersenne Twister (`random.Random(...).random()`, stable across Python
versions), so the README's figures follow from PLAN and the special rows below.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import sys
from pathlib import Path

UTC = dt.UTC
SOURCES = ("webinar", "ads", "referral", "trade_show")

# month -> (bulk leads contacted within 24 h, bulk leads contacted late)
# Bulk leads are qualified between day 1 and day 26 of the month, so every bulk contact
# (at most 72 h later) happens before the month's end and before as-of.
PLAN = {
    (2026, 1): (210, 17),
    (2026, 2): (176, 29),
    (2026, 3): (180, 4),
}

# Hand-placed rows: (source, qualified, contacted or None)
SPECIAL = [
    # January: exactly 24 h is within `<= 24h`; one second more is not.
    ("webinar", "2026-01-12T09:00:00Z", "2026-01-13T09:00:00Z"),
    ("webinar", "2026-01-12T09:30:00Z", "2026-01-13T09:30:01Z"),
    # Qualified on Jan 31, contacted on Feb 1: belongs to January (its qualified time).
    ("ads", "2026-01-31T22:00:00Z", "2026-02-01T09:00:00Z"),
    # March, open at as-of 2026-03-31T18:00Z:
    ("referral", "2026-03-27T10:00:00Z", None),  # 104 h waiting: failed
    ("ads", "2026-03-29T16:00:00Z", None),  # 50 h waiting: failed
    # contacted at 20:00, after as-of: read as not yet contacted, 9 h waiting: pending
    ("webinar", "2026-03-31T09:00:00Z", "2026-03-31T20:00:00Z"),
    ("ads", "2026-03-31T15:00:00Z", None),  # 3 h waiting: pending
    # qualified after as-of: not counted at all
    ("webinar", "2026-03-31T19:00:00Z", "2026-03-31T19:30:00Z"),
]


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def bulk(rng: random.Random, year: int, month: int, ok: int, late: int) -> list[list[str]]:
    n = ok + late
    start = dt.datetime(year, month, 1, tzinfo=UTC)
    span = 25 * 86_400  # day 1 00:00 to day 26 00:00
    # Spread the late ones evenly through the month.
    late_at = {int((k + 0.5) * n / late) for k in range(late)}
    assert len(late_at) == late
    rows = []
    for i in range(n):
        q = start + dt.timedelta(seconds=int((i + rng.random()) * span / n))
        if i in late_at:
            delay = 25 * 3600 + int(rng.random() * 47 * 3600)  # 25 h to 72 h
        else:
            delay = 600 + int(rng.random() * 82_200)  # 10 min to 23 h
        source = SOURCES[int(rng.random() * len(SOURCES))]
        rows.append([source, iso(q), iso(q + dt.timedelta(seconds=delay))])
    return rows


def main(out: Path) -> None:
    rng = random.Random(20260101)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for (year, month), (ok, late) in PLAN.items():
        rows += bulk(rng, year, month, ok, late)
    rows += [[s, q, c or ""] for s, q, c in SPECIAL]
    rows.sort(key=lambda r: (r[1], r[2], r[0]))
    with open(out / "crm_leads.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["source", "qualified", "contacted"])
        w.writerows(rows)
    with open(out / "accounts.csv", "w", newline="", encoding="utf-8") as f:
        f.write("account,team\nsales,Inside Sales EMEA\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "data")
