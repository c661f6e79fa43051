"""Tickets of one customer's support desk in Santiago, April to 22 May 2026.

    python examples/customer_support/generate.py            # rewrites data/*.csv
    python examples/customer_support/generate.py OUT_DIR    # writes elsewhere (tests)

The tickets are written below by hand, in Santiago wall-clock time, with the business
minutes each one took worked out in the comments (desk open Mon–Fri 09:00–18:00 and
Sat 10:00–14:00, closed on Chilean public holidays). This script only converts them to
ISO 8601 with the right UTC offset: Chile leaves summer time on 5 April 2026 (−03 → −04).
"""

from __future__ import annotations

import csv
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

SANTIAGO = ZoneInfo("America/Santiago")
CUSTOMER = "vinos_del_maule"

# (canal, creado, primera_respuesta, resuelto); None = not yet at the export.
# Comments: business minutes to first reply / to resolution.
TICKETS = [
    # ---- April 2026 (Apr 3 Good Friday and Apr 4 Holy Saturday are holidays)
    ("correo", "2026-04-01 09:30", "2026-04-01 10:15", "2026-04-01 16:30"),  # 45 / 420
    ("chat", "2026-04-01 14:00", "2026-04-01 14:05", "2026-04-01 15:00"),  # 5 / 60
    # Thu before Easter, answered Monday: 60 (Thu) + 30 (Mon) = 90 / 60 + 360 = 420
    ("correo", "2026-04-02 17:00", "2026-04-06 09:30", "2026-04-06 15:00"),
    ("chat", "2026-04-06 11:00", "2026-04-06 11:08", "2026-04-06 12:00"),  # 8 / 60
    ("correo", "2026-04-07 10:00", "2026-04-07 11:40", "2026-04-08 10:00"),  # 100 / 540
    ("telefono", "2026-04-08 15:00", "2026-04-08 15:20", "2026-04-08 17:00"),  # 20 / 120
    ("correo", "2026-04-09 09:10", "2026-04-09 10:00", "2026-04-10 12:00"),  # 50 / 710
    ("chat", "2026-04-11 11:00", "2026-04-11 11:06", "2026-04-11 13:30"),  # Sat: 6 / 150
    ("correo", "2026-04-13 16:00", "2026-04-13 17:10", "2026-04-14 11:00"),  # 70 / 240
    ("correo", "2026-04-14 09:00", "2026-04-14 11:30", "2026-04-16 17:00"),  # 150 / 1560 late
    ("chat", "2026-04-15 13:00", "2026-04-15 13:03", "2026-04-15 13:45"),  # 3 / 45
    ("correo", "2026-04-16 10:30", "2026-04-16 11:00", "2026-04-16 16:00"),  # 30 / 330
    ("correo", "2026-04-17 17:30", "2026-04-18 10:45", "2026-04-20 12:00"),  # 30+45=75 / 450
    ("telefono", "2026-04-20 09:05", "2026-04-20 09:15", "2026-04-20 10:00"),  # 10 / 55
    ("correo", "2026-04-21 14:00", "2026-04-21 15:50", "2026-04-24 10:00"),  # 110 / 1380 late
    ("chat", "2026-04-22 11:00", "2026-04-22 11:04", "2026-04-22 11:30"),  # 4 / 30
    ("correo", "2026-04-23 16:30", "2026-04-23 17:00", "2026-04-24 17:00"),  # 30 / 570
    # Friday evening, answered Monday morning: Sat 10-14 (240) + Mon 40 = 280 > 4 h
    # resolved Tue 18:00: 240 + 540 + 540 = 1320 late
    ("correo", "2026-04-24 19:30", "2026-04-27 09:40", "2026-04-28 18:00"),
    ("chat", "2026-04-28 10:00", "2026-04-28 10:07", "2026-04-28 11:00"),  # 7 / 60
    ("correo", "2026-04-29 12:00", "2026-04-29 13:30", "2026-04-30 12:00"),  # 90 / 540
    # ---- May 2026 (May 1 Labour Day and May 21 Navy Day are holidays), to as-of
    # Opened on the May 1 holiday, answered Saturday 10:30: 30 / Sat 240 + Mon 180 = 420
    ("correo", "2026-05-01 11:00", "2026-05-02 10:30", "2026-05-04 12:00"),
    ("chat", "2026-05-04 10:00", "2026-05-04 10:05", "2026-05-04 10:40"),  # 5 / 40
    ("correo", "2026-05-05 09:30", "2026-05-05 12:30", "2026-05-06 11:00"),  # 180 / 630
    ("telefono", "2026-05-06 14:00", "2026-05-06 14:10", "2026-05-06 16:00"),  # 10 / 120
    ("correo", "2026-05-07 11:00", "2026-05-07 16:30", "2026-05-08 16:00"),  # 330 late / 840
    ("chat", "2026-05-09 12:00", "2026-05-09 12:04", "2026-05-09 13:00"),  # Sat: 4 / 60
    ("correo", "2026-05-11 09:00", "2026-05-11 10:20", "2026-05-12 15:00"),  # 80 / 900
    ("correo", "2026-05-12 15:00", "2026-05-12 17:40", "2026-05-15 10:00"),  # 160 / 1320 late
    ("chat", "2026-05-13 10:00", "2026-05-13 10:06", "2026-05-13 11:00"),  # 6 / 60
    ("correo", "2026-05-15 16:00", "2026-05-16 11:00", "2026-05-18 10:00"),  # 120+60=180 / 420
    ("correo", "2026-05-18 10:00", "2026-05-18 11:15", "2026-05-19 10:00"),  # 75 / 540
    ("chat", "2026-05-19 09:30", "2026-05-19 09:33", "2026-05-19 10:00"),  # 3 / 30
    # Open at as-of (Fri 22 May 12:00): Wed 15-18 (180) + Thu holiday + Fri 9-12 (180)
    # = 360 > 240 -> first reply FAILED; 360 <= 1080 -> resolution pending
    ("correo", "2026-05-20 15:00", None, None),
    # Opened on the May 21 holiday, answered Fri 09:30: 30; unresolved, 180 -> pending
    ("correo", "2026-05-21 10:00", "2026-05-22 09:30", None),
    # Opened an hour before as-of, unanswered: 60 <= 240 -> pending
    ("correo", "2026-05-22 11:00", None, None),
]


def iso(local: str | None) -> str:
    if local is None:
        return ""
    return datetime.fromisoformat(local).replace(tzinfo=SANTIAGO).isoformat()


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "tickets.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["account", "canal", "creado", "primera_respuesta", "resuelto"])
        for canal, creado, respuesta, resuelto in TICKETS:
            w.writerow([CUSTOMER, canal, iso(creado), iso(respuesta), iso(resuelto)])
    with open(out / "accounts.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["account", "nombre", "fee"])
        w.writerow([CUSTOMER, "Viña Los Andes del Maule S.A.", 1800000])


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "data")
