"""Hand-computed golden cases, one (or more) per rule of SPEC §3 and docs/semantics.md.

Each case is `tests/golden/<rule>.sla`: a `# title:` line, then a comment block with the
arithmetic, then the model. The data is inline below. Every expected number is written
here as the arithmetic of the fixture's comment (never pasted from an engine run).
Floats use `pytest.approx(rel=1e-12)` only where the arithmetic is inexact in binary.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import slagraph

GOLDEN = Path(__file__).parent / "golden"
JANUARY = 31 * 86_400  # 2,678,400 s
FEB_1 = "2026-02-01T00:00:00Z"


def approx(x: float) -> Any:
    return pytest.approx(x, rel=1e-12)


def run(case: str, data: dict[str, Any], as_of: str) -> list[dict[str, Any]]:
    path = GOLDEN / f"{case}.sla"
    model = slagraph.compile(path.read_text(encoding="utf-8"), file=str(path))
    return model.evaluate(data, as_of=as_of).rows()


def pick(rows: list[dict[str, Any]], node: str, period: str, account: str = "a") -> dict[str, Any]:
    """The single node row for (account, period, node path)."""
    found = [
        r
        for r in rows
        if r.get("kind") not in ("termination", "bad_rows")
        and r["node"] == node
        and r["period"] == period
        and r["account"] == account
    ]
    assert len(found) == 1, f"expected one row for {account} {period} {node}, got {found}"
    return found[0]


def fields(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: row[k] for k in keys}


def z(text: str) -> str:
    """`2026-01-10 10:00` -> `2026-01-10T10:00:00Z`."""
    return dt.datetime.fromisoformat(text).strftime("%Y-%m-%dT%H:%M:%S") + "Z"


def at(text: str, seconds: float) -> str:
    """The UTC instant `seconds` after `text` (fractional seconds kept)."""
    t = dt.datetime.fromisoformat(text) + dt.timedelta(seconds=seconds)
    out = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        out += f".{t.microsecond:06d}".rstrip("0")
    return out + "Z"


def outages(*rows: tuple[str, str, str | None]) -> dict[str, list[Any]]:
    return {
        "account": [r[0] for r in rows],
        "start": [z(r[1]) for r in rows],
        "end": [z(r[2]) if r[2] is not None else None for r in rows],
    }


def events(*rows: tuple[str, str]) -> dict[str, list[Any]]:
    """(account, time) rows for a stream { account, at }."""
    return {"account": [r[0] for r in rows], "at": [z(r[1]) for r in rows]}


def kind_events(*rows: tuple[str, str, str]) -> dict[str, list[Any]]:
    """(account, kind, time) rows for a stream { account, kind, at }."""
    return {
        "account": [r[0] for r in rows],
        "kind": [r[1] for r in rows],
        "at": [z(r[2]) for r in rows],
    }


# --------------------------------------------------------------------------- fixtures


def test_every_fixture_has_a_title_and_arithmetic():
    cases = sorted(GOLDEN.glob("*.sla"))
    assert len(cases) >= 16
    for path in cases:
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("# title: "), path.name
        assert sum(1 for line in lines if line.startswith("#")) >= 5, path.name


# --------------------------------------------------------------------------- 1. overlaps


def test_overlapping_outages_never_double_counted():
    rows = run(
        "overlapping_outages",
        {
            "outages": outages(
                ("a", "2026-01-10 10:00", "2026-01-10 11:00"),
                ("a", "2026-01-10 10:30", "2026-01-10 12:00"),
                ("a", "2026-01-10 10:15", "2026-01-10 10:45"),
                ("b", "2026-01-20 00:00", "2026-01-20 01:00"),
                ("b", "2026-01-20 00:00", "2026-01-20 01:00"),
                ("c", "2026-01-25 00:00", "2026-01-25 01:00"),
                ("c", "2026-01-25 01:00", "2026-01-25 02:00"),
            )
        },
        FEB_1,
    )
    allowed = 0.001 * JANUARY  # 2,678.4 s
    a = pick(rows, "avail.up", "2026-01", "a")
    b = pick(rows, "avail.up", "2026-01", "b")
    c = pick(rows, "avail.up", "2026-01", "c")
    # the overlap rule alone, whatever the measured time: down(a) / down(b) = 7,200 / 3,600
    assert (1 - a["value"]) / (1 - b["value"]) == approx(2)
    assert (1 - c["value"]) / (1 - b["value"]) == approx(2)
    # and against the full 31-day month
    assert a["value"] == approx(1 - 7200 / JANUARY)
    assert a["target"] == approx(0.999)
    assert a["budget_used"] == approx(7200 / allowed)
    assert fields(a, "status", "met") == {"status": "breached", "met": False}

    assert b["value"] == approx(1 - 3600 / JANUARY)
    assert b["budget_used"] == approx(3600 / allowed)
    assert c["value"] == approx(1 - 7200 / JANUARY)


# --------------------------------------------------------------------------- 2. redundancy


def test_series_parallel_and_k_of_n():
    rows = run(
        "redundancy",
        {
            "outages": {
                "account": ["a", "a", "a"],
                "service": ["a", "b", "c"],
                "start": [z("2026-01-05 10:00"), z("2026-01-05 11:00"), z("2026-01-05 11:30")],
                "end": [z("2026-01-05 12:00"), z("2026-01-05 13:00"), z("2026-01-05 14:00")],
            }
        },
        FEB_1,
    )
    down = {"ser": 10_800, "par": 3_600, "two": 7_200, "one": 1_800, "three": 14_400}
    for name, seconds in down.items():
        row = pick(rows, f"redundancy.{name}", "2026-01")
        assert row["value"] == approx(1 - seconds / JANUARY), name
        assert row["met"] is True, name


# --------------------------------------------------------------------------- 3. maintenance


def test_excluding_maintenance_removes_window_from_down_and_measured():
    rows = run(
        "excluding_maintenance",
        {
            "outages": outages(
                ("a", "2026-01-11 01:00", "2026-01-11 03:00"),
                ("a", "2026-01-18 02:30", "2026-01-18 03:30"),
            )
        },
        FEB_1,
    )
    maintenance = 4 * 2 * 3600  # Sundays Jan 4, 11, 18, 25, 02:00-04:00
    during = pick(rows, "avail.up_maint", "2026-01")
    assert during["value"] == 1 - 7_200 / maintenance == 0.75
    assert fields(during, "status", "met") == {"status": "breached", "met": False}

    raw = pick(rows, "avail.up_raw", "2026-01")
    assert raw["value"] == approx(1 - 10_800 / JANUARY)
    assert raw["budget_used"] == approx(10_800 / (0.005 * JANUARY))
    assert fields(raw, "status", "met") == {"status": "at_risk", "met": True}

    excl = pick(rows, "avail.up_excl", "2026-01")
    assert excl["value"] == approx(1 - 3_600 / (JANUARY - maintenance))
    assert excl["budget_used"] == approx(3_600 / (0.005 * (JANUARY - maintenance)))
    assert fields(excl, "status", "met") == {"status": "met", "met": True}


# --------------------------------------------------------------------------- 4. partial


def test_partial_period_measured_time_stops_at_as_of():
    rows = run(
        "partial_period",
        {
            "outages": outages(
                ("a", "2026-01-05 00:00", "2026-01-05 01:00"),
                ("a", "2026-01-10 23:00", None),
                ("a", "2026-01-20 00:00", "2026-01-20 01:00"),
            )
        },
        "2026-01-11T00:00:00Z",
    )
    measured = 10 * 86_400
    up = pick(rows, "avail.up", "2026-01")
    assert up["value"] == approx(1 - 7_200 / measured)
    assert up["budget_used"] == approx(7_200 / (0.01 * measured))
    assert fields(up, "status", "met") == {"status": "at_risk", "met": True}
    n = pick(rows, "avail.n", "2026-01")
    assert n["value"] == 2


# --------------------------------------------------------------------------- 5. open records


def test_open_tickets_pending_or_failed_at_as_of():
    rows = run(
        "open_tickets",
        {
            "tickets": {
                "account": ["a"] * 5,
                "created": [
                    z("2026-01-05 10:00"),
                    z("2026-01-05 10:00"),
                    z("2026-01-20 10:00"),
                    z("2026-01-20 11:30"),
                    z("2026-01-20 11:00"),
                ],
                "first_reply": [z("2026-01-05 10:30"), z("2026-01-05 12:00"), None, None, None],
            }
        },
        "2026-01-20T12:00:00Z",
    )
    within = pick(rows, "support.within", "2026-01")
    assert within["value"] == approx(1 / 3)
    assert within["budget_used"] == approx(2 / 1.5)
    assert fields(within, "status", "met") == {"status": "breached", "met": False}

    strict = pick(rows, "support.strict", "2026-01")
    assert strict["value"] == 0.25
    assert strict["budget_used"] == approx(3 / 2)

    assert pick(rows, "support.n", "2026-01")["value"] == 5


# --------------------------------------------------------------------------- 6. empty


def test_empty_period_is_no_data_and_met_count_is_zero():
    rows = run(
        "empty_period",
        {
            "accounts": {"account": ["a", "b"]},
            "tickets": {
                "account": ["a"],
                "created": [z("2026-01-05 10:00")],
                "first_reply": [z("2026-01-05 10:30")],
            },
            "outages": {"account": [], "start": [], "end": []},
        },
        FEB_1,
    )
    keys = ("status", "met", "value", "budget_used")
    assert fields(pick(rows, "support.reply", "2026-01", "b"), *keys) == {
        "status": "no_data",
        "met": True,
        "value": None,
        "budget_used": None,
    }
    assert fields(pick(rows, "support.mttr", "2026-01", "b"), "status", "met", "value") == {
        "status": "no_data",
        "met": True,
        "value": None,
    }
    assert fields(pick(rows, "support.n", "2026-01", "b"), "status", "met", "value") == {
        "status": "met",
        "met": True,
        "value": 0,
    }
    assert fields(pick(rows, "support.up", "2026-01", "b"), *keys) == {
        "status": "met",
        "met": True,
        "value": 1.0,
        "budget_used": 0.0,
    }
    assert fields(pick(rows, "support", "2026-01", "b"), "status", "met", "score") == {
        "status": "met",
        "met": True,
        "score": 1.0,
    }
    assert fields(pick(rows, "replies", "2026-01", "b"), "status", "met") == {
        "status": "no_data",
        "met": True,
    }
    # account a, for contrast
    assert pick(rows, "support.reply", "2026-01", "a")["value"] == 1.0
    assert pick(rows, "support.mttr", "2026-01", "a")["value"] == 1_800
    assert pick(rows, "support.n", "2026-01", "a")["value"] == 1
    assert pick(rows, "support.up", "2026-01", "a")["value"] == 1.0


# --------------------------------------------------------------------------- 7. credits


def test_credit_tiers_flat_credit_master_sum_and_cap():
    start = "2026-01-03 00:00"
    down = {"a": 1_000, "b": 10_000, "c": 100_000, "d": 200_000, "e": 200_000}
    rows = run(
        "credits",
        {
            "accounts": {"account": list("abcde"), "fee": [1000, 1000, 1000, 1000, None]},
            "outages": {
                "account": list(down),
                "start": [z(start)] * 5,
                "end": [at(start, s) for s in down.values()],
            },
            "incidents": {
                "account": ["a", "c", "d", "e"],
                "opened": [z("2026-01-10 00:00")] * 4,
            },
        },
        FEB_1,
    )
    for acct, seconds in down.items():
        assert pick(rows, "msa.avail.up", "2026-01", acct)["value"] == approx(1 - seconds / JANUARY)

    avail_pct = {"a": 0.0, "b": 0.10, "c": 0.25, "d": 1.00, "e": 1.00}
    inc_pct = {"a": 0.05, "b": 0.0, "c": 0.05, "d": 0.05, "e": 0.05}
    msa_pct = {"a": 0.05, "b": 0.10, "c": 0.30, "d": 0.30, "e": 0.30}  # min(sum, 30%)
    money = {  # pct x fee 1,000; e has no fee
        "avail": {"a": 0, "b": 100, "c": 250, "d": 1000, "e": None},
        "inc": {"a": 50, "b": 0, "c": 50, "d": 50, "e": None},
        "msa": {"a": 50, "b": 100, "c": 300, "d": 300, "e": None},
    }
    for acct in down:
        for node, pct in (("msa.avail", avail_pct), ("msa.inc", inc_pct), ("msa", msa_pct)):
            row = pick(rows, node, "2026-01", acct)
            assert row["credit_pct"] == approx(pct[acct]), (acct, node)
            want = money[node.rsplit(".", 1)[-1]][acct]
            if want is None:
                assert row["credit"] is None, (acct, node)
            else:
                assert row["credit"] == approx(want), (acct, node)


# --------------------------------------------------------------------------- 8. pool


def test_pool_at_risk_allocations_and_cap():
    rows = run(
        "pool",
        {
            "accounts": {"account": ["w", "x", "y", "z"], "fee": [10_000] * 4},
            "events": kind_events(
                ("x", "s1", "2026-01-10 00:00"),
                ("x", "s2", "2026-01-11 00:00"),
                ("y", "s1", "2026-01-12 00:00"),
                ("z", "s2", "2026-01-13 00:00"),
            ),
        },
        FEB_1,
    )
    fee, r = 10_000, 0.12
    expected = {
        "x": min(r * (0.80 + 0.40), r),  # 14.4% -> 12%
        "y": r * 0.80,  # 9.6%
        "z": r * 0.40,  # 4.8%
        "w": 0.0,
    }
    for acct, pct in expected.items():
        row = pick(rows, "gold", "2026-01", acct)
        assert row["credit_pct"] == approx(pct), acct
        assert row["credit"] == approx(pct * fee), acct
    assert pick(rows, "gold", "2026-01", "x")["credit"] == approx(1_200)
    assert pick(rows, "gold", "2026-01", "y")["credit"] == approx(960)
    assert pick(rows, "gold", "2026-01", "z")["credit"] == approx(480)
    # the child's own flat credit is reported on its row, not added to the pool
    for acct in ("x", "y"):
        s1 = pick(rows, "gold.s1", "2026-01", acct)
        assert s1["credit_pct"] == approx(0.05)
        assert s1["credit"] == approx(500)
        assert s1["met"] is False


# --------------------------------------------------------------------------- 9. earnback


def test_earnback_after_n_met_ended_periods():
    rows = run(
        "earnback",
        {
            "accounts": {"account": ["a", "b", "c"], "fee": [1000] * 3},
            "events": events(
                ("a", "2026-01-10 00:00"),
                ("b", "2026-01-10 00:00"),
                ("b", "2026-03-10 00:00"),
                ("c", "2026-02-10 00:00"),
            ),
        },
        "2026-05-15T00:00:00Z",
    )
    keys = ("met", "credit_pct", "credit", "earned_back")
    breached = {"met": False, "credit_pct": 0.1, "credit": 100.0, "earned_back": False}
    assert fields(pick(rows, "ops", "2026-01", "a"), *keys) == {**breached, "earned_back": True}
    assert fields(pick(rows, "ops", "2026-01", "b"), *keys) == breached
    assert fields(pick(rows, "ops", "2026-03", "b"), *keys) == breached
    assert fields(pick(rows, "ops", "2026-02", "c"), *keys) == breached
    for period in ("2026-02", "2026-03", "2026-04", "2026-05"):
        row = pick(rows, "ops", period, "a")
        assert fields(row, "met", "credit_pct", "earned_back") == {
            "met": True,
            "credit_pct": 0.0,
            "earned_back": False,
        }


# --------------------------------------------------------------------------- 10. terminations


def test_terminations_consecutive_and_k_of_n():
    breaches = {
        "a": ["03", "04", "05"],
        "b": ["01", "02", "04", "05", "06"],
        "c": ["01", "02", "07", "08"],
        "d": ["01", "03", "05", "06"],
    }
    rows = run(
        "terminations",
        {
            "accounts": {"account": list(breaches)},
            "events": events(
                *((acct, f"2026-{m}-10 00:00") for acct, ms in breaches.items() for m in ms)
            ),
        },
        "2026-09-01T00:00:00Z",
    )
    got = sorted(
        (r["account"], r["period"], r["rule"], r["node"], r["target"])
        for r in rows
        if r.get("kind") == "termination"
    )
    assert got == [
        ("a", "2026-05", "3 consecutive periods", "msa", "ops"),
        ("b", "2026-05", "4 of 6 periods", "msa", "ops"),
        ("b", "2026-06", "3 consecutive periods", "msa", "ops"),
        ("d", "2026-06", "4 of 6 periods", "msa", "ops"),
    ]


# --------------------------------------------------------------------------- 11. shared child


def test_shared_child_one_row_per_path_identical_values():
    rows = run(
        "shared_child",
        {
            "tickets": {
                "account": ["a"] * 3,
                "created": [z("2026-01-05 10:00")] * 3,
                "first_reply": [
                    z("2026-01-05 10:10"),
                    z("2026-01-05 10:20"),
                    z("2026-01-05 12:00"),
                ],
            }
        },
        FEB_1,
    )
    nodes = sorted(
        r["node"] for r in rows if r.get("kind") != "termination" and r["period"] == "2026-01"
    )
    assert nodes == ["m1", "m1.support", "m1.support.reply", "m2", "m2.support", "m2.support.reply"]
    keys = ("kind", "status", "met", "value", "target", "score", "budget_used", "credit_pct")
    for node in ("support", "support.reply"):
        one = fields(pick(rows, f"m1.{node}", "2026-01"), *keys)
        two = fields(pick(rows, f"m2.{node}", "2026-01"), *keys)
        assert one == two
    reply = pick(rows, "m1.support.reply", "2026-01")
    assert reply["value"] == approx(2 / 3)
    assert reply["budget_used"] == approx(1 / (0.1 * 3))
    assert fields(reply, "status", "met") == {"status": "breached", "met": False}


# --------------------------------------------------------------------------- 12. business time


def test_business_time_weekend_holiday_and_dst_in_santiago():
    rows = run(
        "business_time",
        {
            "tickets": {
                "account": ["a"] * 3,
                "label": ["weekend", "dst", "holiday"],
                "created": [
                    "2026-01-09T20:59:00Z",  # Fri 17:59 -03:00
                    "2026-04-02T17:00:00-03:00",  # Thu
                    "2026-09-17T17:59:00-03:00",  # Thu
                ],
                "first_reply": [
                    "2026-01-12T09:01:00-03:00",  # Mon
                    "2026-04-06T10:00:00-04:00",  # Mon, after the DST change
                    "2026-09-21T09:01:00-03:00",  # Mon
                ],
            }
        },
        "2026-10-01T00:00:00Z",
    )

    def value(node: str, period: str) -> Any:
        return pick(rows, f"support.{node}", period)["value"]

    assert value("weekend_biz", "2026-01") == 60 + 60
    assert pick(rows, "support.weekend_biz", "2026-01")["met"] is True  # 120 s <= 5m
    assert value("weekend_wall", "2026-01") == 2 * 86_400 + 15 * 3_600 + 120
    assert value("dst_biz", "2026-04") == 3_600 + 3_600
    assert value("dst_plain", "2026-04") == 3_600 + 9 * 3_600 + 3_600
    assert value("dst_wall", "2026-04") == 3 * 86_400 + 18 * 3_600
    assert value("holiday_biz", "2026-09") == 60 + 60
    assert value("holiday_plain", "2026-09") == 60 + 9 * 3_600 + 60
    assert value("fast", "2026-01") == 1.0
    assert value("fast", "2026-04") == 0.0
    assert value("fast", "2026-09") == 1.0


# --------------------------------------------------------------------------- 13. error budget


def test_error_budget_and_at_risk():
    n = 2_000
    failed = {"a": 1, "b": 2, "c": 3}
    down = {"a": 1_339.2, "b": 2_678.4, "c": 2_700}  # 22.32 min, 44.64 min, 45 min
    accounts, created, replied = [], [], []
    for acct, bad in failed.items():
        for i in range(n):
            t0 = at("2026-01-05 00:00", 60 * i)
            accounts.append(acct)
            created.append(t0)
            replied.append(at(t0[:-1], 7_200 if i < bad else 600))
    rows = run(
        "error_budget",
        {
            "tickets": {"account": accounts, "created": created, "first_reply": replied},
            "outages": {
                "account": list(down),
                "start": [z("2026-01-10 10:00")] * 3,
                "end": [at("2026-01-10 10:00", s) for s in down.values()],
            },
        },
        FEB_1,
    )
    allowed_tickets = (1 - 0.999) * n  # 2 in exact arithmetic
    allowed_time = 0.001 * JANUARY  # 2,678.4 s = 44.64 min
    expect = {
        # acct: (value, budget, status of reply, status of reply_warn)
        "a": (1_999 / n, 1 / 2, "met", "at_risk"),
        "b": (1_998 / n, 2 / 2, "at_risk", "at_risk"),
        "c": (1_997 / n, 3 / 2, "breached", "breached"),
    }
    for acct, (val, budget, status, warn_status) in expect.items():
        reply = pick(rows, "s.reply", "2026-01", acct)
        assert reply["value"] == approx(val), acct
        assert reply["budget_used"] == approx(budget), acct
        assert budget == approx(failed[acct] / allowed_tickets)
        assert reply["status"] == status, acct
        assert reply["met"] is (status != "breached"), acct
        warn = pick(rows, "s.reply_warn", "2026-01", acct)
        assert warn["status"] == warn_status, acct

    up_expect = {"a": (0.5, "met"), "b": (1.0, "at_risk"), "c": (2_700 / allowed_time, "breached")}
    for acct, (budget, status) in up_expect.items():
        up = pick(rows, "s.up", "2026-01", acct)
        assert up["value"] == approx(1 - down[acct] / JANUARY), acct
        assert up["budget_used"] == approx(budget), acct
        assert up["status"] == status, acct


# --------------------------------------------------------------------------- 14. percentiles


def test_nearest_rank_percentiles():
    minutes = [(7 * k) % 20 + 1 for k in range(20)]  # 1..20, shuffled
    assert sorted(minutes) == list(range(1, 21))
    b_seconds = [10, 40, 20, 30]
    created = z("2026-01-05 10:00")
    rows = run(
        "percentiles",
        {
            "tickets": {
                "account": ["a"] * 20 + ["b"] * 5,
                "created": [created] * 25,
                "first_reply": [at("2026-01-05 10:00", 60 * m) for m in minutes]
                + [at("2026-01-05 10:00", s) for s in b_seconds]
                + [None],
            }
        },
        FEB_1,
    )
    expect = {
        "a": {"p95": 19 * 60, "p50": 10 * 60, "p99": 20 * 60, "q95": 19 * 60},
        "b": {"p95": 40, "p50": 20, "p99": 40, "q95": 40},
    }
    for acct, values in expect.items():
        got = {name: pick(rows, f"support.{name}", "2026-01", acct)["value"] for name in values}
        assert got == values, acct


# --------------------------------------------------------------------------- 15. roll-up


def test_weekly_child_rolled_up_and_santiago_child_under_utc_master():
    rows = run(
        "rollup",
        {
            "accounts": {"account": ["a", "b", "c", "d"]},
            "events": kind_events(
                ("a", "w", "2026-02-01 12:00"),
                ("b", "w", "2026-01-14 12:00"),
                ("c", "s", "2026-02-01 01:00"),
            ),
        },
        "2026-03-01T00:00:00Z",
    )
    keys = ("status", "met")
    breached = {"status": "breached", "met": False}
    met = {"status": "met", "met": True}
    for acct in ("a", "b", "c"):
        assert fields(pick(rows, "msa", "2026-01", acct), *keys) == breached, acct
        assert fields(pick(rows, "msa", "2026-02", acct), *keys) == met, acct
    for period in ("2026-01", "2026-02"):
        assert fields(pick(rows, "msa", period, "d"), *keys) == met
    # the week of the event is the one breached
    assert fields(pick(rows, "msa.weekly_ops", "2026-W05", "a"), *keys) == breached
    assert fields(pick(rows, "msa.weekly_ops", "2026-W06", "a"), *keys) == met
    assert fields(pick(rows, "msa.weekly_ops", "2026-W03", "b"), *keys) == breached
    # Santiago's January holds 2026-02-01 01:00Z
    assert fields(pick(rows, "msa.santiago_ops", "2026-01", "c"), *keys) == breached
    assert fields(pick(rows, "msa.santiago_ops", "2026-02", "c"), *keys) == met


# --------------------------------------------------------------------------- 16. met when


def test_met_when_at_least_and_weighted_score():
    rows = run(
        "met_when",
        {
            "accounts": {"account": ["p", "q", "r", "s", "t", "u"]},
            "events": kind_events(
                ("p", "email", "2026-01-05 00:00"),
                ("q", "email", "2026-01-05 00:00"),
                ("q", "chat", "2026-01-06 00:00"),
                ("s", "z", "2026-01-07 00:00"),
                ("t", "y", "2026-01-08 00:00"),
                ("u", "x", "2026-01-09 00:00"),
            ),
        },
        FEB_1,
    )
    keys = ("status", "met", "score")
    assert fields(pick(rows, "support", "2026-01", "p"), *keys) == {
        "status": "at_risk",
        "met": True,
        "score": 0.5,
    }
    assert fields(pick(rows, "support", "2026-01", "q"), *keys) == {
        "status": "breached",
        "met": False,
        "score": 0.0,
    }
    assert fields(pick(rows, "support", "2026-01", "r"), *keys) == {
        "status": "met",
        "met": True,
        "score": 1.0,
    }
    expect = {
        "r": ("met", True, 10 / 10),
        "s": ("at_risk", True, 9 / 10),
        "t": ("breached", False, 2 / 10),
        "u": ("breached", False, 9 / 10),
    }
    for acct, (status, is_met, score) in expect.items():
        row = pick(rows, "msa", "2026-01", acct)
        assert fields(row, "status", "met") == {"status": status, "met": is_met}, acct
        assert row["score"] == approx(score), acct


# --------------------------------------------------------------------------- period boundary


def test_outage_split_at_period_boundary_and_record_placement():
    rows = run(
        "period_boundary",
        {
            "outages": outages(("a", "2026-01-31 23:00", "2026-02-01 01:00")),
            "tickets": {
                "account": ["a"] * 3,
                "created": [z("2026-01-01 00:00"), z("2026-01-31 23:50"), z("2026-02-01 00:10")],
                "first_reply": [
                    z("2026-01-01 00:10"),
                    z("2026-02-01 00:20"),
                    z("2026-02-01 02:10"),
                ],
            },
        },
        "2026-02-15T00:00:00Z",
    )
    february = 14 * 86_400
    assert pick(rows, "s.up", "2026-01")["value"] == approx(1 - 3_600 / JANUARY)
    assert pick(rows, "s.up", "2026-02")["value"] == approx(1 - 3_600 / february)
    assert pick(rows, "s.reply", "2026-01")["value"] == 1.0
    assert pick(rows, "s.n", "2026-01")["value"] == 2
    assert pick(rows, "s.reply", "2026-02")["value"] == 0.0
    assert pick(rows, "s.n", "2026-02")["value"] == 1


# --------------------------------------------------------------------------- min N


def test_minimum_samples_make_no_data():
    tickets = {
        "account": ["a"] * 3 + ["b"] * 4,
        "created": [z(f"2026-01-1{i} 10:00") for i in range(3)]
        + [z(f"2026-01-2{i} 10:00") for i in range(4)],
        "first_reply": [z("2026-01-10 10:30"), z("2026-01-11 10:30"), z("2026-01-12 13:00")]
        + [z("2026-01-20 10:30"), z("2026-01-21 10:30"), z("2026-01-22 10:30")]
        + [z("2026-01-23 12:00")],
    }
    rows = run(
        "minimum_samples",
        {"tickets": tickets, "outages": outages(("a", "2026-01-05 00:00", "2026-01-05 01:00"))},
        FEB_1,
    )
    a = pick(rows, "s.fast", "2026-01", "a")
    assert fields(a, "status", "met", "credit_pct") == {
        "status": "no_data",
        "met": True,
        "credit_pct": 0.0,
    }
    assert a["value"] == approx(2 / 3)
    assert a["budget_used"] == approx(1 / (0.05 * 3))
    b = pick(rows, "s.fast", "2026-01", "b")
    assert fields(b, "status", "met", "value", "credit_pct") == {
        "status": "breached",
        "met": False,
        "value": 0.75,
        "credit_pct": 0.10,
    }
    assert fields(pick(rows, "s", "2026-01", "a"), "status", "met") == {
        "status": "met",
        "met": True,
    }
    assert pick(rows, "s", "2026-01", "b")["status"] == "breached"
    up = pick(rows, "s.up_month", "2026-01", "a")
    assert fields(up, "status", "met") == {"status": "no_data", "met": True}
    assert up["value"] == approx(1 - 3600 / JANUARY)
    assert pick(rows, "s.up", "2026-01", "a")["status"] == "met"
    days = [r for r in rows if r.get("node") == "daily.up_day"]
    assert days and {r["status"] for r in days} == {"no_data"}


# --------------------------------------------------------------------------- rolling


ROLLING_DATA = {
    "requests": {
        "account": ["a"] * 4,
        "at": [
            z("2026-01-01 12:00"),
            z("2026-01-02 12:00"),
            z("2026-01-03 00:00"),
            z("2026-01-04 06:00"),
        ],
        "ok": [True, False, True, True],
    },
    "outages": outages(("a", "2026-01-03 23:00", "2026-01-04 01:00")),
}


def test_rolling_window_steps_and_bounds():
    rows = run("rolling_window", ROLLING_DATA, "2026-01-04T12:00:00Z")
    steps = ["2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z"]
    steps.append("2026-01-04T12:00:00Z")
    good = [pick(rows, "w.good", s) for s in steps]
    assert [g["value"] for g in good] == [1.0, approx(2 / 3), 0.5, 1.0]
    assert [g["status"] for g in good] == ["met", "breached", "breached", "met"]
    assert good[1]["budget_used"] == approx(1 / 0.3)
    up = [pick(rows, "w.up", s)["value"] for s in steps]
    assert up == [1.0, 1.0, approx(1 - 1 / 48), approx(1 - 2 / 48)]
    assert [pick(rows, "w", s)["status"] for s in steps] == [
        "met",
        "breached",
        "breached",
        "breached",
    ]


def test_rolling_window_every_12h():
    path = GOLDEN / "rolling_window.sla"
    model = slagraph.compile(path.read_text(encoding="utf-8"), file=str(path))
    rows = model.evaluate(ROLLING_DATA, as_of="2026-01-04T12:00:00Z", every="12h").rows()
    periods = [r["period"] for r in rows if r["node"] == "w.good"]
    assert periods == [at("2026-01-01 12:00", 12 * 3600 * k) for k in range(7)]
    assert pick(rows, "w.good", "2026-01-01T12:00:00Z")["value"] == 1.0
