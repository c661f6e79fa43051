"""No breach vanishes between levels, and no credit is owed twice (issue: desk views).

(a) A finer child period that starts before its parent's first period but reaches into
it belongs to that first period: data that begins on Sunday 2026-02-01 puts ISO week
W05 (Mon 01-26 … Sun 02-01) under February, the master's first month, not under a
January the master never evaluates.
(b) A parent adds in only the credit a child still owes: a child credit earned back is
not passed up, so what is owed is the root's credit, counted once.
Both rules are in tests/reference.py, which the differential test compares with.
"""

from __future__ import annotations

import slagraph
from tests.test_golden import pick

WEEKLY = """
stream tickets { account: text, created: time, solved: time? }
accounts { account: text, fee: number }
sla weekly_fix {
    period weekly
    objective fix = share(tickets, solved - created <= 1h) >= 90%
    credit 5% when breached
}
master contract {
    period monthly
    timezone "UTC"
    include weekly_fix
}
"""


def test_a_week_across_the_month_where_the_data_begins_reaches_the_master() -> None:
    data = {
        "tickets": {
            "account": ["a", "a"],
            "created": ["2026-02-01T10:00:00Z", "2026-02-10T10:00:00Z"],
            "solved": ["2026-02-01T15:00:00Z", "2026-02-10T10:30:00Z"],  # 5 h: failed
        },
        "accounts": {"account": ["a"], "fee": [1000.0]},
    }
    rows = slagraph.compile(WEEKLY).evaluate(data, as_of="2026-03-01T00:00:00Z").rows()
    week = pick(rows, "contract.weekly_fix", "2026-W05")
    assert (week["status"], week["credit_pct"]) == ("breached", 0.05)
    february = pick(rows, "contract", "2026-02")
    assert (february["status"], february["credit_pct"], february["credit"]) == (
        "breached",
        0.05,
        50.0,
    )
    assert not [r for r in rows if r.get("period") == "2026-01"]


EARNBACK = """
stream tickets { account: text, created: time, solved: time? }
accounts { account: text, fee: number }
sla desk {
    objective fix = share(tickets, solved - created <= 1h) >= 90%
    credit 5% when breached
    earnback when met in 2 following periods
}
master contract {
    period monthly
    timezone "UTC"
    include desk
}
"""


def test_a_credit_earned_back_by_a_child_is_not_owed_by_its_parent() -> None:
    """January breached (5%), February and March met: January's credit is earned back
    on the child's row, and the master owes nothing for January."""
    data = {
        "tickets": {
            "account": ["a", "a", "a"],
            "created": ["2026-01-10T10:00:00Z", "2026-02-10T10:00:00Z", "2026-03-10T10:00:00Z"],
            "solved": ["2026-01-10T15:00:00Z", "2026-02-10T10:30:00Z", "2026-03-10T10:30:00Z"],
        },
        "accounts": {"account": ["a"], "fee": [1000.0]},
    }
    model = slagraph.compile(EARNBACK)
    rows = model.evaluate(data, as_of="2026-04-01T00:00:00Z").rows()
    child = pick(rows, "contract.desk", "2026-01")
    assert (child["credit_pct"], child["earned_back"]) == (0.05, True)
    root = pick(rows, "contract", "2026-01")
    assert (root["status"], root["credit_pct"], root["credit"]) == ("breached", 0.0, 0.0)
    # before March has ended, the credit is not earned back yet: the master owes it
    early = model.evaluate(data, as_of="2026-03-20T00:00:00Z").rows()
    assert pick(early, "contract.desk", "2026-01")["earned_back"] is False
    assert pick(early, "contract", "2026-01")["credit_pct"] == 0.05


def _records(columns: dict) -> list[dict]:
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def test_the_reference_follows_both_rules() -> None:
    from tests.reference import reference_rows
    from tests.test_differential import diff

    cases = [
        (WEEKLY, "2026-02-01T10:00:00Z", "2026-02-01T15:00:00Z", "2026-03-01T00:00:00Z"),
        (EARNBACK, "2026-01-10T10:00:00Z", "2026-01-10T15:00:00Z", "2026-04-01T00:00:00Z"),
        (EARNBACK, "2026-01-10T10:00:00Z", "2026-01-10T15:00:00Z", "2026-03-20T00:00:00Z"),
    ]
    for text, created, solved, as_of in cases:
        tickets = {
            "account": ["a", "a", "a"],
            "created": [created, "2026-02-10T10:00:00Z", "2026-03-10T10:00:00Z"],
            "solved": [solved, "2026-02-10T10:30:00Z", "2026-03-10T10:30:00Z"],
        }
        accounts = {"account": ["a"], "fee": [1000.0]}
        model = slagraph.compile(text)
        engine = model.evaluate({"tickets": tickets, "accounts": accounts}, as_of=as_of).rows()
        reference = reference_rows(
            model.ir, {"tickets": _records(tickets)}, _records(accounts), as_of, None
        )
        assert not diff(engine, reference), diff(engine, reference)
