"""Golden cases for periods in progress (SPEC §6.4, docs/semantics.md "Periods in
progress"): `tests/golden/in_progress.sla` and `tests/golden/ended_periods_only.sla`,
whose comments hold the arithmetic every expected value below is written from."""

from __future__ import annotations

from typing import Any

from tests.test_golden import fields, pick, run, z

KEYS = ("status", "met", "value", "credit_pct", "credit", "final")


def leads(*rows: tuple[str, str], closed: dict[int, str] | None = None) -> dict[str, Any]:
    closed = closed or {}
    return {
        "account": [r[0] for r in rows],
        "at": [z(r[1]) for r in rows],
        "closed": [z(closed[i]) if i in closed else None for i in range(len(rows))],
    }


def in_progress_data(extra: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    rows = (
        ("a", "2026-01-05 10:00"),
        ("a", "2026-01-10 10:00"),
        ("a", "2026-01-20 10:00"),
        ("a", "2026-02-03 10:00"),
        ("b", "2026-01-07 10:00"),
        ("b", "2026-01-08 10:00"),
        ("b", "2026-01-09 10:00"),
        *(("b", f"2026-02-0{d} 10:00") for d in range(2, 7)),
        ("b", "2026-02-07 12:00"),
        *extra,
    )
    return {
        "leads": leads(*rows, closed={0: "2026-05-20 00:00"}),
        "refunds": {
            "account": ["a", "a"],
            "at": [z("2026-02-04 10:00"), z("2026-02-06 10:00")],
            "amount": [150.0, -20.0],
        },
        "accounts": {"account": ["a", "b"], "fee": [1000.0, 1000.0]},
    }


def test_in_progress_count_and_sum_are_at_risk_with_the_would_be_credit() -> None:
    rows = run("in_progress", in_progress_data(), z("2026-02-11 00:00"))
    assert fields(pick(rows, "deal.handoff.volume", "2026-01", "a"), *KEYS) == {
        "status": "met",
        "met": True,
        "value": 3.0,
        "credit_pct": 0.0,
        "credit": 0.0,
        "final": True,
    }
    assert fields(pick(rows, "deal.handoff.volume", "2026-02", "a"), "status", "met", "value") == {
        "status": "at_risk",
        "met": False,
        "value": 1.0,
    }
    net = pick(rows, "deal.handoff.net", "2026-02", "a")
    assert (net["status"], net["met"], net["value"]) == ("at_risk", False, 130.0)
    assert pick(rows, "deal.handoff.net", "2026-01", "a")["status"] == "no_data"
    ceiling = pick(rows, "deal.handoff.ceiling", "2026-02", "b")
    assert (ceiling["status"], ceiling["met"], ceiling["value"]) == ("breached", False, 6.0)
    would_be = {"met": False, "value": None, "credit_pct": 0.05, "credit": 50.0, "final": False}
    for node in ("deal", "deal.handoff"):
        assert fields(pick(rows, node, "2026-02", "a"), *KEYS) == {"status": "at_risk", **would_be}
        assert fields(pick(rows, node, "2026-02", "b"), *KEYS) == {"status": "breached", **would_be}
    assert all(r["final"] is (r["period"] == "2026-01") for r in rows)


def test_an_as_of_on_a_boundary_opens_no_empty_period() -> None:
    rows = run("in_progress", in_progress_data(), z("2026-02-01 00:00"))
    assert {r["period"] for r in rows} == {"2026-01"}
    assert all(r["final"] for r in rows)
    assert not [r for r in rows if r["kind"] == "termination"]


def test_a_record_placed_at_a_boundary_as_of_keeps_its_period() -> None:
    rows = run("in_progress", in_progress_data((("a", "2026-02-01 00:00"),)), z("2026-02-01 00:00"))
    volume = pick(rows, "deal.handoff.volume", "2026-02", "a")
    assert (volume["value"], volume["status"], volume["final"]) == (1.0, "at_risk", False)


def test_the_default_as_of_is_the_latest_placing_time() -> None:
    import slagraph
    from tests.test_golden import GOLDEN

    path = GOLDEN / "in_progress.sla"
    model = slagraph.compile(path.read_text(encoding="utf-8"), file=str(path))
    result = model.evaluate(in_progress_data())
    assert result.as_of == slagraph.engine.to_ns(z("2026-02-07 12:00"))
    assert {r["period"] for r in result.rows()} == {"2026-01", "2026-02"}


def ended_data() -> dict[str, Any]:
    return {
        "leads": {
            "account": ["a", "a", "b", "b", "b"],
            "at": [
                z("2026-01-10 10:00"),
                z("2026-02-05 10:00"),
                z("2026-01-10 10:00"),
                z("2026-02-03 10:00"),
                z("2026-02-10 10:00"),
            ],
        },
        "accounts": {"account": ["a", "b"], "fee": [1000.0, 1000.0]},
    }


def test_credit_termination_and_earnback_only_from_ended_periods() -> None:
    rows = run("ended_periods_only", ended_data(), z("2026-02-15 00:00"))
    keys = (*KEYS, "earned_back")
    assert fields(pick(rows, "deal", "2026-01", "a"), *keys) == {
        "status": "breached",
        "met": False,
        "value": None,
        "credit_pct": 0.1,
        "credit": 100.0,
        "final": True,
        "earned_back": False,
    }
    assert fields(pick(rows, "deal", "2026-02", "a"), *keys) == {
        "status": "at_risk",
        "met": False,
        "value": None,
        "credit_pct": 0.1,
        "credit": 100.0,
        "final": False,
        "earned_back": False,
    }
    assert pick(rows, "deal", "2026-01", "b")["earned_back"] is False
    assert pick(rows, "deal", "2026-02", "b")["status"] == "met"
    assert [r for r in rows if r["kind"] == "termination"] == []

    rows = run("ended_periods_only", ended_data(), z("2026-03-01 00:00"))
    assert {r["period"] for r in rows if "period" in r} == {"2026-01", "2026-02"}
    feb = pick(rows, "deal", "2026-02", "a")
    assert (feb["status"], feb["final"]) == ("breached", True)
    jan_b = pick(rows, "deal", "2026-01", "b")
    assert fields(jan_b, "earned_back", "credit_pct", "credit") == {
        "earned_back": True,
        "credit_pct": 0.1,
        "credit": 100.0,
    }
    assert [r for r in rows if r["kind"] == "termination"] == [
        {
            "kind": "termination",
            "node": "deal",
            "account": "a",
            "period": "2026-02",
            "target": "handoff",
            "rule": "2 consecutive periods",
        }
    ]
