"""`slagraph diff` / `Model.diff`: two versions of an agreement on the same data (SPEC §6.6).

The golden case is examples/customer_support/amendment.sla: model.sla with the first-reply
target raised from 90% to 96% (and its credit tier with it). By hand, from its data:

* April 2026: 19 of the 20 tickets got a first reply within 4 business hours, 95%. Old:
  met (>= 90%), no credit. New: breached (< 96%), tier `below 96% -> 5%`: 5% of the fee
  1,800,000 = 90,000 on `soporte.primera_respuesta` and on the root `soporte`.
* May 2026: 12 of 14, 85.714%: breached under both, 5% = 90,000 both. With the default
  as-of (the last ticket, 2026-05-22T15:00Z) May is in progress: nothing is owed for it.

So the money line is 0 → 90,000 (+90,000) as of the data, and 90,000 → 180,000
(+90,000) as of 2026-06-01T04:00Z (May's end in Santiago, -04).
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

import slagraph
from slagraph.cli import main

ROOT = Path(__file__).resolve().parents[1]
OLD_FILE = ROOT / "examples" / "customer_support" / "model.sla"
DATA = str(ROOT / "examples" / "customer_support" / "data")
OLD = slagraph.load(OLD_FILE)


NEW_FILE = ROOT / "examples" / "customer_support" / "amendment.sla"
NEW = slagraph.load(NEW_FILE)


def test_the_amendment_changes_only_the_first_reply_target() -> None:
    text = OLD_FILE.read_text(encoding="utf-8")
    stricter = text.replace("<= 4h) >= 90%", "<= 4h) >= 96%")
    stricter = stricter.replace("below 90% -> 5%", "below 96% -> 5%")
    assert stricter != text
    assert slagraph.compile(stricter).ir.agreements == NEW.ir.agreements


def test_money_difference_by_hand() -> None:
    result = OLD.diff(NEW, DATA)
    rows = result.rows()
    money = [r for r in rows if r["kind"] == "money"]
    assert money == [
        {
            "kind": "money",
            "account": "vinos_del_maule",
            "base_credit": 0.0,
            "new_credit": 90000.0,
            "difference": 90000.0,
            "differs": True,
        }
    ]
    april = {r["node"]: r for r in rows if r.get("period") == "2026-04"}
    reply = april["soporte.primera_respuesta"]
    assert (reply["base_status"], reply["new_status"]) == ("met", "breached")
    assert reply["base_value"] == reply["new_value"] == 0.95
    assert (reply["base_credit"], reply["new_credit"]) == (0.0, 90000.0)
    assert (april["soporte"]["base_credit"], april["soporte"]["new_credit"]) == (0.0, 90000.0)
    may = [r for r in rows if r.get("period") == "2026-05"]
    assert all(r["final"] is False for r in may)


def test_an_ended_may_is_owed_on_both_sides() -> None:
    """As of May's end, May's 90,000 is owed under both: the difference stays 90,000."""
    result = OLD.diff(NEW, DATA, as_of="2026-06-01T04:00:00Z")
    (money,) = [r for r in result.rows() if r["kind"] == "money"]
    assert (money["base_credit"], money["new_credit"], money["difference"]) == (
        90000.0,
        180000.0,
        90000.0,
    )


def test_a_model_against_itself_differs_nowhere() -> None:
    result = OLD.diff(OLD, DATA)
    assert [r["kind"] for r in result.rows()] == ["money"]
    assert result.rows()[0]["difference"] == 0.0
    assert all(r["kind"] == "money" or not r["differs"] for r in result.rows(all=True))
    assert len(result.rows(all=True)) == 1 + len(list(OLD.evaluate(DATA).iter_rows()))


def test_one_as_of_for_both_is_evaluate_s() -> None:
    """The base side is exactly `evaluate` of the old model with its default as-of."""
    result = OLD.diff(NEW, DATA)
    base = {(r["period"], r["node"]): r for r in OLD.evaluate(DATA).iter_rows()}
    assert result.as_of == OLD.evaluate(DATA).as_of
    for pair in result.pairs:
        assert pair["base_status"] == base[(pair["period"], pair["node"])]["status"]


def test_cli_table_jsonl_csv() -> None:
    runner = CliRunner()
    args = ["diff", str(OLD_FILE), str(NEW_FILE), "--data", DATA]
    table = runner.invoke(main, args)
    assert table.exit_code == 0, table.output
    assert "met → breached" in table.output
    assert "money vinos_del_maule: credits of ended periods 0.00 → 90,000.00 (+90,000.00)" in (
        table.output
    )
    jsonl = runner.invoke(main, [*args, "--format", "jsonl"])
    lines = [json.loads(ln) for ln in jsonl.stdout.splitlines()]
    assert [ln["kind"] for ln in lines] == ["sla", "objective", "objective", "money"]
    csv = runner.invoke(main, [*args, "--format", "csv", "--all"])
    assert csv.stdout.splitlines()[-1] == "vinos_del_maule,,,money,,true" + "," * 13 + (
        "0.0,90000.0,,,90000.0"
    )


def test_cli_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    args = ["diff", str(OLD_FILE), str(tmp_path / "no.sla"), "--data", DATA]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2


def test_a_termination_the_new_version_adds() -> None:
    """examples/spec: availability is breached for acme in 2026-02 only; terminating
    after 1 consecutive breached period instead of 3 ends the agreement there."""
    spec = ROOT / "examples" / "spec"
    old = slagraph.load(spec / "model.sla")
    text = (spec / "model.sla").read_text(encoding="utf-8")
    new = slagraph.compile(text.replace("in 3 consecutive periods", "in 1 consecutive periods"))
    rows = old.diff(new, str(spec / "data")).rows()
    assert [r for r in rows if r["kind"] == "termination"] == [
        {
            "kind": "termination",
            "node": "gold.acme",
            "account": "acme",
            "target": "availability",
            "rule": "1 consecutive periods",
            "base_period": None,
            "new_period": "2026-02",
            "differs": True,
        }
    ]
    assert all(r["difference"] == 0.0 for r in rows if r["kind"] == "money")


def test_cli_prints_a_changed_termination(tmp_path: Path) -> None:
    spec = ROOT / "examples" / "spec"
    text = (spec / "model.sla").read_text(encoding="utf-8")
    new = tmp_path / "new.sla"
    new.write_text(text.replace("in 3 consecutive periods", "in 1 consecutive periods"))
    args = ["diff", str(spec / "model.sla"), str(new), "--data", str(spec / "data")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (
        "termination gold.acme for acme (availability breached in 1 consecutive periods): "
        "none → 2026-02"
    ) in result.stdout
