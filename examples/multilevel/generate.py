"""Deterministic data for the multilevel example: 3 retail groups, January–June 2026.

    python examples/multilevel/generate.py            # rewrites data/*.csv
    python examples/multilevel/generate.py OUT_DIR    # writes elsewhere (tests)

No randomness: every month of every account follows PLAN, so the README's figures follow
from PLAN by arithmetic. Every month has 10 service-desk tickets (2 of them P1); the plan
says how many first replies are late (> 1 h) and how many P1 fixes are late (> 4 h), and
how many minutes each service was down.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

UTC = dt.UTC
ACCOUNTS = [  # account, segment, monthly fee
    ("globex", "enterprise", 50000),
    ("initech", "mid_market", 30000),
    ("umbrella", "mid_market", 20000),
]
MONTHS = [(2026, m) for m in range(1, 7)]
# Day of the month each service's outage (if any) starts, at 13:00 UTC.
OUTAGE_DAY = {"pos": 9, "webshop": 16, "checkout": 23}

# (account, month) -> minutes down per service, late first replies, late P1 fixes.
# Anything not listed is a clean month: no outage, every ticket on time.
PLAN: dict[tuple[str, int], dict[str, int]] = {
    ("globex", 1): {"pos": 190},
    ("globex", 2): {"checkout": 30},
    ("globex", 3): {"webshop": 35},
    ("globex", 5): {"webshop": 60},
    ("globex", 6): {"late_replies": 2},
    ("initech", 1): {"late_replies": 1},
    ("initech", 3): {"checkout": 45},
    ("initech", 4): {"checkout": 240, "webshop": 50},
    ("initech", 5): {"checkout": 25},
    ("initech", 6): {"pos": 170},
    ("umbrella", 1): {"pos": 540},
    ("umbrella", 3): {"late_replies": 3, "late_p1": 1},
    ("umbrella", 5): {"pos": 250},
    ("umbrella", 6): {"pos": 900, "webshop": 120, "late_replies": 2},
}
P1_TICKETS = (0, 5)


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    outages: list[list[str]] = []
    tickets: list[list[str]] = []
    for account, _, _ in ACCOUNTS:
        for year, month in MONTHS:
            plan = PLAN.get((account, month), {})
            for service, day in OUTAGE_DAY.items():
                if plan.get(service):
                    start = dt.datetime(year, month, day, 13, tzinfo=UTC)
                    end = start + dt.timedelta(minutes=plan[service])
                    outages.append([account, service, iso(start), iso(end)])
            late = plan.get("late_replies", 0)
            late_p1 = plan.get("late_p1", 0)
            for i in range(10):
                created = dt.datetime(year, month, 2 + 2 * i, 9, tzinfo=UTC)
                created += dt.timedelta(minutes=(i * 37) % 300)
                reply = 75 + 10 * i if i >= 10 - late else 15 + (i * 7) % 40  # minutes
                if i in P1_TICKETS:
                    priority = "P1"
                    # the first `late_p1` P1 tickets take 5 h, the others 2.5 h or so
                    fix = 300 if P1_TICKETS.index(i) < late_p1 else 150 + 5 * i
                else:
                    priority = "P2" if i % 2 == 0 else "P3"
                    fix = 24 * 60 + 60 * i
                tickets.append(
                    [
                        account,
                        priority,
                        iso(created),
                        iso(created + dt.timedelta(minutes=reply)),
                        iso(created + dt.timedelta(minutes=fix)),
                    ]
                )
    with open(out / "accounts.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["account", "segment", "fee"])
        w.writerows(ACCOUNTS)
    with open(out / "outages.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["account", "service", "start", "end"])
        w.writerows(outages)
    with open(out / "tickets.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["account", "priority", "created", "first_reply", "resolved"])
        w.writerows(tickets)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "data")
