"""Agreement of slagraph's per-incident resolution verdicts (from `slagraph records …
--format csv`) with ServiceNow's `made_sla` on each incident's last update.

    python examples/servicenow/agreement.py records.csv
"""

import sys
from pathlib import Path

import pandas as pd

LOG = Path(__file__).parent / "data" / "incident_event_log.csv.gz"
LIMITS = {"1 - Critical": 4, "2 - High": 8, "3 - Moderate": 72, "4 - Low": 120}  # hours


def main(records: str) -> None:
    rec = pd.read_csv(records, dtype={"number": str}, low_memory=False)
    res = rec[rec.node.str.endswith("_resolution") & (rec.verdict != "pending")]
    log = pd.read_csv(LOG, dtype=str, keep_default_na=False)
    log["at"] = pd.to_datetime(log.sys_updated_at, format="%d/%m/%Y %H:%M")
    made = log.sort_values("at", kind="stable").groupby("number").made_sla.last() == "true"

    def agreement(ok: pd.Series) -> tuple[int, int]:
        ours = ok.groupby(res.number).all()
        return int((ours == made[ours.index]).sum()), len(ours)

    same, n = agreement(res.verdict == "ok")
    print(f"{same:,} of {n:,} incidents agree: {same / n:.1%}")
    print(
        pd.crosstab(res.groupby("number").verdict.min().rename("slagraph"), made.rename("made_sla"))
    )
    limit = res.priority.map(LIMITS) * 3600
    same, n = agreement(res.elapsed + res.paused <= limit)
    print(f"awaiting time counted as running: {same / n:.1%}")
    same, n = agreement(res.elapsed <= limit.where(res.priority != "3 - Moderate", 120 * 3600))
    print(f"Moderate within 5 days: {same / n:.1%}")


if __name__ == "__main__":
    main(sys.argv[1])
