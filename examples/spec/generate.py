"""Deterministic example data for the SPEC model: 4 accounts, January to March 2026.

    python examples/spec/generate.py            # rewrites examples/spec/data/*.csv

The same seed always gives the same files, so the expected outputs in tests stay valid.
Acme has a bad February (a long API outage and slow P1s); Globex is healthy; Initech has
open tickets at as-of; Umbrella (bronze) is outside the gold master.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "data"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
DAYS = 90
ACCOUNTS = [
    ("acme", "gold", 20000),
    ("globex", "gold", 12000),
    ("initech", "silver", 8000),
    ("umbrella", "bronze", 3000),
]


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def at(minutes: float) -> dt.datetime:
    return START + dt.timedelta(minutes=float(minutes))


def write(name: str, header: list[str], rows: list[list[object]]) -> None:
    with open(OUT / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main() -> None:
    rng = np.random.default_rng(2026)
    OUT.mkdir(exist_ok=True)
    write("accounts", ["account", "tier", "fee"], [list(a) for a in ACCOUNTS])

    outages = []
    for account, _, _ in ACCOUNTS:
        for service in ("api", "db"):
            n = rng.poisson(4)
            for s in np.sort(rng.uniform(0, DAYS * 1440, n)):
                length = float(rng.lognormal(2.0, 0.8))  # minutes, heavy tailed
                end = iso(at(s + length)) if s + length < DAYS * 1440 else ""  # still down
                outages.append(
                    [account, service, iso(at(s)), end, str(bool(rng.random() < 0.2)).lower()]
                )
    # Acme's bad February: 3 h of API down on Feb 10, overlapping a 40-minute blip.
    feb10 = (dt.datetime(2026, 2, 10, 14, tzinfo=dt.UTC) - START).total_seconds() / 60
    outages.append(["acme", "api", iso(at(feb10)), iso(at(feb10 + 180)), "false"])
    outages.append(["acme", "api", iso(at(feb10 + 30)), iso(at(feb10 + 70)), "false"])
    # An outage across the January/February boundary.
    jan31 = (dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC) - START).total_seconds() / 60
    outages.append(["globex", "db", iso(at(jan31)), iso(at(jan31 + 60)), "false"])
    write("outages", ["account", "service", "start", "end", "planned"], outages)

    incidents = []
    for account, _, _ in ACCOUNTS:
        n = rng.poisson(60)
        for s in np.sort(rng.uniform(0, DAYS * 1440, n)):
            slow = account == "acme" and 31 * 1440 <= s < 59 * 1440
            priority = rng.choice(
                ["P1", "P2", "P3"], p=[0.5, 0.3, 0.2] if slow else [0.2, 0.3, 0.5]
            )
            respond = float(rng.lognormal(2.0 if not slow else 3.2, 0.5))
            resolve = respond + float(rng.lognormal(5.0 if not slow else 6.2, 0.6))
            resolved = iso(at(s + resolve)) if s + resolve < DAYS * 1440 - 60 else ""
            responded = iso(at(s + respond)) if s + respond < DAYS * 1440 - 1 else ""
            incidents.append([account, priority, iso(at(s)), responded, resolved])
    write("incidents", ["account", "priority", "opened", "responded", "resolved"], incidents)

    tickets = []
    for account, _, _ in ACCOUNTS:
        n = rng.poisson(150)
        days = rng.integers(0, DAYS, n)
        hours = rng.uniform(9, 18, n)
        for d, h in sorted(zip(days, hours, strict=True)):
            created = START + dt.timedelta(days=int(d), hours=float(h) + 3)  # Santiago office
            channel = rng.choice(["email", "chat"], p=[0.6, 0.4])
            wait = float(rng.lognormal(5.0, 0.9) if channel == "email" else rng.lognormal(3.5, 0.6))
            reply = created + dt.timedelta(minutes=wait if channel == "email" else wait / 60)
            end = START + dt.timedelta(days=DAYS)
            open_at_end = (account == "initech" and d >= DAYS - 2) or reply >= end - dt.timedelta(
                hours=2
            )
            tickets.append(
                [
                    account,
                    channel,
                    iso(created),
                    "" if open_at_end else iso(reply),
                    "" if open_at_end else iso(reply + dt.timedelta(hours=2)),
                ]
            )
    write("tickets", ["account", "channel", "created", "first_reply", "solved"], tickets)

    leads = []
    for account, _, _ in ACCOUNTS:
        per_month = {"acme": 230, "globex": 120}.get(account, 40)
        n = rng.poisson(per_month * 3)
        for s in np.sort(rng.uniform(0, DAYS * 1440, n)):
            delay = float(rng.exponential(9 * 60))
            contacted = iso(at(s + delay)) if s + delay < DAYS * 1440 else ""
            leads.append([account, iso(at(s)), contacted])
    write("crm_leads", ["account", "qualified", "contacted"], leads)


if __name__ == "__main__":
    main()
